"""The review workflow: facts -> ask -> six stages -> critic (loops back) -> alternative -> writer.

Nodes only read the state and return the keys they change; the wiring lives in `build()`.
"""

from __future__ import annotations

from functools import lru_cache

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from ceiling.agents import (
    alternative,
    assume,
    axis_agent,
    ceiling_agent,
    critic,
    metric_agent,
    mode_agent,
    sensitivity,
    tax_agent,
    topology_agent,
    writer,
)
from ceiling.agents import (
    facts as facts_agent,
)
from ceiling.agents.schemas import Fact, LoopStep, StageDecision, SystemFacts
from ceiling.agents.tools.taxes import Design
from ceiling.graph.state import ReviewState

STAGES = {1: ceiling_agent, 2: axis_agent, 3: topology_agent, 4: mode_agent, 5: metric_agent, 6: tax_agent}
STAGE_NODES = {1: "s1_ceiling", 2: "s2_axis", 3: "s3_topology", 4: "s4_mode", 5: "s5_metric", 6: "s6_tax"}


def _configurable(config: RunnableConfig, key: str):
    return (config or {}).get("configurable", {}).get(key)


def _llm(config: RunnableConfig):
    return _configurable(config, "llm")


def new_pass(raw: SystemFacts, machine) -> dict:
    """The state a review pass starts from: these facts, the design as described, no critic verdict yet.

    Used by the facts node and by a chat what-if, so a thread never keeps the last pass's verdict."""
    return {
        "raw_facts": raw,
        "facts": assume.complete(raw, machine),
        "design": Design(),
        "loops": 0,
        "trace": [],
        "critic_reasons": [],
        "critic_final": False,
        "infeasible_because": None,
    }


def facts_node(state: ReviewState, config: RunnableConfig) -> dict:
    raw = state.get("given_facts") or facts_agent.extract(state["description"])
    notes: list[str] = []
    client = _llm(config)
    if client is not None and not state.get("given_facts"):
        from ceiling.agents import llm_facts
        from ceiling.graph.llm_client import LLMError

        try:
            raw, notes = llm_facts.fill(raw, state["description"], client)
        except LLMError as exc:
            notes = [f"LLM facts agent failed, rule facts kept: {exc}"]
    return {**new_pass(raw, state["machine"]), "facts_notes": notes, "decisions": {}}


def decide_all(facts: SystemFacts, machine) -> dict[int, StageDecision]:
    """The rule agents' six decisions for `facts` on the design as described (no LLM, ~ms)."""
    probe: dict = {"facts": facts, "machine": machine, "design": Design(), "loops": 0, "decisions": {}}
    for number, agent in STAGES.items():
        probe["decisions"] = {**probe["decisions"], number: agent.decide(probe)}
    return probe["decisions"]


def ask_node(state: ReviewState, config: RunnableConfig) -> dict:
    """In an interactive thread, stop and ask for silent quantities that could flip the verdict.

    The interrupt's payload lists the questions; the resume value is {"answers": {field: number}}
    (an empty map keeps the assumed values). Quantities that cannot change the verdict are never asked."""
    if not _configurable(config, "ask"):
        return {}
    decisions = decide_all(state["facts"], state["machine"])
    break_evens = decisions[1].evidence["break_evens"] + decisions[6].evidence["break_evens"]
    answered = set(state.get("answered") or [])
    questions = [q for q in sensitivity.questions(state["facts"], break_evens) if q.field not in answered]
    if not questions:
        return {}
    answers = (interrupt({"questions": [q.model_dump() for q in questions]}) or {}).get("answers", {})
    raw = state["raw_facts"].model_copy(deep=True)
    for q in questions:
        if q.field in answers and answers[q.field] is not None:
            setattr(
                raw,
                q.field,
                Fact(
                    value=float(answers[q.field]),
                    unit=getattr(state["facts"], q.field).unit,
                    quote=f"answered in the chat: {answers[q.field]:g} {q.unit}",
                ),
            )
    return {
        "raw_facts": raw,
        "facts": assume.complete(raw, state["machine"]),
        "answered": sorted(answered | {q.field for q in questions}),
    }


def stage_node(number: int):
    agent = STAGES[number]

    def node(state: ReviewState, config: RunnableConfig) -> dict:
        decision = agent.decide(state)
        client = _llm(config)
        if client is not None:
            from ceiling.agents import llm_stage

            previous = state["decisions"].get(number) if state.get("loops") else None  # the pass before this loop
            decision = llm_stage.decide(number, state, decision, client, chunk_text, previous)
        update: dict = {"decisions": {number: decision}}
        if number == 6 and not state.get("loops"):
            update["first_tax"] = decision.evidence
        return update

    node.__name__ = STAGE_NODES[number]
    return node


def chunk_text(chunk_id: str) -> str | None:
    from ceiling.agents.tools.retrieve import default_index

    chunk = default_index().chunk(chunk_id)
    return chunk.text if chunk else None


def critic_node(state: ReviewState) -> dict:
    finding = critic.review(state, chunk_text)
    return {"critic_reasons": finding.reasons, "feasible": finding.ok, "critic_final": finding.final}


def route_after_critic(state: ReviewState) -> str:
    if state["feasible"]:
        return "alternative"
    if state["loops"] >= state["max_loops"] or state.get("critic_final") or critic.exhausted(state):
        return "give_up"
    return "revise"


def revise_node(state: ReviewState) -> dict:
    design, change = critic.revise(state)
    loop = state["loops"] + 1
    step = LoopStep(loop=loop, reason="; ".join(state["critic_reasons"]), change=change)
    return {"design": design, "loops": loop, "trace": [*state["trace"], step]}


def give_up_node(state: ReviewState) -> dict:
    return {
        "feasible": False,
        "infeasible_because": "; ".join(state["critic_reasons"]) + f" (after {state['loops']} loop(s))",
    }


def alternative_node(state: ReviewState) -> dict:
    return {"alternative": alternative.propose(state)}


def writer_node(state: ReviewState, config: RunnableConfig) -> dict:
    review = writer.build(state)
    client = _llm(config)
    if client is not None:
        review.llm = writer.llm_report(state, client.usage.totals())
    return {"review": review}


def build(checkpointer=None):
    """The compiled graph; the chat passes a checkpointer so threads persist and can be interrupted."""
    graph = StateGraph(ReviewState)
    graph.add_node("facts", facts_node)
    graph.add_node("ask", ask_node)
    for number, name in STAGE_NODES.items():
        graph.add_node(name, stage_node(number))
    graph.add_node("critic", critic_node)
    graph.add_node("revise", revise_node)
    graph.add_node("give_up", give_up_node)
    graph.add_node("alternative", alternative_node)
    graph.add_node("writer", writer_node)

    graph.add_edge(START, "facts")
    graph.add_edge("facts", "ask")
    graph.add_edge("ask", STAGE_NODES[1])
    for number in range(1, 6):
        graph.add_edge(STAGE_NODES[number], STAGE_NODES[number + 1])
    graph.add_edge(STAGE_NODES[6], "critic")
    graph.add_conditional_edges(
        "critic", route_after_critic, {"revise": "revise", "give_up": "give_up", "alternative": "alternative"}
    )
    graph.add_edge("revise", STAGE_NODES[1])
    graph.add_edge("give_up", "alternative")
    graph.add_edge("alternative", "writer")
    graph.add_edge("writer", END)
    return graph.compile(checkpointer=checkpointer)


@lru_cache(maxsize=1)
def compiled():
    return build()


def run(description: str = "", *, given_facts=None, machine=None, max_loops: int = 3, llm=None, on_step=None) -> dict:
    """Review one description (or structured facts); returns the final state (with `review`).

    `llm` is an LLMClient: the stage agents then propose through it and the critic checks them.
    `on_step(node_name)` is called as each node finishes (progress for long LLM reviews)."""
    from ceiling.agents.tools.reference import ReferenceMachine

    state = {
        "description": description,
        "given_facts": given_facts,
        "machine": machine or ReferenceMachine(),
        "max_loops": max_loops,
        "engine": llm.engine if llm is not None else "deterministic",
    }
    config = {"recursion_limit": 10 * (max_loops + 3), "configurable": {"llm": llm}}
    if on_step is None:
        return compiled().invoke(state, config)
    final = state
    for update in compiled().stream(state, config, stream_mode=["updates", "values"]):
        kind, payload = update
        if kind == "updates":
            for node in payload:
                on_step(node)
        else:
            final = payload
    return final
