"""Chat follow-ups the rules cannot read, read by the real local model (issue 21 part 4c), against recorded traffic
(`CEILING_RECORD=1` records it from the llama.cpp server; replaying, a changed prompt is a missing recording). The
messages are written for these tests: phrasings the rule reader misses, in no eval case."""

from __future__ import annotations

from pathlib import Path

import pytest
from llm_endpoint import client_for, recorded

from ceiling.agents.llm import followup as model_followup
from ceiling.agents.reading import followup as rules_followup
from ceiling.agents.reading.facts import extract
from ceiling.app.threads import Threads

FRAUD = (Path(__file__).resolve().parents[1] / "examples" / "fraud-scoring.md").read_text()
ANOTHER_ZONE = "and if the feature store sat in another AZ, 2ms a hop"  # the rules read no hop latency here
TWICE = "what about twice as many lookups?"  # no number at all: nothing may be kept, whatever the model says


@pytest.fixture(scope="module")
def readings(endpoint):
    facts = extract(FRAUD)
    out = {}
    with recorded("followup_messages"):
        for message in (ANOTHER_ZONE, TWICE):
            assert rules_followup.read_changes(message, facts) == []  # the rules are blind to these phrasings
            out[message] = model_followup.read_changes(message, facts, client_for(endpoint))
    return out


def test_the_model_reads_a_change_the_rules_miss_and_it_is_marked_as_the_models(readings):
    changes, _ = readings[ANOTHER_ZONE]
    hop = next(c for c in changes if c.field == "hop_latency")
    assert (hop.before, hop.after, hop.by_model) == (0.4, 2.0, True)
    assert hop.quote in ANOTHER_ZONE and "2" in hop.quote


def test_a_number_the_message_does_not_state_is_never_kept(readings):
    """The recorded model answered fan-out 2 for "twice as many lookups": the guard drops it, and says why."""
    changes, dropped = readings[TWICE]
    assert changes == []
    assert dropped and all(
        "does not contain that number" in note or "not in the description" in note for note in dropped
    )


def test_a_model_read_change_reruns_the_review_and_keeps_its_origin(endpoint, tmp_path, corpus_index):
    """Through a chat thread (LangGraph, its checkpointer): the rules' review, then a follow-up the rules miss; the
    model's reading re-runs the review and the value is shown as the model's."""
    with recorded("followup_thread"):
        store = Threads(tmp_path / "chat", llm=client_for(endpoint))
        thread = store.new_id()
        list(store.start(thread, FRAUD))
        events = list(store.follow_up(thread, ANOTHER_ZONE))
    note = next(e for e in events if e.kind == "note")
    assert [(c.field, c.after, c.by_model) for c in note.changes] == [("hop_latency", 2.0, True)]
    review = next(e for e in events if e.kind == "review").review
    used = next(f for f in review.facts_used if f["field"] == "hop_latency")
    assert (used["value"], used["origin"]) == (2.0, "model")
