"""The review's findings: every quantity the verdict turns on, ranked by how close it is to its edge (the break-even
distance), each with the change that acts on it.

A budget quantity (the registry rows with a ``Fix``: fan-out, hop latency, SLO, workers, bandwidth, MTBF) holds on
one side of its edge: past it the tax breaks the budget and the change is the row's fix; inside it, the finding is
the margin left and the same change if the margin is too thin. A ceiling's input (request rate, model size, data)
flips the answer, not a budget: past its edge one machine is not enough and the design distributes; inside, one
machine holds it. An assumed value is said to be one: the first change is to state it.
"""

from __future__ import annotations

import math

from pydantic import BaseModel

from ceiling.agents.quantities import QUANTITIES

FIXES = {q.name: q.fix for q in QUANTITIES if q.fix}


class Finding(BaseModel):
    """One entry of the contract's `findings` (DESIGN.md)."""

    rank: int
    finding: str
    quantity: str
    now: float | None
    edge: float
    unit: str
    change: str
    past_edge: bool  # the design as described is on the wrong side of this edge


def distance(now: float | None, edge: float) -> float:
    """How far `now` is from `edge`, as a factor (1 = on the edge); unknown values sort last."""
    if not now or not edge or math.isinf(edge) or now <= 0 or edge <= 0:
        return math.inf
    return max(now / edge, edge / now)


def _label(quantity: str) -> str:
    from ceiling.agents.review.prose import label

    return label(quantity)


def _finding(break_even: dict) -> tuple[str, str, bool]:
    """(finding, change, past the edge) of one break-even."""
    quantity, now, edge = break_even["quantity"], break_even["current"], break_even["flips_at"]
    name, meaning = _label(quantity), break_even["meaning"]
    fix = FIXES.get(quantity)
    if now is None:  # the text gives no value and none is assumed: only where it would flip is known
        return f"{name}: not stated ({meaning})", "state it in the text to have it checked against the edge", False
    if fix is not None:
        past = now is not None and (now > edge if fix.holds == "below" else now < edge)
        change = (
            f"{fix.change}, to bring it {fix.holds} the edge" if past else f"if it moves toward the edge: {fix.change}"
        )
        said = "past the edge: the budget breaks" if past else f"the budget holds {fix.holds} it"
        finding = f"{name}: {said} ({meaning})"
    else:
        past = now is not None and now > edge
        said = "past the edge: one machine is not enough" if past else "below the edge: one machine holds it"
        finding = f"{name}: {said} ({meaning})"
        change = (
            "distribute along the axis stage 2 names, with the machines the capacity line counts"
            if past
            else "none while it stays below the edge; past it, distribute along the axis stage 2 names"
        )
    if break_even["assumed"]:
        change = f"state it in the text (the review assumed it); then {change}"
    return finding, change, past


def findings(break_evens: list[dict]) -> list[Finding]:
    """The break-evens as findings, closest to the edge first (rank 1 is what to look at first)."""
    ranked = sorted(break_evens, key=lambda b: distance(b["current"], b["flips_at"]))
    out = []
    for rank, b in enumerate(ranked, start=1):
        finding, change, past = _finding(b)
        out.append(
            Finding(
                rank=rank,
                finding=finding,
                quantity=b["quantity"],
                now=b["current"],
                edge=b["flips_at"],
                unit=b["unit"],
                change=change,
                past_edge=past,
            )
        )
    return out
