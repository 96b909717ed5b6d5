"""Sentences of the corpus that support a claim: what a stage quotes beside its answer.

A quote must state the rule that forces the answer (or an example of it). So the search is for the claim, not for
the stage's question, over the corpus's quotable sentences (``sentences.citable``: no questions, headings, code,
exercise prompts or section lists), and
- a sentence that names another answer of the same stage and not this one is never quoted: it argues for that one;
- a sentence that does not name the answer must state the claim closely (``UNNAMED_SIMILARITY``);
- a sentence that states something else clearly better than the claim is not quoted: a later stage's rule (a
  consequence of the answer, not its reason: "a data ceiling sends you to distribute data" is the axis's rule, not
  the ceiling's; an earlier stage's rule is the reason, and may be quoted), or the stage's question restated.
Among the rest, the sentence closest to the claim is quoted, whole; when none is left, nothing is quoted (a filler
quote would claim support the corpus does not give). This works on any corpus the review is given: the claims and
the answers' names are the checklist's (prompts/claims.yaml), not the chapter's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from ceiling.corpus.index import CorpusIndex
from ceiling.corpus.retrieve import default_index

__all__ = ["MIN_SIMILARITY", "Support", "names_any", "supporting"]

# Cosine similarity (all-MiniLM-L6-v2) below which a sentence only shares the claim's topic: the sentences of a
# section that discuss a stage without stating its rule score 0.3-0.45 against the rule.
MIN_SIMILARITY = 0.45
UNNAMED_SIMILARITY = 0.6  # a sentence that does not name the answer must state the claim this closely
CANDIDATES = 12  # sentences searched per claim: enough that a few rejected leave the best statement
NAMED_BONUS = 0.05  # at near-equal similarity, the sentence that names the answer in the checklist's words
ELSEWHERE_MARGIN = 0.1  # a sentence this much closer to a later stage's claim or the question states that instead


class Support(NamedTuple):
    chunk_id: str
    section: str
    quote: str  # verbatim in the chunk: a whole sentence, or a clause of one that stands alone
    similarity: float


def names_any(sentence: str, names: Sequence[str]) -> bool:
    """Whether ``sentence`` names any of ``names`` as whole words (case-insensitive)."""
    return any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", sentence, re.I) for n in names if n)


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two embeddings (the model's vectors are unit length)."""
    return sum(x * y for x, y in zip(a, b, strict=True))


def supporting(
    claim: str,
    names: Sequence[str] = (),
    rivals: Sequence[str] = (),
    elsewhere: Sequence[str] = (),
    k: int = 1,
    index: CorpusIndex | None = None,
) -> list[Support]:
    """Up to ``k`` quotes from different passages that state ``claim``, best first; [] when the corpus has none.

    ``names``: words that assert the claimed answer; ``rivals``: words that assert another answer of the same
    stage; ``elsewhere``: what a quote must not state clearly better than the claim (the later stages' claims and
    the stage's question). ``index``: the running review's corpus by default."""
    index = index if index is not None else default_index()
    hits = [
        h
        for h in index.search_sentences(claim, k=CANDIDATES)
        if (h.score >= MIN_SIMILARITY and names_any(h.text, names))
        or (h.score >= UNNAMED_SIMILARITY and not names_any(h.text, rivals))
    ]
    if not hits:
        return []
    # the candidates' vectors were embedded when the index was built, the claims' once: no model on a warm cache
    vectors, _ = index.embed_texts([h.text for h in hits] + list(elsewhere))
    others = vectors[len(hits) :]
    scored = []
    for hit, vector in zip(hits, vectors[: len(hits)], strict=True):
        if any(_cosine(vector, other) > hit.score + ELSEWHERE_MARGIN for other in others):
            continue
        scored.append((hit.score + (NAMED_BONUS if names_any(hit.text, names) else 0.0), hit))
    scored.sort(key=lambda row: -row[0])
    out: list[Support] = []
    for _, hit in scored:
        if len(out) < k and all(s.chunk_id != hit.chunk.chunk_id for s in out):
            out.append(Support(hit.chunk.chunk_id, hit.chunk.section, hit.text, round(hit.score, 4)))
    return out
