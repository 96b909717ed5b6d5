"""Which silent quantities could flip the verdict: the ones worth asking the user for.

A quantity is worth a question when the description did not state it (it was assumed) and
its break-even value (where a stage answer or the budget verdict flips) lies inside the
range people plausibly have. A number that cannot change the verdict is never asked for.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from ceiling.agents.schemas import SystemFacts

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

UNITS = {"request_rate": "requests/s", "concurrent_users": "users", "slo": "ms", "fanout": "lookups", "hop_latency": "ms",
         "model_params": "parameters", "data_size": "bytes", "workers": "workers", "bandwidth": "bytes/s", "mtbf": "h",
         "deadline": "s", "tokens": "tokens", "output_tokens": "tokens"}


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
        return (f"The description does not give **{self.field.replace('_', ' ')}**. I assumed {self.assumed:,.4g} {self.unit}, "
                f"but the verdict flips at {self.flips_at:,.4g} {self.unit} ({self.why}). What is it?")


def plausible_range(field: str, facts: SystemFacts) -> tuple[float, float] | None:
    fact = getattr(facts, field)
    value = facts.num(field)
    if not value:  # unknown, or assumed absent ("no data consulted per request"): not an amount to ask about
        return None
    if fact.quote and (fact.assumption or "").startswith("read ") and value > 0:  # a vague amount the text did say
        return value / VAGUE_FACTOR, value * VAGUE_FACTOR
    return PLAUSIBLE.get(field)


def questions(facts: SystemFacts, break_evens: list[dict]) -> list[Question]:
    """The assumed quantities whose break-even lies strictly inside their plausible range."""
    asked: dict[str, Question] = {}
    for b in break_evens:
        field, flips = b["quantity"], b.get("flips_at")
        if not b.get("assumed") or field in asked or flips is None or field not in UNITS:
            continue
        bounds = plausible_range(field, facts)
        if bounds and bounds[0] < flips < bounds[1] and facts.num(field) is not None:
            asked[field] = Question(field=field, assumed=facts.num(field), unit=UNITS[field], flips_at=flips,
                                    low=bounds[0], high=bounds[1], why=b["meaning"])
    return list(asked.values())


_KEEP = re.compile(r"^\s*(ok(ay)?|yes|y|fine|sure|defaults?|go( ahead)?|continue|(keep|use)( the| your)?( assumed| default)?( values?| ones?| numbers?)?)\W*$", re.I)
_NUMBER = re.compile(r"(?P<num>-?\d[\d,_]*(?:\.\d+)?(?:e[+-]?\d+)?)\s*(?P<unit>[A-Za-zµ/%]+(?:/s)?)?", re.I)


def read_answers(text: str, asked: list[Question]) -> dict[str, float] | None:
    """The user's reply to the questions: {} keeps the assumptions; None when unreadable.

    Each question is answered by the rule reader when the reply names the quantity
    ("the SLO is 50 ms"); otherwise bare numbers answer the questions in the order asked,
    in the unit each question was asked in (a unit pint understands is converted)."""
    from ceiling.agents.facts import extract
    from ceiling.agents.schemas import CANONICAL_UNITS
    from ceiling.agents.units import convert

    if _KEEP.match(text):
        return {}
    read = extract(text)
    answers = {q.field: read.num(q.field) for q in asked if read.num(q.field) is not None and getattr(read, q.field).quote}
    rest = [q for q in asked if q.field not in answers]
    numbers = list(_NUMBER.finditer(text))
    for q, match in zip(rest, numbers[len(answers):] if answers else numbers):
        value = float(match.group("num").replace(",", "").replace("_", ""))
        unit = match.group("unit")
        try:
            value = convert(value, unit, CANONICAL_UNITS[q.field] or "dimensionless") if unit else value
        except Exception:  # a word pint doesn't know ("lookups", "GPUs") is the question's own unit
            pass
        answers[q.field] = value
    return answers or None
