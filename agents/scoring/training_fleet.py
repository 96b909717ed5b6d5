"""A training run on the fleet and parallelism its text states (issue 23 part 2, issue 24 part 3): memory per GPU
(model state under its sharding plus activations), the pipeline's bubble, a tensor-parallel split that crosses
nodes, and a sharded recommendation model's embedding all-to-all. Each input the text does not state is assumed
here and listed with the result, never hidden.

Worked example: Llama-2-70B on 512 GPUs with TP 8 and PP 4 (so DP 16), micro-batch 1 at 4,096 tokens, selective
recomputation and ZeRO-1: model state 4 x 70e9 / 32 + 12 x 70e9 / 32 / 16 = 10.4 GB, activations
s b h (10 + 24 / 8) = 4,096 x 8,192 x 13 bytes per layer over 80 layers = 34.9 GB: 45.3 GB of an 80 GB GPU, it fits.
With 16 micro-batches a step the bubble is 3 / 19 of each step.
"""

from __future__ import annotations

from pydantic import BaseModel

from ceiling.agents.scoring import formulas
from ceiling.agents.scoring.pressures import LLM_PARAMS, model_bytes_needed
from ceiling.agents.scoring.shapes import shape_of

SEQUENCE_TOKENS = 2048  # GPT-3 and OPT's training context, and the peers' tests
MICRO_BATCH = 1
RECOMPUTATION = "selective"  # Megatron-LM's default: ~3% more FLOPs, so 6 P D still holds (Korthikanti et al.)
MICRO_BATCHES_PER_STAGE = 4  # micro-batches per step = 4 x the stages: a bubble near a fifth (Narayanan et al.)


class TrainingFleet(BaseModel):
    state_bytes: float  # weights, gradients and Adam state on one GPU after the splits and ZeRO
    activation_bytes: float
    device_bytes: float
    within: bool
    tensor_parallel: int
    pipeline_parallel: int
    data_parallel: int
    zero_stage: int
    recomputation: str
    full_recomputation_bytes: float | None = None  # the need with full recomputation, when it is not already
    bubble: float | None = None  # share of each step the pipeline's stages sit idle
    tp_across_nodes_ms: tuple[float, float] | None = None  # one micro-batch's TP all-reduces: (fabric, NVLink)
    recomputation_assumed: bool = False
    assumed: list[str] = []

    @property
    def need_bytes(self) -> float:
        return self.state_bytes + self.activation_bytes

    @property
    def blocks(self) -> bool:
        """Memory breaks the verdict only as the text states it: a fit that needs only an assumed choice changed
        (full recomputation where none is stated) is a finding to state, not a failure."""
        rescued = self.recomputation_assumed and (self.full_recomputation_bytes or float("inf")) <= self.device_bytes
        return not self.within and not rescued

    def sentence(self) -> str:
        split = (
            f"TP {self.tensor_parallel} x PP {self.pipeline_parallel} x DP {self.data_parallel}, ZeRO-{self.zero_stage}"
        )
        said = (
            f"memory per GPU {self.need_bytes / 1e9:,.1f} GB ({self.state_bytes / 1e9:,.1f} GB of model state, "
            f"{self.activation_bytes / 1e9:,.1f} GB of activations with {self.recomputation} recomputation; {split}) "
            f"{'within' if self.within else 'over'} its {self.device_bytes / 1e9:,.0f} GB"
        )
        if not self.within and self.full_recomputation_bytes is not None:
            fits = "fits" if self.full_recomputation_bytes <= self.device_bytes else "still does not fit"
            said += (
                f"; full recomputation would need {self.full_recomputation_bytes / 1e9:,.1f} GB and {fits}, for 8 P D "
                "FLOPs instead of 6 P D (a third more compute)" + (": state which the run uses" * (not self.blocks))
            )
        if self.tp_across_nodes_ms:
            fabric, nvlink = self.tp_across_nodes_ms
            said += (
                f"; tensor parallelism of {self.tensor_parallel} spans nodes: its all-reduces take {fabric:,.0f} ms "
                f"per micro-batch over the fabric against {nvlink:,.0f} ms over NVLink, so it belongs inside a node"
            )
        if self.assumed:
            said += f" (assumed: {'; '.join(self.assumed)})"
        return said


def _stated(facts, name: str, default, why: str, assumed: list[str]):
    value = facts.num(name) if facts.num(name) is not None else facts.text(name)
    if value is None:
        assumed.append(f"{why} {default}")
        return default
    return value


def training_fleet(facts, machine, devices: float | None) -> TrainingFleet | None:
    """None unless the design trains a model of LLM size (a transformer: rankers and small models excepted) whose
    text states its fleet or a parallelism."""
    params = facts.num("model_params")
    stated_split = any(facts.num(f) for f in ("tensor_parallel", "pipeline_parallel")) or facts.text("zero_stage")
    if (
        facts.text("workload") != "training"
        or not params
        or params < LLM_PARAMS
        or facts.flag("recommender")
        or facts.flag("small_model")
        or facts.spans_sites()
        or not (devices or stated_split)
    ):
        return None
    assumed: list[str] = []
    shape = shape_of(facts, assume=True)
    if shape.origin == "nearest":
        assumed.append(shape.said())
    tp = int(facts.num("tensor_parallel") or 1)
    pp = int(facts.num("pipeline_parallel") or 1)
    dp = max(1, int((devices or tp * pp) // (tp * pp)))
    sequence = int(_stated(facts, "sequence_length", SEQUENCE_TOKENS, "sequence length (tokens)", assumed))
    micro_batch = int(_stated(facts, "micro_batch", MICRO_BATCH, "micro-batch (sequences)", assumed))
    recomputation = _stated(facts, "recomputation", RECOMPUTATION, "activation recomputation", assumed)
    device_bytes = facts.num("gpu_memory") or machine.gpu_memory_bytes
    split_params = params / (tp * pp)
    if facts.text("zero_stage"):
        zero = int(facts.text("zero_stage"))
    else:  # state that fits one GPU is replicated (plain data parallelism); state that does not is sharded
        zero = 3 if formulas.zero_memory_bytes(split_params, dp, 0) > device_bytes and dp > 1 else 0
        assumed.append(f"ZeRO stage {zero} ({'sharded, FSDP' if zero else 'every rank a full copy'})")
    state = formulas.zero_memory_bytes(split_params, dp, zero)

    def activations(mode: str) -> float:
        # 1F1B: the first stage keeps p micro-batches in flight of L / p layers each, L layers' worth in all
        per_layer = formulas.activation_memory_per_layer_bytes(
            sequence, micro_batch, shape.hidden_size, shape.attention_heads, mode, tp
        )
        return per_layer * shape.layers

    active = activations(recomputation)
    within = state + active <= device_bytes
    bubble = None
    if pp > 1:
        micro_batches = facts.num("micro_batches")
        if micro_batches is None and facts.num("global_batch"):  # a step's sequences over each rank's micro-batch
            micro_batches = max(1, round(facts.num("global_batch") / (micro_batch * dp)))
        if micro_batches is None:
            micro_batches = MICRO_BATCHES_PER_STAGE * pp
            assumed.append(f"micro-batches per step {micro_batches} ({MICRO_BATCHES_PER_STAGE} x the stages)")
        bubble = formulas.pipeline_bubble_fraction(pp, int(micro_batches))
    across = None
    if tp > (facts.num("devices_per_node") or machine.gpus):
        args = (tp, shape.layers, sequence, micro_batch, shape.hidden_size, 2.0)
        across = (
            formulas.tensor_parallel_comm_s(*args, machine.inter_bandwidth_bytes_per_s, machine.inter_alpha_s) * 1e3,
            formulas.tensor_parallel_comm_s(*args, machine.intra_bandwidth_bytes_per_s, machine.intra_alpha_s) * 1e3,
        )
    return TrainingFleet(
        state_bytes=state,
        activation_bytes=active,
        device_bytes=device_bytes,
        within=within,
        tensor_parallel=tp,
        pipeline_parallel=pp,
        data_parallel=dp,
        zero_stage=zero,
        recomputation=recomputation,
        recomputation_assumed=facts.text("recomputation") is None,
        full_recomputation_bytes=None if within or recomputation == "full" else state + activations("full"),
        bubble=bubble,
        tp_across_nodes_ms=across,
        assumed=assumed,
    )


# A sharded recommendation model's defaults (MLPerf's DLRM on Criteo: 26 sparse features, 128-wide embeddings,
# 65,536 samples a step), each listed when used.
SPARSE_FEATURES = 26
EMBEDDING_DIM = 128
GLOBAL_BATCH = 65_536
EMBEDDING_BYTES = 4  # fp32 embeddings and their gradients


class EmbeddingExchange(BaseModel):
    """The all-to-all of a recommendation model whose embedding tables are sharded over the ranks (DLRM, TorchRec):
    each step every rank sends the pooled embeddings of its samples to the ranks that own those tables, and their
    gradients back (Naumov et al. 2019)."""

    ranks: int
    bytes_per_rank: float  # one direction, one step
    seconds_per_step: float  # forward and backward
    link: str
    step_compute_s: float | None = None
    assumed: list[str] = []

    def sentence(self) -> str:
        said = (
            f"the embedding all-to-all moves {self.bytes_per_rank / 1e6:,.1f} MB per GPU each way a step over "
            f"{self.link}: {self.seconds_per_step * 1000:,.1f} ms a step (forward and backward) across {self.ranks:,} "
            "ranks"
        )
        if self.step_compute_s:
            share = self.seconds_per_step / self.step_compute_s
            said += f", {share:.0%} of the {self.step_compute_s * 1000:,.0f} ms step it rides on"
        if self.assumed:
            said += f" (assumed: {'; '.join(self.assumed)})"
        return said


def embedding_exchange(facts, machine, devices: float | None) -> EmbeddingExchange | None:
    """None unless a recommendation model is trained on more than one GPU with its tables too big for one (sharded)."""
    if facts.text("workload") != "training" or not facts.flag("recommender") or not devices or devices < 2:
        return None
    if model_bytes_needed(facts)[0] <= (facts.num("gpu_memory") or machine.gpu_memory_bytes):
        return None  # the tables fit one GPU: replicated, no exchange
    assumed: list[str] = []
    features = _stated(facts, "sparse_features", SPARSE_FEATURES, "sparse features", assumed)
    width = _stated(facts, "embedding_dim", EMBEDDING_DIM, "embedding width", assumed)
    batch = _stated(facts, "global_batch", GLOBAL_BATCH, "samples a step", assumed)
    ranks = int(devices)
    message = batch / ranks * features * width * EMBEDDING_BYTES
    inside = ranks <= (facts.num("devices_per_node") or machine.gpus)
    if inside:
        bandwidth, alpha, link = machine.intra_bandwidth_bytes_per_s, machine.intra_alpha_s, "NVLink"
    else:
        bandwidth = facts.num("bandwidth") or machine.inter_bandwidth_bytes_per_s
        alpha = facts.num("link_latency") or machine.inter_alpha_s
        link = "the inter-node fabric"
    return EmbeddingExchange(
        ranks=ranks,
        bytes_per_rank=message,
        seconds_per_step=2 * formulas.alltoall_pairwise_s(ranks, message, bandwidth, alpha),
        link=link,
        step_compute_s=None if facts.step_compute.assumed else facts.num("step_compute"),
        assumed=assumed,
    )
