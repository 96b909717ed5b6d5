"""The design's own fleet against the need (issue 24, part 1): each binding ceiling's need in its
own unit beside the fleet the text states, and no review feasible while that fleet is short."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ceiling.agents.reading.fleet import stated_fleet
from ceiling.agents.scoring.capacity import fleet_needs
from ceiling.agents.scoring.pressures import Pressure
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


def test_no_review_in_the_repository_is_feasible_while_its_stated_fleet_is_short(corpus_index):
    checked = 0
    for text in _descriptions():
        review = run(text)["review"]
        checked += 1
        assert not (review.feasible and any(c["short"] for c in review.capacity)), text[:80]
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
