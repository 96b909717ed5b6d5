"""Stage 5 truth table: which one metric the design optimizes.

Encodes Chapter 1.8, "1.8.1 The Checklist, Stage by Stage", Stage 5:
"Section 1.6 named four objectives in tension: throughput, latency, cost, and reliability. You cannot maximize
all four; the design must declare which one it optimizes and which it merely satisfies as a constraint. A
training pipeline optimizes throughput per dollar; an interactive assistant optimizes tail latency; a payments
system optimizes reliability and treats latency as a hard constraint."
Stage 4's mode definitions: "Batch processes a bounded dataset for maximum throughput with relaxed latency.
Streaming processes an unbounded feed with bounded latency."
The fraud example: "the dominant metric is tail latency (the p99 must hold), with reliability as a hard
constraint and cost a softer one" -- reliability there is a constraint, not the declared focus.

Reading of the flags: cost_focus / reliability_focus are the design's declaration of what it optimizes; a stated
SLO is a latency target, which is a constraint unless nothing else is declared.
"""

from __future__ import annotations

import pytest

from ceiling.agents.stages.metric_agent import choose

METRICS = {"throughput", "latency", "cost", "reliability"}

# (mode, cost_focus, reliability_focus, slo_stated) -> metric; all 4 x 2 x 2 x 2 combinations
ROWS = [
    # --- batch ---
    # "Batch processes a bounded dataset for maximum throughput"; "A training pipeline optimizes throughput per dollar"
    pytest.param("batch", False, False, False, "throughput", id="batch-none"),
    # chapter silent: an SLO on a batch job is a deadline; batch has "relaxed latency", so the SLO is a constraint
    # and throughput stays the objective
    pytest.param("batch", False, False, True, "throughput", id="batch-slo"),
    # "the design must declare which one it optimizes"; payments: "optimizes reliability"
    pytest.param("batch", False, True, False, "reliability", id="batch-rel"),
    # payments: "optimizes reliability and treats latency as a hard constraint"
    pytest.param("batch", False, True, True, "reliability", id="batch-rel-slo"),
    # chapter silent: names no cost-dominant example; the declared focus wins ("the design must declare which one")
    pytest.param("batch", True, False, False, "cost", id="batch-cost"),
    # chapter silent: declared cost focus; the deadline is a constraint
    pytest.param("batch", True, False, True, "cost", id="batch-cost-slo"),
    # chapter silent: two declared foci; "You cannot maximize all four" -- reliability first (a failed run costs
    # more than it saves), cost as the constraint
    pytest.param("batch", True, True, False, "reliability", id="batch-cost-rel"),
    # chapter silent: as above; reliability first, cost and the SLO as constraints
    pytest.param("batch", True, True, True, "reliability", id="batch-cost-rel-slo"),
    # --- streaming ---
    # chapter silent: no metric named for streaming. With no bound stated, "bounded latency" gives no number to
    # optimize against, while a feed that falls behind grows its backlog without limit: keeping up (throughput)
    # dominates; a stated bound makes it latency (next row)
    pytest.param("streaming", False, False, False, "throughput", id="streaming-none"),
    # "Streaming processes an unbounded feed with bounded latency" and the SLO states the bound
    pytest.param("streaming", False, False, True, "latency", id="streaming-slo"),
    # "the design must declare which one it optimizes"; payments: "optimizes reliability"
    pytest.param("streaming", False, True, False, "reliability", id="streaming-rel"),
    # payments: "optimizes reliability and treats latency as a hard constraint"
    pytest.param("streaming", False, True, True, "reliability", id="streaming-rel-slo"),
    # chapter silent: names no cost-dominant example; the declared focus wins
    pytest.param("streaming", True, False, False, "cost", id="streaming-cost"),
    # chapter silent: declared cost focus; the latency bound becomes a constraint, as in the payments sentence
    pytest.param("streaming", True, False, True, "cost", id="streaming-cost-slo"),
    # chapter silent: two declared foci -- reliability first, cost as the constraint
    pytest.param("streaming", True, True, False, "reliability", id="streaming-cost-rel"),
    # chapter silent: two declared foci -- reliability first, cost and latency as constraints
    pytest.param("streaming", True, True, True, "reliability", id="streaming-cost-rel-slo"),
    # --- online ---
    # chapter silent: no metric named for online; with no latency target, absorbing every arriving example is
    # the objective -> throughput
    pytest.param("online", False, False, False, "throughput", id="online-none"),
    # chapter silent: a stated SLO on model freshness is a latency objective when nothing else is declared
    pytest.param("online", False, False, True, "latency", id="online-slo"),
    # "the design must declare which one it optimizes"; payments: "optimizes reliability"
    pytest.param("online", False, True, False, "reliability", id="online-rel"),
    # payments: "optimizes reliability and treats latency as a hard constraint"
    pytest.param("online", False, True, True, "reliability", id="online-rel-slo"),
    # chapter silent: names no cost-dominant example; the declared focus wins
    pytest.param("online", True, False, False, "cost", id="online-cost"),
    # chapter silent: declared cost focus; the SLO is a constraint
    pytest.param("online", True, False, True, "cost", id="online-cost-slo"),
    # chapter silent: two declared foci -- reliability first, cost as the constraint
    pytest.param("online", True, True, False, "reliability", id="online-cost-rel"),
    # chapter silent: two declared foci -- reliability first, cost and latency as constraints
    pytest.param("online", True, True, True, "reliability", id="online-cost-rel-slo"),
    # --- interactive ---
    # "an interactive assistant optimizes tail latency"; "Interactive answers a user within a human-perceptible budget"
    pytest.param("interactive", False, False, False, "latency", id="interactive-none"),
    # fraud example: "the dominant metric is tail latency (the p99 must hold)"
    pytest.param("interactive", False, False, True, "latency", id="interactive-slo-fraud"),
    # "a payments system optimizes reliability" -- an interactive system can declare reliability
    pytest.param("interactive", False, True, False, "reliability", id="interactive-rel"),
    # "a payments system optimizes reliability and treats latency as a hard constraint"
    pytest.param("interactive", False, True, True, "reliability", id="interactive-rel-slo-payments"),
    # chapter silent on cost-first interactive designs; "an interactive assistant optimizes tail latency": a person
    # waits on every answer, so cost is satisfied as a constraint (unlike reliability, which payments put first)
    pytest.param("interactive", True, False, False, "latency", id="interactive-cost"),
    # as above, with the SLO stated
    pytest.param("interactive", True, False, True, "latency", id="interactive-cost-slo"),
    # chapter silent: two declared foci -- reliability first, cost as the constraint
    pytest.param("interactive", True, True, False, "reliability", id="interactive-cost-rel"),
    # chapter silent: two declared foci -- reliability first, cost and latency as constraints
    pytest.param("interactive", True, True, True, "reliability", id="interactive-cost-rel-slo"),
]


@pytest.mark.parametrize(("mode", "cost_focus", "reliability_focus", "slo_stated", "expected"), ROWS)
def test_dominant_metric(mode: str, cost_focus: bool, reliability_focus: bool, slo_stated: bool, expected: str) -> None:
    metric, reason = choose(mode, cost_focus, reliability_focus, slo_stated)
    assert metric in METRICS
    assert isinstance(reason, str) and reason.strip()
    assert metric == expected
