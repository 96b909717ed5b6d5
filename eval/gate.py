"""The CI gate: thresholds live in eval/thresholds.yaml, next to the last measured values."""

from __future__ import annotations

import math
from pathlib import Path

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.yaml"
MAX_THRESHOLDS_BYTES = 100_000


class ThresholdsError(ValueError):
    """A thresholds file the gate cannot trust: it would pass every eval (empty, no section, no or NaN min)."""


def load_limits(kind: str, path: Path | None = None) -> dict:
    """The thresholds for `kind` ("deterministic" or "replayed"), every figure with a real `min`, or
    ThresholdsError: a gate with nothing to check must fail, never pass by default."""
    from ceiling.agents.files import InputError, parse_structured, read_text_file

    path = path or THRESHOLDS
    try:
        data = parse_structured(read_text_file(path, MAX_THRESHOLDS_BYTES, str(path)), str(path))
    except InputError as exc:
        raise ThresholdsError(str(exc)) from None
    if not data:
        raise ThresholdsError(f"{path}: empty; with no thresholds every eval would pass")
    limits = data.get(kind) if isinstance(data, dict) else None
    if not isinstance(limits, dict) or not limits:
        raise ThresholdsError(f"{path}: no {kind!r} thresholds; without them every {kind} eval would pass")
    _check_limits(limits, path, "")
    return limits


def _is_group(limit) -> bool:
    """A group (per_field) maps names to figures; a figure is a mapping with min (and last)."""
    return isinstance(limit, dict) and bool(limit) and all(isinstance(v, dict) for v in limit.values())


def _check_limits(limits: dict, path: Path, prefix: str) -> None:
    for key, limit in limits.items():
        if _is_group(limit):
            _check_limits(limit, path, f"{prefix}{key}.")
            continue
        least = limit.get("min") if isinstance(limit, dict) else None
        number = isinstance(least, (int, float)) and not isinstance(least, bool)
        if not number or not math.isfinite(least) or not 0 <= least <= 1:
            raise ThresholdsError(
                f"{path}: {prefix}{key}: 'min' must be a number from 0 to 1, got {least!r} "
                "(a missing or NaN min would pass every eval)"
            )


def failures(summary: dict, kind: str, path: Path | None = None, limits: dict | None = None) -> list[str]:
    """Each figure of `summary` below its threshold for `kind` ("deterministic" or "replayed"); `limits`
    from load_limits when the caller checked them before the run."""
    out = []

    def walk(limits: dict, values: dict, prefix: str) -> None:
        for key, limit in limits.items():
            value = values.get(key) if isinstance(values, dict) else None
            if _is_group(limit):
                walk(limit, value or {}, f"{prefix}{key}.")
            elif value is None or value < limit["min"]:
                out.append(f"{prefix}{key} = {value} is below the threshold {limit['min']}")

    walk(limits if limits is not None else load_limits(kind, path), summary, "")
    return out
