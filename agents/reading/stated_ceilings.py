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
        "llm",
        "ranker",
        "classifier",
        "encoder",
        "weights",
        "parameters",
        "params",
        "checkpoint",
        "embedding tables?",
        "optimizer states?",
        "experts",
        "kv[\\s-]?cache",
        "layers",
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
    r"(?:does\s+not|doesn't|do\s+not|don't|cannot|can't|can\s+not|won't|will\s+not|would\s+not|could\s+not|no\s+longer"
    r"|(?:would\s+|could\s+|will\s+|can\s+)?(?:hardly|scarcely|never))"
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
# The design's own distribution, said in words: what it shards, splits or spreads over many machines is the
# ceiling its engineers met ("the index is sharded across 40 nodes", "a router spreads requests over the
# replicas", "layers are split across 8 GPUs"). Replicating a model spreads load, not weights.
_SPREAD = {
    "data": r"shard\w*|partition\w*|distribut\w*|spread\w*|split\w*|stored|scattered",
    "model": r"shard\w*|partition\w*|split\w*|spread\w*|distribut\w*",
    "throughput": r"distribut\w*|spread\w*|load[\s-]?balanc\w*|balanc\w*|routed|rout\w*|fanned out|dispatch\w*",
}
_MANY = (
    r"(?:multiple|many|several|numerous|hundreds of|thousands of|dozens of|\d[\d,]*|[a-z]+ (?:hundred|thousand)"
    r"|a (?:fleet|cluster|pool|set|farm|number) of|the|all)\s+(?:[\w-]+\s+){0,3}?"
)
_MACHINES = (  # "16 H100s" too
    r"(?:machines|nodes|servers|replicas|instances|gpus|devices|workers|hosts|accelerators|shards|pods|ranks"
    r"|[a-z]+\d+[a-z]*)\b"
)
_SPREAD_PATTERNS = {
    ceiling: [
        re.compile(  # "the index is sharded across 40 nodes"
            _subject(SUBJECTS[ceiling])
            + r"[^.;]{0,40}?\b(?:"
            + verbs
            + r")\s+(?:across|over|among|between)\s+"
            + _MANY
            + _MACHINES,
            re.I,
        ),
        re.compile(  # "we shard the index across 40 nodes", "a router spreads incoming requests over the replicas"
            r"\b(?:"
            + verbs
            + r")\s+(?:the\s+|its\s+|our\s+|their\s+|incoming\s+|each\s+)?(?:[\w-]+\s+){0,2}?"
            + _subject(SUBJECTS[ceiling])
            + r"\s+(?:\w+\s+){0,3}?(?:across|over|among|between|to)\s+"
            + _MANY
            + _MACHINES,
            re.I,
        ),
    ]
    for ceiling, verbs in _SPREAD.items()
}
_SPREAD_PATTERNS["throughput"].append(  # "the model is replicated across 12 servers": copies that share the load
    re.compile(
        _subject(SUBJECTS["model"]) + r"[^.;]{0,40}?\breplicat\w*\s+(?:across|over|among|on)\s+" + _MANY + _MACHINES,
        re.I,
    )
)
# "the peak traffic ramped up several times, making the backend a significant bottleneck": load said to have
# outgrown what serves it, with no machine named
_STATED["throughput"].append(
    re.compile(
        _subject(SUBJECTS["throughput"])
        + r"[^.;]{0,80}?\b(?:mak\w*|made|became|becom\w*|turn\w*|is|was|were)\s+(?:\w+\s+){0,4}?(?:a\s+|the\s+)?"
        r"(?:\w+\s+)?bottleneck\b",
        re.I,
    )
)
# "dispatches them to the context and generation servers": the subject named earlier in the sentence
for ceiling, verbs in _SPREAD.items():
    _SPREAD_PATTERNS[ceiling].append(
        re.compile(
            _subject(SUBJECTS[ceiling])
            + r"[^.;]{0,60}?\b(?:"
            + verbs
            + r")\s+(?:them|it)\s+(?:across|over|among|between|to)\s+"
            + _MANY.replace("{0,3}", "{0,4}")
            + _MACHINES,
            re.I,
        )
    )
# Parallelism named as a strategy, and a store said to be distributed, are the design's own spreading too: what is
# split says which ceiling its engineers met ("tensor parallelism", "FSDP", "a distributed on-disk index", "each
# task processes a shard of the data"). Splitting batches over replicas (data parallelism) spreads compute.
_STRATEGIES = {
    "model": re.compile(
        r"\b(?:tensor|pipeline|expert|model|layer)[\s-]parallel\w*|\bfully[\s-]sharded\b|\bfsdp\b"
        r"|\bzero[\s-]?(?:stage[\s-]?)?3\b|\b(?:weights|parameters|layers|experts|embedding tables)\s+(?:are\s+)?"
        r"(?:sharded|partitioned|split)\b",
        re.I,
    ),
    "data": re.compile(
        r"\b(?:distributed|sharded|partitioned)\s+(?:[\w-]+\s+){0,2}?(?:index|indexes|indices|database|datasets?"
        r"|storage|file\s?system|vector store|tables?)\b"
        r"|\b(?:a|each|one|its)\s+(?:different\s+)?(?:non[\s-]overlapping\s+)?shard\s+of\s+(?:the\s+)?(?:\w+\s+)?(?:data|dataset|input|corpus|index|files)\b"
        r"|\bmassively[\s-]parallel[\s-]processing\b|\bmpp\b|\bshared[\s-]nothing\b",  # a database spread by its data
        re.I,
    ),
    "throughput": re.compile(
        r"\bdata[\s-]parallel\w*"
        # work said to scale over machines, none named as what outgrew one: "scale across multi-node environments"
        r"|\bscal\w*\s+(?:out\s+)?(?:across|over|to|on)\s+(?:multi[\s-]node|multiple\s+(?:nodes|machines|servers|hosts)"
        r"|many\s+(?:nodes|machines|servers)|(?:a|the|large)\s+clusters?\b|(?:hundreds\s+of|thousands\s+of|\d[\d,]*)\s+"
        r"(?:nodes|machines|servers|gpus))",
        re.I,
    ),
}
# Spreading that is not the design's: one it might have, or one it had or was given and leaves ("the previous team
# specified a model-parallel cluster").
_HYPOTHETICAL = re.compile(
    r"\b(?:could|might|would|if|later|someday|eventually|future|previous(?:ly)?|former(?:ly)?|originally|used to"
    r"|instead of|rather than)\b",
    re.I,
)
_NEGATED = re.compile(r"\b(?:never|not|no)\s+(?:\w+\s+){0,3}$", re.I)  # "we do not expect traffic to exceed ..."


def stated_ceiling(sentence: str) -> str | None:
    """The ceiling a (normalized) sentence states in words, or None: outgrowing one machine first,
    then the design's own spreading over many (in an order: weights split over GPUs are the model's)."""
    strategies = {ceiling: [pattern] for ceiling, pattern in _STRATEGIES.items()}
    for table in (_STATED, _SPREAD_PATTERNS, strategies):
        for ceiling in ("model", "data", "throughput"):
            for pattern in table[ceiling]:
                match = pattern.search(sentence)
                if match and not _NEGATED.search(sentence[: match.start()]):
                    if table is not _STATED and _HYPOTHETICAL.search(sentence[: match.end()]):
                        continue
                    return ceiling
    return None
