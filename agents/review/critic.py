"""The critic: numbers over prose. It sends the design back to stage 1 when the tax breaks
the budget (or communication outlasts the compute it enables), when a stage contradicts the
one before it, or when a citation does not resolve; `revise` makes the change for the next loop."""

from __future__ import annotations

import math

from pydantic import BaseModel

from ceiling.agents.scoring import formulas as scoring
from ceiling.agents.scoring.pressures import training_seconds
from ceiling.agents.scoring.taxes import Design

LOCAL_HOP_MS = 0.05  # an in-process / shared-memory feature read on the scoring replica


class Finding(BaseModel):
    ok: bool
    reasons: list[str] = []
    tax_broken: bool = False
    final: bool = False  # no change the critic knows can fix it


def check_citations(decisions: dict, chunk_text) -> list[str]:
    """Every citation must name a real chunk and quote text that occurs in it. A stage may cite nothing: the
    corpus then states no rule for its answer, and the review says so rather than quote filler."""
    problems = []
    for stage, decision in sorted(decisions.items()):
        for citation in decision.citations:
            text = chunk_text(citation.chunk_id)
            if text is None:
                problems.append(f"stage {stage} cites unknown chunk {citation.chunk_id}")
            elif citation.quote not in text:
                problems.append(f"stage {stage} quotes text not in {citation.chunk_id}")
    return problems


def check_consistency(decisions: dict) -> list[str]:
    ceiling = decisions[1].evidence.ceiling
    distribute = decisions[2].evidence.distribute
    problems = []
    # many reasoning agents distribute intelligence with no ceiling (Section 1.8.1, Stage 2); nothing else may
    if ceiling == "none" and [axis for axis in distribute if axis != "intelligence"]:
        problems.append("stage 2 distributes axes although stage 1 found no binding ceiling")
    if (decisions[3].answer == "single-machine") != (not distribute):
        problems.append("stage 3's topology does not match stage 2's axes")
    return problems


def check_tax(decisions: dict) -> list[str]:
    comm = decisions[6].evidence.communication
    if comm.within_budget:
        return []
    if comm.kind == "fan-out":
        left = comm.budget_left_ms
        if left is not None and left > 0 and comm.compute_ms is not None and comm.compute_ms > left:
            return [
                f"the model's {comm.compute_ms:g} ms of compute does not fit the {left:g} ms the communication tax "
                f"({comm.communication_ms:g} ms) leaves of the {comm.slo_ms:g} ms SLO"
            ]
        return [
            f"the communication tax ({comm.communication_ms:g} ms) leaves {comm.budget_left_ms:g} ms of the "
            f"{comm.slo_ms:g} ms SLO"
        ]
    if comm.kind == "all-reduce":
        return [
            f"communication ({comm.communication_ms:,.1f} ms/step) exceeds the compute it enables "
            f"({comm.compute_ms:,.1f} ms/step per worker)"
        ]
    if comm.kind == "federated round":
        local = f" and its local training {comm.compute_ms / 1000:,.0f} s more" if comm.compute_ms else ""
        return [
            f"each site's update and the new model take {comm.communication_ms / 1000:,.1f} s over its own link"
            f"{local}, longer than the {comm.slo_ms / 1000:,.0f} s a round may take"
        ]
    return [f"shuffle plus compute overrun the job window by {-comm.budget_left_ms / 1000:,.0f} s"]


def review(state: dict, chunk_text) -> Finding:
    decisions = state["decisions"]
    tax = check_tax(decisions)
    reasons = tax + check_consistency(decisions) + check_citations(decisions, chunk_text)
    ceiling = decisions[1].evidence.ceiling
    final = []
    if state["design"].single_machine and ceiling != "none":
        final.append(
            f"one machine cannot relieve the {ceiling} ceiling (pressure "
            f"{decisions[1].evidence.pressures[ceiling].pressure:.2f})"
        )
    final += check_deadline(state) + check_no_worker_count_fits(state) + check_tensor_parallel(state)
    final += check_federated_round(state)
    reasons += final
    return Finding(ok=not reasons, reasons=reasons, tax_broken=bool(tax), final=bool(final))


def check_federated_round(state: dict) -> list[str]:
    """A round that outlasts its period over the sites' own links: the critic owns no site's link, so it says what
    would fix it instead of changing the design."""
    comm = state["decisions"][6].evidence.communication
    if comm.kind != "federated round" or comm.within_budget:
        return []
    return [
        "no change the critic can make fixes the sites' links: a longer round, a smaller update (compression, fewer "
        "or frozen parameters) or faster site links would"
    ]


def check_tensor_parallel(state: dict) -> list[str]:
    """A serving replica whose tensor-parallel all-reduces alone use up the SLO: no lookup change, and no collapse to
    one machine of a model that needs several GPUs, fixes that, so the critic says what would instead of looping."""
    comm = state["decisions"][6].evidence.communication
    tp = comm.inputs.get("tensor_parallel_ms", 0.0) if comm.kind == "fan-out" else 0.0
    if not tp or comm.slo_ms is None or tp < comm.slo_ms:
        return []
    return [
        f"the replica's tensor-parallel all-reduces of the prompt take {tp:,.0f} ms of the {comm.slo_ms:,.0f} ms SLO "
        "on their own: no change to the lookups fixes that; keep tensor parallelism inside one node (split across "
        "nodes by pipeline) or serve from fewer, larger GPUs"
    ]


def check_deadline(state: dict) -> list[str]:
    """Re-check stage 1 after the critic cut the workers: did the tax move the ceiling?"""
    design, deadline = state["design"], state["facts"].num("deadline")
    seconds = _training_seconds(state, design.workers) if design.workers is not None else None
    if seconds is None or seconds <= deadline:
        return []
    return [
        f"with {design.workers} workers the run needs {seconds / 86400:,.1f} days, over the "
        f"{deadline / 86400:,.1f}-day "
        "deadline: "
        "the communication tax has become the binding ceiling"
    ]


def check_no_worker_count_fits(state: dict) -> list[str]:
    """The critic never shrinks a stated fleet below what the deadline needs: when the all-reduce over the design's
    link fits only fewer workers than the deadline needs (the collective already two-level), no worker count meets
    both, and the review says so instead of cutting the fleet."""
    design, comm = state["design"], state["decisions"][6].evidence.communication
    if comm.kind != "all-reduce" or comm.within_budget or design.workers is not None:
        return []
    workers = int(comm.inputs["workers"])
    if workers > state["machine"].gpus and "two-level collective" not in design.changes:
        return []  # the collective comes first
    one_gpu = _training_seconds(state, 1)
    need = math.ceil(one_gpu / state["facts"].num("deadline")) if one_gpu is not None else None
    fits = _workers_that_fit(comm)
    if need is None or not fits < need <= workers:
        return []
    return [
        f"the all-reduce over this link outlasts the compute beyond {fits:,} workers, but the deadline needs at least "
        f"{need:,}: no worker count meets both, so the link or the collective must change (a faster fabric, gradient "
        "compression, fewer and larger steps), not the fleet"
    ]


def _training_seconds(state: dict, workers: int) -> float | None:
    """How long the training run takes on `workers` GPUs (the stage 1 arithmetic); None unless a training run has a
    deadline to meet."""
    facts = state["facts"]
    if facts.text("workload") != "training" or not facts.num("deadline"):
        return None
    return training_seconds(facts, state["machine"], workers)


def _workers_that_fit(comm) -> int:
    """The most workers whose all-reduce no longer outlasts the compute: data-parallel ranks (each all-reduces 1/mp
    of the gradient) times the model-parallel degree, never below one model copy."""
    workers, mp = int(comm.inputs["workers"]), int(comm.inputs.get("model_parallel", 1))
    ranks = _largest_fitting_workers(
        comm.inputs["step_compute_s"] / mp,
        comm.inputs["gradient_bytes"] / mp,
        comm.inputs["bandwidth_bytes_per_s"],
        comm.inputs["alpha_s"],
        max(workers // mp, 1),
    )
    return ranks * mp


def exhausted(state: dict) -> bool:
    """Nothing left to change: the design is already one machine."""
    return state["design"].single_machine


def _largest_fitting_workers(compute: float, message: float, bandwidth: float, alpha: float, current: int) -> int:
    flip = scoring.comm_exceeds_compute_from(compute, message, bandwidth, alpha)
    best = min(
        current - 1,
        (flip - 1) if flip else current - 1,
        round(scoring.optimal_workers_ring(compute, message, bandwidth, alpha)),
    )
    return max(1, best)


def revise(state: dict) -> tuple[Design, str]:
    """The next change to try, most targeted first; one machine is the last resort."""
    design = state["design"].model_copy(deep=True)
    comm = state["decisions"][6].evidence.communication
    tried = set(design.changes)
    if comm.kind == "fan-out":
        fanout, hop, slo = comm.inputs["fanout"], comm.inputs["hop_latency_ms"], comm.slo_ms
        target = math.floor(0.5 * slo / hop) if hop else fanout
        if "fewer lookups" not in tried and 1 <= target < fanout:
            design.fanout, change = (
                float(target),
                f"cut the fan-out from {fanout:g} to {target} lookups (batch them or fetch in parallel) so the tax is "
                "at most half the SLO",
            )
            design.changes.append("fewer lookups")
            return design, change
        if "co-located features" not in tried:
            design.hop_latency_ms, change = (
                LOCAL_HOP_MS,
                f"co-locate the features with the scoring replica (a hop of {LOCAL_HOP_MS} ms instead of {hop:g} ms)",
            )
            design.changes.append("co-located features")
            return design, change
    elif comm.kind == "all-reduce":
        workers = int(comm.inputs["workers"])
        machine = state["machine"]
        if "two-level collective" not in tried and workers > machine.gpus:
            design.collective, change = (
                "two-level",
                "switch the flat ring to a two-level all-reduce (NVLink inside a node, InfiniBand across nodes)",
            )
            design.changes.append("two-level collective")
            return design, change
        mp = int(comm.inputs.get("model_parallel", 1))
        if "fewer workers" not in tried and workers > mp:
            n = _workers_that_fit(comm)
            design.workers, change = (
                n,
                f"cut the workers from {workers} to {n}, where the all-reduce no longer outlasts the compute",
            )
            design.changes.append("fewer workers")
            return design, change
    elif comm.kind == "shuffle" and "more nodes" not in tried:
        nodes = int(comm.inputs["nodes"])
        design.workers, change = (
            nodes * 2,
            f"double the nodes from {nodes} to {nodes * 2} so each processes half as much inside the window",
        )
        design.changes.append("more nodes")
        return design, change
    design.single_machine = True
    design.changes.append("one machine")
    return design, "collapse to one machine: no network tax at all (the ceiling from stage 1 is then checked again)"
