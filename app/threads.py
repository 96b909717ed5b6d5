"""Chat threads over the one compiled review graph, persisted in SQLite.

A thread is a LangGraph thread (SqliteSaver checkpointer): the first message is reviewed from
scratch; a follow-up changes facts and resumes the graph from the first stage the change
affects; a silent quantity that could flip the verdict interrupts the graph with a question.
The chat transcript (what the user saw) is kept beside the checkpoints in the same file.
Every method yields `Event`s as the graph works, so the UI can stream them.

Each thread has an owner: a random key the server makes and gives to one browser (or API
caller), stored here only as its sha256. A run that passes the time limit is stopped for the
user at once and, when its work ends, rolled back to the checkpoint it started from.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import queue
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from langgraph.types import Command
from pydantic import BaseModel

from ceiling.agents.reading import followup
from ceiling.agents.redact import redact, redact_deep
from ceiling.agents.review.diff import Difference, diff
from ceiling.agents.schemas import LoopStep, Review, StageDecision
from ceiling.agents.stages.table import BY_NODE, decide_all
from ceiling.graph import workflow
from ceiling.graph.context import RunContext
from ceiling.graph.state import STATE_TYPES

# Seconds a run may take before the user is told it stopped (CEILING_CHAT_TIME_LIMIT overrides):
# a rule review takes ~0.03-2 s, a local-model one 60-110 s (up to ~12 min with tools).
TIME_LIMIT_S = {"deterministic": 60.0, "llm": 900.0}
# Runs working at once, stopped ones included: rule reviews are CPU-bound under one GIL, so a second one adds
# no throughput and slows the server's own replies (20 users for 60 s: 4.06 reviews/s with 1, 3.92 with 2;
# the slowest GET / beside 8 worst-case reviews 0.48 s with 1, 1.16 s with 2); LLM reviews mostly wait.
WORKERS = {"deterministic": 1, "llm": 8}


class Event(BaseModel):
    """One thing that happened in a thread, in order: a stage decided, the critic looped, ..."""

    kind: str  # "stage" | "loop" | "critic" | "question" | "review" | "note" | "stopped" (time limit)
    stage: StageDecision | None = None
    loop: LoopStep | None = None
    questions: list[dict] = []
    review: Review | None = None
    before: Review | None = None  # after a what-if: the review it changed (the chat shows what moved)
    changes: list[followup.Change] = []
    differences: list[Difference] = []
    rerun_from: int | None = None
    text: str = ""


def data_dir() -> Path:
    """Where threads live: $CEILING_HOME/chat (default ~/.cache/ceiling/chat)."""
    from ceiling.corpus.embedding import ceiling_home

    path = ceiling_home() / "chat"
    path.mkdir(parents=True, exist_ok=True)
    return path


class BadSetting(ValueError):
    """A chat setting from the environment that cannot be used (one line, for the CLI)."""


def time_limit_s(engine: str) -> float:
    configured = os.environ.get("CEILING_CHAT_TIME_LIMIT")
    if not configured:
        return TIME_LIMIT_S["deterministic" if engine == "deterministic" else "llm"]
    try:
        seconds = float(configured)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < 86_400:
        raise BadSetting(f"CEILING_CHAT_TIME_LIMIT={configured!r}: expected seconds, more than 0 and under a day")
    return seconds


def _digest(owner_key: str) -> str:
    return hashlib.sha256(owner_key.encode("utf-8")).hexdigest()


class Threads:
    def __init__(self, folder: Path | None = None, llm=None, max_loops: int = 3, machine=None, corpus=()):
        from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
        from langgraph.checkpoint.sqlite import SqliteSaver

        from ceiling.agents.scoring.reference import ReferenceMachine

        self.folder = folder or data_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.folder / "threads.sqlite", check_same_thread=False)
        serde = JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES)
        self._saver = SqliteSaver(self._db, serde=serde)
        self._lock = self._saver.lock  # one connection, one lock: the checkpointer's transactions never interleave ours
        with self._lock:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS transcripts "
                "(thread_id TEXT PRIMARY KEY, title TEXT, messages TEXT, updated REAL)"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS owners (thread_id TEXT PRIMARY KEY, owner_sha256 TEXT NOT NULL)"
            )
            self._db.commit()
        self.graph = workflow.build(self._saver)
        # Every run of every thread: the chat's engine, loop bound, machine and corpus, its questions as interrupts.
        self.context = RunContext(
            llm=llm, ask=True, max_loops=max_loops, machine=machine or ReferenceMachine(), corpus=tuple(corpus)
        )
        self.time_limit_s = time_limit_s(self.engine)
        self._running: set[str] = set()  # threads with a run in progress (a stopped one included, until it ends)
        self._running_lock = threading.Lock()
        self.workers = WORKERS["deterministic" if self.engine == "deterministic" else "llm"]
        self._workers = threading.BoundedSemaphore(self.workers)

    @property
    def engine(self) -> str:
        return self.context.engine

    # --- config -----------------------------------------------------------------------
    def _config(self, thread_id: str) -> dict:
        return {"recursion_limit": self.context.recursion_limit, "configurable": {"thread_id": thread_id}}

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    # --- owners ---------------------------------------------------------------------------
    @staticmethod
    def new_owner_key() -> str:
        return secrets.token_hex(16)

    def owns(self, thread_id: str, owner_key: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT owner_sha256 FROM owners WHERE thread_id = ?", (thread_id,)).fetchone()
        return row is not None and hmac.compare_digest(row[0], _digest(owner_key))

    def claim(self, thread_id: str, owner_key: str) -> bool:
        """Make `owner_key` the owner of a thread nobody has used yet; True when the thread is (now) that key's."""
        if self.owns(thread_id, owner_key):
            return True
        if self.snapshot(thread_id).values or self.transcript(thread_id):
            return False  # someone's thread (or one from before owners were kept): never handed over
        with self._lock:
            row = (thread_id, _digest(owner_key))
            inserted = self._db.execute("INSERT OR IGNORE INTO owners VALUES (?, ?)", row).rowcount
            self._db.commit()
        return bool(inserted)

    # --- state --------------------------------------------------------------------------
    def snapshot(self, thread_id: str):
        return self.graph.get_state(self._config(thread_id))

    def pending_questions(self, thread_id: str) -> list[dict]:
        snap = self.snapshot(thread_id)
        return [q for task in snap.tasks for i in task.interrupts for q in i.value.get("questions", [])]

    def review_of(self, thread_id: str) -> Review | None:
        return self.snapshot(thread_id).values.get("review")

    # --- the three ways a thread moves (each under the time limit) ----------------------------
    def start(self, thread_id: str, description: str) -> Iterator[Event]:
        """Review a new description in this thread (any earlier review in it is replaced)."""
        return self._bounded(thread_id, lambda: self._start(thread_id, description))

    def answer(self, thread_id: str, answers: dict[str, float]) -> Iterator[Event]:
        """Resume after a question; an empty map keeps the assumed values."""
        return self._bounded(thread_id, lambda: self._answer(thread_id, answers))

    def follow_up(self, thread_id: str, message: str) -> Iterator[Event]:
        """Apply a what-if to the thread's facts and re-run from the first stage it affects."""
        return self._bounded(thread_id, lambda: self._follow_up(thread_id, message))

    def _start(self, thread_id: str, description: str) -> Iterator[Event]:
        yield from self._stream(workflow.start(description), thread_id)

    def _answer(self, thread_id: str, answers: dict[str, float]) -> Iterator[Event]:
        yield from self._stream(Command(resume={"answers": answers}), thread_id)  # never empty: {} would not resume

    def _follow_up(self, thread_id: str, message: str) -> Iterator[Event]:
        values = self.snapshot(thread_id).values
        old = values.get("review")
        changes = followup.read_changes(message, values["raw_facts"])
        dropped: list[str] = []
        if not changes and self.context.llm is not None:  # the rules are blind to this phrasing: ask the model
            changes, dropped = self._model_reads(message, values["raw_facts"])
        if not changes:
            why = f" The model's reading did not check out ({'; '.join(dropped)})." if dropped else ""
            yield Event(
                kind="note",
                text='I could not read a changed quantity from that. Try e.g. "what if the fan-out were 12?", '
                f'"we move to 400 Gb/s InfiniBand" or "the SLO is 50 ms"; or start a new review.{why}',
            )
            return
        raw = followup.apply(changes, values["raw_facts"])
        update = {**workflow.new_pass(raw, values["machine"]), "given_facts": raw}
        first = self._first_affected(values, update["facts"])
        yield Event(
            kind="note",
            changes=changes,
            rerun_from=first,
            text=f"Re-running from stage {first}." if first <= 6 else "No stage is affected; the review is re-written.",
        )
        as_node = "ask" if first == 1 else workflow.STAGE_NODES[first - 1]  # first == 7: resume at the critic
        self.graph.update_state(self._config(thread_id), update, as_node=as_node)
        for event in self._stream(None, thread_id):
            if event.kind == "review" and old is not None:
                event.differences = diff(old, event.review)
                event.changes = changes
                event.before = old
            yield event

    def _model_reads(self, message: str, facts) -> tuple[list[followup.Change], list[str]]:
        """The model's what-ifs from a message the rules could not read, each checked as a proposed fact is; a
        model that fails to answer is a note, never a lost thread."""
        from ceiling.agents.llm import followup as model_followup
        from ceiling.agents.llm.client import LLMError

        try:
            return model_followup.read_changes(message, facts, self.context.llm)
        except LLMError as exc:
            return [], [f"the model did not answer: {exc}"]

    @staticmethod
    def _first_affected(values: dict, facts) -> int:
        """The first stage whose rule decision (answer or numbers) changes; 1 after a looped review."""
        if values.get("loops"):
            return 1
        before = decide_all(values["facts"], values["machine"])
        after = decide_all(facts, values["machine"])
        for number in range(1, 7):
            if (before[number].answer, before[number].evidence) != (after[number].answer, after[number].evidence):
                return number
        return 7

    def _stream(self, payload, thread_id: str) -> Iterator[Event]:
        for chunk in self.graph.stream(payload, self._config(thread_id), context=self.context, stream_mode="updates"):
            for node, update in chunk.items():
                if node == "__interrupt__":
                    yield Event(kind="question", questions=[q for i in update for q in i.value["questions"]])
                elif node in BY_NODE and update and "decisions" in update:
                    for decision in update["decisions"].values():
                        yield Event(kind="stage", stage=decision)
                elif node == "revise":
                    yield Event(kind="loop", loop=update["trace"][-1])
                elif node == "give_up":
                    yield Event(kind="critic", text=f"Infeasible as stated: {update['infeasible_because']}")
                elif node == "writer":
                    yield Event(kind="review", review=update["review"])

    # --- the time limit ----------------------------------------------------------------------
    def busy(self, thread_id: str) -> bool:
        """A run is still working on this thread (a stopped one too, until its rollback is done)."""
        with self._running_lock:
            return thread_id in self._running

    def _bounded(self, thread_id: str, run) -> Iterator[Event]:
        """The run's events, produced on a worker thread; past the time limit the caller gets a "stopped"
        event at once, and the worker rolls the thread back when it ends (a thread cannot be killed)."""
        deadline = time.monotonic() + self.time_limit_s
        refused = self._enter(thread_id)
        if refused is not None:
            yield refused
            return
        mark, events, outcome = self._mark(thread_id), queue.Queue(), {"late": False, "ended": False}
        threading.Thread(target=self._work, args=(thread_id, run, mark, events, outcome), daemon=True).start()
        while True:
            try:
                item = events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                if self._give_up(outcome):
                    yield Event(
                        kind="stopped",
                        text=f"Stopped: this took longer than {self.time_limit_s:g} s, "
                        "the time limit. The thread is as it was before this message.",
                    )
                    return
                continue
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def _enter(self, thread_id: str) -> Event | None:
        """Take the thread and a worker slot, or say why not (one run per thread; a bounded number at once)."""
        with self._running_lock:
            if thread_id in self._running:
                return Event(
                    kind="stopped",
                    text="This thread is still finishing a request that ran past the time "
                    "limit; nothing was changed. Try again in a minute.",
                )
            self._running.add(thread_id)
        if self._workers.acquire(timeout=self.time_limit_s):
            return None
        with self._running_lock:
            self._running.discard(thread_id)
        return Event(
            kind="stopped",
            text=f"The server stayed busy for {self.time_limit_s:g} s (the time limit); "
            "nothing was changed. Try again in a minute.",
        )

    def _give_up(self, outcome: dict) -> bool:
        with self._running_lock:
            outcome["late"] = not outcome["ended"]
            return outcome["late"]

    def _work(self, thread_id: str, run, mark, events: queue.Queue, outcome: dict) -> None:
        try:
            for event in run():
                events.put(event)
        except BaseException as exc:  # noqa: BLE001 (handed to the caller, who raises it as before)
            events.put(exc)
        finally:
            with self._running_lock:
                outcome["ended"] = True
                if outcome["late"]:
                    self._roll_back(thread_id, mark)
                self._running.discard(thread_id)
            self._workers.release()
            events.put(None)

    def _mark(self, thread_id: str) -> tuple[str | None, set]:
        """The thread's latest checkpoint and the writes pending on it: what a rollback returns to."""
        with self._saver.cursor(transaction=False) as cur:
            cur.execute("SELECT max(checkpoint_id) FROM checkpoints WHERE thread_id = ?", (thread_id,))
            base = cur.fetchone()[0]
            cur.execute("SELECT task_id, idx FROM writes WHERE thread_id = ? AND checkpoint_id IS ?", (thread_id, base))
            return base, set(cur.fetchall())

    def _roll_back(self, thread_id: str, mark: tuple[str | None, set]) -> None:
        """Delete what a stopped run wrote: later checkpoints (ids sort by time) and new writes on the base."""
        base, kept = mark
        with self._saver.cursor() as cur:
            cur.execute("DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id > ?", (thread_id, base or ""))
            cur.execute("DELETE FROM writes WHERE thread_id = ? AND checkpoint_id > ?", (thread_id, base or ""))
            if base is not None:
                cur.execute(
                    "SELECT task_id, idx FROM writes WHERE thread_id = ? AND checkpoint_id = ?", (thread_id, base)
                )
                for task_id, idx in set(cur.fetchall()) - kept:
                    cur.execute(
                        "DELETE FROM writes WHERE thread_id = ? AND checkpoint_id = ? AND task_id = ? AND idx = ?",
                        (thread_id, base, task_id, idx),
                    )

    # --- transcripts ----------------------------------------------------------------------
    def save_transcript(self, thread_id: str, title: str, messages: list[dict]) -> None:
        with self._lock:
            row = (thread_id, redact(title), json.dumps(redact_deep(messages)), time.time())  # no credential is stored
            self._db.execute("INSERT OR REPLACE INTO transcripts VALUES (?, ?, ?, ?)", row)
            self._db.commit()

    def transcript(self, thread_id: str) -> list[dict]:
        with self._lock:
            row = self._db.execute("SELECT messages FROM transcripts WHERE thread_id = ?", (thread_id,)).fetchone()
        return json.loads(row[0]) if row else []

    def recent(self, owner_key: str, limit: int = 20) -> list[tuple[str, str]]:
        """(thread_id, title) of this owner's latest threads, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT t.thread_id, t.title FROM transcripts t "
                "JOIN owners o ON o.thread_id = t.thread_id WHERE o.owner_sha256 = ? "
                "ORDER BY t.updated DESC LIMIT ?",
                (_digest(owner_key), limit),
            ).fetchall()
        return [(r[0], r[1]) for r in rows]
