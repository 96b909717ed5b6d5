"""End to end through the LangGraph workflow with the deterministic agents: the review a
reader of the chapter would accept, the critic's loop, and the JSON contract."""

from __future__ import annotations

import pytest

from ceiling.agents.review.writer import markdown
from ceiling.graph.workflow import run

AXES = {"data", "training", "model", "inference", "coordination", "intelligence"}


def review(text: str, **kwargs):
    return run(text, **kwargs)["review"]


@pytest.fixture(scope="module")
def fraud(descriptions):
    return review((descriptions / "chapter_fraud.md").read_text())


@pytest.fixture(scope="module")
def descriptions():
    from pathlib import Path

    return Path(__file__).parent / "descriptions"


def test_fraud_example_matches_the_chapter(fraud):
    assert fraud.ceiling == "throughput"
    assert fraud.distribute[:2] == ["inference", "coordination"]
    assert (fraud.topology, fraud.mode, fraud.metric) == ("centralized", "interactive", "latency")
    assert fraud.tax["communication_ms"] == pytest.approx(2.4)
    assert fraud.tax["slo_ms"] == 20 and fraud.tax["budget_left_ms"] == pytest.approx(17.6)
    assert fraud.tax["within_budget"] is True and fraud.loops == 0 and fraud.feasible
    assert fraud.engine == "deterministic"


def test_json_contract_has_every_key_and_valid_values(fraud, contract_keys):
    data = fraud.model_dump(mode="json")
    assert contract_keys <= data.keys()
    assert {a["axis"] for a in data["axes"]} == AXES
    pressures = [a["pressure"] for a in data["axes"]]
    assert pressures == sorted(pressures, reverse=True) and all(0 <= p <= 1 for p in pressures)
    assert set(data["pressures"]) == {"data", "model", "throughput"}
    assert [s["stage"] for s in data["stages"]] == [1, 2, 3, 4, 5, 6]
    assert set(data["alternative"]) == {"design", "why_worse"} and data["alternative"]["why_worse"]


def test_every_stage_cites_a_real_chunk_with_an_exact_quote(fraud, corpus_index):
    for stage in fraud.stages:
        assert stage["citations"], stage["name"]
        for citation in stage["citations"]:
            chunk = corpus_index.chunk(citation["chunk_id"])
            assert chunk is not None and citation["quote"] in chunk.text


def test_each_stage_argues_from_the_one_before(fraud):
    justifications = {s["stage"]: s["justification"] for s in fraud.stages}
    assert "stage 1" in justifications[2].lower()
    assert "stage 2" in justifications[3].lower()
    assert "stage 4" in justifications[5].lower()
    assert "stage 5" in justifications[6].lower()


def test_break_even_fanout_is_the_chapters_50(fraud):
    fanout = next(b for b in fraud.break_evens if b["quantity"] == "fanout")
    assert fanout["flips_at"] == pytest.approx(50)
    assert fanout["current"] == 6


def test_nothing_binds_means_one_machine(descriptions):
    r = review((descriptions / "own_small_tool.md").read_text())
    assert r.ceiling == "none" and r.distribute == [] and r.topology == "single-machine"
    assert r.mode == "batch" and r.metric == "cost"
    assert "relieve nothing" in r.alternative.why_worse


@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "chapter_crawl.md",
            dict(ceiling="data", topology="centralized", mode="batch", metric="throughput", first="data"),
        ),
        (
            "chapter_code_assistant.md",
            dict(ceiling="throughput", mode="interactive", metric="latency", first="inference", also="model"),
        ),
        (
            "chapter_hospitals.md",
            dict(ceiling="data", topology="decentralized", mode="batch", first="data", also="training"),
        ),
        ("own_multi_region.md", dict(ceiling="throughput", topology="hybrid", mode="interactive", first="inference")),
        ("own_online_ads.md", dict(mode="online")),
        ("own_streaming_iot.md", dict(mode="streaming", metric="latency")),
        ("own_payments.md", dict(metric="reliability")),
        ("own_federated_phones.md", dict(topology="decentralized")),
    ],
)
def test_stage_answers_follow_the_chapters_rules(descriptions, name, expected):
    r = review((descriptions / name).read_text())
    for key in ("ceiling", "topology", "mode", "metric"):
        if key in expected:
            assert getattr(r, key) == expected[key], key
    if "first" in expected:
        assert r.distribute[0] == expected["first"]
    if "also" in expected:
        assert expected["also"] in r.distribute


FANOUT_BITES = (
    "A recommendation API serves 20,000 requests per second with a 20 ms p99 SLO. "
    "Each request makes 60 sequential feature-store lookups of 0.4 ms each."
)


def test_critic_loops_back_when_the_fanout_tax_breaks_the_slo():
    r = review(FANOUT_BITES)
    assert r.tax["communication_ms"] == pytest.approx(24.0) and r.tax["within_budget"] is False
    assert r.loops == 1 and r.feasible
    assert "fan-out" in r.trace[0].change and "24" in r.trace[0].reason
    assert r.tax["final"]["within_budget"] is True and r.tax["final"]["communication_ms"] <= 10


def test_critic_changes_the_collective_then_the_worker_count():
    text = "We train a 1B-parameter model data-parallel on 1,024 GPUs connected by 10 Gb/s Ethernet."
    r = review(text)
    assert r.tax["within_budget"] is False
    changes = [step.change for step in r.trace]
    assert "two-level" in changes[0] and "cut the workers" in changes[1]
    assert r.feasible and r.tax["final"]["within_budget"] is True


def test_max_loops_zero_reports_infeasible_with_why():
    r = review(FANOUT_BITES, max_loops=0)
    assert r.loops == 0 and not r.feasible and "SLO" in r.infeasible_because


def test_a_tax_no_change_can_fix_is_reported_infeasible():
    text = (
        "We must train a 70B-parameter model on 2 trillion tokens within 14 days on 4,096 GPUs "
        "linked by 1 Gb/s Ethernet."
    )
    r = review(text)
    assert not r.feasible
    assert r.loops <= 3 and r.infeasible_because
    assert "deadline" in r.infeasible_because or "cannot relieve" in r.infeasible_because


def test_hostile_text_is_data_not_instructions(descriptions):
    r = review((descriptions / "own_hostile.md").read_text())
    assert r.ceiling == "throughput"  # the text told the reviewer to say "model"
    assert r.ignored_instructions and "Ignore all previous instructions" in r.ignored_instructions[0]


def test_missing_numbers_still_get_a_review_with_assumptions(descriptions):
    r = review((descriptions / "own_missing_numbers.md").read_text())
    assert len(r.stages) == 6
    assert any("request rate not stated" in a for a in r.assumptions)
    assert any(b["assumed"] for b in r.break_evens)


def test_structured_facts_skip_extraction():
    from ceiling.app.inputs import load_facts

    facts = load_facts(
        "workload: serving\nrequest_rate: 50000\nslo: {value: 0.02, unit: s}\nfanout: 6\nhop_latency: "
        "0.4\nsmall_model: "
        "true\n",
        "facts.yaml",
    )
    r = run("", given_facts=facts)["review"]
    assert (
        r.ceiling == "throughput"
        and r.tax["communication_ms"] == pytest.approx(2.4)
        and r.tax["slo_ms"] == pytest.approx(20)
    )


def test_a_stored_stage_decision_validates_into_its_stages_evidence(descriptions):
    """A StageDecision dumped (a checkpoint, a stored thread) validates back into its own stage's evidence model."""
    from pydantic import ValidationError

    from ceiling.agents.schemas import StageDecision
    from ceiling.agents.stages.evidence import EVIDENCE_MODELS

    decisions = run((descriptions / "chapter_hospitals.md").read_text())["decisions"]
    assert sorted(decisions) == sorted(EVIDENCE_MODELS) == [1, 2, 3, 4, 5, 6]
    for number, decision in decisions.items():
        back = StageDecision.model_validate(decision.model_dump())
        assert type(back.evidence) is EVIDENCE_MODELS[number] and back == decision
        assert back.evidence.model_dump() == decision.evidence.model_dump()
    stored = decisions[6].model_dump(exclude={"llm"})
    stored["evidence"]["llm"] = {"status": "accepted"}  # stored before the LLM's record had a field of its own
    assert StageDecision.model_validate(stored).llm == {"status": "accepted"}
    with pytest.raises(ValidationError):  # one stage's evidence is not another's
        StageDecision.model_validate({**decisions[2].model_dump(), "stage": 1})


def test_markdown_has_table_stages_numbers_and_alternative(fraud):
    text = markdown(fraud, "fraud")
    for heading in (
        "## Table 1.8.1, filled in",
        "## The six stages, defended",
        "### Ceiling pressures",
        "### Axis pressures",
        "### Break-even values",
        "## Critic loop trace",
        "## Strongest alternative",
        "## Playbook",
        "## Assumptions",
    ):
        assert heading in text
    assert text.count("| 1. Ceiling |") == 1 and "vLLM / Ray Serve" in text


def test_between_ceilings_far_past_one_machine_a_stated_size_beats_an_assumed_one():
    """Both pressures round to 1.00; the model's size is stated, the dataset only assumed from the token count."""
    from ceiling.graph.workflow import run

    review = run("We train a 50-trillion-parameter recommendation model on 96 GPUs.")["review"]
    assert review.pressures["data"] == review.pressures["model"] == 1.0
    assert review.ceiling == "model" and review.distribute[0] == "model"


def test_a_data_job_counted_in_tokens_is_sized_by_them():
    """A corpus given only as a token count ("30 trillion tokens") is ~4 bytes a token, as training assumes."""
    from ceiling.graph.workflow import run

    review = run("A dedup and quality-filter pipeline over a 40 trillion token web corpus, run as one batch job.")[
        "review"
    ]
    assert review.ceiling == "data" and review.distribute[0] == "data"
    assert any("4 bytes per token" in a for a in review.assumptions)


def test_the_critic_never_shrinks_a_stated_fleet_below_what_the_deadline_needs():
    """13B x 1T tokens in 10 days needs ~320 GPUs at MFU 0.4; over 10 Gb/s Ethernet the all-reduce outlasts the
    compute beyond a handful. No worker count meets both: the review says the link must change, keeps the fleet."""
    from ceiling.graph.workflow import run

    review = run(
        "We pretrain a 13B model on 1T tokens on 512 GPUs (64 nodes of 8 H100) within 10 days; the nodes are linked "
        "by 10 Gb/s Ethernet."
    )["review"]
    assert not review.feasible
    assert not any("cut the workers" in step.change for step in review.trace)
    assert "no worker count meets both" in review.infeasible_because
    assert review.topology == "centralized" and "training" in review.distribute  # the design as described, not one box
