"""The numbers ledger: every number an LLM writes must be one a tool produced (or the
description stated), allowing for the rounding it was printed with and the usual unit
rescalings (ms/s, GB/bytes, fractions/percent)."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.(\d+))?(?![\w])")
_SCALES = (1.0, 1e-3, 1e3, 1e-6, 1e6, 1e-9, 1e9, 1e-12, 1e12, 100.0, 0.01, 1 / 3600, 1 / 86400, 8.0, 1 / 8)
# Small integers name stages, percentiles and sections; they are never claims to check.
_FREE = {float(n) for n in range(0, 11)} | {50.0, 90.0, 95.0, 99.0, 99.9, 999.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8}


def numbers_in(value) -> list[float]:
    """All numbers inside a nested structure of dicts, lists, numbers and strings."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, str):
        return [float(m.group().replace(",", "")) for m in _NUMBER.finditer(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_in(v)]
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in numbers_in(v)]
    return numbers_in(str(value))


def _matches(number: float, decimals: int, allowed: float) -> bool:
    """`number`, printed with `decimals` digits, is `allowed` in some unit, rounded or within 1%."""
    half_unit = 0.5 * 10 ** (-decimals)
    for scale in _SCALES:
        target = allowed * scale
        if target and (abs(number - target) <= half_unit + 1e-12 or abs(number - target) <= 0.01 * abs(target)):
            return True
    return False


def unsupported(text: str, allowed: list[float], free: frozenset[float] | set[float] = _FREE) -> list[float]:
    """Numbers in `text` that match no allowed number (`free` ones are never claims)."""
    pool = [a for a in allowed if a]
    out = []
    for match in _NUMBER.finditer(text):
        number = float(match.group().replace(",", ""))
        decimals = len(match.group(1) or "")
        if number not in free and not any(_matches(number, decimals, a) for a in pool):
            out.append(number)
    return out
