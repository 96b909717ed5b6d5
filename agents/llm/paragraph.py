"""Paragraph mode's checks: the model writes a stage's whole paragraph (a strong endpoint), which replaces the rule
agent's only when it says what that text says.

It must name the answer and state at least half the numbers of the rule text's decisive sentence (the reason the
answer follows), keep every recommendation of the rule text (its verb, its numbers, most of its words), and copy each
number exactly from what the model was shown (a rounded, converted or computed number is a new claim, however close).
The checks every model prose goes through (keys, prompt labels, units, comparisons) run as well, in stage.py.
"""

from __future__ import annotations

import re

from ceiling.agents.llm import ledger

PARAGRAPH_CHARS = 900  # 2 to 5 sentences
PARAGRAPH_TOKENS = 600  # the reply: a paragraph, a quote and the JSON around them
PASSAGE_CHARS = 700  # the supporting passage, whole or nearly

# The verbs the rule agents recommend with, at the head of a clause ("run N+1 replicas ...", "checkpoint every
# 4,553 s", "plan the restart instead") or after "must" ("a round must close with the sites that report").
RECOMMENDING = ("run", "checkpoint", "plan", "spend", "give", "close", "shard", "replicate", "cache", "batch", "split")
_CLAUSE = re.compile(r"(?<=[.;:])\s+")  # "0.89" and "4,553" end no clause: no space follows their mark
_QUOTED = re.compile(r'"[^"]*"|“[^”]*”')  # the description's words, quoted: its "must" is the author's, not advice
_VERBS = "|".join(RECOMMENDING)
_RECOMMENDS = re.compile(rf"^(?:so |then |and )?(?P<verb>{_VERBS})\b|\b(?:must|should) (?P<must>{_VERBS})\b", re.I)
_SPARES = re.compile(r"\bN\s*\+\s*\d+")  # "N+1": its 1 is a free number, the spare is the claim
_WORD = re.compile(r"[a-z]{4,}")
_COMMON = {"that", "this", "with", "from", "when", "each", "than", "them", "they", "their", "instead", "every"}


def recommendations(rule_text: str) -> list[str]:
    """The rule text's recommending clauses (quoted description text left out)."""
    text = _QUOTED.sub('""', rule_text)
    return [c.strip().rstrip(".") for c in _CLAUSE.split(text) if _RECOMMENDS.search(c.strip())]


def _claims(text: str) -> list[float]:
    return [n for n in ledger.numbers_in(text) if n not in ledger.FREE]


def _stems(text: str) -> set[str]:
    """Content words by their first five letters ("replicas" and "replica", "replaced" and "replacing" agree)."""
    return {w[:5] for w in _WORD.findall(text.lower()) if w not in _COMMON}


def keeps(recommendation: str, paragraph: str) -> bool:
    """The paragraph keeps a recommendation: its verb (any form), its numbers and spares, half its other words."""
    match = _RECOMMENDS.search(recommendation)
    verb = match.group("verb") or match.group("must")
    if not re.search(rf"\b{verb}\w{{0,4}}\b", paragraph, re.I):
        return False
    said = set(ledger.numbers_in(paragraph))
    spares = {re.sub(r"\s", "", s) for s in _SPARES.findall(paragraph)}
    if any(n not in said for n in _claims(recommendation)) or any(
        re.sub(r"\s", "", s) not in spares for s in _SPARES.findall(recommendation)
    ):
        return False
    words = _stems(recommendation) - {verb[:5]}
    return len(words & _stems(paragraph)) * 2 >= len(words)


def inexact_numbers(paragraph: str, shown: list[str], tool_numbers=()) -> list[str]:
    """Numbers of the paragraph that are no number the model was shown (nor a tool it called produced), as written."""
    printed = {n for text in shown for n in ledger.numbers_in(text)} | set(tool_numbers)
    return [n for n in dict.fromkeys(f"{v:g}" for v in _claims(paragraph)) if float(n) not in printed]


def _names(answer, paragraph: str) -> bool:
    """The paragraph names the answer (each axis distributed, at stage 2); "none" (no ceiling) is named by numbers."""
    answers = [] if answer == "none" else answer if isinstance(answer, list) else [answer]
    return all(re.search(rf"(?<![\w-]){re.escape(a)}(?![\w-])", paragraph, re.I) for a in answers)


def problems(paragraph: str, answer, decisive: str, rule_text: str, shown: list[str], tool_numbers=()) -> list[str]:
    """What keeps a paragraph from replacing the rule text (`answer`: what the numbers force; `decisive`: the rule
    text's first sentence; `shown`: the prompt's texts)."""
    out = []
    if not _names(answer, paragraph):
        out.append(f"it never names the answer ({answer!r})")
    decisive_numbers = set(_claims(decisive))
    kept = decisive_numbers & set(ledger.numbers_in(paragraph))
    if len(kept) * 2 < len(decisive_numbers):
        out.append(
            f"it states {len(kept)} of the {len(decisive_numbers)} numbers of the decisive reason ({decisive.strip()})"
        )
    if lost := [r for r in recommendations(rule_text) if not keeps(r, paragraph)]:
        out.append(f"it drops the recommendation {lost[0]!r}" + (f" and {len(lost) - 1} more" if len(lost) > 1 else ""))
    if inexact := inexact_numbers(paragraph, shown, tool_numbers):
        out.append(f"numbers not copied exactly from the evidence: {', '.join(inexact[:5])}")
    return out
