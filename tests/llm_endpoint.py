"""Where recorded LLM tests send their traffic: a live endpoint when recording, a dead one when replaying.

CEILING_RECORD=1 records: against the local llama.cpp server (default) or, with ENGINE=openai,
the endpoint in OPENAI_BASE_URL / OPENAI_API_KEY. Replaying, the address is never reached:
vcrpy answers from the cassette and a request it has not recorded fails."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ceiling.agents.llm.client import LLMClient, LLMSettings
from ceiling.app.local_model import MODEL_NAME
from ceiling.eval.recording import make_vcr, use_cassette

RECORD = os.environ.get("CEILING_RECORD") == "1"
ENGINE = os.environ.get("ENGINE", "local")  # `make record ENGINE=openai` records the configured endpoint
MODEL = os.environ.get("CEILING_LLM_MODEL", MODEL_NAME) if ENGINE == "openai" else MODEL_NAME
CASSETTES = Path(__file__).parent / "cassettes"
RECORD_ONLY = {n for n in os.environ.get("CEILING_RECORD_ONLY", "").split(",") if n}  # re-record just these cassettes
# CEILING_RECORD_KEEP=1: replay the recorded calls a test still makes and record only new ones (eval/recording.py)
KEEP_MATCHING = os.environ.get("CEILING_RECORD_KEEP") == "1"


def endpoint(tools: bool = False) -> Iterator[tuple[str, str]]:
    """Yield (base_url, model); `tools` starts the local server with tool calls on."""
    if not RECORD:
        yield "http://127.0.0.1:9/v1", MODEL
        return
    if ENGINE == "openai":
        from ceiling.agents.llm.client import settings_from_env

        yield settings_from_env(model=MODEL).base_url, MODEL
        return
    from ceiling.app.local_server import local_server
    from ceiling.corpus.embedding import ceiling_home

    with local_server(None, ceiling_home() / "models", tools=tools) as live:
        yield live


def client_for(endpoint, **overrides) -> LLMClient:
    base_url, model = endpoint
    json_mode = "json_object" if ENGINE == "openai" else "json_object_schema"
    api_key = os.environ.get("OPENAI_API_KEY", "not-needed")
    return LLMClient(
        LLMSettings(base_url=base_url, model=model, json_mode=json_mode, api_key=api_key, max_retries=0, **overrides)
    )


def recorded(name: str):
    record = RECORD and (not RECORD_ONLY or name in RECORD_ONLY)
    recorder = make_vcr(MODEL, record=record, keep_matching=KEEP_MATCHING)
    recorder.cassette_library_dir = str(CASSETTES / MODEL)
    return use_cassette(recorder, f"{name}.yaml", record)


def proposals(*items: dict) -> list:
    """Candidate values (field, value, unit, quote) as the facts agent's schema parses them: inputs of the verifiers
    the model's replies go through (agents/llm/facts.verify, agents/llm/mismatches.verify)."""
    from ceiling.agents.llm.facts import _schema

    return _schema(sorted({i["field"] for i in items}), most=len(items)).model_validate({"facts": list(items)}).facts
