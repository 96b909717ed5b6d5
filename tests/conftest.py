"""Test-wide setup: one private CEILING_HOME, so the suite never touches a user's index and
builds the real chromadb index (real embedding model) once per checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("CEILING_HOME", str(REPO / ".ceiling-cache" / "test-home"))
os.environ.pop("CEILING_CORPUS", None)


@pytest.fixture(scope="session")
def corpus_index():
    """The default index, built (or found cached) once for the session."""
    from ceiling.corpus.retrieve import default_index

    return default_index()


@pytest.fixture(scope="session")
def endpoint():
    """(base_url, model) of the recorded LLM tests (tests/llm_endpoint.py): a dead address replaying, one local server
    for the whole session recording."""
    from llm_endpoint import endpoint as live_or_dead

    yield from live_or_dead()


@pytest.fixture(scope="module")
def server(tmp_path_factory, corpus_index):
    """A real `ceiling chat` process on 127.0.0.1 with a data folder of its own, one per test module."""
    from ceiling.app.local_server import free_port
    from ceiling.app.serve import ChatProcess

    with ChatProcess(free_port(), tmp_path_factory.mktemp("chat") / "data") as process:
        yield process


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    import shutil

    chromium_path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium_path).exists():
        pytest.fail(
            "Debian chromium is not installed (make install installs it: apt-get install chromium chromium-driver)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def contract_keys() -> set[str]:
    """The top-level keys of the review's JSON contract (DESIGN.md), one list for every test that checks them."""
    return {
        "ceiling",
        "pressures",
        "axes",
        "distribute",
        "topology",
        "mode",
        "metric",
        "tax",
        "loops",
        "trace",
        "stages",
        "alternative",
        "assumptions",
        "engine",
    }


@pytest.fixture
def run_async():
    """Run an async `main()` to completion in a thread of its own: a session fixture (Playwright's sync API, for the
    browser tests) keeps an event loop running in the test thread, and anyio.run refuses to start inside one."""

    def run(main):
        from concurrent.futures import ThreadPoolExecutor

        import anyio

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(anyio.run, main).result()

    return run


@pytest.fixture
def descriptions() -> Path:
    return REPO / "tests" / "descriptions"


@pytest.fixture(autouse=True)
def no_network_beyond_loopback(monkeypatch):
    """The suite never leaves this machine: replayed LLM traffic comes from cassettes, and
    the only servers a test talks to are its own on 127.0.0.1."""
    import socket

    connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise ConnectionRefusedError(f"tests may not reach {host}: network blocked")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
