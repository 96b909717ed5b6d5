"""Stage 6: the communication tax and the failure tax of the design (Sections 1.1, 1.6)."""

from __future__ import annotations

import math

from ceiling.agents.reading.fleet import stated_fleet
from ceiling.agents.schemas import StageDecision
from ceiling.agents.scoring import taxes as T
from ceiling.agents.scoring.capacity import prefill_tensor_parallel_s
from ceiling.agents.stages.citing import cite
from ceiling.agents.stages.evidence import TaxEvidence


def compute(state: dict) -> TaxEvidence:
    """Both taxes and their break-evens for the current design (no prose, for the critic too)."""
    facts, machine, design = state["facts"], state["machine"], state["design"]
    workload = facts.text("workload")
    stage1 = state["decisions"][1].evidence
    machines = 1 if design.single_machine else stage1.machines_needed
    if facts.spans_sites():
        comm = T.federated_round_comm(facts)
        # a site that fails drops out of a round; the round does not restart from a checkpoint
        failure = T.failure_tax(facts, int(facts.num("workers") or facts.num("parties")), training=False)
        break_evens = []
    elif workload == "training":
        workers = T.training_workers(facts, design, machines, machine)
        model_bytes = stage1.pressures["model"].need or 0.0
        comm = T.training_comm(facts, design, workers, machine, model_bytes)
        failure = T.failure_tax(facts, workers, training=True)
        break_evens = T.training_break_evens(facts, comm, workers)
    elif workload == "data_pipeline":
        nodes = 1 if design.single_machine else (design.workers or int(facts.num("workers") or machines))
        comm = T.shuffle_comm(facts, nodes, machine)
        failure = T.failure_tax(facts, nodes * machine.gpus if facts.num("workers") is None else nodes, training=False)
        break_evens = []
    else:
        tp_s = 0.0 if design.single_machine else prefill_tensor_parallel_s(facts, machine)[0]
        comm = T.serving_comm(facts, design, tp_s * 1000)
        failure = T.failure_tax(facts, serving_devices(facts, machines, machine.gpus), training=False)
        break_evens = T.serving_break_evens(facts, comm)
    return TaxEvidence(communication=comm, failure=failure, break_evens=break_evens, machines=machines)


def serving_devices(facts, machines: int, gpus_per_node: int) -> int:
    """The devices a service fails on: the fleet the text states, else the machines its need takes (their GPUs
    when it serves a model from GPU memory)."""
    on_gpus = bool(facts.num("model_params")) and not facts.flag("small_model")
    devices, nodes = stated_fleet(facts.num("workers"), facts.workers.quote, facts.num("devices_per_node"))
    if devices or nodes:
        return int(devices or nodes * ((facts.num("devices_per_node") or gpus_per_node) if on_gpus else 1))
    return machines * gpus_per_node if on_gpus else machines


def _hours(h: float) -> str:
    return f"{h:,.0f} h" if h >= 100 else f"{h:,.1f} h"  # "12,500 h", not "12,500.0 h"


def _per_day(rate: float) -> str:
    """Interruptions a day as people say them: "0.12 interruptions/day", or "about one every 526 days" for a small
    fleet whose rate would print as 0.00."""
    if rate <= 0:
        return "no interruptions expected"
    if rate < 0.01:
        return f"about one interruption every {1 / rate:,.0f} days"
    return f"{rate:,.2f} interruptions/day"


def _copies(n: int) -> str:
    return "1 copy" if n == 1 else f"{n:,} copies"


def _link(tax: TaxEvidence, gpus_per_node: int) -> str:
    """The link an all-reduce crosses, as the review names it (issue 24 part 4): words only, no new numbers."""
    comm = tax.communication
    if comm.inputs["workers"] <= gpus_per_node:
        return "over NVLink inside one node"
    if "two-level" in comm.formula:
        return "over NVLink inside each node and the inter-node fabric between them"
    return "over the inter-node fabric"


def _describe(tax: TaxEvidence, gpus_per_node: int) -> str:
    comm, failure = tax.communication, tax.failure
    if comm.kind == "fan-out":
        f, h = comm.inputs["fanout"], comm.inputs["hop_latency_ms"]
        text = (
            f"communication tax {f:g} x {h:g} ms = {comm.communication_ms:g} ms of the {comm.slo_ms:g} ms SLO, "
            f"{comm.budget_left_ms:g} ms left for compute"
        )
    elif comm.kind == "all-reduce":
        text = (
            f"communication tax {comm.communication_ms:,.2f} ms per step ({comm.formula}, {comm.inputs['workers']:.0f} "
            f"workers, {_link(tax, gpus_per_node)}) "
            f"against {comm.compute_ms:,.2f} ms of compute per worker per step"
        )
    elif comm.kind == "federated round":
        i = comm.inputs
        text = (
            f"each round moves the {i['update_bytes'] / 1e6:,.0f} MB update up and the new model down over each of "
            f"the {i['sites']:,.0f} sites' own {i['site_link_bytes_per_s'] * 8 / 1e9:g} Gb/s links: "
            f"{comm.communication_ms / 1000:,.2f} s per site per round, and "
            f"{i['aggregator_inbound_s_at_site_link']:,.1f} s for an aggregator on a link like theirs to take in "
            "every update; "
            + (
                "no round period is stated, so the round time is the tax to plan the rounds around"
                if comm.slo_ms is None
                else f"against the {comm.slo_ms / 1000:,.0f} s a round may take, "
                + (f"with {comm.compute_ms / 1000:,.0f} s of local training in it, " if comm.compute_ms else "")
                + (
                    ("OVER budget" if not comm.within_budget else f"{comm.budget_left_ms / 1000:,.1f} s to spare")
                    if comm.compute_ms
                    else f"{comm.budget_left_ms / 1000:,.1f} s are left for training"
                    if comm.within_budget
                    else "OVER budget"
                )
            )
        )
    else:
        text = (
            f"shuffle {comm.communication_ms / 1000:,.1f} s plus compute {comm.compute_ms / 1000:,.1f} s against the "
            "job window"
        )
    if comm.kind == "federated round":
        return text + (
            f". Failure tax: {failure.devices:,} sites, P(some site down in 24 h) {failure.p_any_down:.1%}, "
            f"{failure.interruptions_per_day:,.2f} site outages a day: a round must close with the sites that report, "
            "not wait for all of them."
        )
    text += f"; {'within' if comm.within_budget else 'OVER'} budget. "
    text += (
        f"Failure tax: {failure.devices:,} devices, fleet MTBF {_hours(failure.fleet_mtbf_h)}, P(some failure in 24 h) "
        f"{failure.p_any_down:.1%}, "
        f"{_per_day(failure.interruptions_per_day)}"
    )
    if failure.job_shorter_than_interval:
        text += (
            f"; the Daly interval ({failure.checkpoint_interval_s / 3600:,.1f} h) is longer than the whole job, so "
            "periodic checkpoints buy nothing: plan the restart instead (rerun from the start, or one checkpoint "
            "midway)"
        )
    elif failure.checkpoint_interval_s:
        text += (
            f"; checkpoint every {failure.checkpoint_interval_s:,.0f} s (Daly), {failure.wasted_fraction:.1%} of the "
            "run lost"
        )
    if failure.replicas_for_four_nines:
        text += (
            f"; {_copies(failure.replicas_for_four_nines)} of each replica "
            f"{'reaches' if failure.replicas_for_four_nines == 1 else 'reach'} 99.99% availability; run "
            f"N+{max(1, math.ceil(failure.interruptions_per_day))} replicas so the tail holds while one is replaced"
        )
    return text + "."


def _short(tax: TaxEvidence) -> str:
    comm, failure = tax.communication, tax.failure
    if comm.kind == "federated round" and comm.slo_ms is not None:
        text = (
            f"{comm.communication_ms / 1000:,.3g} s per {comm.kind} per site of the {comm.slo_ms / 1000:,.0f} s round"
        )
    elif comm.slo_ms is not None:
        text = f"{comm.communication_ms:g} ms of {comm.slo_ms:g} ms SLO ({comm.budget_left_ms:g} ms left)"
    elif comm.compute_ms is None:
        text = f"{comm.communication_ms / 1000:,.3g} s per {comm.kind} per site"
    else:
        text = f"{comm.communication_ms:,.4g} ms {comm.kind} vs {comm.compute_ms:,.4g} ms compute"
    return text + f"; P(failure in 24 h) {failure.p_any_down:.1%}" + ("" if comm.within_budget else "; OVER budget")


def decide(state: dict) -> StageDecision:
    tax = compute(state)
    metric = state["decisions"][5].answer
    why = f"Stage 5 optimizes {metric}, so the tax is budgeted against it: " + _describe(tax, state["machine"].gpus)
    return StageDecision(
        stage=6,
        name="tax",
        answer=_short(tax),
        justification=why,
        citations=cite(6, "within budget" if tax.communication.within_budget else "over budget"),
        evidence=tax,
    )
