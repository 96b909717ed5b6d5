"""The review's two pictures, as PNG files: the axis radar and the budget-vs-scale chart; and the review as one
self-contained HTML page with both embedded (`ceiling review --format html`).

The radar is the chapter's "radar that tells you whom to call": six axis pressures, with
the 0.5 ring where an axis binds. The second chart plots the communication tax against the
knob the design scales (fan-out for serving; workers for training; nodes for a shuffle),
with the budget line and the break-point marked, so a reader sees how far the design is
from the edge. Both are computed from the Review's numbers with the scoring tool.
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path
from typing import BinaryIO

from ceiling.agents.schemas import AXES, Review
from ceiling.agents.scoring import formulas as scoring

BINDS_AT = 0.5


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no screen on servers
    import matplotlib.pyplot as plt

    return plt


def radar(review: Review, path: Path | BinaryIO) -> Path | BinaryIO:
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


def scale_chart(review: Review, path: Path | BinaryIO) -> Path | BinaryIO | None:
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


def _save(fig, path: Path | BinaryIO) -> Path | BinaryIO:
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    _pyplot().close(fig)
    return path


# --- the review as one page to share -------------------------------------------------------------------------------
PAGE_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; color: #1d1d1f; margin: 0; background: #fafafa; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem 2rem 4rem; background: #fff; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2.2rem; }
table { border-collapse: collapse; margin: .8rem 0; display: block; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; white-space: nowrap; }
blockquote { margin: .6rem 0; padding: .1rem 1rem; border-left: 4px solid #c0392b33; color: #444; }
code { font-size: .85em; background: #f2f2f2; padding: 0 .2rem; border-radius: 3px; }
figure { display: inline-block; margin: .5rem 1rem .5rem 0; } figcaption { font-size: .9rem; color: #555; }
img { max-width: 100%; height: auto; }
"""
# Nothing on the page may load from anywhere: the charts are data: URIs, the style is inline.
PAGE_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _png(draw, review: Review) -> str | None:
    """A chart as a base64 PNG data URI, or None when there is nothing to draw."""
    buffer = io.BytesIO()
    if draw(review, buffer) is None:
        return None
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def html_page(review: Review, markdown_text: str) -> str:
    """The review's markdown (as `ceiling review` writes it) as one HTML page with the two charts embedded, to
    share. Text from a description stays text (the markdown escapes it and raw HTML is never rendered); the JSON
    record stays in its comment, so `ceiling diff` reads the page as it reads the .md."""
    from markdown_it import MarkdownIt

    from ceiling.agents.review.diff import embed, visible_part

    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    visible = visible_part(markdown_text)
    heading = visible.split("\n", 1)[0].removeprefix("# ")
    body = parser.render(visible)
    figures = [
        f'<figure><img alt="{html.escape(caption)}" src="{uri}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for caption, uri in (
            ("Axis pressures: the radar that tells you whom to call (an axis binds at 0.5)", _png(radar, review)),
            (f"{scale_title(review)}: the break-point is where the design stops fitting", _png(scale_chart, review)),
        )
        if uri is not None
    ]
    charts = f'<section class="charts"><h2>Charts</h2>{"".join(figures)}</section>\n'
    body = (
        body.replace("<h2>Numbers</h2>", charts + "<h2>Numbers</h2>", 1)
        if "<h2>Numbers</h2>" in body
        else body + charts
    )
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{PAGE_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{parser.renderInline(heading)}</title>\n<style>{PAGE_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}</main>\n{embed(review)}</body>\n</html>\n"
    )
