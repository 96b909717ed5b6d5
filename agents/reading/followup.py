"""What-if follow-ups: read the quantities a short message changes and merge them into the facts.

"what if the fan-out were 12?", "we move to 400 Gb/s InfiniBand", "the SLO is 50 ms": the
same rule reader that reads descriptions reads the follow-up; only values the message
states (with a quote) and that differ from the current facts count as changes.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from ceiling.agents.reading.facts import extract
from ceiling.agents.schemas import Fact, SystemFacts

# Fields a follow-up may change; the workload kind and how work arrives stay as reviewed
# (a one-line message naming an SLO does not turn a training run into a service).
_FIXED = {"workload", "arrival"}
# Counterfactual verbs people use in follow-ups, read as the "X of N" the reader knows.
COUNTERFACTUAL = re.compile(
    r"\b(were|was|is|are|becomes?|became|goes to|went to|(?:changes?|changed|drops?|dropped|rises?|rose|grows?|grew|"
    r"increases?|increased|decreases?|decreased|doubles?|doubled|halves?|halved|falls?|fell|moves?|moved) to|set to"
    r"|at)\b",
    re.I,
)


class Change(BaseModel):
    field: str
    before: float | bool | str | None
    after: float | bool | str | None
    unit: str = ""
    quote: str
    by_model: bool = False  # read by the LLM from a message the rules could not read (agents/llm/followup.py)


def _stated(facts: SystemFacts) -> dict[str, Fact]:
    return {name: fact for name, fact in facts.facts() if fact.value is not None and fact.quote and name not in _FIXED}


def read_changes(message: str, current: SystemFacts) -> list[Change]:
    """The quantities `message` states that differ from `current` (the facts as reviewed)."""
    stated = _stated(extract(message))
    if not stated:
        stated = _stated(extract(COUNTERFACTUAL.sub("of", message)))
    changes = []
    for name, fact in stated.items():
        before = getattr(current, name).value
        if before != fact.value:
            changes.append(Change(field=name, before=before, after=fact.value, unit=fact.unit, quote=message.strip()))
    return changes


def apply(changes: list[Change], raw: SystemFacts) -> SystemFacts:
    """`raw` (the facts the text gave) with the changed values, each quoting the follow-up."""
    from ceiling.agents.scoring.pressures import LLM_PARAMS

    updated = raw.model_copy(deep=True)
    for change in changes:
        setattr(updated, change.field, Fact(value=change.after, unit=change.unit, quote=change.quote))
        if change.by_model and change.field not in updated.llm_filled:
            updated.llm_filled.append(change.field)  # its origin stays "the LLM (check it)"
        if change.field == "model_params" and float(change.after) >= LLM_PARAMS and updated.flag("small_model"):
            updated.small_model = Fact()  # a model this size is no longer the "small model" the description named
    return updated
