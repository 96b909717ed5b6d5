"""Text that is not design data for an English reader, caught by what it is rather than by its words.

Three kinds, each set aside (listed in the review as ignored) so that none of its numbers is read:
- hidden from a human reader: what a markdown renderer never shows (HTML comments, hidden or
  zero-size HTML, link-reference definitions, footnotes nothing refers to, YAML front matter);
- addressed to the reviewer: the phrase rules of `cues` (imperatives, role labels), matched after
  folding look-alike letters ("Іgnоrе" in Cyrillic) to the ASCII letters they imitate;
- in another language inside English text: a reader of English cannot check it, so it is not read.
"""

from __future__ import annotations

import lzma
import os
import re
import shutil
import zipfile
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import yaml

from ceiling.agents.reading.text_numbers import fold_confusables

# ---- look-alike letters: text_numbers.fold_confusables (one table for units and for words) ----

# ---- hidden from a human reader ------------------------------------------------------------------
# Code is shown as written: markup inside a fence or a code span hides nothing.
_FENCE_LINE = re.compile(r" {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(?<!`)(`++)[^\n]{1,500}?(?<!`)\1(?!`)")  # possessive, from a run's start: linear
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n((?:[^\n]*\n){0,200}?)(?:---|\.\.\.)[ \t]*(?:\n|\Z)")
_HTML_TAG = re.compile(r"<([A-Za-z][\w-]{0,30}+)((?:\s[^<>]{0,2000}+)?)>")
_HIDING_STYLE = re.compile(
    r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|opacity\s*:\s*0*(?:\.0*)?\s*(?:;|$|!)"
    r"|font-size\s*:\s*0*(?:\.0*)?[a-z%]*\s*(?:;|$|!))",
    re.IGNORECASE,
)
_ZERO_BOX = re.compile(r"(?:^|;)\s*(?:max-)?(?:width|height)\s*:\s*0*(?:\.0*)?[a-z%]*\s*(?:;|$|!)", re.IGNORECASE)
_OVERFLOW_HIDDEN = re.compile(r"(?:^|;)\s*overflow\s*:\s*hidden", re.IGNORECASE)
_STYLE_ATTR = re.compile(r"""\bstyle\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_HIDDEN_ATTR = re.compile(r"""(?:^|\s)hidden(?=\s|=|/|$)""", re.IGNORECASE)
_NEVER_SHOWN = {"script", "style", "template"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# "[label]: url 'title'" on lines of its own (it cannot interrupt a paragraph): never rendered.
_LINK_DEFINITION = re.compile(
    r"^ {0,3}\[(?!\^)(?:[^\[\]\\\n]|\\.){1,999}+\]:[ \t]*\n?[ \t]*(?:<[^<>\n]*+>|[^\s<]\S{0,2000}+)"
    r"(?:[ \t]*\n?[ \t]*(?:\"[^\"]{0,2000}\"|'[^']{0,2000}'|\([^()]{0,2000}\)))?[ \t]*$",
    re.MULTILINE,
)
_FOOTNOTE = re.compile(r"^ {0,3}\[\^([^\]\s]{1,100})\]:[^\n]*(?:\n(?:[ \t]{2,}|\t)[^\n]*){0,200}", re.MULTILINE)
_FOOTNOTE_REFERENCE = re.compile(r"\[\^([^\]\s]{1,100})\](?!:)")


def _masked(text: str) -> str:
    """`text` with code blanked out (same length), so markup shown as code is not taken as hiding."""
    lines, fence = [], None
    for line in text.split("\n"):
        opener = _FENCE_LINE.match(line)
        if fence is None:
            fence = opener.group(1) if opener else None
            lines.append(" " * len(line) if fence else line)
            continue
        lines.append(" " * len(line))  # inside a fence: code, up to and including the closing line
        mark = opener.group(1) if opener else ""
        if mark[:1] == fence[0] and len(mark) >= len(fence) and not line[opener.end() :].strip():
            fence = None
    return _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), "\n".join(lines))


def _front_matter(text: str) -> tuple[int, int] | None:
    """The span of a YAML `---` block at the very top. Static-site and docs renderers treat it as
    metadata and never show it; it counts only when it is a YAML mapping ("---", a line, "---" is a
    rule and a heading, which a reader sees)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return None
    try:
        data = yaml.safe_load(match.group(1))
    except (yaml.YAMLError, RecursionError):  # not YAML, or nested too deep: not front matter
        return None
    return (0, match.end()) if isinstance(data, dict) and data else None


def _comments(masked: str) -> list[tuple[int, int, str]]:
    """HTML comments, by a linear scan. One that never closes hides the rest of the text when it
    opens a line (an HTML block), and is shown as text when it starts inside one."""
    spans, start = [], masked.find("<!--")
    while start != -1:
        close = masked.find("-->", start + 4)
        if close == -1:
            line_start = masked.rfind("\n", 0, start) + 1
            if not masked[line_start:start].strip(" "):
                spans.append((start, len(masked), "HTML comment"))
            break
        spans.append((start, close + 3, "HTML comment"))
        start = masked.find("<!--", close + 3)
    return spans


def _hides(tag: str, attributes: str) -> bool:
    if tag.lower() in _NEVER_SHOWN or _HIDDEN_ATTR.search(attributes):
        return True
    style = _STYLE_ATTR.search(attributes)
    css = next((g for g in style.groups() if g is not None), "") if style else ""
    return bool(_HIDING_STYLE.search(css) or (_ZERO_BOX.search(css) and _OVERFLOW_HIDDEN.search(css)))


def _hidden_elements(masked: str) -> list[tuple[int, int, str]]:
    """Elements a browser does not show (display:none, hidden, font-size:0, zero size with overflow
    hidden, script/style/template), up to their matching close tag, or the end of the text."""
    spans, position = [], 0
    for match in _HTML_TAG.finditer(masked):
        if match.start() < position or match.group(1).lower() in _VOID or not _hides(match.group(1), match.group(2)):
            continue
        end = _matching_close(masked, match.group(1), match.end())
        spans.append((match.start(), end, "hidden HTML"))
        position = end
    return spans


def _matching_close(masked: str, tag: str, start: int) -> int:
    depth = 1
    for match in re.compile(rf"<(/?){re.escape(tag)}\b[^<>]{{0,2000}}+>", re.IGNORECASE).finditer(masked, start):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return match.end()
    return len(masked)


def _definitions(masked: str) -> list[tuple[int, int, str]]:
    """Link-reference definitions on lines of their own, and footnotes no "[^label]" refers to."""
    spans = []
    for match in _LINK_DEFINITION.finditer(masked):
        before = _line_before(masked, match.start())
        if before is None or not before.strip() or _LINK_DEFINITION.fullmatch(before):
            spans.append((match.start(), match.end(), "link definition"))
    referred = {m.group(1) for m in _FOOTNOTE_REFERENCE.finditer(masked)}
    for match in _FOOTNOTE.finditer(masked):
        if match.group(1) not in referred:
            spans.append((match.start(), match.end(), "footnote nothing refers to"))
    return spans


def _line_before(text: str, line_start: int) -> str | None:
    """The line before the one starting at `line_start` (None at the top of the text)."""
    if line_start == 0:
        return None
    return text[text.rfind("\n", 0, line_start - 1) + 1 : line_start - 1]


def _outermost(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    kept: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (s[0], -s[1])):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def cut_hidden(text: str) -> tuple[str, list[str]]:
    """(the text a reader of the rendered page sees, each hidden span as "(hidden from a reader:
    KIND) text"). Text with no hidden span comes back unchanged."""
    spans = []
    top = _front_matter(text)
    if top:
        spans.append((*top, "front matter"))
    masked = _masked(text)
    if "<" in masked:
        spans += _comments(masked) + _hidden_elements(masked)
    if "]:" in masked:
        spans += _definitions(masked)
    if not spans:
        return text, []
    visible, listed, position = [], [], 0
    for start, end, kind in _outermost(spans):
        visible.append(text[position:start])
        visible.append(_gap(text, start, end))
        listed.append(f"(hidden from a reader: {kind}) " + " ".join(text[start:end].split()))
        position = end
    visible.append(text[position:])
    return "".join(visible), listed


def _gap(text: str, start: int, end: int) -> str:
    """What replaces a cut span: a paragraph break for a span on lines of its own, else a space."""
    line_end = text.find("\n", end)
    ends_line = text[end - 1] == "\n" or not text[end : line_end if line_end != -1 else None].strip()
    own_lines = ends_line and not text[text.rfind("\n", 0, start) + 1 : start].strip()
    return "\n\n" if own_lines else " "


# ---- another language inside English text ---------------------------------------------------------
_LANGUAGE_NAMES = {
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ru": "Russian",
    "uk": "Ukrainian",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "ar": "Arabic",
    "he": "Hebrew",
    "el": "Greek",
    "hi": "Hindi",
    "th": "Thai",
    "pl": "Polish",
    "sv": "Swedish",
    "da": "Danish",
    "no": "Norwegian",
    "fi": "Finnish",
    "cs": "Czech",
    "tr": "Turkish",
}
# A quoted name ("Wetterdienst Vorhersage", «Le Monde»): up to 80 characters between quotes, no digits
# (a quoted clause that states a number is text to read, not a name).
_SHORT_QUOTE = re.compile(r"[\"“„«‘'](?:[^\"“”„«»‘’'\n\d]{1,80})[\"”“»’']")
_FEW_WORDS = 5  # below this many words, an ASCII line with no foreign function word is not worth identifying
_CONFIDENT = 0.9  # the identifier's normalized probability above which a sentence with no English word is foreign


@lru_cache(maxsize=1)
def _identifier():
    """py3langid's identifier. Its model ships xz-compressed and takes 1.5-2 s to unpack, once per
    process; the unpacked file is kept under $CEILING_HOME (like the corpus index), which loads in
    a quarter of that. Any trouble with that copy falls back to the packaged model."""
    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    from ceiling.corpus.embedding import ceiling_home

    unpacked = ceiling_home() / f"langid-{version('py3langid')}-{Path(MODEL_FILE).name.removesuffix('.xz')}"
    try:
        from py3langid.modelio import _to_array  # the packaged loader's own converter (py3langid 0.4)

        if not unpacked.is_file():
            _unpack(MODEL_DIR / MODEL_FILE, unpacked)
        with np.load(unpacked, allow_pickle=False) as data:
            return LanguageIdentifier(
                np.asarray(data["ptc"]),
                np.asarray(data["pc"]),
                data["classes"].tolist(),
                _to_array(data["nextmove"]),
                data["out_feat"].tolist(),
                norm_probs=True,
                tk_row=_to_array(data["nextmove_row"]),
            )
    except ImportError:  # another py3langid layout: its own (slower) loader
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        unpacked.unlink(missing_ok=True)  # a damaged copy: the next process unpacks it again
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _unpack(packed: Path, unpacked: Path) -> None:
    """Decompress to a temporary file, then rename: a reader never sees half a file."""
    unpacked.parent.mkdir(parents=True, exist_ok=True)
    partial = unpacked.with_suffix(f".{os.getpid()}.partial")
    try:
        with lzma.open(packed) as source, partial.open("wb") as target:
            shutil.copyfileobj(source, target, length=1 << 20)
        os.replace(partial, unpacked)
    finally:
        partial.unlink(missing_ok=True)


@lru_cache(maxsize=1)
def _function_words() -> dict[str, frozenset[str]]:
    from ceiling.agents.reading.cues import FUNCTION_WORDS  # the description-level check's own lists

    codes = {name: code for code, name in _LANGUAGE_NAMES.items()} | {"English": "en"}
    english = frozenset(FUNCTION_WORDS["English"])
    # a word both languages use ("per", "in", "is") is evidence for neither against the other
    return {
        codes[name]: frozenset(words) - (english if name != "English" else frozenset())
        for name, words in FUNCTION_WORDS.items()
    }


def other_language(sentence: str) -> str | None:
    """The language of a sentence written in a language other than English, else None. A sentence
    counts as foreign when a language identifier (py3langid) says so and its grammar words agree:
    at least as many of that language's function words as English ones, or none of English's and a
    confident identification. Short quoted names ("Deutsche Bahn", «Le Monde») do not make a
    sentence foreign."""
    non_latin = _mostly_non_latin(re.findall(r"[^\W\d_]", sentence))
    text = sentence if non_latin else fold_confusables(sentence)  # "Іgnоrе" is English in disguise
    unquoted = _SHORT_QUOTE.sub(" ", text)
    if len(re.findall(r"[^\W\d_]{2,}", unquoted)) >= 3:
        text = unquoted
    letters = re.findall(r"[^\W\d_]", text)
    if len(letters) < 8 or (len(re.findall(r"[^\W\d_]{2,}", text)) < 3 and not non_latin):
        return None
    # whole words only: the "e" of "e5-large" or the "m" of "335M" is no Portuguese "e" nor any grammar word
    words = re.findall(r"(?<!\w)[^\W\d_]+(?!\w)", text.lower())
    counts = {code: sum(w in vocabulary for w in words) for code, vocabulary in _function_words().items()}
    english = counts.pop("en")
    if english >= 2 and english > max(counts.values()):
        return None  # plainly English: no need to ask the identifier
    if text.isascii() and not any(counts.values()) and len(re.findall(r"[A-Za-z]{2,}", text)) < _FEW_WORDS:
        return None  # a heading or terse line ("Card-fraud scoring service"): nothing foreign in it to go on
    code, probability = _identifier().classify(text)
    if code == "en":
        return None
    foreign = counts.get(code, 0)
    if non_latin or (foreign and foreign >= english) or (english == 0 and probability >= _CONFIDENT):
        return _LANGUAGE_NAMES.get(code, code)
    return None


def _mostly_non_latin(letters: list[str]) -> bool:
    return sum(ch > "\u024f" for ch in letters) > len(letters) / 2
