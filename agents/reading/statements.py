"""Statements without numbers: a ceiling, a trust boundary or a kind of workload stated in words
("the embedding tables outgrow any single server's RAM", "raw recordings stay on each handset").

Each reading in prompts/statements.yaml has prototype sentences; a sentence of the text close
enough to one of them (cosine similarity of the project's all-MiniLM-L6-v2 embeddings) sets what
the reading names, with its quote and similarity, and only where the rules read nothing. Numbers
always win: a statement never replaces a value the text states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

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


def _vectors(texts: list[str]):
    import numpy as np  # here, not at import: a description off every topic never needs it

    from ceiling.corpus.retrieve import default_index

    vectors, _ = default_index().embed_texts(texts)  # one batch, through the embedding cache
    return np.asarray(vectors, dtype=np.float32)


_MIN_WORDS = 5  # a heading or a label states nothing
_WORD = re.compile(r"[a-z]{4,}")


def _content(text: str) -> set[str]:
    return {w.rstrip("s") for w in _WORD.findall(text.lower())}


@lru_cache(maxsize=1)
def _topic_words() -> dict[str, frozenset[str]]:
    """Per reading, the words at least half of its prototypes use ("agent", "data"): its topic."""
    topics = {}
    for reading in readings()[2]:
        words = [_content(p) for p in reading.prototypes]
        topics[reading.name] = frozenset(
            w for w in set().union(*words) if sum(w in ws for ws in words) * 2 >= len(words)
        )
    return topics


def _on_topic(sentence: str) -> bool:
    """A sentence that uses none of a reading's topic words cannot be close to its prototypes: it is
    not embedded, so a review whose text is off every topic never loads the model."""
    words = _content(sentence)
    return any(words & topic for topic in _topic_words().values())


def match(sentences: list[str]) -> list[Match]:
    """For each reading, the sentence closest to one of its prototypes, when close enough and closer
    to it than to any counter-example by the margin."""
    threshold, margin, all_readings = readings()
    candidates = [s for s in sentences if len(s.split()) >= _MIN_WORDS and _on_topic(s)]
    if not candidates:
        return []
    examples = [(r, p, True) for r in all_readings for p in r.prototypes]
    examples += [(r, c, False) for r in all_readings for c in r.counter_examples]
    import numpy as np

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
