"""The vocabulary the facts agent reads with: cue words per field, flag phrases, instructions.

Kept apart from the parsing code so adding a synonym is a one-line change here. Patterns run
on lower-cased text whose number words are already digits (see text_numbers.normalize).
"""

from __future__ import annotations

import re

from ceiling.agents import quantities
from ceiling.agents.quantities import PARTY_NOUNS, Cues
from ceiling.agents.reading.text_numbers import fold_confusables

_I = re.I


def _rx(*patterns: str) -> list[re.Pattern]:
    return [re.compile(p, _I) for p in patterns]


# ---- numbers: which field does a number measure? ---------------------------------------
# Each field's cues come from its row in agents/quantities.py: (cues searched after the number, cues searched
# before it[, strong before cues]). The cue nearest to the number wins; "after" distances count half, because a
# noun right after a number ("6 lookups", "80 GB GPUs") names it more surely than a word before it.
OWNERS = re.compile(rf"\b({PARTY_NOUNS}|clients?|silos?|participants?|collaborators?|data owners?)\b", _I)

# Numbers of a kind that measure nothing the design needs ("64 GB of RAM", "2 GB/s to S3"), ranked among the fields.
_NOT_A_FIELD: dict[str, Cues] = {
    "bytes": Cues(
        "bytes",
        3,
        after=(
            r"\b(ram|of ram|host memory|cache|checkpoints?|per (token|request|record|row|example|image|ticket|user|item"
            r"|event|message|document|page|query))\b",
        ),
        before=(r"\b(checkpoints?|ram|cache|memories|memory of)\b[^.]{0,20}$",),
    ),
    # a device's own memory bandwidth ("2.4 TB/s of HBM bandwidth") is no link between machines
    "bandwidth": Cues(
        "bandwidth",
        0,
        after=(
            r"\b(to|from) (disk|storage|the checkpoint store|s3|object storage)\b",
            r"^\s*(\w+\s)?(of\s)?(hbm\w*\s|gpu\s|device\s)?memory bandwidth\b",
        ),
        before=(
            r"\b(checkpoint\w*|storage|disk|ssd|nvme|s3|object store|writes?|reads? from)\b[^.]{0,40}$",
            r"\b(hbm\w*|memory bandwidth)\b[^.]{0,20}$",
        ),
    ),
}


def _table(reads: str) -> dict[str, tuple[list[re.Pattern], ...]]:
    """The cue table of one kind of number, in rank order: field -> (after, before[, strong]) compiled patterns."""
    rows = quantities.cue_rows(reads)
    if reads in _NOT_A_FIELD:
        rows = sorted([*rows, ("ignore", _NOT_A_FIELD[reads])], key=lambda pair: pair[1].rank)
    return {
        name: (_rx(*c.after), _rx(*c.before), *([_rx(*c.strong)] if c.strong else []))
        for name, c in rows
        if c.after or c.before
    }


COUNT_CUES = _table("count")
BYTES_CUES = _table("bytes")
BANDWIDTH_CUES = _table("bandwidth")
PERCENT_CUES = _table("percent")
_TIME_CUES = _table("time")

# Plausible ranges per field (ms for a time): a number outside the range cannot be that field.
_COUNT_RANGE = {name: c.readable for name, c in quantities.cue_rows("count") if c.readable}
_TIME_RANGE_MS = {name: c.readable for name, c in quantities.cue_rows("time") if c.readable}
BYTES_RANGE = {name: c.readable for name, c in quantities.cue_rows("bytes") if c.readable}

# "2 PB of archived logs that the service never reads" sizes nothing the design must hold.
# A result the text reports, not a target it sets: "we observed a 1.2 s median", "benchmarks show 85 ms".
MEASURED = re.compile(
    r"\b(?:observed|measured|achieved|achieves|achieving|reached|recorded|saw|see|got|benchmarks?|benchmarked"
    r"|results?|reported|reports|delivers|delivered|attains?|attained|sustained|sustains|load[\s-]?tests?"
    r"|in staging)\b",
    re.I,
)
# A machine named in a benchmark is the benchmark's, not the design's fleet.
BENCHMARKED = re.compile(
    r"\b(?:observed|measured|sustained|sustains|achieves|achieved|benchmark\w*|load[\s-]tests?|in staging"
    r"|in testing)\b",
    re.I,
)
# Machines the text owns but the design does not run on: "a 512-GPU cluster that sits half idle", "spare capacity".
NOT_THE_DESIGNS = re.compile(
    r"\b(?:sits?\s+(?:half\s+|mostly\s+)?idle|idle|spare|unused|not\s+in\s+use|we\s+also\s+(?:own|have)|another\s+team'?s?)\b",
    re.I,
)
TARGET = re.compile(
    r"\b(?:target|budget|slo|sla|goal|must|should|need|needs|required|requirement|within|at most)\b", re.I
)


# "nobody gets a bonus for 5 ms", "no one notices 50 ms": a duration the text says matters to no one sets no budget
MATTERS_TO_NO_ONE = re.compile(r"\b(nobody|no one|no-one|no user|no customer)\b[^.;:]{0,40}$", _I)


def measured_not_target(before: str) -> bool:
    """The clause before a duration reports a result and sets no target. A short label before a colon is the clause's
    topic ("Load test: one box, p99 7 ms")."""
    clause = re.split(r";|\.\s", before)[-1]
    head, colon, tail = clause.rpartition(":")
    clause = clause if colon and len(head.split()) <= 5 else tail if colon else clause
    return MEASURED.search(clause) is not None and TARGET.search(clause) is None


UNUSED = re.compile(
    r"\b(never|not|n't|no longer|rarely)\s+(\w+\s)?(read|reads|used|uses|use|touch\w*|need\w*|quer\w*|access\w*"
    r"|consult\w*)\b"
    r"|\b(nothing|no one|nobody|no part)\b[^.]{0,40}\bever\s+(read|reads|uses?|touch\w*|access\w*)\b|\bcold storage\b",
    _I,
)
NODE_NOUN = re.compile(r"^\s*(\w+\s){0,2}(nodes?|machines?|servers?|hosts?|boxes|instances|vms?)\b", _I)
PER_WORKER = re.compile(
    r"\b(per|each|on (one|1|a single|each)) (gpu|worker|rank|device)('s)?( share)?\b|\bgpu's share\b"
    r"|\bon (the |all )?(\d+|all) (gpus|workers|ranks|devices|accelerators)\b",
    _I,
)
NIGHTLY = re.compile(r"\b(nightly|overnight|every night)\b", _I)

EACH_AN_AGENT = re.compile(
    r"^[^.]{0,80}\b(each|every (one|1)|every)\b( of them)?( is| are)? (an? )?(autonomous |llm |ai |reasoning "
    r"|independent )*agents?\b",
    _I,
)
# "20 analysts, each sends about one question a minute": the load is 20 times the rate
EACH_OF_N = re.compile(r"(?<![\d.])(\d[\d,]*)\s+[a-z][\w-]*(\s+[a-z][\w-]*)?,?\s+each\s+(\w+\s+){1,2}$", _I)
# "a load test on one c7i.8xlarge did ~5.5k scores/s", "one 8x H100 box sustains 60-80 turns/s", "each server handles
# 2,000 QPS": what one machine takes, its capacity; not the load the design is given. ("c7i.8xlarge": a dot inside a
# word ends no sentence.)
# a machine's noun, or an accelerator's name ("one L4 sustains 1.5k frames/s", "one A10G does 900 images/s")
_ONE_MACHINE = rf"({quantities.WORKER_NOUNS}|container|[a-z]{{1,3}}\d{{1,4}}[a-z]?)"
_TAKES = (
    r"(did|does|sustain(s|ed)?|handle(s|d)?|serve(s|d)?|take(s)?|took|manage(s|d)?|gets?|got|hits?|reach(es|ed)?"
    r"|tops? out at|topped out at|max(es|ed)? out at|can (do|serve|handle|sustain|take))"
)
_CLAUSE_CHAR = r"(?:[^.;]|\.(?=\S))"
MACHINE_RATE_BEFORE = re.compile(
    rf"(\b(load[\s-]?test\w*|stress[\s-]?test\w*|benchmark\w*)\b{_CLAUSE_CHAR}{{0,60}}"
    # the machine is the verb's subject: at most a word or a bracket between them ("card fraud scoring api serves":
    # "card" is no machine)
    rf"|\b(1|a single|single|each|per|a)\s+([\w.-]+\s+){{0,3}}{_ONE_MACHINE}\b(\s*\([^()]{{0,40}}\))?(\s+[\w-]+)?\s+)"
    rf"{_TAKES}\s*(about|around|roughly|~|up to|only)?\s*$",
    _I,
)
# "each host emits ~300 lines/s, and about 3x that (~900 lines/s) during incidents": every rate of the clause after
# "each <item> emits" is one item's; group "item" names what is counted elsewhere ("45,000 hosts")
PER_ITEM_CLAUSE = re.compile(
    r"\b(each|every|per)\s+(?P<item>[a-z][\w-]*)(\s+[\w-]+)?\s+(sends?|emits?|makes?|generates?|produces?|issues?"
    r"|writes?|uploads?|reports?|logs?|streams?|pushes?|publishes?)\b(?=[^;]*$)",
    _I,
)
# "1 frame per second per stream", "2 req/s per user": one item's rate (per machine it is a share of the fleet's)
PER_ITEM_AFTER = re.compile(
    rf"\s*(per|each|a|for every)\s+(?P<item>(?!(second|sec|minute|min|hour|day|week|month|{quantities.WORKER_NOUNS})\b)"
    r"[a-z]+)\b",
    _I,
)
# "..., i.e. roughly 500,000 tokens per second across the fleet": a total, whatever one item sends
TOTAL_BEFORE = re.compile(r"\b(i\.?e\.?|in total|total(ling)?|altogether|combined|overall|so|that is)\b[^;]{0,30}$", _I)
TOTAL_AFTER = re.compile(r"^[^;.]{0,30}\b(across|in total|total|altogether|combined|overall|fleet[\s-]wide)\b", _I)
PER_ITEM_BEFORE = re.compile(
    r"\b(each|every|per)\s+[\w-]+(\s+[\w-]+)?\s+(sends?|emits?|makes?|generates?|produces?|issues?|does|thinks?|posts?)\s*$",
    _I,
)
# "Each answer is about 300 tokens", "generating ~200 tokens per call", "400-token answers": a count of tokens
# that the nearest word before it, or the noun right after it, says is about output is the output length per
# request; about the input ("prompts are 1,500 tokens", "a 3k-token prompt", "6,000 tokens of retrieved context")
# it is the prompt length. Training text ("pretraining uses 20 tokens per parameter") and a corpus ("documents
# average 800 tokens") are neither, and a model's limit ("a context window of 128k tokens") is no length a request
# has.
_TOKENS_NEXT = re.compile(
    r"^\s*-?\s*(?P<kind>new |output |generated |completion |input |prompt )?tokens?\b(?P<rest>[^.;]{0,40})", _I
)
_OUTPUT_WORD = re.compile(
    r"\b(answers?|responses?|repl(y|ies)|completions?|outputs?|generations?|summar(y|ies)|thoughts?"
    r"|generat(es?|ing)|produc(es?|ing)|writ(es?|ing)|emit(s|ting)?)\b",
    _I,
)
_PROMPT_WORD = re.compile(r"\b(prompts?|inputs?|contexts?|quer(y|ies)|questions?|messages?)\b", _I)
_INPUT_WORD = re.compile(
    r"\b(prompts?|inputs?|contexts?|documents?|docs|pages?|chunks?|passages?|histor(y|ies)|corpus|datasets?"
    r"|queries|query|questions?|messages?|pre-?train\w*|train\w*|reads?|reading)\b",
    _I,
)
_NOUN_AFTER_TOKENS = re.compile(r"^\s*(of\s+(\w+\s+)?|(per|each|a)\s+)?(?P<noun>\w+)", _I)
_A_LIMIT_BEFORE = re.compile(
    r"\b(context[\s-](window|length|limit)|window|max(imum)?|up to|supports?|limits?|capped at)\b[^.]{0,25}$", _I
)
# "sequences of 4,096 tokens": a training sequence's length, not a request's
_A_SEQUENCE_BEFORE = re.compile(r"\bsequences?\b(\s+(are|were)\s+\w+)?\s+(of|to|at)\s*(about|around|~|up to)?\s*$", _I)
# "vocabulary size: 131,072 tokens", "a 32k-token vocabulary": the tokens a model knows, no length, no training data
_A_VOCABULARY_BEFORE = re.compile(r"\bvocab(ulary)?([ _]size)?\W{0,4}(of|is|=|:)?\s*(about|~)?\s*$", _I)
_A_VOCABULARY_AFTER = re.compile(r"^\s*(vocab(ular(y|ies))?|tokenizer)\b", _I)


# "3k tokens in, ~250 out": a request's two lengths said as directions, the second with its "tokens" left unsaid.
_DIRECTION = re.compile(r"^\s*(?P<dir>in|out)\b(?!\s+(?:of|to|the|a|an|front|place|total|parallel)\b)", _I)
_TOKENS_IN_BEFORE = re.compile(r"\btokens?\s+(?:in|out)\b[^.;]{0,20}$", _I)


def token_length(before: str, after: str) -> str | None:
    """Which length a count followed by "tokens" is: "output_tokens", "prompt_tokens", "sequence_length" (a
    training sequence's), "limit" (a model's context window or vocabulary, no length at all) or None (training
    tokens, a corpus, or no cue)."""
    tokens = _TOKENS_NEXT.match(after)
    if not tokens:
        elided = _DIRECTION.match(after) if _TOKENS_IN_BEFORE.search(before) else None
        return None if not elided else "prompt_tokens" if elided.group("dir").lower() == "in" else "output_tokens"
    rest = tokens.group("rest")
    if direction := _DIRECTION.match(rest):
        return "prompt_tokens" if direction.group("dir").lower() == "in" else "output_tokens"
    if _A_SEQUENCE_BEFORE.search(before):
        return "sequence_length"
    if any((_A_LIMIT_BEFORE.search(before), _A_VOCABULARY_BEFORE.search(before), _A_VOCABULARY_AFTER.match(rest))):
        return "limit"
    kind = (tokens.group("kind") or "").strip()
    if kind:
        return "prompt_tokens" if kind in ("input", "prompt") else "output_tokens"
    noun = _NOUN_AFTER_TOKENS.match(tokens.group("rest"))
    if noun and tokens.group("rest")[: noun.start("noun")].strip() != "per":  # "tokens per answer" is below
        if _OUTPUT_WORD.fullmatch(noun.group("noun")):
            return "output_tokens"
        if _PROMPT_WORD.fullmatch(noun.group("noun")):
            return "prompt_tokens"
    last_output = max((m.end() for m in _OUTPUT_WORD.finditer(before)), default=-1)
    last_prompt = max((m.end() for m in _PROMPT_WORD.finditer(before)), default=-1)
    last_input = max((m.end() for m in _INPUT_WORD.finditer(before)), default=-1)
    if last_output > last_input:
        return "output_tokens"
    if last_prompt >= 0 and last_prompt == last_input:
        return "prompt_tokens"
    return None


FOUNDATION = re.compile(r"\b(foundation|frontier)[\s-](scale |class )?(model|llm)s?\b|\bfrontier[\s-]scale\b", _I)
NEGATED = re.compile(r"\b(won't|will not|don't|do not|doesn't|does not|never|no|not|without|nor)\s+(\w+\s+){0,2}$", _I)

TOKEN_RATE = re.compile(r"\btokens?\b", _I)
PER_ITEM_NOT_RATE = re.compile(
    r"\b(per|each|every) (request|lookup|call|user|token|node|gpu|step|example|record)\b", _I
)


def _distance(before: str, after: str, cues: tuple, after_window: int, before_window: int) -> float | None:
    """How close the nearest cue of one field sits to the number (smaller is closer).

    `cues` is (after patterns, before patterns[, strong before patterns]): before patterns
    end at the number, so their match length measures the gap; strong ones (an explicit
    "p99", "SLO", "MTBF") count a fifth as far as a generic word like "calls"."""
    after_cues, before_cues, *rest = cues
    strong = rest[0] if rest else []
    best: float | None = None
    for pattern in after_cues:
        # a cue word that starts inside the window counts whole ("three NNSA national security laboratories")
        match = pattern.search(after[: after_window + 16])
        if match and match.start() < after_window:
            best = min(best, match.start() / 2) if best is not None else match.start() / 2
    tail = before[-before_window:]
    for weight, patterns in ((1.0, before_cues), (0.2, strong)):
        for pattern in patterns:
            match = pattern.search(tail)
            if match:
                gap = weight * (len(tail) - match.start())
                best = min(best, gap) if best is not None else gap
    return best


# Counts outside these ranges cannot be that field ("12 LLM agents" is not a parameter count).
_COUNT_RANGE = {
    "model_params": (1e5, 1e15),
    "tokens": (1e5, 1e17),
    "output_tokens": (1, 1e6),
    "prompt_tokens": (1, 1e7),
    "fanout": (2, 1e4),
    "agents": (2, 1e8),
    "workers": (2, 1e7),
    "parties": (2, 1e10),
    "gpus_per_node": (1, 64),
    "concurrent_users": (2, 1e10),
}


def count_in_range(field: str, value: float) -> bool:
    low, high = _COUNT_RANGE.get(field, (float("-inf"), float("inf")))
    return low <= value <= high


# A count names what it counts in its own phrase: a noun after a clause break counts nothing of it ("10000 files, on
# a machine with 100 cores"), and "three types of worker nodes" counts types.
_CLAUSE_BREAK = re.compile(
    r"(?:[,;:]|\s(?:and|or|on|with|in|for|to|from|by|while|which|that|where|when)\s|\sat\s(?!once|the same time))"
    r"(?!\s*(?:and\s+|or\s+)?\d)"  # "7B and 32B models", "2 to 4 GPUs": a list of numbers shares its noun
    r"|^\s*(?:types?|kinds?|class(?:es)?|sorts?|categories|flavou?rs?|varieties|tiers?|levels?|groups?)\s+of\b",
    _I,
)


def own_phrase(after: str) -> str:
    """The words after a count up to the end of its own phrase: the only ones that may name it."""
    cut = _CLAUSE_BREAK.search(after)
    return after[: cut.start()] if cut else after


def nearest_field(
    before: str,
    after: str,
    table: dict,
    default: str | None,
    after_window: int = 32,
    before_window: int = 60,
    value: float | None = None,
) -> str | None:
    """The field whose cue sits closest to the number; `default` when no cue is near."""
    scored = []
    for order, (name, cues) in enumerate(table.items()):
        low, high = _COUNT_RANGE.get(name, (float("-inf"), float("inf")))
        if value is not None and not low <= value <= high:
            continue
        distance = _distance(before, after, cues, after_window, before_window)
        if distance is not None:
            scored.append((distance, order, name))
    if not scored:
        return default
    name = min(scored)[2]
    return None if name == "ignore" else name


def classify_time(value_ms: float, before: str, after: str) -> str | None:
    """A duration: the nearest cue whose field admits this magnitude."""
    scored = []
    for order, (name, cues) in enumerate(_TIME_CUES.items()):
        low, high = _TIME_RANGE_MS[name]
        if not low <= value_ms <= high:
            continue
        distance = _distance(before, after, cues, 40, 70)
        if distance is not None:
            scored.append((distance, order, name))
    return min(scored)[2] if scored else None


def field_ignoring_range(kind: str, value: float, before: str, after: str) -> str | None:
    """The field a number's cue words point to, before any range check: what the writer meant."""
    if kind == "count":
        return nearest_field(before, after, COUNT_CUES, default=None)
    if kind == "time":
        scored = [
            (d, order, name)
            for order, (name, c) in enumerate(_TIME_CUES.items())
            if (d := _distance(before, after, c, 40, 70)) is not None
        ]
        return min(scored)[2] if scored else None
    return None


# ---- numbers no real system has ------------------------------------------------------------
# Beyond a row's limit (canonical units) a value is a typo or a test of the reviewer, not a design: more requests
# per second than all web traffic, more bytes than all storage ever built, more parameters than any model, a
# duration longer than a century.
ABSURD_ABOVE = {q.name: q.absurd for q in quantities.QUANTITIES if q.absurd is not None}
ABSURD_MS = quantities.ABSURD_MS
# A reading whose limit is not its field's (a model's size in bytes, devices in one node).
_ABSURD_READ = {
    (name, kind): c.absurd
    for kind in ("count", "bytes", "percent")
    for name, c in quantities.cue_rows(kind)
    if c.absurd
}


def absurd(field: str, kind: str, value: float) -> bool:
    if kind == "time":
        return value > ABSURD_MS
    return value > _ABSURD_READ.get((field, kind), ABSURD_ABOVE.get(field, float("inf")))


# ---- two values for one quantity ------------------------------------------------------------
# Words that give a second value its own role ("peak" vs "average", "today" vs "target"),
# so two numbers for one field are not a contradiction.
QUALIFIED = re.compile(
    r"\b(peak|peaks|average|avg|mean|median|typical(ly)?|normal(ly)?|usual(ly)?|baseline|burst\w*|spikes?|off[\s-]peak"
    r"|max(imum)?|min(imum)?|up to|at most|at least"
    r"|today|currently|current|now|measured|observed|actual|last (year|month|week|quarter)|next (year|month|quarter)"
    r"|future|will|plan\w*|expect\w*|grow\w*|target\w*|goal|aim\w*"
    r"|was|were|used to|previous(ly)?|old|new|instead of|rather than|from|reduc\w*|increas\w*|cut|drop\w*|rises?|falls?"
    r"|draft|student|teacher|distill\w*|smaller|larger|bigger"
    r"|per (user|replica|node|gpu|shard|region|tenant|partition|stage|model)|internal|cross[\s-]region|between "
    r"regions)\b",
    _I,
)

PER_ITEM_WORD = re.compile(r"\b(each|every|per|apiece)\b", _I)

# How the review picks between two unqualified values of one quantity (each row's conflict policy): the reading
# that makes the design harder to meet, so a contradiction can never make a design look feasible.
CONFLICTS: dict[str, tuple[str, str]] = {
    q.name: (q.conflict.label, q.conflict.pick) for q in quantities.QUANTITIES if q.conflict
}
CONFLICT_WORDS = {
    (q.name, q.conflict.pick): q.conflict.word for q in quantities.QUANTITIES if q.conflict and q.conflict.word
}


# ---- numbers without a unit ----------------------------------------------------------------
_NO_NOUN_AFTER = re.compile(
    r"^\s*($|[.,;:!?)\]]|(and|or|but|with|each|apiece|per|for|at|in|on|to|while|which|so|if|when|then|plus|max|tops|or "
    r"so)\b)",
    _I,
)
_UNIT_HINT = {name: c.hint for kind in ("time", "bytes") for name, c in quantities.cue_rows(kind) if c.hint}
_AFTER_NOUN = re.compile(r"^\s*(each|apiece|per \w+)\b", _I)


def unitless_field(value: float, before: str, after: str) -> tuple[str, str, float] | None:
    """(field, a unit to suggest, cue distance) when a bare number sits where a duration or a size belongs
    ("a p99 latency of 20", "lookups of 0.4 each", "a dataset of 40"); None otherwise."""
    if (
        not _NO_NOUN_AFTER.match(after)
        or (value == int(value) and 1900 <= value <= 2100)
        or re.search(r"\b(v|version|gen|generation|top|rank|level|tier|stage|step|phase|x|by)\s*$", before, _I)
    ):
        return None
    # No noun follows the number, so only the words before it (or a trailing "each") can name it.
    tail = after if _AFTER_NOUN.match(after) else ""
    best = None
    for kind, table in (("time", _TIME_CUES), ("bytes", BYTES_CUES)):
        for name, c in table.items():
            if name == "ignore":
                continue
            distance = _distance(before, tail, c, 16, 40)
            if distance is not None and distance <= 12 and (best is None or distance < best[0]):
                best = (distance, name, _UNIT_HINT.get(name, " ms" if kind == "time" else " GB"))
    return (best[1], best[2], best[0]) if best else None


_RATE_NOUN = re.compile(
    r"^\s*(\w+[\s-]){0,2}?(requests?|queries|calls|transactions|events|messages|predictions|inferences|lookups)\b(?![^.]{0,40}\b(per|each|every|a|an)\s+(second|sec|minute|min|hour|day|week|month|request|user))",
    _I,
)


def rate_without_time(after: str) -> bool:
    """ "serves 30000 requests" with no "per second": a rate whose time unit is missing."""
    return bool(_RATE_NOUN.match(after))


def percentile(context: str) -> str | None:
    match = re.search(r"\bp(\d{2,3}(?:\.\d)?)\b", context, _I)
    if match:
        digits = match.group(1).replace(".", "")
        return "p" + digits if "p" + digits in ("p50", "p90", "p95", "p99", "p999") else "p" + digits
    match = re.search(r"\b(\d{2}(?:\.\d)?)(?:st|nd|rd|th)?[\s-]percentile", context, _I)
    if match:
        return "p" + match.group(1).replace(".", "")
    if re.search(r"\bmedian\b", context, _I):
        return "p50"
    if re.search(r"\b(average|mean)\b", context, _I):
        return "mean"
    if re.search(r"\b(tail|worst[\s-]case|hard)\b", context, _I):
        return "p99"
    return None


# ---- flags -------------------------------------------------------------------------------
_DATA_WORD = (
    r"(data|records?|patients?|raw|pii|personal|logs?|images?|transactions?|information|datasets?|scans?|samples"
    r"|customer|keystrokes|text|messages|emails|documents|photos|health|medical|financial|recordings?|audio|voice"
    r"|videos?|clips|typing|locations?)"
)
# "ZeRO-3", "ZeRO stage 2", a DeepSpeed config's "zero_optimization": {"stage": 1}
_ZERO = r"\bzero[ -]?(stage[ -]?)?{stage}\b|\bzero_optimization\W{{0,12}}stage\W{{0,4}}{stage}\b"
FLAG_PATTERNS: list[tuple[str, object, re.Pattern]] = [
    (
        "share_data",
        False,
        re.compile(
            r"\b(no|never|cannot|can ?not|can't|must not|mustn't|may not|not (be )?(allowed|permitted|able)( to)?"
            r"|without|forbid\w*|prohibit\w*|won't|will not|none of (which|whom|them) (may|can"
            r"|will))\b[^.]{0,50}\b(shar|pool|centrali[sz]|leav|export|mov|transfer|upload|send|hand\w* over|copy"
            r"|combin|disclos|reveal|trust)\w*[^.]{0,40}"
            + _DATA_WORD
            + r"|"
            + _DATA_WORD
            + r"[^.]{0,30}\b(must|may|can|will)\s+(never|not)\s+(leave|be shared|be pooled|be moved|be centrali[sz]ed"
            r"|cross)"
            + r"|"
            + _DATA_WORD
            # "raw recordings stay on each handset", "scans remain in each hospital"; not "logs stay in S3"
            + r"(\s+[a-z]+)?\s+(stays?|remains?|never leaves?)\s+(on|in|at|within|inside)\s+"
            r"(each|every|its|their|our|your|the\s+(owner|user|patient|customer|member|device|phone|handset|hospital|clinic|site|client|bank|branch"
            r"|premises|edge|country|region)\w*|on[\s-]premises|premises|devices?|phones?|handsets?)\b"
            # "keystrokes never leave the device": the data stays where its owner is
            + r"|"
            + _DATA_WORD
            + r"(\s+[a-z]+)?\s+(never|do not|don't|does not|doesn't|must not|may not|cannot|can't)\s+leaves?\s+"
            r"(the|their|its|each|a|your|our)\s+(device|phone|handset|hospital|clinic|site|premises|client|laptop|car"
            r"|bank|branch|country|region|building|user)s?\b"
            + r"|\bfederated\b|\bdata residency\b|\b(hipaa|gdpr)\b[^.]{0,40}\b(forbid|prohibit|prevent|bar)",
            _I,
        ),
    ),
    (
        "spof_ok",
        False,
        re.compile(
            r"\bno single points? of failure\b|single points? of failure (is|are) (not acceptable|unacceptable"
            r"|forbidden|not allowed|not an option)"
            r"|\b(cannot|can't|must not|may not) (have|rely on|depend on) (a|any) (single|central)\b|\bmust survive\b"
            r"|\bsurvive (the )?(loss|failure|outage) of\b"
            r"|\bno (central|single) (coordinator|server|authority|point|party|operator|aggregator)\b|\b(never|cannot"
            r"|can't|must not) go down\b"
            r"|\bfive nines\b|\b99\.99+\s?%|\bnobody (trusts|is trusted)\b|\b(keep|continue)\s+(serving|running|working"
            r"|answering)\s+(if|when|even if|even when)\b|\b(must not|cannot|can't|should not|may not|not)\s+(hinge"
            r"|depend|rely)\s+on\s+(a|one|any)\b|\bno (one|1) (party|site|member|organi[sz]ation) (is trusted|may "
            r"coordinate|controls)"
            # machines run by whoever joins, with nobody over them: a swarm, not a cluster
            r"|\bpeer[\s-]to[\s-]peer\b(?![\s-]+(?:transfers?|access|cop(?:y|ies)|memory|dma|communication|links?))"
            r"|\bbittorrent[\s-]style\b|\b(public|decentrali[sz]ed|volunteer) swarms?\b"
            r"|\bcommunity[\s-](run|operated) (system|network|swarm|cluster|service|infrastructure|compute)\b"
            r"|\bvolunteer(ed)?\s+(computing|gpus?|nodes?|machines?|hardware)\b"
            r"|\bwithout (a|any) (central|coordinating) (server|coordinator|operator|authority)\b",
            _I,
        ),
    ),
    (
        "multi_region",
        True,
        re.compile(
            r"\bmulti[\s-]?region\b|\bacross (\d+ |several |multiple |many |all |two |three )?(regions|data ?cent(er"
            r"|re)s|continents|countries|availability zones|clouds|geographies)\b"
            r"|\bgeo[\s-]?(distributed|replicated)\b|\bglobally distributed\b|\bin (\d+|several|multiple) regions\b"
            r"|\bcross[\s-]region\b|\bworldwide\b",
            _I,
        ),
    ),
    (
        "online_updates",
        True,
        re.compile(
            r"\bonline (learning|training|updates?)\b|\b(trained|train|learns?|updated?|updates?) online\b"
            r"|\bonline[\s-](sgd|gradient descent)\b"
            r"|\b(every|each)\b[^.]{0,80}\b(triggers?|causes?|drives?)\b[^.]{0,30}\bupdates?\b|\b(updates?|updating"
            r"|adapts?|adapting|learns?|learning|retrains?|fine[\s-]?tunes?)\b[^.]{0,30}\b(on|from|with|after|for) "
            r"(every|each) (single )?(new )?(example|event|click|interaction|transaction|sample|label|feedback"
            r"|observation|request|rating|impression)s?\b"
            r"|\bcontinual(ly)? (learning|learns?|updat\w*)\b|\bincremental(ly)? (update|train|learn)\w*"
            r"|\bper[\s-](example|event|sample) (update|gradient)s?\b|\bbandits?\b"
            r"|\bweights (change|move) with every\b",
            _I,
        ),
    ),
    (
        "recommender",
        True,
        re.compile(
            r"\b(dlrm|two[\s-]tower|recommend(er|ation) (model|system|ranker)s?|(ranking|ranker|ctr|click[\s-]through"
            r"|retrieval) models?|rankers?|embedding tables?)\b",
            _I,
        ),
    ),
    (
        "small_model",
        True,
        re.compile(
            r"\bgradient[\s-]boost\w*|\bgbdt\b|\bgbrt\b|\bgbm\b|\bisolation forest\b|\b(small|tiny) (mlp|cnn|net"
            r"|network)\b|\bxgboost\b|\blightgbm\b|\bcatboost\b|\brandom forest\b|\bdecision trees?\b|\btree ensemble\b"
            r"|\blogistic regression\b|\blinear (model|regression|classifier)\b"
            r"|\bfits? (comfortably |easily )?(on|in|into) (a|one|1|a single) (laptop|machine|node|gpu|server|box"
            r"|cpu)\b|\b(small|tiny|lightweight) model\b|\bscikit[\s-]learn\b|\bsklearn\b",
            _I,
        ),
    ),
    # how a training run keeps its activations (Korthikanti et al. 2022); the first pattern that matches is read
    (
        "recomputation",
        "none",
        re.compile(
            r"\b(no|without|disabled?|turned off|not using)\s+(any\s+)?(activation |gradient )?(recomputation|recompute"
            r"|checkpointing)\b|\b(activation|gradient) (recomputation|checkpointing) (is |was )?(off|disabled)\b",
            _I,
        ),
    ),
    (
        "recomputation",
        "selective",
        re.compile(r"\bselective (activation )?(recomputation|recompute|checkpointing)\b", _I),
    ),
    (
        "recomputation",
        "full",
        re.compile(
            r"\b(full |activation |gradient )(recomputation|recompute|checkpointing)\b|\brecomput\w+ (the |all )?"
            r"activations\b",
            _I,
        ),
    ),
    ("zero_stage", "3", re.compile(_ZERO.format(stage=3) + r"|\bfsdp\b|\bfully[ -_]?sharded\b|\bfull_shard\b", _I)),
    ("zero_stage", "2", re.compile(_ZERO.format(stage=2), _I)),
    ("zero_stage", "1", re.compile(_ZERO.format(stage=1) + r"|\bdistributed optimi[sz]er\b", _I)),
    (
        "cost_focus",
        True,
        re.compile(
            r"\b(minimi[sz]e|reduce|lower|cut|keep down) (the |our )?(cost|spend|bill|price)|\bcheap(est|er|ly)?\b"
            r"|\bcost[\s-](sensitive|efficient|effective|first|conscious)\b|\b(tight|limited|fixed|small) budget\b"
            r"|\bper dollar\b|\b(lowest|minimum|cost) (cost|per)\b|\bbudget[\s-](constrained|bound)\b|\bcost is (what"
            r"|the|our)\b|\bon a shoestring\b"
            # "what finance is yelling about is the bill", "what worries us most is the spend"
            r"|\bwhat\b[^.;]{0,50}\b(is|are) (really |actually )?(the |our )?([\w-]+ )?(bill|spend|cost|costs|price)\b",
            _I,
        ),
    ),
    (
        "reliability_focus",
        True,
        re.compile(
            r"\bfive nines\b|\b99\.9+\s?%|\bnever (lose|drop|miss|double)\b|\bmust not (lose|drop)\b"
            r"|\bexactly[\s-]once\b|\b(no|zero) downtime\b|\balways (up|available|on)\b"
            r"|\bledger\b|\bsafety[\s-]critical\b|\blife[\s-]critical\b|\b(high|strict) availability\b|\bavailability "
            r"(target|slo|of|is)\b",
            _I,
        ),
    ),
]

AGENT_WORD = re.compile(r"\bagents?\b", _I)
_AGENT_ROLE = re.compile(r"\b([a-z][\w-]{2,})\s+agents?\b", _I)
_NOT_A_ROLE = {
    "the",
    "one",
    "each",
    "every",
    "all",
    "many",
    "other",
    "multiple",
    "several",
    "more",
    "an",
    "ai",
    "llm",
    "these",
    "those",
    "user",
    "software",
    "reviewer",
    "our",
    "their",
    "its",
    "two",
    "three",
    "four",
    "five",
    "of",
    "and",
    "or",
    "with",
    "specialist",
    "specialized",
    "cooperating",
    "autonomous",
}


# "agents holding different roles, including CEO, CTO, Programmer, Reviewer and Tester": one agent per role listed
_ROLE_LIST = re.compile(
    r"\bagents?\b[^.]{0,80}?\broles?\b[^.:;]{0,20}?(?:including|such as|like|namely|:)\s+(?P<roles>[^.;]+)", _I
)
_LIST_SEPARATOR = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", _I)
_NOT_AN_ITEM = {"etc", "others", "more", "so on"}


def agent_roles(text: str) -> int:
    """Distinct agent roles when no count is given: named ("a planner agent, a coder agent") or listed after the
    word roles ("roles, including CEO, CTO and Tester"; each item a few words, not a clause)."""
    named = {m.group(1).lower() for m in _AGENT_ROLE.finditer(text)} - _NOT_A_ROLE
    listed = 0
    for match in _ROLE_LIST.finditer(text):
        items = [item.strip(" *_") for item in _LIST_SEPARATOR.split(match.group("roles"))]
        items = [item for item in items if item and item.lower() not in _NOT_AN_ITEM]
        if all(len(item.split()) <= 4 for item in items):
            listed = max(listed, len(items))
    roles = max(len(named), listed)
    return roles if roles >= 2 else 0


_WORKLOAD_PATTERNS = {
    # "retrain nightly" does not match \btrain: a serving system that retrains stays serving.
    "training": [
        (re.compile(r"\b(train|trains|trained|training|pre[\s-]?train\w*|fine[\s-]?tun\w*)\b", _I), 2.0),
        (re.compile(r"\b(model|weight|gradient) updates\b", _I), 2.0),
        (
            re.compile(
                r"\b(gradients?|epochs?|all[\s-]?reduc\w*|optimizer|data[\s-]parallel\w*|fsdp|zero[\s-]?\d"
                r"|checkpoint\w*|(every|per|each) (training )?step)\b",
                _I,
            ),
            0.5,
        ),
        (re.compile(r"\bre[\s-]?train(s|ed|ing)?\b", _I), 1.0),
        (
            re.compile(
                r"\bfor (pre)?training\b|\b(pre)?training[\s-](data|corpus|sets?|shards?|team|examples|pipeline|tokens"
                r"|transcripts|cluster)\b",
                _I,
            ),
            -2.0,
        ),
    ],
    "serving": [
        (
            re.compile(
                r"\b(serv(e|es|ing)|inference|scor(e|es|ing)|predict(s|or|ion|ions|ing)?|respond\w*|assistant|chat\w*|api|endpoint|recommend\w*|query|queries|queried|requests?|req/s|qps|rps|users?|authori[sz]\w*|rank(s|ing)?|search|service|traffic)\b",
                _I,
            ),
            1.0,
        ),
        (
            re.compile(
                r"\banswer(s|ing)? (the |a |each |every )?"
                r"(users?|questions?|quer(y|ies)|customers?|requests?|calls?)\b",
                _I,
            ),
            1.0,
        ),
    ],
    "data_pipeline": [
        (
            re.compile(
                r"\b(dedup\w*|de[\s-]?duplicat\w*|duplicates?|tokeni[sz]\w*|etl|pre[\s-]?process\w*|cleans?|cleaning"
                r"|pipeline|crawl\w*|ingest\w*|transform\w*|backfill\w*|aggregat\w*|joins?|filter\w*|embed(s|ding)? "
                r"(all|every|the (whole |entire )?corpus)|index(es|ing) (the|all|every))\b",
                _I,
            ),
            1.0,
        ),
        (
            re.compile(
                r"\b(once a (day|week|month)|nightly|weekly|every (night|day|week|sunday|monday|tuesday|wednesday"
                r"|thursday|friday|saturday)|in batch(es)?|batch (job|run)|offline job|runs? over|job)\b",
                _I,
            ),
            0.5,
        ),
    ],
}


TRAINING_WORD = re.compile(r"\b(train|trains|trained|training|learner|learns?|learning)\b", _I)


def affirmed(pattern: re.Pattern, text: str) -> int:
    """Matches not negated by a word just before them ("we won't train anything")."""
    return sum(1 for m in pattern.finditer(text) if not NEGATED.search(text[max(0, m.start() - 30) : m.start()]))


def workload(
    text: str, sentences: list[str], evidence: dict[str, float] | None = None
) -> tuple[str | None, str | None]:
    """training | serving | data_pipeline | agents, by weighted cue counts (capped per pattern)
    plus `evidence`: points for numbers already read (a request rate is strong evidence of serving)."""
    scores = {
        name: sum(weight * min(affirmed(p, text), 2) for p, weight in patterns)
        for name, patterns in _WORKLOAD_PATTERNS.items()
    }
    scores["agents"] = 0.0
    if agent_roles(text) >= 2 or re.search(r"\b([3-9]|\d{2,})\s+(\w+\s){0,2}agents\b|\bmulti[\s-]?agent\b", text, _I):
        scores["agents"] = 2.5 + len(AGENT_WORD.findall(text)) * 0.5
    for name, points in (evidence or {}).items():
        scores[name] = scores.get(name, 0.0) + points
    best = max(scores, key=lambda k: (scores[k], k == "training"))
    if scores[best] <= 0:
        return None, None
    patterns = [AGENT_WORD] if best == "agents" else [p for p, weight in _WORKLOAD_PATTERNS[best] if weight > 0]
    return best, first_sentence_matching(patterns, sentences)


def first_sentence_matching(patterns: list[re.Pattern], sentences: list[str]) -> str | None:
    """The first original sentence whose number-normalized text matches any pattern."""
    from ceiling.agents.reading.text_numbers import normalize

    for sentence in sentences:
        text = normalize(sentence)[0]
        if any(p.search(text) for p in patterns):
            return sentence
    return None


# Feed and batch words count twice in `arrival`: a named stream or schedule outweighs generic request words.
_ARRIVAL = {
    "feed": re.compile(
        # "streaming execution", "streams the dataset through": a way of running a bounded job, not a feed;
        # "streams data between CPU and GPU stages", "stages stream tasks through": data moving inside it
        r"\b(stream\w*(?!\s+(?:execution|exec\w*|fashion|manner|engine|through|over"
        r"|the (?:dataset|data|files|corpus))\b"
        r"|(?:\s+(?:\*\*)?\w+(?:\*\*)?){1,2}\s+(?:between|through|across)\b)"
        r"|kafka|kinesis|pub/?sub|events? (stream|feed|bus)|feeds?|firehose|telemetry|sensors?|clickstream"
        r"|continuous(ly)?|unbounded|ticks?|log lines)\b",
        _I,
    ),
    "bounded": re.compile(
        # a batch's size ("single-batch inference", "the batch size", "mini-batches") is no batch job
        r"\b(nightly|(?<!single[\s-])(?<!mini[\s-])(?<!micro[\s-])batch(es)?(?![\s-]size)|daily job|weekly|offline"
        r"|backfill|one[\s-]off|once a (day|week|month)|corpus|dataset|simulations?|simulated"
        r"|crawl|archive|training run|epochs?|overnight|every night)\b",
        _I,
    ),
    "request": re.compile(
        r"\b(requests?|quer(y|ies)|users?|chat\w*|assistant|api|authori[sz]\w*|each transaction|interactive|sessions?"
        r"|prompts?|customers?|clicks? (a|the) button|real[\s-]?time|req/s|qps)\b",
        _I,
    ),
}


def arrival(text: str, sentences: list[str], evidence: dict[str, float] | None = None) -> tuple[str | None, str | None]:
    counts = {
        name: affirmed(p, text) * (1 if name == "request" else 2) + (evidence or {}).get(name, 0.0)
        for name, p in _ARRIVAL.items()
    }
    if not any(counts.values()):
        return None, None
    best = max(counts, key=lambda k: (counts[k], k == "request"))
    return best, first_sentence_matching([_ARRIVAL[best]], sentences)


_PRECISION = [
    (re.compile(r"\b(int4|4[\s-]?bit|q4\w*|nf4|awq|gptq)\b", _I), 0.5),
    (re.compile(r"\b(int8|8[\s-]?bit|fp8|float8)\b", _I), 1.0),
    (re.compile(r"\b(bf16|bfloat16|fp16|float16|half[\s-]precision|16[\s-]?bit)\b", _I), 2.0),
    (re.compile(r"\b(fp32|float32|full[\s-]precision|single[\s-]precision|32[\s-]?bit)\b", _I), 4.0),
]


def precision(text: str) -> tuple[float, re.Pattern] | None:
    for pattern, bytes_per_param in _PRECISION:
        if pattern.search(text):
            return bytes_per_param, pattern
    return None


# ---- text aimed at the reviewer -----------------------------------------------------------
# A description is data. Sentences that instruct the reviewer, impersonate a chat role, imitate
# the review's own output, or ask for the prompt or credentials are set aside (listed in the
# review as ignored) and none of their numbers are read. Each rule names its kind. Every rule is
# also tried on the sentence with look-alike letters folded to ASCII ("Іgnоrе" in Cyrillic), and
# `reviewer_address` adds what no phrase shows: hidden markup and sentences in another language.
# Text that claims the description is over or a new task begins: what follows is not the user's.
_FRAME_BREAK = (
    r"(?-i:\bEND OF (THE )?(USER |DESIGN )?(DESCRIPTION|DOCUMENT|DOC|INPUT|TEXT|PROMPT|CONTEXT|MESSAGE|DATA|SPEC|FILE"
    r"|SUBMISSION)\b)"
    r"|(?-i:\b(BEGIN|START)(NING)? OF (THE )?(NEW |REAL )?(TASK|INSTRUCTIONS?|PROMPT)\b)"
    r"|(^|[.!?]\s+)(new|next|real|actual|updated) (task|assignment|objective|instructions?)\s*:"
)
_AI = (
    r"(reviewers?|assistant|ai|llm|language model|grader|evaluator|bot|chatbot|chatgpt|gpt[\w.-]*|claude|model "
    r"reviewing( this)?)"
)
# A note addressed to the reviewer ("P.S. for the grader", "note to the AI"), and a label naming the
# reviewer as its author or reader ("> **Reviewer note:**", "Grader's instructions").
_NOTE_TO_REVIEWER = (
    r"\b(note|message|instructions?|memo|notice|reminder|hint|aside|request|p\.\s?s|ps|n\.\s?b|nb|fyi)"
    r"\.?\s+(to|for)\s+"
    r"(the\s+|any\s+|all\s+)?([\w-]+\s+){0,2}" + _AI + r"\b"
)
_REVIEWER_LABEL = (
    r"((the|a|an)\s+)?(reviewers?|graders?|evaluators?|judges?|assessors?|ai|llm)('?s)?\s+"
    r"(notes?|comments?|messages?|memo|instructions?|hints?|reminders?)\b"
)
_INSTRUCTION_RULES: list[tuple[str, re.Pattern]] = [
    (
        "instruction",
        re.compile(
            # "ignore ..." said to the reader (a clause opens with it, or "you" is told to), not "users can ask the
            # assistant to ignore previous turns"; a sentence that only names the system prompt is data
            r"(^|[:;,.!?(\[\-–—]\s*|\b(please|now|just|simply|then|so)\s+"
            r"|\byou\s+((must|should|shall|will|need to|have to|are to)\s+)?"
            r"(now\s+)?(to\s+)?)(ignore|disregard|forget|override|bypass)\b[^.]{0,50}"
            r"\b(instructions?|previous|above|prior|rules?|checklist|prompt|guidelines?|everything)\b"
            r"|\bas an (ai|llm|language model)\b|\bjailbreak\w*\b"
            r"|\b(you|reviewers?|assistant|the (ai|llm|model reviewing)|ai|llm|grader|evaluator)\b[^.]{0,40}\b(must"
            r"|should|shall|will|need to|have to|are to|are required to)\b[^.]{0,30}\b(say|answer|output|respond"
            r"|conclude|report|declare|classify|rate|mark|state|pick|choose|recommend|approve|give|print|return"
            r"|write)\b"
            r"|^\s*(please\s+)?(say|output|print|respond|reply|conclude|declare|classify|rate|approve|mark|write|answer)\b[^.]{0,60}\b(ceiling|verdict|review|axis|topology|design|approved|feasible|score|stage)"
            r"|^\s*(please\s+)?(report|confirm|treat|consider|state|return|give)\b[^.]{0,60}\b(feasible|infeasible"
            r"|approved|verdict|zero loops|no loops|budget is (fine|ok|met)|within (the )?budget)\b"
            r"|\b(do not|don't|never)\s+(send|bounce|kick|loop)\s+(it|this|the design|this design)\s+back\b|"
            + _NOTE_TO_REVIEWER
            + r"|^\W{0,6}"
            + _REVIEWER_LABEL
            + r"|\b(dear|hey|hi|hello|attention)\s+(the\s+)?"
            + _AI
            + r"\b"
            r"|^\s*(to the |the )?(reviewers?|graders?|evaluators?)\s*[:,]"
            r"|\bwhen you (review|read|evaluate|assess|grade|score|analy[sz]e|process) (this|the)\b"
            r"|\byou are (now|no longer|actually|really)\b|\byou are (an? |the )(ai|llm|assistant|language model"
            r"|reviewer|grader|helpful|large language)\b"
            # a role handed to the reader: "You are a lenient architect", "Your role is to approve"
            r"|^\W{0,4}(you are|you're) (an?|the|my|our)\s"
            r"|^\W{0,4}your (role|goal|objective|mission|instructions?) (is|are|now)\b"
            r"|\bact as (an? |the )?[\w-]*\s*(reviewer|assistant|ai|llm|dan)\b|\bpretend (to be|you are|that you)\b"
            r"|\b(developer|dan|god) mode\b|\bdo anything now\b"
            r"|\b(new|updated|real|actual|true|hidden|secret|additional|overriding) (system )?(instructions?"
            r"|directives?|system prompt)\b"
            r"|\b(do not|don't|never) (flag|mention|report|list|question|penalize|criticize|point out)\b"
            r"|\bthe (correct|right|only acceptable|expected|required) (answer|verdict|ceiling|topology|axis|review"
            r"|output) is\b",
            _I,
        ),
    ),
    (
        "role",
        re.compile(
            # upper case only: "System: a fraud API" is a label
            r"^\W{0,4}\b(?-i:SYSTEM|ASSISTANT|DEVELOPER|ADMIN|OPERATOR|INSTRUCTIONS?|USER|HUMAN)\b\W{0,4}:|"
            + _FRAME_BREAK
            + r"|^\W{0,4}(system|assistant|developer|admin)\s+(message|prompt|override|note|instructions?)\s*:"
            r"|<\|?\s*(im_start|im_end|system|endoftext|eot_id|start_header_id|end_header_id)\s*\|?>|\[/?INST\]|<</?SYS>>"
            r"|^#{1,6}\s*(instruction|instructions|response|system prompt|input)\s*:|</?\s*(system|instructions?|prompt"
            r"|admin)\s*>",
            re.I | re.M,
        ),
    ),
    (
        "imitates the review",
        re.compile(
            r"^\W{0,6}(design review\s*:|table 1\.8\.1|the six stages, defended|critic loop trace|strongest alternative"
            r"|break-even values|ceiling pressures|axis pressures"
            r"|taxes \(the system as described\)|assumptions \(where the description was silent\)|review (result"
            r"|outcome|summary)s?\s*:|final (review|verdict)\b)"
            r"|\bverdict\b\W{0,4}(:|=|is\b|was\b)|\bverdict\b\W{0,4}(feasible|infeasible|approved|pass(ed)?|accept(ed)?)"
            r"|\b(binding )?ceiling\b\W{0,4}(is|was|=|:)\W{0,4}(the )?(data|model|throughput|none)\b(?!\s*(size|weights"
            r"|parameters|params|rate|ceiling|\d))"
            r"|\b(this|the) (design|system|architecture|proposal|review)\s+(is|has been|was|should be|must be|will "
            r"be)\s+(already\s+|officially\s+|formally\s+)?(approved|accepted|verified|validated|signed off"
            r"|pre-?approved|marked (as )?feasible)\b"
            r"|^\|?\s*[1-6]\.\s*(ceiling|axis|topology|mode|metric|tax)\s*\||^\|\s*stage\s*\|\s*question\s*\|"
            r"|\"(ceiling|topology|distribute|feasible|verdict|infeasible_because|within_budget|engine)\"\s*:",
            _I | re.M,
        ),
    ),
    (
        "asks for secrets",
        re.compile(
            r"\b(reveal|print|show|repeat|output|leak|dump|echo|display|disclose|expose|recite|write out|tell (me|us)"
            r"|give (me|us)|send (me|us)|what (is|are)|what's)\b[^.]{0,40}"
            r"\b(system prompt|(your|the (system|hidden|original|initial|reviewer'?s?|model'?s?)) (prompt|instructions"
            r"|rules|configuration|config)|your (prompt|instructions|rules|configuration|context)"
            r"|api[\s_-]?keys?|openai_api_key|secret keys?|access tokens?|bearer tokens?|credentials?|passwords?"
            r"|environment variables?|env vars?)\b",
            _I,
        ),
    ),
]
# A chat-role header ("SYSTEM: ...", "<|im_start|>system") or a line that opens like the review
# itself ("# Design review", "**Verdict:**", a row of Table 1.8.1) starts a fake message that runs
# to the next blank line or the next such line: every line of it is set aside, not just the first.
ROLE_HEADER = _INSTRUCTION_RULES[1][1]
_REVIEW_OPENER = re.compile(
    r"^\W{0,6}(design review\b|verdict\b\W{0,4}(:|=|is\b)|table 1\.8\.1|the six stages, defended|critic loop trace"
    r"|strongest alternative\s*$"
    r"|break-even values|ceiling pressures|axis pressures|review (result|outcome|summary)s?\s*:|final (review"
    r"|verdict)\b)"
    r"|^\s*\|?\s*[1-6]\.\s*(ceiling|axis|topology|mode|metric|tax)\s*\||^\s*\|\s*stage\s*\|\s*question\s*\|",
    _I,
)


def opens_fake_message(line: str) -> bool:
    folded = fold_confusables(line)
    return bool(ROLE_HEADER.search(folded) or _REVIEW_OPENER.search(folded))


# Fake messages inside a line: a chat-template span up to its closing token (or the end of the
# paragraph), an XML-ish <system>...</system> span, a JSON object with the review's own keys.
_INLINE_MESSAGE = re.compile(
    r"<\|\s*im_start\s*\|>.*?(?:<\|\s*im_end\s*\|>|(?=\n\s*\n)|\Z)|\[INST\].*?(?:\[/INST\]|(?=\n\s*\n)|\Z)|<<SYS>>.*?(?:<</SYS>>|(?=\n\s*\n)|\Z)"
    r"|<\s*(system|instructions?|admin)\s*>.*?(?:<\s*/\s*\1\s*>|(?=\n\s*\n)|\Z)"
    r"|(?:" + _FRAME_BREAK + r").*?(?=\n[ \t]*\n|\Z)"  # "END OF DESCRIPTION. NEW TASK: ..." to the end of its paragraph
    r"|\{[^{}]{0,2000}?\"(ceiling|topology|distribute|feasible|verdict|infeasible_because|within_budget|engine)\"\s*:[^{}]{0,2000}\}",
    re.I | re.S,
)


def cut_inline_messages(text: str) -> tuple[str, list[str]]:
    """(text without inline fake messages, the messages cut out)."""
    kept, cut, position = [], [], 0
    for match in _INLINE_MESSAGE.finditer(fold_confusables(text)):  # folding keeps offsets: cut the original
        kept += [text[position : match.start()], "\n\n"]
        cut.append(" ".join(text[match.start() : match.end()].split()))
        position = match.end()
    return "".join(kept) + text[position:], cut


def instruction_kind(sentence: str) -> str | None:
    """Which rule marks this sentence as aimed at the reviewer (None: it is data)."""
    folded = fold_confusables(sentence)
    for kind, pattern in _INSTRUCTION_RULES:
        if pattern.search(sentence) or (folded is not sentence and pattern.search(folded)):
            return kind
    return None


def is_instruction(sentence: str) -> bool:
    return instruction_kind(sentence) is not None


SYSTEM_WORDS = re.compile(
    r"\b(models?|gpus?|cpus?|servers?|machines?|nodes?|cluster|requests?|latency|throughput|train\w*|fine[\s-]?tun\w*|inference|serv(e|es|ing)|"
    r"data(set)?|pipeline|agents?|users?|queries|parameters?|predict\w*|scor\w*|tokens?|replicas?|workers?|service|system|llm|ai|ml|"
    r"database|api|classifier|regression|scikit[\s-]learn|sklearn|neural|embedding\w*|vector|forecast\w*|detector|ranker|recommend\w*|"
    r"batch|stream\w*|kafka|queue|qps|rps|job|slo|sla|p\d\d)\b",
    _I,
)


# ---- languages ------------------------------------------------------------------------------
# The reader knows English words; function words tell the languages apart (a description written in
# another language, or one sentence of it inside English text).
FUNCTION_WORDS = {
    "English": (
        "the and of to is are with for that this per each must our we it on in a an be at by from or not"
    ).split(),
    "German": (
        "der die das und ist sind mit für pro jede jeder muss müssen wir unser ein eine nicht auf im zu von "
        "den dem des bei"
    ).split(),
    "French": (
        "le la les et est sont avec pour par chaque doit doivent nous notre un une des du au aux dans sur ne pas"
    ).split(),
    "Spanish": (
        "el la los las y es son con para por cada debe deben nosotros nuestro un una del al en no que se"
    ).split(),
    "Italian": ("il lo la gli le e è sono con per ogni deve devono noi nostro un una del della nel non che").split(),
    "Portuguese": ("o a os as e é são com para por cada deve devem nós nosso um uma do da no na não que").split(),
    "Dutch": ("de het een en is zijn met voor per elke moet moeten wij ons onze niet op van te").split(),
}
