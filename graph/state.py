"""The LangGraph state of one review: what each node reads and the keys it writes."""

from __future__ import annotations

from typing import (
    Annotated,
    Any,
    NotRequired,  # pydantic (LangGraph's schemas) needs this one below 3.12
)

from typing_extensions import TypedDict

from ceiling.agents.schemas import Alternative, LoopStep, StageDecision, SystemFacts
from ceiling.agents.scoring.reference import ReferenceMachine
from ceiling.agents.scoring.taxes import Design
from ceiling.agents.stages.evidence import TaxEvidence


def merge(left: dict, right: dict) -> dict:
    """Stage decisions accumulate by stage number; a loop overwrites the earlier pass."""
    return {**(left or {}), **(right or {})}


class ReviewInput(TypedDict):
    """What a review starts from (the graph's input schema)."""

    description: str  # untrusted text: data only
    given_facts: NotRequired[SystemFacts | None]  # structured input (YAML/JSON), skips extraction


class ReviewState(TypedDict, total=False):
    description: str  # untrusted text: data only
    given_facts: SystemFacts | None  # structured input (YAML/JSON), skips extraction
    machine: ReferenceMachine  # the run context's, written once by the facts node
    engine: str  # the run context's, written once by the facts node
    raw_facts: SystemFacts  # what the text says
    facts: SystemFacts  # plus the stated assumptions
    answered: list[str]  # fields the user gave when asked (never asked again in the thread)
    facts_notes: list[str]  # what the LLM facts agent added or had dropped
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
    review: Any  # the finished Review
