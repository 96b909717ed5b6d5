"""Citations state the rule behind the answer they stand beside, on any corpus.

The sentences here are written for these tests (no chapter holds them); the support search runs on the real
chromadb index and the real embedding model, over corpora built in a temporary home."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ceiling.agents.stages.citing import cite, claims
from ceiling.corpus.index import CorpusIndex
from ceiling.corpus.sentences import citable, citable_pieces, sentence_spans
from ceiling.eval.citation_support import JUDGEMENTS, judge


@pytest.mark.parametrize(
    ("piece", "quotable"),
    [
        ("A sharded parameter server is what you reach for once the weights outgrow one card.", True),
        ("Which of the four modes fits a nightly scoring job, and why does it matter here?", False),
        ("Choosing the processing mode", False),  # a heading
        ("Key Insight: measure the tax before you add workers to the ring.", False),  # a label, no statement
        ("The topology follows from the trust boundary: one owner, one coordinator.", True),  # a colon in a sentence
        ("fanout = 8  # lookups per request, each a network hop of alpha", False),  # code
        ("| interactive | a user waits | p99 under 200 ms |", False),  # a table row
        ("Exercise 3: redesign the crawler so that it never needs a coordinator.", False),
        ("See Section 2.1, Section 2.4 and Section 3.2 for the details of each axis in turn.", False),  # a list
        ("Too short to stand.", False),
    ],
)
def test_a_quote_is_a_statement(piece, quotable):
    assert citable(piece) is quotable


def test_a_sentence_wrapped_over_lines_is_one_sentence_and_a_block_ends_one():
    text = (
        "## Modes\n\nA streaming job never sees the end of its input, so it answers each event\nwithin a bounded "
        "delay. It keeps\nstate.\n- a list item without a stop\n| a | table |\n\nLast words"
    )
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "## Modes",
        "A streaming job never sees the end of its input, so it answers each event\nwithin a bounded delay.",
        "It keeps\nstate.",
        "- a list item without a stop",
        "| a | table |",
        "Last words",
    ]


def test_clauses_of_a_sentence_that_stand_alone_are_quotable_and_those_that_lean_are_not():
    text = (
        "A recommender retrained each night optimizes throughput per dollar; a voice assistant optimizes its tail "
        "latency; it is rarely both at once."
    )
    pieces = [p.text for p in citable_pieces("notes:p1", "Metrics", text)]
    assert text in pieces  # the whole sentence
    assert "a voice assistant optimizes its tail latency" in pieces  # a clause with its own subject
    assert not any(p.startswith("it is rarely") for p in pieces)  # "it" leans on the clause before
    # the same statement is quotable in a section that teaches, never in one that sets exercises (it asks)
    sentence = "The ring all-reduce moves twice the gradient per worker, whatever the worker count."
    assert citable_pieces("notes:p3", "Collectives", sentence) and not citable_pieces("notes:p9", "Exercises", sentence)


# A chapter a user might add, in words of its own: one rule per mode, a question, and a sentence on another stage.
USER_CHAPTER = """# Notes on processing modes

## How work arrives

A nightly job that walks a fixed archive of records is batch work, done in bulk for the most records per hour.
When events never stop arriving, the system is streaming: each event must be handled within a bounded delay.
An interactive service has a person waiting on every answer, so each request must finish inside a budget a human
notices.
Which mode fits a fraud check at the till, and which a monthly report?

## Topology

One coordinator in front of many stateless workers is the simplest topology, and the right default.
"""


def index_of(tmp_path_factory, corpus_index, name: str, text: str) -> CorpusIndex:
    """An open index of one chapter alone, in a home of its own (the suite's embedding cache copied in)."""
    home = tmp_path_factory.mktemp("home")
    (home / "index").mkdir()
    shutil.copy(corpus_index.path / "embeddings.sqlite", home / "index" / "embeddings.sqlite")
    folder = tmp_path_factory.mktemp("chapters")
    (folder / name).write_text(text)
    index = CorpusIndex([folder], home=home, include_default=False)
    index.open()
    return index


@pytest.fixture(scope="module")
def user_index(tmp_path_factory, corpus_index):
    index = index_of(tmp_path_factory, corpus_index, "modes.md", USER_CHAPTER)
    yield index
    index.close()


def quotes(stage: int, key: str, index) -> list[str]:
    return [c.quote for c in cite(stage, key, index=index)]


def test_each_mode_quotes_its_own_rule_from_a_chapter_the_user_added(user_index):
    assert quotes(4, "batch", user_index) == [
        "A nightly job that walks a fixed archive of records is batch work, done in bulk for the most records per hour."
    ]
    assert quotes(4, "streaming", user_index) == [
        "When events never stop arriving, the system is streaming: each event must be handled within a bounded delay."
    ]
    interactive = quotes(4, "interactive", user_index)
    assert len(interactive) == 1 and interactive[0].startswith("An interactive service has a person waiting")


def test_no_rule_in_the_corpus_means_no_quote_rather_than_a_neighbour(user_index):
    # the chapter says nothing of online learning: the closest sentences argue for other modes, or ask a question
    assert quotes(4, "online", user_index) == []
    assert quotes(5, "reliability", user_index) == []
    # and the topology sentence is quoted for centralized, never for a topology it does not argue
    assert quotes(3, "centralized", user_index) == [
        "One coordinator in front of many stateless workers is the simplest topology, and the right default."
    ]
    assert quotes(3, "decentralized", user_index) == []


def test_every_stage_answer_has_a_claim_and_its_own_names():
    """The claims file covers every answer a stage can give, and no answer's words are another's of its stage."""
    from ceiling.agents.schemas import AXES
    from ceiling.agents.stages.table import STAGES

    for stage in STAGES:
        answers = claims()[stage.number]
        expected = set(stage.choices or (*AXES, "none"))
        assert expected <= set(answers), stage.name
        for key, entry in answers.items():
            assert entry["claim"].strip() and isinstance(entry["names"], list)
            for other, other_entry in answers.items():
                if other != key:
                    assert not set(entry["names"]) & set(other_entry["names"]), (stage.number, key, other)


HELDOUT = Path(__file__).parent / "corpus_heldout"


@pytest.fixture(scope="module")
def heldout_index(tmp_path_factory, corpus_index):
    notes = (HELDOUT / "design-checklist-notes.md").read_text()
    index = index_of(tmp_path_factory, corpus_index, "design-checklist-notes.md", notes)
    yield index
    index.close()


def test_a_chapter_written_by_someone_else_is_quoted_for_what_it_supports(heldout_index):
    """tests/corpus_heldout/: lecture notes on the same checklist, written with their labels by a helper who never
    saw the search or its claims. Of the answers quoted, 90% or more quote a labelled sentence, none a sentence
    labelled only for another answer of the stage."""
    labels = {int(k): v for k, v in yaml.safe_load((HELDOUT / "support.yaml").read_text()).items() if str(k).isdigit()}
    counts = dict.fromkeys(JUDGEMENTS, 0)
    for stage, answers in labels.items():
        for key in answers:
            for quote in quotes(stage, key, heldout_index):
                counts[judge(stage, [key], quote, answers)] += 1
    quoted = sum(counts.values())
    assert quoted >= 15, counts  # most answers find their rule in a chapter that states them all
    assert counts["supporting"] >= 0.9 * quoted and counts["contradicting"] == 0, counts
