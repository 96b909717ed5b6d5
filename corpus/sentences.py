"""The sentences of a passage, and which of them can be quoted as support for a claim.

A quote is a whole sentence, or a clause of one that stands alone (after a ';'), copied verbatim. A piece is
never quoted when it is no statement: a question, a heading or label, a code line or table row, an exercise
prompt, or a list of the chapter's sections rather than a rule.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["MAX_QUOTE_CHARS", "Piece", "citable", "citable_pieces", "sentence_spans"]

MAX_QUOTE_CHARS = 420  # a longer sentence is quoted by a clause of it that stands alone, or not at all
MIN_QUOTE_CHARS = 40  # shorter is a fragment ("Stage 4, which processing mode.")

# a sentence ends at . ! ? (optionally followed by a closing quote/bracket) before whitespace, or at a line break
_SENT_END_RE = re.compile(r"[.!?][\"')\]]*(?=\s)|\n")
# what opens a block of its own on a line: a blank line, a heading, a list item, a quote, a table row, a fence
_BLOCK_START_RE = re.compile(r"[ \t]*(?:$|\n|#|[-*+>|]\s|\||\d+[.)]\s|```|~~~)", re.M)
_CODE_RE = re.compile(r"[{}=|]|^\s*#|\w\(\w|^\s*[-*]\s|\s{3,}:")
_EXERCISE_RE = re.compile(r"^\s*(?:exercise|question|try it|problem)\b", re.I)
_EXERCISE_SECTION_RE = re.compile(r"\b(?:exercises?|questions|problems|self-check|quiz)\b", re.I)
_SECTION_REF_RE = re.compile(r"\b(?:section|chapter|part|ch)\s+[\dIVX]+(?:\.\d+)*", re.I)
_LABEL_RE = re.compile(r"^\s*[A-Z]\w*(?: [A-Z]\w*)?:\s")  # "Dilemma: ...", "Key Insight: ...": a field, no rule
_CLAUSE_RE = re.compile(r";\s+")
# a clause that opens with a pronoun or a connective leans on the clause before it: it does not stand alone
_LEANING_RE = re.compile(
    r"^(?:it|its|this|that|these|those|they|which|for|and|nor|but|or|yet|so|then|thus|hence)\b", re.I
)


class Piece(NamedTuple):
    chunk_id: str
    text: str  # verbatim in the chunk's text


def _soft_wrap(text: str, newline: int) -> bool:
    """Whether the line break at ``newline`` only wraps a paragraph (Markdown written at 80 columns): the next line
    goes on with the same block, neither a blank line nor a heading, list item, quote, table row or fence."""
    line_start = text.rfind("\n", 0, newline) + 1
    return not (_BLOCK_START_RE.match(text, newline + 1) or _BLOCK_START_RE.match(text, line_start))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text``, whitespace-trimmed. A sentence ends at . ! ? or at the end
    of a block; a line break that only wraps a paragraph is a space."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENT_END_RE.finditer(text):
        if m.group() == "\n" and _soft_wrap(text, m.start()):
            continue
        end = m.end() if m.group() != "\n" else m.start()
        spans.append((pos, end))
        pos = m.end()
    spans.append((pos, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def citable(piece: str, clause: bool = False) -> bool:
    """A statement that can support a claim (``clause``: a clause of a sentence, which has no full stop of its own)."""
    s = piece.strip()
    if not MIN_QUOTE_CHARS <= len(s) <= MAX_QUOTE_CHARS or s.endswith("?"):
        return False
    if not clause and s[-1] not in ".!\"')]":  # a heading, label or caption line
        return False
    if _CODE_RE.search(s) or _EXERCISE_RE.match(s) or _LABEL_RE.match(s):
        return False
    return len(_SECTION_REF_RE.findall(s)) < 3


def citable_pieces(chunk_id: str, section: str, text: str) -> list[Piece]:
    """The quotable sentences of a chunk, and the clauses of its sentences that stand alone (a sentence of two
    rules joined by ';' supports each rule by its own clause). None from an exercise section: its sentences ask."""
    if _EXERCISE_SECTION_RE.search(section):
        return []
    out: list[Piece] = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if citable(sentence):
            out.append(Piece(chunk_id, sentence))
        clauses = _CLAUSE_RE.split(sentence)
        if len(clauses) > 1:
            for part in clauses:
                clause = part.rstrip(" ;:,")
                if citable(clause, clause=True) and not _LEANING_RE.match(clause):
                    out.append(Piece(chunk_id, clause))
    return out
