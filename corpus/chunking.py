"""Split textbook sections into citable chunks.

A chunk is one paragraph (in the plain-text chapters, one non-empty line) tagged with the
section it belongs to. Sections are the numbered headings ("1. The Checklist, Stage by Stage
Beginner"), the untitled opening of the file, and the sidebars that start with a label line
("Key Insight: ...", "Big Picture", "Exercise 1.8.1: ...", captions such as "Figure 1.8.1: ...").

Rules, in order of precedence:

* Code blocks (runs of code-looking lines, blank lines allowed inside) stay whole, together with
  the "Code N.N.N:" caption that follows them. The program output between that caption and an
  "Output N.N.N:" caption is one chunk with its caption. A table caption takes the rows under
  it; a figure caption takes the lines just above it.
* A sidebar holds the paragraph after its label. A Practical Example also holds its
  "Who: / Situation: / ... / Lesson:" paragraphs, and a sidebar paragraph ending in ":" also
  holds the code block it introduces. After that the text goes back to the enclosing section.
* Paragraphs shorter than ``SHORT_PARAGRAPH`` characters (headings, label lines, one-liners)
  are merged into the next paragraph of the same section; headings and labels always merge
  forward, since they open the section of the paragraph that follows.

Every chunk's text is a contiguous slice of the source file (after newline normalisation),
so a quote taken from ``chunk.text`` is also a quote from the book.

Chunk ids are ``<doc-stem>:<section-slug>:p<n>``, with ``n`` counting the chunks of that
section in file order, so they are stable as long as the file is.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

__all__ = [
    "CHUNKER_VERSION",
    "CORPUS_SUFFIXES",
    "SHORT_PARAGRAPH",
    "Chunk",
    "CorpusError",
    "chunk_document",
    "chunk_folder",
    "chunk_text",
    "corpus_files",
    "section_number",
    "slugify",
]

# Bump whenever the chunking rules change: it is part of the index content hash.
CHUNKER_VERSION = "ceiling-chunker/1"
CORPUS_SUFFIXES = (".md", ".txt")
SHORT_PARAGRAPH = 80


class Chunk(BaseModel):
    """One citable paragraph of the corpus."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str
    doc: str
    section: str
    text: str


# --------------------------------------------------------------------------- patterns

LEVELS = ("Beginner", "Intermediate", "Advanced")
EXERCISE_KINDS = ("Conceptual", "Coding", "Analysis", "Implementation", "Discussion", "Project")

SIDEBAR_KINDS = (
    "Key Insight",
    "Fun Note",
    "Practical Example",
    "Library Shortcut",
    "Research Frontier",
    "Thesis Thread",
    "Key Takeaway",
    "Big Picture",
    "Historical Note",
    "Common Pitfall",
    "Common Misconception",
    "Case Study",
    "Real-World Example",
    "Deep Dive",
    "Paper Spotlight",
    "Self-Check",
    "Try It",
)
_SIDEBAR_RE = re.compile(
    r"^(?P<kind>" + "|".join(re.escape(k) for k in SIDEBAR_KINDS) + r")(?::\s*(?P<title>\S.*?))?\s*$"
)
_EXERCISE_RE = re.compile(r"^Exercise\s+(?P<num>\d+(?:\.\d+)*)(?::\s*(?P<title>.*?))?\s*$")
_CAPTION_RE = re.compile(
    r"^(?P<kind>Figure|Table|Code|Output|Listing|Algorithm)\s+(?P<num>\d+(?:\.\d+)*)\s*[:.]\s*(?P<rest>.*)$"
)
_NUMBERED_RE = re.compile(r"^(?P<n>\d{1,2})\.\s+(?P<title>\S.*?)\s*$")
_PART_CHAPTER_RE = re.compile(r"^(Part\s+[IVXLC\d]+|Chapter\s+\d+)\b.*$")
_FIELD_RE = re.compile(r"^[A-Z][A-Za-z-]+(?: [A-Za-z-]+)?:\s")
_CODE_RE = re.compile(
    r"""^(?:
        [ \t]+\S                                   # indented
      | \#                                          # comment (plain-text files only)
      | [}\])]                                      # closing bracket
      | @\w                                         # decorator
      | (?:def|class|import|from|for|while|if|elif|else|try|except|finally|with|return|async|await|print|assert|raise)\b
          (?!\s+[a-z]+\s+[a-z]+\s+[a-z]+\s+[a-z]+\s)  # ...but not an English sentence
      | [A-Za-z_][\w.]*(?:\[[^\]]*\])*\s*(?:[-+*/%|&]?=)(?!=)   # assignment
      | [A-Za-z_][\w.]*\(                           # call
      | >>>\s                                       # doctest prompt
      | \$\s                                        # shell prompt
    )""",
    re.VERBOSE,
)
_MAX_CODE_LINE = 160
_MAX_LABEL_LINE = 120
_FILE_SECTION_RE = (
    re.compile(r"chapter[-_ ]?0*(\d+)[-_ ]+section[-_ ]?0*(\d+)", re.I),
    re.compile(r"\bch(?:ap)?[-_]?0*(\d+)[-_.]s(?:ec)?[-_]?0*(\d+)", re.I),
)


def slugify(text: str, max_len: int = 60) -> str:
    """Lower-case ASCII slug, cut at a word boundary to at most ``max_len`` characters."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = ""
    for w in words:
        cand = f"{slug}-{w}" if slug else w
        if len(cand) > max_len and slug:
            break
        slug = cand[:max_len]
    return slug or "section"


def section_number(doc: str) -> str | None:
    """``"chapter-01-section-08"`` -> ``"1.8"``; None when the name carries no number."""
    for rx in _FILE_SECTION_RE:
        m = rx.search(doc)
        if m:
            return f"{int(m.group(1))}.{int(m.group(2))}"
    return None


def _strip_word(title: str, words: tuple[str, ...]) -> str:
    for w in words:
        if title.endswith(" " + w):
            return title[: -len(w) - 1].rstrip()
    return title


def _first_sentence(text: str, max_len: int = 100) -> str:
    m = re.search(r"[.!?](?=\s|$)", text)
    sent = text[: m.start()] if m else text
    if len(sent) > max_len:
        cut = sent[:max_len].rsplit(" ", 1)[0]
        sent = cut + "..."
    return sent.strip()


# --------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class _Section:
    slug: str
    label: str


class _Namer:
    """Builds section labels and slugs for one document."""

    def __init__(self, doc: str):
        self.doc = doc
        self.num = section_number(doc)

    def opening(self, title: str | None) -> _Section:
        if self.num:
            label = f"Section {self.num} {title}" if title else f"Section {self.num}"
        else:
            label = title or self.doc
        return _Section("opening", label)

    def numbered(self, n: str, title: str) -> _Section:
        title = _strip_word(title, LEVELS)
        label = f"Section {self.num}.{n} {title}" if self.num else f"{self.doc} \u00a7{n} {title}"
        return _Section(slugify(f"s{n} {title}"), label)

    def sidebar(self, kind: str, title: str | None) -> _Section:
        label = f"{kind}: {title}" if title else kind
        return _Section(slugify(label), label)

    def exercise(self, num: str, title: str | None) -> _Section:
        title = _strip_word(title or "", EXERCISE_KINDS)
        label = f"Exercise {num}: {title}" if title else f"Exercise {num}"
        return _Section(slugify(f"exercise {num}"), label)

    def caption(self, kind: str, num: str, rest: str) -> _Section:
        short = _first_sentence(rest)
        label = f"{kind} {num}: {short}" if short else f"{kind} {num}"
        return _Section(slugify(f"{kind} {num}"), label)

    def heading(self, text: str) -> _Section:
        """A markdown heading."""
        text = _strip_word(text.strip(), LEVELS)
        m = _NUMBERED_RE.match(text)
        if m:
            return self.numbered(m.group("n"), m.group("title"))
        m = _EXERCISE_RE.match(text)
        if m:
            return self.exercise(m.group("num"), m.group("title"))
        m = _CAPTION_RE.match(text)
        if m:
            return self.caption(m.group("kind"), m.group("num"), m.group("rest"))
        return _Section(slugify(text), text)


# --------------------------------------------------------------------------- units


@dataclass
class _Unit:
    first: int  # first line index (inclusive)
    last: int  # last line index (inclusive)
    section: _Section
    structural: bool = False  # heading / label / title: always merges forward
    atomic: bool = False  # code, output, table, figure: never merged into others


class _Lines:
    def __init__(self, text: str):
        self.text = text
        self.lines = text.split("\n")
        self.starts: list[int] = []
        pos = 0
        for line in self.lines:
            self.starts.append(pos)
            pos += len(line) + 1

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, i: int) -> str:
        return self.lines[i]

    def blank(self, i: int) -> bool:
        return not self.lines[i].strip()

    def slice(self, first: int, last: int) -> str:
        start = self.starts[first]
        end = self.starts[last] + len(self.lines[last])
        return self.text[start:end].strip()


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_code(line: str) -> bool:
    return bool(line.strip()) and len(line) <= _MAX_CODE_LINE and bool(_CODE_RE.match(line))


def _title_like(s: str) -> bool:
    return len(s) < SHORT_PARAGRAPH and s[:1].isupper() and not s.endswith(tuple(".!?:;,\"')]"))


def _label_kind(line: str) -> str | None:
    """What kind of structural line this is, if any (plain text files)."""
    s = line.strip()
    if _CAPTION_RE.match(s):
        return "caption"
    if len(s) > _MAX_LABEL_LINE or s.endswith((".", ",", ";")):
        return None
    if _EXERCISE_RE.match(s):
        return "exercise"
    if _SIDEBAR_RE.match(s):
        return "sidebar"
    return None


def _numbered_heading(lines: _Lines, i: int) -> re.Match[str] | None:
    s = lines[i].strip()
    if len(s) > 100 or s.endswith((".", "?", "!", ":", ";", ",")):
        return None
    m = _NUMBERED_RE.match(s)
    if not m:
        return None
    if m.group("title").endswith(LEVELS):
        return m
    # Without a level word, only a line standing alone counts (not a table row or list item).
    alone = (i == 0 or lines.blank(i - 1)) and (i + 1 >= len(lines) or lines.blank(i + 1))
    return m if alone else None


def _txt_units(lines: _Lines, namer: _Namer) -> list[_Unit]:
    units: list[_Unit] = []
    n = len(lines)

    # Document title: first short standalone line before any real paragraph that is not the
    # "Part ..." / "Chapter ..." header.
    title = None
    for i in range(n):
        s = lines[i].strip()
        if not s or _PART_CHAPTER_RE.match(s):
            continue
        if len(s) < SHORT_PARAGRAPH and not _label_kind(s) and not _numbered_heading(lines, i):
            title = s
        break
    opening = namer.opening(title)

    main = opening
    sidebar: _Section | None = None
    sidebar_kind = ""
    sidebar_body = 0  # paragraphs taken by the current sidebar so far
    sidebar_colon = False  # last sidebar paragraph ended with ":"

    def current() -> _Section:
        return sidebar or main

    def end_sidebar() -> None:
        nonlocal sidebar, sidebar_kind, sidebar_body, sidebar_colon
        sidebar, sidebar_kind, sidebar_body, sidebar_colon = None, "", 0, False

    def block_end(i: int) -> int:
        """Last line of the blank-delimited block containing line i."""
        while i + 1 < n and not lines.blank(i + 1):
            i += 1
        return i

    i = 0
    while i < n:
        if lines.blank(i):
            i += 1
            continue
        s = lines[i].strip()

        # ---- numbered section heading
        m = _numbered_heading(lines, i)
        if m:
            end_sidebar()
            main = namer.numbered(m.group("n"), m.group("title"))
            units.append(_Unit(i, i, main, structural=True))
            i += 1
            continue

        cap = _CAPTION_RE.match(s)
        kind = _label_kind(s)

        # ---- table caption: caption + the rows under it
        if cap and cap.group("kind") == "Table":
            end_sidebar()
            j = block_end(i)
            units.append(_Unit(i, j, namer.caption("Table", cap.group("num"), cap.group("rest")), atomic=True))
            i = j + 1
            continue

        # ---- other captions standing on their own (figure without body, stray output caption)
        if cap:
            sec = namer.caption(cap.group("kind"), cap.group("num"), cap.group("rest"))
            end_sidebar()
            units.append(_Unit(i, i, sec, atomic=True))
            i += 1
            continue

        # ---- sidebar label line
        if kind in ("sidebar", "exercise"):
            if kind == "exercise":
                em = _EXERCISE_RE.match(s)
                assert em
                sec = namer.exercise(em.group("num"), em.group("title"))
                skind = "Exercise"
            else:
                sm = _SIDEBAR_RE.match(s)
                assert sm
                sec = namer.sidebar(sm.group("kind"), sm.group("title"))
                skind = sm.group("kind")
            end_sidebar()
            sidebar, sidebar_kind = sec, skind
            units.append(_Unit(i, i, sec, structural=True))
            i += 1
            continue

        # ---- code block (+ caption, + output with its caption)
        if _is_code(lines[i]):
            if sidebar is not None and sidebar_body and not sidebar_colon:
                end_sidebar()
            j = i
            k = i
            while k < n and (lines.blank(k) or _is_code(lines[k])):
                if not lines.blank(k):
                    j = k
                k += 1
            # next non-blank line: a code caption?
            c = j + 1
            while c < n and lines.blank(c):
                c += 1
            cm = _CAPTION_RE.match(lines[c].strip()) if c < n else None
            if cm and cm.group("kind") in ("Code", "Listing", "Algorithm"):
                sec = namer.caption(cm.group("kind"), cm.group("num"), cm.group("rest"))
                units.append(_Unit(i, c, sec, atomic=True))
                end_sidebar()
                i = c + 1
                # program output: the rest of the caption's block, up to an Output caption
                e = block_end(c)
                if e > c:
                    for o in range(c + 1, e + 1):
                        om = _CAPTION_RE.match(lines[o].strip())
                        if om and om.group("kind") == "Output":
                            osec = namer.caption("Output", om.group("num"), om.group("rest"))
                            units.append(_Unit(c + 1, o, osec, atomic=True))
                            i = o + 1
                            break
                continue
            units.append(_Unit(i, j, current(), atomic=True))
            if sidebar is not None:
                sidebar_body += 1
                sidebar_colon = False
            i = j + 1
            continue

        # ---- figure: lines of this block before a Figure caption
        e = block_end(i)
        fig = None
        for o in range(i + 1, e + 1):
            fm = _CAPTION_RE.match(lines[o].strip())
            if fm and fm.group("kind") == "Figure":
                fig = (o, fm)
                break
            if _label_kind(lines[o]) or _numbered_heading(lines, o):
                break
        if fig:
            o, fm = fig
            end_sidebar()
            units.append(_Unit(i, o, namer.caption("Figure", fm.group("num"), fm.group("rest")), atomic=True))
            i = o + 1
            continue

        # ---- plain paragraph: consecutive prose lines of the block, up to a structural line
        j = i
        while j + 1 <= e and not (
            _label_kind(lines[j + 1]) or _numbered_heading(lines, j + 1) or _is_code(lines[j + 1])
        ):
            j += 1
        # Part/Chapter header lines and short unpunctuated title-like lines open what follows.
        header = bool(_PART_CHAPTER_RE.match(s)) or (j == i and _title_like(s))
        if sidebar is not None and sidebar_body:
            keep = (sidebar_kind == "Practical Example" and bool(_FIELD_RE.match(s))) or sidebar_colon
            if not keep:
                end_sidebar()
        units.append(_Unit(i, j, current(), structural=header))
        if sidebar is not None:
            sidebar_body += 1
            sidebar_colon = lines[j].rstrip().endswith(":")
        i = j + 1
    return units


_MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_FENCE_RE = re.compile(r"^\s*(```|~~~)")


def _md_units(lines: _Lines, namer: _Namer) -> list[_Unit]:
    units: list[_Unit] = []
    n = len(lines)
    section = namer.opening(None)
    seen_heading = False
    i = 0
    while i < n:
        if lines.blank(i):
            i += 1
            continue
        s = lines[i]
        hm = _MD_HEADING_RE.match(s)
        if hm:
            text = hm.group(2)
            if not seen_heading and not units and hm.group(1) == "#":
                # the document title: its body is the opening
                section = namer.opening(text)
            else:
                section = namer.heading(text)
            seen_heading = True
            units.append(_Unit(i, i, section, structural=True))
            i += 1
            continue
        fm = _MD_FENCE_RE.match(s)
        if fm:
            fence = fm.group(1)
            j = i + 1
            while j < n and not lines[j].strip().startswith(fence):
                j += 1
            j = min(j, n - 1)
            units.append(_Unit(i, j, section, atomic=True))
            i = j + 1
            continue
        j = i
        while (
            j + 1 < n
            and not lines.blank(j + 1)
            and not _MD_HEADING_RE.match(lines[j + 1])
            and not _MD_FENCE_RE.match(lines[j + 1])
        ):
            j += 1
        units.append(_Unit(i, j, section))
        i = j + 1
    return units


def _merge(units: list[_Unit], lines: _Lines) -> list[_Unit]:
    """Merge short paragraphs into their neighbours (see module docstring)."""
    out: list[_Unit] = []
    pending: _Unit | None = None  # short unit(s) waiting for the next paragraph
    for u in units:
        if pending is not None:
            if pending.structural or pending.section == u.section:
                u = _Unit(pending.first, u.last, u.section, structural=u.structural, atomic=u.atomic)
            else:
                out.append(pending)
            pending = None
        short = len(lines.slice(u.first, u.last)) < SHORT_PARAGRAPH
        if (short or u.structural) and not u.atomic:
            pending = u
            continue
        out.append(u)
    if pending is not None:
        if out and out[-1].section == pending.section:
            prev = out.pop()
            out.append(_Unit(prev.first, pending.last, prev.section, atomic=prev.atomic))
        else:
            out.append(pending)
    return out


def chunk_text(text: str, doc: str, fmt: str = "txt") -> list[Chunk]:
    """Chunk an in-memory document. ``fmt`` is ``"txt"`` or ``"md"``; ``doc`` is the stem."""
    text = _normalise(text)
    lines = _Lines(text)
    namer = _Namer(doc)
    units = _md_units(lines, namer) if fmt == "md" else _txt_units(lines, namer)
    chunks: list[Chunk] = []
    counters: dict[str, int] = {}
    for u in _merge(units, lines):
        body = lines.slice(u.first, u.last)
        if not body:
            continue
        counters[u.section.slug] = counters.get(u.section.slug, 0) + 1
        cid = f"{doc}:{u.section.slug}:p{counters[u.section.slug]}"
        chunks.append(Chunk(chunk_id=cid, doc=doc, section=u.section.label, text=body))
    return chunks


def chunk_document(path: str | Path) -> list[Chunk]:
    """Chunk one ``.txt`` or ``.md`` file; the doc name is the file stem."""
    path = Path(path)
    text = read_corpus_file(path).decode("utf-8")
    fmt = "md" if path.suffix.lower() in (".md", ".markdown") else "txt"
    return chunk_text(text, path.stem, fmt)


class CorpusError(ValueError):
    """A corpus file that is not indexed, and why (one line naming the file). The whole corpus is
    refused rather than the file skipped: a review must cite the folder the user named, not part of it."""


MAX_CORPUS_FILE_BYTES = 20_000_000  # a long book; a bigger .txt is a dump, not a chapter


def corpus_files(folder: str | Path) -> list[Path]:
    """The ``*.txt`` and ``*.md`` files directly inside ``folder``, sorted by name. A symbolic link is
    followed only to a file inside the folder (a link to /proc/self/environ or /etc/shadow would put
    secrets in the index); such a link, a FIFO or a device raises CorpusError."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    root = folder.resolve()
    names = (p for p in folder.iterdir() if p.suffix.lower() in CORPUS_SUFFIXES and not p.name.startswith("."))
    return sorted((p for p in names if _is_corpus_file(p, root)), key=lambda p: p.name)


def _is_corpus_file(path: Path, root: Path) -> bool:
    target = path.resolve()  # resolving reads link names only, never the target's content
    if path.is_symlink() and not target.is_relative_to(root):
        raise CorpusError(f"{path}: a symbolic link to a file outside the corpus folder; not read (copy the file in)")
    try:
        mode = target.stat().st_mode
    except OSError:  # a dangling link names nothing to index
        return False
    if stat.S_ISDIR(mode):
        return False
    if not stat.S_ISREG(mode):
        raise CorpusError(f"{path}: not a regular file (a FIFO, device or socket); not read")
    return True


def read_corpus_file(path: Path) -> bytes:
    """A corpus file's bytes, checked to be UTF-8 text. Opened without blocking and without following
    a link (the caller resolved it inside the folder), so nothing but a regular file is read."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path.resolve(), flags)
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CorpusError(f"{path}: not a regular file; not read")
        data = handle.read(MAX_CORPUS_FILE_BYTES + 1)
    if len(data) > MAX_CORPUS_FILE_BYTES:
        raise CorpusError(f"{path}: larger than {MAX_CORPUS_FILE_BYTES:,} bytes; split it into chapters")
    if b"\x00" in data:
        raise CorpusError(f"{path}: looks like a binary file, not a text chapter; move it out of the corpus folder")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{path}: not UTF-8 text (bad byte at offset {exc.start}); convert it "
            "(e.g. iconv -f latin1 -t utf-8) or move it out of the corpus folder"
        ) from None
    return data


def chunk_folder(folder: str | Path) -> list[Chunk]:
    """Chunk every ``*.txt`` and ``*.md`` file of ``folder`` (sorted by file name)."""
    out: list[Chunk] = []
    for p in corpus_files(folder):
        out.extend(chunk_document(p))
    return out
