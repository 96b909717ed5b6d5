"""The verdict in one sentence, answering what the text asks ("does this hold up or do I need to ask for more
boxes?"), from the same checks as `feasible`: the fleet the text states against the need, then the budgets.

Example: 64 H100s (8 nodes) for a service whose prefill alone needs 107 nodes give "It does not hold on the
fleet stated: the throughput ceiling needs about 107 nodes (prefill alone 107, decode alone 49); the design
states 8, short by 99 (13.4x what it has)."
"""

from __future__ import annotations

import re

from ceiling.agents.review import prose
from ceiling.agents.scoring.capacity import FleetNeed

QUESTION_CHARS = 240  # a question quoted back is one line, never a paragraph of the text
# a sentence and its end, matched one after another (linear: a run with no end is scanned once, not from each start)
_SENTENCE = re.compile(r"[^.!?\n]*[.!?\n]?")
# A question about whether the design holds, as people ask it; one about a choice ("Kafka or Pulsar?") is not
# answered by a verdict and is left alone.
_ABOUT_FIT = re.compile(
    r"\b(hold(s)?( up)?|enough|fits?|scales?|work(s)?|feasible|viable|keep up|handle|cope|sufficient|realistic"
    r"|more (boxes|machines|nodes|gpus|servers|hardware|capacity|budget)|need more|(is|are) (this|it|we) (ok|okay|fine)"
    r"|over[\s-]?(provisioned|kill)|under[\s-]?provisioned"
    # as people ask it in chat: "does 16 GPUs get us there or am I kidding myself?", "will it survive launch day?"
    r"|get (us|me|you|them) there|kidding (myself|ourselves)|make it|survive|cut it|good enough|pull (this|it) off"
    r"|(is|are) (this|that|it) (sane|crazy|reasonable|doable))\b",
    re.IGNORECASE,
)


def question_asked(description: str) -> str | None:
    """The last question of the text about whether the design holds, or None."""
    sentences = _SENTENCE.findall(description or "")
    questions = [q.strip(" \t*_>#-") for q in sentences if q.endswith("?")]
    about_fit = [q for q in questions if _ABOUT_FIT.search(q) and len(q) <= QUESTION_CHARS]
    return about_fit[-1] if about_fit else None


def one_sentence(
    feasible: bool,
    why_not: str | None,
    capacity: list[FleetNeed],
    ceiling: str,
    machines_needed: int,
    machine_name: str,
    budget_left_ms: float | None,
    slo_ms: float | None,
    sites: int | None = None,
    agents: int | None = None,
    devices_stated: float | None = None,
    machine_devices: int = 8,
) -> str:
    """The answer: does it hold, on what, and if not, by how much it falls short (the first check that fails)."""
    short = [need for need in capacity if need.short]
    if short:
        worst = max(short, key=lambda need: need.needed / need.stated)
        also = f"; also, {why_not}" if why_not else ""
        return (
            f"It does not hold on the fleet stated: {'; '.join(need.sentence() for need in short)} "
            f"({prose.number(worst.needed / worst.stated, 3)}x what it has){also}."
        )
    if not feasible:
        return f"It does not hold as designed: {why_not}."
    budget = ""
    if slo_ms and budget_left_ms is not None:
        left, slo = prose.quantity(budget_left_ms, "ms"), prose.quantity(slo_ms, "ms")
        budget = (
            f", with {left} of the {slo} budget left after communication"
            if budget_left_ms >= 0
            else f", once the critic's change is made: as described, communication alone overruns the {slo} budget "
            f"by {prose.quantity(-budget_left_ms, 'ms')}"
        )
    if sites:  # a legal boundary: the data stays where it is, whatever the machines
        return f"It holds as a design across the {sites:,} sites that keep their own data{budget}."
    if ceiling == "none" and agents:  # intelligence is distributed whatever the machines (Section 1.8.1, Stage 2)
        return (
            f"It holds on one machine ({machine_name}): no ceiling binds; the {agents:,} agents share it, and only "
            f"their reasoning is distributed{budget}."
        )
    if ceiling == "none" and devices_stated and devices_stated > machine_devices:  # planned more than one machine
        return (
            f"It holds on one machine ({machine_name}): no ceiling binds, so the {devices_stated:,.0f} workers the "
            f"text plans are more than one such machine's {machine_devices}, and more than it needs{budget}."
        )
    if ceiling == "none":
        return f"It holds on one machine ({machine_name}): no ceiling binds, so nothing needs distributing{budget}."
    if capacity:
        unlike = any(need.unlike_reference and not need.counted_in and need.unit == "nodes" for need in capacity)
        lead = "It holds if its nodes are as strong as the reference" if unlike else "It holds on the fleet stated"
        return f"{lead}: {'; '.join(need.sentence() for need in capacity)}{budget}."
    return (
        f"It holds on about {prose.plural(machines_needed, 'machine')} like the reference ({machine_name}; the text "
        f"states no fleet){budget}."
    )
