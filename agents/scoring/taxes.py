"""Stage 6 arithmetic: the communication tax and the failure tax of one design, with the
break-even value of every input (the value at which the verdict would flip). Pure functions."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ceiling.agents.scoring import formulas as scoring
from ceiling.agents.scoring.reference import ReferenceMachine

if TYPE_CHECKING:  # the schemas import this module (stage evidence holds the taxes): no import back at run time
    from ceiling.agents.schemas import SystemFacts

WASTE_BUDGET = 0.10  # failure tax budget for training: at most 10% of the run lost to failures
SERVING_MTTR_H = 1.0  # time to replace a dead serving replica
LARGE_FLEET_DEVICES = 16


class Design(BaseModel):
    """What the critic may change between loops; None means "as described"."""

    fanout: float | None = None
    hop_latency_ms: float | None = None
    workers: int | None = None
    collective: str = "ring"
    single_machine: bool = False
    changes: list[str] = Field(default_factory=list)


class BreakEven(BaseModel):
    quantity: str
    current: float | None  # None: the text gives no value (a ceiling's input it never states)
    flips_at: float
    unit: str
    meaning: str
    assumed: bool = False


class CommunicationTax(BaseModel):
    kind: str  # "fan-out" | "all-reduce" | "shuffle" | "federated round" | "none"
    communication_ms: float
    slo_ms: float | None
    budget_left_ms: float | None
    within_budget: bool
    compute_ms: float | None = None
    formula: str
    inputs: dict[str, float] = Field(default_factory=dict)


class FailureTax(BaseModel):
    devices: int
    fleet_mtbf_h: float
    p_any_down: float
    interruptions_per_day: float
    checkpoint_interval_s: float | None = None
    young_interval_s: float | None = None
    wasted_fraction: float | None = None
    replicas_for_four_nines: int | None = None
    large_fleet: bool
    within_budget: bool
    job_shorter_than_interval: bool | None = None  # a job that ends before its first checkpoint needs a restart plan


def serving_comm(facts: SystemFacts, design: Design, tensor_parallel_ms: float = 0.0) -> CommunicationTax:
    """The lookups on the request path (F x alpha) and, for an LLM replica split over GPUs, the tensor-parallel
    all-reduces of its prompt (capacity.prefill_tensor_parallel_s), against the SLO."""
    fanout = design.fanout if design.fanout is not None else facts.num("fanout") or 0.0
    hop = design.hop_latency_ms if design.hop_latency_ms is not None else facts.num("hop_latency") or 0.0
    if design.single_machine:
        fanout, hop = fanout, 0.0
    slo = facts.num("slo")
    tax = scoring.comm_tax_ms(fanout, hop) + tensor_parallel_ms
    left = scoring.budget_left_ms(slo, tax) if slo is not None else None
    service = facts.num("service_time")
    within = left is not None and left > 0 and (service is None or service <= left)
    return CommunicationTax(
        kind="fan-out",
        communication_ms=round(tax, 6),
        slo_ms=slo,
        budget_left_ms=None if left is None else round(left, 6),
        within_budget=within,
        compute_ms=service,
        formula="F x alpha (sequential lookups)"
        + (" + the replica's tensor-parallel all-reduces of the prompt" if tensor_parallel_ms else ""),
        inputs={"fanout": fanout, "hop_latency_ms": hop}
        | ({"tensor_parallel_ms": round(tensor_parallel_ms, 3)} if tensor_parallel_ms else {}),
    )


def training_workers(facts: SystemFacts, design: Design, machines: int, machine: ReferenceMachine) -> int:
    if design.single_machine:
        return machine.gpus
    if design.workers is not None:
        return design.workers
    return int(facts.num("workers") or machines * machine.gpus)


def allreduce_s(
    design: Design, workers: int, message: float, bandwidth: float, alpha: float, machine: ReferenceMachine
) -> float:
    if design.collective == "two-level" and workers > machine.gpus:
        nodes = math.ceil(workers / machine.gpus)
        return scoring.two_level_allreduce_s(
            nodes, machine.gpus, message, machine.intra_bandwidth_bytes_per_s, machine.intra_alpha_s, bandwidth, alpha
        )
    if workers <= machine.gpus:  # inside one node the ring runs over NVLink
        bandwidth, alpha = machine.intra_bandwidth_bytes_per_s, machine.intra_alpha_s
    return scoring.ALLREDUCE_ALGORITHMS.get(design.collective, scoring.ring_allreduce_s)(
        workers, message, bandwidth, alpha
    )


def model_parallel_degree(model_bytes: float, gpu_memory: float, workers: int) -> int:
    """GPUs one model copy is sharded over (a power of two), 1 when it fits one accelerator."""
    if model_bytes <= gpu_memory or workers <= 1:
        return 1
    return min(2 ** math.ceil(math.log2(model_bytes / gpu_memory)), workers)


def training_comm(
    facts: SystemFacts, design: Design, workers: int, machine: ReferenceMachine, model_bytes: float = 0.0
) -> CommunicationTax:
    """Data-parallel gradient all-reduce per step vs the compute it enables (C/N).

    When the model is sharded over `mp` GPUs, each data-parallel rank all-reduces only its
    1/mp of the gradient, across workers/mp ranks (the usual FSDP/3D-parallel layout)."""
    compute = facts.num("step_compute") or 0.0
    gradient, bandwidth, alpha = facts.num("gradient_size") or 0.0, facts.num("bandwidth"), facts.num("link_latency")
    stated = int((facts.num("tensor_parallel") or 1) * (facts.num("pipeline_parallel") or 1))
    # the layout the text states decides the data-parallel ranks; otherwise the split the model's size needs
    mp = (
        min(stated, max(workers, 1))
        if stated > 1
        else model_parallel_degree(model_bytes, facts.num("gpu_memory") or machine.gpu_memory_bytes, workers)
    )
    ranks, message = max(workers // mp, 1), gradient / mp
    comm = allreduce_s(design, ranks, message, bandwidth, alpha, machine) if ranks > 1 else 0.0
    per_worker = compute / max(workers, 1)
    layout = f" over {ranks} data-parallel ranks, each holding 1/{mp} of the gradient" if mp > 1 else ""
    return CommunicationTax(
        kind="all-reduce",
        communication_ms=round(comm * 1000, 4),
        slo_ms=None,
        budget_left_ms=round((per_worker - comm) * 1000, 4),
        within_budget=comm <= per_worker,
        compute_ms=round(per_worker * 1000, 4),
        formula=f"{design.collective} all-reduce of the gradient{layout} vs compute C/N per step",
        inputs={
            "workers": workers,
            "gradient_bytes": gradient,
            "bandwidth_bytes_per_s": bandwidth,
            "alpha_s": alpha,
            "step_compute_s": compute,
            "model_parallel": mp,
        },
    )


def round_period(facts: SystemFacts) -> float | None:
    """The time one round may take, s: stated, or the window over the rounds it must hold ("24 rounds a night, between
    midnight and six": 15 minutes)."""
    stated, window, rounds = facts.num("round_period"), facts.num("deadline"), facts.num("rounds")
    return stated if stated is not None else (window / rounds if window and rounds else None)


def federated_round_comm(facts: SystemFacts) -> CommunicationTax:
    """One round of training across sites whose data stays home, over the slowest link a round crosses: each site's
    update up and the new model down over its own link, and every site's update into the aggregator when the text
    states its link too (the fastest link stated; the sites' is the slowest). No round period is read, so the round
    time is the tax to budget, not a verdict; a stated round period ("a new global model every ten minutes") is the
    budget the round's transfer must fit."""
    update = facts.num("gradient_size") or 0.0
    sites = int(facts.num("parties") or 0)
    site_link, latency = facts.num("bandwidth"), facts.num("link_latency") or 0.0
    per_site = scoring.site_round_s(update, site_link, latency)
    period = round_period(facts)
    local = facts.num("round_compute")  # a site's training in a round: the transfer's budget is what it leaves
    return CommunicationTax(
        kind="federated round",
        communication_ms=round(per_site * 1000, 3),
        slo_ms=None if period is None else period * 1000,
        budget_left_ms=None if period is None else round((period - per_site - (local or 0.0)) * 1000, 3),
        within_budget=period is None or per_site + (local or 0.0) <= period,
        compute_ms=None if local is None else local * 1000,
        formula="each site's update up and the new model down over its own link: 2 x (update / link + latency)",
        inputs={
            "sites": sites,
            "update_bytes": update,
            "site_link_bytes_per_s": site_link,
            "latency_s": latency,
            "aggregator_inbound_s_at_site_link": scoring.aggregator_inbound_s(sites, update, site_link),
        },
    )


def shuffle_comm(facts: SystemFacts, workers: int, machine: ReferenceMachine) -> CommunicationTax:
    size, deadline = facts.num("data_size") or 0.0, facts.num("deadline")
    bandwidth = facts.num("bandwidth") or machine.inter_bandwidth_bytes_per_s
    nodes = max(workers, 1)
    shuffle_s = size * (nodes - 1) / nodes / nodes / bandwidth if nodes > 1 else 0.0
    compute_s = size / machine.scan_bytes_per_s / nodes
    left = (deadline - compute_s - shuffle_s) if deadline else None
    return CommunicationTax(
        kind="shuffle",
        communication_ms=round(shuffle_s * 1000, 3),
        slo_ms=None,
        budget_left_ms=None if left is None else round(left * 1000, 3),
        within_budget=left is None or left > 0,
        compute_ms=round(compute_s * 1000, 3),
        formula="one all-to-all shuffle of the data across N nodes vs the job window",
        inputs={"nodes": nodes, "data_bytes": size, "bandwidth_bytes_per_s": bandwidth},
    )


def failure_tax(facts: SystemFacts, devices: int, training: bool) -> FailureTax:
    mtbf_h = facts.num("mtbf") or 50_000.0
    fleet = scoring.fleet_mtbf_h(mtbf_h, max(devices, 1))
    p_day = scoring.p_failure_within(24.0, fleet)
    result = FailureTax(
        devices=devices,
        fleet_mtbf_h=round(fleet, 4),
        p_any_down=round(p_day, 4),
        interruptions_per_day=round(24.0 / fleet, 4),
        large_fleet=devices >= LARGE_FLEET_DEVICES,
        within_budget=True,
    )
    delta = facts.num("checkpoint_write") or 0.0
    if training and delta > 0:
        mtbf_s = fleet * 3600
        daly = scoring.daly_interval_s(delta, mtbf_s)
        waste = scoring.wasted_fraction(delta, daly, mtbf_s)
        result.checkpoint_interval_s = round(daly, 2)
        result.young_interval_s = round(scoring.young_interval_s(delta, mtbf_s), 2)
        result.wasted_fraction = round(waste, 4)
        result.within_budget = waste <= WASTE_BUDGET
        job_s = facts.num("deadline")
        if job_s and job_s < daly:
            result.job_shorter_than_interval = True
    else:
        a = scoring.availability(mtbf_h, SERVING_MTTR_H)
        result.replicas_for_four_nines = scoring.replicas_for_availability(a, 0.9999)
    return result


def _bisect(f, low: float, high: float, steps: int = 200) -> float:
    """x in [low, high] where f changes sign (f increasing)."""
    for _ in range(steps):
        mid = math.sqrt(low * high) if low > 0 else (low + high) / 2
        if f(mid) > 0:
            high = mid
        else:
            low = mid
    return high


def serving_break_evens(facts: SystemFacts, tax: CommunicationTax) -> list[BreakEven]:
    """Where each input of the serving tax flips it: the lookups get what the SLO leaves after the replica's
    tensor-parallel all-reduces, which no lookup change moves."""
    fanout, hop, slo = tax.inputs["fanout"], tax.inputs["hop_latency_ms"], tax.slo_ms
    if not slo:
        return []
    fixed = tax.inputs.get("tensor_parallel_ms", 0.0)
    budget = slo - fixed
    out = []
    if hop > 0 and budget > 0:
        out.append(
            BreakEven(
                quantity="fanout",
                current=fanout,
                flips_at=scoring.fanout_break_point(budget, hop),
                unit="lookups",
                meaning=f"{budget:g} ms / {hop:g} ms per hop: this many sequential lookups consume the whole budget",
                assumed=facts.fanout.assumed,
            )
        )
    if fanout > 0 and budget > 0:
        out.append(
            BreakEven(
                quantity="hop_latency",
                current=hop,
                flips_at=budget / fanout,
                unit="ms",
                meaning=f"a hop this slow makes {fanout:g} lookups consume the whole {budget:g} ms",
                assumed=facts.hop_latency.assumed,
            )
        )
    out.append(
        BreakEven(
            quantity="slo",
            current=slo,
            flips_at=fanout * hop + fixed,
            unit="ms",
            meaning="an SLO tighter than this is used up by the lookups alone"
            if not fixed
            else "an SLO tighter than this is used up by the lookups and the tensor-parallel all-reduces",
            assumed=facts.slo.assumed,
        )
    )
    return out


def training_break_evens(facts: SystemFacts, tax: CommunicationTax, workers: int) -> list[BreakEven]:
    """Worker count and bandwidth at which the ring all-reduce (in the layout `tax` used)
    just equals the compute it enables, and the MTBF at which the failure tax hits its budget."""
    compute = facts.num("step_compute") or 0.0
    gradient, bandwidth, alpha = facts.num("gradient_size") or 0.0, facts.num("bandwidth"), facts.num("link_latency")
    if not (compute and gradient and bandwidth):
        return []
    mp = int(tax.inputs.get("model_parallel", 1))
    message, ranks = gradient / mp, max(workers // mp, 1)
    out = []
    flip_ranks = scoring.comm_exceeds_compute_from(compute / mp, message, bandwidth, alpha)
    if flip_ranks:
        out.append(
            BreakEven(
                quantity="workers",
                current=workers,
                flips_at=flip_ranks * mp,
                unit="workers",
                meaning="from this many workers a ring all-reduce takes longer than the compute it enables",
                assumed=facts.workers.assumed,
            )
        )
    if ranks > 1:
        gap = lambda b: (compute / workers) - scoring.ring_allreduce_s(ranks, message, b, alpha)  # noqa: E731
        flip_b = _bisect(gap, 1e6, 1e14) if gap(1e14) > 0 else float("inf")
        out.append(
            BreakEven(
                quantity="bandwidth",
                current=bandwidth,
                flips_at=flip_b,
                unit="B/s",
                meaning=f"below this link bandwidth the all-reduce over {ranks} ranks outlasts the compute",
                assumed=facts.bandwidth.assumed,
            )
        )
    delta = facts.num("checkpoint_write") or 0.0
    if delta > 0 and workers > 1:

        def waste_minus_budget(mtbf_h: float) -> float:
            fleet_s = scoring.fleet_mtbf_h(mtbf_h, workers) * 3600
            return WASTE_BUDGET - scoring.wasted_fraction(delta, scoring.daly_interval_s(delta, fleet_s), fleet_s)

        out.append(
            BreakEven(
                quantity="mtbf",
                current=facts.num("mtbf") or 0.0,
                flips_at=round(_bisect(waste_minus_budget, 1.0, 1e9), 1),
                unit="h per device",
                meaning=f"below this per-device MTBF, failures waste more than {WASTE_BUDGET:.0%} of the run at Daly's "
                "interval",
                assumed=facts.mtbf.assumed,
            )
        )
    return out
