"""The CI gate: thresholds live in eval/thresholds.yaml, next to the last measured values."""

from __future__ import annotations

from pathlib import Path

import yaml

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.yaml"


def failures(summary: dict, kind: str, path: Path = THRESHOLDS) -> list[str]:
    """Each figure of `summary` below its threshold for `kind` ("deterministic" or "replayed")."""
    limits = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(kind, {})
    out = []

    def walk(limits: dict, values: dict, prefix: str) -> None:
        for key, limit in limits.items():
            value = values.get(key) if isinstance(values, dict) else None
            if isinstance(limit, dict) and "min" not in limit:
                walk(limit, value or {}, f"{prefix}{key}.")
            elif value is None or value < limit["min"]:
                out.append(f"{prefix}{key} = {value} is below the threshold {limit['min']}")

    walk(limits, summary, "")
    return out
