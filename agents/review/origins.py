"""Where every number of a review came from, and what the verdict would be without the model's.

Each quantity the review used is one of: read from the text by the rules (its quote), read by the LLM facts agent
(its quote: the rules did not read it, so check it), answered by the user in the chat, or assumed (the reason).
When the model's numbers change a stage's answer, the review says what the rules alone would answer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Origin = Literal["read", "model", "user", "assumed"]
# How the review names each origin, in the tables a reader sees.
SAID: dict[str, str] = {"read": "your text", "model": "the LLM (check it)", "user": "your answer", "assumed": "assumed"}
ANSWERED_PREFIX = "answered in the chat:"  # the quote of a fact the user gave in the chat (graph/workflow.ask_node)


class FactUsed(BaseModel):
    """One entry of the contract's `facts_used`."""

    field: str
    value: float | bool | str
    unit: str
    origin: Origin
    quote: str | None = None
    reason: str | None = None


def origin(facts, name: str) -> Origin:
    fact = getattr(facts, name)
    if name in facts.llm_filled:
        return "model"
    if fact.quote and fact.quote.startswith(ANSWERED_PREFIX):
        return "user"
    return "assumed" if fact.assumed else "read"


def facts_used(facts) -> list[FactUsed]:
    """Every known quantity of `facts`, with its origin (the registry's order)."""
    return [
        FactUsed(
            field=name,
            value=fact.value,
            unit=fact.unit,
            origin=origin(facts, name),
            quote=fact.quote,
            reason=fact.assumption if fact.assumed else None,
        )
        for name, fact in facts.facts()
        if fact.value is not None
    ]


class Mismatch(BaseModel):
    """One entry of the contract's `mismatches`: a value the review used that the LLM reads differently in the text
    (agents/llm/mismatches.py), and what the rule agents would answer with the model's value instead."""

    field: str
    used: float
    used_quote: str | None
    model_value: float
    unit: str
    quote: str
    verdict_with_it: list[str]  # the stage answers that change ("mode online (not interactive)"); [] when none


def verdict(decisions: dict) -> dict[int, object]:
    """The stage answers a number can flip, in the form the numbers force them (stage 6: within or over budget)."""
    from ceiling.agents.llm.stage import expected_answer

    return {number: expected_answer(number, decision) for number, decision in decisions.items()}


def changed_answers(before: dict, after: dict) -> list[str]:
    """The stages whose answer differs between two sets of decisions, as "<stage> <after> (not <before>)"."""
    old, new = verdict(before), verdict(after)

    def said(answer) -> str:
        return ", ".join(answer) or "none" if isinstance(answer, list) else str(answer)

    return [
        f"{decision.name} {said(new[number])} (not {said(old[number])})"
        for number, decision in before.items()
        if new[number] != old[number]
    ]


def without_model(facts, machine) -> str | None:
    """What the rule agents answer on the same text without the LLM's numbers, when that differs; else None."""
    if not facts.llm_filled:
        return None
    from ceiling.agents.reading import assume
    from ceiling.agents.schemas import Fact
    from ceiling.agents.stages.table import decide_all

    bare = facts.model_copy(deep=True)
    for name in facts.llm_filled:
        setattr(bare, name, Fact())
    bare.llm_filled = []
    changed = changed_answers(decide_all(facts, machine), decide_all(assume.complete(bare, machine), machine))
    if not changed:
        return None
    added = ", ".join(f"{name} = {getattr(facts, name).value:g}" for name in facts.llm_filled)
    return f"Without the numbers only the LLM read ({added}), the rules would answer: " + "; ".join(changed) + "."
