"""Fill what the description left out, saying so: every default here becomes an assumption
in the review, and the break-even table shows which of them could flip the verdict."""

from __future__ import annotations

from ceiling.agents.quantities import quantity
from ceiling.agents.schemas import Fact, SystemFacts
from ceiling.agents.scoring.pressures import LLM_PARAMS
from ceiling.agents.scoring.reference import ReferenceMachine

CHECKPOINT_WRITE_S = 60.0
TOKENS_PER_STEP = 2**20  # a ~1M-token global batch
CHINCHILLA_TOKENS_PER_PARAM = 20
SITE_LINK_BYTES_PER_S = 1e9 / 8  # 1 Gb/s: a hospital's or a bank's internet uplink
SITE_LINK_LATENCY_S = 0.020


def _assume_default(facts: SystemFacts, name: str) -> None:
    """The registry row's own default, for a quantity whose usual value needs no other fact."""
    row = quantity(name)
    _assume(facts, name, row.default.value, row.unit or "", row.default.reason)


def _assume(facts: SystemFacts, name: str, value, unit: str, why: str) -> None:
    current = getattr(facts, name)
    if current.value is None:
        # The reader may have left a note on a number it refused ("-5 TB", "latency of 20"): keep it first.
        why = f"{current.assumption}; so {why}" if current.assumption else why
        setattr(facts, name, Fact(value=value, unit=unit, assumed=True, assumption=why))


def _infer_workload(facts: SystemFacts) -> tuple[str, str]:
    if (facts.num("agents") or 0) >= 2:
        return "agents", "several agents are named and no other workload"
    if any(facts.num(n) is not None for n in ("request_rate", "slo", "concurrent_users", "fanout")):
        return "serving", "the text gives request-level numbers, so it is reviewed as a serving system"
    if any(facts.num(n) is not None for n in ("tokens", "gradient_size", "step_compute")):
        return "training", "the text gives training-run numbers"
    if facts.num("data_size") is not None:
        return "data_pipeline", "the text gives only a data size, so it is reviewed as a batch data job"
    return "serving", "the text names no workload; reviewed as a serving system"


def complete(facts: SystemFacts, machine: ReferenceMachine) -> SystemFacts:
    """A copy of `facts` with every quantity the stages need, defaults marked `assumed`."""
    f = facts.model_copy(deep=True)
    if f.text("workload") is None:
        workload, why = _infer_workload(f)
        _assume(f, "workload", workload, "", why)
    workload = f.text("workload")
    _assume(
        f,
        "arrival",
        {"serving": "request", "agents": "request"}.get(workload, "bounded"),
        "",
        f"a {workload.replace('_', ' ')} workload; the text does not say how work arrives",
    )
    for name in ("share_data", "spof_ok", "multi_region", "online_updates", "agents", "mtbf"):
        _assume_default(f, name)
    _assume(
        f,
        "gpu_memory",
        machine.gpu_memory_bytes,
        "byte",
        f"accelerator memory of the reference machine ({machine.name})",
    )
    if f.num("model_params") is not None:
        _assume(f, "bytes_per_param", 2.0, "byte", "bf16 weights (2 bytes per parameter)")
    elif f.flag("foundation_model"):
        _assume(
            f,
            "model_params",
            70e9,
            "",
            "a foundation / frontier-scale model with no size given: assumed 70B parameters",
        )
        _assume(f, "bytes_per_param", 2.0, "byte", "bf16 weights (2 bytes per parameter)")
    elif not f.flag("small_model"):
        if workload in ("serving", "agents", "training"):
            _assume(f, "model_params", 1e9, "", "model size not stated; assumed 1B parameters")
            _assume(f, "bytes_per_param", 2.0, "byte", "bf16 weights (2 bytes per parameter)")

    if workload in ("serving", "agents"):
        _complete_serving(f)
    elif workload == "training":
        _complete_training(f, machine)
    elif f.num("tokens"):  # a corpus counted in tokens ("30 trillion tokens"): its bytes, as for training
        _assume(
            f, "data_size", f.num("tokens") * 4.0, "byte", "dataset size from the token count at ~4 bytes per token"
        )
        _assume(f, "deadline", 24 * 3600.0, "s", "no deadline stated; assumed the job must finish within 24 h")
    else:
        _assume(f, "data_size", 1e12, "byte", "data size not stated; assumed 1 TB")
        _assume(f, "deadline", 24 * 3600.0, "s", "no deadline stated; assumed the job must finish within 24 h")
    return f


def _complete_serving(f: SystemFacts) -> None:
    llm = (f.num("model_params") or 0) >= LLM_PARAMS and not f.flag("small_model")
    if llm:
        _assume(f, "output_tokens", 256.0, "", "256 generated tokens per request")
        _assume(f, "slo", 1000.0, "ms", "no latency target stated; assumed 1 s to first token, p99")
    else:
        _assume(f, "slo", 100.0, "ms", "no latency target stated; assumed 100 ms p99 (a human-perceptible budget)")
    _assume_default(f, "slo_percentile")
    if f.num("request_rate") is None and f.num("concurrent_users") is None:
        _assume(f, "request_rate", 100.0, "1/s", "request rate not stated; assumed 100 requests/s")
    _assume_default(f, "fanout")
    _assume_default(f, "hop_latency")
    _assume(f, "data_size", 0.0, "byte", "no data consulted per request is sized")
    _assume(f, "checkpoint_write", 0.0, "s", "a stateless serving replica has nothing to checkpoint")


def _complete_training(f: SystemFacts, machine: ReferenceMachine) -> None:
    params = f.num("model_params") or 1e9
    _assume(
        f,
        "tokens",
        CHINCHILLA_TOKENS_PER_PARAM * params,
        "",
        "training tokens not stated; 20 tokens per parameter (Chinchilla)",
    )
    _assume(f, "deadline", 30 * 86400.0, "s", "no deadline stated; assumed the run must finish within 30 days")
    _assume(
        f, "data_size", (f.num("tokens") or 0) * 4.0, "byte", "dataset size from the token count at ~4 bytes per token"
    )
    _assume(f, "gradient_size", params * 2.0, "byte", "bf16 gradients: 2 bytes per parameter all-reduced each step")
    step = 6 * params * TOKENS_PER_STEP / (machine.gpu_peak_flops_per_s * machine.mfu)
    _assume(
        f,
        "step_compute",
        step,
        "s",
        f"one step of a ~1M-token batch on one GPU: 6 x params x 2^20 / ({machine.gpu_peak_flops_per_s / 1e12:g} "
        f"TFLOP/s x MFU {machine.mfu})",
    )
    if f.spans_sites():  # each site's own link to the others, not a cluster's fabric
        _assume(f, "bandwidth", SITE_LINK_BYTES_PER_S, "byte/s", "a site's WAN link not stated; assumed 1 Gb/s")
        _assume(f, "link_latency", SITE_LINK_LATENCY_S, "s", "latency between sites not stated; assumed 20 ms")
    _assume(
        f,
        "bandwidth",
        machine.inter_bandwidth_bytes_per_s,
        "byte/s",
        "inter-node link of the reference machine: NDR InfiniBand, 50 GB/s",
    )
    _assume(f, "link_latency", machine.inter_alpha_s, "s", "InfiniBand per-message latency, 5 us")
    _assume(f, "checkpoint_write", CHECKPOINT_WRITE_S, "s", "checkpoint write time not stated; assumed 60 s")
