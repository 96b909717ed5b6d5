"""The web chat (Gradio): paste a design, watch the six agents decide, read the review, ask what-ifs.

The page is a thin view over `Threads` (app/threads.py): every message becomes one of
start / answer / follow-up on the same compiled graph the CLI and eval use, and each Event
the graph streams becomes a chat message as soon as it happens. The user's text is shown
back inside a code fence: it is data, never rendered as markdown or HTML.

Every thread belongs to one browser: the server makes an owner key the first time a browser
loads the page, the browser keeps it (BrowserState), and each event checks it against the
thread's stored hash. API callers get the key inside the thread handle `/review` returns.
No data file is served: the charts and downloads Gradio gets are copies in a private temp folder.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
import warnings
from pathlib import Path

import gradio as gr

from ceiling.agents.review import prose, sensitivity, writer
from ceiling.agents.review.diff import markdown as diff_markdown
from ceiling.agents.review.diff import summary, visible_part
from ceiling.agents.review.writer import as_text
from ceiling.agents.schemas import Review
from ceiling.app import charts
from ceiling.app.inputs import MAX_BYTES, InputError, check_description, decode, redact_secrets, title_of
from ceiling.app.threads import Event, Threads

FOLLOW_UP_MAX_CHARS = 400  # longer messages in a reviewed thread are read as a new description
# Not a secret: Gradio sends it to every client in /config. The owner key inside the state is
# protected by the browser's same-origin storage, not by this encryption.
BROWSER_STATE_KEY = "ceiling-chat-browser-state"
TITLE = "ceiling: a defended design review of your distributed AI system"
PLACEHOLDER = (
    "Paste a description of a distributed AI system (or drop a .md/.txt file): what it does, its load, its latency "
    'budget, model and data sizes, hardware. After the review, ask what-ifs: "what if the fan-out were 12?"'
)


# Tables keep whole words: a narrow column scrolls sideways instead of breaking "Pressure" into "Pressur e" (a
# collapsed step's content breaks words anywhere by default).
CSS = """
#review-chat table { display: block; max-width: 100%; overflow-x: auto; }
#review-chat th, #review-chat td { word-break: normal; overflow-wrap: normal; }
#review-chat th { white-space: nowrap; }
"""


def as_data(text: str) -> str:
    """The user's text in a fence longer than any backtick run inside it: shown verbatim."""
    fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}text\n{text}\n{fence}"


def _stage_title(stage) -> str:
    return f"Stage {stage.stage} · {stage.name}: {prose.tidy(stage.answer)}"


def _stage_message(event: Event) -> dict:
    stage = event.stage
    cites = "\n".join(
        f'> "{as_text(prose.whole_quote(c.quote))}" ({as_text(c.section)}, `{c.chunk_id}`)' for c in stage.citations
    )
    llm = stage.llm or {}
    proposed = as_text(llm.get("proposed"))
    note = f"\n\n_LLM: proposed {proposed}, critic: {llm.get('status')}_" if llm.get("status") else ""
    return {
        "role": "assistant",
        "content": f"{as_text(prose.tidy(stage.justification))}\n\n{cites}{note}",
        "metadata": {"title": _stage_title(stage), "status": "done"},
    }


def _progress_message(title: str) -> dict:
    """A what-if's re-run as one collapsed step (a line per stage decided), not six messages per pass."""
    return {"role": "assistant", "content": "", "metadata": {"title": title, "status": "pending"}}


def _with_stage(progress: dict, event: Event) -> dict:
    line = f"- {as_text(_stage_title(event.stage), inline=True)}"
    content = f"{progress['content']}\n{line}" if progress["content"] else line
    return {**progress, "content": content}


def _done(message: dict) -> dict:
    return {**message, "metadata": {**message["metadata"], "status": "done"}}


def _changed(change) -> str:
    """A changed quantity as a sentence part: "fan-out from 6 to 60", "SLO from 20 ms to 50 ms"."""
    said = (
        f"{prose.label(change.field)} from {_plain(change.before, change.unit)} to {_plain(change.after, change.unit)}"
    )
    return said + (" (read by the LLM: check it)" if change.by_model else "")


def _loop_message(event: Event) -> dict:
    why, change = as_text(event.loop.reason), as_text(event.loop.change)
    return {
        "role": "assistant",
        "content": f"**Why:** {why}\n\n**Change:** {change}",
        "metadata": {"title": f"Critic: sent the design back (loop {event.loop.loop})", "status": "done"},
    }


def _question_message(event: Event) -> dict:
    asked = [sensitivity.Question(**q) for q in event.questions]
    lines = [f"- {q.prompt()}" for q in asked]
    lead = "one number could flip the verdict" if len(asked) == 1 else f"{len(asked)} numbers could flip the verdict"
    return {
        "role": "assistant",
        "content": f"Before I go on, {lead}:\n\n"
        + "\n".join(lines)
        + "\n\nReply with the value(s) (e.g. `50 ms`), or **ok** to keep what I assumed.",
    }


class ChatApp:
    def __init__(self, threads: Threads):
        self.threads = threads
        # 0700; Gradio copies from here to its cache. Removed when the server stops: copies of reviews do not linger.
        self._staging_dir = tempfile.TemporaryDirectory(prefix="ceiling-chat-")
        self._staging = Path(self._staging_dir.name)

    def _staged(self, path: Path) -> str:
        """A copy of a data-folder file that Gradio may serve (the data folder itself never is)."""
        copy = self._staging / uuid.uuid4().hex / path.name
        copy.parent.mkdir()
        shutil.copyfile(path, copy)
        return str(copy)

    # --- who is asking ---------------------------------------------------------------------
    def _session(self, state) -> tuple[str, str | None]:
        """(owner key, the thread it owns or None) from the browser's state; anything else gets a new key."""
        state = state if isinstance(state, dict) else {}
        owner, thread = state.get("owner"), state.get("thread")
        if not (isinstance(owner, str) and re.fullmatch(r"[0-9a-f]{32}", owner)):
            return self.threads.new_owner_key(), None
        return owner, thread if isinstance(thread, str) and self.threads.owns(thread, owner) else None

    # --- files the review offers -------------------------------------------------------------
    def _outputs(self, thread_id: str, review: Review, markdown: str) -> tuple[Path, Path, Path, Path | None]:
        folder = self.threads.folder / "reviews" / thread_id
        folder.mkdir(parents=True, exist_ok=True)
        md, js = folder / "review.md", folder / "review.json"
        md.write_text(markdown, encoding="utf-8")
        js.write_text(review.model_dump_json(indent=2), encoding="utf-8")
        radar = charts.radar(review, folder / f"radar-{review.loops}-{id(review)}.png")
        scale = charts.scale_chart(review, folder / f"scale-{review.loops}-{id(review)}.png")
        return md, js, radar, scale

    def _review_messages(self, thread_id: str, event: Event) -> tuple[list[dict], Path, Path]:
        review = event.review
        title = title_of(self.threads.snapshot(thread_id).values.get("description") or "", "your design")
        markdown = writer.markdown(review, title)
        md, js, radar, scale = self._outputs(thread_id, review, markdown)
        text = visible_part(markdown)
        if event.before is not None:  # a what-if: what moved, and the whole review one click away
            return self._what_if_messages(event, text, radar, scale), md, js
        messages = [{"role": "assistant", "content": text}, *self._chart_messages(review, radar, scale)]
        if scale is None:
            messages.append(
                {"role": "assistant", "content": "This design pays no communication tax to chart (one machine)."}
            )
        return messages, md, js

    def _chart_messages(self, review: Review, radar: Path | None, scale: Path | None) -> list[dict]:
        messages = []
        if radar is not None:
            messages.append(
                {"role": "assistant", "content": "**Axis pressures** (the radar that tells you whom to call):"}
            )
            messages.append({"role": "assistant", "content": {"path": self._staged(radar)}})
        if scale is not None:
            messages.append(
                {
                    "role": "assistant",
                    "content": f"**{charts.scale_title(review)}** (the break-point is where the design stops fitting):",
                }
            )
            messages.append({"role": "assistant", "content": {"path": self._staged(scale)}})
        return messages

    def _what_if_messages(self, event: Event, text: str, radar: Path, scale: Path | None) -> list[dict]:
        """A what-if's reply: the quantity changed, the new answer, the diff table, the paragraphs of the stages
        whose answer or argument changed and the charts whose numbers moved; the whole review stays in a collapsed
        step (and the downloads), not posted again."""
        old, new = event.before, event.review
        changed = "; ".join(_changed(c) for c in event.changes) or "the design"
        parts = [f"**What changed:** {as_text(changed, inline=True)}. {summary(event.differences)}"]
        if event.differences:
            parts += [f"**Answer:** {as_text(prose.tidy(new.answer))}", writer.verdict_line(new)]
            parts.append(diff_markdown(event.differences).split("\n\n", 1)[1])
        moved = [
            after
            for before, after in zip(old.stages, new.stages, strict=False)
            if (before["answer"], before["justification"]) != (after["answer"], after["justification"])
        ]
        if new.trace and new.trace != old.trace:
            change = "; then ".join(prose.tidy(step.change) for step in new.trace)
            parts.append(
                f"**The critic sent it back and changed it:** {as_text(change, inline=True)}. The stages below "
                "are the design after that change."
            )
        for stage in moved:
            parts.append("\n".join(writer.stage_section(stage)[:3]).replace("### ", "#### ", 1))
        if event.differences and not moved:
            parts.append("No stage's argument changed; only the numbers above moved.")
        messages = [{"role": "assistant", "content": "\n\n".join(parts)}]
        numbers = {d.what for d in event.differences if d.kind == "number"}
        messages += self._chart_messages(
            new,
            radar if any(what.endswith("axis pressure") for what in numbers) else None,
            scale if numbers & {"communication (ms)", "SLO (ms)", "budget left (ms)"} else None,
        )
        messages.append(
            {
                "role": "assistant",
                "content": text,
                "metadata": {
                    "title": "The whole review, updated (open it here, or download it below)",
                    "status": "done",
                },
            }
        )
        return messages

    # --- one user message --------------------------------------------------------------------
    def respond(self, message: dict | str, history: list[dict], state):
        """Generator: yields (history, browser state, md download, json download, textbox) as the graph works."""
        owner, thread_id = self._session(state)
        if thread_id is None:
            thread_id = self.threads.new_id()
            self.threads.claim(thread_id, owner)
        yield from self._respond(message, history, thread_id, {"owner": owner, "thread": thread_id})

    def _respond(self, message: dict | str, history: list[dict], thread_id: str, state: dict):
        downloads = [gr.update(), gr.update()]
        try:
            text = self._text_of(message)
        except InputError as exc:
            history = [*history, {"role": "assistant", "content": f"**Cannot review that:** {exc}"}]
            yield history, state, *downloads, None
            return
        history = [*history, {"role": "user", "content": as_data(text)}]
        yield history, state, *downloads, None
        try:
            events = self._route(text, thread_id)
        except InputError as exc:
            history = [*history, {"role": "assistant", "content": f"**Cannot review that:** {exc}"}]
            yield history, state, *downloads, None
            return
        follow_up, progress = False, None  # a what-if re-runs into one collapsed step per pass (its index)
        for event in events:
            if event.kind == "note" and event.rerun_from is not None and event.rerun_from <= 6:
                follow_up, progress = True, len(history)
                history = [*history, _progress_message(event.text.rstrip("."))]
            elif event.kind == "stage" and follow_up:
                if progress is None:
                    progress = len(history)
                    history = [*history, _progress_message("Stages decided again after the critic's change")]
                history = [*history[:progress], _with_stage(history[progress], event), *history[progress + 1 :]]
            elif event.kind == "stage":
                history = [*history, _stage_message(event)]
            elif event.kind == "loop":
                if progress is not None:
                    history = [*history[:progress], _done(history[progress]), *history[progress + 1 :]]
                    progress = None
                history = [*history, _loop_message(event)]
            elif event.kind == "question":
                history = [*history, _question_message(event)]
            elif event.kind in ("note", "critic", "stopped"):
                history = [*history, {"role": "assistant", "content": event.text}]
            elif event.kind == "review":
                if progress is not None:
                    history = [*history[:progress], _done(history[progress]), *history[progress + 1 :]]
                messages, md, js = self._review_messages(thread_id, event)
                history = [*history, *messages]
                downloads = [gr.update(value=self._staged(path), visible=True) for path in (md, js)]
            yield history, state, *downloads, None
        if any((m.get("metadata") or {}).get("status") == "pending" for m in history):  # stopped mid-way
            history = [_done(m) if (m.get("metadata") or {}).get("status") == "pending" else m for m in history]
            yield history, state, *downloads, None
        self.threads.save_transcript(thread_id, _title(history), history)

    def _text_of(self, message: dict | str) -> str:
        if isinstance(message, str):
            message = {"text": message, "files": []}
        parts = [message.get("text") or ""]
        for file in message.get("files") or []:
            path = Path(file if isinstance(file, str) else file["path"])
            parts.append(decode(path.read_bytes()[: MAX_BYTES + 1], path.name))
        text = "\n\n".join(p for p in parts if p.strip())
        return redact_secrets(decode(text.encode("utf-8"), "your message"))  # shown back and stored: no credential

    def _route(self, text: str, thread_id: str):
        """Answer a pending question, apply a what-if, or review a new description."""
        pending = self.threads.pending_questions(thread_id)
        if pending:
            answers = sensitivity.read_answers(text, [sensitivity.Question(**q) for q in pending])
            if answers is None:
                return iter(
                    [
                        Event(
                            kind="note",
                            text="I could not read a number from that. Reply with a value such as `50 ms`, or **ok**.",
                        )
                    ]
                )
            return self.threads.answer(thread_id, answers)
        if self.threads.review_of(thread_id) is not None and len(text) <= FOLLOW_UP_MAX_CHARS:
            return self.threads.follow_up(thread_id, text)
        return self.threads.start(thread_id, _checked(text, "your message"))

    # --- thread switching -----------------------------------------------------------------
    def restore(self, state):
        """On page load: the browser's own last thread, transcript and downloads, as the server kept them."""
        owner, thread_id = self._session(state)
        return self._show(owner, thread_id)

    def pick(self, picked, state):
        """An earlier thread chosen from the list: shown only when this browser owns it."""
        owner, current = self._session(state)
        return self._show(owner, picked if isinstance(picked, str) and self.threads.owns(picked, owner) else current)

    def _show(self, owner: str, thread_id: str | None):
        history = _available(self.threads.transcript(thread_id)) if thread_id else []
        review = self.threads.review_of(thread_id) if thread_id and history else None
        md = js = gr.update(visible=False)
        if review is not None:
            folder = self.threads.folder / "reviews" / thread_id
            md = gr.update(value=self._staged(folder / "review.md"), visible=True)
            js = gr.update(value=self._staged(folder / "review.json"), visible=True)
        choices = [(title, tid) for tid, title in self.threads.recent(owner)]
        return history, {"owner": owner, "thread": thread_id}, md, js, gr.update(choices=choices, value=None)

    def new_thread(self, state):
        owner, _ = self._session(state)
        return [], {"owner": owner, "thread": None}, gr.update(visible=False), gr.update(visible=False)

    # --- plain HTTP API (gradio_client) ------------------------------------------------------
    def api_review(self, description: str) -> tuple[str, str, str]:
        """Review a description in a new thread: (thread handle, review markdown, review JSON).

        The handle is the thread's id and its owner key: only it opens the thread again.
        Questions about silent quantities are answered with the assumed values."""
        thread_id, owner = self.threads.new_id(), self.threads.new_owner_key()
        try:
            text = _checked(description, "description")
        except InputError as exc:
            raise gr.Error(str(exc)) from None
        self.threads.claim(thread_id, owner)
        review = self._drain(self.threads.start(thread_id, text), thread_id)
        return f"{thread_id}.{owner}", writer.markdown(review), review.model_dump_json()

    def api_follow_up(self, handle: str, message: str) -> tuple[str, str]:
        """A what-if on an API thread: (what changed, as markdown; the new review JSON)."""
        if len(message) > FOLLOW_UP_MAX_CHARS:  # before any reading: a what-if names one quantity
            raise gr.Error(
                f"a what-if is at most {FOLLOW_UP_MAX_CHARS} characters (this one has {len(message):,}); "
                "send a changed design to /review instead"
            )
        thread_id, _, owner = str(handle).partition(".")
        if not self.threads.owns(thread_id, owner) or self.threads.review_of(thread_id) is None:
            raise gr.Error(f"no reviewed thread {str(handle)[:40]!r} (use the handle /review returned)")
        differences, review = "", None
        for event in self.threads.follow_up(thread_id, message):
            if event.kind == "stopped" or (event.kind == "note" and not event.changes):
                raise gr.Error(event.text)
            if event.kind == "review":
                differences, review = diff_markdown(event.differences), event.review
        return differences, review.model_dump_json()

    def _drain(self, events, thread_id: str) -> Review:
        review = None
        for event in events:
            if event.kind == "stopped":
                raise gr.Error(event.text)
            if event.kind == "review":
                review = event.review
        while review is None and self.threads.pending_questions(thread_id):
            review = self._drain(self.threads.answer(thread_id, {}), thread_id)
        return review


def _plain(value, unit: str = "") -> str:
    """A changed quantity as people write it: (60.0, "") -> "60", (50.0, "ms") -> "50 ms", 5e10 -> "50 billion"."""
    return prose.quantity(value, unit) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def _checked(text: str, name: str) -> str:
    """A new description passes every check the CLI applies (language, system words, secrets redacted)."""
    checked = check_description(text, name)
    if not checked.ok:
        raise InputError(checked.error)
    return checked.text


def _available(history: list[dict]) -> list[dict]:
    """A kept transcript, with a chart whose file is gone (a cleaned temp folder) named instead of shown."""

    def present(message: dict) -> dict:
        content = message.get("content")
        if isinstance(content, dict) and "path" in content and not Path(str(content["path"])).is_file():
            return {**message, "content": "(this chart's file is no longer on the server)"}
        return message

    return [present(m) for m in history]


def _title(history: list[dict]) -> str:
    first = next((m["content"] for m in history if m["role"] == "user" and isinstance(m["content"], str)), "review")
    line = next((ln.strip("#` ").strip() for ln in first.splitlines()[1:] if ln.strip("#` ").strip()), "review")
    return line[:60]


def build(threads: Threads) -> gr.Blocks:
    app = ChatApp(threads)
    # Gradio 6 takes the page's CSS at launch(), Gradio 5 (which pyproject allows) only here; 6 still honours it.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The parameters have been moved", category=UserWarning)
        demo = gr.Blocks(title="ceiling", css=CSS)
    with demo:
        gr.Markdown(
            f"## {TITLE}\nSix stages (ceiling -> axis -> topology -> mode -> metric -> tax), "
            "each cited to Chapter 1.8, with the numbers computed and a critic that sends the design back "
            f"when the tax breaks the budget. Engine: `{threads.engine}`."
        )
        # The browser keeps its owner key and thread id; the fixed key keeps them readable after a restart.
        thread_id = gr.BrowserState(None, storage_key="ceiling-session", secret=BROWSER_STATE_KEY)
        chatbot = gr.Chatbot(
            label="Review",
            height="70vh",
            min_height=480,
            sanitize_html=True,
            elem_id="review-chat",
            buttons=["copy"],
            latex_delimiters=[],
        )  # no "$$" in a description turns into typeset maths
        box = gr.MultimodalTextbox(
            placeholder=PLACEHOLDER,
            file_types=[".md", ".txt"],
            file_count="multiple",
            sources=["upload"],
            lines=3,
            max_lines=20,
            max_plain_text_length=MAX_BYTES,
            elem_id="design-box",
            label=f"Design description or what-if (up to {MAX_BYTES:,} bytes)",
        )
        with gr.Row():
            new = gr.Button("New review", variant="secondary")
            md = gr.DownloadButton("Download review (.md)", visible=False)
            js = gr.DownloadButton("Download review (.json)", visible=False)
            past = gr.Dropdown(label="Earlier threads", choices=[], value=None, interactive=True)
        # Reviews share one concurrency group as wide as the worker slots: waiting requests queue instead of
        # contending for the GIL with the server's own replies.
        heavy = {"concurrency_id": "review", "concurrency_limit": threads.workers}
        box.submit(
            app.respond, [box, chatbot, thread_id], [chatbot, thread_id, md, js, box], api_visibility="private", **heavy
        )
        new.click(app.new_thread, [thread_id], [chatbot, thread_id, md, js], api_visibility="private")
        past.input(app.pick, [past, thread_id], [chatbot, thread_id, md, js, past], api_visibility="private")
        demo.load(app.restore, [thread_id], [chatbot, thread_id, md, js, past], api_visibility="private")
        gr.api(app.api_review, api_name="review", **heavy)
        gr.api(app.api_follow_up, api_name="follow_up", **heavy)
    return demo
