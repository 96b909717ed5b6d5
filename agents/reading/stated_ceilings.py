"""A ceiling stated in words, with no number: "the index does not fit in one server's RAM", "the
weights are too large for a single GPU", "traffic far beyond what one box can take".

One grammar over vocabulary: a subject (what outgrows), a limit said the way that binds
("does not fit", "too large for", "outgrows", "beyond what"), and one machine or device. The
polarity is in the grammar, so "the model fits on one GPU" states nothing (an embedding model
hears the same topic in both). The subject decides the ceiling; a new word is one entry.
"""

from __future__ import annotations

import re

SUBJECTS: dict[str, tuple[str, ...]] = {
    # embedding tables of a recommender are model state: they are what a model ceiling measures
    "model": (
        "model",
        "models",
        "weights",
        "parameters",
        "params",
        "checkpoint",
        "embedding tables?",
        "optimizer states?",
        "experts",
        "kv[\\s-]?cache",
    ),
    "data": (
        "data",
        "dataset",
        "datasets",
        "corpus",
        "corpora",
        "index",
        "indexes",
        "indices",
        "vectors",
        "embeddings",
        "graph",
        "logs",
        "features?",
        "feature store",
        "records",
        "documents",
        "collection",
        "archive",
        "catalog(?:ue)?",
        "images",
        "photos",
        "videos",
    ),
    "throughput": (
        "traffic",
        "load",
        "requests",
        "queries",
        "demand",
        "request volume",
        "query volume",
        "throughput",
        "users",
        "workload",
    ),
}
_LIMIT = (
    r"(?:does\s+not|doesn't|do\s+not|don't|cannot|can't|can\s+not|won't|will\s+not|would\s+not|could\s+not|no\s+longer)"
    r"\s+(?:\w+\s+){0,2}?(?:fit|be\s+held|be\s+stored|be\s+served|be\s+handled|keep\s+up|be\s+kept)"
    r"|too\s+(?:large|big|much|many|heavy|high)\s+(?:to\s+fit\s+)?(?:for|in|on|into)"
    r"|outgrows?|outgrew|outgrown|exceeds?|exceeded|surpass\w*|overwhelms?"
    r"|(?:far\s+)?(?:beyond|more\s+than)\s+(?:what\s+)?"
)
_ONE = (
    r"(?:a|any|one|1|a\s+single|any\s+single|single|one\s+single|an?\s+individual|the)\s+"  # "a single" reads as "1"
    r"(?:\w+\s+){0,2}?"
    r"(?:machine|server|node|host|box|gpu|device|accelerator|card|instance|computer|worker|chip)s?(?:'s?)?"
)
_WINDOW = r"[^.;]{0,60}?"


def _subject(words: tuple[str, ...]) -> str:
    return r"\b(?:" + "|".join(words) + r")\b"


_STATED = {
    ceiling: [
        re.compile(_subject(words) + _WINDOW + r"\b(?:" + _LIMIT + r")" + r"[^.;]{0,40}?\b" + _ONE, re.I),
        # "no single GPU can hold the weights"
        re.compile(
            r"\bno\s+(?:single\s+|one\s+)?(?:machine|server|node|host|box|gpu|device|accelerator|card)s?\s+"
            r"(?:can|could|is able to)\s+(?:hold|store|fit|serve|handle|keep up with|take)\b"
            + _WINDOW
            + _subject(words),
            re.I,
        ),
    ]
    for ceiling, words in SUBJECTS.items()
}
_NEGATED = re.compile(r"\b(?:never|not|no)\s+(?:\w+\s+){0,3}$", re.I)  # "we do not expect traffic to exceed ..."


def stated_ceiling(sentence: str) -> str | None:
    """The ceiling a (normalized) sentence states in words, or None."""
    for ceiling, patterns in _STATED.items():
        for pattern in patterns:
            match = pattern.search(sentence)
            if match and not _NEGATED.search(sentence[: match.start()]):
                return ceiling
    return None
