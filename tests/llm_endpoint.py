"""Where recorded LLM tests send their traffic: a live endpoint when recording, a dead one when replaying.

CEILING_RECORD=1 records: against the local llama.cpp server (default) or, with ENGINE=openai,
the endpoint in OPENAI_BASE_URL / OPENAI_API_KEY. Replaying, the address is never reached:
vcrpy answers from the cassette and a request it has not recorded fails."""

from __future__ import annotations

import os
from collections.abc import Iterator

from ceiling.app.local_model import MODEL_NAME

RECORD = os.environ.get("CEILING_RECORD") == "1"
ENGINE = os.environ.get("ENGINE", "local")  # `make record ENGINE=openai` records the configured endpoint
MODEL = os.environ.get("CEILING_LLM_MODEL", MODEL_NAME) if ENGINE == "openai" else MODEL_NAME


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
