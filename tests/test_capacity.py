"""The design's own fleet against the need (issue 24, part 1): each binding ceiling's need in its
own unit beside the fleet the text states, and no review feasible while that fleet is short."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ceiling.agents.reading.fleet import stated_fleet
from ceiling.agents.review.writer import markdown
from ceiling.agents.scoring.capacity import fleet_needs
from ceiling.agents.scoring.pressures import Pressure
from ceiling.agents.scoring.training_fleet import TrainingFleet
from ceiling.graph.workflow import run

ROOT = Path(__file__).resolve().parents[1]


def _pressure(name: str, ratio: float) -> Pressure:
    return Pressure(name=name, pressure=1 - 2**-ratio, ratio=ratio)


def test_each_ceiling_is_counted_in_its_own_unit():
    pressures = {
        "model": _pressure("model", 3.4),
        "throughput": _pressure("throughput", 13.2),
        "data": _pressure("data", 0.1),
    }
    needs = {n.ceiling: n for n in fleet_needs(pressures, devices=64, nodes=8, gpus_per_reference_node=8)}
    assert set(needs) == {"model", "throughput"}  # data does not bind
    assert (needs["model"].needed, needs["model"].unit, needs["model"].short) == (4, "accelerators", False)
    assert (needs["throughput"].needed, needs["throughput"].stated, needs["throughput"].short) == (14, 8, True)
    assert fleet_needs(pressures, devices=None, nodes=None, gpus_per_reference_node=8) == []


@pytest.mark.parametrize(
    ("workers", "quote", "per_node", "fleet"),
    [
        (64, "Training uses 64 H100 GPUs.", None, (64, None)),
        (2500, "Capacity: 2,500 spot GPU nodes in one region.", None, (None, 2500)),
        (12, "We run 12 servers, each with 8 GPUs.", 8, (96, 12)),
        (8, "One 8-GPU server sustained 15,000 images per second in our load test.", None, (None, None)),
    ],
)
def test_the_stated_fleet_is_devices_or_nodes_and_never_a_benchmark_machine(workers, quote, per_node, fleet):
    assert stated_fleet(workers, quote, per_node) == fleet


def test_a_fleet_short_of_the_need_makes_the_review_infeasible_and_says_by_how_much():
    short = run(
        "A 70B chat model in bf16 on 2 nodes of 8x H100 (16 GPUs). Peak 400 req/s, 300 output tokens each, "
        "first token within 800 ms p95."
    )["review"]
    assert not short.feasible and "short by" in short.infeasible_because
    enough = run(
        "A 70B chat model in bf16 on 40 nodes of 8x H100 (320 GPUs). Peak 400 req/s, 300 output tokens each, "
        "first token within 800 ms p95."
    )["review"]
    assert enough.capacity and not any(c["short"] for c in enough.capacity)


def _descriptions() -> list[str]:
    texts = [p.read_text() for p in sorted((ROOT / "tests/descriptions").glob("*.md"))]
    texts += [p.read_text() for p in sorted((ROOT / "examples").glob("*.md"))]
    for folder in ("eval/cases", "eval/real"):
        texts += [yaml.safe_load(p.read_text())["description"] for p in sorted((ROOT / folder).glob("*.yaml"))]
    return texts


def test_no_review_in_the_repository_is_feasible_while_a_computed_budget_fails(corpus_index):
    """Over every description in the repository: feasible only when the stated fleet covers each need, the first
    token arrives in its budget and a training run's memory per GPU fits as stated; the answer says the same as the
    verdict; the alternative spreads along an axis the design does not already distribute."""
    from ceiling.agents.stages.axis_agent import AXIS_WORDS

    checked = 0
    for text in _descriptions():
        review = run(text)["review"]
        checked += 1
        late = review.first_token is not None and not review.first_token["within"]
        over = review.training_fleet is not None and TrainingFleet(**review.training_fleet).blocks
        assert not (review.feasible and (any(c["short"] for c in review.capacity) or late or over)), text[:80]
        assert review.answer.startswith("It holds") == review.feasible, text[:80]
        rival = review.alternative.design.split(" instead of ")[0]
        assert rival not in [AXIS_WORDS[a] for a in review.distribute], (rival, review.distribute, text[:80])
    assert checked >= 80  # 26 + 1 descriptions, 37 cases, 26 real documents


def _throughput_need(review) -> dict:
    return next(c for c in review.capacity if c["ceiling"] == "throughput")


def test_an_llm_service_needs_machines_for_prefill_and_for_decode_and_says_which_binds():
    """FORMULAS.md checks 13-14 on a description: 2,000 req/s of 1,500-token prompts on a 70B model need
    ~107 nodes of 8 for prefill alone (2 P x prompt tokens at MFU 0.5) and 49 for decode (300 tokens each)."""
    review = run(
        "Our support bot runs a 70B model in bf16 on 64 H100s, 8 nodes of 8. At peak it takes 2,000 requests a "
        "second; a prompt is about 1,500 tokens with the retrieved context, and a reply about 300 tokens."
    )["review"]
    need = _throughput_need(review)
    assert need["parts"] == {"prefill": 107, "decode": 49}
    assert (need["needed"], need["stated"], need["short"]) == (107, 8, True)
    assert "prefill alone 107, decode alone 49" in review.infeasible_because and not review.feasible


def test_without_a_prompt_length_prefill_is_not_guessed_but_its_break_even_is_given():
    review = run(
        "Our support bot runs a 70B model in bf16 on 64 H100s, 8 nodes of 8. At peak it takes 2,000 requests a "
        "second, and a reply is about 300 tokens."
    )["review"]
    need = _throughput_need(review)
    assert need["parts"] == {} and need["needed"] == 49
    prompt = next(b for b in review.break_evens if b["quantity"] == "prompt_tokens")
    # one node's prefill: 8 x 989 TFLOP/s x 0.5 over 2,000 req/s x 2 x 70e9 FLOPs per prompt token
    assert prompt["current"] is None and prompt["flips_at"] == pytest.approx(8 * 989e12 * 0.5 / (2000 * 2 * 70e9))


def test_a_design_across_sites_is_taxed_per_round_over_the_sites_own_links():
    """Issue 24 part 4 and FORMULAS.md check 15: a 300M-parameter model in bf16 (600 MB) over each site's 1 Gb/s
    link is 4.8 s each way a round; the tax is never an all-reduce over a cluster fabric the sites do not share."""
    review = run(
        "Forty clinics want one triage model (300M parameters, bf16) trained with federated averaging; no clinic's "
        "records may leave it. Every clinic has a 1 Gb/s uplink."
    )["review"]
    tax = review.tax
    assert tax["kind"] == "federated round"
    assert tax["inputs"]["update_bytes"] == 600e6 and tax["inputs"]["site_link_bytes_per_s"] == 1e9 / 8
    assert tax["communication_ms"] == pytest.approx(2 * (4.8 + 0.020) * 1000)  # 20 ms between sites, assumed
    assert tax["failure"]["devices"] == 40  # the sites, not a reference node's GPUs
    assert review.answer.startswith("It holds as a design across the 40 sites")
    stage6 = review.stages[5]["justification"]
    assert "40 sites' own 1 Gb/s links" in stage6 and "round must close with the sites that report" in stage6


def test_without_a_stated_link_the_sites_get_a_wan_link_and_it_is_listed():
    review = run("Federated training of a 90M-parameter model across 12 banks; no bank may share raw records.")[
        "review"
    ]
    assert review.tax["inputs"]["site_link_bytes_per_s"] == 1e9 / 8
    assert any("WAN link not stated; assumed 1 Gb/s" in a for a in review.assumptions)


def test_a_job_shorter_than_its_checkpoint_interval_gets_a_restart_plan_not_periodic_checkpoints():
    review = run("Fine-tune a 1B-parameter model on 8 GPUs for 6 hours overnight; checkpoints take 90 s to write.")[
        "review"
    ]
    failure = review.tax["failure"]
    assert failure["job_shorter_than_interval"] and failure["checkpoint_interval_s"] > 6 * 3600
    assert "plan the restart instead" in review.stages[5]["justification"]
    long_run = run("Pretrain a 7B model on 512 GPUs for 20 days; checkpoints take 90 s to write.")["review"]
    assert long_run.tax["failure"]["job_shorter_than_interval"] is None
    assert "checkpoint every" in long_run.stages[5]["justification"]


def test_time_to_first_token_is_one_prompts_prefill_on_the_replica_that_holds_the_weights():
    """2 x 405B x 100,000 prompt tokens on the 16 GPUs that hold 972 GB (with KV headroom), at MFU 0.5: over 10 s,
    so a 2 s first-token budget fails whatever the fleet; a 70B model's 1,500-token prompt takes ~106 ms on 4."""
    late = run(
        "A 405B model in bf16 answers 2 requests per second; each prompt carries 100,000 tokens of retrieved "
        "documents; the first token must arrive within 2 seconds. We run 40 nodes of 8 H100s."
    )["review"]
    ttft = late.first_token
    assert ttft["gpus_per_replica"] == 16 and ttft["seconds"] == pytest.approx(2 * 405e9 * 1e5 / (16 * 989e12 * 0.5))
    assert not ttft["within"] and not late.feasible and "over the 2,000 ms budget" in late.infeasible_because
    fits = run(
        "Support chat on a 70B model in bf16, 40 nodes of 8 H100s, 100 requests a second, prompts of about "
        "1,500 tokens, replies of 300 tokens; first token within 800 ms."
    )["review"]
    assert fits.first_token["gpus_per_replica"] == 4 and fits.first_token["within"]
    assert "time to first token at least 106 ms" in markdown(fits)
    assert run("Support chat on a 70B model in bf16, 100 requests a second.")["review"].first_token is None


def test_nodes_unlike_the_reference_are_counted_by_their_own_devices_speeds():
    """4 A10G per node: prefill scales by compute (4 x 125 TFLOP/s vs 8 x 989), decode by memory bandwidth
    (4 x 0.6 TB/s vs 8 x 3.35). 300 req/s x 2 x 7B x 3,000 tokens = 1.26e16 FLOP/s over 2.5e14 a node: 51 nodes.
    Decode (issue 23: Mistral-7B is named, so its KV cache is read, 2 x 32 layers x 8 KV heads x 128 x 2 bytes a
    token): each step of 64 sequences reads 14 GB of weights + 64 x 3,100 tokens x 131 KB = 26 GB, so a node makes
    64 x 4 x 0.6 TB/s / 40 GB = 3,794 tok/s and 60,000 tok/s need 16 (6 from the weights alone)."""
    review = run(
        "RAG bot: Mistral-7B in fp16, ~300 QPS at peak, prompts ~3k tokens, answers ~200 tokens, first token "
        "within 1.5 s. Fleet: 4x g5.12xlarge (4 A10G 24GB each). Is 4 boxes enough?"
    )["review"]
    need = _throughput_need(review)
    assert (need["stated"], need["needed"], need["parts"]) == (4, 51, {"prefill": 51, "decode": 16})
    assert "counted in the design's own nodes of 4 x A10G" in review.answer
    assert review.answer.startswith("It does not hold on the fleet stated") and not review.feasible


def test_a_cluster_of_slower_devices_needs_more_of_its_own_nodes_than_reference_nodes():
    """6 x 7B x 2T tokens = 8.4e22 FLOPs: 307 days on one node of 8 H100 at MFU 0.4 (11 nodes for 30 days), 973 days
    on one of 8 A100 (312 TFLOP/s: 33 nodes). 16 nodes of 8 A100 are short; 16 of 8 H100 are not."""
    a100 = run("We pretrain a 7B model on 2T tokens on 16 nodes of 8 A100 80GB within 30 days.")["review"]
    h100 = run("We pretrain a 7B model on 2T tokens on 16 nodes of 8 H100 80GB within 30 days.")["review"]
    assert (_throughput_need(h100)["needed"], _throughput_need(a100)["needed"]) == (11, 33)
    assert h100.feasible and not a100.feasible


def test_a_device_without_listed_speeds_is_counted_as_a_reference_device_and_said_so():
    review = run("We serve a 70B model at 40 req/s with 2,000-token prompts on 6 nodes of 8 Gaudi2 accelerators.")[
        "review"
    ]
    need = _throughput_need(review)
    assert need["counted_in"] is None and "pass --machine with its node" in review.answer


def test_a_recommender_of_llm_size_is_served_by_its_candidates_not_by_decoding_tokens():
    """1.6T parameters of embedding tables at 85k QPS: the model ceiling counts accelerators for the tables, and the
    throughput is the rankers' CPU time (85,000 req/s x 10 ms over 96 cores: 9 machines), not 68,000 LLM nodes."""
    review = run(
        "The home-feed ranker is a DLRM model whose embedding tables hold about 1.6 trillion parameters in fp16. At "
        "peak the feed sends 85,000 requests per second with a 25 ms p99 budget. We run 24 hosts of 8 A100 40GB."
    )["review"]
    assert review.ceiling == "model"
    assert _throughput_need(review)["needed"] == 9 and review.feasible


def test_a_need_that_rests_on_an_assumed_input_says_so():
    """A deadline the text never gives is assumed (30 days): the shortfall counted against it tells the writer to
    state it; a need the text sizes in full says nothing of the kind."""
    assumed = run("We pretrain a 70B model on 2T tokens on 16 nodes of 8 H100s.")["review"]
    need = next(c for c in assumed.capacity if c["ceiling"] == "throughput")
    assert need["assumed"] == ["deadline"] and "(on an assumed deadline: state it)" in assumed.answer
    stated = run("We pretrain a 70B model on 2T tokens on 16 nodes of 8 H100s within 60 days.")["review"]
    assert next(c for c in stated.capacity if c["ceiling"] == "throughput")["assumed"] == []


def test_a_federated_round_is_taxed_against_the_round_period_the_text_states():
    """Issue 24 part 4: 40 hospitals, 300M parameters in bf16 over 1 Gb/s links: 2 x (600 MB / 125 MB/s + 20 ms)
    = 9.64 s a round per site. A new model every ten minutes leaves 590 s for training; rounds of 5 s cannot be met,
    and the critic says what would fix it rather than changing links it does not own."""
    text = (
        "Forty hospitals train one shared 300M-parameter triage model with federated averaging; no patient record may "
        "leave a hospital. Each hospital has a 1 Gb/s WAN link, and {period}."
    )
    fits = run(text.format(period="we want a new global model every ten minutes"))["review"]
    assert (fits.tax["slo_ms"], fits.tax["within_budget"]) == (600_000, True)
    assert fits.tax["budget_left_ms"] == pytest.approx(600_000 - 9_640)
    late = run(text.format(period="each round must finish within 5 seconds"))["review"]
    assert not late.feasible and late.loops == 0
    assert "longer than the 5 s a round may take" in late.infeasible_because


def test_what_one_machine_was_measured_to_take_is_its_capacity_not_the_load():
    """A load test's rate sizes one machine; the load is the traffic the text gives (phrasings of no eval case)."""
    from ceiling.graph.workflow import run

    base = "A 40 MB gradient-boosted tree model scores card payments: 3,000 req/s at peak, a 50 ms p99 budget. "
    over = run(base + "In a load test one server handled 1,000 req/s.")
    assert over["facts"].num("request_rate") == 3000 and over["facts"].num("machine_rate") == 1000
    assert over["decisions"][1].answer == "throughput"
    assert "1,000 req/s one machine takes (stated)" in over["decisions"][1].justification
    roomy = run(base + "In a load test one server handled 12,000 req/s.")
    assert roomy["decisions"][1].answer == "none"
    edge = next(b for b in roomy["review"].break_evens if b["quantity"] == "machine_rate")
    assert (edge["current"], edge["flips_at"]) == (12000, 3000)
