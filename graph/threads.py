"""Chat threads over the one compiled review graph, persisted in SQLite.

A thread is a LangGraph thread (SqliteSaver checkpointer): the first message is reviewed from
scratch; a follow-up changes facts and resumes the graph from the first stage the change
affects; a silent quantity that could flip the verdict interrupts the graph with a question.
The chat transcript (what the user saw) is kept beside the checkpoints in the same file.
Every method yields `Event`s as the graph works, so the UI can stream them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Iterator

from langgraph.types import Command
from pydantic import BaseModel

from ceiling.agents import followup
from ceiling.agents.diff import Difference, diff
from ceiling.agents.schemas import LoopStep, Review, StageDecision
from ceiling.graph import workflow

RECURSION_PER_LOOP = 10
# Our own types in the graph state, allowed to round-trip through the checkpointer.
STATE_TYPES = [("ceiling.agents.schemas", name) for name in ("SystemFacts", "Fact", "StageDecision", "Citation", "LoopStep", "Alternative", "Review")] + [
    ("ceiling.agents.tools.reference", "ReferenceMachine"), ("ceiling.agents.tools.taxes", "Design")]


class Event(BaseModel):
    """One thing that happened in a thread, in order: a stage decided, the critic looped, ..."""

    kind: str  # "stage" | "loop" | "critic" | "question" | "review" | "note"
    stage: StageDecision | None = None
    loop: LoopStep | None = None
    questions: list[dict] = []
    review: Review | None = None
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


class Threads:
    def __init__(self, folder: Path | None = None, llm=None, max_loops: int = 3, machine=None):
        from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
        from langgraph.checkpoint.sqlite import SqliteSaver

        from ceiling.agents.tools.reference import ReferenceMachine

        self.folder = folder or data_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.folder / "threads.sqlite", check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("CREATE TABLE IF NOT EXISTS transcripts (thread_id TEXT PRIMARY KEY, title TEXT, messages TEXT, updated REAL)")
            self._db.commit()
        serde = JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES)
        self.graph = workflow.build(SqliteSaver(self._db, serde=serde))
        self.llm, self.max_loops, self.machine = llm, max_loops, machine or ReferenceMachine()

    @property
    def engine(self) -> str:
        return self.llm.engine if self.llm is not None else "deterministic"

    # --- config -----------------------------------------------------------------------
    def _config(self, thread_id: str) -> dict:
        return {"recursion_limit": RECURSION_PER_LOOP * (self.max_loops + 3),
                "configurable": {"thread_id": thread_id, "llm": self.llm, "ask": True}}

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex[:12]

    # --- state --------------------------------------------------------------------------
    def snapshot(self, thread_id: str):
        return self.graph.get_state(self._config(thread_id))

    def pending_questions(self, thread_id: str) -> list[dict]:
        snap = self.snapshot(thread_id)
        return [q for task in snap.tasks for i in task.interrupts for q in i.value.get("questions", [])]

    def review_of(self, thread_id: str) -> Review | None:
        return self.snapshot(thread_id).values.get("review")

    # --- the three ways a thread moves ----------------------------------------------------
    def start(self, thread_id: str, description: str) -> Iterator[Event]:
        """Review a new description in this thread (any earlier review in it is replaced)."""
        state = {"description": description, "given_facts": None, "machine": self.machine, "max_loops": self.max_loops,
                 "engine": self.engine, "answered": [], "review": None}
        yield from self._stream(state, thread_id)

    def answer(self, thread_id: str, answers: dict[str, float]) -> Iterator[Event]:
        """Resume after a question; an empty map keeps the assumed values."""
        yield from self._stream(Command(resume={"answers": answers}), thread_id)  # never empty: {} would not resume

    def follow_up(self, thread_id: str, message: str) -> Iterator[Event]:
        """Apply a what-if to the thread's facts and re-run from the first stage it affects."""
        values = self.snapshot(thread_id).values
        old = values.get("review")
        changes = followup.read_changes(message, values["raw_facts"])
        if not changes:
            yield Event(kind="note", text="I could not read a changed quantity from that. Try e.g. \"what if the fan-out were 12?\", "
                                          "\"we move to 400 Gb/s InfiniBand\" or \"the SLO is 50 ms\"; or start a new review.")
            return
        raw = followup.apply(changes, values["raw_facts"])
        update = {**workflow.new_pass(raw, values["machine"]), "given_facts": raw}
        first = self._first_affected(values, update["facts"])
        yield Event(kind="note", changes=changes, rerun_from=first,
                    text=f"Re-running from stage {first}." if first <= 6 else "No stage is affected; the review is re-written.")
        as_node = "ask" if first == 1 else workflow.STAGE_NODES[first - 1]  # first == 7: resume at the critic
        self.graph.update_state(self._config(thread_id), update, as_node=as_node)
        for event in self._stream(None, thread_id):
            if event.kind == "review" and old is not None:
                event.differences = diff(old, event.review)
                event.changes = changes
            yield event

    @staticmethod
    def _first_affected(values: dict, facts) -> int:
        """The first stage whose rule decision (answer or numbers) changes; 1 after a looped review."""
        if values.get("loops"):
            return 1
        before = workflow.decide_all(values["facts"], values["machine"])
        after = workflow.decide_all(facts, values["machine"])
        for number in range(1, 7):
            if (before[number].answer, before[number].evidence) != (after[number].answer, after[number].evidence):
                return number
        return 7

    def _stream(self, payload, thread_id: str) -> Iterator[Event]:
        for chunk in self.graph.stream(payload, self._config(thread_id), stream_mode="updates"):
            for node, update in chunk.items():
                if node == "__interrupt__":
                    yield Event(kind="question", questions=[q for i in update for q in i.value["questions"]])
                elif node.startswith("s") and update and "decisions" in update:
                    for decision in update["decisions"].values():
                        yield Event(kind="stage", stage=decision)
                elif node == "revise":
                    yield Event(kind="loop", loop=update["trace"][-1])
                elif node == "give_up":
                    yield Event(kind="critic", text=f"Infeasible as stated: {update['infeasible_because']}")
                elif node == "writer":
                    yield Event(kind="review", review=update["review"])

    def browser_secret(self) -> str:
        """A random secret made once per data folder (browsers' stored thread ids stay readable after a restart)."""
        import secrets

        path = self.folder / "browser-secret"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()

    # --- transcripts ----------------------------------------------------------------------
    def save_transcript(self, thread_id: str, title: str, messages: list[dict]) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO transcripts VALUES (?, ?, ?, ?)", (thread_id, title, json.dumps(messages), time.time()))
            self._db.commit()

    def transcript(self, thread_id: str) -> list[dict]:
        with self._lock:
            row = self._db.execute("SELECT messages FROM transcripts WHERE thread_id = ?", (thread_id,)).fetchone()
        return json.loads(row[0]) if row else []

    def recent(self, limit: int = 20) -> list[tuple[str, str]]:
        """(thread_id, title) of the latest threads, newest first."""
        with self._lock:
            rows = self._db.execute("SELECT thread_id, title FROM transcripts ORDER BY updated DESC LIMIT ?", (limit,)).fetchall()
        return [(r[0], r[1]) for r in rows]
