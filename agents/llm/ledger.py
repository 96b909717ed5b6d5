"""The numbers ledger: every number an LLM writes must be one a tool produced (or the
description stated), allowing for the rounding it was printed with and the usual unit
rescalings (ms/s, GB/bytes, fractions/percent)."""

from __future__ import annotations

import math
import re

_NUMBER = re.compile(
    r"(?<![\w.])\d+(?:,\d{3})*(?:\.(\d+))?(?:[eE]([+-]?\d+))?(?![\w])"
)  # "8e+10": the facts table's form
_METRIC = (1.0, 1e-3, 1e3, 1e-6, 1e6, 1e-9, 1e9, 1e-12, 1e12)
_SCALES = _METRIC + (100.0, 0.01, 1 / 3600, 1 / 86400, 8.0, 1 / 8)  # a number written without a unit
# Small integers name stages, percentiles and sections; they are never claims to check.
FREE = {float(n) for n in range(0, 11)} | {50.0, 90.0, 95.0, 99.0, 99.9, 999.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8}


def _read(match: re.Match) -> tuple[float, int]:
    """A matched number and how many decimals it was printed with ("4e+08": -8)."""
    return float(match.group().replace(",", "")), len(match.group(1) or "") - int(match.group(2) or 0)


def numbers_in(value) -> list[float]:
    """All numbers inside a nested structure of dicts, lists, numbers and strings."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, str):
        return [_read(m)[0] for m in _NUMBER.finditer(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_in(v)]
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in numbers_in(v)]
    return numbers_in(str(value))


def _matches(number: float, decimals: int, allowed: float, scales: tuple[float, ...] = _SCALES) -> bool:
    """`number`, printed with `decimals` digits, is `allowed` in some unit, rounded or within 1%."""
    if not math.isfinite(allowed):  # an infinite break-even is "never", not every number at once
        return False
    half_unit = 0.5 * 10 ** (-decimals)
    for scale in scales:
        target = allowed * scale
        if target and (abs(number - target) <= half_unit + 1e-12 or abs(number - target) <= 0.01 * abs(target)):
            return True
    return False


def unsupported(text: str, allowed: list[float], free: frozenset[float] | set[float] = FREE) -> list[float]:
    """Numbers in `text` that match no allowed number (`free` ones are never claims). A number
    written with a unit is matched only at that unit's rescalings: "1.3194 TB" is not 131.94 TB
    as a percentage."""
    pool = [a for a in allowed if a]
    out = []
    for match in _NUMBER.finditer(text):
        number, decimals = _read(match)
        unit = _UNIT_AFTER.match(text, match.end())
        scales = _KIND_SCALES.get(kind_of(unit.group(1)) if unit else None, _SCALES)
        if number not in free and not any(_matches(number, decimals, a, scales) for a in pool):
            out.append(number)
    return out


# What kind of quantity a unit names. A number a tool produced as milliseconds is not a claim
# about bytes: "2.4 bytes" for a 2.4 ms tax is a wrong number, whatever its digits.
_KINDS = [
    (r"[KMGTP]i?B/s|[KMGT]b/s|[KMGTP]i?Bps|Gbps|Mbps", "bandwidth"),
    (r"req(?:uest)?s?/s|requests? (?:per|a|each) second|rps|qps|tokens?/s|/s|1/s", "rate"),
    (r"[KMGTP]i?B|bytes?|byte", "bytes"),
    (r"µs|us|ms|milliseconds?|microseconds?|s|secs?|seconds?|min|minutes?|h|hrs?|hours?|days?", "time"),
    (r"%|percent", "fraction"),
]
_BITS = tuple(m * b for m in _METRIC for b in (1.0, 8.0, 1 / 8))  # "10 Gb/s" is 1.25e9 bytes/s
_KIND_SCALES = {
    "bytes": _BITS,
    "bandwidth": _BITS,
    "rate": _METRIC,
    "time": _METRIC + (1 / 3600, 1 / 86400, 3600.0, 86400.0),
    "fraction": (1.0, 100.0, 0.01),
}
_UNIT_AFTER = re.compile(r"\s?(" + "|".join(f"(?:{p})" for p, _ in _KINDS) + r")(?![\w/])", re.I)
# A key's unit suffix, longest first: "bandwidth_bytes_per_s" is a bandwidth, "service_per_s" a
# rate, "decode_time_per_token_s" a time.
_KEY_KINDS = (
    ("_bytes_per_s", "bandwidth"),
    ("_per_s", "rate"),
    ("_ms", "time"),
    ("_s", "time"),
    ("_h", "time"),
    ("_bytes", "bytes"),
    ("_gb", "bytes"),
    ("_tb", "bytes"),
)
_FACT_UNITS = {
    "ms": "time",
    "s": "time",
    "h": "time",
    "byte": "bytes",
    "1/s": "rate",
    "byte/s": "bandwidth",
    "GB/s": "bandwidth",
}


# Keys whose number is in the unit its dict names (a Fact's value, a pressure's need, a break-even).
_VALUE_KEYS = {"value", "need", "capacity", "current", "flips_at"}


def _key_kind(key: str, unit_kind: str | None) -> str | None:
    if key in _VALUE_KEYS:
        return unit_kind
    return next((kind for suffix, kind in _KEY_KINDS if key.lower().endswith(suffix)), None)


def kind_of(unit: str) -> str | None:
    for pattern, kind in _KINDS:
        if re.fullmatch(pattern, unit.strip(), re.I):
            return kind
    return None


def quantities_in(value, kind: str | None = None) -> list[tuple[float, str | None]]:
    """(number, kind of its unit or None) for every number in a nested structure: from a unit
    written after it in text, a key's unit suffix (`budget_left_ms`) or a fact's `unit`."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (int, float)):
        return [(float(value), kind)]
    if isinstance(value, str):
        out = []
        for match in _NUMBER.finditer(value):
            unit = _UNIT_AFTER.match(value, match.end())
            out.append((_read(match)[0], kind_of(unit.group(1)) if unit else None))
        return out
    if isinstance(value, dict):
        unit = value.get("unit")
        unit_kind = (_FACT_UNITS.get(unit) or kind_of(unit)) if isinstance(unit, str) and unit else None
        return [q for key, v in value.items() for q in quantities_in(v, _key_kind(str(key), unit_kind))]
    if isinstance(value, (list, tuple)):
        return [q for v in value for q in quantities_in(v)]
    return quantities_in(str(value))


def wrong_units(text: str, allowed: list[tuple[float, str | None]]) -> list[str]:
    """ "<number> <unit>" in `text` whose number is allowed only as quantities of another kind."""
    out = []
    for match in _NUMBER.finditer(text):
        unit = _UNIT_AFTER.match(text, match.end())
        kind = kind_of(unit.group(1)) if unit else None
        if kind is None:
            continue
        number, decimals = _read(match)
        # The same number as produced decides its kind; a rescaled match ("9.2 ms" as 0.0092 s,
        # or a unitless 9248 somewhere) counts only when nothing produced that very number.
        kinds = {k for a, k in allowed if a and _matches(number, decimals, a, (1.0,))} or {
            k for a, k in allowed if a and _matches(number, decimals, a)
        }
        if kinds and None not in kinds and kind not in kinds:
            out.append(f"{match.group()}{unit.group(0)}")
    return out
