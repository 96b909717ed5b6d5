"""Does the prose's comparison hold? "4e+08 bytes is larger than 8e+10 bytes" cites two numbers
the tools produced, so the numbers ledger passes it; the claim between them is still false.

Each number is read the facts reader's way (unit resolved by pint, so "40 TB" and "80 GB"
compare), and only two numbers of the same kind around one comparison word are checked.
"""

from __future__ import annotations

import re

_COMPARISON = re.compile(
    r"\b(?:(?P<more>larger|bigger|greater|higher|more)\s+than|(?P<less>smaller|lower|less|fewer)\s+than"
    r"|(?P<over>exceeds?|exceeding|exceeded|above|over|too (?:big|large) for)"
    r"|(?P<under>below|under))\b",
    re.I,
)
_NEGATED = re.compile(r"\b(not|never|no|n't|nor)\b(\s+\w+){0,2}\s*$", re.I)
_REACH = 90  # characters: a number farther from the comparison word is not what it compares


def false_comparisons(text: str) -> list[str]:
    """Each "<a> is larger than <b>" (or smaller, exceeds, below...) whose numbers say otherwise."""
    from ceiling.agents.reading.facts import find_mentions, split_sentences

    found = []
    for sentence in split_sentences(text):
        mentions = find_mentions(sentence)
        if len(mentions) < 2:
            continue
        normalized = mentions[0].sentence
        for word in _COMPARISON.finditer(normalized):
            if _NEGATED.search(normalized[: word.start()]):
                continue
            left = [m for m in mentions if m.end <= word.start() and word.start() - m.end <= _REACH]
            if not left:
                continue
            a = left[-1]
            # the first number after the word of the same kind ("one machine (80 GB)": the 80 GB)
            right = [
                m for m in mentions if m.kind == a.kind and m.start >= word.end() and m.start - word.end() <= _REACH
            ]
            if not right:
                continue
            b = right[0]
            larger = bool(word.group("more") or word.group("over"))
            if (a.value <= b.value) if larger else (a.value >= b.value):
                found.append(f"{a.text()} is not {word.group(0).lower()} {b.text()}")
    return found
