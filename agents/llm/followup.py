"""A chat follow-up the rules could not read, read by the model into what-ifs (issue 21 part 4c).

"hmm, and if each of those lookups had to cross regions, like 30 ms apiece?" The rule reader of
reading/followup.py goes first; only when it finds no change does the model get the message, fenced as
untrusted text like a description. Each value it proposes is checked exactly as a proposed fact is
(agents/llm/facts.verify): its quote is in the message, states that number, names what a count counts and
gives a rate its time unit. What survives becomes a change marked as read by the model.
"""

from __future__ import annotations

from ceiling.agents.llm.facts import RELEVANT, _schema, listing, verify
from ceiling.agents.llm.prompting import shared_head, template
from ceiling.agents.reading.followup import Change
from ceiling.agents.schemas import SystemFacts

MOST_CHANGES = 3  # a follow-up changes a few quantities, not the design


def read_changes(message: str, current: SystemFacts, client) -> tuple[list[Change], list[str]]:
    """(the changes the model read from `message` that check out and differ from `current`, a note per one
    dropped)."""
    fields = list(RELEVANT.get(current.text("workload") or "serving", RELEVANT["serving"]))
    messages = [
        shared_head(message, client),
        {"role": "user", "content": template("followup.txt").substitute(fields=listing(fields))},
    ]
    reply = client.complete_json(messages, _schema(fields, MOST_CHANGES), purpose="follow-up")
    read, notes = verify(SystemFacts(), message, reply.facts)
    changes = [
        Change(
            field=name,
            before=getattr(current, name).value,
            after=getattr(read, name).value,
            unit=getattr(read, name).unit,
            quote=getattr(read, name).quote,
            by_model=True,
        )
        for name in read.llm_filled
        if getattr(read, name).value != getattr(current, name).value
    ]
    return changes, notes
