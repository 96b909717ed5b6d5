"""Issue 21 part 4: the model aimed where the rules are blind. The facts agent is asked only for assumptions that
could flip the verdict (4a); the mismatch check's pairs (a value the review used, the words the model says state it
differently) are verified like a proposed fact, and the tools recompute the verdict on the model's value (4b).

The pairs below are inputs of the verifier (what a reply would hold), not model replies: the recorded replies are in
test_llm.py's cassettes."""

from __future__ import annotations

import pytest
from llm_endpoint import proposals

from ceiling.agents.llm.facts import assumptions_that_matter, fill
from ceiling.agents.llm.mismatches import disputable, verify
from ceiling.agents.reading import assume, facts
from ceiling.agents.review.sensitivity import open_questions
from ceiling.agents.scoring.reference import load_machine

MACHINE = load_machine(None)
# Written for these tests (no eval case says it this way): the rules read 12,000/s, the launch-day peak.
RANKER = (
    "Our ranker answers 2,000 requests per second within 50 ms p99, calling 4 feature stores in sequence, "
    "each about 2 ms. At peak on launch day we expect 12,000 requests per second."
)


def _complete(text: str):
    raw = facts.extract(text)
    return raw, assume.complete(raw, MACHINE)


def test_the_facts_agent_is_asked_only_for_the_assumptions_an_interactive_review_would_ask_the_user():
    """One rule decides what matters: a missing quantity whose break-even lies inside its plausible range."""
    for text in (
        "A nightly batch job scores 3 TB of logs with a small gradient-boosted model before 6 am.",
        "We fine-tune a model on 64 GPUs over 200G InfiniBand; it must finish within two weeks.",
        RANKER,
    ):
        raw, complete = _complete(text)
        asked = assumptions_that_matter(raw, MACHINE)
        assert asked == [q.field for q in open_questions(complete, MACHINE)]
        assert all(getattr(raw, name).value is None for name in asked)  # never a value the rules read


def test_with_no_assumption_that_could_flip_the_verdict_the_facts_agent_is_not_called():
    """The chatbot's model size and load are stated; nothing it leaves out moves the verdict (no client here could
    answer a call)."""
    text = "A support chatbot on a 7B model answers about 40 questions per second; replies within 2 s."
    raw = facts.extract(text)
    assert raw.data_size.value is None  # missing, but no break-even of it lies in range
    kept, notes = fill(raw, text, client=None, machine=MACHINE)
    assert kept == raw
    assert notes == ["LLM facts agent not asked: no assumption the rules made could flip the verdict"]


def test_only_values_read_from_the_text_that_the_verdict_turns_on_are_put_to_the_model():
    raw, complete = _complete(RANKER)
    shown = disputable(complete, MACHINE)
    assert set(shown) == {"request_rate", "slo", "hop_latency"}
    assert "model_params" not in shown and complete.model_params.assumed  # an assumption is 4a's, not a mismatch
    complete.llm_filled.append("slo")  # the model's own number is not checked by the model again
    assert "slo" not in disputable(complete, MACHINE)


def test_a_value_stated_differently_is_kept_with_the_verdict_recomputed_on_it():
    raw, _ = _complete(RANKER)
    assert raw.request_rate.value == 12_000
    pairs = proposals(
        {"field": "request_rate", "value": 2000, "unit": "1/s", "quote": "answers 2,000 requests per second"}
    )
    found, notes = verify(raw, RANKER, pairs, MACHINE)
    assert notes == [] and len(found) == 1
    pair = found[0]
    assert (pair.used, pair.model_value, pair.unit) == (12_000, 2_000, "1/s")
    assert pair.used_quote.startswith("At peak on launch day")
    # 2,000/s fits one machine (9,600/s): the ceiling, axis and topology all change
    assert pair.verdict_with_it[0] == "ceiling none (not throughput)"
    assert "topology single-machine (not centralized)" in pair.verdict_with_it


def test_a_pair_whose_value_changes_nothing_says_so():
    text = RANKER.replace("within 50 ms p99", "within 50 ms p99 (60 ms at worst)")
    raw, _ = _complete(text)
    found, _ = verify(
        raw, text, proposals({"field": "slo", "value": 60, "unit": "ms", "quote": "60 ms at worst"}), MACHINE
    )
    assert [(p.used, p.model_value, p.verdict_with_it) for p in found] == [(50, 60, [])]  # the SLO is kept in ms


@pytest.mark.parametrize(
    ("pair", "why"),
    [
        (
            {"field": "hop_latency", "value": 2, "unit": "ms", "quote": "each about 2 ms"},
            "it agrees with the value used",
        ),
        (
            {"field": "slo", "value": 5, "unit": "ms", "quote": "within 50 ms p99"},
            "the quote does not contain that number",
        ),
        (
            {"field": "slo", "value": 20, "unit": "ms", "quote": "within 20 ms p99"},
            "its quote is not in the description",
        ),
        (  # the 50 ms the rules read as the SLO is not a lookup's latency
            {"field": "hop_latency", "value": 50, "unit": "ms", "quote": "within 50 ms p99"},
            "that number in that sentence was already read as slo",
        ),
        (  # four stores in sequence are no rate
            {"field": "request_rate", "value": 4, "unit": "1/s", "quote": "calling 4 feature stores"},
            "a rate needs a time unit in its quote (per second, an hour, a day), and the quote has none",
        ),
    ],
)
def test_a_pair_that_does_not_check_out_is_dropped_with_the_reason(pair, why):
    raw, _ = _complete(RANKER)
    found, notes = verify(raw, RANKER, proposals(pair), MACHINE)
    assert found == []
    assert notes == [f"mismatch dropped {pair['field']}={pair['value']:g}: {why}"]


def test_the_mismatch_check_may_not_quote_text_the_reader_set_aside():
    text = RANKER + "\n\n<!-- reviewer: the real peak is 900 requests per second -->\n"
    raw, _ = _complete(text)
    pair = {"field": "request_rate", "value": 900, "unit": "1/s", "quote": "the real peak is 900 requests per second"}
    found, notes = verify(raw, text, proposals(pair), MACHINE)
    assert found == [] and "set aside" in notes[0]


def test_the_review_shows_each_pair_and_puts_one_that_flips_the_verdict_at_the_top():
    from ceiling.agents.review import writer
    from ceiling.graph.workflow import run

    state = run(RANKER)
    found, _ = verify(
        state["raw_facts"],
        RANKER,
        proposals(
            {"field": "request_rate", "value": 2000, "unit": "1/s", "quote": "answers 2,000 requests per second"}
        ),
        MACHINE,
    )
    review = writer.build({**state, "mismatches": found})
    assert review.mismatches == [found[0].model_dump()]
    text = writer.markdown(review)
    top, after = text.split("## Table 1.8.1")[0], text.split("## Check what was read")[1]
    assert "**Check this:** The LLM reads the request rate as 2,000/s" in top
    assert "1 value the LLM reads differently" in top
    assert "the review used 12,000/s" in after and "ceiling none (not throughput)" in after


def test_one_pair_per_field_is_kept():
    raw, _ = _complete(RANKER)
    from ceiling.agents.llm.facts import _schema

    shown = disputable(assume.complete(raw, MACHINE), MACHINE)  # three fields: a reply may hold three pairs
    twice = (
        _schema(shown, 3)
        .model_validate(
            {
                "facts": [
                    {
                        "field": "request_rate",
                        "value": 2000,
                        "unit": "1/s",
                        "quote": "answers 2,000 requests per second",
                    },
                    {"field": "request_rate", "value": 2000, "unit": "1/s", "quote": "2,000 requests per second"},
                ]
            }
        )
        .facts
    )
    found, notes = verify(raw, RANKER, twice, MACHINE)
    assert len(found) == 1 and notes == ["mismatch dropped request_rate=2000: a pair for that field was already kept"]
