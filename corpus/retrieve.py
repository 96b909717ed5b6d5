"""Retrieval tool: top-k corpus passages for a query, and an exact quote to cite from one.

``retrieve`` uses the :class:`~ceiling.corpus.index.CorpusIndex` of the running review's corpus (packaged
chapters + the run's folders + ``$CEILING_CORPUS``, stored under ``$CEILING_HOME``), opened lazily on first use.
``best_quote`` returns a verbatim piece of the passage, so ``quote in chunk.text`` holds.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from pydantic import BaseModel

from ceiling.corpus.index import CorpusIndex, corpus_folders

__all__ = [
    "Passage",
    "best_quote",
    "default_index",
    "index_for",
    "reset_default_index",
    "retrieve",
    "use_index",
    "using",
]


class Passage(BaseModel):
    """A retrieved chunk: cite it by ``chunk_id``; ``score`` is cosine similarity (higher is closer)."""

    chunk_id: str
    section: str
    text: str
    score: float


# One open index per corpus set (packaged chapters + extra folders), and the set the running review uses: the
# workflow sets it from its run context around every node, so two reviews in one process (the chat's threads, the
# eval's workers) each cite their own corpus without an environment variable between them.
_INDEXES: dict[tuple[Path, ...], CorpusIndex] = {}
_LOCK = threading.Lock()
_ACTIVE: ContextVar[tuple[Path, ...]] = ContextVar("ceiling_corpus", default=())


def index_for(extra: Iterable[str | Path] = ()) -> CorpusIndex:
    """The open index of the packaged chapters plus `extra` folders (and ``$CEILING_CORPUS``), built if needed."""
    folders = tuple(corpus_folders(extra))
    index = _INDEXES.get(folders)
    if index is None:
        with _LOCK:
            index = _INDEXES.get(folders)
            if index is None:
                index = CorpusIndex(extra)
                index.open()
                _INDEXES[folders] = index
    return index


def default_index() -> CorpusIndex:
    """The index of the corpus the running review uses (the packaged chapters outside a review)."""
    return index_for(_ACTIVE.get())


@contextmanager
def using(extra: Iterable[str | Path]) -> Iterator[None]:
    """Within this block (this thread or task), `default_index` and `retrieve` use the corpus with `extra`."""
    token = _ACTIVE.set(tuple(Path(f) for f in extra))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def use_index(index: CorpusIndex) -> None:
    """Make an already opened index the one for its corpus set (the CLI opens it with progress)."""
    with _LOCK:
        _INDEXES[tuple(index.folders)] = index


def reset_default_index() -> None:
    """Close and forget every open index (the next query re-reads the corpus and the environment)."""
    with _LOCK:
        for index in _INDEXES.values():
            index.close()
        _INDEXES.clear()


def retrieve(query: str, k: int = 3, index: CorpusIndex | None = None) -> list[Passage]:
    """The ``k`` passages most similar to ``query``, best first."""
    idx = index if index is not None else default_index()
    return [
        Passage(chunk_id=h.chunk.chunk_id, section=h.chunk.section, text=h.chunk.text, score=h.score)
        for h in idx.search(query, k=k)
    ]


# --------------------------------------------------------------------------- quotes

_STOP = frozenset(
    """a an and are as at be by can do does for from has have how i in into is it its may
    more most must my no not of on or our so than that the their them then there these this
    those to was we what when where which who why will with would you your""".split()
)
_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*")
# a sentence ends at . ! ? (optionally followed by a closing quote/bracket) before whitespace,
# or at a line break
_SENT_END_RE = re.compile(r"[.!?][\"')\]]*(?=\s)|\n")


def _stem(word: str) -> str:
    w = word.lower()
    for suf in ("ies", "ing", "ed", "es", "s"):
        if len(w) > len(suf) + 2 and w.endswith(suf):
            return w[: -len(suf)] + ("y" if suf == "ies" else "")
    return w


def _terms(text: str) -> list[str]:
    out: list[str] = []
    for w in _WORD_RE.findall(text):
        for part in [w, *w.split("-")] if "-" in w else [w]:
            lw = part.lower()
            if lw not in _STOP and len(lw) > 1:
                out.append(_stem(lw))
    return out


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text``, whitespace-trimmed."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENT_END_RE.finditer(text):
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


def _cut(text: str, start: int, end: int, max_chars: int) -> str:
    """``text[start:end]``, or its longest prefix of at most ``max_chars`` ending at a word boundary."""
    if end - start <= max_chars:
        return text[start:end]
    limit = start + max_chars
    cut = limit
    # back up to the last whitespace at or before the limit (unless the next char is a break)
    if not text[limit].isspace():
        ws = text.rfind(" ", start, limit)
        nl = text.rfind("\n", start, limit)
        b = max(ws, nl)
        if b > start:
            cut = b
    piece = text[start:cut].rstrip()
    # drop a dangling separator
    while piece and piece[-1] in ",;:-(\u2014":
        piece = piece[:-1].rstrip()
    return piece or text[start:limit]


def best_quote(text: str, query: str, max_chars: int = 240) -> str:
    """One sentence of ``text`` that best matches ``query``'s words (a verbatim substring).

    Sentences are scored by the distinct query terms they contain (rarer terms in the passage
    weigh more); ties go to the earlier sentence. A sentence longer than ``max_chars`` is cut
    to a prefix at a word boundary. Returns "" for an empty passage.
    """
    spans = _sentences(text)
    if not spans:
        return ""
    qterms = set(_terms(query))
    sent_terms = [set(_terms(text[s:e])) for s, e in spans]
    best_i, best_score = 0, -1.0
    if qterms:
        df: dict[str, int] = {}
        for ts in sent_terms:
            for t in ts & qterms:
                df[t] = df.get(t, 0) + 1
        for i, ts in enumerate(sent_terms):
            hit = ts & qterms
            score = sum(1.0 + 1.0 / df[t] for t in hit)
            # prefer sentences that fit, and real sentences over fragments/headings
            s, e = spans[i]
            if e - s > max_chars:
                score *= 0.9
            if e - s < 25:
                score *= 0.5
            if text[e - 1] not in ".!?\"')]":  # heading, label or code line
                score *= 0.7
            if score > best_score:
                best_i, best_score = i, score
    if best_score <= 0:
        # nothing matched: first sentence that is not a heading-like fragment
        best_i = next((i for i, (s, e) in enumerate(spans) if e - s >= 25), 0)
    s, e = spans[best_i]
    quote = _cut(text, s, e, max_chars)
    assert quote in text
    return quote
