"""The registry of quantities: every quantity the reviewer reads, assumes, asks for or scores, declared once.

One row per quantity says what it means, its canonical unit, how the reader finds it (cue words per kind of
number, the magnitudes it can have), when a value is absurd or too small, which of two stated values wins, what is
assumed when the text is silent and why, and how it is asked for. Everything else is derived from these rows and
never written again: the SystemFacts schema (agents/schemas.py), CANONICAL_UNITS, the reader's cue tables and
ranges (agents/reading/cues.py), the structured-input checks (app/inputs.py), the questions worth asking
(agents/review/sensitivity.py) and the LLM facts agent's field list (agents/llm/facts.py).

Adding a quantity is one row here, one consumer that uses it and one test description that states it.

Cue patterns run on lower-cased text whose number words are already digits (reading/text_numbers.normalize).
"After" patterns are searched in the text right after the number, "before" patterns end at the number, and
"strong" ones (an explicit "p99", "SLO", "MTBF") count a fifth as far as a generic word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["count", "bytes", "bandwidth", "time", "rate", "flag", "choice"]
Reads = Literal["count", "bytes", "bandwidth", "time", "percent"]


def words(*alternatives: str) -> str:
    r"""One pattern from its alternatives, one per line in the rows: ``\b(a|b|c)\b``."""
    return r"\b(" + "|".join(alternatives) + r")\b"


@dataclass(frozen=True)
class Cues:
    """How the reader finds this quantity among the numbers of one kind (a count, a size, a bandwidth, a time)."""

    reads: Reads  # the kind of number these cues claim
    rank: int  # when two fields' cues sit equally near a number, the lower rank wins (per kind)
    after: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    strong: tuple[str, ...] = ()
    readable: tuple[float, float] | None = None  # a number outside cannot be this field (ms for a time)
    absurd: float | None = None  # beyond this (in the kind's unit) no real system has it, when not the row's own
    hint: str | None = None  # the unit to suggest for a bare number ("a dataset of 40" -> " TB")
    label: str | None = None  # the reading's own name when its number is not yet the field's (a size, not a count)


@dataclass(frozen=True)
class Conflict:
    """Two unqualified values of one quantity: the one that makes the design harder to meet is used."""

    label: str  # "SLOs": "two different SLOs stated"
    pick: Literal["min", "max"]
    word: str | None = None  # "using the stricter ..." (default: larger / smaller)


@dataclass(frozen=True)
class Default:
    """What the reviewer assumes when the text is silent, and the reason the review shows."""

    value: float | bool | str
    reason: str


@dataclass(frozen=True)
class Fix:
    """What a design does about a quantity its budget turns on (the review's findings, ranked by distance)."""

    holds: str  # "below" or "above": the side of the break-even where the budget holds
    change: str  # the design change that moves the quantity there


@dataclass(frozen=True)
class Ask:
    """How a silent quantity is asked for when its break-even lies inside the range people plausibly have."""

    name: str  # "latency SLO"
    unit: str  # the unit the question and the reply use (the canonical one)
    plausible: tuple[float, float]  # canonical units


@dataclass(frozen=True)
class Quantity:
    name: str
    meaning: str  # the schema's description
    kind: Kind
    unit: str | None = None  # canonical pint unit of a number ("" for a count); None for flags and choices
    cues: tuple[Cues, ...] = ()
    floor: float | None = None  # below this no real system has it (structured input)
    zero_means_none: bool = False  # exactly 0 is allowed: no data, no checkpoint, no lookups
    absurd: float | None = None  # above this no real system has it (canonical unit; any time over a century)
    conflict: Conflict | None = None
    largest_wins: bool = False  # a later, larger value replaces an earlier one (the peak, the whole fleet)
    default: Default | None = None
    ask: Ask | None = None
    ask_model: tuple[str, str] | None = None  # the LLM facts agent may fill it: (what it is, the unit to answer in)
    counts: str | None = None  # a count the LLM facts agent proposes must name one of these in its quote
    fix: Fix | None = None  # a budget the verdict turns on: the side of its edge where it holds, and how to get there

    @property
    def numeric(self) -> bool:
        return self.unit is not None


_CATALOG = (
    r"llms?|transformers?|language models?|models?|moe|variants?|checkpoints?",
    r"llama|qwen|mistral|gpt|mixtral|gemma|falcon|deepseek|phi|bert|t5",
)
# Who holds data of its own: a count of them is the parties ("40 hospitals"); reading/cues.OWNERS also reads them
# in the plural with no count.
PARTY_NOUNS = (
    r"hospitals?|sites?|banks?|clinics?|parties|organi[sz]ations?|institutions?|partners?|companies|labs?"
    r"|laborator(?:y|ies)|universities|retailers?|insurers?|phones?|edge devices?|devices|wearables|members?|tenants?"
    r"|branches"
)
# What a dataset is called, before or after its size ("a 3 TB corpus", "logs: 40 TB")
_DATA_NOUNS = (r"data", r"dataset", r"corpus", r"crawl", r"logs?", r"history", r"records")
# What a bandwidth between machines is said to run over
_FABRICS = (r"infiniband", r"nvlink", r"roce", r"ethernet", r"interconnect", r"fabric")
_LINKS = (*_FABRICS, r"network", r"links?")
# Who or what is served at once: a count of them is concurrency ("300 developers at once").
AT_ONCE_NOUNS = words(
    r"users?",
    r"people",
    r"persons?",
    r"employees?",
    r"staff",
    r"sessions?",
    r"developers?",
    r"engineers?",
    r"analysts?",
    r"customers?",
    r"clients?",
    r"students?",
    r"patients?",
    r"clinicians?",
    r"doctors?",
    r"nurses?",
    r"players?",
    r"viewers?",
    r"visitors?",
    r"shoppers?",
    r"subscribers?",
    r"callers?",
    r"drivers?",
    r"riders?",
    r"streams?",
    r"conversations?",
    r"chats?",
)
# What sends a stream of its own: a count of them is streams served at once too ("48 vibration sensors").
STREAM_SOURCES = words(r"sensors?", r"cameras?", r"meters?", r"vehicles?", r"cars?", r"feeds?", r"microphones?")
AT_ONCE = r"(at once|concurrently|simultaneously|at the same time)"  # concurrency, never a rate
# "our 250 support agents" are people: a role that makes an agent a person, not a reasoning model
HUMAN_AGENT_ROLES = ("support", "human", "sales", "service", "call center", "call-center", "contact center", "live")
_NOT_PEOPLE = "".join(rf"(?<!\b{role} )" for role in HUMAN_AGENT_ROLES)
WORKER_NOUNS = (
    r"gpus?|accelerators?|nodes?|machines?|servers?|workers?|hosts?|instances?|tpus?|h100s?|a100s?|h200s?|b200s?"
    r"|v100s?|l4s?|replicas?|boxes|chips|vms?|pods?|ranks?|cards?"
)


# how a setting's name meets its value: "TP=8", "hidden size: 8192", "micro-batch of 4", "global batch size was 1,024"
_SAID_AS = r"\s*(:|=|of|is|was|were|set to|holds?|has|contains)?\s*(about|around|~|only|just)?\s*$"


def _shape(
    name: str, meaning: str, rank: int, readable: tuple[float, float], *, after=(), before=(), largest_wins=False
) -> Quantity:
    """A count of the model's shape or of a run's parallelism, read only next to its own words: after the number
    ("80 layers"), or a setting's name right before it (`before` gives the names; the connector is `_SAID_AS`)."""
    before = tuple(pattern + _SAID_AS for pattern in before)
    cues = Cues("count", rank, after=after, before=before, readable=readable)
    return Quantity(
        name, meaning, "count", "", cues=(cues,), floor=readable[0], absurd=readable[1], largest_wins=largest_wins
    )


# a round trip or a round-robin is no federated round
_NOT_A_ROUND = r"(?![ -](trips?|robin))"
# "41% MFU", "an MFU of 0.38", "model FLOPs utilization: 40%"
_MFU_AFTER = r"^\s*(mfu|model flops? utili[sz]ation)\b"
_MFU_BEFORE = (
    r"\b(mfu|model flops? utili[sz]ation)\W{0,3}(\s*\(mfu\))?\s*(of|:|=|is|at|around|about|near|reached)?"
    r"\s*(~|about|around|only|just)?\s*$"
)


QUANTITIES: tuple[Quantity, ...] = (
    Quantity("workload", "serving | training | data_pipeline | agents", "choice"),
    Quantity("arrival", "how work arrives: request | feed | bounded | per_example_update", "choice"),
    Quantity(
        "request_rate",
        "requests per second at peak",
        "rate",
        "1/s",
        floor=1e-6,
        absurd=1e10,
        conflict=Conflict("request rates", "max"),
        largest_wins=True,
        ask=Ask("peak request rate", "requests/s", (1.0, 1e5)),  # one request a second .. a large consumer service
        ask_model=("requests per second at peak", "1/s"),
    ),
    Quantity(
        "machine_rate",
        "requests per second one machine takes, as measured (a load test, a benchmark) or known",
        "rate",
        "1/s",
        floor=1e-6,
        absurd=1e9,
        conflict=Conflict("per-machine capacities", "min"),
        fix=Fix("above", "more machines like the one measured, or a faster one (more cores, a batched model server)"),
    ),
    Quantity(
        "concurrent_users",
        "users or streams served at once",
        "count",
        "",
        cues=(
            Cues(
                "count",
                8,
                after=(
                    r"^\s*(\w+\s){0,2}(concurrent|simultaneous|active|live)\b",
                    rf"^\s*{AT_ONCE}\b",
                    rf"^\s*(of them|{AT_ONCE_NOUNS})\s+(online|logged[- ]in|connected)\b",  # "250 of them online"
                    rf"^\s*(online|logged[- ]in|connected)\s+{AT_ONCE_NOUNS}",  # "2,000 online users"
                    AT_ONCE_NOUNS + r"\s*(at once|concurrently|simultaneously|at the same time|in parallel|online at)",
                    # "400 people use it at the same time": a short verb phrase between the people and "at once"
                    AT_ONCE_NOUNS + r"\s+(?!per\b|a\b|an\b|each\b)([a-z']+\s+){1,3}" + AT_ONCE + r"\b",
                ),
                before=(
                    r"\b(concurrency|concurrent users?|simultaneous users?)\s*(of|:|=|is|around|about|up to)?\s*$",
                ),
                readable=(2, 1e10),
            ),
        ),
        floor=1,
        absurd=1e10,
        conflict=Conflict("concurrent-user counts", "max"),
        ask=Ask("concurrent users", "users", (1.0, 1e5)),
        ask_model=("users served at once", ""),
        counts=f"{AT_ONCE_NOUNS}|{STREAM_SOURCES}",
    ),
    Quantity(
        "slo",
        "latency budget per request, ms",
        "time",
        "ms",
        cues=(
            Cues(
                "time",
                8,
                after=(
                    words(
                        r"p\d{2,3}(\.\d)?",
                        r"slo",
                        r"sla",
                        r"latency",
                        r"budget",
                        r"deadline",
                        r"end[\s-]to[\s-]end",
                        r"tail",
                        r"percentile",
                    ),
                ),
                before=(
                    words(
                        r"latency",
                        r"budget",
                        r"within",
                        r"inside",
                        r"under",
                        r"below",
                        r"respond\w*",
                        r"response",
                        r"answer\w*",
                        r"end[\s-]to[\s-]end",
                        r"tail",
                        r"must (return|answer|score|complete|reply|decide|reach|arrive|appear)",
                        r"in less than",
                        r"no more than",
                        r"at most",
                        r"before",
                        r"takes? more than",
                        r"expect\w*",
                        # what people are willing to wait: "dispatchers will wait 5 s", "users won't wait 3 s"
                        r"(will|'ll|would|won't|wouldn't|can|can't|cannot|don't|do not|willing to|happy to) wait",
                    )
                    + r"[^.]{0,40}$",
                ),
                strong=(
                    words(
                        r"p\d{2,3}(\.\d)?",
                        r"slo",
                        r"sla",
                        r"percentile",
                        r"latency budget",
                        r"latency target",
                    )
                    + r"[^.]{0,60}$",
                ),
                readable=(1, 120_000),
            ),
        ),
        floor=1e-3,
        conflict=Conflict("SLOs", "min", "stricter"),
        ask=Ask("latency SLO", "ms", (10.0, 2000.0)),  # interactive budgets people set
        ask_model=("latency budget per request", "ms"),
        fix=Fix("above", "agree a looser budget with the product, or take lookups off the request path"),
    ),
    Quantity(
        "slo_percentile",
        "p50 / p95 / p99 ...",
        "choice",
        default=Default("p99", "percentile not stated; read as p99"),
    ),
    Quantity(
        "model_params",
        "model parameters (count)",
        "count",
        "",
        cues=(
            Cues(
                "count",
                2,
                # "the 175B training run", "at full 175B scale": a run or a scale is sized by its model
                after=(
                    r"\b(parameters?|params?)\b",
                    words(_CATALOG[0]),
                    r"^\s*((pre)?training\s+)?(runs?|scale)\b",
                    # a model named by its role: "our 70B assistant", "a 13B chatbot", "the 8B instruct"
                    r"^\s*"
                    + words(r"assistants?", r"chat ?bots?", r"copilots?", r"coders?", r"instruct", r"chat", r"base"),
                ),
                before=(r"\b(parameters?|params?)\b[^.]{0,6}$", r"\b(model|parameter)\s+(size|count)\b[^.]{0,6}$"),
                strong=(r"\b(" + _CATALOG[1] + r")[\w.-]*\s*$",),
                readable=(1e5, 1e15),
            ),
            # a model's size in bytes ("a 40 MB ranker"), read as parameters at 2 bytes each
            Cues(
                "bytes",
                2,
                after=(
                    words(
                        r"of weights",
                        r"weights",
                        r"checkpoint of weights",
                        r"in total",
                        r"total",
                    ),
                    r"^[\s\w-]{0,25}\b(model|ranker|classifier|detector|network|forest|ensemble)\b",
                ),
                before=(
                    words(
                        r"weights",
                        r"models?",
                        r"ranker",
                        r"classifier",
                        r"detector",
                        r"forest",
                        r"ensemble",
                        r"network",
                        r"mlp",
                        r"embedding tables?",
                    )
                    + r"[^.]{0,35}$",
                ),
                absurd=1e16,
                readable=(1.0, 2e13),  # a 10T-parameter model in bf16; "240 TB in total" is data
                hint="B parameters",
                label="model_weights",
            ),
        ),
        floor=1,
        absurd=1e15,
        conflict=Conflict("model sizes", "max"),
        ask=Ask("model size", "parameters", (1e8, 1e12)),
        ask_model=("model parameters", ""),
    ),
    Quantity("bytes_per_param", "bytes per parameter from the precision", "bytes", "byte", floor=0.1),
    Quantity("small_model", "a model that plainly fits one machine (trees, linear, small nets)", "flag"),
    Quantity(
        "recommender",
        "a ranking or recommendation model (embedding tables, candidates scored): it decodes no tokens",
        "flag",
    ),
    Quantity(
        "data_size",
        "dataset size, bytes",
        "bytes",
        "byte",
        cues=(
            Cues(
                "bytes",
                4,
                after=(
                    words(
                        *_DATA_NOUNS,
                        r"images",
                        r"videos",
                        r"documents",
                        r"lake",
                        r"warehouse",
                        r"tables?",
                        r"archive",
                        r"text",
                        r"transactions",
                        r"embeddings",
                        r"index",
                        r"files",
                        r"parquet",
                        r"events",
                        r"shards",
                    ),
                ),
                before=(
                    words(
                        *_DATA_NOUNS,
                        r"archive",
                        r"lake",
                        r"warehouse",
                        r"table",
                        r"store",
                        r"collection",
                    )
                    + r"[^.]{0,30}$",
                ),
                hint=" TB",
            ),
        ),
        floor=1,
        zero_means_none=True,
        absurd=1e21,
        largest_wins=True,
        ask=Ask("data size", "bytes", (1e9, 1e15)),  # 1 GB .. 1 PB
        ask_model=("dataset size", "GB"),
    ),
    Quantity(
        "fanout",
        "sequential remote lookups per request",
        "count",
        "",
        cues=(
            Cues(
                "count",
                5,
                after=(
                    words(
                        r"lookups?",
                        r"look ups?",
                        r"feature (fetches|reads|calls)",
                        r"fetches",
                        r"calls?",
                        r"rpcs?",
                        r"backends?",
                        r"(micro)?services?",
                        r"downstream",
                        r"hops?",
                        r"shards?",
                        r"round trips?",
                        r"requests? to",
                        r"queries to",
                        r"reads",
                        r"(agent|llm|model) (turns?|calls?)",  # sequential turns of agents answering one request
                    ),
                ),
                before=(
                    r"\bfan\s?out( factor)?( of| to| is| =|:)?\s*$",
                    r"\bfans? out to\s*$",
                    r"\b(calls?|queries|hits|contacts|touches)\s*$",
                ),
                readable=(2, 1e4),
            ),
        ),
        floor=1e-3,
        zero_means_none=True,
        absurd=1e6,
        conflict=Conflict("fan-outs", "max"),
        default=Default(1.0, "no remote lookups described; one network hop per request"),
        ask=Ask("fan-out (sequential lookups per request)", "lookups", (1.0, 30.0)),
        ask_model=("sequential remote lookups per request", ""),
        fix=Fix("below", "fetch the lookups in parallel or in one batch, or co-locate the features with the model"),
    ),
    Quantity(
        "hop_latency",
        "latency of one lookup hop, ms",
        "time",
        "ms",
        cues=(
            Cues(
                "time",
                5,
                after=(
                    r"^\s*(each|apiece|per (lookup|hop|call|fetch|read|rpc)|round[\s-]?trip|rtt|network|hop)\b",
                    r"\bper (lookup|hop|call|fetch|read|rpc)\b",
                ),
                before=(
                    words(
                        r"lookups?",
                        r"look ups?",
                        r"rpc",
                        r"calls?",
                        r"fetch(es)?",
                    )
                    + r"[^.]{0,25}$",
                ),
                strong=(
                    r"\b(hop|round[\s-]?trip|rtt|network latency)\b[^.]{0,25}$",
                    # "40 calls to the store, each about 2 ms": a distributive "each" right before a time is one call's
                    r"(?<![\w-])(each|apiece)\s*((about|around|roughly|~|at|taking|takes|costing|of)\s*){0,2}$",
                ),
                readable=(0.001, 60_000),  # a same-rack RPC .. one call to a remote LLM (agents' hops)
            ),
        ),
        floor=1e-4,
        conflict=Conflict("hop latencies", "max", "slower"),
        default=Default(0.5, "hop latency not stated; 0.5 ms for a same-datacenter RPC"),
        ask=Ask("latency of one hop", "ms", (0.1, 5.0)),  # same rack .. cross-zone RPC
        ask_model=("latency of one lookup", "ms"),
        fix=Fix("below", "put the store in the same rack or process as the service, or cache what it reads"),
    ),
    Quantity(
        "workers",
        "GPUs / workers / machines in the design",
        "count",
        "",
        cues=(
            Cues(
                "count",
                4,
                after=(words(WORKER_NOUNS),),
                # "GPUs: 64", "node count = 12"; not a rate per device ("TPS/GPU: 8,532", "tokens per GPU: 5,000")
                before=(
                    r"(?<!/)(?<!per )\b(gpu|worker|node|machine|replica|server)s?\s*(count|number)?\s*(of|:|=)?\s*$",
                ),
                readable=(2, 1e7),
            ),
        ),
        floor=1,
        absurd=1e7,
        largest_wins=True,
        ask=Ask("worker count", "workers", (1.0, 4096.0)),
        ask_model=("GPUs or machines", ""),
        fix=Fix("below", "use fewer, larger workers (more compute per all-reduce), or a faster interconnect"),
    ),
    Quantity(
        "devices_per_node",
        "accelerators in one node of the design",
        "count",
        "",
        cues=(
            Cues(
                "count",
                1,
                after=(
                    r"\b(gpus?|accelerators?|h100s?|a100s?|h200s?|b200s?)\s+(per|in each|on each|a)\s+(node|machine"
                    r"|server|host|box)",
                    r"^\s*(gpus?|accelerators?)\s+(each|apiece)\b(?!\s+(with|has|have|of))",
                ),
                readable=(1, 64),
                absurd=1e4,
            ),
        ),
    ),
    Quantity(
        "gpu_memory",
        "memory of one accelerator, bytes",
        "bytes",
        "byte",
        cues=(
            Cues(
                "bytes",
                0,
                after=(
                    words(
                        r"gpus?",
                        r"hbm\d?e?",
                        r"vram",
                        r"accelerators?",
                        r"cards?",
                        r"h100s?",
                        r"a100s?",
                        r"h200s?",
                        r"l4s?",
                        r"of (gpu|device|accelerator|hbm) memory",
                    ),
                ),
                before=(r"\b(gpu|hbm\d?e?|vram|accelerator|device|h100|a100|h200|l4)s?\b[^.]{0,20}$",),
            ),
        ),
        floor=1e6,
        absurd=1e13,
    ),
    Quantity(
        "bandwidth",
        "interconnect bandwidth per link, bytes/s",
        "bandwidth",
        "byte/s",
        cues=(
            Cues(
                "bandwidth",
                1,
                after=(words(*_LINKS, r"between nodes", r"per port"),),
                before=(words(*_LINKS, r"connected", r"nodes") + r"[^.]{0,40}$",),
            ),
        ),
        floor=1e3,
        absurd=1e14,
        conflict=Conflict("link bandwidths", "min", "slower"),
        ask=Ask("interconnect bandwidth", "bytes/s", (1.25e9, 1e11)),  # 10 Gb/s Ethernet .. 800 Gb/s
        ask_model=("interconnect bandwidth", "GB/s"),
        fix=Fix("above", "a faster interconnect, gradient compression, or fewer workers across the slow link"),
    ),
    Quantity(
        "link_latency",
        "interconnect per-message latency (alpha), s",
        "time",
        "s",
        cues=(
            Cues(
                "time",
                3,
                after=(words(*_FABRICS),),
                before=(words(*_FABRICS, r"link", r"alpha") + r"[^.]{0,30}$",),
                readable=(1e-4, 5),
            ),
        ),
        floor=1e-9,
    ),
    Quantity(
        "step_compute",
        "compute time of one training step on one worker, s",
        "time",
        "s",
        cues=(
            Cues(
                "time",
                2,
                after=(r"\bper (training )?(step|iteration)\b",),
                before=(r"\b(step|iteration|forward[\s/-]*(and[\s-])?backward)\b[^.]{0,25}$",),
                readable=(1, 3.6e6),
            ),
        ),
        floor=1e-6,
    ),
    Quantity(
        "gradient_size",
        "bytes all-reduced per step",
        "bytes",
        "byte",
        cues=(
            Cues(
                "bytes",
                1,
                after=(r"\b(gradients?(?![\s-]boost)|of gradient(?![\s-]boost)|all[\s-]?reduce)\b",),
                before=(r"\b(gradients?(?![\s-]boost)|all[\s-]?reduces?)\b[^.]{0,25}$",),
            ),
        ),
        floor=1,
        absurd=1e16,
    ),
    Quantity(
        "tokens",
        "training tokens (count)",
        "count",
        "",
        cues=(Cues("count", 3, after=(r"\btokens?\b",), before=(r"\btokens?\b[^.]{0,8}$",), readable=(1e5, 1e17)),),
        floor=1,
        absurd=1e17,
        ask=Ask("training tokens", "tokens", (1e9, 3e13)),
        ask_model=("training tokens", ""),
    ),
    Quantity(
        "deadline",
        "time allowed for a job or run, s",
        "time",
        "s",
        cues=(
            Cues(
                "time",
                9,
                after=(r"\b(deadline|window|to (finish|complete)|wall[\s-]clock)\b",),
                before=(
                    words(
                        r"deadline",
                        r"finish\w*",
                        r"complet\w*",
                        r"done",
                        r"within",
                        r"in",
                        r"window",
                        r"nightly",
                        r"overnight",
                        r"run takes",
                        r"must end",
                        r"lasts",
                        r"will last",
                    )
                    + r"[^.]{0,25}$",  # the verb: "the last 30 days of clicks" is data
                ),
                readable=(6e5, 1e11),
                hint=" h",
            ),
        ),
        floor=1e-3,
        conflict=Conflict("deadlines", "min", "shorter"),
        ask=Ask("deadline", "s", (3600.0, 90 * 86400.0)),
        ask_model=("time allowed for the job", "h"),
    ),
    Quantity(
        "round_compute",
        "local training time of one federated round at a site, s",
        "time",
        "s",
        cues=(
            Cues(
                "time",
                6,  # before the round period: "one round of local training takes 12 minutes" is work, not a budget
                before=(r"\blocal (training|compute)\b[^.]{0,30}\b(takes?|lasts?|needs?)\s*(about|~|around)?\s*$",),
                strong=(
                    r"\b(rounds?\b" + _NOT_A_ROUND + r"|local)[^.]{0,30}\b(training|compute|epochs?)\b[^.]{0,30}"
                    r"\b(takes?|lasts?|needs?|runs? for)\s*(about|~|around|roughly)?\s*$",
                ),
                readable=(1e3, 1e9),
            ),
        ),
        floor=1e-3,
    ),
    _shape(
        "rounds",
        "federated rounds the window must hold",
        23,
        (2, 1e6),
        after=(r"^\s*(federated |training |synchronous )?rounds\b" + _NOT_A_ROUND,),
    ),
    Quantity(
        "round_period",
        "time one federated round may take (a new global model every ...), s",
        "time",
        "s",
        cues=(
            Cues(
                "time",
                7,  # before the SLO and the deadline: "each round must finish within 2 minutes" is a round's budget
                after=(r"^\s*(per|a|each|every) round\b" + _NOT_A_ROUND,),
                # a round named before its time is explicit: it outweighs the "within" of an SLO
                strong=(
                    r"\b(rounds?\b" + _NOT_A_ROUND + r"|global model|aggregat\w*|federated averag\w*)\b[^.]{0,60}"
                    r"\b(every|each|per|within|in|takes?|lasts?|capped at|limited to|timeout\W{0,3})"
                    r"\s*(about|~|around)?\s*$",
                ),
                readable=(1e3, 1e9),
            ),
        ),
        floor=1e-3,
    ),
    Quantity(
        "mtbf",
        "mean time between failures of one device, h",
        "time",
        "h",
        cues=(
            Cues(
                "time",
                1,
                after=(r"\b(mtbf|between failures)\b",),
                before=(
                    r"\b(mtbf|between failures|(fail|failure|break|dies|die|crash|interruption|outage)\w*[^.]{0,25}"
                    r"\b(every|(one|1|once) (per|in)))\b[^.]{0,15}$",
                    r"\b(1|one|a)\s+(failure|crash|fault|outage)s?\s+(per|every|in)\s*$",
                ),
                readable=(3.6e6, 3.2e12),
                hint=" h",
            ),
        ),
        floor=1e-3,  # h: a device failing every 3.6 s is no device
        conflict=Conflict("MTBFs", "min", "shorter"),
        default=Default(50_000.0, "per-device MTBF of 50,000 h (Llama 3: ~50k GPU-hours per interruption)"),
        ask=Ask("per-device MTBF", "h", (1e4, 1e5)),
        ask_model=("mean time between failures of one device", "h"),
        fix=Fix("above", "checkpoint more often and run spares, or replace the parts that fail most"),
    ),
    Quantity(
        "checkpoint_write",
        "time to write one checkpoint, s",
        "time",
        "s",
        cues=(
            Cues(
                "time",
                0,
                after=(r"\bcheckpoint",),
                before=(r"\bcheckpoint\w*\b[^.]{0,40}$",),
                readable=(500, 3.6e6),
                hint=" s",
            ),
        ),
        floor=1e-3,
        zero_means_none=True,
        conflict=Conflict("checkpoint times", "max", "slower"),
        ask_model=("time to write a checkpoint", "s"),
    ),
    Quantity(
        "parties",
        "independent organisations or sites (count)",
        "count",
        "",
        cues=(Cues("count", 7, after=(words(PARTY_NOUNS),), readable=(2, 1e10)),),
        floor=1,
        absurd=1e10,
    ),
    Quantity(
        "share_data",
        "may one party hold all the data?",
        "flag",
        default=Default(True, "nothing says the data is split across parties who may not share it"),
    ),
    Quantity(
        "spof_ok",
        "is a single point of failure acceptable?",
        "flag",
        default=Default(True, "nothing forbids a single coordinator"),
    ),
    Quantity(
        "multi_region",
        "does the system span regions / sites?",
        "flag",
        default=Default(False, "no regions or sites are named"),
    ),
    Quantity(
        "online_updates",
        "does the model update from each example?",
        "flag",
        default=Default(False, "nothing says the model learns from each example"),
    ),
    Quantity(
        "agents",
        "number of reasoning agents",
        "count",
        "",
        cues=(
            Cues(
                "count",
                6,
                after=(_NOT_PEOPLE + r"\bagents?\b(?!\s+(calls?|turns?|steps?|messages?|invocations?))",),
                before=(_NOT_PEOPLE + r"\bagents?\b[^.]{0,8}$",),
                readable=(2, 1e8),
            ),
        ),
        floor=1,
        absurd=1e9,
        default=Default(1.0, "one model makes each decision; no multi-agent reasoning is described"),
        ask_model=("number of reasoning agents", ""),
    ),
    Quantity(
        "service_time",
        "compute time of one request on one server, ms",
        "time",
        "ms",
        cues=(
            Cues(
                "time",
                4,
                # "1.5 s of compute per step" is a training step's, not a request's
                after=(
                    r"\b(to (score|predict|infer|run|evaluate|classify)|of (compute|model time|inference))\b"
                    r"(?! per (training )?(step|iteration))",
                ),
                before=(
                    words(
                        r"inference",
                        r"model",
                        r"scoring",
                        r"prediction",
                        r"forward pass",
                        r"compute)\s+(time",
                        r"takes",
                        r"runs in",
                        r"needs",
                        r"costs",
                        r"latency",
                    )
                    + r"[^.]{0,15}$",
                    r"\b(takes|needs|spends)\b[^.]{0,10}$",
                ),
                readable=(0.01, 1e4),
            ),
        ),
        floor=1e-4,  # ms: 100 ns
    ),
    Quantity(
        "output_tokens",
        "generated tokens per request",
        "count",
        "",
        cues=(
            Cues(
                "count",
                0,
                after=(
                    r"\b(output|generated|new|completion)?\s*tokens? (per|each|a|for every) (response|request|answer"
                    r"|reply|completion|query|turn)",
                    # "new tokens" alone may be a corpus ("the day's 1T new tokens"): reading/cues.token_length takes
                    # it as an output length only in an output's range
                    r"^\s*(output|generated|completion) tokens?\b",
                ),
                readable=(1, 1e6),
            ),
        ),
        floor=1,
        absurd=1e7,
        conflict=Conflict("output lengths", "max"),
        ask=Ask("generated tokens per request", "tokens", (16.0, 4096.0)),
        ask_model=("generated tokens per request", ""),
    ),
    Quantity(
        "prompt_tokens",
        "input tokens per request (prompt and context)",
        "count",
        "",
        cues=(Cues("count", 9, readable=(1, 1e7)),),  # read by reading/cues.token_length, not by cue distance
        absurd=1e8,
        conflict=Conflict("prompt lengths", "max"),
    ),
    Quantity(
        "token_rate",
        "generated tokens per second the whole system must produce",
        "rate",
        "1/s",
        floor=1e-6,
        absurd=1e12,
        largest_wins=True,
    ),
    # The model's shape and the parallelism of a training run (issue 23): read when stated, never assumed here; the
    # scoring tool assumes what it needs for one check and lists it (agents/scoring/shapes.py, memory.py).
    _shape(
        "layers",
        "transformer layers of the model",
        10,
        (1, 1000),
        after=(
            r"^\s*(transformer |decoder |hidden )?(layers|blocks)\b(?!\s+of\s+(?!(transformer|attention|decoder)))",
            r"^-(layer|block)\b",
        ),
        before=(r"\b(num_layers|n_layers|num_hidden_layers|layers)",),
        largest_wins=True,  # "48 layers in 6 stages of 8 layers each": the model's count is the largest
    ),
    _shape(
        "hidden_size",
        "hidden size (model width) of the model",
        11,
        (64, 1e6),
        after=(r"^-?(dim(ension(al)?)?|d)\s+hidden\b",),
        before=(r"\b(hidden[ _](size|dim\w*)|d_model|model (dim\w*|width))",),
    ),
    _shape(
        "attention_heads",
        "attention (query) heads per layer",
        12,
        (1, 4096),
        after=(r"^\s*(attention |query )?heads\b",),
        before=(r"\b(num_attention_heads|n_heads|attention heads)",),
    ),
    _shape(
        "kv_heads",
        "key-value heads per layer (grouped-query attention)",
        13,
        (1, 4096),
        after=(r"^\s*(kv|key[ -]value) (heads?|groups?)\b",),
        before=(r"\b(num_key_value_heads|n_kv_heads|kv heads|key[ -]value heads|query groups)",),
    ),
    _shape(
        "sequence_length",
        "tokens per training sequence",
        14,
        (16, 1e7),
        after=(r"^\s*-?tokens?[ -](long )?sequences\b",),
        before=(r"\b(sequence length|seq(uence)?[ _-]len(gth)?|max_seq_len|seq_length|training context)",),
    ),
    _shape(
        "micro_batch",
        "sequences in one micro-batch",
        15,
        (1, 1e5),
        after=(r"^\s*(sequences? )?per micro[ -]?batch\b",),
        before=(r"\bmicro[ -]?batch(es)?( size)?", r"\b(micro_batch_size|mbs)"),
    ),
    _shape(
        "global_batch",
        "sequences in one optimizer step across all data-parallel ranks",
        16,
        (1, 1e8),
        before=(r"\b(global[ _-]?batch([ _-]size)?|gbs)",),
    ),
    _shape(
        "micro_batches",
        "micro-batches per pipelined step",
        17,
        (1, 1e5),
        after=(r"^\s*micro[ -]?batches\b(?! of)",),
        before=(r"\b(num_micro_?batches|micro_?batches per step)",),
    ),
    _shape(
        "tensor_parallel",
        "tensor-parallel degree (GPUs one layer is split over)",
        18,
        (1, 4096),
        after=(r"^([\s-]*way|\s*x|[\s-]*fold)\s+tensor[ -]?(model[ -])?parallel", r"^[\s-]*way tp\b"),
        before=(
            r"(?<![*x×])(?<![*x×] )\b(tp|tensor[ -]?(model[ -])?parallel(ism|_size)?( size| degree)?"
            r"|tensor_model_parallel_size)",
        ),
    ),
    _shape(
        "pipeline_parallel",
        "pipeline-parallel degree (stages)",
        19,
        (1, 4096),
        after=(r"^([\s-]*way|\s*x|[\s-]*fold)\s+pipeline", r"^\s*pipeline stages\b", r"^[\s-]*stage pipeline\b"),
        before=(
            r"(?<![*x×])(?<![*x×] )\b(pp|pipeline[ -]?(model[ -])?parallel(ism|_size)?( size| degree)?"
            r"|pipeline_model_parallel_size|pipeline[ -]stages)",
        ),
    ),
    Quantity(
        "mfu",
        "model FLOPs utilisation a training run reaches (a fraction of peak)",
        "count",
        "",
        cues=(
            Cues(
                "percent",
                0,
                after=(_MFU_AFTER,),
                before=(_MFU_BEFORE,),
                readable=(1, 100),
                absurd=100,
                label="mfu_percent",
            ),
            Cues("count", 22, before=(_MFU_BEFORE,), readable=(0.01, 1)),
        ),
        floor=0.01,
        absurd=1.0,
    ),
    # a recommendation model's sparse side (issue 24 part 3): what its embedding all-to-all moves each step
    _shape(
        "embedding_dim",
        "width of one embedding vector (a recommendation model's sparse features)",
        20,
        (2, 1e5),
        after=(r"^[\s-]*(-?dim(ension(al)?)?s?|-d)\s+(embeddings?|vectors?)\b",),
        before=(r"\b(embedding[ _](dim(ension)?|size|width)s?)",),
    ),
    _shape(
        "sparse_features",
        "sparse (categorical) features, each looked up in an embedding table",
        21,
        (1, 1e5),
        after=(r"^\s*((sparse|categorical)\s+){1,2}(input\s+)?features\b", r"^\s*embedding tables\b"),
    ),
    Quantity("recomputation", "activation recomputation in training: none | selective | full", "choice"),
    Quantity("zero_stage", "ZeRO stage of the optimizer state's sharding: 1 | 2 | 3 (FSDP is 3)", "choice"),
    Quantity("foundation_model", "a foundation / frontier-scale model with no size given", "flag"),
    Quantity(
        "stated_ceiling", "a ceiling the text states in words, with no number: data | model | throughput", "choice"
    ),
    Quantity("cost_focus", "the text puts cost first", "flag"),
    Quantity("reliability_focus", "the text puts availability / correctness first", "flag"),
)

BY_NAME: dict[str, Quantity] = {q.name: q for q in QUANTITIES}
CANONICAL_UNITS: dict[str, str] = {q.name: q.unit for q in QUANTITIES if q.numeric}
ABSURD_MS = 100 * 365.25 * 86400e3  # any duration over a century


def quantity(name: str) -> Quantity:
    return BY_NAME[name]


def cue_rows(reads: Reads) -> list[tuple[str, Cues]]:
    """(reading, cues) of every quantity a number of this kind may be, in rank order (ties go to the first); the
    reading is the field's name, or the cues' label when the number must still be converted to the field."""
    found = [(c.label or q.name, c) for q in QUANTITIES for c in q.cues if c.reads == reads]
    return sorted(found, key=lambda pair: pair[1].rank)


def field_of(reading: str) -> str:
    """The field a reading sets ("model_weights" -> "model_params")."""
    return next((q.name for q in QUANTITIES for c in q.cues if c.label == reading), reading)
