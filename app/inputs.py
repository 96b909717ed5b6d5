"""Reading what the user gives us: a description (text) or SystemFacts (YAML/JSON), checked
so that bad input fails with one clear line instead of a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

from ceiling.agents.files import (  # noqa: F401 (the CLI's and the chat's input layer, re-exported)
    InputError,
    TooDeep,
    check_writable,
    parse_structured,
    read_regular,
    read_text_file,
    write_text_file,
)
from ceiling.agents.quantities import QUANTITIES
from ceiling.agents.reading.description import (  # noqa: F401 (re-exported: the checks every input goes through)
    MAX_BYTES,
    Checked,
    check_describes_a_system,
    check_description,
    decode,
    language_of,
)

# Pasted API keys and bearer tokens become "[redacted]" before a prompt, log or report sees them.
from ceiling.agents.redact import redact as redact_secrets  # noqa: F401 (re-exported)

STRUCTURED_SUFFIXES = (".yaml", ".yml", ".json")


def read_bytes(source: str) -> tuple[bytes, str]:
    """The raw bytes of FILE, or of stdin for "-", and a display name."""
    if source == "-":
        return sys.stdin.buffer.read(MAX_BYTES + 1), "stdin"
    return read_regular(source, MAX_BYTES, source), Path(source).name


def load_facts(text: str, name: str):
    """SystemFacts from YAML/JSON text, with pydantic's first error as the message."""
    from pydantic import ValidationError

    from ceiling.agents.schemas import SystemFacts

    data = parse_structured(text, name)
    if not isinstance(data, dict):
        raise InputError(f"{name}: expected a mapping of SystemFacts fields")
    data = {
        key: value
        if isinstance(value, dict) or key in ("ignored_instructions", "set_aside", "unread_numbers", "llm_filled")
        else {"value": value}
        for key, value in data.items()
    }
    try:
        for key, fact in data.items():
            _to_canonical_unit(key, fact)
            _check_kind(key, fact)
            _check_magnitude(key, fact)
        return SystemFacts.model_validate(data)
    except InputError as exc:
        raise InputError(f"{name}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"{name}: field {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


# Canonical time units (see schemas.CANONICAL_UNITS) in ms, to hold every duration to one bound.
_MS_PER = {"ms": 1.0, "s": 1e3, "h": 3.6e6}

# The floor of each quantity (its registry row), in its canonical unit, as cues.ABSURD_ABOVE is its ceiling: a
# smaller value describes no real system, and the review would divide by it (a 1e-300 h MTBF asks for 1e300
# replicas). Fields in ZERO_MEANS_NONE may also be exactly 0 (no data, no checkpoint, no lookups).
TOO_SMALL_BELOW = {q.name: q.floor for q in QUANTITIES if q.floor is not None}
ZERO_MEANS_NONE = {q.name for q in QUANTITIES if q.zero_means_none}


def _check_kind(field: str, fact) -> None:
    """A field's value must be of its kind: a number (never a bool), one of the field's words, or true/false."""
    from typing import get_args

    from ceiling.agents.schemas import CANONICAL_UNITS, Arrival, Fact, Percentile, SystemFacts, Workload

    value = fact.get("value") if isinstance(fact, dict) else None
    info = SystemFacts.model_fields.get(field)
    if value is None or info is None or info.annotation is not Fact:
        return  # unknown fields and the bookkeeping lists are pydantic's to refuse
    words = {"workload": Workload, "arrival": Arrival, "slo_percentile": Percentile}
    if field in CANONICAL_UNITS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"field {field}: {value!r} is not a number")
    elif field in words:
        allowed = get_args(words[field])
        if value not in allowed:
            raise InputError(f"field {field}: {value!r} is not one of {', '.join(allowed)}")
    elif not isinstance(value, bool):
        raise InputError(f"field {field}: {value!r} is not true or false")


def _check_magnitude(field: str, fact) -> None:
    """A structured value must be a finite number between the floor and the ceiling of real systems."""
    import math

    from ceiling.agents.reading.cues import ABSURD_ABOVE, ABSURD_MS
    from ceiling.agents.schemas import CANONICAL_UNITS

    value = fact.get("value") if isinstance(fact, dict) else None
    if field not in CANONICAL_UNITS or not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    unit = CANONICAL_UNITS[field]
    if not math.isfinite(value):
        raise InputError(f"field {field}: {value!r} is not a finite number")
    if value < 0:
        raise InputError(f"field {field}: {value:g} is negative; no quantity here can be")
    floor = TOO_SMALL_BELOW.get(field, 0.0)
    if value < floor and not (value == 0 and field in ZERO_MEANS_NONE):
        message = f"field {field}: {value:g} {unit} is below {floor:g} {unit}, smaller than any real system"
        raise InputError(message.replace("  ", " "))
    too_big = value * _MS_PER[unit] > ABSURD_MS if unit in _MS_PER else value > ABSURD_ABOVE.get(field, math.inf)
    if too_big:
        raise InputError(f"field {field}: {value:g} {unit} is beyond any real system".replace("  ", " "))


def _to_canonical_unit(field: str, fact) -> None:
    """Convert {"value": 400, "unit": "Gbit/s"} to the field's canonical unit, in place."""
    from ceiling.agents.reading.units import convert
    from ceiling.agents.schemas import CANONICAL_UNITS

    canonical = CANONICAL_UNITS.get(field)
    if canonical is None or not isinstance(fact, dict):
        return
    if isinstance(fact.get("value"), str):  # PyYAML reads "7.0e9" (no sign in the exponent) as a string
        try:
            fact["value"] = float(fact["value"].replace(",", "").replace("_", ""))
        except ValueError:
            raise InputError(f"field {field}: {fact['value']!r} is not a number") from None
    if not fact.get("unit") or not isinstance(fact.get("value"), (int, float)) or isinstance(fact.get("value"), bool):
        return  # a bool is not a quantity: _check_kind refuses it rather than pint reading true as 1
    try:
        fact["value"] = convert(float(fact["value"]), fact["unit"], canonical or "dimensionless")
    except Exception as exc:  # pint raises several error types for bad or mismatched units
        raise InputError(
            f"field {field}: cannot convert {fact['unit']!r} to {canonical or 'a count'} ({type(exc).__name__})"
        ) from None
    fact["unit"] = canonical


def read_input(source: str) -> tuple[str, object | None, str]:
    """(description, structured facts or None, display name) for FILE or "-"."""
    data, name = read_bytes(source)
    if source != "-" and Path(source).suffix.lower() in STRUCTURED_SUFFIXES:
        return "", load_facts(decode(data, name), name), name
    checked = check_description(data, name)
    if not checked.ok:
        raise InputError(checked.error)
    return checked.text, None, name


def title_of(text: str, fallback: str) -> str:
    """The first markdown heading, else the file name."""
    for line in text.splitlines():
        if line.startswith("#"):
            return line.strip("# ").strip() or fallback
    return fallback
