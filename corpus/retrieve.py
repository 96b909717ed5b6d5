"""Retrieval tool: the top-k corpus passages for a query.

``retrieve`` uses the :class:`~ceiling.corpus.index.CorpusIndex` of the running review's corpus (packaged
chapters + the run's folders + ``$CEILING_CORPUS``, stored under ``$CEILING_HOME``), opened lazily on first use.
What a stage quotes of a passage is corpus/support.py's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from pydantic import BaseModel

from ceiling.corpus.index import CorpusIndex, corpus_folders

__all__ = [
    "Passage",
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
