"""The review's two pictures, as PNG files: the axis radar and the budget-vs-scale chart.

The radar is the chapter's "radar that tells you whom to call": six axis pressures, with
the 0.5 ring where an axis binds. The second chart plots the communication tax against the
knob the design scales (fan-out for serving; workers for training; nodes for a shuffle),
with the budget line and the break-point marked, so a reader sees how far the design is
from the edge. Both are computed from the Review's numbers with the scoring tool.
"""

from __future__ import annotations

import math
from pathlib import Path

from ceiling.agents.schemas import AXES, Review
from ceiling.agents.scoring import formulas as scoring

BINDS_AT = 0.5


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no screen on servers
    import matplotlib.pyplot as plt

    return plt


def radar(review: Review, path: Path) -> Path:
    plt = _pyplot()
    order = list(AXES)
    pressures = {a["axis"]: a["pressure"] for a in review.axes}
    values = [pressures.get(a, 0.0) for a in order]
    angles = [2 * math.pi * i / len(order) for i in range(len(order))]
    fig = plt.figure(figsize=(4.6, 4.6))
    ax = fig.add_subplot(projection="polar")
    ax.plot(angles + angles[:1], values + values[:1], color="#c0392b", linewidth=2)
    ax.fill(angles + angles[:1], values + values[:1], color="#c0392b", alpha=0.25)
    ax.plot(
        [*angles, angles[0]],
        [BINDS_AT] * (len(order) + 1),
        color="#555",
        linestyle="--",
        linewidth=1,
        label="binds at 0.5",
    )
    ax.set_xticks(angles, [f"{a}\n{v:.2f}" for a, v in zip(order, values, strict=True)])
    ax.set_ylim(0, 1)
    ax.set_yticks([0.25, 0.5, 0.75, 1.0], ["", "0.5", "", "1"])
    ax.set_title("Axis pressures: whom to call", pad=18)
    ax.legend(loc="lower right", bbox_to_anchor=(1.15, -0.12), fontsize=8)
    return _save(fig, path)


TITLES = {
    "fan-out": "Budget left vs fan-out",
    "all-reduce": "Communication vs compute vs workers",
    "shuffle": "Shuffle vs scan vs nodes",
}


def scale_title(review: Review) -> str:
    return TITLES.get(review.tax.get("kind"), "Communication tax")


def scale_chart(review: Review, path: Path) -> Path | None:
    """Budget vs the design's scaling knob; None when the design pays no communication tax."""
    kind = review.tax.get("kind")
    inputs = review.tax.get("inputs") or {}
    if kind == "fan-out" and review.tax.get("slo_ms"):
        return _fanout(review, inputs, path)
    if kind == "all-reduce" and inputs.get("bandwidth_bytes_per_s"):
        return _allreduce(review, inputs, path)
    if kind == "shuffle" and inputs.get("bandwidth_bytes_per_s"):
        return _shuffle(review, inputs, path)
    return None


def _fanout(review: Review, inputs: dict, path: Path) -> Path:
    plt = _pyplot()
    slo, hop, fanout = review.tax["slo_ms"], inputs["hop_latency_ms"], inputs["fanout"]
    breaks = scoring.fanout_break_point(slo, hop) if hop > 0 else fanout
    xs = list(range(0, int(max(2 * breaks, 2 * fanout, 4)) + 1))
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(
        xs,
        [slo - x * hop for x in xs],
        color="#2c7fb8",
        linewidth=2,
        label=f"budget left = {slo:g} - fan-out x {hop:g} ms",
    )
    ax.axhline(0, color="#c0392b", linestyle="--", label=f"SLO used up ({slo:g} ms)")
    ax.axvline(breaks, color="#c0392b", linestyle=":", label=f"break-point: fan-out {breaks:,.4g}")
    ax.plot([fanout], [slo - fanout * hop], "o", color="black", label=f"this design: fan-out {fanout:g}")
    ax.set(
        xlabel="sequential lookups per request (fan-out)", ylabel="latency budget left (ms)", title=TITLES["fan-out"]
    )
    ax.legend(fontsize=8)
    return _save(fig, path)


def _allreduce(review: Review, inputs: dict, path: Path) -> Path:
    plt = _pyplot()
    workers, mp = int(inputs["workers"]), int(inputs.get("model_parallel", 1))
    gradient, bandwidth, alpha, compute = (
        inputs["gradient_bytes"],
        inputs["bandwidth_bytes_per_s"],
        inputs.get("alpha_s") or 0.0,
        inputs["step_compute_s"],
    )
    flip = next((b["flips_at"] for b in review.break_evens if b["quantity"] == "workers"), None)
    top = max(workers, int(flip or 0), 8) * 4
    xs = [2**i for i in range(0, int(math.log2(top)) + 1) if 2**i >= mp]
    comm = [
        scoring.ring_allreduce_s(max(x // mp, 1), gradient / mp, bandwidth, alpha) * 1000 if x // mp > 1 else 0.0
        for x in xs
    ]
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(xs, [compute / x * 1000 for x in xs], color="#2c7fb8", linewidth=2, label="compute per step (C/N)")
    ax.plot(xs, comm, color="#e67e22", linewidth=2, label="ring all-reduce per step")
    if flip:
        ax.axvline(flip, color="#c0392b", linestyle=":", label=f"break-point: {flip:,.0f} workers")
    ax.axvline(workers, color="black", linestyle="--", linewidth=1, label=f"this design: {workers} workers")
    ax.set(xscale="log", yscale="log", xlabel="workers (GPUs)", ylabel="ms per step", title=TITLES["all-reduce"])
    ax.legend(fontsize=8)
    return _save(fig, path)


def _shuffle(review: Review, inputs: dict, path: Path) -> Path:
    plt = _pyplot()
    nodes, size, bandwidth = int(inputs["nodes"]), inputs["data_bytes"], inputs["bandwidth_bytes_per_s"]
    compute_all = review.tax["compute_ms"] * nodes  # compute scales as 1/N
    xs = [2**i for i in range(0, int(math.log2(max(nodes, 4) * 8)) + 1)]
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(xs, [compute_all / x for x in xs], color="#2c7fb8", linewidth=2, label="scan per node")
    ax.plot(
        xs,
        [size * (x - 1) / x / x / bandwidth * 1000 for x in xs],
        color="#e67e22",
        linewidth=2,
        label="shuffle per node",
    )
    ax.axvline(nodes, color="black", linestyle="--", linewidth=1, label=f"this design: {nodes} nodes")
    ax.set(xscale="log", yscale="log", xlabel="nodes", ylabel="ms", title=TITLES["shuffle"])
    ax.legend(fontsize=8)
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return path
