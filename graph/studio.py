"""The review graph for LangGraph's own server (`langgraph dev`, LangGraph Server, Studio): langgraph.json's entry.

`graph` takes a description (or structured facts) and returns the review and its markdown; a run's context is JSON
(graph/context.py ContextInput), `ask: true` stopping at an interrupt for verdict-flipping quantities, as the chat does.

`checkpointer` is langgraph.json's `checkpointer.path`: the server's own saver would revive our state's types with a
warning each ("Deserializing unregistered type"), and langgraph-api does not pass `checkpointer.serde`'s
`allowed_msgpack_modules` on to its serializer (langchain-ai/langgraph#7695), so the allow-list comes with the saver:
the chat's types (STATE_TYPES) and LangGraph's safe ones revive, nothing else does."""

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from ceiling.graph.state import STATE_TYPES
from ceiling.graph.workflow import build

graph = build()
# One saver for the server's life: the server may ask for it from more than one thread, each must see every thread.
checkpointer = InMemorySaver(serde=JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES))
