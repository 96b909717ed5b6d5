"""Closed-form scoring arithmetic for the design reviewer.

Pure functions over plain floats: no I/O, no unit library. Units live in the
names (``_s`` seconds, ``_ms`` milliseconds, ``_h`` hours, ``_bytes``,
``_per_s``). Every formula names its public source, following
the formula sheet in docs/formulas.md. Functions whose inputs are a ratio of like
quantities (``availability``, ``bus_bandwidth``) accept any consistent unit.

Conventions: alpha = per-message latency in seconds, B = bandwidth in bytes per
second, M = message size in bytes, p = number of ranks. GB = 1e9 bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    # collectives
    "point_to_point_s",
    "ring_allgather_s",
    "ring_allreduce_s",
    "rabenseifner_allreduce_s",
    "recursive_doubling_allreduce_s",
    "binomial_broadcast_s",
    "alltoall_pairwise_s",
    "two_level_allreduce_s",
    "bus_bandwidth",
    "ALLREDUCE_ALGORITHMS",
    "best_allreduce",
    # scaling
    "step_time_s",
    "ring_step_time_s",
    "comm_exceeds_compute_from",
    "optimal_workers_ring",
    "optimal_workers_linear_cost",
    # parallelism inside a training step
    "pipeline_bubble_fraction",
    "tensor_parallel_bytes_per_micro_batch",
    "tensor_parallel_comm_s",
    # compute and memory
    "training_flops",
    "training_time_s",
    "zero_memory_bytes",
    "activation_memory_per_layer_bytes",
    "weights_bytes",
    "kv_cache_bytes_per_token",
    "kv_cache_bytes",
    "DecodeTime",
    "decode_time_per_token_s",
    "decode_step_time_s",
    # serving an LLM on a fleet
    "prefill_flops",
    "gpus_for_flops",
    "decode_tokens_per_s",
    # across sites
    "site_round_s",
    "aggregator_inbound_s",
    # failure tax
    "node_mtbf_h",
    "fleet_mtbf_h",
    "p_failure_within",
    "young_interval_s",
    "daly_interval_s",
    "wasted_fraction",
    "availability",
    "replicated_availability",
    "p_any_down",
    "p_fanout_slow",
    "replicas_for_availability",
    # serving
    "erlang_c",
    "mmc_mean_wait_s",
    "mmc_p99_wait_s",
    "littles_law",
    # the chapter's own arithmetic
    "comm_tax_ms",
    "budget_left_ms",
    "fanout_break_point",
    "Verdict",
    "design",
    "sweep_fanout",
]


# ---------------------------------------------------------------------------
# private helpers
# ---------------------------------------------------------------------------


def _check_ranks(p: int) -> int:
    if int(p) != p or p < 1:
        raise ValueError(f"rank count must be a positive integer, got {p!r}")
    return int(p)


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def _log2_rounds(p: int) -> int:
    """Rounds of a doubling/halving schedule: ceil(log2 p) (exact for powers of two)."""
    return math.ceil(math.log2(p)) if p > 1 else 0


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value!r}")


# ---------------------------------------------------------------------------
# Collectives (Hockney alpha-beta; Thakur, Rabenseifner & Gropp 2005)
# ---------------------------------------------------------------------------


def point_to_point_s(message_bytes: float, bandwidth_bytes_per_s: float, alpha_s: float) -> float:
    """One point-to-point message: T = alpha + M / B.

    Args: message_bytes (M, bytes); bandwidth_bytes_per_s, the link's bandwidth (B, bytes/s); alpha_s,
    per-message latency (alpha, s). Returns seconds. Source: Hockney 1994, the alpha-beta model.
    Example: 8 KB over InfiniBand at 50 GB/s with alpha = 5 us, in us.
    >>> round(point_to_point_s(8e3, 50e9, 5e-6) * 1e6, 2)
    5.16
    """
    _check_positive("bandwidth_bytes_per_s", bandwidth_bytes_per_s)
    return alpha_s + message_bytes / bandwidth_bytes_per_s


def ring_allgather_s(p: int, message_bytes: float, bandwidth_bytes_per_s: float, alpha_s: float) -> float:
    """Ring all-gather or reduce-scatter: T = (p - 1) alpha + (p - 1) / p * M / B.

    Args: p ranks (p); message_bytes, the full gathered (or reduced) buffer (M, bytes);
    bandwidth_bytes_per_s (B, bytes/s); alpha_s (alpha, s). Returns seconds.
    Source: Thakur, Rabenseifner & Gropp 2005.
    Example (half of check 10): 1 GB on 8 GPUs at 50 GB/s, alpha 500 ns, in ms.
    >>> round(ring_allgather_s(8, 1e9, 50e9, 500e-9) * 1e3, 4)
    17.5035
    """
    p = _check_ranks(p)
    _check_positive("bandwidth_bytes_per_s", bandwidth_bytes_per_s)
    return (p - 1) * alpha_s + (p - 1) / p * message_bytes / bandwidth_bytes_per_s


def ring_allreduce_s(p: int, message_bytes: float, bandwidth_bytes_per_s: float, alpha_s: float) -> float:
    """Ring all-reduce: T = 2 (p - 1) alpha + 2 (p - 1) / p * M / B.

    Args: p ranks (p); message_bytes, the bytes each rank reduces (M, bytes); bandwidth_bytes_per_s, one
    link's bandwidth (B, bytes/s); alpha_s, per-message latency (alpha, s). Returns seconds.
    Source: Thakur, Rabenseifner & Gropp 2005; NCCL's ring.
    Example (docs/formulas.md check 10): 1 GB on 8 GPUs at 50 GB/s, alpha 500 ns.
    >>> round(ring_allreduce_s(8, 1e9, 50e9, 500e-9) * 1e3, 3)
    35.007
    """
    return 2.0 * ring_allgather_s(p, message_bytes, bandwidth_bytes_per_s, alpha_s)


def rabenseifner_allreduce_s(p: int, message_bytes: float, bandwidth_bytes_per_s: float, alpha_s: float) -> float:
    """Rabenseifner all-reduce (reduce-scatter, then all-gather, by halving and doubling):
    T = 2 log2(p) alpha + 2 (p - 1) / p * M / B, log2 rounded up for p not a power of two.

    Args: p ranks (p); message_bytes (M, bytes); bandwidth_bytes_per_s (B, bytes/s); alpha_s (alpha, s).
    Returns seconds. Source: Thakur, Rabenseifner & Gropp 2005.
    Example (check 2): p = 64, B = 50 GB/s, alpha = 5 us, M = 2 GB.
    >>> round(rabenseifner_allreduce_s(64, 2e9, 50e9, 5e-6) * 1e3, 2)
    78.81
    """
    p = _check_ranks(p)
    _check_positive("bandwidth_bytes_per_s", bandwidth_bytes_per_s)
    return 2 * _log2_rounds(p) * alpha_s + 2.0 * (p - 1) / p * message_bytes / bandwidth_bytes_per_s


def recursive_doubling_allreduce_s(p: int, message_bytes: float, bandwidth_bytes_per_s: float, alpha_s: float) -> float:
    """Recursive-doubling all-reduce: T = log2(p) (alpha + M / B).

    Args: p ranks (p); message_bytes (M, bytes); bandwidth_bytes_per_s (B, bytes/s); alpha_s (alpha, s).
    Returns seconds. Source: Thakur, Rabenseifner & Gropp 2005.
    Example (check 2): p = 64, B = 50 GB/s, alpha = 5 us, M = 8 KB.
    >>> round(recursive_doubling_allreduce_s(64, 8e3, 50e9, 5e-6) * 1e6, 1)
    31.0
    """
    p = _check_ranks(p)
    return _log2_rounds(p) * point_to_point_s(message_bytes, bandwidth_bytes_per_s, alpha_s)


def binomial_broadcast_s(p: int, message_bytes: float, bandwidth_bytes_per_s: float, alpha_s: float) -> float:
    """Binomial-tree broadcast: T = log2(p) (alpha + M / B), log2 rounded up for p not a power of two.

    Args: p ranks (p); message_bytes (M, bytes); bandwidth_bytes_per_s (B, bytes/s); alpha_s (alpha, s).
    Returns seconds. Source: Thakur, Rabenseifner & Gropp 2005 (MPICH coll/).
    Example: 8 KB to 64 ranks at 50 GB/s, alpha = 5 us, in us (6 rounds of one message).
    >>> round(binomial_broadcast_s(64, 8e3, 50e9, 5e-6) * 1e6, 2)
    30.96
    """
    p = _check_ranks(p)
    return _log2_rounds(p) * point_to_point_s(message_bytes, bandwidth_bytes_per_s, alpha_s)


def alltoall_pairwise_s(p: int, message_bytes: float, bandwidth_bytes_per_s: float, alpha_s: float) -> float:
    """Pairwise-exchange all-to-all: T = (p - 1) alpha + (p - 1) / p * M / B.

    Args: p ranks (p); message_bytes, the total bytes each rank holds, M / p of it to each peer (M, bytes);
    bandwidth_bytes_per_s (B, bytes/s); alpha_s (alpha, s). Returns seconds.
    Source: Thakur, Rabenseifner & Gropp 2005.
    Example: 1 GB per GPU across the 8 GPUs of a node on NVLink (450 GB/s, alpha 0.5 us), in ms.
    >>> round(alltoall_pairwise_s(8, 1e9, 450e9, 0.5e-6) * 1e3, 3)
    1.948
    """
    return ring_allgather_s(p, message_bytes, bandwidth_bytes_per_s, alpha_s)


def two_level_allreduce_s(
    nodes: int,
    gpus_per_node: int,
    message_bytes: float,
    intra_bandwidth_bytes_per_s: float,
    intra_alpha_s: float,
    inter_bandwidth_bytes_per_s: float,
    inter_alpha_s: float,
) -> float:
    """Hierarchical all-reduce (NCCL's intra/inter split): a ring reduce-scatter of M over the G
    GPUs of a node, a ring all-reduce of M / G across the nodes, a ring all-gather of M in the node.

    Args: nodes and gpus_per_node (G); message_bytes (M, bytes); intra_* and inter_*: the bandwidth
    (bytes/s) and per-message latency (s) inside a node and between nodes. Returns seconds.
    Source: NCCL's tree/ring split, as in docs/formulas.md.
    Example (check 11): 8 nodes x 8 GPUs, M = 2 GB, NVLink 450 GB/s at 0.5 us, InfiniBand 50 GB/s at 5 us.
    >>> round(two_level_allreduce_s(8, 8, 2e9, 450e9, 0.5e-6, 50e9, 5e-6) * 1e3, 2)
    16.6
    """
    nodes = _check_ranks(nodes)
    g = _check_ranks(gpus_per_node)
    intra = ring_allgather_s(g, message_bytes, intra_bandwidth_bytes_per_s, intra_alpha_s)
    inter = ring_allreduce_s(nodes, message_bytes / g, inter_bandwidth_bytes_per_s, inter_alpha_s)
    return intra + inter + intra  # reduce-scatter + cross-node all-reduce + all-gather


_BUS_FACTORS: dict[str, Callable[[int], float]] = {
    "allreduce": lambda n: 2.0 * (n - 1) / n,
    "allgather": lambda n: (n - 1) / n,
    "reducescatter": lambda n: (n - 1) / n,
    "alltoall": lambda n: (n - 1) / n,
    "broadcast": lambda n: 1.0,
    "reduce": lambda n: 1.0,
}


def bus_bandwidth(algbw: float, n: int, collective: str) -> float:
    """NCCL bus bandwidth from algorithm bandwidth: busbw = algbw x 2 (n - 1) / n for all-reduce,
    x (n - 1) / n for all-gather, reduce-scatter and all-to-all, x 1 for broadcast and reduce.

    Args: algbw (any bandwidth unit; the result is in it); n ranks; collective, its name.
    Source: nccl-tests PERFORMANCE.md.
    Example (check 1): all-reduce on 8 ranks at 100 GB/s of algorithm bandwidth.
    >>> bus_bandwidth(100.0, 8, "allreduce")
    175.0
    """
    n = _check_ranks(n)
    key = collective.lower().replace("_", "").replace("-", "").replace(" ", "")
    if key not in _BUS_FACTORS:
        raise ValueError(f"unknown collective {collective!r}; expected one of {sorted(_BUS_FACTORS)}")
    return algbw * _BUS_FACTORS[key](n)


ALLREDUCE_ALGORITHMS: dict[str, Callable[[int, float, float, float], float]] = {
    "ring": ring_allreduce_s,
    "rabenseifner": rabenseifner_allreduce_s,
    "recursive_doubling": recursive_doubling_allreduce_s,
}


def best_allreduce(p: int, message_bytes: float, bandwidth_bytes_per_s: float, alpha_s: float) -> tuple[str, float]:
    """Fastest flat all-reduce: the minimum of ALLREDUCE_ALGORITHMS' T(p, M, B, alpha); ties go to the earlier entry.

    Args: p ranks (p); message_bytes (M, bytes); bandwidth_bytes_per_s (B, bytes/s); alpha_s (alpha, s).
    Returns (algorithm name, seconds). Source: Thakur, Rabenseifner & Gropp 2005, the alpha-beta model.
    Example (check 2): p = 64, B = 50 GB/s, alpha = 5 us; M = 2 GB (in ms), then M = 8 KB (in us).
    >>> name, t = best_allreduce(64, 2e9, 50e9, 5e-6)
    >>> name, round(t * 1e3, 2)
    ('rabenseifner', 78.81)
    >>> name, t = best_allreduce(64, 8e3, 50e9, 5e-6)
    >>> name, round(t * 1e6, 1)
    ('recursive_doubling', 31.0)
    """
    best_name, best_s = "", math.inf
    for name, fn in ALLREDUCE_ALGORITHMS.items():
        t = fn(p, message_bytes, bandwidth_bytes_per_s, alpha_s)
        if t < best_s:
            best_name, best_s = name, t
    return best_name, best_s


# ---------------------------------------------------------------------------
# When more workers make it slower
# ---------------------------------------------------------------------------


def step_time_s(workers: int, compute_s: float, comm_s: float) -> float:
    """Data-parallel step time, no overlap of compute and communication: T(N) = C / N + T_comm.

    Args: workers (N); compute_s, one step's compute on one worker (C, s); comm_s, the step's
    communication (T_comm, s). Returns seconds.
    Source: docs/formulas.md ("When more workers make it slower"); Chapter 1.8, stage 6 (the tax to budget).
    Example (check 2, 9): C = 1 s on 64 workers plus the 79.38 ms ring all-reduce of 2 GB, in ms.
    >>> round(step_time_s(64, 1.0, ring_allreduce_s(64, 2e9, 50e9, 5e-6)) * 1e3, 2)
    95.01
    """
    _check_ranks(workers)
    return compute_s / workers + comm_s


def ring_step_time_s(
    workers: int, compute_s: float, message_bytes: float, bandwidth_bytes_per_s: float, alpha_s: float
) -> float:
    """Data-parallel step time with a ring all-reduce of the gradient, no overlap:
    T(N) = C / N + 2 (N - 1) alpha + 2 (N - 1) / N * M / B.

    Args: workers (N); compute_s (C, s); message_bytes, the gradient (M, bytes); bandwidth_bytes_per_s
    (B, bytes/s); alpha_s (alpha, s). Returns seconds.
    Source: docs/formulas.md ("When more workers make it slower"); Thakur, Rabenseifner & Gropp 2005.
    Example (check 9): C = 1 s, M = 2 GB, B = 50 GB/s, alpha = 5 us; N = 256 against N = 4096, in ms.
    >>> [round(ring_step_time_s(n, 1.0, 2e9, 50e9, 5e-6) * 1e3, 1) for n in (256, 4096)]
    [86.1, 121.2]
    """
    return step_time_s(workers, compute_s, ring_allreduce_s(workers, message_bytes, bandwidth_bytes_per_s, alpha_s))


def comm_exceeds_compute_from(
    compute_s: float,
    message_bytes: float,
    bandwidth_bytes_per_s: float,
    alpha_s: float,
    max_workers: int = 1_000_000,
) -> int | None:
    """The worker count from which a step is communication-bound: the smallest N >= 2 with
    2 (N - 1) alpha + 2 (N - 1) / N * M / B > C / N, or None if no N <= max_workers is.
    Ring time rises and C/N falls with N, so the gap is monotone and a bisection finds the crossing.

    Args: compute_s (C, s); message_bytes, the gradient (M, bytes); bandwidth_bytes_per_s (B, bytes/s);
    alpha_s (alpha, s); max_workers, the search's upper end. Returns a worker count or None.
    Source: docs/formulas.md ("When more workers make it slower"); Chapter 1.8, stage 6.
    Example (check 9): C = 1 s, M = 2 GB, B = 50 GB/s, alpha = 5 us.
    >>> comm_exceeds_compute_from(1.0, 2e9, 50e9, 5e-6)
    14
    """

    def bound(n: int) -> bool:
        return ring_allreduce_s(n, message_bytes, bandwidth_bytes_per_s, alpha_s) > compute_s / n

    if max_workers < 2 or not bound(max_workers):
        return None
    lo, hi = 1, max_workers  # invariant: bound(hi) is True, hi > lo, and lo is not a candidate
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mid >= 2 and bound(mid):
            hi = mid
        else:
            lo = mid
    return hi


def optimal_workers_ring(compute_s: float, message_bytes: float, bandwidth_bytes_per_s: float, alpha_s: float) -> float:
    """The worker count that minimises T(N) = C / N + ring all-reduce (no overlap):
    N* = sqrt((C - 2 M / B) / (2 alpha)); 0 when C <= 2 M / B.

    Args: compute_s, one step's compute on one worker (C, s); message_bytes, the gradient (M, bytes);
    bandwidth_bytes_per_s (B, bytes/s); alpha_s (alpha, s). Returns a worker count (not rounded).
    Source: docs/formulas.md ("When more workers make it slower"), from the ring's alpha-beta cost.
    Example (check 9): C = 1 s, M = 2 GB, B = 50 GB/s, alpha = 5 us.
    >>> round(optimal_workers_ring(1.0, 2e9, 50e9, 5e-6))
    303
    """
    _check_positive("bandwidth_bytes_per_s", bandwidth_bytes_per_s)
    _check_positive("alpha_s", alpha_s)
    surplus_s = compute_s - 2.0 * message_bytes / bandwidth_bytes_per_s
    if surplus_s <= 0:
        return 0.0
    return math.sqrt(surplus_s / (2.0 * alpha_s))


def optimal_workers_linear_cost(compute_s: float, cost_per_worker_s: float) -> float:
    """The worker count that minimises T(N) = C / N + k N (a cost that grows k per worker): N* = sqrt(C / k).

    Args: compute_s (C, s); cost_per_worker_s (k, s per worker). Returns a worker count (not rounded).
    Source: docs/formulas.md ("When more workers make it slower").
    Example: C = 1 s against 10 us more per added worker.
    >>> round(optimal_workers_linear_cost(1.0, 10e-6), 1)
    316.2
    """
    _check_positive("cost_per_worker_s", cost_per_worker_s)
    return math.sqrt(max(compute_s, 0.0) / cost_per_worker_s)


# ---------------------------------------------------------------------------
# Parallelism inside a training step (Megatron-LM: Shoeybi et al. 2019; Narayanan et al. 2021)
# ---------------------------------------------------------------------------


def pipeline_bubble_fraction(stages: int, micro_batches: int, virtual_stages: int = 1) -> float:
    """Share of a pipelined step the stages sit idle: bubble = (p - 1) / (v m + p - 1).

    Narayanan et al. give the bubble relative to the ideal time, (p - 1) / (v m); as a share of the whole
    step that is (p - 1) / (v m + p - 1). v = 1 is GPipe and 1F1B; v > 1 the interleaved schedule.

    Args: stages (p, pipeline stages); micro_batches (m, per step); virtual_stages (v, model chunks per device).
    Returns a fraction. Source: Narayanan et al. 2021, Sec. 2.2; Huang et al. 2019, GPipe; as in mlsysim.
    Example (mlsysim's tests): 4 stages, 8 micro-batches; then 4 virtual stages per device.
    >>> pipeline_bubble_fraction(4, 8) == 3 / 11, pipeline_bubble_fraction(4, 8, virtual_stages=4) == 3 / 35
    (True, True)
    """
    p = _check_ranks(stages)
    m = _check_ranks(micro_batches)
    v = _check_ranks(virtual_stages)
    return (p - 1) / (v * m + p - 1)


def tensor_parallel_bytes_per_micro_batch(
    layers: int, seq_len_tokens: int, micro_batch: int, hidden_size: int, bytes_per_value: float
) -> float:
    """Activations all-reduced by Megatron tensor parallelism for one micro-batch: four all-reduces per layer
    (two in the forward pass, two in the backward), each of s b h values: bytes = 4 L s b h x bytes per value.

    A ring moves 2 (t - 1) / t of each message per device, so each device sends 8 s b h (t - 1) / t values per
    layer, as Narayanan et al. state. Full recomputation repeats the forward pair (six per layer).

    Args: layers (L); seq_len_tokens (s); micro_batch (b, sequences); hidden_size (h); bytes_per_value (bytes).
    Returns bytes. Source: Shoeybi et al. 2019, Sec. 3; Narayanan et al. 2021, Sec. 3.2.
    Example: GPT-3 175B (96 layers, h = 12,288) at 2,048 tokens, micro-batch 1, in bf16, in GB.
    >>> round(tensor_parallel_bytes_per_micro_batch(96, 2048, 1, 12288, 2) / 1e9, 2)
    19.33
    """
    return 4.0 * layers * seq_len_tokens * micro_batch * hidden_size * bytes_per_value


def tensor_parallel_comm_s(
    tensor_parallel: int,
    layers: int,
    seq_len_tokens: int,
    micro_batch: int,
    hidden_size: int,
    bytes_per_value: float,
    bandwidth_bytes_per_s: float,
    alpha_s: float,
    all_reduces_per_layer: int = 4,
) -> float:
    """Time of the tensor-parallel all-reduces of one micro-batch, none overlapped: T = 4 L x ring all-reduce of
    M = s b h x bytes per value over t ranks, i.e. 4 L [2 (t - 1) alpha + 2 (t - 1) / t x M / B].

    They sit on the critical path of every layer, which is why tensor parallelism belongs inside a node. A forward
    pass alone (an LLM's prefill) runs two per layer: pass all_reduces_per_layer=2.

    Args: tensor_parallel (t, ranks); layers (L); seq_len_tokens (s); micro_batch (b); hidden_size (h);
    bytes_per_value (bytes); bandwidth_bytes_per_s, one link's (B, bytes/s); alpha_s (alpha, s);
    all_reduces_per_layer (4 in training, 2 in a forward pass). Returns seconds.
    Source: Narayanan et al. 2021, Sec. 3.2; Thakur, Rabenseifner & Gropp 2005 (the ring).
    Example: GPT-3 175B at 2,048 tokens, micro-batch 1, bf16, t = 8: NVLink (450 GB/s, 0.5 us) against
    InfiniBand (50 GB/s, 5 us), in ms.
    >>> [round(tensor_parallel_comm_s(8, 96, 2048, 1, 12288, 2, bw, a) * 1e3, 1) for bw, a in ((450e9, 0.5e-6),
    ...                                                                                       (50e9, 5e-6))]
    [77.8, 703.3]
    """
    message_bytes = seq_len_tokens * micro_batch * hidden_size * bytes_per_value
    return (
        all_reduces_per_layer
        * layers
        * ring_allreduce_s(tensor_parallel, message_bytes, bandwidth_bytes_per_s, alpha_s)
    )


# ---------------------------------------------------------------------------
# Compute and memory
# ---------------------------------------------------------------------------


# FLOPs per parameter per token: forward 2 + backward 4, and full recomputation runs the forward again (+2).
_TRAINING_FLOPS_PER_PARAM_TOKEN = {"none": 6.0, "full": 8.0}


def training_flops(params: float, tokens: float, recomputation: str = "none") -> float:
    """Training compute: FLOPs = 6 P D without activation recomputation, 8 P D with full recomputation.

    Args: params (P); tokens (D); recomputation, "none" or "full" (every layer's forward pass recomputed in the
    backward pass). Returns FLOPs. Source: Kaplan et al. 2020; EleutherAI, "Transformer Math 101" (6 P D);
    Narayanan et al. 2021, Sec. 5.1 (training time ~ 8 T P / (n X) with recomputation).
    Example (check 3): GPT-3, 175B parameters on 300B tokens.
    >>> f"{training_flops(175e9, 300e9):.3g}"
    '3.15e+23'

    Example (check 17): Narayanan et al.'s Table 2, 174.6B parameters on 300B tokens on 384 A100s at 153
    TFLOP/s each, printed as 84 days: 8 P D comes within 2%, 6 P D is 26% short, in days.
    >>> [round(training_time_s(training_flops(174.6e9, 300e9, mode), 384, 153e12, 1.0) / 86400, 1)
    ...  for mode in ("full", "none")]
    [82.6, 61.9]
    """
    if recomputation not in _TRAINING_FLOPS_PER_PARAM_TOKEN:
        raise ValueError(
            f"recomputation must be one of {sorted(_TRAINING_FLOPS_PER_PARAM_TOKEN)}, got {recomputation!r}"
        )
    return _TRAINING_FLOPS_PER_PARAM_TOKEN[recomputation] * params * tokens


def training_time_s(flops: float, gpus: int, peak_flops_per_s: float, mfu: float) -> float:
    """Wall time of a training run: T = FLOPs / (N x peak x MFU).

    Args: flops (FLOPs); gpus (N); peak_flops_per_s, one GPU's peak (FLOP/s); mfu, model FLOPs
    utilisation (typically 0.3-0.5). Returns seconds. Source: EleutherAI, "Transformer Math 101".
    Example (check 3): 405B x 15.6T tokens on 16,384 GPUs at 989 TFLOP/s and MFU 0.40, in days.
    >>> round(training_time_s(training_flops(405e9, 15.6e12), 16384, 989e12, 0.40) / 86400, 1)
    67.7
    """
    _check_positive("gpus", gpus)
    _check_positive("peak_flops_per_s", peak_flops_per_s)
    _check_positive("mfu", mfu)
    return flops / (gpus * peak_flops_per_s * mfu)


def zero_memory_bytes(params: float, data_parallel: int, stage: int) -> float:
    """Per-GPU model state of mixed-precision Adam (16 bytes per parameter) under ZeRO: stage 0 16 P;
    stage 1 4 P + 12 P / Nd; stage 2 2 P + 14 P / Nd; stage 3 16 P / Nd.

    Args: params (P); data_parallel (Nd); stage (0-3). Returns bytes.
    Source: Rajbhandari et al. 2020, ZeRO.
    Example (check 4): P = 7.5B, Nd = 64, stages 0 to 3, in GB.
    >>> [round(zero_memory_bytes(7.5e9, 64, stage) / 1e9, 1) for stage in range(4)]
    [120.0, 31.4, 16.6, 1.9]
    """
    nd = _check_ranks(data_parallel)
    if stage == 0:
        return 16.0 * params
    if stage == 1:
        return 4.0 * params + 12.0 * params / nd
    if stage == 2:
        return 2.0 * params + 14.0 * params / nd
    if stage == 3:
        return 16.0 * params / nd
    raise ValueError(f"ZeRO stage must be 0, 1, 2 or 3, got {stage!r}")


def activation_memory_per_layer_bytes(
    seq_len_tokens: int,
    micro_batch: int,
    hidden_size: int,
    attention_heads: int,
    recomputation: str = "none",
    tensor_parallel: int = 1,
    sequence_parallel: bool = False,
) -> float:
    """Activations one transformer layer keeps for its backward pass, in bytes (16-bit activations, 1-byte
    dropout masks), Korthikanti et al.'s Table 2: without recomputation s b h (34 + 5 a s / h); with tensor
    parallelism t, s b h (10 + 24 / t + 5 a s / (h t)), and with sequence parallelism too s b h (34 + 5 a s / h) / t;
    selective recomputation drops the attention term 5 a s / h (34 s b h, or s b h (10 + 24 / t), or 34 s b h / t);
    full recomputation keeps only the layer's input, 2 s b h.

    Args: seq_len_tokens (s); micro_batch (b, sequences); hidden_size (h); attention_heads (a); recomputation,
    "none", "selective" or "full"; tensor_parallel (t); sequence_parallel (Megatron's, splits the 10 s b h of
    layer norms and dropouts by t). Returns bytes per layer, on each tensor-parallel rank.
    Source: Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models", Sec. 4, Table 2.
    Example (mlsysim's tests): s = 1,024, b = 1, h = 768, a = 12, without, with selective and with full recomputation.
    >>> [activation_memory_per_layer_bytes(1024, 1, 768, 12, mode) for mode in ("none", "selective", "full")]
    [89653248.0, 26738688.0, 1572864.0]
    """
    t = _check_ranks(tensor_parallel)
    if recomputation == "full":
        return 2.0 * seq_len_tokens * micro_batch * hidden_size
    if recomputation not in ("none", "selective"):
        raise ValueError(f"recomputation must be 'none', 'selective' or 'full', got {recomputation!r}")
    # 10 s b h (layer-norm inputs, dropout masks, ...) stays whole on every rank unless sequence parallelism splits it.
    replicated = 10.0 / t if sequence_parallel else 10.0
    per_sbh = replicated + 24.0 / t
    if recomputation == "none":
        per_sbh += 5.0 * attention_heads * seq_len_tokens / (hidden_size * t)
    return seq_len_tokens * micro_batch * hidden_size * per_sbh


def weights_bytes(params: float, bytes_per_param: float) -> float:
    """Inference weights: bytes = P x bytes per parameter (bf16 2, int8 1, int4 0.5).

    Args: params (P); bytes_per_param (bytes). Returns bytes.
    Source: docs/formulas.md ("Compute and memory").
    Example (check 14): a 70B model in bf16, in GB.
    >>> weights_bytes(70e9, 2) / 1e9
    140.0
    """
    return params * bytes_per_param


def kv_cache_bytes_per_token(layers: int, kv_heads: int, head_dim: int, bytes_per_value: float) -> float:
    """KV cache per token: 2 (K and V) x L x n_kv_heads x d_head x bytes per value.

    Args: layers (L); kv_heads (n_kv_heads); head_dim (d_head); bytes_per_value (bytes). Returns bytes.
    Source: docs/formulas.md ("Compute and memory").
    Example (check 5): OPT-13B, 40 layers of 40 heads of 128 (5,120 hidden), fp16.
    >>> kv_cache_bytes_per_token(40, 40, 128, 2)
    819200.0
    """
    return 2.0 * layers * kv_heads * head_dim * bytes_per_value


def kv_cache_bytes(
    layers: int, kv_heads: int, head_dim: int, bytes_per_value: float, seq_len: int, batch: int
) -> float:
    """KV cache: bytes = 2 (K and V) x L x n_kv_heads x d_head x bytes per value x S x batch.

    Args: layers (L); kv_heads (n_kv_heads); head_dim (d_head); bytes_per_value (bytes); seq_len (S, tokens);
    batch (sequences). Returns bytes. Source: docs/formulas.md ("Compute and memory").
    Example (check 5): OPT-13B in fp16 at 2,048 tokens, batch 1, in GB.
    >>> round(kv_cache_bytes(40, 40, 128, 2, 2048, 1) / 1e9, 2)
    1.68
    """
    return kv_cache_bytes_per_token(layers, kv_heads, head_dim, bytes_per_value) * seq_len * batch


class DecodeTime(NamedTuple):
    """Lower bounds on one decode step at batch 1 (Williams et al., Roofline)."""

    memory_bound_s: float
    compute_bound_s: float

    @property
    def bound_s(self) -> float:
        """The binding (larger) of the two lower bounds: max(memory-bound, compute-bound), in seconds.

        Source: Williams et al. 2009, Roofline.
        Example (check 12): Llama-3 8B in fp16 on one H100, in ms.
        >>> round(decode_time_per_token_s(8e9, 2, 3.35e12, 989e12).bound_s * 1e3, 2)
        4.78
        """
        return max(self.memory_bound_s, self.compute_bound_s)


def decode_time_per_token_s(
    params: float, bytes_per_param: float, hbm_bytes_per_s: float, peak_flops_per_s: float
) -> DecodeTime:
    """Decode roofline, one step at batch 1: memory-bound weight_bytes / HBM bandwidth against
    compute-bound 2 P / peak FLOP/s; the larger binds.

    Args: params (P); bytes_per_param (bytes); hbm_bytes_per_s (bytes/s); peak_flops_per_s (FLOP/s).
    Returns a DecodeTime (seconds). Source: Williams et al. 2009, Roofline; as in mlsysim.
    Example (check 12): Llama-3 8B in fp16 on one H100 (3.35 TB/s, 989 TFLOP/s), in ms.
    >>> time = decode_time_per_token_s(8e9, 2, 3.35e12, 989e12)
    >>> round(time.memory_bound_s * 1e3, 2), round(time.compute_bound_s * 1e3, 3)
    (4.78, 0.016)
    """
    _check_positive("hbm_bytes_per_s", hbm_bytes_per_s)
    _check_positive("peak_flops_per_s", peak_flops_per_s)
    return DecodeTime(
        memory_bound_s=weights_bytes(params, bytes_per_param) / hbm_bytes_per_s,
        compute_bound_s=2.0 * params / peak_flops_per_s,
    )


def decode_step_time_s(
    weight_bytes: float,
    kv_cache_bytes: float,
    hbm_bytes_per_s: float,
    layers: int = 0,
    per_layer_overhead_s: float = 0.0,
) -> float:
    """One memory-bound decode step at any batch: it reads the weights once and the KV cache of every sequence
    in the batch, T = (weight bytes + KV bytes) / HBM bandwidth + L x per-layer overhead.

    KV bytes = kv_cache_bytes(...) at the current context x batch; the overhead is what a layer costs beyond its
    bytes (e.g. its two tensor-parallel all-reduces at their minimum latency, or kernel launches).

    Args: weight_bytes (bytes); kv_cache_bytes (bytes); hbm_bytes_per_s (bytes/s); layers (L);
    per_layer_overhead_s (s). Returns seconds. For tensor parallelism pass one GPU's share of the bytes.
    Source: Williams et al. 2009, Roofline; Pope et al. 2022, "Efficiently Scaling Transformer Inference"
    (decode reads the weights and the KV cache); cli99/llm-analysis.
    Example (check 16): Llama-3-8B (8,030,261,248 parameters, 32 layers of 8 KV heads of 128) in bf16 on one
    H100 (3.35 TB/s) at 2,048 tokens, batch 1: the weights alone, then with the KV cache, in ms.
    >>> weights = weights_bytes(8_030_261_248, 2)
    >>> [round(decode_step_time_s(weights, kv, 3.35e12) * 1e3, 3) for kv in (0, kv_cache_bytes(32, 8, 128, 2, 2048, 1))]
    [4.794, 4.874]
    """
    _check_positive("hbm_bytes_per_s", hbm_bytes_per_s)
    return (weight_bytes + kv_cache_bytes) / hbm_bytes_per_s + layers * per_layer_overhead_s


def prefill_flops(params: float, prompt_tokens: float) -> float:
    """Forward FLOPs of one prefill: 2 x P x prompt tokens (one multiply-add per parameter per token).

    Args: params (P); prompt_tokens (tokens of prompt and context). Returns FLOPs.
    Source: Kaplan et al. 2020 (forward pass ~ 2 P per token); docs/formulas.md ("Serving an LLM on a stated fleet").
    Example (check 13): a 70B model reading a 1,500-token prompt.
    >>> prefill_flops(70e9, 1500)
    210000000000000.0
    """
    return 2.0 * params * prompt_tokens


def gpus_for_flops(flops_per_s: float, peak_flops_per_s: float, mfu: float) -> float:
    """Accelerators a sustained compute rate needs: FLOP/s / (peak x MFU).

    Args: flops_per_s (FLOP/s needed); peak_flops_per_s (one accelerator's peak); mfu (fraction of peak achieved).
    Returns accelerators (fractional). Source: docs/formulas.md ("Serving an LLM on a stated fleet").
    Example (check 13): 2,000 prefills/s of 2.1e14 FLOPs on H100s at 989 TFLOP/s and MFU 0.5.
    >>> round(gpus_for_flops(2000 * 2.1e14, 989e12, 0.5), 1)
    849.3
    """
    _check_positive("peak_flops_per_s", peak_flops_per_s)
    _check_positive("mfu", mfu)
    return flops_per_s / (peak_flops_per_s * mfu)


def decode_tokens_per_s(gpus: int, hbm_bytes_per_s: float, weight_bytes: float, batch: int) -> float:
    """Decode throughput of one replica: g x HBM bandwidth / weight bytes steps per second, times the sequences
    decoded together (each step reads the weights once, memory-bound).

    Args: gpus (g, tensor parallel); hbm_bytes_per_s (one GPU's, bytes/s); weight_bytes (bytes); batch (sequences).
    Returns tokens/s. Source: Williams et al. 2009, Roofline; docs/formulas.md ("Serving an LLM on a stated fleet").
    Example (check 14): a 70B model in bf16 (140 GB) on 8 H100s decoding 64 sequences together.
    >>> round(decode_tokens_per_s(8, 3.35e12, 140e9, 64))
    12251
    """
    _check_positive("weight_bytes", weight_bytes)
    return gpus * hbm_bytes_per_s / weight_bytes * batch


def site_round_s(update_bytes: float, site_bandwidth_bytes_per_s: float, latency_s: float) -> float:
    """One federated round at one site: its update goes up and the new model comes down over the site's own link,
    t = 2 x (update bytes / bandwidth + latency).

    Args: update_bytes (model or update size, bytes); site_bandwidth_bytes_per_s (the site's link, bytes/s);
    latency_s (one message's latency over it, s). Returns seconds.
    Source: docs/formulas.md ("Across sites"); McMahan et al. 2017 (federated averaging: one model up and down a
    round). Example (check 15): a 300M-parameter model in bf16 (600 MB) over a 1 Gb/s link, 4.8 s each way.
    >>> site_round_s(600e6, 1e9 / 8, 0.0)
    9.6
    """
    _check_positive("site_bandwidth_bytes_per_s", site_bandwidth_bytes_per_s)
    return 2.0 * (update_bytes / site_bandwidth_bytes_per_s + latency_s)


def aggregator_inbound_s(sites: int, update_bytes: float, aggregator_bandwidth_bytes_per_s: float) -> float:
    """The aggregator's share of a round: every site's update arrives over its one link, t = sites x update bytes
    / bandwidth (the same again outbound when it sends each site the new model).

    Args: sites (count); update_bytes (bytes); aggregator_bandwidth_bytes_per_s (bytes/s). Returns seconds.
    Source: docs/formulas.md ("Across sites").
    Example (check 15): 40 sites' 600 MB updates into a 10 Gb/s aggregator.
    >>> round(aggregator_inbound_s(40, 600e6, 10e9 / 8), 1)
    19.2
    """
    _check_positive("aggregator_bandwidth_bytes_per_s", aggregator_bandwidth_bytes_per_s)
    return sites * update_bytes / aggregator_bandwidth_bytes_per_s


# ---------------------------------------------------------------------------
# Failure tax
# ---------------------------------------------------------------------------


def node_mtbf_h(parts: Iterable[tuple[float, float]]) -> float:
    """MTBF of a machine that fails when any of its parts fails (a series system, constant failure rates):
    MTBF_node = 1 / sum(n_i / MTBF_i) over its part types (GPUs, NICs, power supplies, ...).

    Args: parts, (count n_i, one part's MTBF_i in hours) per part type. Returns hours.
    Source: MIL-HDBK-217F, parts-count method (failure rates add); as in mlsysim's calc_mtbf_node.
    Example (mlsysim's tests): 4 GPUs at 10,000 h, 2 NICs at 50,000 h, 2 power supplies at 20,000 h.
    >>> round(node_mtbf_h([(4, 10_000), (2, 50_000), (2, 20_000)]), 2)
    1851.85
    """
    failures_per_h = 0.0
    for count, mtbf_h in parts:
        if count < 0:
            raise ValueError(f"part count must be >= 0, got {count!r}")
        _check_positive("part mtbf_h", mtbf_h)
        failures_per_h += count / mtbf_h
    _check_positive("total part count", failures_per_h)
    return 1.0 / failures_per_h


def fleet_mtbf_h(device_mtbf_h: float, devices: int, correlation_factor: float = 1.0) -> float:
    """Fleet MTBF: MTBF_fleet = MTBF_device / N x c; c = 1 for independent failures, c < 1 when failures are
    correlated (a shared power rail, a bad firmware push) and arrive sooner than independence predicts.

    Args: device_mtbf_h, one device's MTBF (h), e.g. a node_mtbf_h; devices (N); correlation_factor (c).
    Returns hours. Source: docs/formulas.md ("Failure tax"); the Llama 3 report's figures; the correlation
    factor as in mlsysim's calc_mtbf_cluster (harvard-edge/cs249r_book).
    Example (check 6): ~50.6k GPU-hours per failure over 16,384 GPUs.
    >>> round(fleet_mtbf_h(50630, 16384), 2)
    3.09

    Example (mlsysim's tests): 1,000 parts of 50,000 h, independent, then with a correlation factor of 0.5.
    >>> fleet_mtbf_h(50_000, 1000), fleet_mtbf_h(50_000, 1000, correlation_factor=0.5)
    (50.0, 25.0)
    """
    _check_positive("devices", devices)
    _check_positive("correlation_factor", correlation_factor)
    return device_mtbf_h / devices * correlation_factor


def p_failure_within(t_h: float, fleet_mtbf_h: float) -> float:
    """P(at least one failure within t) = 1 - exp(-t / MTBF_fleet).

    Args: t_h, the window (h); fleet_mtbf_h (h). Returns a probability.
    Source: docs/formulas.md ("Failure tax"), exponential failures.
    Example (check 6): 24 h on a fleet with a 3.09 h MTBF.
    >>> round(p_failure_within(24, 3.09), 4)
    0.9996
    """
    _check_positive("fleet_mtbf_h", fleet_mtbf_h)
    return 1.0 - math.exp(-t_h / fleet_mtbf_h)


def young_interval_s(checkpoint_s: float, mtbf_s: float) -> float:
    """Young's checkpoint interval: tau = sqrt(2 delta M).

    Args: checkpoint_s, the time to write one checkpoint (delta, s); mtbf_s, the fleet's MTBF (M, s).
    Returns seconds. Source: Young 1974.
    Example (check 6): delta = 60 s, M = the Llama 3 fleet's 54 days x 24 h / 419 interruptions.
    >>> round(young_interval_s(60, 54 * 24 / 419 * 3600))
    1156
    """
    return math.sqrt(2.0 * checkpoint_s * mtbf_s)


def daly_interval_s(checkpoint_s: float, mtbf_s: float) -> float:
    """Daly's checkpoint interval: tau = sqrt(2 delta M) [1 + (1/3) sqrt(delta / 2M) + (1/9) (delta / 2M)]
    - delta for delta < 2M, else M.

    Args: checkpoint_s (delta, s); mtbf_s (M, s). Returns seconds. Source: Daly 2006.
    Example (check 6): delta = 60 s, M = 54 days x 24 h / 419 interruptions.
    >>> round(daly_interval_s(60, 54 * 24 / 419 * 3600))
    1116
    """
    if checkpoint_s >= 2.0 * mtbf_s:
        return mtbf_s
    r = checkpoint_s / (2.0 * mtbf_s)
    return young_interval_s(checkpoint_s, mtbf_s) * (1.0 + math.sqrt(r) / 3.0 + r / 9.0) - checkpoint_s


def wasted_fraction(checkpoint_s: float, interval_s: float, mtbf_s: float, restart_s: float = 0.0) -> float:
    """Fraction of time lost to checkpoints and failures: waste ~ delta / tau + (tau / 2 + R) / M.

    Args: checkpoint_s (delta, s); interval_s, the checkpoint interval (tau, s); mtbf_s (M, s);
    restart_s, the time to restart after a failure (R, s). Returns a fraction.
    Source: Young 1974; Daly 2006 (first-order model).
    Example (check 6): delta = 60 s at Young's interval, M = 54 days x 24 h / 419 interruptions, R = 0.
    >>> mtbf_s = 54 * 24 / 419 * 3600
    >>> round(wasted_fraction(60, young_interval_s(60, mtbf_s), mtbf_s), 3)
    0.104
    """
    _check_positive("interval_s", interval_s)
    _check_positive("mtbf_s", mtbf_s)
    return checkpoint_s / interval_s + (interval_s / 2.0 + restart_s) / mtbf_s


def availability(mtbf: float, mttr: float) -> float:
    """Steady-state availability: A = MTBF / (MTBF + MTTR).

    Args: mtbf (MTBF); mttr, the mean time to repair (MTTR), in the same time unit. Returns a probability.
    Source: docs/formulas.md ("Failure tax"); standard reliability engineering.
    Example: a machine that fails every 999 h and takes 1 h to repair.
    >>> round(availability(999, 1), 6)
    0.999
    """
    _check_positive("mtbf + mttr", mtbf + mttr)
    return mtbf / (mtbf + mttr)


def replicated_availability(a: float, k: int) -> float:
    """Availability of k replicas, any one of which serves: 1 - (1 - A)^k.

    Args: a, one replica's availability (A); k replicas. Returns a probability.
    Source: docs/formulas.md ("Failure tax").
    Example (check 7): two replicas at 99%.
    >>> round(replicated_availability(0.99, 2), 6)
    0.9999
    """
    _check_probability("a", a)
    return 1.0 - (1.0 - a) ** k


def p_any_down(a: float, n: int) -> float:
    """P(some of n machines is down) = 1 - A^n.

    Args: a, one machine's availability (A); n machines. Returns a probability.
    Source: docs/formulas.md ("Failure tax").
    Example (check 7): 1,000 machines at 99.9%.
    >>> round(p_any_down(0.999, 1000), 3)
    0.632
    """
    _check_probability("a", a)
    return 1.0 - a**n


def p_fanout_slow(q: float, k: int) -> float:
    """P(a request that fans out to k backends is slow) = 1 - (1 - q)^k, each backend slow with probability q.

    Args: q; k backends. Returns a probability. Source: Dean & Barroso 2013, "The Tail at Scale".
    Example (check 7): a 100-way fan-out, each backend slow 1% of the time.
    >>> round(p_fanout_slow(0.01, 100), 3)
    0.634
    """
    _check_probability("q", q)
    return 1.0 - (1.0 - q) ** k


def replicas_for_availability(a: float, target: float) -> int:
    """The fewest replicas that reach a target availability: the smallest k >= 1 with 1 - (1 - A)^k >= target
    (a 1e-12 slack absorbs float rounding).

    Args: a, one replica's availability (A); target, the availability wanted. Returns a replica count.
    Source: docs/formulas.md ("Failure tax").
    Example (check 7): replicas at 99% against a six-nines target.
    >>> replicas_for_availability(0.99, 0.999999)
    3
    """
    _check_probability("a", a)
    if a == 1.0 or target <= a:
        return 1
    if 1.0 - a == 1.0 or target >= 1.0:  # A below float resolution: (1-A)^k stays 1.0 and the search never ends
        raise ValueError(f"availability {a} can never reach target {target} with finitely many replicas")
    k = max(1, math.ceil(math.log1p(-target) / math.log1p(-a)) - 1)
    while replicated_availability(a, k) < target - 1e-12:
        k += 1
    return k


# ---------------------------------------------------------------------------
# Serving
# ---------------------------------------------------------------------------


def _check_mmc(arrival_per_s: float, service_per_s: float, servers: int) -> int:
    c = _check_ranks(servers)
    _check_positive("service_per_s", service_per_s)
    if arrival_per_s < 0:
        raise ValueError(f"arrival_per_s must be >= 0, got {arrival_per_s!r}")
    if arrival_per_s >= c * service_per_s:
        raise ValueError(f"unstable M/M/c queue: lambda={arrival_per_s} >= c*mu={c * service_per_s}; add servers")
    return c


def erlang_c(arrival_per_s: float, service_per_s: float, servers: int) -> float:
    """Erlang C: the probability an arrival waits in an M/M/c queue with offered load a = lambda / mu,
    P_wait = B / (1 - rho (1 - B)), rho = a / c, B the Erlang B blocking probability, computed by its
    recursion for numerical stability. Raises ValueError if lambda >= c mu.

    Args: arrival_per_s (lambda, 1/s); service_per_s, one server's rate (mu, 1/s); servers (c).
    Returns a probability. Source: Erlang 1917; docs/formulas.md ("Serving").
    Example (check 8): lambda = 100/s, mu = 20/s, c = 7.
    >>> round(erlang_c(100, 20, 7), 4)
    0.3241
    """
    c = _check_mmc(arrival_per_s, service_per_s, servers)
    a = arrival_per_s / service_per_s
    erlang_b = 1.0
    for k in range(1, c + 1):
        erlang_b = a * erlang_b / (k + a * erlang_b)
    rho = a / c
    return erlang_b / (1.0 - rho * (1.0 - erlang_b))


def mmc_mean_wait_s(arrival_per_s: float, service_per_s: float, servers: int) -> float:
    """Mean queueing delay of an M/M/c queue: W_q = P_wait / (c mu - lambda) (P_wait: Erlang C).

    Args: arrival_per_s (lambda, 1/s); service_per_s, one server's rate (mu, 1/s); servers (c).
    Returns seconds. Source: Erlang C; docs/formulas.md ("Serving").
    Example (check 8): lambda = 100/s, mu = 20/s, c = 7, in ms.
    >>> round(mmc_mean_wait_s(100, 20, 7) * 1e3, 2)
    8.1
    """
    p_wait = erlang_c(arrival_per_s, service_per_s, servers)
    return p_wait / (servers * service_per_s - arrival_per_s)


def mmc_p99_wait_s(arrival_per_s: float, service_per_s: float, servers: int) -> float:
    """The 99th-percentile queueing wait of an M/M/c queue: ln(P_wait / 0.01) / (c mu - lambda), 0 when
    P_wait <= 0.01 (P_wait: Erlang C).

    Args: arrival_per_s (lambda, 1/s); service_per_s, one server's rate (mu, 1/s); servers (c).
    Returns seconds. Source: Erlang C; docs/formulas.md ("Serving").
    Example (check 8): lambda = 100/s, mu = 20/s, c = 7, in ms.
    >>> round(mmc_p99_wait_s(100, 20, 7) * 1e3, 1)
    87.0
    """
    p_wait = erlang_c(arrival_per_s, service_per_s, servers)
    if p_wait <= 0.01:
        return 0.0
    return math.log(p_wait / 0.01) / (servers * service_per_s - arrival_per_s)


def littles_law(arrival_per_s: float, time_s: float) -> float:
    """Little's law: the mean number in the system L = lambda W.

    Args: arrival_per_s (lambda, 1/s); time_s, the mean time each spends in the system (W, s).
    Returns a count. Source: Little 1961; docs/formulas.md ("Serving").
    Example: the chapter's fraud service, 50,000 requests/s held for 20 ms each (Section 1.8).
    >>> round(littles_law(50_000, 0.020), 6)
    1000.0
    """
    return arrival_per_s * time_s


# ---------------------------------------------------------------------------
# The chapter's own arithmetic (Code 1.8.1 / Exercise 1.8.2, Section 1.8)
# ---------------------------------------------------------------------------

_VERDICT_SCALE_OUT = "scale OUT inference, replicate; keep model on one node"
_VERDICT_RECONSIDER = "reconsider"


def comm_tax_ms(fanout: int, alpha_ms: float) -> float:
    """The chapter's communication tax per request: F x alpha (F sequential lookups of alpha each).

    Args: fanout (F); alpha_ms (ms). Returns ms. Source: Chapter 1.8, Code 1.8.1.
    Example (the fraud service, Output 1.8.1): 6 lookups of 0.4 ms.
    >>> round(comm_tax_ms(6, 0.4), 3)
    2.4
    """
    return fanout * alpha_ms


def budget_left_ms(slo_ms: float, tax_ms: float) -> float:
    """The latency budget left for compute: budget = SLO - tax.

    Args: slo_ms, the latency SLO (ms); tax_ms, the communication tax per request (ms). Returns ms.
    Source: Chapter 1.8, Code 1.8.1.
    Example (the fraud service, Output 1.8.1): a 2.4 ms tax against a 20 ms SLO.
    >>> round(budget_left_ms(20, comm_tax_ms(6, 0.4)), 3)
    17.6
    """
    return slo_ms - tax_ms


def fanout_break_point(slo_ms: float, alpha_ms: float) -> float:
    """The fan-out at which the tax consumes the whole budget: F* = SLO / alpha.

    Args: slo_ms (ms); alpha_ms (ms). Returns a lookup count. Source: Chapter 1.8, Exercise 1.8.2.
    Example: 0.4 ms lookups against a 20 ms SLO.
    >>> fanout_break_point(20, 0.4)
    50.0
    """
    _check_positive("alpha_ms", alpha_ms)
    return slo_ms / alpha_ms


def _tax_fits(tax_ms: float, slo_ms: float) -> bool:
    """tax < SLO, with tax == SLO (to float rounding) counted as infeasible: nothing is left."""
    return tax_ms < slo_ms and not math.isclose(tax_ms, slo_ms, rel_tol=1e-9, abs_tol=1e-12)


@dataclass(frozen=True)
class Verdict:
    """Result of the six-stage checklist run as in Code 1.8.1 (Section 1.8)."""

    binding: str
    binding_pressure: float
    top_axes: tuple[str, ...]
    comm_tax_ms: float
    slo_ms: float
    budget_left_ms: float
    feasible: bool
    verdict: str

    def lines(self) -> list[str]:
        """The five lines Code 1.8.1 prints (Output 1.8.1), formatted identically."""
        return [
            f"dominant ceiling      : {self.binding} (pressure {self.binding_pressure:.2f})",
            f"axes to distribute    : {', '.join(self.top_axes)}",
            f"comm tax per request  : {self.comm_tax_ms:.1f} ms of {self.slo_ms:.0f} ms SLO",
            f"compute budget left   : {self.budget_left_ms:.1f} ms",
            f"verdict               : {self.verdict}",
        ]


def design(
    axes: dict[str, float],
    slo_ms: float,
    fanout: int,
    alpha_ms: float,
    ceilings: dict[str, float] | None = None,
) -> Verdict:
    """The six-stage checklist of Code 1.8.1 as a function: the binding ceiling = argmax of the ceiling
    pressures, the top two axes by pressure, tax = F x alpha against the SLO; feasible when tax < SLO.

    Args: axes, each axis's pressure in [0, 1]; slo_ms (ms); fanout (F); alpha_ms (alpha, ms); ceilings,
    each ceiling's pressure, by default the chapter's {data, model, throughput <- inference}. Returns a Verdict.
    Source: Chapter 1.8, Code 1.8.1 and Exercise 1.8.2.
    Example (the fraud service, Output 1.8.1): six lookups of 0.4 ms against a 20 ms SLO.
    >>> axes = {"data": 0.30, "training": 0.40, "model": 0.10, "inference": 0.95, "coordination": 0.55,
    ...         "intelligence": 0.05}
    >>> for line in design(axes, 20.0, 6, 0.4).lines():
    ...     print(line)
    dominant ceiling      : throughput (pressure 0.95)
    axes to distribute    : inference, coordination
    comm tax per request  : 2.4 ms of 20 ms SLO
    compute budget left   : 17.6 ms
    verdict               : scale OUT inference, replicate; keep model on one node
    """
    if ceilings is None:
        ceilings = {"data": axes["data"], "model": axes["model"], "throughput": axes["inference"]}
    if not ceilings:
        raise ValueError("ceilings must not be empty")
    binding = max(ceilings, key=ceilings.get)
    top = tuple(k for k, _ in sorted(axes.items(), key=lambda kv: -kv[1])[:2])
    tax = comm_tax_ms(fanout, alpha_ms)
    left = budget_left_ms(slo_ms, tax)
    feasible = _tax_fits(tax, slo_ms)
    if not feasible:
        text = (
            f"reconsider: the communication tax ({tax:.1f} ms) consumes the whole {slo_ms:.0f} ms budget; "
            "loop back to stage 1 with fewer lookups / co-located features"
        )
    elif binding == "throughput":
        text = _VERDICT_SCALE_OUT
    else:
        text = _VERDICT_RECONSIDER
    return Verdict(
        binding=binding,
        binding_pressure=ceilings[binding],
        top_axes=top,
        comm_tax_ms=tax,
        slo_ms=slo_ms,
        budget_left_ms=left,
        feasible=feasible,
        verdict=text,
    )


def sweep_fanout(
    axes: dict[str, float],
    slo_ms: float,
    alpha_ms: float,
    fanouts: Iterable[int] = range(1, 81),
) -> list[tuple[int, float, bool]]:
    """The fan-out sweep of Exercise 1.8.2: for each fan-out F, budget left = SLO - F x alpha and
    whether design() finds it feasible.

    Args: axes, each axis's pressure in [0, 1]; slo_ms (ms); alpha_ms (alpha, ms); fanouts, the F to try.
    Returns a list of (F, budget left in ms, feasible). Source: Chapter 1.8, Exercise 1.8.2.
    Example: F = 1 to 80 at 0.4 ms against a 20 ms SLO; the tax consumes the budget from F = 50.
    >>> rows = sweep_fanout({"data": 0.30, "model": 0.10, "inference": 0.95}, 20.0, 0.4)
    >>> next(f for f, _, feasible in rows if not feasible)
    50
    """
    out: list[tuple[int, float, bool]] = []
    for f in fanouts:
        v = design(axes, slo_ms, f, alpha_ms)
        out.append((f, v.budget_left_ms, v.feasible))
    return out
