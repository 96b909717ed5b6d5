"""The design's own fleet against the need (issue 24, part 1): each binding ceiling's need, in the
unit it is counted in, beside what the text says the design runs.

A ceiling's ratio is its need over one reference unit: one accelerator's memory for the model,
one reference node for training compute and serving throughput, one machine's disk or memory
for the data. The stated fleet is read as devices (`workers`) and, when given, devices per node.

Worked example: a 70B model served in bf16 on 64 GPUs (8 nodes of 8) whose throughput ceiling
is 13.2x one node needs 14 nodes; the fleet stated has 8, short by 6. An LLM service names its
phases: 2,000 req/s of 1,500-token prompts need 107 nodes for prefill alone, 49 for decode.
"""

from __future__ import annotations

import math

from pydantic import BaseModel

from ceiling.agents.scoring import formulas
from ceiling.agents.scoring.pressures import SERVING_HEADROOM, Pressure, is_llm
from ceiling.agents.scoring.shapes import shape_of


class DesignNode(BaseModel):
    """The design's own node against the reference node: how many reference nodes of compute and of memory bandwidth
    one of its nodes is worth (issue 24: the device's own specs, not only its memory)."""

    device: str
    per_node: float
    compute: float  # one design node's dense FLOP/s over one reference node's
    bandwidth: float  # its memory bandwidth over the reference node's

    def said(self) -> str:
        return (
            f"nodes of {self.per_node:g} x {self.device.upper()}, each "
            f"{self.compute:.2g}x a reference node's compute and {self.bandwidth:.2g}x its memory bandwidth"
        )


def design_node(device: str | None, per_node: float | None, machine) -> DesignNode | None:
    """The design's node from its device's data-sheet speeds; None for a device the vocabulary does not list."""
    from ceiling.agents.reading.fleet import SPEEDS, device_key

    speeds = SPEEDS.get(device_key(device)) if device else None
    if speeds is None:
        return None
    per = per_node or machine.gpus
    tflops, tbps = speeds
    return DesignNode(
        device=device,
        per_node=per,
        compute=per * tflops * 1e12 / (machine.gpus * machine.gpu_peak_flops_per_s),
        bandwidth=per * tbps * 1e12 / (machine.gpus * machine.hbm_bytes_per_s),
    )


def _in_design_nodes(pressure: Pressure, node: DesignNode) -> tuple[float, dict[str, float]] | None:
    """A throughput need in the design's own nodes: training and prefill scale by compute, decode by memory
    bandwidth; a small model's CPU time does not depend on the accelerator (None: counted as reference nodes)."""
    if pressure.parts:
        parts = {
            phase: ratio / (node.compute if phase == "prefill" else node.bandwidth)
            for phase, ratio in pressure.parts.items()
        }
        return max(parts.values()), parts
    if pressure.unit == "s":  # training: FLOPs against the deadline
        return pressure.ratio / node.compute, {}
    if pressure.unit == "tokens/s":  # decode: weights read per token
        return pressure.ratio / node.bandwidth, {}
    return None


class FleetNeed(BaseModel):
    ceiling: str
    unit: str  # "nodes", "accelerators" or "machines"
    needed: int
    stated: float
    short: bool
    parts: dict[str, int] = {}  # a need made of phases (an LLM's prefill and decode): each one's count
    unlike_reference: str | None = None  # the design's nodes are not the reference machine's: how they differ
    counted_in: str | None = None  # the need is counted in the design's own nodes: which (DesignNode.said)
    bubble: float | None = None  # a pipelined training run: the share of each step its stages idle, paid in time
    assumed: list[str] = []  # the need's inputs the text does not state, each assumed (the answer says to state them)

    def sentence(self) -> str:
        phases = ", ".join(f"{phase} alone {count:,}" for phase, count in self.parts.items())
        need = f"the {self.ceiling} ceiling needs about {self.needed:,} {self.unit}" + (f" ({phases})" * bool(phases))
        if self.bubble:
            need += f" (its pipeline idles {self.bubble:.0%} of each step)"
        said = f"{need}; the design states {_said(self.stated)}"
        if self.short:
            said += f", short by {_said(self.needed - self.stated)}"
        if self.assumed:
            said += f" (on an assumed {' and '.join(name.replace('_', ' ') for name in self.assumed)}: state it)"
        if self.counted_in and self.unit == "nodes":
            said += f" (counted in the design's own {self.counted_in})"
        elif self.unlike_reference and self.unit == "nodes":
            said += (
                f" (counted as reference nodes: {self.unlike_reference}; pass --machine with its node to count its own)"
            )
        return said


def _said(count: float) -> str:
    return f"{count:,.0f}" if count >= 10 or count == int(count) else f"{count:.1f}"


def _count(ratio: float) -> int:
    """Whole units a need of `ratio` units takes (at least one)."""
    return max(1, math.ceil(ratio - 1e-9))


def fleet_needs(
    pressures: dict[str, Pressure],
    devices: float | None,
    nodes: float | None,
    gpus_per_reference_node: int,
    unlike_reference: str | None = None,
    node: DesignNode | None = None,
    bubble: float | None = None,
) -> list[FleetNeed]:
    """One line per binding ceiling, for the part of the fleet the text states; [] when it states none.

    devices: accelerators the design runs; nodes: its machines (either may be unknown: a count of
    devices is read as reference nodes of `gpus_per_reference_node`, and a count of nodes gives no
    count of accelerators)."""
    if nodes is None and devices:
        nodes = devices / (node.per_node if node else gpus_per_reference_node)
    stated = {"model": ("accelerators", devices), "throughput": ("nodes", nodes), "data": ("machines", nodes)}
    found = []
    for name, pressure in pressures.items():
        unit, have = stated[name]
        if not pressure.binds or pressure.unit == "parties" or not have:  # a legal boundary needs sites
            continue
        own = _in_design_nodes(pressure, node) if node and name == "throughput" else None
        ratio, part_ratios = own if own else (pressure.ratio, pressure.parts)
        idles = bubble if name == "throughput" and pressure.unit == "s" else None  # a pipelined run's deadline
        ratio /= 1 - (idles or 0.0)
        needed = _count(ratio)
        found.append(
            FleetNeed(
                ceiling=name,
                unit=unit,
                needed=needed,
                stated=have,
                short=needed > have + 1e-9,
                parts={phase: _count(r) for phase, r in part_ratios.items()},
                unlike_reference=unlike_reference,
                counted_in=node.said() if own else None,
                bubble=idles,
            )
        )
    return found


class FirstToken(BaseModel):
    """An LLM service's time to first token at the least: one prompt's prefill on one replica (issue 24 part 2)."""

    seconds: float
    gpus_per_replica: int
    slo_s: float | None
    within: bool
    tensor_parallel_s: float = 0.0  # of `seconds`: the replica's all-reduces of the prompt's activations
    across_nodes: bool = False  # the replica spans nodes, so those all-reduces cross the inter-node fabric

    def sentence(self) -> str:
        link = "the inter-node fabric" if self.across_nodes else "NVLink"
        tp = (
            f", of which {self.tensor_parallel_s * 1000:,.0f} ms are its tensor-parallel all-reduces over {link}"
            if self.tensor_parallel_s
            else ""
        )
        said = (
            f"time to first token at least {self.seconds * 1000:,.0f} ms (one prompt's prefill on a "
            f"{self.gpus_per_replica}-GPU replica{tp})"
        )
        if self.across_nodes:
            said += "; a pipeline split across the nodes would keep tensor parallelism inside one, where it belongs"
        if self.slo_s is None:
            return said
        where = "inside" if self.within else "over"
        return f"{said}, {where} the {self.slo_s * 1000:,.0f} ms budget"


def replica_gpus(facts, machine) -> int:
    """GPUs one serving replica spans: the power of two whose memory holds the weights with headroom (as stage 1)."""
    served = formulas.weights_bytes(facts.num("model_params"), facts.num("bytes_per_param") or 2.0) * SERVING_HEADROOM
    memory = facts.num("gpu_memory") or machine.gpu_memory_bytes
    return 2 ** math.ceil(math.log2(max(served / memory, 1.0)))  # tensor parallelism splits by powers of two


def prefill_tensor_parallel_s(facts, machine) -> tuple[float, bool]:
    """(seconds, across nodes) of one stated prompt's tensor-parallel all-reduces on its replica: two per layer of
    prompt x hidden x 2 bytes (Megatron), over NVLink inside a node, else the fabric. (0, False) unless the text
    states the prompt of an LLM whose shape is known and whose replica spans GPUs."""
    prompt, shape = facts.num("prompt_tokens"), shape_of(facts)
    if not (prompt and shape and is_llm(facts)):
        return 0.0, False
    gpus = replica_gpus(facts, machine)
    if gpus == 1:
        return 0.0, False
    across = gpus > (facts.num("devices_per_node") or machine.gpus)
    bandwidth, alpha = (
        (machine.inter_bandwidth_bytes_per_s, machine.inter_alpha_s)
        if across
        else (machine.intra_bandwidth_bytes_per_s, machine.intra_alpha_s)
    )
    seconds = formulas.tensor_parallel_comm_s(
        gpus, shape.layers, int(prompt), 1, shape.hidden_size, 2.0, bandwidth, alpha, all_reduces_per_layer=2
    )
    return seconds, across


def first_token(facts, machine) -> FirstToken | None:
    """Prefill FLOPs of one stated prompt / (the GPUs one replica needs to hold the weights x peak x MFU), plus its
    tensor-parallel all-reduces (`prefill_tensor_parallel_s`). None unless the text states the prompt length of an
    LLM service. The lookups before the first token only add to it: a bound, not an estimate."""
    prompt, params = facts.num("prompt_tokens"), facts.num("model_params")
    if not (prompt and params and is_llm(facts)):
        return None
    gpus = replica_gpus(facts, machine)
    seconds = formulas.prefill_flops(params, prompt) / (gpus * machine.gpu_peak_flops_per_s * machine.prefill_mfu)
    tp, across = prefill_tensor_parallel_s(facts, machine)
    slo = facts.num("slo") / 1000 if facts.num("slo") and not facts.slo.assumed else None
    total = seconds + tp
    return FirstToken(
        seconds=total,
        gpus_per_replica=gpus,
        slo_s=slo,
        within=slo is None or total <= slo,
        tensor_parallel_s=tp,
        across_nodes=across,
    )
