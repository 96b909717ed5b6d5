"""Reading what the user gives us: a description (text) or SystemFacts (YAML/JSON), checked
so that bad input fails with one clear line instead of a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

MAX_BYTES = 100_000  # ~15k words: far beyond any design description; keeps reviews fast
STRUCTURED_SUFFIXES = (".yaml", ".yml", ".json")


class InputError(ValueError):
    """Bad user input; the CLI prints it as `error: <message>` and exits 2."""


def read_bytes(source: str) -> tuple[bytes, str]:
    """The raw bytes of FILE, or of stdin for "-", and a display name."""
    if source == "-":
        return sys.stdin.buffer.read(MAX_BYTES + 1), "stdin"
    path = Path(source)
    if not path.exists():
        raise InputError(f"{source}: no such file")
    if path.is_dir():
        raise InputError(f"{source}: is a directory, expected a text file")
    with path.open("rb") as handle:
        return handle.read(MAX_BYTES + 1), path.name


def decode(data: bytes, name: str) -> str:
    if len(data) > MAX_BYTES:
        raise InputError(f"{name}: larger than {MAX_BYTES:,} bytes; paste the design description, not the whole document")
    if b"\x00" in data:
        raise InputError(f"{name}: looks like a binary file, expected text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise InputError(f"{name}: the description is empty")
    return text


def check_describes_a_system(text: str, name: str) -> None:
    """Refuse text that names nothing a design review could be about."""
    from ceiling.agents.cues import SYSTEM_WORDS

    if not SYSTEM_WORDS.search(text):
        raise InputError(f"{name}: no system is described (expected words like model, requests, GPUs, data, latency)")


def load_facts(text: str, name: str):
    """SystemFacts from YAML/JSON text, with pydantic's first error as the message."""
    import yaml
    from pydantic import ValidationError

    from ceiling.agents.schemas import SystemFacts

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: not valid YAML/JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InputError(f"{name}: expected a mapping of SystemFacts fields")
    data = {key: value if isinstance(value, dict) or key in ("ignored_instructions", "llm_filled") else {"value": value} for key, value in data.items()}
    try:
        for key, fact in data.items():
            _to_canonical_unit(key, fact)
        return SystemFacts.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"{name}: field {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


def _to_canonical_unit(field: str, fact) -> None:
    """Convert {"value": 400, "unit": "Gbit/s"} to the field's canonical unit, in place."""
    from ceiling.agents.schemas import CANONICAL_UNITS
    from ceiling.agents.units import convert

    canonical = CANONICAL_UNITS.get(field)
    if canonical is None or not isinstance(fact, dict):
        return
    if isinstance(fact.get("value"), str):  # PyYAML reads "7.0e9" (no sign in the exponent) as a string
        try:
            fact["value"] = float(fact["value"].replace(",", "").replace("_", ""))
        except ValueError:
            raise InputError(f"field {field}: {fact['value']!r} is not a number") from None
    if not fact.get("unit") or not isinstance(fact.get("value"), (int, float)):
        return
    try:
        fact["value"] = convert(float(fact["value"]), fact["unit"], canonical or "dimensionless")
    except Exception as exc:  # pint raises several error types for bad or mismatched units
        raise InputError(f"field {field}: cannot convert {fact['unit']!r} to {canonical or 'a count'} ({type(exc).__name__})") from None
    fact["unit"] = canonical


def read_input(source: str) -> tuple[str, object | None, str]:
    """(description, structured facts or None, display name) for FILE or "-"."""
    data, name = read_bytes(source)
    text = decode(data, name)
    if source != "-" and Path(source).suffix.lower() in STRUCTURED_SUFFIXES:
        return "", load_facts(text, name), name
    check_describes_a_system(text, name)
    return text, None, name


def title_of(text: str, fallback: str) -> str:
    """The first markdown heading, else the file name."""
    for line in text.splitlines():
        if line.startswith("#"):
            return line.strip("# ").strip() or fallback
    return fallback
