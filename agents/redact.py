"""Credentials never leave in anything the reviewer writes or returns.

Two kinds of secret are redacted:
- anything shaped like a credential (provider key prefixes, bearer tokens, `api_key=...`), wherever it came from;
- the configured key itself (OPENAI_API_KEY, or a key a client registers), in every form a careless endpoint or
  proxy may echo it back in: verbatim, URL-encoded, and base64 (standard and URL-safe alphabets, at each of the
  three byte alignments it can take inside a longer encoded string, e.g. an echoed `Authorization: Basic ...`).
"""

from __future__ import annotations

import base64
import os
import re
import threading
from functools import lru_cache
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
_MIN_SECRET = 8  # shorter "keys" ("not-needed", "x") are placeholders, and would redact ordinary words

_SECRET_VALUE = r"['\"]?(?=[^\s'\"]*\d)(?=[^\s'\"]*[A-Za-z])[A-Za-z0-9._\-~+/]{12,}=*['\"]?"
_SHAPES = [
    (
        re.compile(
            r"\b(?:sk|pk|rk)-[A-Za-z0-9_\-]{16,}|\b(?:ghp|gho|ghs|github_pat|xox[abp]|hf)_[A-Za-z0-9_]{16,}"
            r"|\bAKIA[A-Z0-9]{16}\b|\bAIza[A-Za-z0-9_\-]{30,}"
        ),
        REDACTED,
    ),
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._\-~+/]{16,}=*"), r"\1 " + REDACTED),
    (
        re.compile(r"\b((?:openai_)?api[_-]?key|secret|token|password|passwd)(\s*[:=]\s*)" + _SECRET_VALUE, re.I),
        r"\1\2" + REDACTED,
    ),
]

_registered: set[str] = set()
_lock = threading.Lock()


def register(secret: str | None) -> None:
    """A credential this process holds (a client's API key): redacted from then on, in all its forms."""
    if secret and len(secret) >= _MIN_SECRET:
        with _lock:
            _registered.add(secret)


def _base64_cores(secret: bytes) -> set[str]:
    """The part of base64(prefix + secret + suffix) that depends on the secret alone, for each alignment.

    Base64 encodes 3 bytes as 4 characters, so a secret starting at byte offset o (mod 3) inside a longer
    value encodes to a fixed string once the characters that mix in the neighbouring bytes are dropped."""
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode()
        head = (offset * 8 + 5) // 6  # characters that carry padding bits from the offset
        tail = (len(secret) + offset) % 3  # a final partial group mixes in the next byte
        body = encoded.rstrip("=")[head : len(encoded.rstrip("=")) - (1 if tail else 0)]
        if len(body) >= _MIN_SECRET:
            cores |= {body, body.replace("+", "-").replace("/", "_")}
    return cores


@lru_cache(maxsize=32)
def forms(secret: str) -> tuple[str, ...]:
    """Every string that reveals `secret`, longest first (so no form is left half-replaced)."""
    raw = secret.encode("utf-8")
    found = {secret, quote(secret, safe=""), quote_plus(secret), *_base64_cores(raw)}
    return tuple(sorted((f for f in found if len(f) >= _MIN_SECRET), key=len, reverse=True))


def _known() -> list[str]:
    with _lock:
        known = set(_registered)
    key = os.environ.get("OPENAI_API_KEY", "")
    if len(key) >= _MIN_SECRET:
        known.add(key)
    return sorted(known)


def redact(text: str) -> str:
    """`text` with every known credential (in any of its forms) and anything shaped like one replaced."""
    if not text:
        return text
    for secret in _known():
        for form in forms(secret):
            text = text.replace(form, REDACTED)
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return text


def redact_deep(value):
    """`redact` applied to every string inside a JSON-like value (dicts, lists), keys left alone."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_deep(v) for v in value]
    return value
