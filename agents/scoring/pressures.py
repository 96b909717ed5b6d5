"""Ceiling and axis pressures from quantities (pure functions, no I/O).

A ceiling's *ratio* is need / capacity of the reference machine; its *pressure* maps the ratio
into [0, 1] as 1 - 2^-ratio, so a ratio of 1 (exactly one machine's worth) is 0.5, the line at
which the ceiling binds. Every pressure keeps the inputs behind it so the review can show them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import BaseModel

from ceiling.agents.scoring import formulas as scoring
from ceiling.agents.scoring.reference import ReferenceMachine
from ceiling.agents.scoring.shapes import shape_of
from ceiling.agents.scoring.taxes import BreakEven

if TYPE_CHECKING:  # the schemas import this module (stage evidence holds Pressure): no import back at run time
    from ceiling.agents.schemas import SystemFacts

BINDS_AT = 0.5
LLM_PARAMS = 1e8  # above this a model is served from GPU memory, token by token
TRAINING_STATE_BYTES_PER_PARAM = 16  # mixed-precision Adam (ZeRO paper)
EMBEDDING_STATE_BYTES_PER_PARAM = 4  # a recommender's tables: fp32 rows, row-wise AdaGrad (DLRM, TorchRec)
SERVING_HEADROOM = 1.2  # KV cache and activations on top of the weights
STREAM_TOKENS_PER_S = 20  # one interactive user reading a streamed answer


class Pressure(BaseModel):
    name: str
    pressure: float
    ratio: float
    need: float | None = None
    capacity: float | None = None
    unit: str = ""
    inputs: str = ""
    parts: dict[str, float] = {}  # a need made of phases (an LLM's prefill and decode): each one's ratio

    @property
    def binds(self) -> bool:
        return self.pressure >= BINDS_AT


def from_ratio(ratio: float) -> float:
    return round(1.0 - 2.0 ** (-max(ratio, 0.0)), 4)


def _pressure(name: str, need: float, capacity: float, unit: str, inputs: str) -> Pressure:
    ratio = need / capacity if capacity else 0.0
    return Pressure(
        name=name, pressure=from_ratio(ratio), ratio=ratio, need=need, capacity=capacity, unit=unit, inputs=inputs
    )


def is_llm(facts: SystemFacts) -> bool:
    params = facts.num("model_params")
    # a ranker scores candidates through embedding lookups and a small dense net: no weights read per token
    return (
        params is not None and params >= LLM_PARAMS and not facts.flag("small_model") and not facts.flag("recommender")
    )


def model_bytes_needed(facts: SystemFacts) -> tuple[float, str]:
    params = facts.num("model_params") or 0.0
    if facts.text("workload") == "training" and facts.flag("recommender"):
        return (
            params * EMBEDDING_STATE_BYTES_PER_PARAM,
            f"{params:.3g} params x {EMBEDDING_STATE_BYTES_PER_PARAM} B (fp32 embedding rows; a row-wise optimizer "
            "keeps one value per row)",
        )
    if facts.text("workload") == "training":
        return (
            params * TRAINING_STATE_BYTES_PER_PARAM,
            f"{params:.3g} params x {TRAINING_STATE_BYTES_PER_PARAM} B (weights, gradients, Adam state)",
        )
    bytes_per_param = facts.num("bytes_per_param") or 2.0
    return (
        params * bytes_per_param * SERVING_HEADROOM,
        f"{params:.3g} params x {bytes_per_param:g} B x {SERVING_HEADROOM} (KV cache headroom)",
    )


def model_ceiling(facts: SystemFacts, machine: ReferenceMachine) -> Pressure:
    # Trees, linear models and embedding tables run from host memory, not one accelerator's.
    if facts.flag("small_model"):
        capacity, where = machine.host_memory_bytes, "host memory"
    else:
        capacity, where = facts.num("gpu_memory") or machine.gpu_memory_bytes, "one accelerator's memory"
    if facts.num("model_params") is None:
        need = 0.05e9 if facts.flag("small_model") else 0.0
        return _pressure(
            "model", need, capacity, "bytes", "a small model (trees / linear / small net) needs well under 1 GB"
        )
    need, how = model_bytes_needed(facts)
    return _pressure(
        "model", need, capacity, "bytes", f"{how} = {need / 1e9:,.1f} GB vs {where} of {capacity / 1e9:,.0f} GB"
    )


def data_ceiling(facts: SystemFacts, machine: ReferenceMachine) -> Pressure:
    size = facts.num("data_size") or 0.0
    workload = facts.text("workload")
    if facts.flag("share_data") is False and (facts.num("parties") or 0) >= 2:
        # A legal boundary is a ceiling too: data no party may pool cannot sit on one machine.
        parties = facts.num("parties")
        return _pressure(
            "data",
            parties,
            1.0,
            "parties",
            f"{parties:,.0f} parties may not pool their data, so it cannot sit on one machine whatever its size",
        )
    if workload == "serving" or workload == "agents":
        return _pressure(
            "data",
            size,
            machine.host_memory_bytes,
            "bytes",
            f"{size / 1e12:,.2f} TB consulted while serving vs {machine.host_memory_bytes / 1e12:,.0f} TB of host "
            "memory",
        )
    storage = size / machine.local_disk_bytes
    deadline = facts.num("deadline")
    # a batch job's rows, or a recommender's samples (its compute is lookups and a small dense net), read in a window
    if deadline and (workload == "data_pipeline" or (workload == "training" and facts.flag("recommender"))):
        scan_s = size / machine.scan_bytes_per_s
        scan = scan_s / deadline
        if scan > storage:
            return _pressure(
                "data",
                scan_s,
                deadline,
                "s",
                f"{size / 1e12:,.2f} TB at {machine.scan_bytes_per_s / 1e9:g} GB/s = {scan_s / 3600:,.1f} h of "
                f"processing vs a {deadline / 3600:,.1f} h window",
            )
    return _pressure(
        "data",
        size,
        machine.local_disk_bytes,
        "bytes",
        f"{size / 1e12:,.2f} TB vs {machine.local_disk_bytes / 1e12:,.0f} TB of local disk",
    )


KV_BYTES_PER_VALUE = 2.0  # the KV cache is kept in 16 bits whatever the weights' precision


class KvRead(BaseModel):
    """The KV cache one reference node's decode batch reads per step and holds, at the stated context."""

    per_token_bytes: float
    mean_context: float  # tokens a sequence holds on average while it decodes: prompt + half the output
    batch: int  # sequences decoded together: the reference batch, or fewer when their caches fill the node
    step_bytes: float
    shape: str


def kv_read(facts: SystemFacts, machine: ReferenceMachine, weights: float) -> KvRead | None:
    """None unless the text states the prompt length and the model's shape is stated or named (shapes.shape_of)."""
    shape, prompt = shape_of(facts), facts.num("prompt_tokens")
    if shape is None or not prompt:
        return None
    out_tokens = facts.num("output_tokens") or 0.0
    per_token = scoring.kv_cache_bytes_per_token(shape.layers, shape.kv_heads, shape.head_dim, KV_BYTES_PER_VALUE)
    free = machine.gpus * (facts.num("gpu_memory") or machine.gpu_memory_bytes) - weights
    fits = math.floor(free / ((prompt + out_tokens) * per_token)) if free > 0 else machine.decode_batch
    batch = max(1, min(machine.decode_batch, fits))
    mean_context = prompt + out_tokens / 2
    return KvRead(
        per_token_bytes=per_token,
        mean_context=mean_context,
        batch=batch,
        step_bytes=batch * mean_context * per_token,
        shape=shape.said(),
    )


def decode_capacity(facts: SystemFacts, machine: ReferenceMachine) -> tuple[float, str]:
    """(tokens/s, how) one reference node decodes: each step reads the weights and, when the context and the model's
    shape are known, the KV cache of every sequence in the batch (FORMULAS.md check 14 is the weights-only case)."""
    weights = scoring.weights_bytes(facts.num("model_params"), facts.num("bytes_per_param") or 2.0)
    bandwidth = machine.gpus * machine.hbm_bytes_per_s
    kv = kv_read(facts, machine, weights)
    if kv is None:
        capacity = scoring.decode_tokens_per_s(machine.gpus, machine.hbm_bytes_per_s, weights, machine.decode_batch)
        how = (
            f"{machine.gpus} GPUs x {machine.hbm_bytes_per_s / 1e12:g} TB/s / {weights / 1e9:,.1f} GB weights x batch "
            f"{machine.decode_batch} = {capacity:,.0f} tok/s"
        )
        if facts.num("prompt_tokens"):  # the context is known, the cache's size per token is not
            how += " (weights only: name the model or state its layers and KV heads to count its KV cache)"
        return capacity, how
    step = scoring.decode_step_time_s(weights, kv.step_bytes, bandwidth)
    capacity = kv.batch / step
    limited = ", as many as fit beside the weights" if kv.batch < machine.decode_batch else ""
    how = (
        f"batch {kv.batch}{limited} / ({weights / 1e9:,.1f} GB weights + {kv.batch} x {kv.mean_context:,.0f} tokens x "
        f"{kv.per_token_bytes / 1e6:.3g} MB of KV cache = {kv.step_bytes / 1e9:,.1f} GB) x {machine.gpus} GPUs x "
        f"{machine.hbm_bytes_per_s / 1e12:g} TB/s = {capacity:,.0f} tok/s ({kv.shape})"
    )
    return capacity, how


def serving_demand_capacity(facts: SystemFacts, machine: ReferenceMachine) -> tuple[float, float, str, str]:
    """(demand, capacity, unit, how) for serving on one reference machine; an LLM's decode alone (its prefill is
    `prefill_need`)."""
    rate = facts.num("request_rate") or 0.0
    measured = facts.num("machine_rate")  # what the text says one machine takes outranks what it is modelled to
    if is_llm(facts):
        out_tokens = facts.num("output_tokens") or 0.0
        capacity, capacity_how = (
            (measured * out_tokens, f"{measured:,.4g} req/s one machine takes (stated) x {out_tokens:,.0f} tokens")
            if measured and out_tokens
            else decode_capacity(facts, machine)
        )
        users = facts.num("concurrent_users") or 0.0
        stated = facts.num("token_rate") or 0.0
        demand = max(rate * out_tokens, users * STREAM_TOKENS_PER_S, stated)
        how = (
            f"demand max({rate:,.0f} req/s x {out_tokens:,.0f} tokens, {users:,.0f} streams x {STREAM_TOKENS_PER_S} "
            f"tok/s, stated {stated:,.0f} tok/s) = {demand:,.0f} tok/s; capacity {capacity_how}"
        )
        return demand, capacity, "tokens/s", how
    if measured:
        return rate, measured, "requests/s", f"{rate:,.0f} req/s vs {measured:,.4g} req/s one machine takes (stated)"
    service_ms = facts.num("service_time") or machine.small_model_request_ms
    capacity = machine.cpu_cores * 1000.0 / service_ms
    how = f"{rate:,.0f} req/s vs {machine.cpu_cores} cores x 1000/{service_ms:g} ms = {capacity:,.0f} req/s per machine"
    return rate, capacity, "requests/s", how


def _count(value: float) -> str:
    """A large count as people write it: 7e10 -> "70B", 3e8 -> "300M"."""
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if value >= scale:
            return f"{value / scale:,.3g}{suffix}"
    return f"{value:,.0f}"


def prefills_per_s(facts: SystemFacts) -> float:
    """Requests whose prompts an LLM service reads per second: the stated rate, else its streams' turnover."""
    rate = facts.num("request_rate") or 0.0
    out_tokens = facts.num("output_tokens") or 0.0
    users = facts.num("concurrent_users") or 0.0
    return max(rate, users * STREAM_TOKENS_PER_S / out_tokens if out_tokens else 0.0)


def prefill_need(facts: SystemFacts, machine: ReferenceMachine) -> tuple[float, float, str] | None:
    """(FLOP/s needed, one node's prefill FLOP/s, how) for an LLM service whose prompt length the text states;
    None otherwise (a prompt length is never assumed: the review says where prefill would start to bind)."""
    prompt = facts.num("prompt_tokens")
    requests = prefills_per_s(facts)
    if not (is_llm(facts) and prompt and requests):
        return None
    per_request = scoring.prefill_flops(facts.num("model_params"), prompt)
    capacity = machine.gpus * machine.gpu_peak_flops_per_s * machine.prefill_mfu
    need = requests * per_request
    how = (
        f"prefill {requests:,.4g} req/s x 2 x {_count(facts.num('model_params'))} params x {prompt:,.0f} prompt "
        f"tokens = "
        f"{need:.3g} FLOP/s vs {machine.gpus} GPUs x {machine.gpu_peak_flops_per_s / 1e12:g} TFLOP/s x MFU "
        f"{machine.prefill_mfu:g} = {capacity:.3g} FLOP/s"
    )
    return need, capacity, how


def serving_throughput(facts: SystemFacts, machine: ReferenceMachine) -> Pressure:
    """Serving's throughput ceiling: requests on CPUs for a small model; for an LLM, decode (weights read per
    token) and, when the prompt length is stated, prefill (2 P FLOPs per prompt token), whichever needs more."""
    demand, capacity, unit, how = serving_demand_capacity(facts, machine)
    decode = _pressure("throughput", demand, capacity, unit, how)
    prefill = prefill_need(facts, machine)
    if prefill is None:
        return decode
    need, prefill_capacity, prefill_how = prefill
    parts = {"prefill": need / prefill_capacity, "decode": decode.ratio}
    both = f"{prefill_how}; decode {how}"
    if parts["prefill"] > parts["decode"]:
        return _pressure("throughput", need, prefill_capacity, "FLOP/s", both).model_copy(update={"parts": parts})
    return decode.model_copy(update={"inputs": both, "parts": parts})


def recomputation(facts: SystemFacts) -> str:
    """Full recomputation runs each forward pass twice: 8 P D (as stated only; selective costs ~3%, so 6 P D)."""
    return "full" if facts.text("recomputation") == "full" else "none"


def training_seconds(facts: SystemFacts, machine: ReferenceMachine, gpus: int) -> float:
    """How long the stated run takes on `gpus` of the reference's GPUs, at the stated MFU or the reference's."""
    flops = scoring.training_flops(facts.num("model_params") or 0.0, facts.num("tokens") or 0.0, recomputation(facts))
    return scoring.training_time_s(flops, gpus, machine.gpu_peak_flops_per_s, facts.num("mfu") or machine.mfu)


def throughput_ceiling(facts: SystemFacts, machine: ReferenceMachine) -> Pressure:
    workload = facts.text("workload")
    if workload == "training" and facts.flag("online_updates") and facts.num("request_rate"):
        demand, capacity, unit, how = serving_demand_capacity(facts, machine)  # updates arrive like requests
        return _pressure(
            "throughput", demand, capacity, unit.replace("requests", "updates"), how.replace("req/s", "updates/s")
        )
    if workload == "training" and facts.flag("recommender"):
        # its parameters are embedding rows looked up, not multiplied: 6 P D would count a 2T-parameter table as 2T
        # of dense compute per sample
        return _pressure(
            "throughput",
            0.0,
            1.0,
            "s",
            "a recommendation model's compute is its dense layers, not its embedding tables: not counted from its "
            "parameters (state its samples per second or its step time)",
        )
    if workload == "training":
        params, tokens, deadline = facts.num("model_params") or 0.0, facts.num("tokens") or 0.0, facts.num("deadline")
        recompute, mfu = recomputation(facts), facts.num("mfu") or machine.mfu
        flops = scoring.training_flops(params, tokens, recompute)
        seconds = training_seconds(facts, machine, machine.gpus)
        if not deadline:
            return _pressure("throughput", 0.0, 1.0, "s", "no deadline stated")
        factor = "8 (full activation recomputation, as stated)" if recompute == "full" else "6"
        return _pressure(
            "throughput",
            seconds,
            deadline,
            "s",
            f"{factor} x {params:.3g} params x {tokens:.3g} tokens = {flops:.3g} FLOPs = {seconds / 86400:,.1f} days "
            f"on one node ({machine.gpus} x {machine.gpu_peak_flops_per_s / 1e12:g} TFLOP/s x MFU {mfu:g}"
            f"{' as stated' if facts.num('mfu') else ''}) vs "
            f"{deadline / 86400:,.1f} days allowed",
        )
    if workload in ("serving", "agents"):
        return serving_throughput(facts, machine)
    return _pressure(
        "throughput", 0.0, 1.0, "", "a bounded batch job: its throughput limit is counted in the data ceiling"
    )


def ceilings(facts: SystemFacts, machine: ReferenceMachine) -> dict[str, Pressure]:
    return {
        "data": data_ceiling(facts, machine),
        "model": model_ceiling(facts, machine),
        "throughput": throughput_ceiling(facts, machine),
    }


# The size each ceiling's need is computed from: a need resting on an assumed size is weaker evidence.
_SIZED_BY = {"data": ("data_size",), "model": ("model_params",), "throughput": ("request_rate", "token_rate", "tokens")}


# Every input a ceiling's need is computed from, per workload: a need resting on one assumed says so.
NEED_INPUTS = {
    "data": ("data_size",),
    "model": ("model_params",),
    "throughput": ("model_params", "request_rate", "output_tokens", "prompt_tokens", "tokens", "deadline"),
}


def assumed_inputs(name: str, facts: SystemFacts) -> list[str]:
    """The inputs of ceiling `name` the text does not state (each assumed), as the review names them."""
    return [field for field in NEED_INPUTS.get(name, ()) if getattr(facts, field).assumed]


def binding(pressures: dict[str, Pressure], facts: SystemFacts | None = None) -> str:
    """The ceiling that ran out (highest pressure), or "none" when no pressure reaches 0.5. Pressures far past one
    machine all round to 1.00; between those, one sized by what the text states beats one sized by an assumption
    (a 100T-parameter model over a dataset assumed from Chinchilla's tokens)."""

    def stated(name: str) -> bool:
        sized = [getattr(facts, f) for f in _SIZED_BY.get(name, ()) if facts is not None and getattr(facts, f).known]
        return any(not fact.assumed for fact in sized)

    name = max(pressures, key=lambda k: (pressures[k].pressure, stated(k)))
    return name if pressures[name].binds else "none"


def machines_needed(pressures: dict[str, Pressure]) -> int:
    return max(1, math.ceil(max(p.ratio for p in pressures.values()) - 1e-9))


def axis_pressures(
    facts: SystemFacts, pressures: dict[str, Pressure], gpus_per_node: int = ReferenceMachine().gpus
) -> dict[str, float]:
    """The six axes of Section 1.2, each forced to the degree its ceiling binds."""
    workload = facts.text("workload")
    throughput = pressures["throughput"].pressure
    nodes = machines_needed(pressures)
    workers = facts.num("workers")
    if workers and workload == "training":
        nodes = max(nodes, math.ceil(workers / gpus_per_node))
    agents = facts.num("agents") or 1.0
    return {
        "data": pressures["data"].pressure,
        "training": (max(throughput, pressures["data"].pressure) if pressures["data"].unit == "parties" else throughput)
        if workload == "training"
        else 0.05,
        "model": pressures["model"].pressure,
        "inference": throughput if workload in ("serving", "agents") else 0.05,
        "coordination": round(nodes / (nodes + 4), 4) if nodes > 1 else 0.05,
        "intelligence": from_ratio((agents - 1) / 2) if agents > 1 else 0.05,
    }


def ranked(axes: dict[str, float]) -> list[tuple[str, float]]:
    from ceiling.agents.schemas import AXES

    return sorted(axes.items(), key=lambda kv: (-kv[1], AXES.index(kv[0])))


def ceiling_break_evens(
    facts: SystemFacts, pressures: dict[str, Pressure], machine: ReferenceMachine
) -> list[BreakEven]:
    """For each ceiling input, the value at which that ceiling would start (or stop) binding."""
    out: list[BreakEven] = []

    def add(
        quantity: str, current: float | None, flips_at: float, unit: str, meaning: str, assumed: bool | None = None
    ) -> None:
        out.append(
            BreakEven(
                quantity=quantity,
                current=current,
                flips_at=flips_at,
                unit=unit,
                meaning=meaning,
                assumed=getattr(facts, quantity).assumed if assumed is None else assumed,
            )
        )

    model = pressures["model"]
    params = facts.num("model_params")
    if params and model.need:
        add(
            "model_params",
            params,
            params * model.capacity / model.need,
            "params",
            "the model ceiling binds from this size (needs one accelerator's memory)",
        )
    data = pressures["data"]
    if data.unit == "bytes" and data.capacity:
        add("data_size", facts.num("data_size"), data.capacity, "bytes", "the data ceiling binds from this size")
    elif data.unit == "s" and data.capacity:
        add(
            "data_size",
            facts.num("data_size"),
            data.capacity * machine.scan_bytes_per_s,
            "bytes",
            "one node can no longer process the data inside the window",
        )
    throughput = pressures["throughput"]
    workload = facts.text("workload")
    if workload in ("serving", "agents") and throughput.capacity:
        if throughput.parts and facts.num("request_rate"):  # prefill and decode both grow with the rate
            add(
                "request_rate",
                facts.num("request_rate"),
                facts.num("request_rate") / throughput.ratio,
                "1/s",
                f"one machine's {max(throughput.parts, key=throughput.parts.get)} capacity runs out at this rate",
            )
        elif throughput.unit == "tokens/s":
            tokens = facts.num("output_tokens") or 0.0
            if tokens and facts.num("request_rate") is not None:
                add(
                    "request_rate",
                    facts.num("request_rate"),
                    throughput.capacity / tokens,
                    "1/s",
                    "one machine's decode capacity runs out at this request rate",
                )
            if facts.num("concurrent_users") is not None:
                add(
                    "concurrent_users",
                    facts.num("concurrent_users"),
                    throughput.capacity / STREAM_TOKENS_PER_S,
                    "users",
                    "one machine's decode capacity runs out at this many streams",
                )
        else:
            add(
                "request_rate",
                facts.num("request_rate"),
                throughput.capacity,
                "1/s",
                "one machine's request capacity runs out here",
            )
            rate = facts.num("request_rate")
            if rate and facts.num("machine_rate"):
                add(
                    "machine_rate",
                    facts.num("machine_rate"),
                    rate,
                    "1/s",
                    "below this per-machine capacity one machine cannot take the load",
                )
            elif rate:  # the CPU time per request is the small model's capacity: stated, or the machine's, assumed
                add(
                    "service_time",
                    facts.num("service_time") or machine.small_model_request_ms,
                    machine.cpu_cores * 1000.0 / rate,
                    "ms",
                    "one machine's CPUs run out at this much compute per request",
                    assumed=facts.num("service_time") is None,
                )
    requests = prefills_per_s(facts)
    if workload in ("serving", "agents") and is_llm(facts) and requests:
        per_token = requests * scoring.prefill_flops(facts.num("model_params"), 1.0)
        add(
            "prompt_tokens",
            facts.num("prompt_tokens"),
            machine.gpus * machine.gpu_peak_flops_per_s * machine.prefill_mfu / per_token,
            "tokens",
            "prefill alone needs more than one machine from this prompt length",
        )
    if workload == "training" and throughput.need and throughput.capacity:
        add(
            "deadline",
            facts.num("deadline"),
            throughput.need,
            "s",
            "a deadline shorter than this forces distributed training",
        )
        tokens = facts.num("tokens")
        if tokens:
            add(
                "tokens",
                tokens,
                tokens * throughput.capacity / throughput.need,
                "tokens",
                "more tokens than this cannot be trained on one node in time",
            )
    return out
