"""The facts agent (deterministic): a system description -> SystemFacts.

How it reads: split into sentences, drop text addressed to the reviewer, rewrite number
words as digits, find every number with its unit, then decide what each number measures
from its unit and the words around it (the nearest cue wins, so one sentence can carry
several numbers). Flags (may parties share data? is a single point of failure allowed?)
come from phrase patterns over the whole text. Every value keeps the sentence it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ceiling.agents import cues
from ceiling.agents.schemas import Fact, SystemFacts
from ceiling.agents.text_numbers import normalize
from ceiling.agents.units import DATA_UNIT, TIME_UNIT, convert, data_unit_to_pint, time_unit_to_pint

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;])\s+(?=[\"'(\[]?[A-Z0-9*\-•])|\n\s*\n|\n(?=\s*(?:[-*•#>|]|\d+[.)]\s))")
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\d])")
_SUFFIX = re.compile(r"\s?(k|K|M|B|bn|T)(?![A-Za-z/])")
_SUFFIX_VALUE = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9, "T": 1e12}
_RATE_TAIL = re.compile(
    r"^[A-Za-z\s,\-()']{0,40}?(?:(?:\b(?:per|a|each|every)\s+|/\s*)(?P<per>second|sec|s|minute|min|hour|hr|h|day|d)\b|\b(?P<qps>qps|rps|tps|req/s)\b)",
    re.I,
)
_PER_SECONDS = {"second": 1, "sec": 1, "s": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600, "h": 3600, "day": 86400, "d": 86400}


_LARGEST_WINS = ("request_rate", "data_size", "token_rate")


@dataclass
class Mention:
    """A number in the text with what we know of it before deciding what it measures."""

    value: float
    kind: str  # "bytes" | "bandwidth" | "time" | "rate" | "count" | "percent"
    unit: str  # pint unit of value
    start: int
    end: int
    sentence: str  # normalized sentence
    quote: str  # original sentence
    notes: list[str] = field(default_factory=list)

    def before(self, chars: int = 70) -> str:
        return self.sentence[max(0, self.start - chars): self.start].lower()

    def after(self, chars: int = 90) -> str:
        return self.sentence[self.end: self.end + chars].lower()


def split_sentences(text: str) -> list[str]:
    parts = (re.sub(r"\s*\n\s*", " ", s).strip(" \t-*•>#|") for s in _SENTENCE_SPLIT.split(text) if s)
    return [p for p in parts if p]


def find_mentions(quote: str) -> list[Mention]:
    """Every number in one sentence, with its unit resolved by pint where it has one."""
    sentence, notes = normalize(quote)
    mentions: list[Mention] = []
    for match in _NUMBER.finditer(sentence):
        value = float(match.group(1).replace(",", ""))
        guessed = [note for digits, note in notes if match.group(1) == digits and digits not in quote]
        end = match.end()
        rest = sentence[end:]
        tail = rest.lstrip(" -")
        skip = len(rest) - len(tail)
        data = DATA_UNIT.match(tail)
        time = TIME_UNIT.match(tail)
        if data:
            unit, is_rate = data_unit_to_pint(data)
            kind = "bandwidth" if is_rate else "bytes"
            value = convert(value, unit + ("/second" if is_rate else ""), "byte/second" if is_rate else "byte")
            mention = Mention(value, kind, "byte/s" if is_rate else "byte", match.start(), end + skip + data.end(), sentence, quote, guessed)
        elif time:
            value = convert(value, time_unit_to_pint(time.group("unit")), "millisecond")
            mention = Mention(value, "time", "ms", match.start(), end + skip + time.end(), sentence, quote, guessed)
        elif tail.startswith("%"):
            mention = Mention(value, "percent", "%", match.start(), end + skip + 1, sentence, quote, guessed)
        else:
            suffix = _SUFFIX.match(rest)
            if suffix:
                value *= _SUFFIX_VALUE[suffix.group(1)]
                end += suffix.end()
            mention = Mention(value, "count", "", match.start(), end, sentence, quote, guessed)
            rate = _RATE_TAIL.match(sentence[end:])
            if rate and not cues.PER_ITEM_NOT_RATE.search(sentence[end: end + rate.end()]):
                per = (rate.group("per") or "s").lower()
                mention.value = value / _PER_SECONDS.get(per, 1)
                mention.kind, mention.unit = "rate", "1/s"
                mention.end = end + rate.end()
        mentions.append(mention)
    return mentions


def _set(facts: SystemFacts, name: str, value, unit: str, mention: Mention | None = None, quote: str | None = None) -> None:
    """Record a value unless an earlier, equally direct statement already set it."""
    current = getattr(facts, name)
    if current.known and not current.assumed:
        return
    note = "; ".join(mention.notes) if mention and mention.notes else None
    text = quote if quote is not None else (mention.quote if mention else None)
    setattr(facts, name, Fact(value=value, unit=unit, quote=text, assumed=bool(note), assumption=note))


def _classify(mention: Mention) -> str | None:
    """Which SystemFacts field a number measures, from its unit and the nearest cue words."""
    before, after = mention.before(), mention.after()
    if mention.kind == "bandwidth":
        return cues.nearest_field(before, after, cues.BANDWIDTH_CUES, default="bandwidth", before_window=70)
    if mention.kind == "bytes":
        return cues.nearest_field(before, after, cues.BYTES_CUES, default="data_size")
    if mention.kind == "time":
        return cues.classify_time(mention.value, before, after)
    if mention.kind == "rate":
        if cues.PER_ITEM_BEFORE.search(before):
            return None  # "each car sends 1 event per second" is a per-item rate, not the load
        return "token_rate" if cues.TOKEN_RATE.search(mention.sentence[mention.start: mention.end]) else "request_rate"
    if mention.kind == "count":
        name = cues.nearest_field(before, after, cues.COUNT_CUES, default=None, value=mention.value)
        if name is None and cues.EACH_AN_AGENT.search(after):
            return "agents"  # "5,000 characters, and every one of them is an autonomous agent"
        return name
    return None


def extract(description: str) -> SystemFacts:
    """Deterministic extraction. Silent quantities stay unknown here; `assume` fills them."""
    facts = SystemFacts()
    kept: list[str] = []
    for sentence in split_sentences(description):
        if cues.is_instruction(sentence):
            facts.ignored_instructions.append(sentence)
        else:
            kept.append(sentence)

    workers_are_nodes = False
    for quote in kept:
        for mention in find_mentions(quote):
            name = _classify(mention)
            if name is None:
                continue
            value, unit = mention.value, mention.unit
            if name == "slo":
                pct = cues.percentile(mention.before(90) + mention.after(30))
                if pct:
                    _set(facts, "slo_percentile", pct, "", mention)
            if name in ("link_latency", "step_compute", "checkpoint_write", "deadline"):
                value, unit = value / 1000.0, "s"
            if name == "mtbf":
                value, unit = value / 3.6e6, "h"
            if name == "gpus_per_node":
                nodes = facts.num("workers")
                if nodes is not None and workers_are_nodes:
                    joined = facts.workers.quote if facts.workers.quote == quote else f"{facts.workers.quote} {quote}"
                    facts.workers = Fact(value=nodes * value, unit="", quote=joined)
                continue
            if name == "data_size" and cues.UNUSED.search(mention.sentence[mention.end:]):
                continue
            if name in _LARGEST_WINS and facts.num(name) is not None and not getattr(facts, name).assumed:
                if value > facts.num(name):  # the peak rate and the largest dataset are what ceilings see
                    setattr(facts, name, Fact(value=value, unit=unit, quote=mention.quote))
                continue
            if name == "model_weights":
                name, value, unit = "model_params", value / 2.0, ""
                mention.notes = [*mention.notes, "parameters from the weights' size at 2 bytes per parameter"]
            if name in ("model_params", "tokens") and value < 1e5:
                continue  # "a 7 model" is not a parameter count
            if name in ("workers", "fanout", "parties", "agents") and value < 2:
                continue  # "fits one machine" describes the model, not the fleet
            if name == "workers" and facts.num("workers") is not None and workers_are_nodes and value > facts.num("workers"):
                if not cues.NODE_NOUN.search(mention.after()):  # "8 nodes x 8 H100 = 64 GPUs": the GPU total counts
                    facts.workers = Fact(value=value, unit="", quote=mention.quote)
                    workers_are_nodes = False
                    continue
            if name == "workers" and facts.num("workers") is None:
                workers_are_nodes = bool(cues.NODE_NOUN.search(mention.after()))
            _set(facts, name, value, unit, mention)

    text = " ".join(normalize(s)[0] for s in kept)
    _extract_flags(facts, text, kept)
    step, workers = facts.num("step_compute"), facts.num("workers")
    if step and workers and cues.PER_WORKER.search(normalize(facts.step_compute.quote or "")[0]):
        facts.step_compute = facts.step_compute.model_copy(update={
            "value": step * workers, "assumed": True,
            "assumption": f"the step time is one worker's share; whole-step compute C = {step:g} s x {workers:g} workers"})
    nightly = _quote_for(cues.NIGHTLY, kept) if cues.affirmed(cues.NIGHTLY, text) else None
    if nightly and facts.num("deadline") is None and facts.text("workload") in ("data_pipeline", "training"):
        facts.deadline = Fact(value=8 * 3600.0, unit="s", quote=nightly, assumed=True, assumption='read "nightly" as an 8-hour window')
    return facts


def _quote_for(pattern: re.Pattern, sentences: list[str]) -> str | None:
    return cues.first_sentence_matching([pattern], sentences)


def _extract_flags(facts: SystemFacts, text: str, sentences: list[str]) -> None:
    for name, value, pattern in cues.FLAG_PATTERNS:
        quote = _quote_for(pattern, sentences)
        if quote is not None and not getattr(facts, name).known:
            _set(facts, name, value, "", quote=quote)
    numbers = {"serving": ["request_rate", "slo", "concurrent_users", "fanout"], "training": ["tokens", "gradient_size", "step_compute", "checkpoint_write"]}
    evidence = {name: 1.5 * sum(facts.num(f) is not None for f in fields) for name, fields in numbers.items()}
    evidence["agents"] = 4.0 if (facts.num("agents") or 0) >= 3 else 0.0
    workload, quote = cues.workload(text, sentences, evidence)
    if workload:
        _set(facts, "workload", workload, "", quote=quote)
    if facts.flag("online_updates") and workload == "serving" and cues.affirmed(cues.TRAINING_WORD, text) >= 2:
        workload = "training"  # an online learner: the updates are the workload
        facts.workload = Fact(value=workload, quote=_quote_for(cues.TRAINING_WORD, sentences))
    slo = facts.num("slo")
    asked = facts.num("request_rate") is not None and slo is not None and slo < 60_000
    arrival, quote = cues.arrival(text, sentences, {"request": 3.0 if asked else 0.0})
    if arrival == "request" and workload in ("training", "data_pipeline"):
        arrival = "bounded"  # users mentioned in a training text are the data's source, not callers waiting
    if arrival:
        _set(facts, "arrival", arrival, "", quote=quote)
    foundation = _quote_for(cues.FOUNDATION, sentences)
    if foundation:
        _set(facts, "foundation_model", True, "", quote=foundation)
    precision = cues.precision(text)
    if precision:
        bytes_per_param, quote_pattern = precision
        _set(facts, "bytes_per_param", bytes_per_param, "byte", quote=_quote_for(quote_pattern, sentences))
    if facts.num("agents") is None:
        agents = cues.agent_roles(text)
        if agents:
            _set(facts, "agents", float(agents), "", quote=_quote_for(cues.AGENT_WORD, sentences))
