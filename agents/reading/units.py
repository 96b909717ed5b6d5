"""Unit handling at the edge: people's spellings -> pint -> one canonical unit per field.

pint does the arithmetic (GB vs GiB, Gb/s vs GB/s, minutes vs ms); this module only maps
the spellings people write onto pint's names, because pint reads "Gb" as giga-barn.
"""

from __future__ import annotations

import re
from functools import lru_cache

_PREFIX = {
    "": "",
    "k": "kilo",
    "K": "kilo",
    "M": "mega",
    "G": "giga",
    "T": "tera",
    "P": "peta",
    "E": "exa",
    "Ki": "kibi",
    "Mi": "mebi",
    "Gi": "gibi",
    "Ti": "tebi",
    "Pi": "pebi",
}
_WORD_PREFIX = {
    "kilo": "kilo",
    "mega": "mega",
    "giga": "giga",
    "tera": "tera",
    "peta": "peta",
    "exa": "exa",
    "kibi": "kibi",
    "mebi": "mebi",
    "gibi": "gibi",
    "tebi": "tebi",
    "pebi": "pebi",
}

# Byte / bit sizes and rates: "40 TB", "1.5TiB", "400 Gb/s", "100 Gbps", "50 GB/s", "25 gigabits per second".
# A bare "B" after a number is read as billions ("70B model"), so abbreviations need a prefix.
DATA_UNIT = re.compile(
    r"(?P<prefix>Ki|Mi|Gi|Ti|Pi|[kKMGTPE])(?P<base>B|b|bit|bits|byte|bytes)"
    r"(?P<rate>\s*/\s*s(?:ec)?\b|ps\b|it/s\b)?(?![A-Za-z])"
    r"|(?P<bbase>bits|bytes)(?P<brate>\s*/\s*s(?:ec)?\b)?(?![A-Za-z])"
    r"|(?P<wprefix>kilo|mega|giga|tera|peta|exa|kibi|mebi|gibi|tebi|pebi)(?P<wbase>bytes?|bits?)"
    r"(?P<wrate>\s*(?:/\s*s|per\s+second|a\s+second))?"
    # octets, as French and other writers spell bytes: "320Go", "40 Go", "2 To"
    r"|(?P<oprefix>[KMGTP])o(?P<orate>/s)?(?![A-Za-z])",
)

TIME_WORDS = {
    "ns": "nanosecond",
    "nanosecond": "nanosecond",
    "nanoseconds": "nanosecond",
    "us": "microsecond",
    "µs": "microsecond",
    "μs": "microsecond",
    "usec": "microsecond",
    "microsecond": "microsecond",
    "microseconds": "microsecond",
    "ms": "millisecond",
    "msec": "millisecond",
    "msecs": "millisecond",
    "millisecond": "millisecond",
    "milliseconds": "millisecond",
    "millis": "millisecond",
    "s": "second",
    "sec": "second",
    "secs": "second",
    "second": "second",
    "seconds": "second",
    "min": "minute",
    "mins": "minute",
    "minute": "minute",
    "minutes": "minute",
    "h": "hour",
    "hr": "hour",
    "hrs": "hour",
    "hour": "hour",
    "hours": "hour",
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "year": "year",
    "years": "year",
}
TIME_UNIT = re.compile(
    r"(?P<unit>" + "|".join(sorted(map(re.escape, TIME_WORDS), key=len, reverse=True)) + r")(?![A-Za-z])"
)


@lru_cache(maxsize=1)
def registry():
    """One pint registry per process, its parsed definitions cached on disk by pint (flexcache): building it from
    the definitions costs ~0.3 s a process, loading the cache ~0.04 s. An unwritable home only loses the cache."""
    import pint

    from ceiling.corpus.embedding import ceiling_home

    try:
        return pint.UnitRegistry(cache_folder=ceiling_home() / "pint")
    except OSError:
        return pint.UnitRegistry()


@lru_cache(maxsize=4096)
def convert(value: float, unit: str, to: str) -> float:
    """Convert ``value unit`` to ``to`` with pint; units in pint spelling. Cached: a description
    repeats its numbers, and a pint conversion costs ~0.1 ms."""
    ureg = registry()
    return float(ureg.Quantity(value, unit).to(to).magnitude)


def compatible(unit: str, to: str) -> bool:
    """Whether ``unit`` converts to ``to`` (both in pint spelling)."""
    return bool(registry().Quantity(1.0, unit).is_compatible_with(to))


def data_unit_to_pint(match: re.Match) -> tuple[str, bool]:
    """(pint unit, is_rate) for a DATA_UNIT match; 'b' is a bit, 'B' a byte, as people mean them."""
    if match.group("wbase"):
        base = "bit" if match.group("wbase").startswith("bit") else "byte"
        return _WORD_PREFIX[match.group("wprefix")] + base, bool(match.group("wrate"))
    if match.group("oprefix"):
        return _PREFIX[match.group("oprefix")] + "byte", bool(match.group("orate"))
    if match.group("bbase"):
        return match.group("bbase").rstrip("s"), bool(match.group("brate"))
    base_text = match.group("base")
    base = "byte" if base_text in ("B", "byte", "bytes") else "bit"
    prefix = _PREFIX[match.group("prefix") or ""]
    return prefix + base, bool(match.group("rate"))


def time_unit_to_pint(word: str) -> str:
    return TIME_WORDS[word]
