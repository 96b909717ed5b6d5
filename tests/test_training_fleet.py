"""A training run on its stated fleet and layout (issue 23 part 2, issue 24 part 3): memory per GPU is model state
after the splits and ZeRO plus activations (Korthikanti et al.), a pipeline pays its bubble, tensor parallelism
across nodes is flagged with its traffic, and every input the text leaves out is listed as assumed. Descriptions
written for these tests."""

from __future__ import annotations

import pytest

from ceiling.agents.reading.facts import extract
from ceiling.agents.reading.fleet import stated_fleet
from ceiling.agents.review.writer import markdown
from ceiling.agents.scoring.reference import ReferenceMachine
from ceiling.agents.scoring.training_fleet import TrainingFleet, training_fleet
from ceiling.graph.workflow import run

MEGATRON_RUN = (
    "We pretrain Llama-2-70B from scratch on 2T tokens and need it done in 90 days. The cluster is 64 nodes of 8 "
    "H100 80GB (512 GPUs) on InfiniBand. Megatron layout: TP=8, PP=4, micro-batch size 1, sequence length 4096, "
    "16 micro-batches per step, {recompute} and the distributed optimizer."
)


def _fleet(text: str):
    facts = extract(text)
    devices, _ = stated_fleet(facts.num("workers"), facts.workers.quote, facts.num("devices_per_node"))
    return training_fleet(facts, ReferenceMachine(), devices)


def test_memory_per_gpu_is_the_split_state_plus_the_activations_of_the_stated_layout():
    fleet = _fleet(MEGATRON_RUN.format(recompute="selective activation recomputation"))
    assert (fleet.tensor_parallel, fleet.pipeline_parallel, fleet.data_parallel, fleet.zero_stage) == (8, 4, 16, 1)
    # ZeRO-1: 4 bytes a parameter of weights and gradients, 12 of Adam state sharded over the 16 data-parallel ranks
    share = 70e9 / 32
    assert fleet.state_bytes == pytest.approx(4 * share + 12 * share / 16)
    # selective recomputation with tensor parallelism t: s b h (10 + 24 / t) per layer, 80 layers' worth in 1F1B
    assert fleet.activation_bytes == pytest.approx(4096 * 1 * 8192 * (10 + 24 / 8) * 80)
    assert fleet.within and fleet.assumed == []
    assert fleet.bubble == pytest.approx(3 / 19)  # (p - 1) / (m + p - 1)


def test_a_pipeline_pays_its_bubble_in_the_machines_the_deadline_needs():
    stated = run(MEGATRON_RUN.format(recompute="selective activation recomputation"))["review"]
    need = next(c for c in stated.capacity if c["ceiling"] == "throughput")
    # 6 P D at MFU 0.4 on reference nodes, over 90 days, then over the 16 of 19 parts of a step that compute
    nodes = 6 * 70e9 * 2e12 / (8 * 989e12 * 0.4) / (90 * 86400) / (1 - 3 / 19)
    assert need["needed"] == -(-nodes // 1) and need["bubble"] == pytest.approx(3 / 19)
    assert "its pipeline idles 16% of each step" in stated.answer


def test_the_global_batch_gives_the_micro_batches_when_they_are_not_stated():
    fleet = _fleet(
        "Training a 13B model on 256 GPUs: TP 2, 4 pipeline stages, global batch size 1024, micro-batch size 4."
    )
    # 1,024 sequences a step over 32 data-parallel ranks of 4-sequence micro-batches: 8 each; bubble 3 / 11
    assert fleet.data_parallel == 32 and fleet.bubble == pytest.approx(3 / 11)


def test_a_fit_that_needs_an_unstated_recomputation_is_a_finding_and_a_stated_one_that_does_not_fit_fails():
    fine_tune = (
        "We fine-tune a 70B model with FSDP on 4 servers of 8 H100 80GB GPUs, 4,096-token sequences, micro-batch 2"
    )
    assumed = _fleet(fine_tune + ".")
    # selective recomputation (assumed) needs more than 80 GB; full recomputation fits: the text should say which
    assert not assumed.within and assumed.full_recomputation_bytes < 80e9 and not assumed.blocks
    assert "state which the run uses" in assumed.sentence()
    stated = run(fine_tune + ", with selective activation recomputation.")["review"]
    assert TrainingFleet(**stated.training_fleet).blocks
    assert not stated.feasible and "memory per GPU" in stated.infeasible_because and "memory per GPU" in stated.answer


def test_tensor_parallelism_across_nodes_is_flagged_with_its_traffic():
    fleet = _fleet(
        "We train a 175B model on 1,024 A100 80GB GPUs with 16-way tensor parallelism and 8 pipeline stages."
    )
    fabric, nvlink = fleet.tp_across_nodes_ms
    assert fleet.tensor_parallel == 16 and fabric > 5 * nvlink
    assert "spans nodes" in fleet.sentence() and "belongs inside a node" in fleet.sentence()
    inside = _fleet(
        "We train a 175B model on 1,024 A100 80GB GPUs with 8-way tensor parallelism and 16 pipeline stages."
    )
    assert inside.tp_across_nodes_ms is None


def test_every_unstated_input_is_listed_as_assumed():
    fleet = _fleet("We pretrain a 30B model on 256 H100s.")
    said = " ".join(fleet.assumed)
    for part in ("the shape of", "sequence length", "micro-batch", "activation recomputation", "ZeRO stage"):
        assert part in said
    assert "(assumed:" in fleet.sentence()


@pytest.mark.parametrize(
    "text",
    [
        "A gradient-boosted fraud model retrained nightly on 8 GPUs.",  # no LLM-size model
        "We serve Llama-3-70B on 16 H100s.",  # serving
        "A DLRM recommendation model with 1.6T parameters trained on 128 GPUs.",  # a ranker's tables
        "A 7B model trained on a laptop over the weekend.",  # no fleet, no layout stated
    ],
)
def test_only_a_transformer_training_run_with_a_fleet_or_layout_is_checked(text):
    assert _fleet(text) is None


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("One replica is 48 GPUs (TP*PP=4*12).", "pipeline_parallel", None),  # a product states no one degree
        ("* 8x Tensor Parallelism", "tensor_parallel", 8),
        ("a 4-way pipeline with 8 micro-batches", "micro_batches", 8),
        ("- **Sequence length**: 4,096 tokens", "sequence_length", 4096),
        ("We switched to MBS=2 at around GBS=784.", "global_batch", 784),
        ("We switched to MBS=2 at around GBS=784.", "micro_batch", 2),
        ("We checkpoint the model every hour.", "recomputation", None),
        ("FSDP with gradient checkpointing.", "recomputation", "full"),
        ("FSDP with gradient checkpointing.", "zero_stage", "3"),
        ("Megatron with selective activation recomputation.", "recomputation", "selective"),
        ("Each GPU processed a micro-batch of 4 sequences of 4,096 tokens.", "sequence_length", 4096),
        ("Each GPU processed a micro-batch of 4 sequences of 4,096 tokens.", "micro_batch", 4),
        ("The global batch size was 1,024 sequences.", "global_batch", 1024),
        ("The 7B run on 1,024 GPUs reached 41% MFU.", "mfu", 0.41),
        ("We plan for an MFU of 0.38.", "mfu", 0.38),
        ("Model FLOPs utilization: 45%.", "mfu", 0.45),
        ("GPU utilization is 90% and 20% of requests are retried.", "mfu", None),  # not model FLOPs
        ("MFU is 140%.", "mfu", None),  # no run exceeds its peak
    ],
)
def test_a_layout_is_read_as_people_write_it(text, field, value):
    facts = extract(text)
    assert (facts.text(field) if field in ("recomputation", "zero_stage") else facts.num(field)) == value


def test_a_block_of_settings_is_read_and_code_stays_set_aside():
    facts = extract(
        "We train BLOOM-176B on 384 GPUs.\n\n```\nTP=4\nPP=12\nMBS=2\n```\n\n```\nimport torch\nx = 4\n```\n"
    )
    assert (facts.num("tensor_parallel"), facts.num("pipeline_parallel"), facts.num("micro_batch")) == (4, 12, 2)
    assert any("import torch" in aside for aside in facts.set_aside)


def test_a_run_that_states_full_recomputation_costs_8pd_and_says_so():
    """Narayanan et al.: full recomputation runs each forward pass twice, 8 P D instead of 6 P D (FORMULAS.md
    check 17); a text that does not state it keeps 6 P D."""
    text = "We pretrain a 7B model on 1T tokens in 30 days on 64 GPUs{}."
    plain = run(text.format(""))["review"].ceiling_inputs["throughput"]
    full = run(text.format(" with activation checkpointing"))["review"].ceiling_inputs["throughput"]
    assert plain.startswith("6 x 7e+09 params x 1e+12 tokens = 4.2e+22 FLOPs")
    assert full.startswith("8 (full activation recomputation, as stated) x 7e+09 params x 1e+12 tokens = 5.6e+22 FLOPs")


def test_a_stated_mfu_replaces_the_reference_one_in_the_deadline_s_need():
    text = "We pretrain a 7B model on 1T tokens in 30 days on 64 GPUs{}."
    stated = run(text.format(" at 50% MFU"))["review"].ceiling_inputs["throughput"]
    assumed = run(text.format(""))["review"].ceiling_inputs["throughput"]
    assert "= 122.9 days on one node (8 x 989 TFLOP/s x MFU 0.5 as stated)" in stated  # 4.2e22 / (8 x 989e12 x 0.5)
    assert "= 153.6 days on one node (8 x 989 TFLOP/s x MFU 0.4)" in assumed


def _capacity(review) -> str:
    return next(line for line in markdown(review).splitlines() if line.startswith("**Capacity"))


DLRM = (
    "We train a DLRM recommendation model with 2T parameters of embedding tables on 16 nodes of 8 A100 80GB GPUs; "
    "26 sparse features, 128-dimensional embeddings, global batch size 65536."
)


def test_a_sharded_recommenders_embedding_all_to_all_is_counted_on_the_fabric():
    """Each of 128 ranks sends the pooled embeddings of its 512 samples (26 x 128 fp32 values each) to the tables'
    owners, and the gradients back: two pairwise all-to-alls a step over InfiniBand."""
    review = run(DLRM)["review"]
    exchange = review.embedding_exchange
    assert exchange["ranks"] == 128 and exchange["bytes_per_rank"] == 65536 / 128 * 26 * 128 * 4
    assert exchange["link"] == "the inter-node fabric" and exchange["assumed"] == []
    assert "the embedding all-to-all moves 6.8 MB per GPU each way" in _capacity(review)


def test_a_recommenders_tables_are_neither_adam_state_nor_dense_compute():
    """2T embedding parameters are fp32 rows (4 B each, a row-wise optimizer), not 16 B of Adam state, and a lookup
    multiplies nothing: no 6 P D training time from the parameter count."""
    review = run(DLRM)["review"]
    model = next(c for c in review.capacity if c["ceiling"] == "model")
    assert model["needed"] == 2e12 * 4 / 80e9 == 100
    assert "not counted from its parameters" in review.ceiling_inputs["throughput"]
    assert not any(c["ceiling"] == "throughput" for c in review.capacity)


def test_tables_that_fit_one_gpu_are_replicated_and_exchange_nothing():
    assert (
        run("A two-tower recommendation model with 5B parameters trained on 8 GPUs.")["review"].embedding_exchange
        is None
    )


def test_the_gradient_all_reduce_runs_over_the_data_parallel_ranks_the_layout_leaves():
    """TP 8 x PP 4 on 512 GPUs: 16 data-parallel ranks, each all-reducing 1/32 of the gradient (not a split derived
    from the model's size)."""
    review = run(MEGATRON_RUN.format(recompute="selective activation recomputation"))["review"]
    assert review.tax["inputs"]["model_parallel"] == 32 and review.tax["kind"] == "all-reduce"
    assert any(a.startswith("training FLOPs: 6 x params x tokens") for a in review.assumptions)
    assert not any(a.startswith("training layout:") for a in review.assumptions)  # the text states every input
    assumed = run("We pretrain a 30B model on 1T tokens on 256 H100s in 40 days.")["review"].assumptions
    assert any(a.startswith("training layout: sequence length") for a in assumed)


def test_the_all_reduce_says_which_link_it_crosses():
    """Issue 24 part 4: inside one node the gradient crosses NVLink; across nodes, the fabric."""
    inside = run("We fine-tune a 7B model on 1B tokens on 8 H100s in one node within 2 days.")["review"]
    across = run("We pretrain a 7B model on 1T tokens on 64 H100s within 30 days.")["review"]
    assert "over NVLink inside one node" in inside.stages[5]["justification"]
    assert "over the inter-node fabric" in across.stages[5]["justification"]
