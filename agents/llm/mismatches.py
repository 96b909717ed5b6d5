"""The mismatch check (issue 21 part 4b): the model reads the description against the values the review used.

The rules read each number from its sentence; a misreading ("a 7B model" as 7 GB, a range's low end, one machine of a
fleet) is then defended by every stage. The model is shown the rule-read values the verdict turns on (the ceiling and
tax break-evens) and names any the description states differently, with the words that state it. Each pair is checked
exactly as a proposed fact is (agents/llm/facts.py: the quote is in the text that was read, states that number, names
what a count counts, gives a rate its time unit, takes the unit the rules' cue words give it) and must differ from the
value used. The tools then recompute the rule agents' answers with the model's value: the review shows the pair and
what the verdict would be, and keeps the rules' reading (the weak local model is wrong more often than they are).
"""

from __future__ import annotations

from ceiling.agents.llm.facts import ASKABLE, _checked_value, _same_number, _schema
from ceiling.agents.llm.prompting import shared_head, template
from ceiling.agents.review.origins import Mismatch, changed_answers, origin
from ceiling.agents.schemas import CANONICAL_UNITS, Fact, SystemFacts

MOST_MISMATCHES = 3  # a description misread in more places than this needs reading again, not a list


def disputable(facts: SystemFacts, machine) -> list[str]:
    """The values read from the text (not assumed, not the model's, not the user's) that the verdict turns on."""
    from ceiling.agents.review.sensitivity import break_evens

    turns_on = dict.fromkeys(b.quantity for b in break_evens(facts, machine) if not b.assumed)
    return [name for name in turns_on if name in ASKABLE and facts.num(name) and origin(facts, name) == "read"]


def _shown(facts: SystemFacts, name: str) -> str:
    """One value as the prompt lists it, in the unit the model is asked to answer in."""
    from ceiling.agents.reading.units import convert

    meaning, unit = ASKABLE[name]
    value = convert(facts.num(name), CANONICAL_UNITS[name] or "dimensionless", unit or "dimensionless")
    written = f"{value:,.0f}" if abs(value) >= 1e5 else f"{value:.4g}"
    return f"- {name}: {meaning} = {written} [{unit or 'count'}]"


def check(raw: SystemFacts, description: str, client, machine) -> tuple[list[Mismatch], list[str]]:
    """(the pairs that check out, each with the verdict recomputed on the model's value; a note per one dropped)."""
    from ceiling.agents.reading import assume

    facts = assume.complete(raw, machine)
    fields = disputable(facts, machine) if description.strip() else []
    if not fields:
        return [], ["LLM mismatch check not asked: the verdict turns on no value read from the text"]
    values = "\n".join(_shown(facts, name) for name in fields)
    messages = [
        shared_head(description, client),
        {"role": "user", "content": template("mismatch.txt").substitute(values=values)},
    ]
    reply = client.complete_json(messages, _schema(fields, MOST_MISMATCHES), purpose="mismatch check")
    return verify(raw, description, reply.facts, machine)


def verify(raw: SystemFacts, description: str, pairs: list, machine) -> tuple[list[Mismatch], list[str]]:
    """The proposed pairs (field, value, unit, quote) that check out, with the verdict recomputed; a note per one
    dropped."""
    from ceiling.agents.reading import assume
    from ceiling.agents.stages.table import decide_all

    facts = assume.complete(raw, machine)
    found, notes, as_read = [], [], decide_all(facts, machine)
    for item in pairs:
        used = facts.num(item.field)
        unread = raw.model_copy(deep=True)
        setattr(unread, item.field, Fact())  # checked as a fact the rules had not read, against the others they did
        value, why = _checked_value(unread, item, description)
        if why is None and _same_number(value, used):
            why = "it agrees with the value used"
        if why is None and any(pair.field == item.field for pair in found):
            why = "a pair for that field was already kept"
        if why:
            notes.append(f"mismatch dropped {item.field}={item.value:g}: {why}")
            continue
        changed = raw.model_copy(deep=True)
        setattr(changed, item.field, Fact(value=value, unit=CANONICAL_UNITS[item.field], quote=item.quote.strip()))
        found.append(
            Mismatch(
                field=item.field,
                used=used,
                used_quote=getattr(facts, item.field).quote,
                model_value=value,
                unit=CANONICAL_UNITS[item.field],
                quote=item.quote.strip(),
                verdict_with_it=changed_answers(as_read, decide_all(assume.complete(changed, machine), machine)),
            )
        )
    return found, notes
