"""Paragraph mode's checks: the model writes a stage's whole paragraph (a strong endpoint), which replaces the rule
agent's only when it says what that text says (`problems`).

It names the answer and the stage before's answer where the rule text does, states at least half the numbers of the
rule text's decisive sentence, keeps every recommendation (its verb, its numbers, half its other words), copies each
number exactly from the design's figures (rounded, converted or computed, it is a new claim), quotes only words the
text has, says the chapter states only what the chapter's passage says, echoes none of the prompt's instructions and
says nothing twice. Each check is there for a real reply of the local model that failed it
(tests/test_llm_paragraph.py). The checks all model prose goes through (keys, prompt labels, units, comparisons) run
as well, in stage.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ceiling.agents.llm import ledger

PARAGRAPH_CHARS = 900  # 2 to 5 sentences
PARAGRAPH_TOKENS = 600  # the reply: a paragraph, a quote and the JSON around them
PASSAGE_CHARS = 700  # the supporting passage, whole or nearly

# The verbs the rule agents recommend with, at the head of a clause ("run N+1 replicas ...", "checkpoint every
# 4,553 s", "plan the restart instead") or after "must" ("a round must close with the sites that report").
RECOMMENDING = ("run", "checkpoint", "plan", "spend", "give", "close", "shard", "replicate", "cache", "batch", "split")
_CLAUSE = re.compile(r"(?<=[.;:])\s+")  # "0.89" and "4,553" end no clause: no space follows their mark
# the description's words, quoted (and the parentheses around a quote): its "must" is the author's, not advice
_QUOTED = re.compile(r'\s*\([^()"“]*(?:"[^"]*"|“[^”]*”)[^()]*\)|"[^"]*"|“[^”]*”')
_VERBS = "|".join(RECOMMENDING)
_RECOMMENDS = re.compile(rf"^(?:so |then |and )?(?P<verb>{_VERBS})\b|\b(?:must|should) (?P<must>{_VERBS})\b", re.I)
_SPARES = re.compile(r"\bN\s*\+\s*\d+")  # "N+1": its 1 is a free number, the spare is the claim
_WORD = re.compile(r"[a-z]{4,}")
_COMMON = {"that", "this", "with", "from", "when", "each", "than", "them", "they", "their", "instead", "every"}


def recommendations(rule_text: str) -> list[str]:
    """The rule text's recommending clauses (quoted description text left out)."""
    text = _QUOTED.sub("", rule_text)
    return [c.strip().rstrip(".;:") for c in _CLAUSE.split(text) if _RECOMMENDS.search(c.strip())]


# "Chapter 14", "Section 1.4", "Output 1.8.1": where to read, not a quantity
_REFERENCE = re.compile(r"\b(?:chapter|section|figure|table|output|listing|equation|stage)s?\s+\d+(?:\.\d+)*", re.I)


def _claims(text: str) -> list[float]:
    """The numbers a text claims: not the ledger's free ones (stage numbers, percentiles), not references."""
    return [n for n in ledger.numbers_in(_REFERENCE.sub(" ", text)) if n not in ledger.FREE]


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
    """Numbers of the paragraph that are none of the numbers in `shown` (the design's figures) nor a tool's result."""
    printed = {n for text in shown for n in ledger.numbers_in(text)} | set(tool_numbers)
    return [n for n in dict.fromkeys(f"{v:g}" for v in _claims(paragraph)) if float(n) not in printed]


# "the passage states that X", "as Section 1.6 notes, X": a claim about what the chapter says
_SOURCE = r"(?:the |this )?(?:passage|chapter|section(?: \d+(?:\.\d+)*)?|book|text)"
_SAYING = r"(?:states?|says?|notes?|explains?|shows?|argues?|puts it|tells us)"
_ATTRIBUTION = rf"\b{_SOURCE} {_SAYING}(?: that)?,?|\bas {_SOURCE} {_SAYING},?|\baccording to {_SOURCE},?"
_ATTRIBUTED = re.compile(rf"(?:{_ATTRIBUTION})\s+(?P<claim>(?:[^.;:]|[.:](?=\d))+)", re.I)  # "0.89" ends no claim


def misattributed(paragraph: str, passage: str) -> list[str]:
    """Claims the paragraph puts in the chapter's mouth that its passage does not make: a number the passage lacks,
    or a third of the claim's words."""
    passage_numbers, passage_words = set(ledger.numbers_in(passage)), _stems(passage)
    out = []
    for match in _ATTRIBUTED.finditer(paragraph):
        claim = match.group("claim").strip()
        words = _stems(claim)
        if any(n not in passage_numbers for n in _claims(claim)) or len(words & passage_words) * 3 < len(words) * 2:
            out.append(claim)
    return out


@cache
def instructions() -> str:
    """The prompt's own words: its templates, placeholders left out."""
    from ceiling.agents.llm.prompting import template

    texts = (template(name).template for name in ("system.txt", "stage.txt", "write_paragraph.txt"))
    return "\n".join(re.sub(r"\$\w+", " ", text) for text in texts)


def _runs(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z']+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def echoed(paragraph: str, instructions: str, content: list[str]) -> list[str]:
    """Runs of five words the paragraph shares with the prompt's instructions and with none of its content (the rule
    text, the passage, the description): words addressed to the model, not to the reader."""
    own = set().union(*(_runs(text) for text in content))
    return [" ".join(run) for run in sorted(_runs(paragraph) & _runs(instructions) - own)]


def _named(term: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text, re.I) is not None


# A quotation of four words or more, in double or single quotes (an apostrophe, "sites' own", opens none).
_QUOTATION = re.compile(r"(?:(?<=\s)|(?<=\()|^)[\"“'‘](?P<quote>[^\"”’]{20,}?)[\"”'’](?=[\s.,;:)]|$)")


def misquoted(paragraph: str, sources: list[str]) -> list[str]:
    """Quotations in the paragraph that are in none of `sources` word for word (case and spacing aside)."""

    def flat(text: str) -> str:
        return " ".join(text.lower().split())

    haystack = "\n".join(flat(text) for text in sources)
    quotes = (m.group("quote").strip().rstrip(".,;:") for m in _QUOTATION.finditer(paragraph))
    return [q for q in quotes if len(q.split()) >= 4 and flat(q) not in haystack]


def repeated(paragraph: str, n: int = 8) -> list[str]:
    """Runs of `n` words the paragraph says twice: a copied clause, not a reason."""
    words = re.findall(r"[a-z0-9']+", paragraph.lower())
    runs = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    return list(dict.fromkeys(run for run in runs if runs.count(run) > 1))


@dataclass(frozen=True)
class Stage:
    """What a stage's paragraph is checked against."""

    answer: object  # what the numbers force (a list of axes at stage 2)
    rule_text: str  # the rule agent's paragraph
    decisive: str  # its first sentence: the reason the answer follows
    earlier_answer: str  # the answer of the stage before ("" at stage 1)
    figures: list[str]  # the texts whose numbers it may copy: facts, evidence, rule text, earlier stages, description
    passage: str  # the chapter's passage it was shown
    description: str


def problems(paragraph: str, stage: Stage, tool_numbers=()) -> list[str]:
    """What keeps a paragraph from replacing the rule text; the answer and the stage before it are required where the
    rule text names them."""
    out = []
    answers = [] if stage.answer == "none" else stage.answer if isinstance(stage.answer, list) else [stage.answer]
    if missing := [a for a in answers if _named(a, stage.rule_text) and not _named(a, paragraph)]:
        out.append(f"it never names the answer ({', '.join(missing)})")
    chain = [a for a in stage.earlier_answer.split(", ") if a and _named(a, stage.decisive)]
    if unchained := [a for a in chain if not _named(a, paragraph)]:
        out.append(f"it never names the stage before's answer it follows from ({', '.join(unchained)})")
    decisive_numbers = set(_claims(stage.decisive))
    kept = decisive_numbers & set(ledger.numbers_in(paragraph))
    if len(kept) * 2 < len(decisive_numbers):
        out.append(
            f"it leaves out the decisive reason's numbers: {len(kept)} of its {len(decisive_numbers)} stated "
            f"({stage.decisive.strip()})"
        )
    if lost := [r for r in recommendations(stage.rule_text) if not keeps(r, paragraph)]:
        out.append(f"it drops the recommendation {lost[0]!r}" + (f" and {len(lost) - 1} more" if len(lost) > 1 else ""))
    if inexact := inexact_numbers(paragraph, stage.figures, tool_numbers):
        out.append(f"numbers not copied exactly from the evidence: {', '.join(inexact[:5])}")
    if claims := misattributed(paragraph, stage.passage):
        out.append(f"it says the chapter states what its passage does not: {claims[0]!r}")
    if quotes := misquoted(paragraph, [stage.description, stage.rule_text, stage.passage]):
        out.append(f"it quotes words that are not in the text: {quotes[0]!r}")
    if runs := echoed(paragraph, instructions(), [stage.rule_text, stage.passage, stage.description]):
        out.append(f"it echoes the prompt's instructions ({runs[0]!r}), words no reader was meant to see")
    if twice := repeated(paragraph):
        out.append(f"it says the same words twice ({twice[0]!r})")
    return out
