"""The compiled review graph for LangGraph's own tooling (langgraph.json -> LangGraph Studio).

Studio supplies its own checkpointer; the run context (graph/context.py) takes `ask = true` to get the
questions for verdict-flipping quantities as interrupts, as the chat does."""

from ceiling.graph.workflow import build

graph = build()
