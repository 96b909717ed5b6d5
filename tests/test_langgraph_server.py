"""The review graph under LangGraph's own API server, as langgraph.json ships it: the real `langgraph dev` (in-memory
server) started from this checkout, driven through the official SDK (langgraph_sdk) and the server's /mcp endpoint
through the MCP SDK's client, as Studio or an assistant would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.schema import Command
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from ceiling.agents.review.writer import markdown
from ceiling.agents.scoring.reference import ReferenceMachine
from ceiling.agents.stages.table import STAGES
from ceiling.app.local_server import _stop, free_port
from ceiling.graph.workflow import run

REPO = Path(__file__).resolve().parents[1]
FRAUD = (REPO / "examples" / "fraud-scoring.md").read_text()
# No latency target: the assumed SLO sits next to 40 lookups x 2 ms, so the ask node stops to ask for it.
SILENT_SLO = "A search API takes 500 requests per second; each makes 40 sequential shard calls of about 2 ms each."
GRAPH = "ceiling"  # langgraph.json's graph id: the SDK runs its default assistant
READY_TIMEOUT_S = 120.0  # a cold machine: langgraph-api, the graph and the agents are imported at start
DEAD_PROXY = "http://127.0.0.1:9"  # any HTTP call the server makes beyond this machine fails at once
# The server never leaves 127.0.0.1: no LangSmith tracing, no PyPI version check, no CLI analytics, no license or
# LLM keys (the engine is the rules unless a run asks for another), every proxy-honouring client sent nowhere.
SERVER_ENV = {
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    **{name: DEAD_PROXY for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")},
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}
DROPPED_ENV = (
    "LANGSMITH_API_KEY",
    "LANGCHAIN_API_KEY",
    "LANGGRAPH_CLOUD_LICENSE_KEY",
    "LANGSMITH_CONTROL_PLANE_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
)


class Server:
    def __init__(self, url: str, log: Path):
        self.url, self.log = url, log

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory, corpus_index):
    """`langgraph dev` from the repository folder on a free port, in its own process group, stopped at the end.

    The in-memory server keeps its runs and threads in .langgraph_api/ under the folder it runs in: removed after,
    unless it was there before (a developer's own)."""
    port, log = free_port(), tmp_path_factory.mktemp("langgraph") / "server.log"
    dev_state = REPO / ".langgraph_api"
    dev_state_was_there = dev_state.exists()
    env = {key: value for key, value in os.environ.items() if key not in DROPPED_ENV} | SERVER_ENV
    command = [sys.executable, "-m", "langgraph_cli", "dev", "--no-browser", "--no-reload"]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_ready(url, process, log)
        yield Server(url, log)
    finally:
        _stop(process)  # SIGTERM to the process group, SIGKILL after 10 s
        if not dev_state_was_there:
            shutil.rmtree(dev_state, ignore_errors=True)
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # nothing of the server's group is left running


def _wait_until_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"langgraph dev exited ({process.returncode}): {_tail(log)}")
        try:
            if httpx.get(f"{url}/ok", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"langgraph dev did not answer within {READY_TIMEOUT_S:.0f} s: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


@pytest.fixture(scope="module")
def client(server):
    return get_sync_client(url=server.url, api_key=None)  # api_key=None: never a LangSmith key from the environment


def _stream(client, thread_id: str | None, **run) -> tuple[list[str], dict]:
    """Stream one run: the names of the nodes in the order they finished, and the run's last output values."""
    nodes, output = [], {}
    for part in client.runs.stream(thread_id, GRAPH, stream_mode=["updates", "values"], **run):
        if part.event == "error":
            pytest.fail(f"the run failed: {part.data}")
        if part.event == "updates":
            nodes += list(part.data)
        elif part.event == "values":
            output = part.data
    return nodes, output


def test_a_review_streams_every_node_and_returns_the_review_and_its_markdown(client, contract_keys):
    thread = client.threads.create()
    nodes, output = _stream(client, thread["thread_id"], input={"description": FRAUD})

    assert nodes == ["facts", "ask", *(stage.node for stage in STAGES), "critic", "alternative", "writer"]
    assert set(output) == {"review", "markdown"}  # the output schema, not the whole state
    review = output["review"]
    assert review["ceiling"] == "throughput" and review["feasible"] and contract_keys <= set(review)
    # The same review as in process (the CLI's JSON contract), and its markdown.
    in_process = run(FRAUD)["review"]
    assert review == json.loads(in_process.model_dump_json())
    assert output["markdown"] == markdown(in_process) and "| Stage | Question | Answer | Source |" in output["markdown"]


def test_the_context_is_json_a_machine_and_a_loop_bound(client):
    """The machine as a mapping of its fields reviews as a ReferenceMachine passed in process does."""
    box = {"name": "one 4-core box", "gpus": 1, "cpu_cores": 4, "host_memory_bytes": 64e9}
    _, output = _stream(client, None, input={"description": FRAUD}, context={"machine": box, "max_loops": 0})
    in_process = run(FRAUD, machine=ReferenceMachine(**box), max_loops=0)["review"]
    assert output["review"] == json.loads(in_process.model_dump_json())
    assert "one 4-core box" in output["review"]["reference_machine"]
    assert output["review"]["pressures"] != run(FRAUD)["review"].pressures  # measured against the box


def test_engine_openai_without_an_endpoint_is_a_one_line_error_not_a_network_call(client):
    run_input, context = {"description": FRAUD}, {"engine": "openai"}
    result = client.runs.wait(None, GRAPH, input=run_input, context=context, raise_error=False)
    assert result["__error__"]["error"] == "LLMError"
    assert "OPENAI_API_KEY or OPENAI_BASE_URL" in result["__error__"]["message"]


def test_with_ask_the_run_stops_at_a_question_and_resumes_with_the_answers(server, client):
    thread_id = client.threads.create()["thread_id"]
    ask = {"ask": True}
    nodes, output = _stream(client, thread_id, input={"description": SILENT_SLO}, context=ask)
    assert nodes[:2] == ["facts", "__interrupt__"] and "writer" not in nodes  # the graph waits in the ask node
    state = client.threads.get_state(thread_id)
    assert state["next"] == ["ask"]
    questions = [q for task in state["tasks"] for i in task["interrupts"] for q in i["value"]["questions"]]
    slo = next(q for q in questions if q["field"] == "slo")
    assert slo["low"] < slo["flips_at"] < slo["high"]

    nodes, output = _stream(client, thread_id, command=Command(resume={"answers": {}}), context=ask)
    assert nodes[0] == "ask" and nodes[-1] == "writer"
    assert output["review"]["tax"]["slo_ms"] == slo["assumed"]  # an empty answer keeps the assumed value
    assert client.threads.get_state(thread_id)["next"] == []
    # The resumed run read the checkpoint back: our types were allowed, none revived with a warning or blocked.
    assert "unregistered type" not in server.log_text() and "Blocked deserialization" not in server.log_text()


def test_the_server_s_mcp_endpoint_offers_the_review_as_a_tool_with_a_small_input(server, run_async):
    async def list_and_call():
        async with (
            streamable_http_client(f"{server.url}/mcp") as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            tools = (await session.list_tools()).tools
            called = await session.call_tool(GRAPH, {"description": FRAUD})
            return tools, called

    tools, called = run_async(list_and_call)
    assert [tool.name for tool in tools] == [GRAPH]
    schema = tools[0].input_schema
    assert schema["required"] == ["description"] and schema["properties"]["description"]["type"] == "string"
    assert set(schema["properties"]) == {"description", "given_facts"}  # the input, not the review's whole state
    assert not called.is_error and "'ceiling': 'throughput'" in called.content[0].text
