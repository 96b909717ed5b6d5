"""Which silent quantities could flip the verdict: the ones worth asking the user for.

A quantity is worth a question when the description did not state it (it was assumed) and
its break-even value (where a stage answer or the budget verdict flips) lies inside the
range people plausibly have. A number that cannot change the verdict is never asked for.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from ceiling.agents.schemas import SystemFacts
from ceiling.agents.scoring.taxes import BreakEven

# Plausible ranges (canonical units) for values the reviewer assumes when the text is silent.
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "request_rate": (1.0, 1e5),  # one request a second .. a large consumer service
    "concurrent_users": (1.0, 1e5),
    "slo": (10.0, 2000.0),  # ms: interactive budgets people set
    "fanout": (1.0, 30.0),  # sequential lookups per request
    "hop_latency": (0.1, 5.0),  # ms: same rack .. cross-zone RPC
    "model_params": (1e8, 1e12),
    "data_size": (1e9, 1e15),  # bytes: 1 GB .. 1 PB
    "workers": (1.0, 4096.0),
    "bandwidth": (1.25e9, 1e11),  # bytes/s: 10 Gb/s Ethernet .. 800 Gb/s
    "mtbf": (1e4, 1e5),  # h per device
    "deadline": (3600.0, 90 * 86400.0),  # s
    "tokens": (1e9, 3e13),
    "output_tokens": (16.0, 4096.0),
}
VAGUE_FACTOR = 3.0  # "tens of thousands" read as 30,000 could be 10,000 .. 90,000

# How each askable quantity is named and in which unit it is asked (its canonical unit).
ASKED_AS: dict[str, tuple[str, str]] = {
    "request_rate": ("peak request rate", "requests/s"),
    "concurrent_users": ("concurrent users", "users"),
    "slo": ("latency SLO", "ms"),
    "fanout": ("fan-out (sequential lookups per request)", "lookups"),
    "hop_latency": ("latency of one hop", "ms"),
    "model_params": ("model size", "parameters"),
    "data_size": ("data size", "bytes"),
    "workers": ("worker count", "workers"),
    "bandwidth": ("interconnect bandwidth", "bytes/s"),
    "mtbf": ("per-device MTBF", "h"),
    "deadline": ("deadline", "s"),
    "tokens": ("training tokens", "tokens"),
    "output_tokens": ("generated tokens per request", "tokens"),
}


class Question(BaseModel):
    """One quantity to ask the user for, with the assumed value offered as the default."""

    field: str
    assumed: float
    unit: str
    flips_at: float
    low: float
    high: float
    why: str

    def prompt(self) -> str:
        return (
            f"The description does not give the **{ASKED_AS[self.field][0]}**. I assumed {self.assumed:,.4g} "
            f"{self.unit}, "
            f"but the verdict flips at {self.flips_at:,.4g} {self.unit} ({self.why}). What is it?"
        )


def plausible_range(field: str, facts: SystemFacts) -> tuple[float, float] | None:
    fact = getattr(facts, field)
    value = facts.num(field)
    if not value:  # unknown, or assumed absent ("no data consulted per request"): not an amount to ask about
        return None
    if fact.quote and (fact.assumption or "").startswith("read ") and value > 0:  # a vague amount the text did say
        return value / VAGUE_FACTOR, value * VAGUE_FACTOR
    return PLAUSIBLE.get(field)


def questions(facts: SystemFacts, break_evens: list[BreakEven]) -> list[Question]:
    """The assumed quantities whose break-even lies strictly inside their plausible range."""
    asked: dict[str, Question] = {}
    for b in break_evens:
        field, flips = b.quantity, b.flips_at
        if not b.assumed or field in asked or field not in ASKED_AS:
            continue
        bounds = plausible_range(field, facts)
        if bounds and bounds[0] < flips < bounds[1] and facts.num(field) is not None:
            asked[field] = Question(
                field=field,
                assumed=facts.num(field),
                unit=ASKED_AS[field][1],
                flips_at=flips,
                low=bounds[0],
                high=bounds[1],
                why=b.meaning,
            )
    return list(asked.values())


_KEEP = re.compile(
    r"^\s*(ok(ay)?|yes|y|fine|sure|defaults?|go( ahead)?|continue|(keep|use)( the| your)?( assumed| default)?( values?"
    r"| ones?| numbers?)?)\W*$",
    re.I,
)
_CLAUSES = re.compile(r"[,;\n]|\band\b", re.I)
_NUMBER = re.compile(r"(?P<num>-?\d[\d,_]*(?:\.\d+)?(?:e[+-]?\d+)?)\s*(?P<unit>[A-Za-zµ/%]+(?:/s)?)?", re.I)


def read_answers(text: str, asked: list[Question]) -> dict[str, float] | None:
    """The user's reply to the questions: {} keeps the assumptions; None when unreadable.

    A reply that names the quantity ("the SLO is 50 ms") is read by the rule reader. Otherwise
    a number with a unit answers the first open question that unit converts to ("50 ms" answers
    the SLO, not the model size), and a bare number the first open question, in the order asked."""
    if _KEEP.match(text):
        return {}
    answers: dict[str, float] = {}
    for clause in _CLAUSES.split(text):  # "the SLO is 40 ms and the fan-out is 8": one quantity per clause
        named = _named_in(clause, [q for q in asked if q.field not in answers])
        answers.update(named or _by_unit(clause, [q for q in asked if q.field not in answers]))
    return answers or None


def _named_in(clause: str, open_questions: list[Question]) -> dict[str, float]:
    """Quantities the rule reader finds named in the clause ("fan-out is 8" read as "fan-out of 8")."""
    from ceiling.agents.reading.facts import extract
    from ceiling.agents.reading.followup import COUNTERFACTUAL

    for read in (extract(clause), extract(COUNTERFACTUAL.sub("of", clause))):
        found = {
            q.field: read.num(q.field)
            for q in open_questions
            if read.num(q.field) is not None and getattr(read, q.field).quote
        }
        if found:
            return found
    return {}


def _by_unit(clause: str, open_questions: list[Question]) -> dict[str, float]:
    """Unnamed numbers: a unit picks the question it fits; a bare number answers the first open one."""
    answers: dict[str, float] = {}
    for match in _NUMBER.finditer(clause):
        value = float(match.group("num").replace(",", "").replace("_", ""))
        for q in (q for q in open_questions if q.field not in answers):
            converted = _in_field_unit(value, match.group("unit"), q.field)
            if converted is not None:
                answers[q.field] = converted
                break
    return answers


def _in_field_unit(value: float, unit: str | None, field: str) -> float | None:
    """`value unit` in the field's canonical unit; None when the unit cannot be that field's."""
    from ceiling.agents.reading.units import convert
    from ceiling.agents.schemas import CANONICAL_UNITS

    canonical = CANONICAL_UNITS[field] or "dimensionless"
    if not unit or unit.lower().rstrip("s") == ASKED_AS[field][1].lower().rstrip("s"):  # "8", "8 lookups", "64 workers"
        return value
    try:
        return convert(value, unit, canonical)
    except Exception:  # pint raises several types for unknown or mismatched units
        return None
