"""Stage 5: the one metric the design optimizes; the others become constraints (Section 1.6)."""

from __future__ import annotations

from ceiling.agents.schemas import StageDecision
from ceiling.agents.stages.citing import cite
from ceiling.agents.stages.evidence import MetricEvidence


def choose(mode: str, cost_focus: bool, reliability_focus: bool, slo_stated: bool) -> tuple[str, str]:
    if mode == "interactive":
        if reliability_focus:
            return (
                "reliability",
                "an interactive system whose failures are unacceptable optimizes reliability and treats latency as a "
                "hard constraint",
            )
        return "latency", "an interactive answer optimizes tail latency; cost and throughput become constraints"
    if mode in ("streaming", "online"):
        if reliability_focus:
            return "reliability", "a feed that must never lose an event optimizes reliability"
        if cost_focus:  # the design declares its metric (Stage 5); a latency bound it states becomes a constraint
            return (
                "cost",
                "a feed the text says must be cheap optimizes cost; keeping up and its latency bound are constraints",
            )
        if slo_stated:
            return "latency", "the feed has a stated latency bound, so freshness (latency) is what is optimized"
        return "throughput", "an unbounded feed with no stated latency bound must above all keep up: throughput"
    if reliability_focus:  # a job that must never lose a record declares reliability, whatever its mode
        return "reliability", "a job whose failures are unacceptable optimizes reliability; throughput is a deadline"
    if cost_focus:
        return (
            "cost",
            "a batch job the text says must be cheap optimizes cost; throughput becomes a deadline constraint",
        )
    return "throughput", "a bounded batch job optimizes throughput per dollar; latency is relaxed"


def _slo_stated(facts) -> bool:
    """The text gives a latency bound: stated outright, or picked from two the text states
    (a quote but a note); a vague reading ("read 'a few' as 3") counts as unstated, as do defaults."""
    slo = facts.slo
    if facts.num("slo") is None:
        return False
    return not slo.assumed or (slo.quote is not None and not (slo.assumption or "").startswith("read "))


def decide(state: dict) -> StageDecision:
    facts = state["facts"]
    mode = state["decisions"][4].answer
    inputs = MetricEvidence(
        mode=mode,
        cost_focus=bool(facts.flag("cost_focus")),
        reliability_focus=bool(facts.flag("reliability_focus")),
        slo_stated=_slo_stated(facts),
    )
    metric, reason = choose(inputs.mode, inputs.cost_focus, inputs.reliability_focus, inputs.slo_stated)
    why = f"Stage 4 set the mode to {mode}, so {reason}."
    return StageDecision(
        stage=5, name="metric", answer=metric, justification=why, citations=cite(5, metric), evidence=inputs
    )
