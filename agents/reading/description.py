"""What a description must be before it is read: bounded in size, text not binary, UTF-8, not
empty, in English, and about a system. Every entry point (CLI, chat, eval cases, MCP) puts a
description through `check_description`; the one line it returns on refusal is the user's error."""

from __future__ import annotations

import re
from typing import NamedTuple

from ceiling.agents.files import InputError
from ceiling.agents.reading.cues import FUNCTION_WORDS
from ceiling.agents.redact import redact as redact_secrets

MAX_BYTES = 100_000  # ~15k words: far beyond any design description; keeps reviews fast


def decode(data: bytes, name: str) -> str:
    """UTF-8 text from raw bytes, or InputError: too large, binary, not UTF-8, empty."""
    if len(data) > MAX_BYTES:
        raise InputError(
            f"{name}: larger than {MAX_BYTES:,} bytes; paste the design description, not the whole document"
        )
    if b"\x00" in data:
        raise InputError(f"{name}: looks like a binary file, expected text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise InputError(f"{name}: the description is empty")
    return text


# ---- language ------------------------------------------------------------------------------
# The rule reader knows English words; a description in another language would be reviewed on
# defaults alone. Function words tell the languages apart; scripts tell the rest.
_SCRIPTS = [
    ("Chinese/Japanese", r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"),
    ("Korean", r"\uac00-\ud7af"),
    ("Cyrillic-script", r"\u0400-\u04ff"),
    ("Arabic-script", r"\u0600-\u06ff"),
    ("Hebrew", r"\u0590-\u05ff"),
    ("Greek", r"\u0370-\u03ff"),
    ("Devanagari-script", r"\u0900-\u097f"),
    ("Thai", r"\u0e00-\u0e7f"),
]


def language_of(text: str) -> str | None:
    """The language a description is written in when it is plainly not English, else None.
    Terse English ("8x H100, 2k QPS, p99 200 ms") has no function words at all and passes."""
    letters = re.findall(r"[^\W\d_]", text)
    for label, block in _SCRIPTS:
        if letters and len(re.findall(f"[{block}]", text)) > 0.3 * len(letters):
            return label
    words = re.findall(r"[^\W\d_]+", text.lower())
    counts = {lang: sum(w in set(vocab) for w in words) for lang, vocab in FUNCTION_WORDS.items()}
    english = counts.pop("English")
    lang, best = max(counts.items(), key=lambda kv: kv[1])
    return lang if best >= 4 and best > 2 * english else None


_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Checked(NamedTuple):
    """A checked description: the cleaned text, or the one-line reason it was refused."""

    text: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def check_description(raw: bytes | str, name: str = "description") -> Checked:
    """Every check a pasted or uploaded description goes through (CLI, eval cases, chat):
    size, binary, UTF-8, empty, language, a system described. Returns the cleaned text
    (invisible characters dropped, pasted credentials redacted) or one error line."""
    from ceiling.agents.reading.text_numbers import clean

    try:
        data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
        text = decode(data, name)
        if len(_CONTROL.findall(text)) > max(8, 0.05 * len(text)):  # valid UTF-8 can still be binary
            raise InputError(f"{name}: looks like a binary file, expected text")
        text = redact_secrets(clean(text))
        if not text.strip():
            raise InputError(f"{name}: the description is empty")
        language = language_of(text)
        if language:
            raise InputError(
                f"{name}: the description looks like {language} text; the reviewer reads English only "
                "(translate it, or give the numbers as a SystemFacts .yaml file)"
            )
        check_describes_a_system(text, name)
    except InputError as exc:
        return Checked(None, str(exc))
    return Checked(text, None)


def check_describes_a_system(text: str, name: str) -> None:
    """Refuse text that names nothing a design review could be about."""
    from ceiling.agents.reading.cues import SYSTEM_WORDS

    if not SYSTEM_WORDS.search(text):
        raise InputError(f"{name}: no system is described (expected words like model, requests, GPUs, data, latency)")
