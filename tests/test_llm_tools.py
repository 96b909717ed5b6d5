"""Tool calls for the LLM stage agents: the registry (retrieve and scoring functions as
OpenAI tools from pydantic argument models) against the real formulas and the real corpus
index, and an LLM-mode review of the chapter's fraud example with tools on, recorded against
the real local model (llama.cpp, chatml-function-calling) and replayed with record mode none.
Re-record: CEILING_RECORD=1 python -m pytest tests/test_llm_tools.py"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from llm_endpoint import ENGINE, KEEP_MATCHING, MODEL, RECORD
from llm_endpoint import endpoint as live_or_dead_endpoint

from ceiling.agents.llm import ledger
from ceiling.agents.llm import stage as llm_stage
from ceiling.agents.llm.client import LLMClient, LLMSettings, settings_from_env
from ceiling.agents.llm.prompting import system_message
from ceiling.agents.llm.tools import TOOLS, ToolBox, produced_numbers
from ceiling.agents.scoring import formulas as scoring
from ceiling.eval.recording import make_vcr, use_cassette
from ceiling.graph.workflow import chunk_text, run

DESCRIPTIONS = Path(__file__).parent / "descriptions"
CASSETTES = Path(__file__).parent / "cassettes"
# ----------------------------------------------------------------------------- the registry


def test_definitions_come_from_the_pydantic_argument_models():
    definitions = ToolBox().definitions()
    assert [d["function"]["name"] for d in definitions] == [
        "retrieve",
        "comm_tax",
        "allreduce_time",
        "failure_probability",
        "training_compute",
    ]
    for d in definitions:
        tool = TOOLS[d["function"]["name"]]
        assert d["type"] == "function" and d["function"]["description"]
        parameters = d["function"]["parameters"]
        assert set(parameters["properties"]) == set(tool.args.model_fields)
        assert set(parameters["required"]) == {n for n, f in tool.args.model_fields.items() if f.is_required()}
        assert parameters["additionalProperties"] is False and "title" not in json.dumps(parameters)
    assert [d["function"]["name"] for d in ToolBox(("retrieve",)).definitions()] == ["retrieve"]


def test_scoring_tools_give_the_formulas_numbers():
    box = ToolBox()
    tax = box.call("comm_tax", '{"fanout": 6, "hop_latency_ms": 0.4, "slo_ms": 20}')  # the chapter's Output 1.8.1
    assert tax.ok and tax.result == {
        "communication_ms": 2.4,
        "budget_left_ms": 17.6,
        "within_budget": True,
        "fanout_break_point": 50.0,
    }
    assert not box.call("comm_tax", {"fanout": 50, "hop_latency_ms": 0.4, "slo_ms": 20}).result[
        "within_budget"
    ]  # nothing left is not within

    reduce = box.call("allreduce_time", {"workers": 64, "message_gb": 14, "bandwidth_gb_per_s": 50, "alpha_us": 5})
    name, seconds = scoring.best_allreduce(64, 14e9, 50e9, 5e-6)
    assert reduce.result["best_algorithm"] == name and reduce.result["allreduce_ms"] == pytest.approx(seconds * 1e3)
    assert reduce.result["ring_allreduce_ms"] == pytest.approx(scoring.ring_allreduce_s(64, 14e9, 50e9, 5e-6) * 1e3)

    failure = box.call(
        "failure_probability", {"device_mtbf_h": 50_000, "devices": 1024, "checkpoint_write_s": 60}
    ).result
    fleet = scoring.fleet_mtbf_h(50_000, 1024)
    assert failure["fleet_mtbf_h"] == pytest.approx(fleet, abs=1e-4)
    assert failure["p_failure_in_window"] == pytest.approx(scoring.p_failure_within(24, fleet), abs=1e-4)
    assert failure["young_interval_s"] == pytest.approx(scoring.young_interval_s(60, fleet * 3600), abs=0.01)

    train = box.call("training_compute", {"params": 7e10, "tokens": 2e12, "gpus": 1024}).result
    assert train["training_flops"] == pytest.approx(8.4e23)
    assert train["training_time_h"] == pytest.approx(
        scoring.training_time_s(8.4e23, 1024, 989e12, 0.4) / 3600, abs=1e-3
    )


def test_retrieve_tool_returns_citable_chunks_of_the_real_index(corpus_index):
    result = ToolBox().call("retrieve", {"query": "feature-store lookups network hop communication tax", "k": 3})
    assert result.ok and len(result.result["passages"]) == 3
    for passage in result.result["passages"]:
        chunk = corpus_index.chunk(passage["chunk_id"])
        assert chunk is not None and chunk.text.startswith(passage["text"]) and passage["section"] == chunk.section
    assert result.numbers() == []  # chapter text is not a number any tool computed for this design
    assert result.summary()["chunk_ids"] == [p["chunk_id"] for p in result.result["passages"]]


@pytest.mark.parametrize(
    "name, arguments, error",
    [
        (
            "estimate_cost",
            "{}",
            "unknown tool 'estimate_cost'; the tools are: retrieve, comm_tax, allreduce_time, failure_probability, "
            "training_compute",
        ),
        (
            "comm_tax",
            '{"fanout": 6,',
            "arguments are not valid JSON: Expecting property name enclosed in double quotes at position 13",
        ),
        ("comm_tax", "[6, 0.4, 20]", "arguments must be a JSON object"),
        (
            "comm_tax",
            '{"fanout": -1, "hop_latency_ms": 0.4}',
            "invalid arguments: fanout: Input should be greater than or equal to 0; slo_ms: Field required",
        ),
        ("retrieve", '{"query": "tax", "top": 5}', "invalid arguments: top: Extra inputs are not permitted"),
    ],
)
def test_bad_calls_come_back_to_the_model_as_exact_errors(name, arguments, error):
    result = ToolBox().call(name, arguments)
    assert not result.ok and result.error == error
    assert json.loads(result.content()) == {"error": error} and result.numbers() == []


def test_numbers_a_called_tool_produced_pass_the_ledger(corpus_index):
    """A number only a tool produced (9 lookups x 0.4 ms = 3.6 ms) is rejected from prose
    unless the model called the tool that produced it, from this design's numbers."""
    state = run((DESCRIPTIONS / "chapter_fraud.md").read_text())
    rule = state["decisions"][6]
    proposal = llm_stage.answer_schema(6)(
        answer="within budget",
        citations=[],
        justification="With 9 lookups the tax would be 3.6 ms, still inside the budget.",
    )
    _, _, unsupported = llm_stage.check(6, proposal, rule, state, chunk_text)
    assert unsupported == [3.6]
    allowed = llm_stage._allowed_numbers(state, rule)
    called = [
        ToolBox().call("comm_tax", {"fanout": 9, "hop_latency_ms": 0.4, "slo_ms": 20}),
        ToolBox().call("retrieve", {"query": "tax"}),
    ]
    numbers, ignored = llm_stage._tool_numbers(called, allowed)
    assert numbers == produced_numbers(called) == [3.6, 16.4, 50.0] and ignored == []
    _, _, unsupported = llm_stage.check(6, proposal, rule, state, chunk_text, numbers)
    assert unsupported == []
    # the same formula on a guessed hop latency computes nothing about this design
    guessed = [ToolBox().call("comm_tax", {"fanout": 9, "hop_latency_ms": 0.73, "slo_ms": 20})]
    assert llm_stage._tool_numbers(guessed, allowed) == ([], ["comm_tax: inputs 0.73 are not numbers of this design"])
    assert ledger.unsupported("3.6 ms", produced_numbers([ToolBox().call("retrieve", {"query": "tax"})])) == [3.6]


def test_tools_setting_from_cli_and_env(monkeypatch):
    from typer.testing import CliRunner

    from ceiling.app.cli import app
    from ceiling.app.local_server import server_command

    monkeypatch.delenv("CEILING_LLM_TOOLS", raising=False)
    assert settings_from_env().tools is False and LLMSettings().tools is False
    monkeypatch.setenv("CEILING_LLM_TOOLS", "1")
    assert settings_from_env().tools is True and settings_from_env(tools=False).tools is False
    assert "--tools" in CliRunner().invoke(app, ["review", "--help"], env={"COLUMNS": "200"}).output
    assert server_command(Path("m.gguf"), 1234, "m", 2, tools=True)[-2:] == ["--chat_format", "chatml-function-calling"]
    assert "--chat_format" not in server_command(Path("m.gguf"), 1234, "m", 2)


# ----------------------------------------------------------------------------- recorded review


@pytest.fixture(scope="module")
def endpoint():
    yield from live_or_dead_endpoint(tools=True)


@pytest.fixture(scope="module")
def fraud_with_tools(endpoint, corpus_index):
    base_url, model = endpoint
    client = LLMClient(
        LLMSettings(
            base_url=base_url,
            model=model,
            api_key=os.environ.get("OPENAI_API_KEY", "not-needed"),
            json_mode="json_object" if ENGINE == "openai" else "json_object_schema",
            max_retries=0,
            tools=True,
        )
    )
    recorder = make_vcr(MODEL, record=RECORD, keep_matching=KEEP_MATCHING)
    recorder.cassette_library_dir = str(CASSETTES / MODEL)
    with use_cassette(recorder, "chapter_fraud_tools.yaml", RECORD) as cassette:
        state = run((DESCRIPTIONS / "chapter_fraud.md").read_text(), llm=client)
    return state, client, [json.loads(r.body) for r in cassette.requests]


def test_recorded_review_with_tools_keeps_the_json_contract(fraud_with_tools, contract_keys):
    state, _, _ = fraud_with_tools
    review = json.loads(state["review"].model_dump_json())
    assert contract_keys <= set(review) and review["engine"] == f"llm:{MODEL}"
    rules = run("", given_facts=state["raw_facts"])["review"]  # numbers decide, tools or not
    assert (review["ceiling"], review["distribute"], review["topology"], review["mode"], review["metric"]) == (
        rules.ceiling,
        rules.distribute,
        rules.topology,
        rules.mode,
        rules.metric,
    )
    assert review["tax"]["communication_ms"] == pytest.approx(2.4) and review["tax"]["budget_left_ms"] == pytest.approx(
        17.6
    )
    assert len(review["stages"]) == 6 and all(s["citations"] and s["llm"]["status"] for s in review["stages"])


def test_the_system_prompt_says_where_a_quote_comes_from(fraud_with_tools):
    """With tools a citation may name a retrieve result, so the quote is from "that passage";
    without tools the only passage is the stage's PASSAGE."""
    _, _, bodies = fraud_with_tools
    with_tools = bodies[0]["messages"][0]["content"]
    assert '"chunk_id": "<id of a passage>"' in with_tools and "copied exactly from that passage" in with_tools
    assert "from the PASSAGE" not in with_tools
    plain = system_message("A design.")["content"]
    assert "copied exactly from the PASSAGE" in plain and "chunk_id" not in plain


def test_recorded_review_called_tools_within_the_bounds(fraud_with_tools):
    state, client, bodies = fraud_with_tools
    settings, calls = client.settings, client.usage.calls
    rounds = [c for c in calls if " tools round " in c.purpose]
    assert rounds and all(c.ok for c in rounds)
    for stage in range(1, 7):
        numbers = [
            int(c.purpose.rsplit(" ", 1)[1]) for c in rounds if c.purpose.startswith(f"stage {stage} tools round ")
        ]
        assert numbers == list(range(1, len(numbers) + 1)) and 1 <= len(numbers) <= settings.max_tool_rounds
        assert all(len(c.tool_calls) <= settings.max_tool_calls_per_round for c in rounds)
    # tool rounds send the tools (tool_choice auto); the answer after them is JSON mode without tools (a cassette
    # recorded in two runs holds its requests out of call order, so they are counted, not paired)
    assert len(bodies) == len(calls)
    assert sum("tools" in body for body in bodies) == len(rounds)
    assert all(("tools" in body) != ("response_format" in body) for body in bodies)
    assert all(body.get("tool_choice", "auto") == "auto" for body in bodies)
    # the model kept calling tools in some stage: the loop stopped it at the bound and asked for the answer
    purposes = [c.purpose for c in calls]
    exhausted = [
        n
        for n in range(1, 7)
        if sum(1 for c in rounds if c.purpose.startswith(f"stage {n} tools round ") and c.tool_calls)
        == settings.max_tool_rounds
    ]
    assert exhausted
    for n in exhausted:
        assert purposes[purposes.index(f"stage {n} tools round {settings.max_tool_rounds}") + 1] == f"stage {n} answer"
    # every tool call the model made is recorded in the review, with its result or its error
    llm = json.loads(state["review"].model_dump_json())["llm"]
    recorded = [t for s in llm["stages"] for t in s.get("tools", [])]
    assert len(recorded) == sum(len(c.tool_calls) for c in rounds) == llm["usage"]["tool_calls"] > 0
    assert llm["usage"]["tool_rounds"] == len(rounds) and llm["usage"]["calls"] == len(calls)
    assert [t["name"] for t in recorded] == [n for c in rounds for n in c.tool_calls]
    assert all(("result" in t or "chunk_ids" in t) if t["ok"] else t["error"] for t in recorded)


def test_recorded_tool_results_went_back_and_were_used(fraud_with_tools):
    """Each executed call's result (or exact error) went back to the model as the tool message
    answering its call id and restated in the next user message; numbers a called tool produced
    from this design's numbers were accepted in the prose; a tool run on guessed inputs was not."""
    state, _, bodies = fraud_with_tools
    stages = json.loads(state["review"].model_dump_json())["llm"]["stages"]
    tool_messages = {m["tool_call_id"]: m["content"] for b in bodies for m in b["messages"] if m["role"] == "tool"}
    assistant_calls = [
        c
        for b in bodies
        for m in b["messages"]
        if m["role"] == "assistant" and m.get("tool_calls")
        for c in m["tool_calls"]
    ]
    assert assistant_calls and all(
        m["content"] == "" for b in bodies for m in b["messages"] if m["role"] == "assistant" and m.get("tool_calls")
    )
    assert set(tool_messages) == {c["id"] for c in assistant_calls}
    sent = {(c["function"]["name"], c["function"]["arguments"], tool_messages[c["id"]]) for c in assistant_calls}
    box = ToolBox()
    for stage in stages:
        for t in stage.get("tools", []):
            result = box.call(t["name"], t["arguments"])  # the same call, re-run: the same content went back
            assert (t["name"], t["arguments"], result.content()) in sent
            assert any(
                result.content() in m["content"]
                for b in bodies
                for m in b["messages"]
                if m["role"] == "user" and m["content"].startswith("TOOL RESULTS")
            )
    errors = [t for s in stages for t in s.get("tools", []) if not t["ok"]]
    assert all(t["error"] for t in errors)  # a malformed call came back as an error result, never a crash
    # Where accepted prose used a number only a called tool produced, that number is on the record
    # and in the justification (whether this recording has such prose is the model's choice; the
    # mechanism itself is pinned by test_numbers_a_called_tool_produced_pass_the_ledger).
    used = [s for s in stages if s.get("numbers_from_tools")]
    final = {s["stage"]: s for s in json.loads(state["review"].model_dump_json())["stages"]}
    for stage in used:
        assert stage["status"].startswith("accepted")
        assert all(f"{n:g}" in final[stage["stage"]]["justification"] for n in stage["numbers_from_tools"])
    for stage in stages:
        for note in stage.get("tool_numbers_ignored", []):
            assert "are not numbers of this design" in note


def test_a_failing_endpoint_with_tools_on_falls_back_to_the_rules(corpus_index):
    """HTTP 500 on the first tool round: every stage falls back, the review still completes."""
    import threading
    from http.server import ThreadingHTTPServer

    from test_llm import _Broken

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = LLMClient(
            LLMSettings(base_url=f"http://127.0.0.1:{server.server_port}/v1", model="x", max_retries=0, tools=True)
        )
        review = run((DESCRIPTIONS / "chapter_fraud.md").read_text(), llm=client)["review"]
    finally:
        server.shutdown()
    assert all(
        s["llm"]["status"] == "fallback" and "tools round 1: InternalServerError" in s["llm"]["error"]
        for s in review.stages
    )
    assert review.ceiling == "throughput" and len(review.stages) == 6
    usage = review.llm["usage"]
    assert (
        usage["tool_rounds"] == 6 and usage["tool_calls"] == 0 and usage["failed"] == usage["calls"]
    )  # every call failed (the rules read every number: no facts call)
