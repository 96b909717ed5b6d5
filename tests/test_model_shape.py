"""The model's shape and what it decides (issue 23 part 2, issue 24 part 2): a named or stated shape gives the KV
cache a decode step reads and the tensor-parallel all-reduces before the first token; an unnamed model's decode
counts its weights only, as FORMULAS.md check 14 does, and says so. Descriptions written for these tests."""

from __future__ import annotations

import pytest

from ceiling.agents.reading.facts import extract
from ceiling.agents.scoring.capacity import first_token
from ceiling.agents.scoring.pressures import ceilings
from ceiling.agents.scoring.reference import ReferenceMachine
from ceiling.agents.scoring.shapes import shape_of
from ceiling.graph.workflow import run

H100_NODE_BANDWIDTH = 8 * 3.35e12
LLAMA2_70B_KV_PER_TOKEN = 2 * 80 * 8 * 128 * 2  # K and V x layers x KV heads x head dim x 2 bytes
LLAMA2_13B_KV_PER_TOKEN = 2 * 40 * 40 * 128 * 2


@pytest.mark.parametrize(
    ("text", "name", "kv_heads"),
    [
        ("We serve Llama-3-70B in bf16 behind the search box.", "Llama-3-70B", 8),
        ("the team fine-tuned a Llama 2 13B checkpoint", "Llama-2-13B", 40),
        ("Mistral 7B answers the tickets.", "Mistral-7B", 8),
        ("An OPT-175B replica answers researchers.", "GPT-3 175B", 96),
    ],
)
def test_a_named_model_has_its_published_shape(text, name, kv_heads):
    shape = shape_of(extract(text))
    assert (shape.name, shape.kv_heads, shape.origin) == (name, kv_heads, "named")


@pytest.mark.parametrize(
    "text",
    [
        "We opt for a 13B model served in bf16.",  # "opt" the verb is no OPT
        "A 70B model in bf16 answers the tickets.",  # no name, no stated shape
        "Llama-3 tooling, but our own 30B model.",  # the family's published sizes are nowhere near 30B
    ],
)
def test_an_unnamed_model_has_no_shape_unless_one_is_assumed(text):
    facts = extract(text)
    assert shape_of(facts) is None
    assert shape_of(facts, assume=True).origin == "nearest"


def test_a_stated_shape_overrides_the_named_one_and_stands_alone():
    stated = shape_of(extract("Our 20B model has 44 layers, hidden size 6144, 48 attention heads and 8 KV heads."))
    assert (stated.layers, stated.hidden_size, stated.attention_heads, stated.kv_heads) == (44, 6144, 48, 8)
    assert stated.origin == "stated"
    partial = shape_of(extract("We serve Llama-2-13B, changed to 8 KV heads."))
    assert (partial.layers, partial.kv_heads, partial.origin) == (40, 8, "stated")


SUPPORT_BOT = (
    "Our support bot runs {model} in bf16 on 64 H100s, 8 nodes of 8. At peak it takes 2,000 requests a second; a "
    "prompt is about 1,500 tokens with the retrieved context, and a reply about 300 tokens."
)


def test_a_named_models_decode_reads_its_kv_cache_at_the_stated_context():
    """Check 14's service with Llama-2-70B named: each step of a 64-sequence batch reads the 140 GB of weights and
    64 x (1,500 + 300 / 2) tokens of KV cache, so decode needs 62 nodes, not the weights-only 49."""
    review = run(SUPPORT_BOT.format(model="Llama-2-70B"))["review"]
    per_node = 64 / ((140e9 + 64 * 1650 * LLAMA2_70B_KV_PER_TOKEN) / H100_NODE_BANDWIDTH)
    need = next(c for c in review.capacity if c["ceiling"] == "throughput")
    assert need["parts"]["decode"] == -(-600_000 // per_node) == 62
    assert (
        "KV cache" in review.ceiling_inputs["throughput"]
        and "Llama-2-70B's published shape" in (review.ceiling_inputs["throughput"])
    )


def test_an_unnamed_models_decode_counts_the_weights_only_and_says_what_would_count_the_cache():
    review = run(SUPPORT_BOT.format(model="a 70B model"))["review"]
    need = next(c for c in review.capacity if c["ceiling"] == "throughput")
    assert need["parts"]["decode"] == 49  # FORMULAS.md check 14
    assert "weights only: name the model or state its layers and KV heads" in review.ceiling_inputs["throughput"]


def test_long_contexts_fill_the_node_and_shrink_the_decode_batch():
    """Llama-2-13B (multi-head attention: 0.82 MB of cache per token) at 100,000 tokens of context: only
    (640 - 26) GB / 100,500 tokens x 0.82 MB = 7 sequences fit beside the weights, not the reference batch of 64."""
    facts = extract(
        "We serve Llama-2-13B for contract review: each prompt carries 100,000 tokens of contract and the answer is "
        "about 1,000 tokens; 30 lawyers use it at the same time."
    )
    fits = int((640e9 - 26e9) // (101_000 * LLAMA2_13B_KV_PER_TOKEN))
    throughput = ceilings(facts, ReferenceMachine())["throughput"]
    assert fits == 7 and f"batch {fits}, as many as fit beside the weights" in throughput.inputs
    step = (26e9 + fits * 100_500 * LLAMA2_13B_KV_PER_TOKEN) / H100_NODE_BANDWIDTH
    assert throughput.capacity == pytest.approx(fits / step)


def test_a_replica_spanning_gpus_pays_its_tensor_parallel_all_reduces_before_the_first_token():
    inside = first_token(
        extract("We serve Llama-2-70B in bf16; a prompt is about 1,500 tokens; first token within 500 ms."),
        ReferenceMachine(),
    )
    # 168 GB with headroom on 80 GB GPUs: a 4-GPU replica; 2 all-reduces x 80 layers of 1,500 x 8,192 x 2 bytes
    assert inside.gpus_per_replica == 4 and not inside.across_nodes
    assert 0.010 < inside.tensor_parallel_s < 0.020 and inside.within
    across = first_token(
        extract("We serve Llama-3.1-405B in bf16; a prompt is about 4,000 tokens."), ReferenceMachine()
    )
    assert across.gpus_per_replica == 16 and across.across_nodes
    assert across.tensor_parallel_s > 10 * inside.tensor_parallel_s
    assert "keep tensor parallelism inside one" in across.sentence()


def test_the_replicas_tensor_parallel_all_reduces_are_part_of_the_communication_tax():
    """Issue 24 part 2: a 4-GPU replica of Llama-2-70B pays its prompt's all-reduces inside the SLO, beside the
    lookups; the lookups' break-evens get what the SLO leaves after them."""
    review = run(
        "We serve Llama-2-70B in bf16 on 2 nodes of 8 H100s; a prompt is about 1,500 tokens; 20 requests a second; "
        "each answer is due within 500 ms p99."
    )["review"]
    tp = review.tax["inputs"]["tensor_parallel_ms"]
    assert review.tax["communication_ms"] == pytest.approx(tp + 1 * 0.5, abs=1e-3)  # one assumed 0.5 ms hop
    assert tp == pytest.approx(review.first_token["tensor_parallel_s"] * 1000, abs=1e-3)
    fanout = next(b for b in review.break_evens if b["quantity"] == "fanout")
    assert fanout["flips_at"] == pytest.approx((500 - tp) / 0.5)
    assert review.feasible


def test_the_critic_does_not_loop_on_a_tax_no_lookup_change_can_fix():
    """A 405B replica split over two nodes: its all-reduces over the fabric outlast an 800 ms SLO on their own. The
    critic says what would fix it instead of co-locating features and collapsing to one machine."""
    review = run(
        "We serve Llama-3.1-405B in bf16 on 4 nodes of 8 H100s; a prompt is about 4,000 tokens; 5 requests a second; "
        "first token within 800 ms p99."
    )["review"]
    assert review.loops == 0 and not review.feasible
    assert "keep tensor parallelism inside one node" in review.infeasible_because
