"""The LangGraph state of one review: what each node reads and the keys it writes."""

from __future__ import annotations

from typing import (
    Annotated,
    NotRequired,  # pydantic (LangGraph's schemas) needs this one below 3.12
)

from typing_extensions import TypedDict

from ceiling.agents.review.origins import Mismatch
from ceiling.agents.schemas import Alternative, LoopStep, Review, StageDecision, SystemFacts
from ceiling.agents.scoring.reference import ReferenceMachine
from ceiling.agents.scoring.taxes import Design
from ceiling.agents.stages.evidence import EVIDENCE_MODELS, TaxEvidence

# Our own types in the graph state, allowed to round-trip through a checkpointer (the chat's, LangGraph server's).
STATE_TYPES = (
    [
        ("ceiling.agents.schemas", name)
        for name in ("SystemFacts", "Fact", "StageDecision", "Citation", "LoopStep", "Alternative", "Review")
    ]
    + [("ceiling.agents.scoring.reference", "ReferenceMachine"), ("ceiling.agents.scoring.taxes", "Design")]
    + [(Mismatch.__module__, Mismatch.__name__)]  # the mismatch check's pairs (a chat thread keeps them)
    + [(model.__module__, model.__name__) for model in EVIDENCE_MODELS.values()]  # the stages' (first_tax is one)
)


def merge(left: dict, right: dict) -> dict:
    """Stage decisions accumulate by stage number; a loop overwrites the earlier pass."""
    return {**(left or {}), **(right or {})}


class ReviewInput(TypedDict):
    """What a review starts from (the graph's input schema)."""

    description: str  # untrusted text: data only
    given_facts: NotRequired[SystemFacts | None]  # structured input (YAML/JSON), skips extraction


class ReviewOutput(TypedDict):
    """What a review run returns (the graph's output schema); both are None while the run waits at a question."""

    review: Review | None  # the JSON contract
    markdown: str | None  # the review for people (writer.markdown)


class ReviewState(TypedDict, total=False):
    description: str  # untrusted text: data only
    given_facts: SystemFacts | None  # structured input (YAML/JSON), skips extraction
    machine: ReferenceMachine  # the run context's, written once by the facts node
    engine: str  # the run context's, written once by the facts node
    raw_facts: SystemFacts  # what the text says
    facts: SystemFacts  # plus the stated assumptions
    answered: list[str]  # fields the user gave when asked (never asked again in the thread)
    facts_notes: list[str]  # what the LLM facts agent added or had dropped
    mismatches: list[Mismatch]  # values read by the rules that the LLM reads differently, verdict recomputed
    design: Design
    decisions: Annotated[dict[int, StageDecision], merge]
    first_tax: TaxEvidence  # stage 6 of the first pass: the system as described
    loops: int
    trace: list[LoopStep]
    critic_reasons: list[str]
    critic_final: bool  # the critic knows no change that fixes it
    feasible: bool
    infeasible_because: str | None
    alternative: Alternative
    review: Review | None  # the finished review
    markdown: str | None  # and its markdown
