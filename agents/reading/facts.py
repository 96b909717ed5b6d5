"""The facts agent (deterministic): a system description -> SystemFacts.

How it reads: clean the text (invisible characters, full-width letters), set aside hidden text,
fake chat messages and sentences addressed to the reviewer or in another language, rewrite
number words as digits, find every number with its unit, then decide what each number measures
from its unit and the words around it (the nearest cue wins, so one sentence can carry
several numbers). Flags (may parties share data? is a single point of failure allowed?)
come from phrase patterns over the whole text. Every value keeps the sentence it came from.

Numbers the text gets wrong are never silently used: a negative or absurd magnitude, a bare
number where a duration or size belongs, and two different values for one quantity each
leave a note that the review lists with its assumptions (see `_Notes`).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from ceiling.agents import quantities
from ceiling.agents.quantities import field_of
from ceiling.agents.reading import cues, fleet, layout, not_quantities, reviewer_address, stated_ceilings
from ceiling.agents.reading.text_numbers import MAX_DIGITS, clean, fold_numbers, normalize
from ceiling.agents.reading.units import DATA_UNIT, TIME_UNIT, convert, data_unit_to_pint, time_unit_to_pint
from ceiling.agents.schemas import Fact, SystemFacts
from ceiling.agents.scoring.pressures import LLM_PARAMS

# A sentence ends at . ! ? (or ;) before a capital, and at . ! ? before a lower-case word too: chat messages start
# theirs in lower case ("... 2 nodes for now. traffic is ~1.2M/day"); an abbreviation's period is re-joined below. A
# clause after ";" stays in its sentence ("...; our 4 GPUs prove it" belongs to what it continues).
_SENTENCE_SPLIT = re.compile(
    r"(?<=[.!?;])\s+(?=[\"'(\[]?[A-Z0-9*\-•])|(?<=[.!?])\s+(?=[a-z])|\n\s*\n|\n(?=\s*(?:[-*•#>|]|\d+[.)]\s))"
)
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\d])")
_SUFFIX = re.compile(r"\s?(k|K|M|B|bn|T)(?![A-Za-z/])")
_SUFFIX_VALUE = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9, "T": 1e12}
_PER_NODE_AFTER = re.compile(r"\s*(?:per|each|a|/)\s*(?:node|server|host|machine|box)\b")
# A model's name right before its size: "BLOOM-176B", "Falcon-40B"; a name and its version, "Olmo 3 7B", "Llama 3.1
# 405B"; a name cased like one, "OLMo 7B", "OPT 66B" (not "Today 5B", nor a year "In 2023 7B").
_NAME_BEFORE = re.compile(
    r"(?:^|[\s(\[\"'])(?:[A-Za-z][\w.]*[A-Za-z0-9]-"
    r"|[A-Z][\w.-]*\s+v?(?!(?:19|20)\d\d\b)[\d_]{1,2}(?:\.[\d_]+)*\s+"  # "_": its digits masked as a version
    r"|[A-Z][a-z]*[A-Z][\w.-]*\s+"
    r"|[A-Z][\w.-]*(?:\s+v?[\d_]{1,2}(?:\.[\d_]+)*)?\s*\(\s*(?:up\s+to\s+|about\s+|~)?)$"  # "Llama 3.1 (up to 405B)"
)
_PERCENT_RANGE_TAIL = re.compile(r"[-\u2013]\s*\d+(?:\.\d+)?\s*%")
_EXPERTS = re.compile(r"\s?[x\u00d7]\s?(\d+(?:\.\d+)?)\s?(B|M|T)\b")
# "30K requests per day", "2M queries a week", "60K requests daily"; "2,000 answers once a week" is a batch's size
_RATE_TAIL = re.compile(
    r"^[A-Za-z\s,\-()']{0,40}?(?:(?:(?<!once )(?<!twice )\b(?:per|a|each|every)\s+|/\s*)"
    r"(?P<per>second|sec|s|minute|min|hour|hr|h|day|d|week|wk|month)\b|\b(?P<qps>qps|rps|tps|req/s)\b"
    r"|\b(?P<adverb>hourly|daily|weekly|monthly)\b)",
    re.I,
)
_COMPUTE_RATE = re.compile(r"\b[kmgtpe]?flop", re.I)  # "312 TFLOP/s" is compute, not requests
# "16 bytes/param", "2 bytes per parameter": a ratio, not the size of anything
_PER_PARAM_AFTER = re.compile(r"^\s*(/|per)\s*(param|parameter|weight)s?\b", re.I)
_ADVERB_PER = {"hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month"}
_PER_SECONDS = {
    "second": 1,
    "sec": 1,
    "s": 1,
    "minute": 60,
    "min": 60,
    "hour": 3600,
    "hr": 3600,
    "h": 3600,
    "day": 86400,
    "d": 86400,
    "week": 7 * 86400,
    "wk": 7 * 86400,
    "month": 30.44 * 86400,  # a mean month (365.25 / 12 days)
}
# A time unit a rate is counted in, as text says it: "per second", "an hour", "/min", "daily", "qps".
PER_TIME = re.compile(
    r"(?:\bper|\ba|\ban|\beach|\bevery|/)\s*(?:" + "|".join(sorted(_PER_SECONDS, key=len, reverse=True)) + r")s?\b"
    r"|\b(?:" + "|".join(_ADVERB_PER) + r"|[qrt]ps|hz)\b",
    re.I,
)


_PER_DEVICE_TIME = re.compile(
    r"(?:gpu|device|node|server|machine|accelerator|chip|card)[\s-]+(?=(?:hours?|days?|years?)\b)", re.I
)
_PER_CALL = re.compile(r"\bper\s+(?:call|hop|lookup|rpc|request to|agent turn|turn)\b", re.I)
_PER_CALL_AFTER = re.compile(
    r"^\s*(?:of\s+)?(?:end[\s-]to[\s-]end\s+)?per\s+(?:call|hop|lookup|rpc|agent turn|turn)\b", re.I
)
_STORED_AFTER = re.compile(
    r"\s*(?:of\s+)?(?:ram|memory|storage|disk|ssd|nvme|hbm\w*|vram|dram|ddr\w*|of\s+(?:host|gpu|device)\s+memory)\b",
    re.I,
)
_LARGEST_WINS = ("request_rate", "data_size", "token_rate", "workers")
_PER_ITEM_FIELDS = ("request_rate", "concurrent_users")  # "each car sends 1 event per second" is one item's share
_NEGATIVE = re.compile(r"(?:(?:^|[\s(\[:=,~])-|\b(?:minus|negative)\s+)$", re.I)
_CANONICAL = {"ms": "ms", "byte": "bytes", "byte/s": "bytes/s", "1/s": "/s", "s": "s", "h": "h"}

# Bounds on the work per description: a number's unit and rate words are looked for this far
# after it and a minus sign this far before it, so each number costs the same in a long sentence;
# past MAX_MENTIONS numbers a text is a table or a test of the reader, not a design to review.
_AFTER_WINDOW = 400
_BEFORE_WINDOW = 64
MAX_MENTIONS = 2000
_LOOKAHEAD = 200  # unread numbers classified to find the field the cap's note belongs to
_FIELD_OF_KIND = {
    "time": "slo",
    "bytes": "data_size",
    "bandwidth": "bandwidth",
    "rate": "request_rate",
    "count": "workers",
}
_LONG_RUN = re.compile(r"\d{25,}")  # shown shortened in notes
# a word with a letter of another script ("20 мс"); a dash or a quote mark outside ASCII ("5–6 s") is no word
_NON_ASCII_WORD = re.compile(r"[^\s\d.,;:!?()\[\]{}<>\"]{0,16}(?=[^\x00-\x7f])[^\W\d_][^\s\d.,;:!?()\[\]{}<>\"]{0,16}")


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
    negative: bool = False  # "-5 TB", "minus 5 TB": no quantity here can be negative
    bare: bool = False  # digits as written, no unit, no suffix ("a latency of 20")
    written: float = 0.0  # the number as written, before its unit ("40" of "40 MB")
    unreadable: str | None = None  # why the number cannot be read ("a 20,000-digit number")
    unit_word: str | None = None  # a word in another script right after it, no unit the reader knows
    per_seconds: float = 1.0  # a rate: the seconds of its time unit ("a day": 86,400)

    def text(self) -> str:
        """The number as written, with its unit ("50 ms", "1e30 requests per second") or, for a
        count, the words that follow it ("1e30 users at once")."""
        shown = _LONG_RUN.sub(_shortened, self.sentence[self.start : self.end].strip())
        if self.kind == "count":
            words = []
            following = self.sentence[self.end : self.end + 31]  # the 30 characters the words are taken from
            for word in re.match(r"[^.,;:()\d]{0,30}", following).group(0).split()[:2]:
                if word.lower() in (
                    "and",
                    "or",
                    "but",
                    "on",
                    "of",
                    "with",
                    "in",
                    "to",
                    "the",
                    "a",
                    "an",
                    "at",
                    "for",
                    "per",
                    "across",
                    "over",
                    "from",
                    "by",
                    "into",
                ):
                    break
                words.append(word)
            shown = (shown + following.split(words[0], 1)[0] + " ".join(words)).strip() if words else shown
        return ("-" if self.negative else "") + shown

    def before(self, chars: int = 70) -> str:
        return self.sentence[max(0, self.start - chars) : self.start].lower()

    def after(self, chars: int = 90) -> str:
        return self.sentence[self.end : self.end + chars].lower()


def _shortened(run: re.Match) -> str:
    digits = run.group(0)
    return f"{digits[:6]}...{digits[-3:]}"


def _unreadable_length(number: str) -> str | None:
    """Why a number is too long to be a quantity, or None: more digits than any real quantity has,
    or an exponent of more than three digits ("1e-99999" is not 0)."""
    mantissa, _, exponent = number.lower().partition("e")
    digits = sum(ch.isdigit() for ch in mantissa)
    if digits > MAX_DIGITS:
        return f"a {digits:,}-digit number"
    if len(exponent.lstrip("+-")) > 3:
        return f"a power of ten with a {len(exponent.lstrip('+-')):,}-digit exponent"
    return None


def _written_numbers(quote: str) -> set[str]:
    """The numbers the quote writes in digits (after folding separators and scripts), found once per
    sentence: a mention is "bare" when its digits are among them, not made from number words."""
    return {match.group(1) for match in _NUMBER.finditer(fold_numbers(quote))}


# A period that ends an abbreviation ends no sentence: "e.g. Llama", "approx. 20 ms", "Fig. 3".
_ABBREVIATION_END = re.compile(
    r"\b(?:e\.g|i\.e|vs|approx|cf|fig|figs|sec|eq|eqs|no|nos|al|ca|resp|incl|esp|mr|mrs|dr|inc|ltd"
    r"|corp|dept|u\.s|etc|a\.k\.a|viz|approx|min|max|avg|est|ft|pp|vol|ref|refs|ver|v|p\.s|p\.p\.s|n\.b)\.$",
    re.I,
)


_LIST_MARKER = re.compile(r"\(?\d{1,2}[.)]|\(?[a-z][.)]")


def split_sentences(text: str) -> list[str]:
    parts = [re.sub(r"\s*\n\s*", " ", s).strip(" \t-*•>#|") for s in _SENTENCE_SPLIT.split(text) if s]
    joined: list[str] = []
    for part in parts:
        if joined and _LIST_MARKER.fullmatch(joined[-1]) and part:
            joined[-1] = part  # "1." of a numbered list is no sentence of its own
        elif joined and _ABBREVIATION_END.search(joined[-1]) and part:
            joined[-1] = f"{joined[-1]} {part}"
        elif part:
            joined.append(part)
    return joined


def find_mentions(quote: str) -> list[Mention]:
    """Every number in one sentence, with its unit resolved by pint where it has one. The work per
    number is bounded (windows around it), so a sentence costs time linear in its length."""
    return list(_iter_mentions(quote))


def _iter_mentions(quote: str) -> Iterator[Mention]:
    sentence, notes = normalize(quote)
    sentence = not_quantities.mask(sentence)  # citations, years, versions, money: no quantity of the design
    written = _written_numbers(quote)
    mentions = (_mention(match, sentence, quote, notes, written) for match in _NUMBER.finditer(sentence))
    return _ranges(_elided_units(mentions))


# "30K requests daily and a peak of 60K": a number with no noun of its own after a rate and a word of peak is that
# rate again, its unit left unsaid.
_NOTHING_AFTER = re.compile(
    r"\s*(?:[.,;:)!?]|$|(?:and|or|but|which|while|during|when|at|in|on|for|around|over)\b)"  # no noun of its own
)
_PEAK_BETWEEN = re.compile(
    r"\b(?:peak\w*|max(?:imum)?|up to|reach\w*|top(?:s|ping)?|spik\w*|burst\w*|ris\w* to|grow\w* to)\b", re.I
)


def _elided_units(mentions: Iterator[Mention]) -> Iterator[Mention]:
    last_rate = None
    for mention in mentions:
        if mention.kind == "rate":
            last_rate = mention
        elif (
            mention.kind == "count"
            and last_rate is not None
            and _NOTHING_AFTER.match(mention.sentence, mention.end)
            and _PEAK_BETWEEN.search(mention.sentence, last_rate.end, mention.start)
        ):
            rate_text = last_rate.sentence[last_rate.start : last_rate.end].strip()
            mention.value /= last_rate.per_seconds
            mention.kind, mention.unit, mention.per_seconds = "rate", last_rate.unit, last_rate.per_seconds
            mention.notes = [*mention.notes, f'read in the unit of "{rate_text}" before it']
        yield mention


# "from 1.3B up to 66B", "the 8B, 34B and 120B variants", "10-40 TB": one quantity, several values
_JOINED = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|(?:and|or|(?:and\s+)?up\s+to|to|through)\s+|[-\u2013\u2014/]\s*)")


MAX_CHAIN = 8  # a range or list holds a few values; a longer run is a table, read value by value


def _ranges(mentions: Iterator[Mention]) -> Iterator[Mention]:
    """Each range or list of one kind of quantity becomes its largest value, with a note: the design
    must carry the largest model, dataset or load it names. Counts join only when each has a size
    suffix ("8B, 34B"): "8 nodes and 16 GPUs" are two quantities. Durations are left alone."""
    chain: list[Mention] = []
    for mention in mentions:
        if chain and len(chain) < MAX_CHAIN and _joins(chain[-1], mention):
            chain.append(mention)
            continue
        yield from _largest(chain)
        chain = [mention]
    yield from _largest(chain)


_NOUN = re.compile(r"\s*([A-Za-z]+)")


def _joins(first: Mention, second: Mention) -> bool:
    if first.kind != second.kind or first.kind in ("time", "percent") or first.sentence is not second.sentence:
        return False
    gap = first.sentence[first.end : second.start]
    if first.kind == "count" and (first.bare or second.bare):
        # bare counts join only around one noun: "from 8 GPUs to 512 GPUs", "from 8 to 512 GPUs"
        noun = _NOUN.match(second.sentence, second.end)
        ahead = _NOUN.match(gap)
        if noun and ahead and ahead.group(1).lower() == noun.group(1).lower():
            gap = gap[ahead.end() :]
        elif re.fullmatch(r"\s*[-\u2013]\s*", gap) and noun:
            pass  # "4-6 agent turns", "3–5 replicas": a dash between two counts of one noun is a range
        elif not re.search(r"\b(?:from|between)\s+$", first.before(12)):
            return False
    return _JOINED.fullmatch(gap) is not None


def _largest(chain: list[Mention]) -> list[Mention]:
    if len(chain) > 1:
        top = max(chain, key=lambda m: m.value)
        listed = ", ".join(m.sentence[m.start : m.end].strip() for m in chain)
        largest = top.sentence[top.start : top.end].strip()
        note = f"a range or list ({listed}): the design must carry the largest, {largest}"
        for m in chain:
            m.value, m.notes = top.value, [*m.notes, note]
    return chain


def _mention(match: re.Match, sentence: str, quote: str, notes: list, written: set[str]) -> Mention:
    number = match.group(1)
    too_long = _unreadable_length(number)
    value = float("inf") if too_long else float(number.replace(",", ""))
    guessed = [note for digits, note in notes if number == digits and digits not in quote]
    end = match.end()
    rest = sentence[end : end + _AFTER_WINDOW]
    tail = rest.lstrip(" -")
    per_device = _PER_DEVICE_TIME.match(tail)  # "50,000 GPU-hours": a duration, not 50,000 GPUs
    if per_device:
        tail = tail[per_device.end() :]
    skip = len(rest) - len(tail)
    data = DATA_UNIT.match(tail)
    if data and data.group("oprefix") and tail is not rest:
        data = None  # octets only glued to their number ("320Go"): "Step 3 Go to", "5 To 10 files" are words
    time = TIME_UNIT.match(tail)
    if data:
        unit, is_rate = data_unit_to_pint(data)
        if not is_rate and unit.endswith("bit") and _STORED_AFTER.match(tail, data.end()):
            # "7.68 Tb of memory", "a 16Gb RAM box": a store is sized in bytes, whatever letter was typed
            unit = unit[:-3] + "byte"
            guessed = [*guessed, f'"{data.group()}" of memory or storage read as {unit}s']
        kind = "bandwidth" if is_rate else "bytes"
        value = convert(value, unit + ("/second" if is_rate else ""), "byte/second" if is_rate else "byte")
        mention = Mention(
            value,
            kind,
            "byte/s" if is_rate else "byte",
            match.start(),
            end + skip + data.end(),
            sentence,
            quote,
            guessed,
        )
    elif time:
        value = convert(value, time_unit_to_pint(time.group("unit")), "millisecond")
        mention = Mention(value, "time", "ms", match.start(), end + skip + time.end(), sentence, quote, guessed)
    elif tail.startswith("%") or _PERCENT_RANGE_TAIL.match(rest.lstrip(" ")):  # "47-48%": a percentage too
        mention = Mention(value, "percent", "%", match.start(), end + skip + 1, sentence, quote, guessed)
    else:
        mention = _count_or_rate(match, value, sentence, quote, guessed, written)
        foreign = _NON_ASCII_WORD.match(rest.lstrip(" "))
        mention.unit_word = foreign.group(0) if foreign else None
    mention.negative = _NEGATIVE.search(sentence, max(0, match.start() - _BEFORE_WINDOW), match.start()) is not None
    mention.written = value if too_long else float(number.replace(",", ""))
    mention.unreadable = too_long
    return mention


def _count_or_rate(
    match: re.Match, value: float, sentence: str, quote: str, guessed: list, written: set[str]
) -> Mention:
    """A number with no unit of measure: a count ("8 GPUs", "70B"), or a rate when a time follows."""
    end = match.end()
    suffix = _SUFFIX.match(sentence, end, end + _AFTER_WINDOW)
    if suffix:
        value *= _SUFFIX_VALUE[suffix.group(1)]
        end = suffix.end()
    experts = _EXPERTS.match(sentence, end) if not suffix else None
    if experts:  # "Mixtral-8x7B": eight experts of 7B each
        guessed = [
            *guessed,
            f"{sentence[match.start() : experts.end()]} read as {value:g} x {experts.group(1)}"
            f"{experts.group(2)} parameters (shared layers make the true total smaller)",
        ]
        value *= float(experts.group(1)) * _SUFFIX_VALUE[experts.group(2)]
        end = experts.end()
    mention = Mention(value, "count", "", match.start(), end, sentence, quote, guessed)
    mention.bare = not suffix and not experts and match.group(1) in written
    rate = _RATE_TAIL.match(sentence[end : end + _AFTER_WINDOW])
    between = sentence[end : end + rate.end()] if rate else ""
    if rate and not cues.PER_ITEM_NOT_RATE.search(between) and not _COMPUTE_RATE.search(between):
        per = (rate.group("per") or _ADVERB_PER.get((rate.group("adverb") or "").lower()) or "s").lower()
        mention.per_seconds = _PER_SECONDS.get(per, 1)
        mention.value = value / mention.per_seconds
        mention.kind, mention.unit = "rate", "1/s"
        mention.end = end + rate.end()
    return mention


def _set(
    facts: SystemFacts, name: str, value, unit: str, mention: Mention | None = None, quote: str | None = None
) -> None:
    """Record a value unless an earlier, equally direct statement already set it."""
    current = getattr(facts, name)
    if current.known and not current.assumed:
        return
    note = "; ".join(mention.notes) if mention and mention.notes else None
    text = quote if quote is not None else (mention.quote if mention else None)
    setattr(facts, name, Fact(value=value, unit=unit, quote=text, assumed=bool(note), assumption=note))


_DATA_AFTER = re.compile(r"\s*(?:datasets?|corpus|corpora|data|tokens?|documents?|pages?)\b", re.I)


def _size_in_name(mention: Mention) -> bool:
    """A model's size inside its name ("BLOOM-176B"); a dataset named by its size ("RedPajama-1T dataset") is not."""
    return (
        not mention.bare
        and mention.value >= 1e6
        and bool(_NAME_BEFORE.search(mention.sentence, 0, mention.start))
        and not _DATA_AFTER.match(mention.sentence, mention.end)
    )


_RATE_RANGE_LOW_END = re.compile(r"^\s*[-\u2013]\s*~?\d[\d,.]*\s*[kKmM]?\s+[a-z][\w\s-]{0,30}?/\s*(s|sec|min|h)\b")
_FITS_AFTER = re.compile(
    r"^\s*(per (gpu|device|card|node|rank)\b)?\s*,?\s*(and |which |so it |that )?(still |easily |comfortably |just )?"
    r"fits?\b",
    re.I,
)


def per_item(mention: Mention) -> str | None:
    """The item a rate is one of ("host" in "each host emits ~300 lines/s, ~900 during incidents"), or None."""
    if mention.kind != "rate":
        return None
    if after := cues.PER_ITEM_AFTER.match(mention.sentence, mention.end):  # "1 frame per second per stream"
        return after.group("item").lower()
    found = cues.PER_ITEM_CLAUSE.search(mention.sentence[: mention.start])
    if not found or cues.TOTAL_BEFORE.search(mention.sentence, found.end(), mention.start):
        return None
    return None if cues.TOTAL_AFTER.search(mention.sentence[mention.end :]) else found.group("item").lower()


def _load_of_items(facts: SystemFacts, rates: list[Mention], sentences: list[str]) -> None:
    """A per-item rate times the count of those items the text states elsewhere is the load ("45,000 hosts" and "each
    host emits ~900 lines/s": 40.5M lines/s), said so; the largest rate of one item is what the load must carry."""
    if not rates or (facts.request_rate.known and not facts.request_rate.assumed):
        return
    rate = max(rates, key=lambda m: m.value)
    item = per_item(rate)
    stem = re.escape(item[:-1] if item.endswith("s") else item)
    counts_them = re.compile(rf"\W{{0,2}}\s*(\w+\s)?{stem}s?\b", re.I)  # "45,000 hosts", "12,000 delivery vans"
    counts = [
        (m.value, sentence)
        for sentence in sentences
        for m in find_mentions(sentence)
        if m.kind == "count" and m.value >= 2 and counts_them.match(m.sentence, m.end)
    ]
    users = facts.num("concurrent_users")
    if not counts and users and re.fullmatch(quantities.AT_ONCE_NOUNS, item):  # "per stream" x the streams served
        counts = [(users, facts.concurrent_users.quote or rate.quote)]
    if not counts:
        return
    count, said = max(counts, key=lambda c: c[0])
    facts.request_rate = Fact(
        value=count * rate.value,
        unit="1/s",
        quote=f"{said} ... {rate.quote}" if said != rate.quote else said,
        assumed=True,
        assumption=f"the load is {count:,.0f} {item}s x {rate.text()} each",
    )


_RANGE_HEAD = re.compile(r"~?\d[\d,.]*\s*(?:[-\u2013]|to)\s*$")  # "60-" or "60 to" before a range's high end


def classify(mention: Mention) -> str | None:
    """Which SystemFacts field a number measures, from its unit and the nearest cue words."""
    before, after = mention.before(), mention.after()
    if mention.kind == "bandwidth":
        return cues.nearest_field(before, after, cues.BANDWIDTH_CUES, default="bandwidth", before_window=70)
    if mention.kind == "bytes":
        if _PER_NODE_AFTER.match(after):
            return None  # "640GB per node": a node's memory, not one device's nor the data
        if _PER_PARAM_AFTER.match(after):
            return None
        # a size no such thing has is not it ("240 TB in total" is no model's weights)
        sizes = {
            name: c
            for name, c in cues.BYTES_CUES.items()
            if name not in cues.BYTES_RANGE or cues.BYTES_RANGE[name][0] <= mention.value <= cues.BYTES_RANGE[name][1]
        }
        if _FITS_AFTER.match(after):  # "is 16 GB and fits in one H100's 80 GB": what fits, not the device's memory
            sizes.pop("gpu_memory", None)
            return cues.nearest_field(before, after, sizes, default=None)
        return cues.nearest_field(before, after, sizes, default="data_size")
    if mention.kind == "time":
        return cues.classify_time(mention.value, before, after)
    if mention.kind == "rate":
        # one machine's measured capacity, not the load (the words before a range's low end, "sustains 60-80/s")
        if cues.MACHINE_RATE_BEFORE.search(_RANGE_HEAD.sub("", before)):
            return None if cues.TOKEN_RATE.search(mention.sentence[mention.start : mention.end]) else "machine_rate"
        if cues.PER_ITEM_BEFORE.search(before) or per_item(mention):
            return None  # "each car sends 1 event per second" is a per-item rate, not the load
        return "token_rate" if cues.TOKEN_RATE.search(mention.sentence[mention.start : mention.end]) else "request_rate"
    if mention.kind == "percent":
        return cues.nearest_field(before, cues.own_phrase(after), cues.PERCENT_CUES, default=None)
    if mention.kind == "count":
        if _RATE_RANGE_LOW_END.match(after):
            return None  # "60-80 agent turns/s": the low end of a rate, read with its high end
        if _size_in_name(mention):
            return "model_params"  # "BLOOM-176B", "Falcon-40B": the size inside a model's name
        length = cues.token_length(before, after)
        if length == "limit":
            return None  # "a context window of 128k tokens": what the model accepts, not what a request sends
        if length and cues.count_in_range(length, mention.value):
            return length
        name = cues.nearest_field(before, cues.own_phrase(after), cues.COUNT_CUES, default=None, value=mention.value)
        if name is None and cues.EACH_AN_AGENT.search(after):
            return "agents"  # "5,000 characters, and every one of them is an autonomous agent"
        return name
    return None


def _sentences_outside_fake_messages(text: str, ignored: list[str]) -> list[str]:
    """The sentences of `text`, less any fake message: a line opening with a role header
    ("SYSTEM:", "<|im_start|>system", "[INST]") or like the review itself ("**Verdict:**") and
    every line after it up to the next blank line. The fake message is added to `ignored` whole,
    and so is text the rendered page never shows (an HTML comment, front matter, ...)."""
    text, hidden = reviewer_address.cut_hidden(text)
    ignored.extend(hidden)
    text, inline = cues.cut_inline_messages(text)
    ignored.extend(inline)
    kept_lines: list[str] = []
    message: list[str] = []
    for line in text.split("\n"):
        if cues.opens_fake_message(line):
            if message:
                ignored.append(" ".join(message))
            message = [line.strip()]
        elif message and line.strip():
            message.append(line.strip())
        else:
            if message:
                ignored.append(" ".join(message))
                message = []
            kept_lines.append(line)
    if message:
        ignored.append(" ".join(message))
    return split_sentences("\n".join(kept_lines))


@dataclass
class _Candidate:
    value: float  # in the field's stored unit
    unit: str
    mention: Mention
    percentile: str | None


@dataclass
class _Notes:
    """What the reader refused to read or had to choose, per field, for the assumptions list."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    if_unread: set[str] = field(default_factory=set)  # notes dropped when their field is read after all
    candidates: dict[str, list[_Candidate]] = field(default_factory=dict)

    def add(self, name: str, note: str, only_if_unread: bool = False) -> None:
        """`only_if_unread`: a note about another number that might have been this field ("10 messages" with no
        time unit), kept only when the field is read from nothing else."""
        name = "workers" if name == "devices_per_node" else field_of(name)  # a node's devices are the fleet's
        if note not in self.by_field.setdefault(name, []):
            self.by_field[name].append(note)
        if only_if_unread:
            self.if_unread.add(note)

    def usable(self, mention: Mention, name: str | None) -> bool:
        """False for a number that must not be read; says why when the writer plainly meant a field."""
        # The field the cue words point to before range checks: "1e12 GPUs" meant workers, even
        # though only the token count's range admits the number.
        meant = (
            cues.field_ignoring_range(mention.kind, mention.value, mention.before(), mention.after())
            if mention.kind in ("count", "time") and not (mention.kind == "count" and _size_in_name(mention))
            else None
        ) or name
        if (mention.unreadable or mention.unit_word) and self._unreadable(mention, meant):
            return False
        if meant and mention.negative:
            self.add(
                meant,
                f'the text gives a negative value ("{mention.text()}"), which no quantity here can have: not read',
            )
            return False
        if meant and cues.absurd(meant, mention.kind, mention.value):
            self.add(meant, f'the text gives "{mention.text()}", beyond any real system: not read')
            return False
        bare = (
            cues.unitless_field(mention.value, mention.before(), mention.after())
            if mention.kind == "count" and mention.bare
            else None
        )
        # A bare number right after "latency of" / "SLO is" is a duration without its unit, even when
        # a count word further on ("... 20 and makes 6 lookups") would otherwise claim it.
        if bare and (name is None or not re.search(r"[,;:()\[\]]", mention.before(int(bare[2]) + 2))):
            what, hint, _ = bare
            number = mention.sentence[mention.start : mention.end]
            lead = " ".join(mention.before(40).split()[-3:])
            self.add(what, f'"{lead} {number}" has no unit: not read (write e.g. "{number}{hint}")')
            return False
        if name is not None:
            return True
        if mention.kind == "count" and mention.bare and cues.rate_without_time(mention.after()):
            self.add(
                "request_rate",
                f'"{mention.text()}" gives no time unit (per second? per day?): not read as a rate',
                only_if_unread=True,
            )
        return False

    def _unreadable(self, mention: Mention, meant: str | None) -> bool:
        """True for a number that cannot be read: too long to be a quantity, or followed by a word in
        another script where a duration or a size belongs ("a latency of 20 \u043c\u0441"). Listed under
        the field its words point to; with none, it is as unread as any number no cue claims."""
        if mention.unreadable:
            if meant:
                self.add(
                    meant,
                    f'the text gives {mention.unreadable} ("{mention.text()}"), longer than any real '
                    "quantity: not read",
                )
            return True
        unitless = cues.unitless_field(mention.value, mention.before(), "") if mention.kind == "count" else None
        if not unitless:
            return False
        what, hint, _ = unitless
        number = mention.sentence[mention.start : mention.end]
        lead = " ".join(mention.before(40).split()[-3:])
        self.add(
            what,
            f'"{lead} {number} {mention.unit_word}": "{mention.unit_word}" is no unit the reader knows: '
            f'not read (write e.g. "{number}{hint}")',
        )
        return True

    def over_cap(self, unread: list[Mention], total: int) -> None:
        """The note for numbers past MAX_MENTIONS, under the field the first of them that has one
        would have set (else the field its kind of quantity usually is)."""
        if not unread:
            return
        first = unread[0]
        named = next((n for m in unread[:_LOOKAHEAD] if (n := classify(m))), None)
        name = named or _FIELD_OF_KIND.get(first.kind, "request_rate")
        self.add(
            name,
            f"the description states {total:,} numbers; only the first {MAX_MENTIONS:,} are read, "
            f'from "{first.text()}" on they are not',
        )

    def candidate(self, name: str, value: float, unit: str, mention: Mention, percentile: str | None) -> None:
        self.candidates.setdefault(name, []).append(_Candidate(value, unit, mention, percentile))

    def resolve_conflicts(self, facts: SystemFacts) -> None:
        """Two different values for one quantity, neither qualified ("peak", "today", "p50"):
        use the reading that makes the design harder, and say so."""
        for name, found in self.candidates.items():
            plain = [c for c in found if not cues.QUALIFIED.search(c.mention.before(40) + " " + c.mention.after(40))]
            distinct = _distinct(plain)
            if name == "slo":  # a p50 and a p99 target are two targets, not a contradiction
                labels = {c.percentile for c in distinct if c.percentile}
                if len(labels) > 1:
                    continue
            if len(distinct) < 2:
                continue
            if name == "mtbf" and self._device_and_fleet(facts, distinct):
                continue
            label, pick = cues.CONFLICTS[name]
            chosen = (min if pick == "min" else max)(distinct, key=lambda c: c.value)
            word = cues.CONFLICT_WORDS.get((name, pick), "larger" if pick == "max" else "smaller")
            listed = _listed(distinct)
            note = (
                f"{_count_word(len(distinct))} different {label} stated: {listed}; using the {word} "
                f"{chosen.mention.text()}"
            )
            setattr(
                facts,
                name,
                Fact(value=chosen.value, unit=chosen.unit, quote=chosen.mention.quote, assumed=True, assumption=note),
            )

    @staticmethod
    def _device_and_fleet(facts: SystemFacts, distinct: list) -> bool:
        """ "each GPU fails once per 20,000 hours, so across 8,192 of them something dies every
        2.4 h": one MTBF is the other divided by the workers, no contradiction. The scoring tool
        wants the device's (it divides by the fleet itself), so that one is kept, as read."""
        workers = facts.num("workers")
        if len(distinct) != 2 or not workers or workers < 2:
            return False
        device, fleet = sorted(distinct, key=lambda c: c.value, reverse=True)
        if abs(device.value / workers - fleet.value) > 0.1 * fleet.value:
            return False
        facts.mtbf = Fact(value=device.value, unit=device.unit, quote=device.mention.quote)
        return True

    def attach(self, facts: SystemFacts) -> None:
        """Each note joins its field's assumption; a field left unread keeps only the note,
        which `assume.complete` extends with the value it assumes instead."""
        for name, found in self.by_field.items():
            fact = getattr(facts, name)
            if fact.value is not None:
                found = [note for note in found if note not in self.if_unread]
            if not found:
                continue
            text = "; ".join(found)
            if fact.value is None:
                setattr(facts, name, Fact(assumed=True, assumption=text))
            else:
                stated = f"using the stated {fact.value:g} {_CANONICAL.get(fact.unit, fact.unit)}".strip()
                setattr(
                    facts,
                    name,
                    fact.model_copy(
                        update={
                            "assumed": True,
                            "assumption": "; ".join(
                                p for p in (fact.assumption, text, stated if not fact.assumed else None) if p
                            ),
                        }
                    ),
                )


def _distinct(found: list[_Candidate]) -> list[_Candidate]:
    """The candidates in order, less any within 1% of one kept before it. Kept values are held
    sorted: for values >= 0, a value within 1% of any kept one is within 1% of a sorted neighbour,
    so each candidate costs a bisection instead of a pass over all kept."""
    if any(c.value < 0 for c in found):
        return [c for i, c in enumerate(found) if all(_apart(c.value, d.value) for d in found[:i])]
    distinct: list[_Candidate] = []
    kept: list[float] = []
    for c in found:
        at = bisect_left(kept, c.value)
        if all(_apart(c.value, kept[i]) for i in (at - 1, at) if 0 <= i < len(kept)):
            distinct.append(c)
            kept.insert(at, c.value)
    return distinct


def _apart(a: float, b: float) -> bool:
    return abs(a - b) > 0.01 * max(abs(a), abs(b))


def _listed(distinct: list[_Candidate], most: int = 4) -> str:
    """The values stated, joined; past `most` the rest are counted (a note stays one line)."""
    shown = " and ".join(c.mention.text() for c in distinct[:most])
    return shown if len(distinct) <= most else f"{shown} and {len(distinct) - most:,} more"


def _count_word(n: int) -> str:
    return {2: "two", 3: "three", 4: "four"}.get(n, str(n))


def read_sentences(description: str) -> tuple[list[str], list[str], list[str]]:
    """(the sentences the reader reads, the text it sets aside as aimed at the reviewer, the sections
    it sets aside as outside the design): hidden text, fake messages, text aimed at the reviewer and
    sentences in another language are set aside, each listed once; tables are read row by row."""
    kept: list[str] = []
    ignored: list[str] = []
    text, code = layout.cut_code_blocks(clean(description))
    text, out_of_scope = layout.cut_out_of_scope(layout.tables_as_sentences(text))
    for sentence in _sentences_outside_fake_messages(text, ignored):
        if cues.is_instruction(sentence):
            ignored.append(sentence)
        elif language := reviewer_address.other_language(sentence):  # an English reader cannot check it
            ignored.append(f"(in {language}: not read) {sentence}")
        else:
            kept.append(sentence)
    return kept, ignored, code + out_of_scope


def extract(description: str) -> SystemFacts:
    """Deterministic extraction. Silent quantities stay unknown here; `assume` fills them."""
    facts = SystemFacts()
    notes = _Notes()
    kept, facts.ignored_instructions, facts.set_aside = read_sentences(description)

    workers_are_nodes = False
    fleets: dict[str, fleet.Fleet] = {}  # per sentence, read once
    skipped: dict[str, list[tuple[int, int]]] = {}  # per sentence: the fleet's numbers and device names' digits
    measured: list[str] = []  # said only when no target is stated
    item_rates: list[Mention] = []  # rates of one item each ("each host emits ..."), multiplied by their count below
    for mention in _mentions_within_cap(kept, notes):
        quote = mention.quote
        if quote not in fleets:  # once per sentence: a long one has many numbers
            fleets[quote] = fleet.read(mention.sentence)
            skipped[quote] = fleets[quote].spans + fleet.name_digits(mention.sentence)
        if _inside(mention, skipped[quote]):
            continue  # a fleet's number, read below, or a digit of a device's name ("RTX 4090")
        name = classify(mention)
        if name is None and per_item(mention):
            item_rates.append(mention)
        if not notes.usable(mention, name):
            if name is None and mention.kind != "percent" and len(facts.unread_numbers) < MAX_UNREAD:
                facts.unread_numbers.append(f'"{mention.text()}" in "{_clipped(quote)}"')
            continue
        if name == "slo" and (
            _PER_CALL.search(re.split(r"[(;]", mention.before(80))[-1])
            or _PER_CALL_AFTER.match(mention.after())  # "measured 1.5-2.0 s per turn end to end"
        ):
            name = "hop_latency"  # "(~1.2 s median per call, p95 3 s)": one call's latency, not the answer's budget
        if name == "slo" and cues.MATTERS_TO_NO_ONE.search(mention.before(80)):
            measured.append(f'"{mention.text()}" is said to matter to no one: not read as the latency budget')
            continue
        if name == "slo" and cues.measured_not_target(mention.before(80)):
            measured.append(f'"{mention.text()}" is a measured result, not a target: not read as the latency budget')
            continue
        value, unit = mention.value, mention.unit
        pct = cues.percentile(mention.before(90) + mention.after(30)) if name == "slo" else None
        if pct:
            _set(facts, "slo_percentile", pct, "", mention)
        if name in ("link_latency", "step_compute", "checkpoint_write", "deadline", "round_period", "round_compute"):
            value, unit = value / 1000.0, "s"
        if name == "mtbf":
            value, unit = value / 3.6e6, "h"
        if name == "devices_per_node":
            _set(facts, "devices_per_node", value, "", mention)
            nodes = facts.num("workers")
            if nodes is not None and workers_are_nodes:
                joined = facts.workers.quote if facts.workers.quote == quote else f"{facts.workers.quote} {quote}"
                facts.workers = Fact(value=nodes * value, unit="", quote=joined)
                workers_are_nodes = False  # now a count of devices
            continue
        if name == "data_size" and cues.UNUSED.search(mention.sentence, mention.end, mention.end + _AFTER_WINDOW):
            continue
        if name == "request_rate" and (each := cues.EACH_OF_N.search(mention.before())):
            count = float(each.group(1).replace(",", ""))
            value *= count
            mention.notes = [*mention.notes, f"the load is {count:g} x the rate each one sends ({mention.text()})"]
        if (
            name in cues.CONFLICTS
            and not mention.notes
            and not (name in _PER_ITEM_FIELDS and cues.PER_ITEM_WORD.search(mention.before(40)))
        ):
            notes.candidate(name, value, unit, mention, pct)
        if name in _LARGEST_WINS and facts.num(name) is not None and not getattr(facts, name).assumed:
            if value > facts.num(name):  # the peak rate and the largest dataset are what ceilings see
                setattr(facts, name, Fact(value=value, unit=unit, quote=mention.quote))
            continue
        if name == "mfu_percent":
            name, value, unit = "mfu", value / 100.0, ""  # a share is kept as a fraction
        if name == "model_weights":
            name, value, unit = "model_params", value / 2.0, ""
            mention.notes = [*mention.notes, "parameters from the weights' size at 2 bytes per parameter"]
        if name in ("model_params", "tokens") and value < 1e5:
            continue  # "a 7 model" is not a parameter count
        if name in ("workers", "fanout", "parties", "agents") and value < 2:
            continue  # "fits one machine" describes the model, not the fleet
        if (
            name == "workers"
            and facts.num("workers") is not None
            and workers_are_nodes
            and value > facts.num("workers")
        ):
            if not cues.NODE_NOUN.search(mention.after()):  # "8 nodes x 8 H100 = 64 GPUs": the GPU total counts
                facts.workers = Fact(value=value, unit="", quote=mention.quote)
                workers_are_nodes = False
                continue
        if name == "workers" and facts.num("workers") is None:
            workers_are_nodes = bool(cues.NODE_NOUN.search(mention.after()))
        _set(facts, name, value, unit, mention)

    _set_fleet(facts, [(q, f) for q, f in fleets.items() if f.found], workers_are_nodes)
    _load_of_items(facts, item_rates, kept)
    for note in measured if not facts.slo.known else []:
        notes.add("slo", note)
    notes.resolve_conflicts(facts)
    notes.attach(facts)
    normalized = [normalize(s)[0] for s in kept]
    text = " ".join(normalized)
    _read_window(facts, kept)
    _extract_flags(facts, text, kept)
    step, workers = facts.num("step_compute"), facts.num("workers")
    if step and workers and cues.PER_WORKER.search(normalize(facts.step_compute.quote or "")[0]):
        facts.step_compute = facts.step_compute.model_copy(
            update={
                "value": step * workers,
                "assumed": True,
                "assumption": f"the step time is one worker's share; whole-step compute C = {step:g} s x {workers:g} "
                "workers",
            }
        )
    _node_mtbf_per_device(facts)
    _read_statements(facts, kept, normalized)
    _owners_without_a_count(facts, kept)
    nightly = _quote_for(cues.NIGHTLY, kept) if cues.affirmed(cues.NIGHTLY, text) else None
    if nightly and facts.num("deadline") is None and facts.text("workload") in ("data_pipeline", "training"):
        facts.deadline = Fact(
            value=8 * 3600.0, unit="s", quote=nightly, assumed=True, assumption='read "nightly" as an 8-hour window'
        )
    return facts


# the failure is a node's: "per node", "each node fails", "node MTBF" (not "a node of 8 GPUs; each GPU fails ...")
_PER_NODE_MTBF = re.compile(r"\b(per|each|every) (node|server|machine|host|box)\b|\bnode (mtbf|fail\w*)\b", re.I)


def _node_mtbf_per_device(facts: SystemFacts) -> None:
    """ "one interruption per node every 45 days": a node's MTBF; the failure tax wants one device's (it divides by
    the fleet's devices), so it is the node's times the devices in a node, said so."""
    per_node, mtbf = facts.num("devices_per_node"), facts.num("mtbf")
    if not (per_node and per_node > 1 and mtbf and facts.mtbf.quote and not facts.mtbf.assumed):
        return
    if _PER_NODE_MTBF.search(normalize(facts.mtbf.quote)[0]):
        facts.mtbf = facts.mtbf.model_copy(
            update={
                "value": mtbf * per_node,
                "assumed": True,
                "assumption": f"a node's MTBF ({mtbf:,.0f} h) x {per_node:g} devices per node",
            }
        )


def _owners_without_a_count(facts: SystemFacts, sentences: list[str]) -> None:
    """Data that may not be pooled, held by owners the text names in the plural and never counts ("one server and
    a number of clients", "enough clients have submitted"): at least two parties, said so."""
    if facts.flag("share_data") is not False or facts.parties.known:
        return
    for sentence in sentences:
        plural = next((m.group() for m in cues.OWNERS.finditer(sentence) if m.group().lower().endswith("s")), None)
        if plural:
            note = f'"{plural}" in the plural with no count: read as at least 2 parties'
            facts.parties = Fact(value=2.0, unit="", quote=sentence, assumed=True, assumption=note)
            return


# A job's window between two times of day ("must finish between 01:00 and 06:00", "runs from 10pm to 4am"): its
# length is the deadline; a window past midnight wraps. The clock times themselves are masked as no quantity.
_CLOCK = r"(?P<{h}>[01]?\d|2[0-3])(?::(?P<{m}>[0-5]\d))?\s*(?P<{p}>[ap]\.?m\.?)?"
_WINDOW_OF_DAY = re.compile(
    r"\b(?:between|from)\s+"
    + _CLOCK.format(h="h1", m="m1", p="p1")
    + r"\s*(?:and|to|until|till|-|\u2013)\s*"
    + _CLOCK.format(h="h2", m="m2", p="p2")
    + r"(?!\s*(?:%|ms|s\b|gb|tb|[a-z]+s\b))",
    re.I,
)
_WINDOW_WORD = re.compile(r"\b(window|finish\w*|complet\w*|done|run\w*|job|batch|must|overnight|nightly)\b", re.I)


def _clock_hours(hour: str, minute: str | None, half: str | None) -> float:
    h = int(hour) % 12 + (12 if half and half.lower().startswith("p") else 0) if half else int(hour)
    return h + int(minute or 0) / 60


def _read_window(facts: SystemFacts, sentences: list[str]) -> None:
    if facts.deadline.known and not facts.deadline.assumed:
        return
    for sentence in sentences:
        match = _WINDOW_OF_DAY.search(sentence)
        if not match or not _WINDOW_WORD.search(sentence) or not (":" in match.group() or match.group("p1")):
            continue  # "between 2 and 4" is no clock: a colon or an am/pm says it is
        start = _clock_hours(match.group("h1"), match.group("m1"), match.group("p1"))
        end = _clock_hours(match.group("h2"), match.group("m2"), match.group("p2") or match.group("p1"))
        hours = (end - start) % 24 or 24
        facts.deadline = Fact(value=hours * 3600.0, unit="s", quote=sentence)
        return


def _read_statements(facts: SystemFacts, sentences: list[str], normalized: list[str]) -> None:
    """What the text states in words, set only where the rules read nothing: a ceiling by grammar
    (stated_ceilings.py), trust boundaries and agents by similarity to prototypes (statements.py).
    `normalized`: the sentences as normalize() gives them, in the same order."""
    from ceiling.agents.reading import statements

    for sentence, plain in zip(sentences, normalized, strict=True):
        if ceiling := stated_ceilings.stated_ceiling(plain):
            facts.stated_ceiling = Fact(value=ceiling, unit="", quote=sentence)
            break

    for found in statements.match(sentences):
        note = f'{found.reading.why}: "{found.sentence}" is {found.similarity:.2f} similar to "{found.prototype}"'
        for name, value in found.reading.sets.items():
            if not getattr(facts, name).known:
                setattr(facts, name, Fact(value=value, unit="", quote=found.sentence, assumed=True, assumption=note))


MAX_UNREAD = 12  # listed in the review; past this the text is a table of results, not a design


def _clipped(sentence: str, most: int = 120) -> str:
    return sentence if len(sentence) <= most else sentence[: most - 3].rstrip() + "..."


def _inside(mention: Mention, spans: list[tuple[int, int]]) -> bool:
    return any(start <= mention.start < end for start, end in spans)


def _set_fleet(facts: SystemFacts, found: list[tuple[str, fleet.Fleet]], workers_are_nodes: bool) -> None:
    """The fleet the design states: its device count is the workers (over a count of nodes read
    from the same sentence or a smaller one; a count of nodes times the devices of each), its
    devices per node, and one device's memory (as written, else from the device's name, said so)."""
    with_devices = [(q, f) for q, f in found if f.devices]
    # the first fleet stated: later ones are often a baseline's or a benchmark table's
    devices = with_devices[0] if with_devices else None
    if devices:
        quote, first = devices
        current = facts.workers
        counted_devices = current.quote != quote and (
            any(q == current.quote for q, _ in with_devices) or fleet.counts_accelerators(current.quote)
        )
        # accelerators named beat a generic count ("100 CPU instances" beside "64 V100 GPUs"), unless a
        # larger count of accelerators was read from another sentence
        if not current.known or not counted_devices or current.value <= first.devices:
            facts.workers = Fact(value=float(first.devices), unit="", quote=quote)
    per_node = next(((q, f) for q, f in found if f.per_node), None)
    if per_node and per_node[1].per_node >= 1:
        _set(facts, "devices_per_node", float(per_node[1].per_node), "", quote=per_node[0])
    per = facts.num("devices_per_node")
    if workers_are_nodes and per and not devices and facts.workers.quote != facts.devices_per_node.quote:
        nodes = facts.num("workers")
        facts.workers = Fact(
            value=nodes * per,
            unit="",
            quote=f"{facts.workers.quote} {facts.devices_per_node.quote}",
            assumed=True,
            assumption=f"{nodes:g} nodes x {per:g} devices each",
        )
    stated = next(((q, f) for q, f in found if f.memory_stated), None)
    named = next(((q, f) for q, f in found if f.memory), None)
    if stated:
        _set(facts, "gpu_memory", stated[1].memory, "byte", quote=stated[0])
    elif named and not facts.gpu_memory.known:
        quote, device = named
        facts.gpu_memory = Fact(
            value=device.memory,
            unit="byte",
            quote=quote,
            assumed=True,
            assumption=f"one {device.device.upper()} has {device.memory / fleet.GB:g} GB (from its name)",
        )


def _mentions_within_cap(sentences: list[str], notes: _Notes) -> Iterator[Mention]:
    """The numbers of `sentences` in order, at most MAX_MENTIONS of them: past the cap, the rest are
    counted (not read) and a note says so."""
    read = 0
    for index, quote in enumerate(sentences):
        mentions = _iter_mentions(quote)
        for here, mention in enumerate(mentions):
            if read == MAX_MENTIONS:
                unread = [mention, *islice(mentions, _LOOKAHEAD - 1)]
                later = sum(_count_numbers(q) for q in sentences[index + 1 :])
                notes.over_cap(unread, MAX_MENTIONS + _count_numbers(quote) - here + later)
                return
            read += 1
            yield mention


def _count_numbers(quote: str) -> int:
    return sum(1 for _ in _NUMBER.finditer(normalize(quote)[0]))


def _quote_for(pattern: re.Pattern, sentences: list[str]) -> str | None:
    return cues.first_sentence_matching([pattern], sentences)


def _extract_flags(facts: SystemFacts, text: str, sentences: list[str]) -> None:
    for name, value, pattern in cues.FLAG_PATTERNS:
        quote = _quote_for(pattern, sentences)
        if quote is not None and not getattr(facts, name).known:
            _set(facts, name, value, "", quote=quote)
    params = facts.num("model_params")
    if facts.flag("recommender") and (facts.flag("small_model") or (params is not None and params < LLM_PARAMS)):
        facts.recommender = Fact()  # it only tells a ranker from an LLM of the same size: said where it matters
    numbers = {
        "serving": ["request_rate", "slo", "concurrent_users", "fanout"],
        "training": ["tokens", "gradient_size", "step_compute", "checkpoint_write"],
    }
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
