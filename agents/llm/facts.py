"""The LLM facts agent: may fill what the rule reader missed, never what it found.

Every value it adds must carry a quote that occurs in the description (whitespace and case
aside) and states the number, and a unit pint can convert to the field's unit. A number the
text gives with a unit of size, bandwidth or time must also be the field the rules' cue words
make it, and takes the text's unit. Anything else is dropped, with a note saying why.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, create_model

from ceiling.agents.llm.prompting import shared_head, template
from ceiling.agents.quantities import QUANTITIES
from ceiling.agents.schemas import CANONICAL_UNITS, Fact, SystemFacts

# Numeric fields worth asking for, with the unit the model should answer in (the registry rows' `ask_model`).
ASKABLE = {q.name: q.ask_model for q in QUANTITIES if q.ask_model}


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _same_number(written: float, value: float) -> bool:
    """A number as written is the model's value, within 1% (it may round)."""
    return abs(written - value) <= 0.01 * abs(value)


def _states_number(quote: str, value: float) -> bool:
    """The quote must say the number itself (digits or words), not merely sit near it: as the ledger reads free
    numbers, or as the rule reader reads a number glued to its unit ("2ms a hop", "a 70B model")."""
    from ceiling.agents.llm.ledger import numbers_in
    from ceiling.agents.reading.facts import find_mentions
    from ceiling.agents.reading.text_numbers import normalize

    said = numbers_in(normalize(quote)[0]) + [n for m in find_mentions(quote) for n in (m.written, m.value)]
    return value != 0 and any(_same_number(n, value) for n in said)


def _reading(quote: str, value: float, description: str):
    """The quoted number as the rule reader sees it in its whole sentence (unit, cue words), or None."""
    from ceiling.agents.reading.facts import find_mentions, split_sentences

    squashed = _squash(quote)
    sentence = next((s for s in split_sentences(description) if squashed in _squash(s)), quote)
    return next((m for m in find_mentions(sentence) if _same_number(m.written, value)), None)


# A number with a unit (size, bandwidth, time, rate, percent) is read the rules' way: its unit and
# the cue words around it decide the field ("40 MB of weights" is the model, not the dataset;
# "each car sends 1 event per second" is no load; a percentage is none of the fields asked)
# and the value ("40 MB" is 4e7 bytes, whatever unit the model wrote).
_UNIT_KINDS = ("bytes", "bandwidth", "time", "rate", "percent")


def _unit_allows(mention, field: str) -> tuple[bool, str | None]:
    """(whether a number with a unit may be this field, the field the rules' cue words make it).
    A time with no cue word is any field measured in time."""
    from ceiling.agents.reading.facts import classify
    from ceiling.agents.reading.units import compatible

    meant = classify(mention)
    if meant == field:
        return True, meant
    return meant is None and mention.kind == "time" and compatible(
        mention.unit, CANONICAL_UNITS[field] or "dimensionless"
    ), meant


def _could_keep(mention, field: str) -> bool:
    """Whether some reply quoting this number as `field` could pass `_checked_value`."""
    from ceiling.agents.reading.cues import count_in_range

    if mention.kind in _UNIT_KINDS:
        return _unit_allows(mention, field)[0]
    return count_in_range(field, mention.written)


def _already_read(facts: SystemFacts, quote: str, value: float, mention) -> str | None:
    """The field the rule reader already took this number from, in this sentence, if any: the same amount in that
    field's unit ("2 ms" is a hop latency of 0.002 s; a bare count only matches a count)."""
    from ceiling.agents.reading.units import convert

    squashed = _squash(quote)
    for name, fact in facts.facts():
        if fact.assumed or not fact.quote or not isinstance(fact.value, (int, float)) or isinstance(fact.value, bool):
            continue
        if not (squashed in _squash(fact.quote) or _squash(fact.quote) in squashed):
            continue
        try:
            amount = (
                value
                if mention is None
                else convert(mention.value, mention.unit or "dimensionless", fact.unit or "dimensionless")
            )
        except Exception:  # pint raises several types for mismatched units: not this field's number
            continue
        if _same_number(amount, float(fact.value)):
            return name
    return None


# A quote is the few words that state the number; unbounded, the model copies whole paragraphs
# (4 of 27 recorded replies ran out of tokens). In the schema for the grammar, not validated.
QUOTE_CHARS = 80


def _schema(fields: list[str], most: int) -> type[BaseModel]:
    """At most `most` additions: one per number the rules left unread, and per missing field."""
    quote = (str, Field(json_schema_extra={"maxLength": QUOTE_CHARS}))
    item = create_model("LLMFact", field=(Literal[tuple(fields)], ...), value=(float, ...), unit=(str, ""), quote=quote)  # type: ignore[valid-type]
    return create_model("LLMFacts", facts=(list[item], Field(default_factory=list, max_length=min(most, len(fields)))))


def listing(fields: list[str]) -> str:
    """The fields a prompt offers the model, one a line: name, meaning and the unit to answer in."""
    return "\n".join(f"- {name}: {ASKABLE[name][0]} [{ASKABLE[name][1] or 'count'}]" for name in fields)


# The quantities a what-if may change, per workload: what the stages of each use.
RELEVANT = {
    "serving": (
        "request_rate",
        "concurrent_users",
        "slo",
        "model_params",
        "fanout",
        "hop_latency",
        "output_tokens",
        "data_size",
    ),
    "agents": ("agents", "request_rate", "slo", "model_params", "output_tokens"),
    "training": ("model_params", "tokens", "workers", "bandwidth", "deadline", "mtbf", "checkpoint_write", "data_size"),
    "data_pipeline": ("data_size", "deadline", "workers", "bandwidth"),
}


def unread_numbers(facts: SystemFacts, description: str) -> list[float]:
    """Numbers the description states (digits or words) that match no value the rule reader took.

    An addition must quote its own number (`_states_number`), so with none left the model has
    nothing it could add and the call is skipped. Small integers count here too: "8 GPUs" missed
    is exactly what the model is for."""
    from ceiling.agents.llm.ledger import unsupported
    from ceiling.agents.reading.text_numbers import normalize

    read = [
        float(f.value)
        for _, f in facts.facts()
        if (f.quote or not f.assumed) and isinstance(f.value, (int, float)) and not isinstance(f.value, bool)
    ]
    return unsupported(normalize(description)[0], read, free=frozenset({0.0}))


def _fillable(unread: list[float], description: str, missing: list[str]) -> list[float]:
    """The unread numbers the verifier could keep as one of the missing fields: a question whose
    every possible answer would be dropped is not worth a model call (~10 s)."""
    from ceiling.agents.reading.facts import find_mentions, split_sentences

    mentions = [m for sentence in split_sentences(description) for m in find_mentions(sentence)]

    def could_fill(value: float) -> bool:
        said = [m for m in mentions if _same_number(m.written, value)]
        # a number the reader sees in no mention (spelled in some other way) stays a candidate
        return not said or any(_could_keep(m, field) for m in said for field in missing)

    return [value for value in unread if could_fill(value)]


def assumptions_that_matter(facts: SystemFacts, machine) -> list[str]:
    """The fields the rules left unstated whose assumed value could flip the verdict: break-even inside the
    plausible range (the questions an interactive review asks the user). Only those are worth the model's effort."""
    from ceiling.agents.reading import assume
    from ceiling.agents.review.sensitivity import open_questions

    return [q.field for q in open_questions(assume.complete(facts, machine), machine) if q.field in ASKABLE]


def fill(facts: SystemFacts, description: str, client, machine=None) -> tuple[SystemFacts, list[str]]:
    """(facts with verified additions, notes on what was dropped and why). `machine`: the reference machine the
    review runs on (None: the default one)."""
    from ceiling.agents.scoring.reference import load_machine

    if not description.strip():
        return facts, []
    missing = assumptions_that_matter(facts, machine or load_machine(None))
    if not missing:
        return facts, ["LLM facts agent not asked: no assumption the rules made could flip the verdict"]
    unread = unread_numbers(facts, description)
    if not unread:
        return facts, ["LLM facts agent not asked: the rules read every number the description states"]
    unread = _fillable(unread, description, missing)
    if not unread:
        return facts, [
            "LLM facts agent not asked: no number the rules left unread could be a missing field "
            f"({', '.join(missing)}) by its unit and cue words"
        ]
    messages = [
        shared_head(description, client),
        {"role": "user", "content": template("facts.txt").substitute(fields=listing(missing))},
    ]
    reply = client.complete_json(messages, _schema(missing, len(set(unread))), purpose="facts")
    return verify(facts, description, reply.facts)


def verify(facts: SystemFacts, description: str, additions: list) -> tuple[SystemFacts, list[str]]:
    """Facts with the additions (field, value, unit, quote) that check out; a note per one dropped."""
    result, notes = facts.model_copy(deep=True), []
    for item in additions:
        if getattr(result, item.field).value is not None:
            continue
        value, why = _checked_value(result, item, description)
        if why:
            notes.append(f"dropped {item.field}={item.value:g}: {why}")
            continue
        setattr(result, item.field, Fact(value=value, unit=CANONICAL_UNITS[item.field], quote=item.quote.strip()))
        result.llm_filled.append(item.field)
    return result, notes


COUNTS = {q.name: re.compile(q.counts, re.I) for q in QUANTITIES if q.counts}


def _misnamed(item, mention) -> str | None:
    """Why a proposed number is not the quantity the model named, from its own quote; None when it may be.

    A rate needs a time unit ("500 employees are asking at the same time" is no request rate: it is concurrency);
    a count must name what it counts (a count of users names people: "each question retrieves 20 chunks" does not).
    """
    from ceiling.agents.quantities import AT_ONCE
    from ceiling.agents.reading.facts import PER_TIME

    if CANONICAL_UNITS[item.field] == "1/s":
        at_once = re.search(AT_ONCE, item.quote, re.I)
        if at_once:
            return f"{at_once.group(0)!r} states concurrency, not a rate"
        if (mention is None or mention.kind != "rate") and not PER_TIME.search(item.quote):
            return "a rate needs a time unit in its quote (per second, an hour, a day), and the quote has none"
    counts = COUNTS.get(item.field)
    if counts is not None and not counts.search(item.quote):
        return f"the quote does not name what a count of {item.field.replace('_', ' ')} counts"
    return None


def _checked_value(facts: SystemFacts, item, description: str) -> tuple[float | None, str | None]:
    """(the addition's value in the field's canonical unit, None) or (None, why it is dropped)."""
    from ceiling.agents.reading.cues import count_in_range
    from ceiling.agents.reading.facts import read_sentences
    from ceiling.agents.reading.units import convert

    if not item.quote.strip() or _squash(item.quote) not in _squash(description):
        return None, "its quote is not in the description"
    if _squash(item.quote) not in _squash(" ".join(read_sentences(description)[0])):  # the sentences read
        return None, "its quote is in text the reader set aside (hidden from a reader, or aimed at the reviewer)"
    if not _states_number(item.quote, item.value):
        return None, "the quote does not contain that number"
    mention = _reading(item.quote, item.value, description)
    taken = _already_read(facts, item.quote, item.value, mention)
    if taken:
        return None, f"that number in that sentence was already read as {taken}"
    if not count_in_range(item.field, item.value):
        return None, "not a plausible value for that field"
    why = _misnamed(item, mention)
    if why:
        return None, why
    if mention is not None and mention.kind in _UNIT_KINDS:
        allowed, meant = _unit_allows(mention, item.field)
        if not allowed:
            return None, f"the rules read {mention.text()} there as {meant or 'a figure the review does not use'}"
        value, unit = mention.value, mention.unit
    else:
        value, unit = item.value, item.unit.strip() or ASKABLE[item.field][1]
    try:
        return convert(value, unit or "dimensionless", CANONICAL_UNITS[item.field] or "dimensionless"), None
    except Exception:  # pint raises several types for unknown or mismatched units
        return None, f"unit {unit!r} does not convert"
