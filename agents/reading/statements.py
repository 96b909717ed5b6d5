"""Statements without numbers: a ceiling, a trust boundary or a kind of workload stated in words
("the embedding tables outgrow any single server's RAM", "raw recordings stay on each handset").

Each reading in prompts/statements.yaml has prototype sentences; a sentence of the text close
enough to one of them (cosine similarity of the project's all-MiniLM-L6-v2 embeddings) sets what
the reading names, with its quote and similarity, and only where the rules read nothing. Numbers
always win: a statement never replaces a value the text states.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import numpy as np
import yaml


@dataclass(frozen=True)
class Reading:
    name: str
    sets: dict
    why: str
    prototypes: tuple[str, ...]
    counter_examples: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    reading: Reading
    sentence: str
    prototype: str
    similarity: float


@lru_cache(maxsize=1)
def readings() -> tuple[float, float, tuple[Reading, ...]]:
    """(min similarity, margin over the counter-examples, the readings) from prompts/statements.yaml."""
    data = yaml.safe_load(files("ceiling.prompts").joinpath("statements.yaml").read_text(encoding="utf-8"))
    found = tuple(
        Reading(name, r["sets"], r["why"], tuple(r["prototypes"]), tuple(r["counter_examples"]))
        for name, r in data["readings"].items()
    )
    return float(data["min_similarity"]), float(data["margin"]), found


def _vectors(texts: list[str]) -> np.ndarray:
    from ceiling.corpus.retrieve import default_index

    vectors, _ = default_index().embed_texts(texts)  # one batch, through the embedding cache
    return np.asarray(vectors, dtype=np.float32)


_MIN_WORDS = 5  # a heading or a label states nothing


def match(sentences: list[str]) -> list[Match]:
    """For each reading, the sentence closest to one of its prototypes, when close enough and closer
    to it than to any counter-example by the margin."""
    threshold, margin, all_readings = readings()
    candidates = [s for s in sentences if len(s.split()) >= _MIN_WORDS]
    if not candidates:
        return []
    examples = [(r, p, True) for r in all_readings for p in r.prototypes]
    examples += [(r, c, False) for r in all_readings for c in r.counter_examples]
    vectors = _vectors([text for _, text, _ in examples] + candidates)
    similarity = vectors[len(examples) :] @ vectors[: len(examples)].T  # unit vectors: cosine
    found = []
    for reading in all_readings:
        pro = [i for i, (r, _, positive) in enumerate(examples) if r is reading and positive]
        con = [i for i, (r, _, positive) in enumerate(examples) if r is reading and not positive]
        score = similarity[:, pro].max(axis=1)
        against = similarity[:, con].max(axis=1) if con else np.zeros(len(candidates))
        ok = (score >= threshold) & (score - against >= margin)
        if ok.any():
            row = int(np.where(ok, score, -1).argmax())
            best = pro[int(similarity[row, pro].argmax())]
            found.append(Match(reading, candidates[row], examples[best][1], float(score[row])))
    return found
