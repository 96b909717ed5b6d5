"""Choosing and starting an engine: clear one-line errors, the default model's integrity check."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ceiling.app.engines import Engine, resolve
from ceiling.app.local_model import LocalModelError, verify

FRAUD = Path(__file__).resolve().parents[1] / "examples" / "fraud-scoring.md"


def ceiling(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ceiling.app.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_default_engine_follows_the_environment(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert resolve(None) is Engine.off
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    assert resolve(None) is Engine.openai
    assert resolve(Engine.off) is Engine.off


def test_openai_without_an_endpoint_is_a_one_line_error(corpus_index):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "ceiling.app.cli", "review", str(FRAUD), "--llm", "openai"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1].startswith("error: --llm openai needs")


def test_local_with_a_missing_gguf_is_a_one_line_error(tmp_path, corpus_index):
    result = ceiling("review", str(FRAUD), "--llm", "local", "--gguf", str(tmp_path / "none.gguf"))
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2 and last.startswith("error: ") and "Traceback" not in result.stderr
    assert "no such GGUF file" in last or "pip install -e '.[local]'" in last


def test_model_file_of_the_wrong_size_or_hash_is_refused(tmp_path):
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF" + bytes(60))
    good = hashlib.sha256(model.read_bytes()).hexdigest()
    with pytest.raises(LocalModelError, match="64 bytes, expected 65"):
        verify(model, expected_bytes=65, expected_sha256=good)
    with pytest.raises(LocalModelError, match="does not match the published"):
        verify(model, expected_bytes=64, expected_sha256="0" * 64)
    verify(model, expected_bytes=64, expected_sha256=good)
    assert model.with_suffix(".verified").exists()


def test_client_timeout_and_retries_come_from_the_environment(monkeypatch):
    from ceiling.agents.llm.client import LLMSettings, settings_from_env

    monkeypatch.setenv("CEILING_LLM_TIMEOUT", "7.5")
    monkeypatch.setenv("CEILING_LLM_RETRIES", "0")
    settings = settings_from_env()
    assert (settings.timeout_s, settings.max_retries) == (7.5, 0)
    monkeypatch.delenv("CEILING_LLM_TIMEOUT")
    monkeypatch.delenv("CEILING_LLM_RETRIES")
    assert settings_from_env().timeout_s == LLMSettings().timeout_s


def test_a_bad_timeout_setting_is_a_one_line_error(corpus_index):
    result = ceiling(
        "review",
        str(FRAUD),
        "--llm",
        "openai",
        env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "CEILING_LLM_TIMEOUT": "soon"},
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "error: CEILING_LLM_TIMEOUT='soon' is not a number"


def test_set_up_runs_once_before_the_client_and_not_when_the_engine_cannot_start(monkeypatch):
    from ceiling.app.engines import EngineError, open_engine

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    calls = []
    with open_engine(Engine.off, while_loading=lambda: calls.append("off")) as client:
        assert client is None and calls == ["off"]
    with pytest.raises(EngineError), open_engine(Engine.openai, while_loading=lambda: calls.append("openai")):
        pass
    assert calls == ["off"]  # a one-line error comes first, not after the index is opened
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    with open_engine(Engine.openai, while_loading=lambda: calls.append("openai")) as client:
        assert client is not None and calls == ["off", "openai"]


def test_an_endpoint_writes_whole_paragraphs_unless_told_otherwise(monkeypatch):
    from ceiling.app.engines import EngineError, open_engine

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("CEILING_LLM_PROSE", raising=False)
    with open_engine(Engine.openai) as client:
        assert client.settings.prose == "paragraph"
    with open_engine(Engine.openai, prose="sentence") as client:
        assert client.settings.prose == "sentence"
    monkeypatch.setenv("CEILING_LLM_PROSE", "Sentence")
    with open_engine(Engine.openai) as client:
        assert client.settings.prose == "sentence"
    monkeypatch.setenv("CEILING_LLM_PROSE", "essay")
    with pytest.raises(EngineError, match="CEILING_LLM_PROSE='essay' is not one of sentence, paragraph"):
        with open_engine(Engine.openai):
            pass


def test_the_local_model_writes_sentences_by_default(monkeypatch):
    from ceiling.app.engines import settings_for

    monkeypatch.delenv("CEILING_LLM_PROSE", raising=False)
    assert settings_for(Engine.local, None, None, None).prose == "sentence"
    assert settings_for(Engine.local, None, None, "paragraph").prose == "paragraph"
    monkeypatch.setenv("CEILING_LLM_PROSE", "paragraph")
    assert settings_for(Engine.local, None, None, None).prose == "paragraph"
