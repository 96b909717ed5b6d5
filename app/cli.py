"""The `ceiling` command line: review a design, show the facts read from it, rebuild the index.

Heavy imports (langgraph, chromadb, torch) happen inside the commands, so `--help` and
input errors answer at once.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ceiling.agents.llm.prose import Prose  # an Enum only
from ceiling.app import gate  # the standard library only: keeps --help fast
from ceiling.app.engines import Engine  # an Enum only: keeps --help fast

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode="rich",
    help=(
        "Review the design of a distributed AI system the way Chapter 1.8 teaches: six stages in order "
        "(ceiling -> axis -> topology -> mode -> metric -> tax), each justified by the one before and cited "
        "to the chapter, with the numbers computed and a critic that loops back when the tax breaks the budget.\n\n"
        "Example: [bold]ceiling review design.md[/bold]   or   [bold]cat design.md | ceiling review -[/bold]"
    ),
)


class Suite(StrEnum):  # the folders of eval.cases.SUITES
    cases = "cases"
    real = "real"


class Format(StrEnum):
    markdown = "markdown"
    json = "json"


class ReviewFormat(StrEnum):
    markdown = "markdown"
    json = "json"
    junit = "junit"
    html = "html"


SUFFIXES = {ReviewFormat.json: ".review.json", ReviewFormat.html: ".review.html"}  # -o DIR: one file per design


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"ceiling {version('ceiling')}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
) -> None:
    """ceiling: a defended six-stage review of a distributed AI system design."""


SourceArg = Annotated[
    str,
    typer.Argument(
        help="A design description (.md/.txt), a SystemFacts file (.yaml/.json), or - for stdin.", metavar="FILE|-"
    ),
]
CorpusOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--corpus",
        help="An extra folder of chapters (.txt/.md) to index and cite; repeatable.",
        exists=True,
        file_okay=False,
    ),
]
MachineOpt = Annotated[
    Path | None,
    typer.Option(
        "--machine",
        help="Reference machine as YAML/JSON (default: one 8x H100 80 GB node).",
        exists=True,
        dir_okay=False,
    ),
]


# Options `review` and `chat` share: the engine and the critic's bound.
MaxLoopsOpt = Annotated[
    int, typer.Option("--max-loops", min=0, max=10, help="How many times the critic may send the design back.")
]
LlmOpt = Annotated[
    Engine | None,
    typer.Option(
        "--llm",
        help="Stage agents: off = rules only; openai = any OpenAI-compatible endpoint (OPENAI_BASE_URL / "
        "OPENAI_API_KEY); local = start a llama.cpp server here. Default: openai when a key or base URL is set, "
        "else off.",
        show_default=False,
    ),
]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model name for --llm openai (or CEILING_LLM_MODEL).")]
ProseOpt = Annotated[
    Prose | None,
    typer.Option(
        "--prose",
        help="What the LLM writes of each stage's paragraph: paragraph = all of it, from the rule agent's text and the "
        "chapter's passage; sentence = its decisive sentence, the rule text after it. Kept only where it passes the "
        "checks. Default: CEILING_LLM_PROSE, else paragraph for --llm openai and sentence for --llm local.",
        show_default=False,
    ),
]
GgufOpt = Annotated[
    Path | None,
    typer.Option(
        "--gguf", help="A GGUF file for --llm local instead of the default Qwen2.5-Coder-1.5B.", dir_okay=False
    ),
]


def _use_corpus(folders: list[Path] | None) -> tuple[Path, ...]:
    """The --corpus folders, after reading every corpus file once: one that cannot be indexed (not UTF-8, a link
    out of its folder, a FIFO) is one error line before any work starts."""
    from ceiling.corpus.index import CorpusError, check_corpus

    chosen = tuple(f.resolve() for f in folders or ())
    try:
        check_corpus(chosen)
    except CorpusError as exc:
        _fail(str(exc))
    return chosen


def _open_index_with_progress(folders: tuple[Path, ...], status=None) -> None:
    """Open the index of the corpus with these folders, telling the user when a (slow) first build is happening
    (on `status`, a rich status already shown, else on one of its own)."""
    from rich.console import Console

    from ceiling.corpus import retrieve
    from ceiling.corpus.index import CorpusIndex

    index = CorpusIndex(folders)
    building = "building the corpus index (first run, loads the embedding model)..."
    if not index.needs_build():
        index.open()
    elif status is not None:
        status.update(building)
        index.open()
    else:
        with Console(stderr=True).status(building):
            index.open()
    retrieve.use_index(index)


def _read_source(source: str):
    """(description, structured facts or None, title) of FILE or -, or InputError."""
    from ceiling.app.inputs import read_input, title_of

    description, facts, name = read_input(source)
    return description, facts, title_of(description, name)


def _before_serving(corpus: list[Path] | None, machine: Path | None):
    """What a server checks and opens before it listens: the corpus read, the machine file, the index (with
    progress on a first build). Returns the corpus folders and the reference machine."""
    folders = _use_corpus(corpus)
    reference = _machine(machine)
    _open_index_with_progress(folders)
    return folders, reference


def _load(source: str, machine: Path | None):
    """The input and the reference machine, both checked before any work."""
    from ceiling.app.inputs import InputError

    try:
        description, facts, title = _read_source(source)
    except InputError as exc:
        _fail(str(exc))
    return description, facts, _machine(machine), title


def _machine(machine: Path | None):
    """The reference machine, or exit 2 with the file's first problem."""
    from ceiling.agents.scoring.reference import load_machine
    from ceiling.app.inputs import InputError

    try:
        return load_machine(machine)
    except InputError as exc:
        _fail(str(exc))
    except (OSError, ValueError) as exc:
        _fail(f"{machine}: {str(exc).splitlines()[0]}")


ReviewSourcesArg = Annotated[
    list[str],
    typer.Argument(
        help="Design descriptions (.md/.txt), SystemFacts files (.yaml/.json), or - for stdin. Several (a shell glob "
        "such as docs/design/*.md) are reviewed one after another and summed up in one table.",
        metavar="FILE|-",
        show_default=False,
    ),
]


REVIEW_HELP = (  # one line per paragraph: rich keeps a docstring's line breaks
    "Review designs: Table 1.8.1 filled in, one defended paragraph per stage, the numbers, the critic's loops, the "
    "alternative.\n\n"
    "Several designs are reviewed in the order given; a table (design, verdict, answer, gate findings) ends the run "
    "on stderr. A design that cannot be read is one error line, and the others are still reviewed.\n\n"
    f"Exit codes, the first that applies: {gate.EXIT_INPUT} bad input or usage (a design could not be read, or the "
    f"engine could not start as configured: nothing reviewed); {gate.EXIT_GATE} a --fail-on check failed (the "
    f"reviews are still written); {gate.EXIT_OK} otherwise."
)


@app.command(help=REVIEW_HELP)
def review(
    sources: ReviewSourcesArg,
    format: Annotated[
        ReviewFormat,
        typer.Option(
            "--format",
            "-f",
            help="markdown (for people; drawn with rich on a terminal), json (the stable contract), junit (JUnit XML "
            "for CI: a testcase per design and per --fail-on check) or html (one self-contained page with the two "
            "charts, to share).",
        ),
    ] = ReviewFormat.markdown,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file instead of stdout. With several designs (or an existing folder): a folder, one "
            "NAME.review.md (or .json) per design. With junit: the XML file.",
        ),
    ] = None,
    max_loops: MaxLoopsOpt = 3,
    llm: LlmOpt = None,
    model: ModelOpt = None,
    gguf: GgufOpt = None,
    tools: Annotated[
        bool | None,
        typer.Option(
            "--tools/--no-tools",
            help="LLM stage agents may call retrieve and the scoring functions (at most 3 tool rounds per stage) "
            "before answering; slower. Default: CEILING_LLM_TOOLS, else off.",
            show_default=False,
        ),
    ] = None,
    prose: ProseOpt = None,
    machine: MachineOpt = None,
    corpus: CorpusOpt = None,
    fail_on: Annotated[
        list[gate.Check] | None,
        typer.Option(
            "--fail-on",
            help=f"A gate for CI: exit {gate.EXIT_GATE} when a review shows it (the reviews are still written). "
            "infeasible: the verdict; over-budget: the communication tax of the design as described breaks its "
            "budget; assumed: the verdict rests on an assumed quantity that could flip it. Repeatable.",
            show_default=False,
        ),
    ] = None,
    fail_on_infeasible: Annotated[
        bool, typer.Option("--fail-on-infeasible", help="The same as --fail-on infeasible.")
    ] = False,
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary",
            help="Append the summary table (markdown) to this file, e.g. $GITHUB_STEP_SUMMARY.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """`ceiling review`: its help (what --help shows) is REVIEW_HELP."""
    from ceiling.app.inputs import InputError, check_writable

    checks = gate.checks_of(fail_on, fail_on_infeasible)
    sources = list(dict.fromkeys(sources))  # a file named twice (a glob and its name) is reviewed once
    reference = _machine(machine)
    folder = _is_folder(output, format, several=len(sources) > 1)
    for path in (None if folder else output, summary):
        try:
            if path is not None:
                check_writable(path)
        except InputError as exc:
            _fail(str(exc))
    suffix = SUFFIXES.get(format, ".review.md")
    targets = dict(zip(sources, gate.review_file_names(sources, suffix), strict=True)) if folder else {}
    outcomes, readable = [], []
    for source in sources:
        outcome = gate.Outcome("stdin" if source == "-" else source)
        try:
            readable.append((outcome, source, *_read_source(source)))
        except InputError as exc:  # one bad design loses none of the others
            outcome.error = str(exc)
            typer.echo(f"error: {exc}", err=True)
        outcomes.append(outcome)

    def write(outcome: gate.Outcome, source: str, full_markdown: str) -> None:
        if format is not ReviewFormat.junit:  # the JUnit file is written once, at the end
            _emit(_as(format, outcome.review, full_markdown), output / targets[source] if folder else output, format)
        for finding in outcome.findings:
            typer.echo(f"{outcome.source}: {finding.check}: {finding.message}", err=True)

    if readable:
        from functools import partial

        from ceiling.app.engines import open_engine

        engine = partial(open_engine, llm, model, gguf, tools=tools, prose=prose)
        _review_each(readable, checks, engine, _use_corpus(corpus), reference, max_loops, then=write)
    if format is ReviewFormat.junit:
        _emit(gate.junit(outcomes, checks), output)
    table = gate.summary(outcomes, checks)
    if len(sources) > 1:
        typer.echo(table, err=True, nl=False)
    if summary is not None:
        _append(summary, table)
    raise typer.Exit(gate.exit_code(outcomes))


def _review_each(readable, checks, engine, folders, reference, max_loops: int, then) -> None:
    """Review each readable design with one engine (a local server starts once), calling `then(outcome, source,
    markdown)` as each is done, so a long run writes every review when it is made. An engine that cannot start is
    exit 1: nothing can be reviewed."""
    import gc
    import time

    if len(readable) > 1:
        gc.enable()  # a gate over many designs runs long: collect as usual

    from rich.console import Console

    from ceiling.agents.review.diff import visible_part
    from ceiling.agents.review.writer import markdown
    from ceiling.app.engines import EngineError

    console = Console(stderr=True)
    try:
        with (
            console.status("reviewing...") as status,
            engine(on_status=status.update, while_loading=lambda: _warm_up(folders, status)) as client,
        ):
            from ceiling.graph.workflow import run

            on_step = (lambda node: status.update(f"[{client.engine}] {node} done")) if client is not None else None
            for number, (outcome, source, description, facts, title) in enumerate(readable, 1):
                if len(readable) > 1:
                    status.update(f"reviewing {outcome.source} ({number}/{len(readable)})...")
                if client is not None:
                    from ceiling.agents.llm.client import Usage

                    client.usage = Usage()  # each review reports its own calls and tokens
                started = time.perf_counter()
                state = run(
                    description,
                    given_facts=facts,
                    machine=reference,
                    max_loops=max_loops,
                    llm=client,
                    corpus=folders,
                    on_step=on_step,
                )
                outcome.seconds = time.perf_counter() - started
                outcome.review = state["review"]
                if outcome.review.engine.startswith("deterministic (LLM unavailable"):
                    typer.echo(f"warning: {outcome.source}: {outcome.review.engine}; the rules answered", err=True)
                outcome.findings = gate.findings(outcome.review, state["facts"], checks)
                full = markdown(outcome.review, title)
                outcome.markdown = visible_part(full).rstrip() + "\n"
                then(outcome, source, full)
    except EngineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(gate.EXIT_ENGINE) from None


def _is_folder(output: Path | None, format: ReviewFormat, several: bool) -> bool:
    """Whether -o names a folder, one file per design (created here): with several designs, or a folder that exists.
    Never for junit, whose one XML file holds every design."""
    if output is None or format is ReviewFormat.junit or not (several or output.is_dir()):
        return False
    try:
        output.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        _fail(f"{output}: is a file; several designs are written to a folder, one review file each")
    except OSError as exc:
        _fail(f"cannot create {output}: {exc.strerror}")
    return True


def _append(path: Path, text: str) -> None:
    """Append to a file ($GITHUB_STEP_SUMMARY gathers every step's text: never truncate it)."""
    from ceiling.app.inputs import InputError, check_writable

    try:
        check_writable(path)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except InputError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror}")


def _warm_up(folders: tuple[Path, ...], status) -> None:
    """The index and the workflow's imports: done while a local model server loads."""
    _open_index_with_progress(folders, status)
    import ceiling.graph.workflow  # noqa: F401 (langgraph and the agents: ~1 s of imports)


def _as(format: ReviewFormat, review, full_markdown: str) -> str:
    """One review in the chosen format (the markdown keeps its JSON record; so does the HTML page)."""
    if format is ReviewFormat.json:
        return review.model_dump_json(indent=2) + "\n"
    if format is ReviewFormat.html:
        from ceiling.app.charts import html_page

        return html_page(review, full_markdown)
    return full_markdown


def _show_on_the_terminal(text: str) -> None:
    """A markdown review drawn for a terminal by rich (headings, tables, quotes), without the JSON record embedded
    for `ceiling diff` (half the text, and the last screen a user would see). A file or a pipe gets the markdown and
    its record, as written."""
    from rich.console import Console
    from rich.markdown import Markdown

    from ceiling.agents.review.diff import MARKER, visible_part

    console = Console(highlight=False)
    console.print(Markdown(visible_part(text).rstrip(), hyperlinks=False))
    if MARKER in text:
        console.print(
            "\n(Written with -o FILE or through a pipe, the review keeps the JSON record `ceiling diff` reads.)",
            style="dim",
            markup=False,
        )


def _emit(text: str, output: Path | None, format: ReviewFormat | None = None) -> None:
    from ceiling.app.inputs import InputError, write_text_file

    if output is None:
        if format is ReviewFormat.markdown and sys.stdout.isatty():
            _show_on_the_terminal(text)
        else:
            sys.stdout.write(text)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        write_text_file(output, text)
    except InputError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror}")
    typer.echo(f"wrote {output}", err=True)


@app.command(
    help="Show the quantities read from a description: one line each, with its value and unit and a short quote (or "
    "the assumption made where the text is silent); --verbose gives the whole sentence."
)
def facts(
    source: SourceArg,
    format: Annotated[
        Format, typer.Option("--format", "-f", help="markdown table or json (SystemFacts).")
    ] = Format.markdown,
    complete: Annotated[
        bool, typer.Option("--assumed/--stated", help="Also show the values assumed where the text is silent.")
    ] = True,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="The whole sentence each quantity was read from.")
    ] = False,
    machine: MachineOpt = None,
) -> None:
    """`ceiling facts`: its help is in the decorator (one paragraph)."""
    description, given, reference, _ = _load(source, machine)
    from ceiling.agents.reading import assume
    from ceiling.agents.reading.facts import extract

    raw = given or extract(description)
    result = assume.complete(raw, reference) if complete else raw
    if format is Format.json:
        sys.stdout.write(result.model_dump_json(indent=2, exclude_defaults=True) + "\n")
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ceiling.agents.review import prose

    rows = []
    for name, fact in result.facts():
        if fact.value is None:
            continue
        if fact.assumed:
            source_text = f"assumed: {fact.assumption}"
        else:
            source_text = f'"{fact.quote if verbose else _short_quote(fact.quote or "", fact.value)}"'
        rows.append((name, prose.quantity(fact.value, fact.unit), escape(source_text)))  # the user's text, not markup
    console = Console()
    table = Table(title="SystemFacts", box=None, pad_edge=False, header_style="bold")
    # one line per quantity: the name and the value whole, the source cut to the terminal unless --verbose
    widths = [max([len(column)] + [len(row[at]) for row in rows]) for at, column in enumerate(("quantity", "value"))]
    table.add_column("quantity", no_wrap=True, min_width=widths[0])
    table.add_column("value", no_wrap=True, min_width=widths[1], justify="right")
    left = max(20, console.width - sum(widths) - 4)  # what the line has room for after the name and the value
    table.add_column("read from", no_wrap=not verbose, overflow="fold" if verbose else "ellipsis", max_width=left)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    for sentence in result.ignored_instructions:
        console.print(f"[yellow]ignored (text aimed at the reviewer):[/yellow] {escape(sentence)}")
    for section in result.set_aside:
        console.print(f"[yellow]set aside[/yellow] {escape(section)}")
    for number in result.unread_numbers:
        console.print(f"[yellow]not read:[/yellow] {escape(number)}")


SHORT_QUOTE_CHARS = 44


def _short_quote(quote: str, value) -> str:
    """The few words of a quote around the number it gave ("...a hard p99 budget of 20 ms."), whole when short."""
    import re

    quote = " ".join(quote.split())
    if len(quote) <= SHORT_QUOTE_CHARS:
        return quote
    at = 0
    if isinstance(value, int | float) and not isinstance(value, bool):
        shown = {f"{value:g}", f"{value:,.0f}", f"{value:,g}"}
        found = [m.start() for m in re.finditer(r"\d[\d,.]*", quote) if m.group(0).rstrip(".,") in shown]
        at = found[0] if found else 0
    start = max(0, min(at - SHORT_QUOTE_CHARS // 2, len(quote) - SHORT_QUOTE_CHARS))
    start = quote.rfind(" ", 0, start) + 1 if start else 0  # whole words
    end = quote.find(" ", start + SHORT_QUOTE_CHARS)
    end = len(quote) if end < 0 else end
    return ("…" if start else "") + quote[start:end] + ("…" if end < len(quote) else "")


@app.command("eval")
def eval_(
    cases: Annotated[
        Path | None,
        typer.Option("--cases", help="A case file or a folder of them (default: the suite's folder).", exists=True),
    ] = None,
    suite: Annotated[
        Suite,
        typer.Option(
            "--suite",
            help="cases = the project's own designs (eval/cases/); real = excerpts of public documents (eval/real/), "
            "gated by their own thresholds.",
        ),
    ] = Suite.cases,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Write report.md, report.json, junit.xml and charts to this folder.", file_okay=False
        ),
    ] = None,
    llm: Annotated[
        Engine,
        typer.Option(
            "--llm",
            help="off = rule agents; local/openai = replay that model's recorded traffic (or record it with --record).",
        ),
    ] = Engine.off,
    record: Annotated[
        bool,
        typer.Option(
            "--record", help="Re-record the cassettes against the live endpoint (local: starts the llama.cpp server)."
        ),
    ] = False,
    missing_only: Annotated[
        bool, typer.Option("--missing-only", help="With --record: record only the cases that have no cassette yet.")
    ] = False,
    keep_matching: Annotated[
        bool,
        typer.Option(
            "--keep-matching",
            help="With --record: replay the recorded calls a case still makes, record only new ones, drop unused ones.",
        ),
    ] = False,
    model: Annotated[
        str | None, typer.Option("--model", help="Model name for --llm openai (or CEILING_LLM_MODEL).")
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option(
            "--compare", help="A previous report.json: print what got better or worse.", exists=True, dir_okay=False
        ),
    ] = None,
    new_case: Annotated[
        Path | None,
        typer.Option(
            "--new-case",
            help="Write a case YAML from the current verdict on this description, to correct by hand.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=16, help="Cases reviewed at once (rule engine).")] = 2,
) -> None:
    """Score the reviewer on the eval case set; exits 1 when a figure falls below eval/thresholds.yaml."""
    from ceiling.app.evaluate import evaluate, write_new_case

    _use_corpus(None)  # $CEILING_CORPUS may name folders too
    if new_case is not None:
        write_new_case(new_case, cases)
        return
    options = {"suite": suite.value, "keep_matching": keep_matching}
    raise typer.Exit(evaluate(cases, report, llm, record, model, compare, jobs, missing_only, **options))


MAX_REVIEW_BYTES = 20_000_000  # an LLM review with every stage's record is ~0.2 MB


@app.command()
def diff(
    old: Annotated[
        Path,
        typer.Argument(
            help="The earlier review (.md or .json written by `ceiling review`).", exists=True, dir_okay=False
        ),
    ],
    new: Annotated[Path, typer.Argument(help="The later review.", exists=True, dir_okay=False)],
    format: Annotated[
        Format, typer.Option("--format", "-f", help="markdown table or json (a list of changes).")
    ] = Format.markdown,
) -> None:
    """What changed between two reviews: stage answers first, then the numbers. Exits 1 when anything changed."""
    import json

    from ceiling.agents.review import diff as review_diff
    from ceiling.app.inputs import read_text_file

    reviews = []
    for path in (old, new):
        try:  # ValueError covers InputError: not a regular file, not UTF-8, too deep, not a review
            reviews.append(review_diff.load(read_text_file(path, MAX_REVIEW_BYTES, str(path)), str(path)))
        except ValueError as exc:
            _fail(str(exc))
    changes = review_diff.diff(*reviews)
    if format is Format.json:
        sys.stdout.write(json.dumps([c.model_dump() for c in changes], indent=2) + "\n")
    else:
        sys.stdout.write(review_diff.markdown(changes) + "\n")
    raise typer.Exit(1 if changes else 0)


@app.command()
def chat(
    host: Annotated[
        str, typer.Option("--host", help="Interface to serve on; keep 127.0.0.1 unless you mean to share it.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to serve on.")] = 7860,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Folder for threads (SQLite) and review files (default: $CEILING_HOME/chat).",
            file_okay=False,
        ),
    ] = None,
    max_loops: MaxLoopsOpt = 3,
    llm: LlmOpt = None,
    model: ModelOpt = None,
    gguf: GgufOpt = None,
    machine: MachineOpt = None,
    corpus: CorpusOpt = None,
) -> None:
    """Serve the web chat: paste a design, watch each stage decided, get the review with charts, ask what-ifs."""
    folders, reference = _before_serving(corpus, machine)
    from rich.console import Console

    from ceiling.app.engines import EngineError, open_engine
    from ceiling.app.serve import serve

    console = Console(stderr=True)
    try:
        with open_engine(llm, model, gguf, on_status=lambda text: console.print(text)) as client:
            serve(
                host,
                port,
                data,
                client,
                max_loops,
                reference,
                folders,
                on_ready=lambda url: typer.echo(f"ceiling chat: serving on {url} (Ctrl-C stops)"),
            )
    except EngineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(gate.EXIT_ENGINE) from None
    except OSError as exc:
        _fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}")


@app.command()
def mcp(
    http: Annotated[
        bool,
        typer.Option("--http", help="Serve streamable HTTP on 127.0.0.1 (at /mcp) instead of stdio."),
    ] = False,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port for --http.")] = 8765,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="Folder for the server's threads (SQLite; default: $CEILING_HOME/mcp).", file_okay=False
        ),
    ] = None,
    max_loops: MaxLoopsOpt = 3,
    llm: LlmOpt = None,
    model: ModelOpt = None,
    gguf: GgufOpt = None,
    machine: MachineOpt = None,
    corpus: CorpusOpt = None,
) -> None:
    """Serve the reviewer to assistants in editors over MCP: the tools review_design, what_if and extract_facts,
    and the chapter's passages as ceiling://chunk/{id} resources. stdio by default (the client starts it)."""
    folders, reference = _before_serving(corpus, machine)
    from rich.console import Console

    from ceiling.app.engines import EngineError, open_engine
    from ceiling.app.mcp_server import serve
    from ceiling.app.threads import BadSetting

    console = Console(stderr=True)  # stdout is the stdio transport's: every word for people goes to stderr
    try:
        with open_engine(llm, model, gguf, on_status=lambda text: console.print(text)) as client:
            serve(
                port if http else None,
                data,
                client,
                max_loops,
                reference,
                folders,
                on_ready=lambda where: typer.echo(f"ceiling mcp: serving on {where} (Ctrl-C stops)", err=True),
            )
    except EngineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(gate.EXIT_ENGINE) from None
    except BadSetting as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}" if http else str(exc))


@app.command()
def index(
    corpus: CorpusOpt = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild/--if-changed", help="Rebuild even when the corpus is unchanged.")
    ] = True,
) -> None:
    """(Re)build the chromadb index of the corpus: the chapter plus any --corpus folders."""
    folders = _use_corpus(corpus)
    from rich.console import Console

    from ceiling.corpus.index import CorpusIndex

    console = Console(stderr=True)
    with console.status("indexing the corpus..."):
        status = CorpusIndex(folders).open(rebuild=rebuild)
    typer.echo(
        f"{'built' if status.built else 'cached'}: {status.chunks} chunks from the corpus in {status.seconds:.2f} s "
        f"({status.path})"
    )


@app.command()
def doctor(
    gguf: Annotated[Path | None, typer.Option(help="Check this GGUF instead of the default model.")] = None,
    server: Annotated[
        bool, typer.Option("--server/--no-server", help="Start the local server and run a test completion.")
    ] = True,
) -> None:
    """Check that `--llm local` can run here: llama-cpp-python, its CPU build, the model, threads, a completion."""
    from rich.console import Console
    from rich.table import Table

    from ceiling.app.doctor import diagnose

    console = Console(stderr=True)
    with console.status("checking the local model (a completion takes ~10 s on 2 cores)..."):
        checks = diagnose(gguf, server=server)
    table = Table("check", "status", "found", "what to do")
    for c in checks:
        table.add_row(c.name, c.status, c.found, c.todo)
    Console().print(table)
    failed = [c.name for c in checks if c.status == "fail"]
    if failed:
        typer.echo(f"error: {', '.join(failed)} failed: --llm local will not run here", err=True)
        raise typer.Exit(1)


def _pause_the_collector(argv: list[str]) -> None:
    """A one-shot command (one review, facts, a diff) runs no garbage collector: its imports and its review create
    ~0.5 s of collector passes on 2 cores over objects that live until exit, and exit itself walks them again (frozen
    at exit). Long-running commands (chat, mcp, eval, several designs) keep the collector."""
    import atexit
    import gc

    atexit.register(gc.freeze)
    if next((a for a in argv[1:] if not a.startswith("-")), "") in ("review", "facts", "diff", "index", "doctor"):
        gc.disable()  # `review` of several designs turns it back on (_review_each)


def run() -> None:
    """The `ceiling` command: click's usage errors become one line (`error: ...`, exit 2), like every other error."""
    _pause_the_collector(sys.argv)
    if len(sys.argv) == 1:
        app()  # no arguments: the help, as typer draws it
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # bad option value, missing argument, unknown option
        typer.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    run()
