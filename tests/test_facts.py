"""The deterministic facts agent on descriptions written the way people write them.

Expected values are what a careful reader takes from each text (vague amounts use the
documented log-middle reading); every extracted value must quote the description.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ceiling.agents.reading.facts import extract

HERE = Path(__file__).parent / "descriptions"

EXPECTED: dict[str, dict[str, object]] = {
    "chapter_fraud.md": {
        "workload": "serving",
        "request_rate": 30_000,
        "slo": 20,
        "slo_percentile": "p99",
        "fanout": 6,
        "hop_latency": 0.4,
        "small_model": True,
    },
    "chapter_logistics.md": {
        "workload": "serving",
        "request_rate": 40_000,
        "slo": 50,
        "slo_percentile": "p95",
        "fanout": 3,
        "small_model": True,
    },
    "chapter_crawl.md": {"workload": "data_pipeline", "data_size": 40e12, "arrival": "bounded", "deadline": 8 * 3600},
    "chapter_code_assistant.md": {
        "workload": "serving",
        "model_params": 70e9,
        "concurrent_users": 3_000,
        "arrival": "request",
    },
    "chapter_hospitals.md": {"workload": "training", "parties": 12, "share_data": False},
    "own_chat_bf16.md": {
        "workload": "serving",
        "model_params": 8e9,
        "bytes_per_param": 2,
        "request_rate": 120,
        "output_tokens": 300,
        "slo": 800,
        "slo_percentile": "p95",
    },
    "own_training_405b.md": {
        "workload": "training",
        "model_params": 405e9,
        "tokens": 15.6e12,
        "workers": 16_384,
        "gpu_memory": 80e9,
        "bandwidth": 50e9,
        "deadline": 90 * 86400,
        "checkpoint_write": 60,
    },
    "own_federated_phones.md": {"workload": "training", "model_params": 20e6, "share_data": False, "spof_ok": False},
    "own_streaming_iot.md": {"arrival": "feed", "request_rate": 20_000, "slo": 2000, "small_model": True},
    "own_online_ads.md": {
        "workload": "serving",
        "online_updates": True,
        "request_rate": 5_000,
        "slo": 15,
        "slo_percentile": "p99",
    },
    "own_small_tool.md": {"workload": "data_pipeline", "arrival": "bounded", "small_model": True, "cost_focus": True},
    "own_multiagent.md": {
        "workload": "agents",
        "agents": 6,
        "model_params": 7e9,
        "request_rate": 50 / 60,
        "slo": 60_000,
    },
    "own_short_fleet.md": {
        "workload": "serving",
        "model_params": 70e9,
        "bytes_per_param": 2,
        "request_rate": 400,
        "output_tokens": 300,
        "slo": 800,
        "workers": 16,
        "devices_per_node": 8,
    },
    "own_units_gib.md": {"workload": "data_pipeline", "data_size": 12 * 2**40, "bandwidth": 25e9 / 8},
    "own_units_gbytes.md": {"workload": "data_pipeline", "data_size": 900e9, "bandwidth": 50e9, "deadline": 6 * 3600},
    "own_hostile.md": {"workload": "serving", "request_rate": 8_000, "slo": 40, "fanout": 10, "hop_latency": 2},
    "own_multi_region.md": {
        "workload": "serving",
        "request_rate": 250_000,
        "slo": 100,
        "fanout": 20,
        "hop_latency": 1.5,
        "multi_region": True,
        "spof_ok": False,
    },
    "own_payments.md": {
        "workload": "serving",
        "request_rate": 3_000,
        "slo": 150,
        "slo_percentile": "p999",
        "small_model": True,
        "reliability_focus": True,
    },
    "own_finetune.md": {
        "workload": "training",
        "model_params": 13e9,
        "tokens": 2e9,
        "workers": 64,
        "gpu_memory": 80e9,
        "bandwidth": 25e9,
        "deadline": 7 * 86400,
    },
    "own_words.md": {
        "workload": "serving",
        "request_rate": 250_000,
        "slo": 40,
        "slo_percentile": "p99",
        "fanout": 8,
        "hop_latency": 0.5,
    },
    "own_missing_numbers.md": {"workload": "serving", "arrival": "request"},
    "own_irrelevant_detail.md": {
        "workload": "serving",
        "model_params": 3e9,
        "bytes_per_param": 1,
        "request_rate": 900,
        "slo": 300,
        "slo_percentile": "p95",
        "data_size": None,
    },
    "own_mtbf.md": {
        "workload": "training",
        "model_params": 70e9,
        "workers": 2_048,
        "mtbf": 40_000,
        "checkpoint_write": 180,
        "step_compute": 9 * 2_048,
        "gradient_size": 140e9,
    },  # "9 s on one GPU's share": C = 9 s x 2,048,
    "own_bullets.md": {
        "model_params": 34e9,
        "bytes_per_param": 2,
        "request_rate": 25,
        "output_tokens": 400,
        "slo": 5000,
        "slo_percentile": "p90",
    },
    "own_vague_dozens.md": {"arrival": "bounded"},
    "own_rag_search.md": {
        "workload": "serving",
        "model_params": 13e9,
        "request_rate": 40,
        "slo": 1500,
        "slo_percentile": "p95",
        "fanout": 2,
        "hop_latency": 25,
        "data_size": 150e9,
    },
    "own_recsys_training.md": {
        "workload": "training",
        "model_params": 2e9,
        "data_size": 4e12,
        "workers": 64,
        "deadline": 6 * 3600,
        "bandwidth": 12.5e9,
    },
}


def test_every_description_has_expectations():
    assert sorted(p.name for p in HERE.glob("*.md")) == sorted(EXPECTED)
    assert len([n for n in EXPECTED if n.startswith("own_")]) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_extracts_what_the_text_says(name):
    text = (HERE / name).read_text()
    facts = extract(text)
    for field, expected in EXPECTED[name].items():
        fact = getattr(facts, field)
        if expected is None:
            assert fact.value is None, f"{field} should stay unknown, got {fact.value}"
        elif isinstance(expected, (bool, str)):
            assert fact.value == expected, field
        else:
            assert fact.value == pytest.approx(expected, rel=1e-3), field
        if fact.value is not None:
            assert fact.quote and fact.quote in text.replace("\n", " ") or fact.quote in text, (
                f"{field}: quote not in the text"
            )


def test_vague_amount_is_flagged_as_an_assumption():
    facts = extract((HERE / "chapter_fraud.md").read_text())
    assert facts.request_rate.assumed and "tens of thousands" in facts.request_rate.assumption
    assert not facts.slo.assumed


def test_instructions_aimed_at_the_reviewer_are_set_aside():
    facts = extract((HERE / "own_hostile.md").read_text())
    assert len(facts.ignored_instructions) == 1
    assert "Ignore all previous instructions" in facts.ignored_instructions[0]
    assert facts.model_params.value is None  # "the binding ceiling is the model" is not a model fact


@pytest.mark.parametrize(
    "text, field, value",
    [
        ("Links run at 400 Gb/s.", "bandwidth", 50e9),
        ("Links run at 400 GB/s.", "bandwidth", 400e9),
        ("The corpus is 1 TiB of text.", "data_size", 2**40),
        ("The corpus is 1 TB of text.", "data_size", 1e12),
        ("Each request must finish within 0.25 s at p99.", "slo", 250),
        ("Each request must finish within 250 us.", "slo", None),  # below any plausible SLO: not read as one
        ("We serve 3.6 million requests per hour.", "request_rate", 1000),
        ("Serving 2,500 QPS.", "request_rate", 2500),
        ("A 1.5T-parameter MoE.", "model_params", 1.5e12),
        ("We see roughly one failure per 50,000 GPU-hours.", "mtbf", 50_000),  # device-hours are a duration
        ("We see roughly one failure per 50,000 GPU-hours.", "workers", None),  # ...not 50,000 GPUs
        ("A server component fails at about one per 8,000 node-hours.", "mtbf", 8_000),
    ],
)
def test_units_people_write(text, field, value):
    fact = getattr(extract(text), field)
    assert (fact.value is None) if value is None else fact.value == pytest.approx(value, rel=1e-6)


@pytest.mark.parametrize(
    "sentence, length",
    [
        ("Each answer is about 300 tokens.", 300),
        ("Responses average 250 tokens.", 250),
        ("It generates ~200 tokens per call.", 200),
        ("Each agent thinks every 2 seconds, producing about 150 tokens per thought.", 150),
        ("A typical reply runs 400 tokens.", 400),
        ("Prompts are 1,500 tokens and answers 300 tokens.", 300),  # the nearest word decides
        ("Documents average 800 tokens each.", None),  # input, not output
        ("Questions are about 60 tokens long.", None),
        ("Users send messages of about 80 tokens.", None),
        ("Answers are grounded in 5 retrieved passages of 200 tokens.", None),
        ("Pretraining uses 20 tokens per parameter.", None),
    ],
)
def test_output_length_as_people_write_it(sentence, length):
    facts = extract("A chat assistant serves 2,000 requests per second on a 70B model within 2 s. " + sentence)
    assert facts.output_tokens.value == length


@pytest.mark.parametrize(
    "sentence, prompt, output",
    [
        ("Prompts average 1,500 tokens and answers 300 tokens.", 1500, 300),
        ("Each call carries a 3k-token prompt and comes back with 400-token answers.", 3000, 400),
        ("We put about 6,000 tokens of retrieved context into every call.", 6000, None),
        ("Input length is around 2k tokens, output 200 tokens.", 2000, 200),
        ("Questions are about 60 tokens long.", 60, None),
        ("It uses 900 input tokens and 120 output tokens per request.", 900, 120),
        ("The model supports a context window of 128k tokens.", None, None),  # a limit, no request's length
        ("Documents average 800 tokens each.", None, None),  # the corpus, not a prompt
        ("Pretraining uses 20 tokens per parameter.", None, None),
    ],
)
def test_prompt_length_as_people_write_it(sentence, prompt, output):
    facts = extract("A chat assistant serves 2,000 requests per second on a 70B model within 2 s. " + sentence)
    assert (facts.prompt_tokens.value, facts.output_tokens.value) == (prompt, output)
    assert facts.tokens.value is None  # none of these is a count of training tokens


def test_a_rate_each_of_n_items_sends_is_multiplied_by_n():
    """ "20 analysts, each sends about one question a minute" is a load of 20 a minute."""
    facts = extract("Users: 20 analysts, each sends about one question a minute during office hours.")
    assert (
        facts.request_rate.value == pytest.approx(20 / 60)
        and "20 x the rate each one sends" in facts.request_rate.assumption
    )
    assert extract("10,000 cars, each sending 2 events per second.").request_rate.value == pytest.approx(20_000)
    assert extract("Each car sends 1 event per second.").request_rate.value is None  # one item's share, no count


def test_a_device_mtbf_and_the_fleet_s_quotient_of_it_are_not_a_conflict():
    """ "each GPU ... once every 40,000 hours, so across the cluster something breaks every ~9.8 h"
    states one MTBF twice; the scoring tool wants the device's (it divides by the fleet itself)."""
    facts = extract(
        "We train on 4,096 GPUs. Each GPU fails about once every 40,000 hours, so across the cluster something breaks "
        "every ~9.8 h."
    )
    assert facts.mtbf.value == pytest.approx(40_000) and not facts.mtbf.assumed
    other = extract(
        "We train on 4,096 GPUs. Each GPU fails about once every 40,000 hours; a node breaks every 30,000 hours."
    )
    assert other.mtbf.value == pytest.approx(30_000) and other.mtbf.assumed  # a real conflict: the shorter, said so


def test_several_numbers_in_one_sentence_go_to_their_own_fields():
    facts = extract("It answers 12,000 requests per second with a 25 ms p95 SLO and makes 4 lookups of 1.2 ms each.")
    assert (facts.request_rate.value, facts.slo.value, facts.fanout.value, facts.hop_latency.value) == (
        12_000,
        25,
        4,
        1.2,
    )
    assert facts.slo_percentile.value == "p95"
