"""Paragraph mode (`--prose paragraph`): the model writes each stage's whole paragraph from the rule agent's text and
the chapter's passage, and it replaces the rule text only where it passes the checks (agents/llm/paragraph.py).

The reviews are recorded against the real local model (Qwen2.5-Coder-1.5B): a weak writer whose paragraphs fail the
checks in every way this file tests. `CEILING_RECORD=1 python -m pytest tests/test_llm_paragraph.py` re-records."""

from __future__ import annotations

from pathlib import Path

import pytest
from llm_endpoint import MODEL, client_for, recorded

from ceiling.agents.llm import paragraph
from ceiling.graph.workflow import run

DESCRIPTIONS = Path(__file__).parent / "descriptions"
REVIEWED = ["chapter_fraud.md", "chapter_hospitals.md", "own_recsys_training.md"]


@pytest.fixture(scope="module")
def reviews(endpoint, corpus_index):
    out = {}
    for name in REVIEWED:
        with recorded(f"paragraph_{Path(name).stem}"):
            state = run((DESCRIPTIONS / name).read_text(), llm=client_for(endpoint, prose="paragraph"))
        out[name] = state
    return out


def _records(reviews):
    for name, state in reviews.items():
        for number, decision in state["decisions"].items():
            yield name, number, decision, decision.llm or {}


@pytest.mark.parametrize("name", REVIEWED)
def test_paragraph_mode_keeps_the_answers_the_numbers_force(reviews, name):
    state = reviews[name]
    rules = run("", given_facts=state["raw_facts"])  # the rule agents on the same facts
    assert state["review"].engine == f"llm:{MODEL}"
    for number, decision in state["decisions"].items():
        assert decision.answer == rules["decisions"][number].answer or state["loops"]
        assert decision.llm["status"]
        assert decision.llm["model"] == MODEL


def test_an_accepted_paragraph_replaces_the_whole_rule_text_and_keeps_what_it_said(reviews):
    accepted = 0
    for name, number, decision, llm in _records(reviews):
        if llm["status"] != "accepted":
            continue
        accepted += 1
        assert decision.justification == llm["paragraph"] and "sentence" not in llm
        if not reviews[name]["loops"]:
            rule = run("", given_facts=reviews[name]["raw_facts"])["decisions"][number]
            assert all(paragraph.keeps(r, llm["paragraph"]) for r in paragraph.recommendations(rule.justification))
    replaced = [llm for *_, llm in _records(reviews) if llm["status"] == "justification replaced"]
    assert replaced, "the recorded paragraphs include ones the checks refuse"
    for llm in replaced:
        assert llm["proposed_justification"] and (llm.get("prose_problems") or llm.get("unsupported_numbers"))
    assert accepted + len(replaced) >= 6


def test_a_refused_paragraph_leaves_the_rule_text_whole(reviews):
    for name, number, decision, llm in _records(reviews):
        if llm["status"] == "justification replaced" and not reviews[name]["loops"]:
            rules = run("", given_facts=reviews[name]["raw_facts"])["decisions"]
            assert decision.justification == rules[number].justification


def test_the_review_says_which_paragraphs_the_model_wrote_and_why_the_others_are_the_rules(reviews):
    markdown = reviews["chapter_fraud.md"]["markdown"]
    section = markdown.split("## The LLM's part", 1)[1]
    assert "the rule text stands: " in section
    stages = markdown.split("## The six stages, defended", 1)[1].split("\n### ")
    marked = [part.split(".", 1)[0] for part in stages if "*The model wrote this paragraph;" in part]
    accepted = [str(n) for n, d in reviews["chapter_fraud.md"]["decisions"].items() if d.llm["status"] == "accepted"]
    assert marked == accepted and accepted  # the paragraphs the model wrote say so, and only they


# The checks on phrasings of no recording: each could fail.

RULE_6 = (
    "Stage 5 optimizes throughput, so the tax is budgeted against it: communication tax 35.2 ms per step against "
    "410 ms of compute per worker per step; within budget. Failure tax: 512 devices, fleet MTBF 97.7 h, P(some "
    "failure in 24 h) 21.8%, about one interruption every 4.1 days; checkpoint every 2,860 s (Daly), 3.7% of the run "
    'lost; run N+2 replicas so the tail holds while one is replaced (read from: "nodes must be drained weekly").'
)


def test_the_rule_text_s_recommendations_are_its_imperative_clauses_not_the_quoted_text():
    assert paragraph.recommendations(RULE_6) == [
        "checkpoint every 2,860 s (Daly), 3.7% of the run lost",
        "run N+2 replicas so the tail holds while one is replaced",
    ]
    assert paragraph.recommendations("Sites report late: a round must close with the sites that report.") == [
        "a round must close with the sites that report"
    ]
    assert paragraph.recommendations("The mode follows the product: work that must be processed in order.") == []


def test_a_recommendation_is_kept_in_other_words_but_not_without_its_numbers():
    checkpoint, spares = paragraph.recommendations(RULE_6)
    assert paragraph.keeps(checkpoint, "Checkpointing every 2,860 s (Daly's interval) loses 3.7% of the run.")
    assert not paragraph.keeps(checkpoint, "Checkpoint about every 48 minutes, losing under 4% of the run.")
    assert paragraph.keeps(spares, "Running N + 2 replicas keeps the tail while one is being replaced.")
    assert not paragraph.keeps(spares, "Run N+1 replicas so the tail holds while one is replaced.")
    assert not paragraph.keeps(spares, "Spare capacity keeps the tail.")


def test_numbers_must_be_copied_not_rounded_converted_or_computed():
    shown = [RULE_6, '{"compute_ms":410.0,"communication_ms":35.2}']
    assert paragraph.inexact_numbers("The 35.2 ms step tax against 410 ms of compute, 21.8% a day.", shown) == []
    assert paragraph.inexact_numbers("A 35 ms tax, 0.0352 s, is 8.6% of the 410 ms step.", shown) == [
        "35",
        "0.0352",
        "8.6",
    ]
    assert paragraph.inexact_numbers("8.6% of the step.", shown, tool_numbers=[8.6]) == []  # a tool computed it
    # where to read is no quantity (recorded, fraud stage 3: "as in federated learning (Chapter 14)")
    assert paragraph.inexact_numbers("Peers, as in federated learning (Chapter 14) and Section 1.4.", shown) == []


def test_what_the_paragraph_says_the_chapter_states_must_be_in_its_passage():
    passage = "A decentralized topology (peers, no single coordinator) is forced when no party may hold all the data."
    said = "As the chapter notes, no party may hold all the data, so peers it is."
    assert paragraph.misattributed(said, passage) == []
    assert paragraph.misattributed("The passage states that the 12 hospitals exchange 3.2 GB a round.", passage) == [
        "the 12 hospitals exchange 3.2 GB a round"
    ]
    assert paragraph.misattributed("According to Section 1.4, a coordinator is cheaper to run.", passage) == [
        "a coordinator is cheaper to run"
    ]


def test_words_of_the_prompt_s_instructions_are_not_prose_for_the_reader():
    said = "Copy each number exactly as printed: the tax is 2.4 ms, within budget."
    assert paragraph.echoed(said, paragraph.instructions(), ["The tax is 2.4 ms."]) == ["copy each number exactly as"]
    assert paragraph.echoed("The tax is 2.4 ms, within budget.", paragraph.instructions(), []) == []


def test_a_paragraph_is_checked_against_the_rule_text_it_replaces():
    from ceiling.agents.llm.stage import _paragraph_stage

    state = run((DESCRIPTIONS / "chapter_fraud.md").read_text())
    stage = _paragraph_stage(6, state, state["decisions"][6], [])
    said = "The 2.4 ms tax leaves 17.6 ms of the 20 ms SLO, within budget; run N+1 replicas so the tail holds."
    assert paragraph.problems(said, stage) == ["it never names the stage before's answer it follows from (latency)"]
    said = said.replace("within budget", "within budget for latency")
    assert paragraph.problems(said, stage) == []
    assert paragraph.problems(said.replace("2.4 ms", "2.5 ms").replace("; run N+1 replicas", ""), stage) == [
        "it drops the recommendation 'run N+1 replicas so the tail holds while one is replaced'",
        "numbers not copied exactly from the evidence: 2.5",
    ]
    assert paragraph.problems("Latency: within budget; run N+1 replicas so the tail holds.", stage) == [
        "it leaves out the decisive reason's numbers: 0 of its 4 stated (" + stage.decisive.strip() + ")"
    ]


# Each check, on a real reply of the local model that failed it (the recordings above; the reply is on the record).


def _refused(reviews, name: str, number: int) -> tuple[str, list[str]]:
    llm = reviews[name]["decisions"][number].llm
    assert llm["status"] == "justification replaced"
    return llm["proposed_justification"], llm["prose_problems"]


def test_recorded_the_rule_text_put_in_the_chapter_s_mouth(reviews):
    said, found = _refused(reviews, "chapter_fraud.md", 1)
    assert said.startswith("The passage states that throughput binds at pressure 0.89")
    assert found == [
        "it says the chapter states what its passage does not: 'throughput binds at pressure 0.89 on one 8x H100 80 GB "
        "node (3.12x its capacity'"
    ]


def test_recorded_a_paragraph_arguing_the_other_topology_and_skipping_the_axis(reviews):
    said, found = _refused(reviews, "chapter_fraud.md", 3)
    assert "a decentralized topology is forced" in said
    assert found[:2] == [
        "the prose argues for 'decentralized', not the answer 'centralized'",
        "it never names the stage before's answer it follows from (inference, coordination)",
    ]


def test_recorded_the_chapter_s_example_numbers_in_another_design_s_tax(reviews):
    """Hospitals, stage 6: the cited passage is the chapter's fraud example; the model copied its 2.4 ms and 17.6 ms
    into a federated round's tax and dropped the round's recommendation."""
    said, found = _refused(reviews, "chapter_hospitals.md", 6)
    assert "2.4 ms" in said and "17.6 ms" in said
    assert "numbers not copied exactly from the evidence: 2.4, 17.6, 20" in found
    assert (
        "it drops the recommendation 'a round must close with the sites that report, not wait for all of them'" in found
    )


def test_recorded_a_paragraph_without_the_decisive_numbers(reviews):
    said, found = _refused(reviews, "chapter_hospitals.md", 1)
    assert "12.00" not in said and "12 parties" not in said
    assert found[0].startswith("it leaves out the decisive reason's numbers: 0 of its 2 stated (Data binds at pressure")


def test_recorded_a_paragraph_that_skips_the_mode_it_follows_from(reviews):
    said, found = _refused(reviews, "chapter_hospitals.md", 5)
    assert "batch" not in said.lower()
    assert found == ["it never names the stage before's answer it follows from (batch)"]


def test_recorded_a_clause_said_twice(reviews):
    said, found = _refused(reviews, "own_recsys_training.md", 4)
    assert said.count("bounded dataset processed for throughput with relaxed latency") == 2
    assert found == ["it says the same words twice ('the work is a bounded dataset processed for')"]


def test_recorded_a_dropped_checkpoint_interval_and_a_verdict_left_unsaid(reviews):
    said, found = _refused(reviews, "own_recsys_training.md", 6)
    assert "18,331" not in said and "within budget" not in said
    assert "it drops the recommendation 'checkpoint every 18,331 s (Daly), 0.7% of the run lost'" in found
    assert "it never names the answer (within budget)" in found


def test_a_live_reply_that_echoed_the_prompt():
    """A live reply of the local model (fraud, stage 3, 2026-12-02, before this check existed): it addressed the
    reader with the prompt's own instruction."""
    said = (
        "The chapter's paragraph for the architect who wrote the design states that a centralized topology (one "
        "coordinator, many workers) is simplest and is the right default when the coordinator is not itself a "
        "bottleneck and a single trust domain is acceptable."
    )
    passage = "A centralized topology (one coordinator, many workers) is simplest and is the right default"
    assert paragraph.echoed(said, paragraph.instructions(), [passage])[0] == "architect who wrote the design"


def test_quotations_must_be_the_text_s_words():
    text = "We run a real-time card-fraud scoring service that must score every transaction before it is authorized."
    assert paragraph.misquoted("(read from: 'We run a real-time card-fraud scoring service')", [text]) == []
    assert paragraph.misquoted('It says "a real-time service must score every transaction".', [text]) == [
        "a real-time service must score every transaction"
    ]
    assert paragraph.misquoted("The sites' own links are 1 Gb/s, the hospitals' data stays.", [text]) == []
