"""Stage 6 truth table: the communication tax against the latency budget.

Encodes Chapter 1.8, Code 1.8.1 and Output 1.8.1 (the fraud service), Exercise 1.8.2 and Stage 6 of
"1.8.1 The Checklist, Stage by Stage":
Code 1.8.1: "per-request fan-out of F feature lookups, each a network hop of latency alpha ...
comm_tax_ms = F * alpha_ms ... budget_left = slo_ms - comm_tax_ms".
Output 1.8.1: "the per-request communication tax of 2.4 ms leaves 17.6 ms of the 20 ms budget for compute, so the
design is comfortably feasible."
Exercise 1.8.2: "sweep the feature-store fan-out F from 1 to 80 while holding the SLO at 20 ms. Find the fan-out
at which the communication tax consumes the entire latency budget, the point where stage 6 sends you back to
stage one."
Stage 1: "If none binds, the correct design is a single machine".
"""

from __future__ import annotations

import pytest

from ceiling.agents.scoring.formulas import budget_left_ms, comm_tax_ms, design, fanout_break_point

FRAUD_AXES = {
    "data": 0.30,
    "training": 0.40,
    "model": 0.10,
    "inference": 0.95,
    "coordination": 0.55,
    "intelligence": 0.05,
}
OUTPUT_1_8_1 = [
    "dominant ceiling      : throughput (pressure 0.95)",
    "axes to distribute    : inference, coordination",
    "comm tax per request  : 2.4 ms of 20 ms SLO",
    "compute budget left   : 17.6 ms",
    "verdict               : scale OUT inference, replicate; keep model on one node",
]
SCALE_OUT = "scale OUT inference, replicate; keep model on one node"


def test_fraud_output_verbatim() -> None:
    # Output 1.8.1, line for line
    assert design(FRAUD_AXES, 20.0, 6, 0.4).lines() == OUTPUT_1_8_1


def test_fraud_verdict_fields() -> None:
    # Output 1.8.1: "Throughput is the binding ceiling, so inference is the axis to distribute, with cluster
    # coordination second; the per-request communication tax of 2.4 ms leaves 17.6 ms ... comfortably feasible"
    v = design(FRAUD_AXES, 20.0, 6, 0.4)
    assert v.binding == "throughput"
    assert v.binding_pressure == pytest.approx(0.95)
    assert tuple(v.top_axes) == ("inference", "coordination")
    assert v.comm_tax_ms == pytest.approx(2.4)
    assert v.slo_ms == pytest.approx(20.0)
    assert v.budget_left_ms == pytest.approx(17.6)
    assert v.feasible is True
    assert v.verdict == SCALE_OUT


# (fanout, alpha_ms) -> tax ms = F x alpha
TAX_ROWS = [
    # Code 1.8.1: "comm_tax_ms = F * alpha_ms" with F = 6, alpha = 0.4 -> "2.4 ms" (Output 1.8.1)
    pytest.param(6, 0.4, 2.4, id="fraud"),
    # Exercise 1.8.2: the sweep starts at F = 1 -> one hop
    pytest.param(1, 0.4, 0.4, id="F1"),
    # Exercise 1.8.2: the fan-out where the tax "consumes the entire latency budget" of 20 ms
    pytest.param(50, 0.4, 20.0, id="F50-whole-budget"),
    # Exercise 1.8.2: the sweep ends at F = 80
    pytest.param(80, 0.4, 32.0, id="F80"),
    # chapter silent: F = 0 lookups is no network hop, so no tax (F x alpha = 0)
    pytest.param(0, 0.4, 0.0, id="F0"),
    # Code 1.8.1: linear in alpha -- a 1 ms hop costs F ms
    pytest.param(6, 1.0, 6.0, id="alpha1"),
]


@pytest.mark.parametrize(("fanout", "alpha_ms", "expected"), TAX_ROWS)
def test_comm_tax(fanout: int, alpha_ms: float, expected: float) -> None:
    assert comm_tax_ms(fanout, alpha_ms) == pytest.approx(expected)


# (slo_ms, tax_ms) -> budget left = SLO - tax
BUDGET_ROWS = [
    # Output 1.8.1: "2.4 ms of 20 ms SLO" -> "compute budget left : 17.6 ms"
    pytest.param(20.0, 2.4, 17.6, id="fraud"),
    # Exercise 1.8.2: the tax "consumes the entire latency budget" -> nothing left
    pytest.param(20.0, 20.0, 0.0, id="whole-budget"),
    # Code 1.8.1 "budget_left = slo_ms - comm_tax_ms": past the break point the budget goes negative (F = 80)
    pytest.param(20.0, 32.0, -12.0, id="overdrawn"),
    # Code 1.8.1: no tax leaves the whole SLO
    pytest.param(20.0, 0.0, 20.0, id="no-tax"),
]


@pytest.mark.parametrize(("slo_ms", "tax_ms", "expected"), BUDGET_ROWS)
def test_budget_left(slo_ms: float, tax_ms: float, expected: float) -> None:
    assert budget_left_ms(slo_ms, tax_ms) == pytest.approx(expected)


# (slo_ms, alpha_ms) -> F* = SLO / alpha, where F* x alpha = SLO
BREAK_ROWS = [
    # Exercise 1.8.2: SLO 20 ms, the fraud service's 0.4 ms hop -> F* = 50
    pytest.param(20.0, 0.4, 50.0, id="exercise-1.8.2"),
    # Exercise 1.8.2 with 1 ms hops: the tax F x 1 ms eats 20 ms at F = 20
    pytest.param(20.0, 1.0, 20.0, id="slow-hop"),
    # Exercise 1.8.2 with a halved SLO: the break point halves
    pytest.param(10.0, 0.4, 25.0, id="half-slo"),
    # Output 1.8.1's own tax as the SLO: 6 lookups of 0.4 ms consume exactly 2.4 ms
    pytest.param(2.4, 0.4, 6.0, id="fraud-tax-as-slo"),
]


@pytest.mark.parametrize(("slo_ms", "alpha_ms", "expected"), BREAK_ROWS)
def test_fanout_break_point(slo_ms: float, alpha_ms: float, expected: float) -> None:
    f_star = fanout_break_point(slo_ms, alpha_ms)
    assert f_star == pytest.approx(expected)
    # "the fan-out at which the communication tax consumes the entire latency budget"
    assert comm_tax_ms(f_star, alpha_ms) == pytest.approx(slo_ms)
    assert budget_left_ms(slo_ms, comm_tax_ms(f_star, alpha_ms)) == pytest.approx(0.0, abs=1e-9)


# Exercise 1.8.2 sweep, SLO 20 ms, alpha 0.4 ms: fanout -> (budget left, feasible)
SWEEP_ROWS = [
    # Exercise 1.8.2: "sweep the feature-store fan-out F from 1 to 80" -- F = 1 leaves 19.6 ms
    pytest.param(1, 19.6, True, id="F1"),
    # Output 1.8.1: "leaves 17.6 ms of the 20 ms budget ... comfortably feasible"
    pytest.param(6, 17.6, True, id="F6-fraud"),
    # Code 1.8.1 arithmetic: 25 x 0.4 = 10 ms tax, half the budget left
    pytest.param(25, 10.0, True, id="F25"),
    # the last fan-out below the break point: 0.4 ms left, the tax still leaves budget
    pytest.param(49, 0.4, True, id="F49"),
    # Exercise 1.8.2: the tax "consumes the entire latency budget" -- nothing left for compute, not feasible
    pytest.param(50, 0.0, False, id="F50-break"),
    # past the break point: "more machines make the system slower" -- overdrawn, not feasible
    pytest.param(51, -0.4, False, id="F51"),
    # past the break point, overdrawn by 4 ms
    pytest.param(60, -4.0, False, id="F60"),
    # Exercise 1.8.2: the end of the sweep, F = 80 -> 32 ms tax, 12 ms overdrawn
    pytest.param(80, -12.0, False, id="F80"),
]


@pytest.mark.parametrize(("fanout", "budget", "feasible"), SWEEP_ROWS)
def test_design_sweep(fanout: int, budget: float, feasible: bool) -> None:
    v = design(FRAUD_AXES, 20.0, fanout, 0.4)
    assert v.comm_tax_ms == pytest.approx(fanout * 0.4)
    assert v.budget_left_ms == pytest.approx(budget, abs=1e-9)
    assert v.feasible is feasible


@pytest.mark.parametrize("fanout", [pytest.param(f, id=f"F{f}") for f in (50, 60, 80)])
def test_infeasible_tax_does_not_keep_the_scale_out_verdict(fanout: int) -> None:
    # Exercise 1.8.2: once the tax consumes the budget it is "the point where stage 6 sends you back to stage one";
    # Stage 6: "you must loop back to stage one with fewer workers" -- so the feasible verdict cannot stand
    v = design(FRAUD_AXES, 20.0, fanout, 0.4)
    assert v.feasible is False
    assert v.verdict != SCALE_OUT


# ceilings -> (binding, may the verdict be the scale-out-inference one?)
CEILING_ROWS = [
    # Code 1.8.1: 'verdict ... "scale OUT inference ..." if binding == "throughput" else "reconsider"' (data binds)
    pytest.param({"data": 0.90, "model": 0.10, "throughput": 0.30}, "data", False, id="data-binds"),
    # Code 1.8.1: the verdict is "reconsider" unless throughput binds (model binds)
    pytest.param({"data": 0.30, "model": 0.90, "throughput": 0.30}, "model", False, id="model-binds"),
    # Output 1.8.1: explicit ceilings equal to the chapter's default give the chapter's verdict
    pytest.param({"data": 0.30, "model": 0.10, "throughput": 0.95}, "throughput", True, id="fraud-explicit"),
    # Code 1.8.1 itself takes a bare argmax ("binding = max(ceilings, key=ceilings.get)"), and design() reproduces
    # that code: the first of equal ceilings. The review's own stage 1 names none below 0.5 (test_stage1_ceiling_rule)
    pytest.param({"data": 0.20, "model": 0.20, "throughput": 0.20}, "data", False, id="flat-argmax-as-code-1-8-1"),
]


@pytest.mark.parametrize(("ceilings", "expected_binding", "scale_out_allowed"), CEILING_ROWS)
def test_design_ceilings(ceilings: dict[str, float], expected_binding: str, scale_out_allowed: bool) -> None:
    v = design(FRAUD_AXES, 20.0, 6, 0.4, ceilings=ceilings)
    assert v.binding == expected_binding
    assert (v.verdict == SCALE_OUT) is scale_out_allowed


def test_a_federated_round_holds_its_local_training_and_the_transfer_in_the_window_over_its_rounds():
    """Phrasings of no eval case: the round's budget is the window over its rounds; its local training counts."""
    from ceiling.graph.workflow import run

    text = (
        "Eight banks train a fraud model together; no bank may share raw data. The 200M-parameter model is exchanged "
        "in bf16 (400 MB per update). Each bank's uplink is 100 Mb/s. We run 48 rounds across a 12-hour overnight "
        "window, and one round of local training takes about {} minutes."
    )
    fits = run(text.format(10))
    assert (fits["facts"].num("rounds"), fits["facts"].num("round_compute")) == (48, 600)
    tax = fits["decisions"][6].evidence.communication
    assert (tax.slo_ms, tax.compute_ms, tax.within_budget) == (900_000, 600_000, True)
    assert tax.budget_left_ms == pytest.approx(900_000 - 600_000 - tax.communication_ms)
    over = run(text.format(20))["decisions"][6]
    assert not over.evidence.communication.within_budget
    assert "with 1,200 s of local training in it, OVER budget" in over.justification


def test_an_infeasible_design_the_critic_cannot_fix_is_not_said_to_be_accepted():
    from ceiling.graph.workflow import run

    state = run(
        "Eight banks train a fraud model together; no bank may share raw data. The 200M-parameter model is exchanged "
        "in bf16 (400 MB per update). Each bank's uplink is 100 Mb/s. We run 48 rounds across a 12-hour overnight "
        "window, and one round of local training takes about 20 minutes."
    )
    assert not state["review"].feasible and not state["review"].trace
    trace = state["markdown"].split("## Critic loop trace", 1)[1].split("##", 1)[0]
    assert "accepted" not in trace and "no change that makes the design hold" in trace
