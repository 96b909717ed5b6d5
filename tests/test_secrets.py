"""The API key never reaches anything the reviewer writes or returns, in any form an endpoint may echo it in.

A real OpenAI-compatible endpoint on 127.0.0.1 (tests/fault_server.py, fault `key_in_reply`) answers every stage
with a valid reply whose justification repeats the caller's Authorization header verbatim, base64-encoded and
URL-encoded. The key is shaped like no provider's key, so only knowing the configured key can catch it."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from ceiling.agents import redact

sys.path.insert(0, str(Path(__file__).parent))
from fault_server import FaultServer  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FRAUD = REPO / "examples" / "fraud-scoring.md"


def corporate_key() -> str:
    return "corp-gw-" + secrets.token_hex(14)  # no sk-/Bearer shape: only the configured key can redact it


def revealing_forms(key: str) -> list[str]:
    """What a reader could decode the key from: the key, its URL form, and its base64 in the echoed header."""
    header = f"Authorization: Bearer {key}"
    encoded = base64.b64encode(header.encode()).decode()
    core = base64.b64encode(key.encode()).decode().rstrip("=")[:-1]
    return [key, quote(key, safe=""), encoded, core]


def leaked(text: str, key: str) -> list[str]:
    return [form for form in revealing_forms(key) if form in text]


@pytest.mark.parametrize("prefix", ["", "x", "xy", "Authorization: Basic ", "user:"])
@pytest.mark.parametrize("suffix", ["", "!", "!?", "\n"])
def test_every_base64_alignment_of_the_key_is_redacted(prefix, suffix):
    key = corporate_key()
    redact.register(key)
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        echoed = encode(f"{prefix}{key}{suffix}".encode()).decode()
        text = redact.redact(f"reply: {echoed} (end)")
        assert redact.REDACTED in text
        decodable = [text[i:j] for i in range(len(text)) for j in range(i + 12, len(text) + 1)]
        assert not any(key in _b64_or_empty(piece) for piece in decodable if len(piece) % 4 == 0)


def _b64_or_empty(piece: str) -> str:
    try:
        return base64.b64decode(piece.replace("-", "+").replace("_", "/"), validate=True).decode("utf-8", "replace")
    except ValueError:
        return ""


def test_ordinary_text_and_short_placeholders_are_left_alone():
    redact.register("x")  # a placeholder key ("not-needed", "x") must not redact ordinary words
    text = "The system prompt is 1,500 tokens; x = 3 and the token budget is 20 ms."
    assert redact.redact(text) == text


def rule_answers(description: str) -> dict[int, object]:
    """The stage answers the rules give: an endpoint that gives them has its prose kept in the review."""
    from ceiling.agents.llm.stage import expected_answer
    from ceiling.graph.workflow import run

    return {number: expected_answer(number, decision) for number, decision in run(description)["decisions"].items()}


def test_a_reply_that_echoes_the_key_cannot_put_it_in_the_review(tmp_path, corpus_index):
    key = corporate_key()
    # sentence mode: the fault server's one-sentence replies pass its checks and reach the review (a paragraph must
    # keep the rule text's reasons, which they do not); the key is redacted in the client, whatever the mode
    env = {**os.environ, "OPENAI_BASE_URL": "", "OPENAI_API_KEY": key, "CEILING_LLM_PROSE": "sentence"}
    with FaultServer("key_in_reply", answers=rule_answers(FRAUD.read_text())) as server:
        env["OPENAI_BASE_URL"] = server.base_url
        outputs = []
        for fmt in ("json", "markdown"):
            target = tmp_path / f"review.{fmt}"
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "ceiling.app.cli",
                    "review",
                    str(FRAUD),
                    "--llm",
                    "openai",
                    "-f",
                    fmt,
                    "-o",
                    str(target),
                ],
                capture_output=True,
                timeout=300,
                env=env,
            )
            assert result.returncode == 0, result.stderr.decode()[-2000:]
            outputs += [result.stdout.decode(), result.stderr.decode(), target.read_text()]
    assert server.requests, "the review never called the endpoint"
    echoed = [
        s["justification"] for s in json.loads(outputs[2])["stages"] if "Debug: Authorization=" in s["justification"]
    ]
    assert echoed and all("[redacted]" in text for text in echoed), "the echoing replies never reached the review"
    for text in outputs:
        assert not leaked(text, key)


def test_the_chat_stores_and_returns_no_form_of_the_key(tmp_path, corpus_index, monkeypatch):
    """A chat server whose endpoint echoes the key: the /review and /follow_up answers, the transcript a user's
    pasted key lands in, and every file of the data folder (the SQLite store and its WAL included) hold none of it."""
    from gradio_client import Client

    from ceiling.app.local_server import free_port
    from ceiling.app.serve import ChatProcess

    key = corporate_key()
    data = tmp_path / "data"
    with FaultServer("key_in_reply", answers=rule_answers(FRAUD.read_text())) as endpoint:
        monkeypatch.setenv("OPENAI_BASE_URL", endpoint.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", key)
        with ChatProcess(free_port(), data, extra=["--llm", "openai"]) as chat:
            client = Client(chat.url, verbose=False)
            handle, markdown, review = client.predict(
                FRAUD.read_text() + f"\nOur gateway key is {key}.\n", api_name="/review"
            )
            changes, after = client.predict(handle, "what if the fan-out were 12?", api_name="/follow_up")
            answers = [markdown, review, changes, after]
            stored = [path.read_bytes().decode("utf-8", "replace") for path in data.rglob("*") if path.is_file()]
    assert len(endpoint.requests) >= 6, "the chat never asked the echoing endpoint"
    assert "Debug: Authorization=" in review and "[redacted]" in review  # the echo reached the review, redacted
    assert any("threads.sqlite" in str(p) for p in data.rglob("*"))
    for text in answers + stored:
        assert not leaked(text, key)
