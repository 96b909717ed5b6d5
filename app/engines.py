"""Which engine runs the stage agents: the rules, an OpenAI-compatible endpoint, or a local
llama.cpp server started for the review. One place decides, so CLI and eval agree."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

from ceiling.agents.llm.prose import Prose


class Engine(StrEnum):
    off = "off"
    openai = "openai"
    local = "local"


class EngineError(RuntimeError):
    """The chosen engine cannot run here; one line for the user."""


def resolve(choice: Engine | None) -> Engine:
    """`--llm` left out: an LLM when one is configured (key or base URL), the rules otherwise."""
    from ceiling.agents.llm.client import llm_configured

    if choice is not None:
        return choice
    return Engine.openai if llm_configured() else Engine.off


def settings_for(engine: Engine, model: str | None, tools: bool | None, prose: Prose | None):
    """The client settings of an LLM engine, from the options and the environment; a bad value is an EngineError.
    The local 1.5B model writes sentences by default (its paragraphs fail the checks), an endpoint paragraphs."""
    from ceiling.agents.llm.client import LLMError, settings_from_env

    try:  # also checks CEILING_LLM_TIMEOUT / CEILING_LLM_RETRIES / CEILING_LLM_PROSE
        return settings_from_env(
            model=model,
            tools=tools,
            prose=prose,
            default_prose=Prose.sentence if engine is Engine.local else Prose.paragraph,
        )
    except LLMError as exc:
        raise EngineError(str(exc)) from None


@contextlib.contextmanager
def open_engine(
    choice: Engine | None,
    model: str | None = None,
    gguf: Path | None = None,
    on_status=None,
    tools: bool | None = None,
    while_loading=None,
    prose: Prose | None = None,
) -> Iterator[object | None]:
    """Yield an LLMClient (or None for the rules) and release what it started.

    `while_loading`: the caller's own set-up, run once before the client is yielded; for a local
    server it runs while the model loads (~2 s saved on 2 cores).

    `tools` (None: CEILING_LLM_TOOLS, default off): the stage agents call `retrieve` and the
    scoring functions for a bounded number of rounds before answering; off, they answer in
    JSON mode only (every endpoint supports that; the local 1.5B model over-calls tools).

    `prose` (None: CEILING_LLM_PROSE, else the engine's default): "paragraph", the model writes each stage's paragraph
    (the default for a configured endpoint); "sentence", only its decisive sentence (the default for the local 1.5B
    model, whose paragraphs fail the checks: docs/development.md)."""
    engine = resolve(choice)
    warm_up = while_loading or (lambda: None)
    if engine is Engine.off:
        warm_up()
        yield None
        return
    from ceiling.agents.llm.client import LLMClient, llm_configured

    settings = settings_for(engine, model, tools, prose)
    tools = settings.tools

    if engine is Engine.openai:
        if not llm_configured():
            raise EngineError("--llm openai needs OPENAI_API_KEY or OPENAI_BASE_URL in the environment")
        warm_up()
        yield LLMClient(settings)
        return
    from ceiling.app.local_model import LocalModelError
    from ceiling.app.local_server import local_server
    from ceiling.corpus.embedding import ceiling_home

    try:
        with local_server(
            gguf, ceiling_home() / "models", on_status=on_status, tools=tools, while_loading=while_loading
        ) as (base_url, name):
            yield LLMClient(
                settings.model_copy(
                    update={
                        "base_url": base_url,
                        "api_key": "not-needed",
                        "model": model or name,
                        "json_mode": "json_object_schema",
                    }
                )
            )
    except LocalModelError as exc:
        raise EngineError(str(exc)) from None
