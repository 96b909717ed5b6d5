"""The layout of a real design document, read before its sentences: markdown tables become one
sentence per row (each cell beside its column's header), and a section whose heading puts its
content outside the design ("Non-goals", "Alternatives considered", "Related work") is set aside
and listed with its reason instead of being read as the design.
"""

from __future__ import annotations

import re

_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_SEPARATOR = re.compile(r"^\s*\|?(?:\s*:?-{2,}:?\s*\|)+\s*:?-*:?\s*\|?\s*$")
# A header whose columns are "what" and "how much": each row is its own label and value.
_LABEL_HEADER = re.compile(
    r"^(?:quantity|parameter|metric|item|name|field|property|key|what|component|aspect|dimension|resource|setting"
    r"|requirement)s?$",
    re.I,
)
_VALUE_HEADER = re.compile(
    r"^(?:values?|amount|number|target|setting|details?|description|notes?|specs?|size|figure|estimate)s?$", re.I
)

_HEADING = re.compile(r"^\s*(#{1,6})\s+(.+?)\s*#*\s*$|^\s*\*\*([^*]{2,60})\*\*:?\s*$")
OUT_OF_SCOPE = re.compile(
    r"\b(?:non[\s-]?goals?|out of scope|not in scope|alternatives?(?: considered| rejected)?|rejected"
    r"|future work|related work|prior work|previous work|references|bibliography|acknowledg\w*|appendix)\b",
    re.I,
)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in _ROW.match(line).group(1).split("|")]


def _row_sentence(header: list[str], row: list[str]) -> str:
    if len(header) == len(row) and (_LABEL_HEADER.match(header[0]) or _VALUE_HEADER.match(header[-1])):
        label, *values = row
        return f"{label}: {'; '.join(v for v in values if v)}."
    pairs = [f"{h}: {c}" if h else c for h, c in zip(header, row, strict=False) if c]
    return "; ".join(pairs) + "."


def tables_as_sentences(text: str) -> str:
    """Every markdown table (a header row, a separator row, body rows) as one sentence per body row,
    separated by blank lines; other lines unchanged."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if _ROW.match(lines[i]) and i + 1 < len(lines) and _SEPARATOR.match(lines[i + 1]):
            header = _cells(lines[i])
            i += 2
            rows = []
            while i < len(lines) and _ROW.match(lines[i]):
                rows.append(_row_sentence(header, _cells(lines[i])))
                i += 1
            out.extend(["", *("\n\n".join(rows).split("\n")), ""])
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


_FENCE = re.compile(r"^\s*(```|~~~)")
# A line of settings: a name, "=" or ":", one number and at most a unit ("TP=4", "GPUs = 384", "seq_len: 4096")
_SETTING = re.compile(r"^[A-Za-z][\w .*-]{0,40}?\s*[=:]\s*\d[\d,._]*\s*[A-Za-z%/]{0,8}$")


def _settings(block: list[str]) -> bool:
    """A block of settings lines only: the design's configuration, read as its sentences (not code)."""
    return bool(block) and all(_SETTING.match(line) for line in block)


def cut_code_blocks(text: str) -> tuple[str, list[str]]:
    """(the text without its fenced code blocks, each block as a set-aside line): commands and
    code carry numbers of a program, not quantities of the design. A block of settings lines only
    ("TP=4", "GPUs = 384") is the design's configuration: each line is kept as a sentence."""
    kept: list[str] = []
    aside: list[str] = []
    block: list[str] | None = None

    def close(block: list[str]) -> None:
        if _settings(block):
            kept.extend(["", *(f"{line}." for line in block), ""])
        else:
            aside.append("(a code block: not read as the design) " + " ".join(block)[:300])

    for line in text.split("\n"):
        if _FENCE.match(line):
            if block is None:
                block = []
            else:
                close(block)
                block = None
            continue
        if block is None:
            kept.append(line)
        elif line.strip():
            block.append(line.strip())
    if block:  # an unclosed fence runs to the end, as markdown renders it
        close(block)
    return "\n".join(kept), aside


def cut_out_of_scope(text: str) -> tuple[str, list[str]]:
    """(the text without its out-of-scope sections, each set-aside paragraph with its reason). A
    section runs from its heading to the next heading of the same or a higher level."""
    kept: list[str] = []
    aside: list[str] = []
    scope: tuple[int, str] | None = None  # (level, heading) of the section being set aside
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph and scope:
            aside.append(f'(under "{scope[1]}": not read as the design) ' + " ".join(paragraph))
        paragraph.clear()

    for line in text.split("\n"):
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1)) if heading.group(1) else 7  # a bold line: the lowest level
            title = (heading.group(2) or heading.group(3)).strip()
            if scope is None or level <= scope[0]:
                flush()
                scope = (level, title) if OUT_OF_SCOPE.search(title) else None
        if scope is None:
            kept.append(line)
        elif not heading:
            if line.strip():
                paragraph.append(line.strip().lstrip("-*\u2022 ").strip())  # a bullet's marker is no text
            else:
                flush()
    flush()
    return "\n".join(kept), aside
