"""The registry of quantities (agents/quantities.py) and everything derived from it stay in step."""

from __future__ import annotations

import re

import pytest

from ceiling.agents import quantities
from ceiling.agents.llm.facts import ASKABLE
from ceiling.agents.quantities import QUANTITIES, cue_rows, quantity
from ceiling.agents.reading import cues
from ceiling.agents.reading.assume import complete
from ceiling.agents.reading.facts import extract
from ceiling.agents.review import sensitivity
from ceiling.agents.schemas import CANONICAL_UNITS, Fact, SystemFacts
from ceiling.agents.scoring.reference import ReferenceMachine
from ceiling.app import inputs


def test_the_schema_is_the_registry_in_its_order():
    facts = [name for name, info in SystemFacts.model_fields.items() if info.annotation is Fact]
    assert facts == [q.name for q in QUANTITIES]
    for q in QUANTITIES:
        assert SystemFacts.model_fields[q.name].description == q.meaning
    assert CANONICAL_UNITS == {q.name: q.unit for q in QUANTITIES if q.unit is not None}
    lists = [name for name, info in SystemFacts.model_fields.items() if info.annotation is not Fact]
    assert lists == ["ignored_instructions", "set_aside", "unread_numbers", "llm_filled"]


def test_flags_and_choices_have_no_unit_and_numbers_have_one():
    for q in QUANTITIES:
        assert (q.unit is None) == (q.kind in ("flag", "choice")), q.name
        if q.ask or q.ask_model or q.floor is not None or q.absurd is not None:
            assert q.numeric, q.name


def test_cues_claim_numbers_of_the_rows_kind_or_a_labelled_reading():
    for q in QUANTITIES:
        for c in q.cues:
            assert c.reads == q.kind or c.label, f"{q.name} reads {c.reads} numbers without a label"
            for pattern in (*c.after, *c.before, *c.strong):
                re.compile(pattern)
            if c.readable:
                assert c.readable[0] < c.readable[1]


@pytest.mark.parametrize("reads", ["count", "bytes", "bandwidth", "time", "percent"])
def test_each_kind_ranks_its_readings_once(reads):
    ranks = [c.rank for _, c in cue_rows(reads)]
    assert len(ranks) == len(set(ranks)), f"two {reads} readings share a rank: ties would depend on row order"


def test_the_readers_tables_are_derived_from_the_rows():
    assert list(cues.COUNT_CUES) == [n for n, c in cue_rows("count") if c.after or c.before]
    assert [n for n in cues.BYTES_CUES if n != "ignore"] == [n for n, _ in cue_rows("bytes")]
    assert list(cues._TIME_CUES) == [n for n, _ in cue_rows("time")]
    assert cues.CONFLICTS == {q.name: (q.conflict.label, q.conflict.pick) for q in QUANTITIES if q.conflict}
    assert inputs.TOO_SMALL_BELOW == {q.name: q.floor for q in QUANTITIES if q.floor is not None}
    assert sensitivity.ASKED_AS == {q.name: (q.ask.name, q.ask.unit) for q in QUANTITIES if q.ask}
    assert ASKABLE == {q.name: q.ask_model for q in QUANTITIES if q.ask_model}
    assert list(ASKABLE) == [q.name for q in QUANTITIES if q.ask_model]  # the model's list keeps the schema's order


def test_every_askable_quantity_asks_inside_a_range_that_contains_what_it_assumes():
    """A question offers the assumed value as the default: it must lie in the range the question is asked over."""
    for q in QUANTITIES:
        if q.ask and q.default and isinstance(q.default.value, float):
            low, high = q.ask.plausible
            assert low <= q.default.value <= high, q.name
        if q.ask:
            assert q.ask.plausible[0] < q.ask.plausible[1]


def test_a_silent_text_gets_each_rows_default_with_its_reason():
    facts = complete(extract("A service answers questions about invoices."), ReferenceMachine())
    for name in ("share_data", "spof_ok", "multi_region", "online_updates", "agents", "mtbf", "fanout", "hop_latency"):
        row = quantity(name)
        fact = getattr(facts, name)
        assert fact.assumed and fact.value == row.default.value and fact.assumption == row.default.reason, name


def test_a_rows_limits_are_the_readers_and_the_structured_inputs_limits():
    """One absurd limit per quantity: the reader refuses a number beyond it, and so does a YAML facts file."""
    row = quantity("workers")
    text = f"The job runs on {row.absurd * 10:.0f} GPUs."
    read = extract(text)
    assert read.num("workers") is None and "beyond any real system" in (read.workers.assumption or "")
    with pytest.raises(inputs.InputError, match="beyond any real system"):
        inputs.load_facts(f"workers: {row.absurd * 10:.0f}\n", "facts.yaml")
    assert quantities.field_of("model_weights") == "model_params"
