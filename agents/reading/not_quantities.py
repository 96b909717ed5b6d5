"""Numbers real text writes that measure nothing of the design: citations, years, dates, versions,
references to sections or figures, and money. Their digits are masked before numbers are read, so
"(Dean and Ghemawat, 2004)" is never 2,004 workers and "$3.50 per GPU-hour" never a rate.

Each kind is one pattern below; a new kind is one more entry.
"""

from __future__ import annotations

import re

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_YEAR = r"(?:19|20)\d\d"

NOT_QUANTITIES: dict[str, re.Pattern] = {
    # "(Dean and Ghemawat, 2004)", "(Shoeybi et al. 2019; Rajbhandari et al., 2020a)"
    "citation": re.compile(rf"\([^()]{{0,120}}?[A-Za-z][^()]{{0,120}}?,?\s{_YEAR}[a-z]?(?:;[^()]{{0,120}})?\)"),
    "reference marker": re.compile(r"\[\d+(?:\s*[,\u2013-]\s*\d+)*\]"),  # "[12]", "[3, 7-9]"
    "date": re.compile(
        rf"\b{_YEAR}-\d\d-\d\d\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b"
        rf"|\b{_MONTH}\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?{_YEAR}\b|\b\d{{1,2}}\s+{_MONTH}\s+{_YEAR}\b"
        rf"|\bq[1-4]\s+{_YEAR}\b",
        re.I,
    ),
    "year": re.compile(
        rf"\b(?:in|since|by|from|until|till|through|during|circa|early|late|mid|before|after)[\s-]+{_YEAR}s?\b"
        r"(?!\s+(?!(?:was|is|has|this|its|as|us)\b)[a-z]+s\b)"  # "in 2048 shards" is a count
        rf"|\b{_YEAR}(?=\s*[-\u2013]\s*{_YEAR}\b)|(?<=[-\u2013]){_YEAR}\b",
        re.I,
    ),
    "phone number": re.compile(
        r"(?<![\w.-])(?:\+?\d{1,3}[\s.-])?(?:\(\d{2,4}\)\s?|\d{3}[\s.-])\d{3,4}[.-]\d{4}\b|\b\d{3}-\d{4}\b"
    ),
    "ordinal": re.compile(r"\b\d+(?:st|nd|rd|th)\b(?!\s*percentile)", re.I),  # "the 1st token"; "99th percentile" stays
    # "GPT-4", the "3" of "Llama-3-70B": a version glued to a name; "BLOOM-176B" keeps its size
    "name version": re.compile(r"\b[A-Z][A-Za-z]*-\d+(?:\.\d+)*[a-z]{0,2}(?![\w.])"),  # "GPT-4o-mini" too
    # the "3.1" of "Llama 3.1 405B", the "2" of "Qwen 2 72B": a version between a name and the model's size
    "version before a size": re.compile(
        r"\b[A-Z][A-Za-z]{1,15}\s+v?\d{1,2}(?:\.\d+)*(?=\s+(?:\(\s*(?:up\s+to\s+)?)?\d+(?:\.\d+)?[BMT]\b)"
    ),
    "time of day": re.compile(
        r"\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?![\w:])|\b\d{1,2}\s*[ap]\.?m\.?(?!\w)", re.I
    ),
    "version": re.compile(r"\b(?:version|release|v)\s?\d+(?:\.\d+)+\b|\b\d+\.\d+\.\d+\b", re.I),
    "reference": re.compile(
        r"\b(?:section|sec\.|\u00a7|figure|fig\.|table|tab\.|eq\.|equation|chapter|appendix|algorithm|listing"
        r"|exercise|issue|rfc)\s*\(?\d+(?:\.\d+)*\)?",
        re.I,
    ),
    # "$3.50 per GPU-hour", "EUR 2M a year", "1,200 dollars": cost evidence, never a count or a rate
    "money": re.compile(
        r"(?:[$\u20ac\u00a3\u00a5]|\b(?:usd|eur|gbp)\s?)\d[\d,]*(?:\.\d+)?(?:\s?(?:[kmb]n?|million|billion|thousand)\b)?"
        r"|\b\d[\d,]*(?:\.\d+)?\s?(?:usd|dollars|euros?|eur)\b",
        re.I,
    ),
}

_DIGIT = re.compile(r"\d")


def mask(sentence: str) -> str:
    """The sentence with the digits of every span above replaced by '_' (same length, so positions
    still point into the original; a word character, so "Llama-3-70B" still reads as one name)."""
    spans = [m.span() for pattern in NOT_QUANTITIES.values() for m in pattern.finditer(sentence)]
    if not spans:
        return sentence
    chars = list(sentence)
    for start, end in spans:
        for i in range(start, end):
            if chars[i].isdigit():
                chars[i] = "_"
    return "".join(chars)


def has_money(sentence: str) -> bool:
    return NOT_QUANTITIES["money"].search(sentence) is not None
