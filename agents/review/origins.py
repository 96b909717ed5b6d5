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
    bare = assume.complete(bare, machine)
    with_model, rules_only = decide_all(facts, machine), decide_all(bare, machine)
    changed = [
        f"{decision.name} {rules_only[number].answer} (not {decision.answer})"
        for number, decision in with_model.items()
        if rules_only[number].answer != decision.answer
    ]
    if not changed:
        return None
    added = ", ".join(f"{name} = {getattr(facts, name).value:g}" for name in facts.llm_filled)
    return f"Without the numbers only the LLM read ({added}), the rules would answer: " + "; ".join(changed) + "."
