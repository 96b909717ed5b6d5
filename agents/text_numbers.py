"""Numbers as people write them -> digits, keeping a note of every reading we had to guess.

text2num converts exact number words ("seventy billion" -> 70000000000); vague amounts
("tens of thousands", "a few hundred") have no exact value, so they are read as the middle
of their range on a log scale and flagged, so the review can list them as assumptions.
"""

from __future__ import annotations

import re
import unicodedata

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

# Powers of ten as people type them: "10^9", "10**9", "3 x 10^9", "2.5×10⁹" -> e-notation.
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_POWER = re.compile(r"(?:(?<![\w.])(\d+(?:\.\d+)?)\s*(?:x|×|\*|·)\s*)?(?<![\w.])10\s*(?:\^|\*\*)\s*([+-]?\d{1,3})(?!\d)"
                    r"|(?:(?<![\w.])(\d+(?:\.\d+)?)\s*(?:x|×|\*|·)\s*)?(?<![\w.])10([⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})")


def _power(match: re.Match) -> str:
    mantissa = match.group(1) or match.group(3) or "1"
    exponent = match.group(2) or match.group(4).translate(_SUPERSCRIPT)
    return f"{mantissa}e{exponent}"


# Characters that change nothing a reader sees but can hide words from a pattern
# ("ig\u200bnore previous instructions"): zero-width and bidi controls, soft hyphens.
_INVISIBLE = {cp: None for cp in (0x00AD, 0x034F, 0x061C, 0x180E, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0x2061,
                                  0x2062, 0x2063, 0x2064, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0x2212: 0x2D}  # ｉｇｎｏｒｅ -> ignore, − -> -
_SPACES = {cp: 0x20 for cp in (0x00A0, 0x2007, 0x2009, 0x200A, 0x202F, 0x205F)}  # "20 ms" with a (narrow) no-break space


def clean(text: str) -> str:
    """Text as a reader sees it: line ends unified, invisible characters removed, full-width
    ASCII and no-break spaces folded, other control characters dropped. Plain ASCII text passes
    through unchanged."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE).translate(_FULLWIDTH).translate(_SPACES)
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def normalize(sentence: str) -> tuple[str, list[tuple[str, str]]]:
    """Rewrite number words as digits; return the text and the vague readings made,
    each as (the digits written in, what we assumed)."""
    from text_to_num import alpha2digit

    notes: list[tuple[str, str]] = []
    text = _POWER.sub(_power, sentence)
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
