"""Numbers as people write them -> digits, keeping a note of every reading we had to guess.

text2num converts exact number words ("seventy billion" -> 70000000000); vague amounts
("tens of thousands", "a few hundred") have no exact value, so they are read as the middle
of their range on a log scale and flagged, so the review can list them as assumptions.
"""

from __future__ import annotations

import re

# Vague amounts -> (value, how we read it). Log-scale middles of the ranges people mean.
_VAGUE = [
    (r"hundreds of thousands of", 300_000, "hundreds of thousands"),
    (r"tens of thousands of", 30_000, "tens of thousands"),
    (r"tens of millions of", 30_000_000, "tens of millions"),
    (r"hundreds of millions of", 300_000_000, "hundreds of millions"),
    (r"thousands of", 3_000, "thousands"),
    (r"millions of", 3_000_000, "millions"),
    (r"billions of", 3_000_000_000, "billions"),
    (r"hundreds of", 300, "hundreds"),
    (r"dozens of", 40, "dozens"),
    (r"tens of", 30, "tens"),
    (r"a few thousand", 3_000, "a few thousand"),
    (r"several thousand", 5_000, "several thousand"),
    (r"a few hundred", 300, "a few hundred"),
    (r"several hundred", 500, "several hundred"),
    (r"a dozen", 12, "a dozen"),
    (r"a handful of", 5, "a handful"),
    (r"a couple of", 2, "a couple"),
    (r"a few", 3, "a few"),
    (r"several", 5, "several"),
]
_VAGUE_RE = [(re.compile(r"\b" + pattern + r"\b", re.I), value, label) for pattern, value, label in _VAGUE]

_MULTIPLIERS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SCALED = re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(thousand|million|billion|trillion)\b", re.I)
_HALF = re.compile(r"\bhalf an? (?=[a-z])", re.I)
_SINGLE = re.compile(r"\b(?:a single|one single)\s+(?=[a-z])", re.I)
_SECOND = re.compile(r"\bsecond(?=s?\b)", re.I)


def normalize(sentence: str) -> tuple[str, list[tuple[str, str]]]:
    """Rewrite number words as digits; return the text and the vague readings made,
    each as (the digits written in, what we assumed)."""
    from text_to_num import alpha2digit

    notes: list[tuple[str, str]] = []
    text = sentence
    for pattern, value, label in _VAGUE_RE:
        if pattern.search(text):
            notes.append((str(value), f'read "{label}" as {value:,}'))
            text = pattern.sub(f"{value} ", text)
    # "forty-terabyte", "seventy-billion-parameter": text2num wants spaces between words.
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)
    text = _SCALED.sub(lambda m: f"{float(m.group(1)) * _MULTIPLIERS[m.group(2).lower()]:.0f}", text)
    # text2num also reads ordinals ("one second" -> "1 2nd"); shield the time word first.
    text = _SECOND.sub("qqsecqq", text)
    text = _HALF.sub("0.5 ", text)
    text = alpha2digit(text, "en", threshold=1)
    text = _SCALED.sub(lambda m: f"{float(m.group(1)) * _MULTIPLIERS[m.group(2).lower()]:.0f}", text)
    text = text.replace("qqsecqq", "second")
    text = _SINGLE.sub("1 ", text)
    return text, notes
