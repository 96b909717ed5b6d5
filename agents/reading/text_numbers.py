"""Numbers as people write them -> digits, keeping a note of every reading we had to guess.

text2num converts exact number words ("seventy billion" -> 70000000000); vague amounts
("tens of thousands", "a few hundred") have no exact value, so they are read as the middle
of their range on a log scale and flagged, so the review can list them as assumptions.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ceiling.agents.reading.units import DATA_UNIT, TIME_UNIT

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
    (r"a few dozen", 36, "a few dozen"),
    (r"several dozen", 60, "several dozen"),
    (r"a dozen", 12, "a dozen"),
    (r"a handful of", 5, "a handful"),
    (r"a (?:very )?large number of", 100, "a large number"),
    (r"a couple of", 2, "a couple"),
    (r"a few", 3, "a few"),
    (r"several", 5, "several"),
]
_VAGUE_RE = [(re.compile(r"\b" + pattern + r"\b", re.I), value, label) for pattern, value, label in _VAGUE]

_MULTIPLIERS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
# From the start of a run of digits only: tried at every digit, "\d+" would rescan the rest of
# the run each time (quadratic in a 20,000-digit number).
_SCALED = re.compile(r"(?<!\d)(\d+(?:\.\d+)?)\s*-?\s*(thousand|million|billion|trillion)\b", re.I)
_HALF = re.compile(r"\bhalf an? (?=[a-z])", re.I)
# "a quarter of a million", "one and a half million": fractions of a scale word, read before the scale is
_QUARTER = re.compile(r"\b(a |one )?quarter of an? (?=[a-z])", re.I)
_AND_A_HALF = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|\d+) and a half (?=[a-z])", re.I)
_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine".split())}
_SINGLE = re.compile(r"\b(?:a single|one single)\s+(?=[a-z])", re.I)
# "in a week", "within an hour": one of that time (not "once a week", "2M requests a day")
_ONE_SPAN = re.compile(r"\b(in|within|inside)\s+an?\s+(?=(?:second|minute|hour|day|week|month|year)\b)", re.I)
# Markdown's inline marks are no words: "each `task` processes a `shard` of data", "**10000** `files`".
_MARKUP = re.compile(r"`+|\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[A-Za-z])([^*\n]+?)(?<=[A-Za-z.)])\*(?![\w*])")  # "*sequential*": one word
_SECOND = re.compile(r"\bsecond(?=s?\b)", re.I)

# Powers of ten as people type them: "10^9", "10**9", "3 x 10^9", "2.5×10⁹" -> e-notation.
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_TEN = r"(?:(?<=\d[x×*·])|(?<![\w.]))10"  # "10", or "4.0x10" with no space: the mantissa's sign touches it
_POWER = re.compile(
    rf"(?:(?<![\w.])(\d+(?:\.\d+)?)\s*(?:x|×|\*|·)\s*)?{_TEN}\s*(?:\^|\*\*)\s*([+-]?\d{{1,3}})(?!\d)"
    rf"|(?:(?<![\w.])(\d+(?:\.\d+)?)\s*(?:x|×|\*|·)\s*)?{_TEN}([⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]{{1,3}})"
)


def _power(match: re.Match) -> str:
    mantissa = match.group(1) or match.group(3) or "1"
    exponent = match.group(2) or match.group(4).translate(_SUPERSCRIPT)
    return f"{mantissa}e{exponent}"


# Characters that change nothing a reader sees but can hide words from a pattern
# ("ig\u200bnore previous instructions"): zero-width and bidi controls, soft hyphens.
_INVISIBLE = {
    cp: None
    for cp in (
        0x00AD,
        0x034F,
        0x061C,
        0x180E,
        0x200B,
        0x200C,
        0x200D,
        0x200E,
        0x200F,
        0x2060,
        0x2061,
        0x2062,
        0x2063,
        0x2064,
        0xFEFF,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    )
}
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {
    0x3000: 0x20,
    0x2212: 0x2D,
}  # ｉｇｎｏｒｅ -> ignore, − -> -
_SPACES = {
    cp: 0x20 for cp in (0x00A0, 0x2007, 0x2009, 0x200A, 0x202F, 0x205F)
}  # "20 ms" with a (narrow) no-break space


def clean(text: str) -> str:
    """Text as a reader sees it: line ends unified, invisible characters removed, full-width
    ASCII and no-break spaces folded, other control characters dropped. Plain ASCII text passes
    through unchanged."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE).translate(_FULLWIDTH).translate(_SPACES)
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


# ---- numbers as people write them -----------------------------------------------------------
# Longest run of digits read as a number: no real quantity needs more (1e21 bytes is 22 digits).
# A longer run is listed as unreadable (facts.find_mentions), never read.
MAX_DIGITS = 40

_OTHER_DIGIT = re.compile(r"(?![0-9])\d")  # Arabic-Indic, Devanagari, full-width... (category Nd)
_ARABIC_DECIMAL = re.compile(r"(?<=\d)\u066b(?=\d)")
# Digit-group separators: spaces of every width, apostrophes (Swiss), the Arabic thousands
# separator, underscores. One separator per number, between groups of exactly three digits, and
# not inside a list of numbers ("10 20 30 ms", "555 123 4567"): then the digits stay as written.
_SEP = "[ \u00a0\u2007\u2009\u202f'\u2019\u066c_]"
_GROUPED = re.compile(rf"(?<![\w.,])(?<!\d{_SEP})\d{{1,3}}(?P<sep>{_SEP})\d{{3}}(?:(?P=sep)\d{{3}})*(?!\d|{_SEP}\d)")
# A quantity's unit or scale right after a number: what makes "0,4 ms" a decimal and "1/50 s" a fraction.
_UNIT_AHEAD = (
    rf"(?=\s?(?:%|(?:{TIME_UNIT.pattern})|(?:{DATA_UNIT.pattern})"
    r"|(?:thousand|million|billion|trillion|bn)\b|[kKMBT]\b))"
)
# A decimal comma: a comma that cannot separate thousands (not followed by exactly three digits),
# in a measured quantity, not in a list ("2,4,8 GPUs", "version 1,2").
_DECIMAL_COMMA = re.compile(rf"(?<![\w.,])(\d+),(\d{{1,2}}|\d{{4,}})(?![\d.,]){_UNIT_AHEAD}")
# A unit fraction: "1/50 s", "1/100 s". "20/40 ms" stays two numbers (a p50/p99 pair, read/write).
_FRACTION = re.compile(rf"(?<![\w.,/])1\s?[/\u2044\u2215]\s?(\d{{1,15}}(?:\.\d{{1,15}})?)(?![\d.,/]){_UNIT_AHEAD}")
# The word right after a number, when it has a character outside ASCII ("20 m\u0455", "20 \u33b3").
_UNIT_WORD = re.compile(r"(?<=\d)([ \-]?)([^\s\d.,;:!?()\[\]{}<>\"]{1,16})(?![^\s\d.,;:!?()\[\]{}<>\"])")


def _ascii_digit(match: re.Match) -> str:
    return str(unicodedata.decimal(match.group(0)))


# "2 100 Gb/s links", "8 100 GB disks": a count of items that each have a size, not one grouped number.
_SIZED_ITEMS = re.compile(rf"\s?(?:{DATA_UNIT.pattern}|{TIME_UNIT.pattern})\s+[A-Za-z][\w-]*s\b")


# "Llama 3 405B", "Qwen 2 72B": a scale letter on the last group makes it a size of its own, after a version.
_SCALED_GROUP = re.compile(r"(?:[kKMBT]|bn)\b")


def _ungrouped(match: re.Match) -> str:
    if match.group("sep") == " " and (
        _SIZED_ITEMS.match(match.string, match.end()) or _SCALED_GROUP.match(match.string, match.end())
    ):
        return match.group(0)
    return match.group(0).replace(match.group("sep"), "")


def _fraction(match: re.Match) -> str:
    denominator = float(match.group(1))
    return f"{1 / denominator:.12g}" if denominator else match.group(0)


@lru_cache(maxsize=8192)
def ascii_twin(char: str) -> str:
    """The ASCII letter, digit, "/" or "%" that `char` is drawn like (Unicode's confusables data, the
    table behind TR39 skeletons, from the confusable-homoglyphs package), in the same case; `char`
    itself when it imitates none."""
    import string

    from confusable_homoglyphs.confusables import confusables_data

    if char.isascii():
        return char
    twins = [
        h["c"]
        for h in confusables_data.get(char, [])
        if len(h["c"]) == 1 and h["c"].isascii() and (h["c"].isalnum() or h["c"] in "/%")
    ]
    if not twins:
        return char
    twin = twins[0]
    if char.isupper() and not twin.isupper():  # the data folds Cyrillic "І" to "l", as TR39 folds "I" to "l"
        upper = (a for a in string.ascii_uppercase if any(h["c"] == twin for h in confusables_data.get(a, [])))
        twin = next(upper, twin)
    return twin


def fold_confusables(text: str) -> str:
    """`text` with every non-ASCII look-alike replaced by the ASCII character it imitates, one
    character for one, so offsets in the folded text are offsets in `text`."""
    if text.isascii():
        return text
    return "".join(ascii_twin(ch) for ch in text)


def fold_unit_word(word: str) -> str | None:
    """The word a unit written with look-alike or compatibility characters stands for ("m\u0455" -> "ms",
    "\u33b3" -> "ms", "\u33b2" -> "\u03bcs"), or None when folding does not yield a unit or a plain
    ASCII word (a name in another script stays as written)."""
    folded = fold_confusables(unicodedata.normalize("NFKC", word))
    if folded == word or any(ch.isdigit() for ch in folded):
        return None
    if folded.isascii() or TIME_UNIT.match(folded) or DATA_UNIT.match(folded):
        return folded
    return None


def _unit_word(match: re.Match) -> str:
    word = match.group(2)
    folded = None if word.isascii() else fold_unit_word(word)
    return match.group(1) + folded if folded else match.group(0)


def fold_numbers(text: str) -> str:
    """Numbers as people write them -> the ASCII forms the reader parses: other scripts' digits,
    digit-group separators, decimal commas, unit fractions, units drawn with look-alike characters.
    Each pattern runs in time linear in the text (bounded or anchored repeats)."""
    if not text.isascii():
        text = _ARABIC_DECIMAL.sub(".", _OTHER_DIGIT.sub(_ascii_digit, text))
        text = _UNIT_WORD.sub(_unit_word, text)
    text = _GROUPED.sub(_ungrouped, text)
    text = _DECIMAL_COMMA.sub(r"\1.\2", text)
    return _FRACTION.sub(_fraction, text)


def normalize(sentence: str) -> tuple[str, list[tuple[str, str]]]:
    """Rewrite number words as digits; return the text and the vague readings made,
    each as (the digits written in, what we assumed)."""
    text, notes = _normalized(sentence)
    return text, list(notes)


@lru_cache(maxsize=4096)
def _normalized(sentence: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """`normalize`, once per sentence: the reader, the flags and the quotes ask for the same ones."""
    from text_to_num import alpha2digit

    notes: list[tuple[str, str]] = []
    text = _ITALIC.sub(r"\1", _MARKUP.sub("", _POWER.sub(_power, fold_numbers(sentence))))
    for pattern, value, label in _VAGUE_RE:
        if pattern.search(text):
            notes.append((str(value), f'read "{label}" as {value:,}'))
            text = pattern.sub(f"{value} ", text)
    # "forty-terabyte", "seventy-billion-parameter": text2num wants spaces between words.
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)
    text = _SCALED.sub(lambda m: f"{float(m.group(1)) * _MULTIPLIERS[m.group(2).lower()]:.0f}", text)
    # text2num also reads ordinals ("one second" -> "1 2nd"); shield the time word first.
    text = _SECOND.sub("qqsecqq", text)
    text = _AND_A_HALF.sub(lambda m: f"{_UNITS.get(m.group(1).lower(), m.group(1))}.5 ", text)
    text = _QUARTER.sub("0.25 ", _HALF.sub("0.5 ", text))
    text = _SCALED.sub(lambda m: f"{float(m.group(1)) * _MULTIPLIERS[m.group(2).lower()]:.0f}", text)  # "0.5 million"
    text = alpha2digit(text, "en", threshold=1)
    text = _SCALED.sub(lambda m: f"{float(m.group(1)) * _MULTIPLIERS[m.group(2).lower()]:.0f}", text)
    text = text.replace("qqsecqq", "second")
    text = _SINGLE.sub("1 ", text)
    text = _ONE_SPAN.sub(lambda m: f"{m.group(1)} 1 ", text)
    return text, tuple(notes)
