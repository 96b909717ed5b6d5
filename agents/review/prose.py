"""Numbers and units as a person writes them: the one formatter the writer, the diff, the chat and the CLI share.

    number(30000.0) -> "30,000"        number(7e10) -> "70 billion"      number(True) -> "yes"
    quantity(3e13, "bytes") -> "30 TB"  quantity(1, "lookups") -> "1 lookup"  quantity(1.86e8, "s") -> "2,153 days"

A sentence the rules made from evidence (a ceiling's inputs, a stage's answer) may carry Python's way of writing a
number ("7e+10 params") or a quoted passage may carry LaTeX ("$2.4$ ms"): `tidy` rewrites them for reading at
display time, leaving the evidence (which prompts and recorded LLM traffic depend on) as it is. Text inside double
quotes is the user's own and is never changed.
"""

from __future__ import annotations

import math
import re

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_WORDS = [(1e12, "trillion"), (1e9, "billion"), (1e6, "million")]


def _trim(text: str) -> str:
    """'17.60' -> '17.6', '20.0' -> '20' (a fixed-point string without its trailing zeros)."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def _significant(x: float, digits: int) -> str:
    """x (below 1,000 in size) to `digits` significant digits, fixed-point, no trailing zeros."""
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return _trim(f"{x:.{decimals}f}")


def _power(x: float, digits: int = 2) -> str:
    exponent = math.floor(math.log10(abs(x)))
    mantissa = _significant(x / 10**exponent, digits)
    if mantissa in ("10", "-10"):
        mantissa, exponent = mantissa[:-1], exponent + 1
    return f"{mantissa} × 10{str(exponent).translate(_SUPERSCRIPT)}"


def number(x, digits: int = 4) -> str:
    """A number as prose writes it: thousands separators, `digits` significant digits below 1,000, whole numbers
    from 1,000, words from a million ("70 billion"), a power of ten beyond a thousand trillion or below a
    millionth; yes/no for a flag and "-" for nothing (never True, False, None or 7e+10)."""
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, str):
        return x
    x = float(x)
    if math.isnan(x):
        return "-"
    if math.isinf(x):
        return "unbounded" if x > 0 else "-unbounded"
    size = abs(x)
    if size >= 1e15 or 0 < size < 1e-6:
        return _power(x)
    for scale, word in _WORDS:
        if size >= scale:
            return f"{_significant(x / scale, 3)} {word}"
    if size >= 1000:
        return f"{round(x):,}"
    return _significant(x, digits)


def percent(p: float | None) -> str:
    """A probability as a percentage to one decimal (the stages' own figure): 0.0019 -> "0.2%", 0.5 -> "50%";
    below 0.1% two significant digits, so a small risk is never written as 0%."""
    if p is None:
        return "-"
    if p == 0 or abs(p) >= 0.001:
        return f"{_trim(f'{100 * p:,.1f}')}%"
    return f"{number(100 * p, 2)}%"


def factor(x: float) -> str:
    """How many times: 3.125 -> "3.1x", 2000 -> "2,000x"."""
    return f"{number(x, 2)}x"


# --- plural agreement -----------------------------------------------------------------------------------------
_IRREGULAR = {"copy": "copies", "party": "parties", "query": "queries", "child": "children", "person": "people"}
_SINGULAR = {plural: singular for singular, plural in _IRREGULAR.items()}
# units and abbreviations that are not nouns counted one by one
_NOT_COUNTED = {"ms", "s", "h", "min", "b", "kb", "mb", "gb", "tb", "pb", "flops", "flop", "x", "µs", "us"}


def singular(noun: str) -> str:
    if noun in _SINGULAR:
        return _SINGULAR[noun]
    if noun.endswith("ies") and len(noun) > 4:
        return noun[:-3] + "y"
    if re.search(r"(ss|sh|ch|x)es$", noun):
        return noun[:-2]
    if noun.endswith("s") and not noun.endswith("ss") and len(noun) > 2 or re.fullmatch(r"[A-Z]{2,}s", noun):
        return noun[:-1]
    return noun


def plural_of(noun: str) -> str:
    if noun in _IRREGULAR:
        return _IRREGULAR[noun]
    if noun.endswith(("ss", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("s"):
        return noun
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def counted(noun: str) -> bool:
    """Whether a unit is a noun counted one by one ("lookup", "GPUs"), not a unit of measure ("ms", "GB")."""
    return bool(re.fullmatch(r"[A-Za-z][a-z]+s?|[A-Z]{2,}s?", noun)) and noun.lower() not in _NOT_COUNTED


def agree(count: float | str, noun: str) -> str:
    """The noun in the form its count takes: (1, "lookups") -> "lookup", (2, "copy") -> "copies"."""
    if not counted(noun):
        return noun
    one = (count if isinstance(count, str) else number(count)) in ("1", "-1")
    return singular(noun) if one else plural_of(singular(noun))


def plural(count: float, noun: str) -> str:
    """The count with its noun (the last word agrees): (1, "copy") -> "1 copy", (4, "stage answer") -> "4 stage
    answers"."""
    shown = number(count)
    head, _, last = noun.rpartition(" ")
    return f"{shown} {head + ' ' if head else ''}{agree(shown, last)}"


# --- a number with its unit -----------------------------------------------------------------------------------
_SCALES = {
    "bytes": [(1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB"), (1, "B")],
    "B/s": [(1e12, "TB/s"), (1e9, "GB/s"), (1e6, "MB/s"), (1e3, "KB/s"), (1, "B/s")],
    "s": [(86400, "days"), (3600, "h"), (60, "min"), (1, "s"), (1e-3, "ms"), (1e-6, "µs")],
}
_KIND = {"bytes": "bytes", "byte": "bytes", "B": "bytes", "B/s": "B/s", "bytes/s": "B/s", "s": "s"}
_PER_SECOND = {"1/s": "/s", "/s": "/s", "per s": "/s"}


def _scaled(value: float, scales: list[tuple[float, str]], digits: int) -> str:
    scale, label = next(((s, lb) for s, lb in scales if abs(value) >= s * 0.9995), scales[-1])
    if value == 0:
        scale, label = 1, next(lb for s, lb in scales if s == 1)
    shown = number(value / scale, digits if scale == 1 else 3)
    return f"{shown} {agree(shown, label)}"


def quantity(value, unit: str = "", digits: int = 4) -> str:
    """A number with its unit, scaled to one a person reads at a glance: (3e13, "bytes") -> "30 TB", (32040, "ms")
    -> "32 s", (7e10, "params") -> "70 billion params", (1, "lookups") -> "1 lookup", (30000, "1/s") -> "30,000/s"."""
    unit = (unit or "").strip()
    if value is None or isinstance(value, bool | str):
        return number(value)
    if isinstance(value, float) and math.isinf(value):
        return "never" if value > 0 else "-"
    if unit == "ms" and abs(value) >= 10_000:  # 32,040 ms reads better as 32 s
        value, unit = value / 1000, "s"
    kind = _KIND.get(unit)
    if kind:
        return _scaled(value, _SCALES[kind], digits)
    if unit in _PER_SECOND:
        return f"{number(value)}{_PER_SECOND[unit]}"
    if unit == "%":
        return f"{number(value)}%"
    shown = number(value, digits)
    return f"{shown} {agree(shown, unit)}" if unit else shown


# --- prose the rules wrote, made readable at display time --------------------------------------------------------
_QUOTED = re.compile(r'("[^"\n]*")')
_E_NOTATION = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?[eE][+-]?\d+)(?=x\b|[^\w.]|\.(?!\d)|$)")
# nouns the rules count ("1 lookups" -> "1 lookup"); a verb after a number ("stage 1 points to") is left alone
_COUNT_NOUNS = (
    "lookups|copies|replicas|machines|nodes|workers|devices|GPUs|gpus|parties|tokens|params|parameters|requests|"
    "sites|agents|calls|hops|shards|loops|servers|regions|steps|rounds|messages|phones|clients|hospitals|instances"
)
_ONE_PLURAL = re.compile(r"(?<![\d.,+\-])\b1 (" + _COUNT_NOUNS + r")\b")
# "a 8.0 h window" -> "an 8.0 h window": a number said with a vowel sound (eight, eleven, eighteen, eighty, ...)
_AN_NUMBER = re.compile(r"\b([Aa]) (?=8|1[18](?:[,.]\d{3})*(?![\d,]))")
_DOUBLED = re.compile(r"\b([A-Za-z]+) \1\b", re.IGNORECASE)
# a Python value left in a sentence: "may share data = True", "None -> 2000", "large fleet: False"
_LITERAL = re.compile(r"(?<=[=:>] )(True|False|None)\b|\b(True|False|None)(?= ->)")
_LITERAL_WORD = {"True": "yes", "False": "no", "None": "none"}
_LATEX = {
    r"\times": "×",
    r"\cdot": "·",
    r"\approx": "≈",
    r"\leq": "≤",
    r"\geq": "≥",
    r"\le": "≤",
    r"\ge": "≥",
    r"\%": "%",
    r"\,": " ",
    r"\alpha": "α",
    r"\beta": "β",
    r"\mu": "µ",
    r"\infty": "∞",
}
_MATH = re.compile(r"\$([^$\n]{1,200})\$")
_FRAC = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")
_COMMAND = re.compile(r"\\[A-Za-z]+|\\.")


def _math(match: re.Match) -> str:
    text = _FRAC.sub(r"\1/\2", match.group(1))
    for command, symbol in sorted(_LATEX.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(command, symbol)
    text = _COMMAND.sub("", text).replace("{", "").replace("}", "")
    return " ".join(text.split())


def plain_math(text: str) -> str:
    """Inline LaTeX written as text: "a tax of $2.4$ ms" -> "a tax of 2.4 ms", "$6 \\times 0.4$" -> "6 × 0.4"."""
    return _MATH.sub(_math, text)


def _outside_quotes(text: str, fix) -> str:
    return "".join(part if part.startswith('"') and part.endswith('"') else fix(part) for part in _QUOTED.split(text))


def _readable(part: str) -> str:
    part = _E_NOTATION.sub(lambda m: number(float(m.group(1))), part)
    part = _ONE_PLURAL.sub(lambda m: f"1 {singular(m.group(1))}", part)
    part = _LITERAL.sub(lambda m: _LITERAL_WORD[m.group(1) or m.group(2)], part)
    part = _AN_NUMBER.sub(lambda m: m.group(1) + "n ", part)
    return _DOUBLED.sub(lambda m: m.group(1) if m.group(1).lower() not in ("that", "had") else m.group(0), part)


def tidy(text: str | None) -> str:
    """Prose the rules (or a model) wrote, made readable without changing what it says: no 7e+10, no True/False/None,
    "1 lookup" not "1 lookups", no doubled word, LaTeX written as text. Quoted text ("...") is left as written."""
    if not text:
        return ""
    return _outside_quotes(plain_math(str(text)), _readable)


_ENDS = re.compile(r"""[.!?:;…][)"'”’\]]*$""")


def whole_quote(text: str) -> str:
    """A quoted passage as a reader should see it: LaTeX as text, and an ellipsis where it starts or stops
    mid-sentence (a clause quoted alone: "… an interactive assistant optimizes tail latency …")."""
    text = plain_math(" ".join(str(text).split()))
    text = text if _ENDS.search(text) else text.rstrip(" ,;") + " …"
    return "… " + text if text[:1].islower() else text


def label(name: str) -> str:
    """A field name as words: "fleet_mtbf_h" -> "fleet MTBF (h)", "p_any_down" -> "P(any device down)"."""
    special = {
        "p_any_down": "P(some failure in 24 h)",
        "slo": "SLO",
        "fanout": "fan-out",
        "mtbf": "MTBF",
        "gpu_memory": "GPU memory",
        "spof_ok": "single point of failure allowed",
        "machine_rate": "one machine's capacity",
    }
    if name in special:
        return special[name]
    words = name.split("_")
    unit = words.pop() if len(words) > 1 and words[-1] in ("s", "h", "ms", "bytes") else None
    text = " ".join({"mtbf": "MTBF", "slo": "SLO", "gpu": "GPU", "kv": "KV", "ttft": "TTFT"}.get(w, w) for w in words)
    return f"{text} ({unit})" if unit else text
