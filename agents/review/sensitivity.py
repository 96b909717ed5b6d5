"""Which silent quantities could flip the verdict: the ones worth asking the user for.

A quantity is worth a question when the description did not state it (it was assumed) and
its break-even value (where a stage answer or the budget verdict flips) lies inside the
range people plausibly have. A number that cannot change the verdict is never asked for.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from ceiling.agents.quantities import QUANTITIES
from ceiling.agents.schemas import SystemFacts
from ceiling.agents.scoring.taxes import BreakEven

# The quantities worth asking for (their registry rows' `ask`): plausible range (canonical units), name and unit.
PLAUSIBLE: dict[str, tuple[float, float]] = {q.name: q.ask.plausible for q in QUANTITIES if q.ask}
ASKED_AS: dict[str, tuple[str, str]] = {q.name: (q.ask.name, q.ask.unit) for q in QUANTITIES if q.ask}
VAGUE_FACTOR = 3.0  # "tens of thousands" read as 30,000 could be 10,000 .. 90,000


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


def break_evens(facts: SystemFacts, machine) -> list[BreakEven]:
    """The rule agents' ceiling and tax break-evens for these facts (assumptions made) on the design as described:
    the two stages a single number flips."""
    from ceiling.agents.stages.table import decide_all

    decisions = decide_all(facts, machine)
    return decisions[1].evidence.break_evens + decisions[6].evidence.break_evens


def open_questions(facts: SystemFacts, machine) -> list[Question]:
    """The questions for these facts on the design as described."""
    return questions(facts, break_evens(facts, machine))


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
