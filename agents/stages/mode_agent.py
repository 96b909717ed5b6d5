"""Stage 4: the processing mode the product dictates (Section 1.5)."""

from __future__ import annotations

from ceiling.agents.schemas import StageDecision
from ceiling.agents.stages.citing import cite
from ceiling.agents.stages.evidence import ModeEvidence

_REASON = {
    "online": "the model updates itself from each arriving example",
    "streaming": "work arrives as an unbounded feed that must be processed with bounded latency, and no user waits on "
    "each item",
    "interactive": "a user (or a transaction) waits for each answer inside a human-perceptible budget",
    "batch": "the work is a bounded dataset processed for throughput with relaxed latency",
}


def choose(arrival: str | None, online_updates: bool, workload: str | None) -> str:
    if online_updates or arrival == "per_example_update":  # "updates the model itself from each arriving example"
        return "online"
    if arrival == "feed":
        return "streaming"
    # nothing known of the arrival: a service, or a text whose workload is unread, is taken as interactive, the
    # safe side of "the classic error of building a batch system for an interactive requirement"
    if arrival == "request" or (arrival in (None, "unknown") and workload in ("serving", "agents", None)):
        return "interactive"
    return "batch"


def decide(state: dict) -> StageDecision:
    facts = state["facts"]
    mode = choose(facts.text("arrival"), bool(facts.flag("online_updates")), facts.text("workload"))
    topology = state["decisions"][3].answer
    slo = facts.num("slo")
    why = (
        f"The mode follows the product, not the {topology} topology of stage 3: {_REASON[mode]}"
        + (
            f' (arrival read from: "{facts.arrival.quote}")'
            if facts.arrival.quote
            else " (assumed: " + (facts.arrival.assumption or "") + ")"
        )
        + (
            f"; the budget is {slo:g} ms {facts.text('slo_percentile') or ''}"
            + (" (assumed: the text states none, so state it)" if facts.slo.assumed else "")
            if mode in ("interactive", "streaming") and slo
            else ""
        )
        + "."
    )
    evidence = ModeEvidence(
        arrival=facts.text("arrival"),
        model_updates_per_example=bool(facts.flag("online_updates")),
        workload=facts.text("workload"),
        slo_ms=slo,
    )
    return StageDecision(
        stage=4, name="mode", answer=mode, justification=why, citations=cite(4, mode), evidence=evidence
    )
