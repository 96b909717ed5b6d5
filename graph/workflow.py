"""The review workflow: facts -> ask -> six stages -> critic (loops back) -> alternative -> writer.

Nodes only read the state and return the keys they change; the wiring lives in `build()`.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Literal

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from ceiling.agents.reading import assume
from ceiling.agents.reading import facts as facts_agent
from ceiling.agents.review import alternative, critic, sensitivity, writer
from ceiling.agents.schemas import Fact, LoopStep, SystemFacts
from ceiling.agents.scoring.taxes import Design
from ceiling.agents.stages.table import STAGES as STAGE_TABLE
from ceiling.graph import context
from ceiling.graph.context import ContextInput, RunContext
from ceiling.graph.state import ReviewInput, ReviewOutput, ReviewState

STAGES = {stage.number: stage.agent for stage in STAGE_TABLE}  # the stage table's rule agents and node names
STAGE_NODES = {stage.number: stage.node for stage in STAGE_TABLE}
STATE_KEYS = list(ReviewState.__annotations__)  # run() returns them all: callers read facts and decisions too


def start(description: str = "", given_facts: SystemFacts | None = None) -> ReviewInput:
    """The one input a review starts from: the description, or structured facts instead of it."""
    return {"description": description, "given_facts": given_facts}


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


def structured_facts(state: ReviewState) -> SystemFacts | None:
    """The structured input: a SystemFacts in process, its JSON mapping from a server run (LangGraph does not
    validate a TypedDict input)."""
    given = state.get("given_facts")
    return None if given is None else SystemFacts.model_validate(given)


def facts_node(state: ReviewState, runtime: Runtime[RunContext]) -> dict:
    run_context = context.of(runtime)
    given = structured_facts(state)
    raw = given or facts_agent.extract(state["description"])
    notes: list[str] = []
    mismatches: list = []
    client = run_context.llm
    if client is not None and not given:
        from ceiling.agents.llm import facts as llm_facts
        from ceiling.agents.llm import mismatches as llm_mismatches
        from ceiling.agents.llm.client import LLMError

        try:
            raw, notes = llm_facts.fill(raw, state["description"], client, run_context.machine)
        except LLMError as exc:
            notes = [f"LLM facts agent failed, rule facts kept: {exc}"]
        try:
            mismatches, checked = llm_mismatches.check(raw, state["description"], client, run_context.machine)
            notes += checked
        except LLMError as exc:
            notes.append(f"LLM mismatch check failed, the rules' reading stands unchecked: {exc}")
    # The machine and the engine go into the state once, here: the agents and the writer read them beside the
    # facts, and a chat thread's what-ifs re-run on the machine its review used. A new review answers afresh.
    pass_state = {**new_pass(raw, run_context.machine), "machine": run_context.machine, "engine": run_context.engine}
    return {
        **pass_state,
        "facts_notes": notes,
        "mismatches": mismatches,
        "decisions": {},
        "answered": [],
        "review": None,
        "markdown": None,
    }


def ask_node(state: ReviewState, runtime: Runtime[RunContext]) -> dict:
    """In an interactive thread, stop and ask for silent quantities that could flip the verdict.

    The interrupt's payload lists the questions; the resume value is {"answers": {field: number}}
    (an empty map keeps the assumed values). Quantities that cannot change the verdict are never asked."""
    if not context.of(runtime).ask:
        return {}
    answered = set(state.get("answered") or [])
    questions = [q for q in sensitivity.open_questions(state["facts"], state["machine"]) if q.field not in answered]
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

    def node(state: ReviewState, runtime: Runtime[RunContext]) -> dict:
        decision = agent.decide(state)
        client = context.of(runtime).llm
        if client is not None:
            from ceiling.agents.llm import stage as llm_stage

            previous = state["decisions"].get(number) if state.get("loops") else None  # the pass before this loop
            decision = llm_stage.decide(number, state, decision, client, chunk_text, previous)
        update: dict = {"decisions": {number: decision}}
        if number == 6 and not state.get("loops"):
            update["first_tax"] = decision.evidence
        return update

    node.__name__ = STAGE_NODES[number]
    return node


def chunk_text(chunk_id: str) -> str | None:
    from ceiling.corpus.retrieve import default_index

    chunk = default_index().chunk(chunk_id)
    return chunk.text if chunk else None


def critic_node(state: ReviewState) -> dict:
    finding = critic.review(state, chunk_text)
    return {"critic_reasons": finding.reasons, "feasible": finding.ok, "critic_final": finding.final}


def route_after_critic(state: ReviewState, runtime: Runtime[RunContext]) -> Literal["revise", "give_up", "alternative"]:
    if state["feasible"]:
        return "alternative"
    if state["loops"] >= context.of(runtime).max_loops or state.get("critic_final") or critic.exhausted(state):
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


def writer_node(state: ReviewState, runtime: Runtime[RunContext]) -> dict:
    review = writer.build(state)
    client = context.of(runtime).llm
    if client is not None:
        usage = client.usage.totals()
        review.llm = writer.llm_report(state, usage)
        if usage["calls"] and usage["failed"] == usage["calls"]:  # the rules answered everything: say so
            review.engine = f"deterministic (LLM unavailable: all {usage['calls']} calls to {client.engine} failed)"
    return {"review": review, "markdown": writer.markdown(review)}


def with_run_corpus(node):
    """`node`, run with the corpus its run's context names: the stages cite it, the critic checks the citations
    against it. A context variable rather than a state key, because the index is a live object."""
    takes_runtime = "runtime" in inspect.signature(node).parameters

    def wrapped(state: ReviewState, runtime: Runtime[RunContext]) -> dict:
        from ceiling.corpus.retrieve import using

        with using(context.of(runtime).corpus):
            return node(state, runtime) if takes_runtime else node(state)

    wrapped.__name__ = node.__name__  # not functools.wraps: LangGraph must see this signature, with `runtime`
    return wrapped


def build(checkpointer=None):
    """The compiled graph; the chat passes a checkpointer so threads persist and can be interrupted.

    In process a run's context is a RunContext; the schemas are what a LangGraph server shows and passes: JSON."""
    graph = StateGraph(ReviewState, input_schema=ReviewInput, output_schema=ReviewOutput, context_schema=ContextInput)
    nodes = {"facts": facts_node, "ask": ask_node}
    nodes |= {name: stage_node(number) for number, name in STAGE_NODES.items()}
    nodes |= {"critic": critic_node, "revise": revise_node, "give_up": give_up_node}
    nodes |= {"alternative": alternative_node, "writer": writer_node}
    for name, node in nodes.items():
        graph.add_node(name, with_run_corpus(node))

    graph.add_edge(START, "facts")
    graph.add_edge("facts", "ask")
    graph.add_edge("ask", STAGE_NODES[1])
    for number in range(1, 6):
        graph.add_edge(STAGE_NODES[number], STAGE_NODES[number + 1])
    graph.add_edge(STAGE_NODES[6], "critic")
    graph.add_conditional_edges("critic", route_after_critic)  # the routes are the Literal it returns
    graph.add_edge("revise", STAGE_NODES[1])
    graph.add_edge("give_up", "alternative")
    graph.add_edge("alternative", "writer")
    graph.add_edge("writer", END)
    return graph.compile(checkpointer=checkpointer)


@lru_cache(maxsize=1)
def compiled():
    return build()


def run(
    description: str = "", *, given_facts=None, machine=None, max_loops: int = 3, llm=None, corpus=(), on_step=None
) -> dict:
    """Review one description (or structured facts); returns the final state (with `review`).

    `llm` is an LLMClient: the stage agents then propose through it and the critic checks them.
    `corpus` names folders of chapters cited beside the packaged one.
    `on_step(node_name)` is called as each node finishes (progress for long LLM reviews)."""
    from ceiling.agents.scoring.reference import ReferenceMachine

    run_context = RunContext(llm=llm, max_loops=max_loops, machine=machine or ReferenceMachine(), corpus=tuple(corpus))
    state, config = start(description, given_facts), {"recursion_limit": run_context.recursion_limit}
    if on_step is None:
        return compiled().invoke(state, config, context=run_context, output_keys=STATE_KEYS)
    final = state
    for update in compiled().stream(state, config, context=run_context, stream_mode=["updates", "values"]):
        kind, payload = update
        if kind == "updates":
            for node in payload:
                on_step(node)
        else:
            final = payload
    return final
