"""Citations for a stage: retrieve passages of the corpus and quote the sentence that fits."""

from __future__ import annotations

from ceiling.agents.schemas import Citation


def cite(query: str, k: int = 2) -> list[Citation]:
    """The top-k passages for `query`, each with its best-matching sentence as the quote."""
    from ceiling.corpus.retrieve import best_quote, retrieve

    return [
        Citation(chunk_id=p.chunk_id, section=p.section, quote=best_quote(p.text, query)) for p in retrieve(query, k=k)
    ]
