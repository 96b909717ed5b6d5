"""Every number's origin is shown, and a number the LLM facts agent proposes must say what it is in its own quote.

The proposals here are written for the tests (the verifier's input, not a model's reply: no cassette involved); the
descriptions are new phrasings, in no eval case."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ceiling.agents.llm.facts import verify
from ceiling.agents.reading.facts import extract
from ceiling.agents.schemas import Fact
from ceiling.graph.workflow import run

RAG = (
    "Internal RAG helpdesk on a 70B model. Around 400 staff are typing questions at the same time on Monday "
    "mornings, each answer is about 300 tokens, and each question pulls 12 passages from the vector store."
)


def _rules_missing_the_concurrency():
    """The facts as rules that missed "400 staff ... at the same time" would read them (the rules now read it), so
    the verifier is tested on what the model proposes for a gap."""
    facts = extract(RAG)
    assert facts.num("concurrent_users") == 400  # the rules' own reading
    facts.concurrent_users = Fact()
    return facts


@pytest.mark.parametrize(
    ("field", "value", "quote", "kept"),
    [
        ("request_rate", 400, "Around 400 staff are typing questions at the same time", False),  # concurrency
        ("request_rate", 12, "each question pulls 12 passages from the vector store", False),  # no time unit
        ("concurrent_users", 12, "each question pulls 12 passages from the vector store", False),  # passages: no one
        ("concurrent_users", 400, "Around 400 staff are typing questions at the same time", True),
    ],
)
def test_a_model_read_number_must_name_what_it_is(field, value, quote, kept):
    facts = _rules_missing_the_concurrency()
    assert facts.request_rate.value is None and facts.concurrent_users.value is None  # left for the model
    result, notes = verify(facts, RAG, [SimpleNamespace(field=field, value=value, unit="", quote=quote)])
    assert (getattr(result, field).value is not None) is kept
    assert bool(notes) is not kept


def test_a_model_read_rate_with_its_time_unit_is_kept():
    text = "The triage bot for the clinic. Nurses send roughly 90 questions an hour through the ward tablets."
    facts = extract(text)
    if facts.request_rate.value is not None:  # the rules read it: nothing for the model to add
        pytest.skip("the rules read this rate")
    result, notes = verify(facts, text, [SimpleNamespace(field="request_rate", value=90, unit="1/h", quote=text[30:])])
    assert result.request_rate.value == pytest.approx(90 / 3600) and not notes


def _with_model_rate():
    facts = _rules_missing_the_concurrency()
    facts, _ = verify(
        facts, RAG, [SimpleNamespace(field="concurrent_users", value=400, unit="", quote="Around 400 staff are typing")]
    )
    return facts


def test_every_number_used_says_where_it_came_from():
    review = run("", given_facts=_with_model_rate())["review"]
    origins = {f["field"]: f["origin"] for f in review.facts_used}
    assert origins["concurrent_users"] == "model"
    assert origins["model_params"] == "read" and origins["output_tokens"] == "read"
    assert "assumed" in origins.values()  # e.g. the SLO the text does not give
    assumed = [f for f in review.facts_used if f["origin"] == "assumed"]
    assert all(f["reason"] for f in assumed)


def test_when_the_models_numbers_change_the_verdict_the_review_says_what_the_rules_alone_answer():
    from ceiling.agents.review.writer import markdown

    state = run("", given_facts=_with_model_rate())
    rules_only = run("", given_facts=_rules_missing_the_concurrency())["review"]
    review = state["review"]
    changed = (review.ceiling, review.distribute) != (rules_only.ceiling, rules_only.distribute)
    assert bool(review.without_model) is changed
    if changed:
        assert "concurrent_users = 400" in review.without_model
        assert f"ceiling {rules_only.ceiling}" in review.without_model or "axis" in review.without_model
        assert "**Check this:**" in markdown(review)
    assert run(RAG)["review"].without_model is None  # no model, nothing to check
