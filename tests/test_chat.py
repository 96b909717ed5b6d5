"""The chat's engine room without a browser: threads (SQLite checkpointer), what-if follow-ups,
questions for verdict-flipping quantities, review diffs, charts, and `ceiling diff`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ceiling.agents.reading import followup
from ceiling.agents.reading.facts import extract
from ceiling.agents.review import diff, sensitivity
from ceiling.app import charts
from ceiling.app.threads import Threads

REPO = Path(__file__).resolve().parents[1]
FRAUD = (REPO / "examples" / "fraud-scoring.md").read_text()
# No latency target given: the assumed SLO (1 s for an LLM-sized default, 100 ms otherwise)
# sits right next to 40 lookups x 2 ms, so the SLO can flip the tax verdict; worth asking.
SEARCH = (
    "A search API answers 500 requests per second. Each request makes 40 sequential calls to backend shards, each a "
    "network hop of about 2 ms."
)


@pytest.fixture
def threads(tmp_path, corpus_index) -> Threads:
    return Threads(tmp_path / "chat")


def _run(events) -> list:
    return list(events)


@pytest.mark.parametrize(
    "message, field, value",
    [
        ("what if the fan-out were 12?", "fanout", 12.0),
        ("What if each request made 30 sequential lookups?", "fanout", 30.0),
        ("we move to 400 Gb/s InfiniBand", "bandwidth", 50e9),
        ("the SLO is 50 ms", "slo", 50.0),
        ("hop latency goes to 2 ms", "hop_latency", 2.0),
        ("what if we had 64 GPUs", "workers", 64.0),
    ],
)
def test_follow_up_reads_the_changed_quantity(message, field, value):
    changes = followup.read_changes(message, extract(FRAUD))
    assert [(c.field, c.after) for c in changes] == [(field, pytest.approx(value))]


def test_follow_up_without_a_quantity_changes_nothing():
    assert followup.read_changes("thanks, looks good!", extract(FRAUD)) == []
    assert followup.read_changes("the fan-out is 6", extract(FRAUD)) == []  # already the reviewed value


def test_follow_up_reruns_from_the_first_affected_stage_and_says_what_changed(threads):
    tid = threads.new_id()
    first = _run(threads.start(tid, FRAUD))
    assert [e.stage.stage for e in first if e.kind == "stage"] == [1, 2, 3, 4, 5, 6]
    assert not any(e.kind == "question" for e in first)  # nothing silent in it could flip the verdict
    before = threads.review_of(tid)
    assert before.tax["within_budget"]

    events = _run(threads.follow_up(tid, "what if the fan-out were 60?"))
    note = events[0]
    assert note.kind == "note" and note.rerun_from == 6  # fan-out moves only the tax stage's numbers
    stages = [e.stage.stage for e in events if e.kind == "stage"]
    assert stages[0] == 6  # stages 1-5 were reused, not recomputed
    assert any(e.kind == "loop" for e in events)  # 60 x 0.4 ms = 24 ms > 20 ms: the critic sends it back
    review = next(e for e in events if e.kind == "review")
    changed = {d.what: (d.before, d.after) for d in review.differences}
    assert changed["6. tax"] == ("within budget", "over budget")
    assert changed["communication (ms)"] == ("2.4", "24")
    assert review.review.tax["communication_ms"] == pytest.approx(24.0)


def test_follow_up_that_moves_the_ceiling_reruns_from_stage_one(threads):
    tid = threads.new_id()
    _run(threads.start(tid, FRAUD))
    events = _run(threads.follow_up(tid, "what if peak traffic were 2,000 requests per second?"))
    assert events[0].rerun_from == 1
    assert [e.stage.stage for e in events if e.kind == "stage"] == [1, 2, 3, 4, 5, 6]
    review = next(e for e in events if e.kind == "review")
    assert ("1. ceiling", "throughput", "none") in {(d.what, d.before, d.after) for d in review.differences}


def test_a_what_if_that_makes_the_model_large_moves_the_ceiling(threads):
    tid = threads.new_id()
    _run(threads.start(tid, FRAUD))  # "a gradient-boosted tree ensemble": a small model, held in host memory
    events = _run(threads.follow_up(tid, "what if the model had 400B parameters?"))
    changed = {d.what: (d.before, d.after) for d in next(e for e in events if e.kind == "review").differences}
    assert changed["model ceiling pressure"] == ("0", "1")  # 800 GB of bf16 weights: no longer one machine's
    assert changed["2. distribute"] == ("inference, coordination", "inference, model, coordination")


def test_threads_survive_a_restart(tmp_path, corpus_index):
    folder = tmp_path / "chat"
    first = Threads(folder)
    tid, owner = first.new_id(), first.new_owner_key()
    assert first.claim(tid, owner)
    _run(first.start(tid, FRAUD))
    first.save_transcript(tid, "fraud", [{"role": "user", "content": "x"}])
    again = Threads(folder)  # a new process would open the same file
    assert again.review_of(tid) == first.review_of(tid)
    assert again.transcript(tid) == [{"role": "user", "content": "x"}]
    assert (tid, "fraud") in again.recent(owner) and again.owns(tid, owner)
    assert again.recent(again.new_owner_key()) == [] and not again.claim(tid, again.new_owner_key())  # nobody else's
    _run(again.follow_up(tid, "the SLO is 50 ms"))  # and the thread still moves
    assert again.review_of(tid).tax["slo_ms"] == 50.0


def test_the_checkpointer_loads_stage_decisions_and_their_evidence_without_warnings(caplog):
    """Every model in a review's state is on the checkpointer's allow-list: a stored thread loads its stage
    decisions (each with its stage's evidence model) and the first pass's tax as they were, with no warning."""
    import logging

    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    from ceiling.agents.reading import assume
    from ceiling.agents.review.origins import Mismatch
    from ceiling.agents.scoring.reference import ReferenceMachine
    from ceiling.agents.stages.table import decide_all
    from ceiling.graph.state import STATE_TYPES

    decisions = decide_all(assume.complete(extract(FRAUD), ReferenceMachine()), ReferenceMachine())
    pair = Mismatch(field="slo", used=20, used_quote=None, model_value=25, unit="ms", quote="25 ms", verdict_with_it=[])
    state = {"decisions": decisions, "first_tax": decisions[6].evidence, "mismatches": [pair]}
    serde = JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES)
    with caplog.at_level(logging.WARNING, logger="langgraph"):
        loaded = serde.loads_typed(serde.dumps_typed(state))
    assert loaded == state and type(loaded["first_tax"]) is type(state["first_tax"])
    assert not [r.getMessage() for r in caplog.records if "eserializ" in r.getMessage()]  # unregistered / blocked


def test_a_verdict_flipping_silent_quantity_is_asked_for(threads):
    tid = threads.new_id()
    events = _run(threads.start(tid, SEARCH))
    question = next(e for e in events if e.kind == "question")
    asked = {q["field"]: q for q in question.questions}
    assert "slo" in asked and asked["slo"]["low"] < asked["slo"]["flips_at"] < asked["slo"]["high"]
    assert "fanout" not in asked and "hop_latency" not in asked  # stated: never asked
    assert not any(e.kind == "review" for e in events)  # the graph waits
    assert threads.pending_questions(tid)

    done = _run(threads.answer(tid, {"slo": 50.0}))
    review = next(e for e in done if e.kind == "review").review
    assert review.tax["slo_ms"] == 50.0 and not review.tax["within_budget"]  # 40 x 2 = 80 ms > 50 ms
    assert not threads.pending_questions(tid)


def test_keeping_the_assumed_value_continues_with_it(threads):
    tid = threads.new_id()
    events = _run(threads.start(tid, SEARCH))
    assumed = next(e for e in events if e.kind == "question").questions
    slo = next(q for q in assumed if q["field"] == "slo")["assumed"]
    review = next(e for e in _run(threads.answer(tid, {})) if e.kind == "review").review
    assert review.tax["slo_ms"] == slo


def test_questions_skip_quantities_that_cannot_flip_anything():
    facts = extract(FRAUD)
    from ceiling.agents.reading import assume
    from ceiling.agents.scoring.reference import ReferenceMachine
    from ceiling.agents.stages.table import decide_all

    completed = assume.complete(facts, ReferenceMachine())
    decisions = decide_all(completed, ReferenceMachine())
    break_evens = decisions[1].evidence.break_evens + decisions[6].evidence.break_evens
    # "tens of thousands" (read as 30,000) flips at 9,600/s: outside 10,000-90,000, so not asked.
    assert any(b.quantity == "request_rate" and b.assumed for b in break_evens)
    assert sensitivity.questions(completed, break_evens) == []


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("ok", {}),
        ("keep the assumed values", {}),
        ("50 ms", {"slo": 50.0}),
        ("0.05 s, 8", {"slo": 50.0, "fanout": 8.0}),
        ("the SLO is 40 ms and the fan-out is 8", {"slo": 40.0, "fanout": 8.0}),
        ("no idea", None),
        ("8 lookups", {"fanout": 8.0}),
        ("12 lookups, 2 s", {"fanout": 12.0, "slo": 2000.0}),
    ],
)
def test_answers_to_questions_are_read_in_the_asked_units(reply, expected):
    """A unit sends the number to the question it fits; a bare number answers the next open one."""
    asked = [
        sensitivity.Question(field="slo", assumed=100, unit="ms", flips_at=80, low=10, high=2000, why=""),
        sensitivity.Question(field="fanout", assumed=1, unit="lookups", flips_at=30, low=1, high=30, why=""),
    ]
    assert sensitivity.read_answers(reply, asked) == expected


def test_charts_are_drawn_for_each_kind_of_tax(tmp_path, corpus_index):
    from ceiling.graph.workflow import run

    serving = run(FRAUD)["review"]
    radar = charts.radar(serving, tmp_path / "radar.png")
    scale = charts.scale_chart(serving, tmp_path / "scale.png")
    for png in (radar, scale):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    data_job = run("A nightly batch job scans 40 TB of click logs within a 6 hour window to build features.")["review"]
    assert data_job.tax["kind"] == "shuffle"
    assert charts.scale_chart(data_job, tmp_path / "shuffle.png").stat().st_size > 10_000


def test_training_chart_plots_allreduce_against_compute(tmp_path, corpus_index):
    from ceiling.graph.workflow import run

    text = (
        "We pretrain a 70B-parameter model on 2 trillion tokens with 1024 H100 GPUs over 400 Gb/s InfiniBand, "
        "in 30 days. Gradients are all-reduced every step."
    )
    review = run(text)["review"]
    assert review.tax["kind"] == "all-reduce"
    assert charts.scale_chart(review, tmp_path / "train.png").stat().st_size > 10_000


def test_review_markdown_round_trips_through_diff(corpus_index):
    from ceiling.agents.review.writer import markdown
    from ceiling.graph.workflow import run

    review = run(FRAUD)["review"]
    assert diff.load(markdown(review)) == review
    assert diff.diff(review, review) == []


def _cli(*args, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ceiling.app.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_ceiling_diff_compares_saved_reviews(tmp_path, corpus_index):
    (tmp_path / "a.md").write_text(FRAUD)
    (tmp_path / "b.md").write_text(FRAUD.replace("6 sequential", "60 sequential"))
    assert _cli("review", str(tmp_path / "a.md"), "-o", str(tmp_path / "old.md")).returncode == 0
    assert _cli("review", str(tmp_path / "b.md"), "-f", "json", "-o", str(tmp_path / "new.json")).returncode == 0
    changed = _cli("diff", str(tmp_path / "old.md"), str(tmp_path / "new.json"))
    assert changed.returncode == 1
    assert "| **6. tax** | within budget | over budget |" in changed.stdout
    same = _cli("diff", str(tmp_path / "old.md"), str(tmp_path / "old.md"))
    assert same.returncode == 0 and "No stage answer or number changed" in same.stdout
    as_json = json.loads(_cli("diff", str(tmp_path / "old.md"), str(tmp_path / "new.json"), "-f", "json").stdout)
    assert {"what": "6. tax", "before": "within budget", "after": "over budget", "kind": "answer"} in as_json
    bad = _cli("diff", str(tmp_path / "old.md"), str(tmp_path / "a.md"))
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr


def test_langgraph_json_points_at_the_compiled_graph(corpus_index):
    import importlib.util

    from langgraph.graph.state import CompiledStateGraph

    config = json.loads((REPO / "langgraph.json").read_text())
    file, _, attr = config["graphs"]["ceiling"].partition(":")
    spec = importlib.util.spec_from_file_location("studio_entry", REPO / file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    graph = getattr(module, attr)
    assert isinstance(graph, CompiledStateGraph)
    assert {"facts", "ask", "s1_ceiling", "s6_tax", "critic", "writer"} <= set(graph.get_graph().nodes)


def test_chat_on_a_busy_port_is_a_one_line_error():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _cli("chat", "--port", str(port))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        == f"error: cannot serve on 127.0.0.1:{port}: the port is in use; choose another with --port"
    )


def test_a_number_with_a_unit_answers_the_question_of_that_unit():
    asked = [
        sensitivity.Question(
            field="model_params", assumed=1e9, unit="parameters", flips_at=3e10, low=1e8, high=1e12, why=""
        ),
        sensitivity.Question(field="slo", assumed=1000, unit="ms", flips_at=80, low=10, high=2000, why=""),
    ]
    assert sensitivity.read_answers("50 ms", asked) == {"slo": 50.0}  # not 50 parameters
    assert sensitivity.read_answers("7e9", asked) == {"model_params": 7e9}


def test_a_new_review_in_a_thread_keeps_no_verdict_of_the_last(threads):
    tid = threads.new_id()
    events = _run(
        threads.start(
            tid,
            "A fraud-scoring API serves 30,000 requests per second under a 20 ms p99 SLO. Each request "
            "makes 6 sequential feature lookups of 0.4 ms each, and the model needs 25 ms to score one transaction.",
        )
    )
    if any(e.kind == "question" for e in events):
        _run(threads.answer(tid, {}))
    assert threads.review_of(tid).infeasible_because  # the first design cannot meet its SLO
    _run(threads.start(tid, FRAUD))
    review = threads.review_of(tid)
    assert review.feasible and review.infeasible_because is None


def _reply(app, history: list, state, message: str) -> tuple[list[dict], list, dict]:
    """The chat's messages for one user message (the real ChatApp over real threads, as the browser gets them)."""
    *_, (after, state, *_) = app.respond(message, history, state)  # the last of what it yields is the page
    return after[len(history) :], after, state


def _visible(messages: list[dict]) -> str:
    """The text a reader sees without opening a collapsed step."""
    return "\n".join(
        m["content"]
        for m in messages
        if isinstance(m["content"], str) and (m.get("metadata") or {}).get("status") != "done"
    )


def test_a_what_if_reply_shows_what_changed_not_the_whole_review_again(tmp_path, corpus_index):
    from ceiling.app.chat import ChatApp

    app = ChatApp(Threads(tmp_path / "chat"))
    first, history, state = _reply(app, [], None, FRAUD)
    assert sum("## Table 1.8.1, filled in" in _visible([m]) for m in first) == 1  # the first review, in full

    reply, history, state = _reply(app, history, state, "what if the fan-out were 60?")
    collapsed = [m for m in reply if (m.get("metadata") or {}).get("status") == "done"]
    whole = [m for m in collapsed if m["metadata"]["title"].startswith("The whole review")]
    assert len(whole) == 1 and "## Table 1.8.1, filled in" in whole[0]["content"]  # one click away
    shown = _visible(reply)
    assert "Table 1.8.1" not in shown and len(shown) < len(_visible(first)) / 2
    assert "**What changed:** fan-out from 6 to 60. 1 stage answer changed." in shown
    assert "| **6. tax** | within budget | over budget |" in shown and "| communication (ms) | 2.4 | 24 |" in shown
    assert "**The critic sent it back and changed it:** cut the fan-out from 60 to 25 lookups" in shown
    assert "#### 6. Tax: 10 ms of 20 ms SLO" in shown and "#### 1. Ceiling" not in shown  # only the stage that moved
    # the re-run is a collapsed step per pass (a line per stage), not six messages each time
    passes = [m for m in collapsed if m not in whole and not m["metadata"]["title"].startswith("Critic")]
    assert [m["metadata"]["title"] for m in passes] == [
        "Re-running from stage 6",
        "Stages decided again after the critic's change",
    ]
    assert passes[1]["content"].count("\n- Stage ") == 5 and "Critic: sent the design back (loop 1)" in {
        (m.get("metadata") or {}).get("title") for m in reply
    }

    _, history, state = _reply(app, [], None, FRAUD)  # a new thread (a new browser): the fan-out back at 6
    reply, *_ = _reply(app, history, state, "the SLO is 50 ms")
    shown = _visible(reply)
    assert "**What changed:** SLO from 20 ms to 50 ms. No stage answer changed; only numbers moved." in shown
    assert "| budget left (ms) | 17.6 | 47.6 |" in shown and "#### 6. Tax: 2.4 ms of 50 ms SLO" in shown


def test_the_chat_writes_math_as_text_and_quotes_whole(tmp_path, corpus_index):
    """The chapter's "$2.4$ ms" is written as "2.4 ms" (the chat renders no LaTeX), and a passage cut mid-sentence
    says so with an ellipsis: a clause quoted from a longer sentence opens with one, and none stops mid-way."""
    from ceiling.app.chat import ChatApp

    app = ChatApp(Threads(tmp_path / "chat"))
    first, *_ = _reply(app, [], None, FRAUD)
    text = "\n".join(m["content"] for m in first if isinstance(m["content"], str))
    assert "$2.4$" not in text and "communication tax of 2.4 ms leaves 17.6 ms of the 20 ms budget" in text
    assert "… the per-request communication tax of 2.4 ms" in text and "so the design is comfortably feasible." in text
    assert "comfortably …" not in text
