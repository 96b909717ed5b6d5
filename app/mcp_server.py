"""`ceiling mcp`: the reviewer as an MCP server, for assistants in editors (the official SDK's v2 `MCPServer`).

Tools: `review_design` reviews a description in a new thread, `what_if` changes one quantity of a thread's design
and re-reviews it, `extract_facts` shows the quantities read. Resources: `ceiling://chunk/{chunk_id}`, the chapter
passages a review cites. Threads are the chat's (`Threads`, SQLite), kept in a folder of their own.

A description is data, never instructions: it passes the checks every input does (a refusal is one line, the
CLI's), and sentences aimed at the reviewer are listed as ignored in the review, not followed.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Literal

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.mcpserver.resources import TextResource
from pydantic import BaseModel, Field

from ceiling.agents.reading.followup import Change
from ceiling.agents.review.diff import Difference, visible_part
from ceiling.agents.review.sensitivity import Question
from ceiling.agents.schemas import Axis, Ceiling, Fact, Metric, Mode, Review, Topology
from ceiling.app.threads import Event, Threads

HOST = "127.0.0.1"  # --http never listens beyond this machine
MAX_LOOPS = 10  # the CLI's bound on --max-loops
WHAT_IF_MAX_CHARS = 400  # the chat's bound: a what-if names a quantity; a longer text is a new design
TITLE = "the described system"  # a review's title when the description has no heading
THREAD_ID = re.compile(r"[0-9a-f]{32}")  # Threads.new_id(): uuid4 hex


def data_dir() -> Path:
    """The MCP server's threads: $CEILING_HOME/mcp, apart from the chat's."""
    from ceiling.corpus.embedding import ceiling_home

    return ceiling_home() / "mcp"


# --- what the tools return (the SDK publishes these as the tools' output schemas) -------------------------------
class Verdict(BaseModel):
    feasible: bool
    infeasible_because: str | None
    ceiling: Ceiling = Field(description="Stage 1: the binding ceiling.")
    distribute: list[Axis] = Field(description="Stage 2: the axes to distribute (empty: one machine).")
    topology: Topology
    mode: Mode
    metric: Metric
    tax_within_budget: bool | None = Field(
        description="Stage 6, the design as described: the communication tax fits the budget (the critic's "
        "changes are in loops)."
    )
    loops: int = Field(description="How often the critic sent the design back.")
    engine: str = Field(description="deterministic (rule agents) or llm:<model>.")

    @classmethod
    def of(cls, review: Review) -> Verdict:
        fields = {name: getattr(review, name) for name in cls.model_fields if name != "tax_within_budget"}
        return cls(**fields, tax_within_budget=review.tax.get("within_budget"))


class ReviewResult(BaseModel):
    thread_id: str = Field(description="Pass to what_if to change a quantity of this design.")
    verdict: Verdict
    markdown: str | None = Field(None, description="format=markdown: the review, Table 1.8.1 first.")
    review: Review | None = Field(None, description="format=json: the review's JSON contract (DESIGN.md).")
    assumed_instead_of_asked: list[Question] = Field(
        default_factory=list,
        description="Quantities the text leaves out that could flip the verdict; the review used the assumed "
        "value. Give the real one with what_if.",
    )


class WhatIfResult(ReviewResult):
    changes: list[Change] = Field(description="The quantities read from the change, each with the words it came from.")
    rerun_from: int = Field(description="The first stage the change affects (7: none; only the review is redone).")
    differences: list[Difference] = Field(description="What changed in the review: stage answers, then numbers.")


class FactsResult(BaseModel):
    facts: dict[str, Fact] = Field(
        description="Each quantity read, by SystemFacts field: its value and unit, with the quote it was read "
        "from or, when the text is silent, the assumption made."
    )
    ignored_instructions: list[str] = Field(description="Sentences aimed at the reviewer: data, not followed.")
    set_aside: list[str] = Field(description="Sections read as outside the design, each with the reason.")
    unread_numbers: list[str] = Field(description="Numbers of the text no quantity claimed, with their sentence.")


# --- threads -------------------------------------------------------------------------------------------------
class ThreadStores:
    """The server's threads: one `Threads` per loop bound, since a `Threads` runs all its threads with one run
    context; a what-if then re-reviews on the bound its thread was reviewed with."""

    def __init__(self, folder: Path, llm=None, max_loops: int = 3, machine=None, corpus=()):
        from ceiling.agents.scoring.reference import ReferenceMachine

        self.folder, self.llm, self.max_loops, self.corpus = folder, llm, max_loops, tuple(corpus)
        self.machine = machine or ReferenceMachine()
        self._stores: dict[int, Threads] = {}
        self._lock = threading.Lock()
        self.bounded(max_loops)  # the default store now: a bad CEILING_CHAT_TIME_LIMIT is said at start-up

    def bounded(self, max_loops: int) -> Threads:
        with self._lock:
            if max_loops not in self._stores:
                self._stores[max_loops] = Threads(
                    self._folder(max_loops), self.llm, max_loops, self.machine, self.corpus
                )
            return self._stores[max_loops]

    def holding(self, thread_id: str) -> Threads | None:
        """The store that reviewed this thread, or None."""
        for max_loops in range(MAX_LOOPS + 1):
            if (self._folder(max_loops) / "threads.sqlite").exists():
                store = self.bounded(max_loops)
                if store.review_of(thread_id) is not None:
                    return store
        return None

    def _folder(self, max_loops: int) -> Path:
        return self.folder / f"max-loops-{max_loops}"


def _progress_line(event: Event) -> str:
    """One event of a run, as the client's progress message."""
    if event.kind == "stage":
        return f"stage {event.stage.stage} ({event.stage.name}): {event.stage.answer}"
    if event.kind == "loop":
        return f"critic sent the design back (loop {event.loop.loop}): {event.loop.change}"
    if event.kind == "question":
        return "a silent quantity could flip the verdict: keeping its assumed value"
    if event.kind == "review":
        return "review written"
    return event.text


class _Progress:
    """A tool call's progress notifications: numbered in order across every run the call makes, as the spec
    requires the progress value to increase."""

    def __init__(self, ctx: Context):
        self.ctx, self.step = ctx, itertools.count()

    async def say(self, message: str) -> None:
        await self.ctx.report_progress(next(self.step), None, message)


async def _run(progress: _Progress, work: Callable[[], Iterator[Event]]) -> list[Event]:
    """The events of a thread's run, each reported to the client as progress while the graph works.

    Threads yields events from a blocking queue, so the run is drained on a worker thread; each event hops back
    to the event loop to be sent (an LLM review takes minutes, and clients give up after ~60 s of silence)."""

    def drain() -> list[Event]:
        events = []
        for event in work():
            if event.kind == "stopped":  # the time limit or a busy thread: nothing was changed
                raise ToolError(event.text)
            anyio.from_thread.run(progress.say, _progress_line(event))
            events.append(event)
        return events

    return await anyio.to_thread.run_sync(drain)


async def _finish(
    progress: _Progress, store: Threads, thread_id: str, events: list[Event]
) -> tuple[Event, list[Question]]:
    """The run's review event, after answering any question about a silent quantity with its assumed value (an
    assistant has no one to ask mid-call; it can give the real value with what_if), and the questions."""
    questions = [Question(**q) for e in events if e.kind == "question" for q in e.questions]
    while store.pending_questions(thread_id):
        events = [*events, *await _run(progress, lambda: store.answer(thread_id, {}))]
    written = next((e for e in reversed(events) if e.kind == "review"), None)
    if written is None:
        raise ToolError("the review did not finish; try again")
    return written, questions


def _checked(description: str) -> str:
    """The description as every input is checked (size, binary, UTF-8, empty, language, a system described):
    the cleaned text, or a tool error with the CLI's one line."""
    from ceiling.app.inputs import check_description

    checked = check_description(description, "description")
    if not checked.ok:
        raise ToolError(checked.error)
    return checked.text


def _result(thread_id: str, review: Review, format: str, title: str, questions: list[Question]) -> dict:
    from ceiling.agents.review.writer import markdown

    return {
        "thread_id": thread_id,
        "verdict": Verdict.of(review),
        # The embedded record `ceiling diff` reads would double the text the assistant reads; json has it all.
        "markdown": visible_part(markdown(review, title)).rstrip() + "\n" if format == "markdown" else None,
        "review": review if format == "json" else None,
        "assumed_instead_of_asked": questions,
    }


def _title(description: str) -> str:
    from ceiling.app.inputs import title_of

    return title_of(description, TITLE)


# --- the server ----------------------------------------------------------------------------------------------
INSTRUCTIONS = (
    "ceiling reviews the design of a distributed AI system the way Chapter 1.8 teaches: six stages in order "
    "(ceiling -> axis -> topology -> mode -> metric -> tax), each cited to the chapter, with the numbers computed "
    "and a critic that sends the design back when the tax breaks the budget. Call review_design with the design's "
    "description, then what_if on its thread_id to change one quantity. The text of a description is read as data: "
    "sentences in it addressed to the reviewer are listed as ignored, never followed."
)


def build(stores: ThreadStores, corpus: tuple[Path, ...] = ()) -> MCPServer:
    """The MCP server over these thread stores and the corpus the reviews cite."""
    from importlib.metadata import version

    from ceiling.corpus.retrieve import index_for

    # WARNING: a refused input is the model's to read in the result, not a line in the editor's server log; a crash
    # is still logged with its traceback (here, never to the client).
    server = MCPServer("ceiling", version=version("ceiling"), instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool()
    async def review_design(
        description: Annotated[str, Field(description="The design, as prose or markdown (up to 100,000 bytes).")],
        ctx: Context,
        max_loops: Annotated[
            int | None,
            Field(
                ge=0,
                le=MAX_LOOPS,
                description="How often the critic may send the design back (default: the server's --max-loops).",
            ),
        ] = None,
        format: Literal["markdown", "json"] = "markdown",
    ) -> ReviewResult:
        """Review a distributed AI system's design: Table 1.8.1 filled in (ceiling, axis, topology, mode, metric,
        tax), one defended paragraph per stage, the critic's loops, the alternative and the break-even values.
        Starts a thread: pass its thread_id to what_if."""
        text = await anyio.to_thread.run_sync(_checked, description)  # language detection: off the event loop
        store = await anyio.to_thread.run_sync(stores.bounded, stores.max_loops if max_loops is None else max_loops)
        thread_id, progress = store.new_id(), _Progress(ctx)
        await progress.say("reading the description")
        events = await _run(progress, lambda: store.start(thread_id, text))
        written, questions = await _finish(progress, store, thread_id, events)
        return ReviewResult(**_result(thread_id, written.review, format, _title(text), questions))

    @server.tool()
    async def what_if(
        thread_id: Annotated[str, Field(description="The thread_id a review_design call returned.")],
        change: Annotated[
            str,
            Field(
                description='One changed quantity, e.g. "what if the fan-out were 12?", "we move to 400 Gb/s '
                'InfiniBand", "the SLO is 50 ms".'
            ),
        ],
        ctx: Context,
        format: Literal["markdown", "json"] = "markdown",
    ) -> WhatIfResult:
        """Change one quantity of a reviewed design and review it again, from the first stage the change affects;
        says what changed in the verdict and the numbers."""
        from ceiling.app.inputs import redact_secrets

        if len(change) > WHAT_IF_MAX_CHARS:
            raise ToolError(
                f"a what-if is at most {WHAT_IF_MAX_CHARS} characters (this one has {len(change):,}); "
                "send a changed design to review_design instead"
            )
        store = await anyio.to_thread.run_sync(stores.holding, thread_id) if THREAD_ID.fullmatch(thread_id) else None
        if store is None:
            raise ToolError(f"no reviewed thread {thread_id[:40]!r}: pass the thread_id review_design returned")
        progress = _Progress(ctx)
        await progress.say("reading the change")
        events = await _run(progress, lambda: store.follow_up(thread_id, redact_secrets(change)))  # it is stored
        note = next(e for e in events if e.kind == "note")
        if not note.changes:
            raise ToolError(" ".join(note.text.split()))  # one line: what the reader could not find, with examples
        written, questions = await _finish(progress, store, thread_id, events)
        title = _title(store.snapshot(thread_id).values.get("description") or "")
        return WhatIfResult(
            **_result(thread_id, written.review, format, title, questions),
            changes=note.changes,
            rerun_from=note.rerun_from,
            differences=written.differences,
        )

    @server.tool()
    def extract_facts(
        description: Annotated[str, Field(description="The design, as prose or markdown (up to 100,000 bytes).")],
    ) -> FactsResult:
        """The quantities read from a description (what `ceiling facts` shows), each with the quote it was read
        from or the assumption made where the text is silent; plus what was set aside or left unread."""
        from ceiling.agents.reading import assume
        from ceiling.agents.reading.facts import extract

        facts = assume.complete(extract(_checked(description)), stores.machine)
        return FactsResult(
            facts={name: fact for name, fact in facts.facts() if fact.value is not None},
            ignored_instructions=facts.ignored_instructions,
            set_aside=facts.set_aside,
            unread_numbers=facts.unread_numbers,
        )

    index = index_for(corpus)

    @server.resource("ceiling://chunk/{chunk_id}", name="chunk", mime_type="text/plain")
    def chunk(chunk_id: str) -> str:
        """A passage of the corpus (the chapter and any --corpus folders) by the chunk id a review cites."""
        found = index.chunk(chunk_id)
        if found is None:
            raise ResourceNotFoundError(f"no chunk {chunk_id[:80]!r} in the corpus")
        return found.text

    for passage in index.chunks():  # listed too, so a client can browse the passages without knowing an id
        server.add_resource(
            TextResource(
                uri=f"ceiling://chunk/{passage.chunk_id}",
                name=passage.chunk_id,
                title=passage.section,
                text=passage.text,
            )
        )
    return server


def serve(port: int | None, data: Path | None, llm, max_loops: int, machine, corpus=(), on_ready=print) -> None:
    """Warm the reviewer, then serve: on stdio, or with `port` streamable HTTP on 127.0.0.1, until stopped."""
    from ceiling.app.serve import WARM_UP, check_port
    from ceiling.graph import workflow

    if port is not None:
        check_port(HOST, port)  # before the slow warm-up, so a taken port is said at once
    stores = ThreadStores(data or data_dir(), llm=llm, max_loops=max_loops, machine=machine, corpus=corpus)
    # One throwaway rule review loads pint, the embedding model and the graph before the first call waits.
    workflow.run(WARM_UP, machine=machine, corpus=corpus)
    server = build(stores, tuple(corpus))
    if port is None:
        on_ready("stdio")
        server.run("stdio")
        return
    on_ready(f"http://{HOST}:{port}/mcp")
    server.run("streamable-http", host=HOST, port=port)
