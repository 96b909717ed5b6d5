"""`ceiling doctor` and the test prompt every `--llm local` review starts with (issue 21, parts 1-2)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
import time

import pytest

from ceiling.app.doctor import build_features
from ceiling.app.local_model import LocalModelError
from ceiling.app.local_server import CRASHED, free_port, preflight, thread_count
from tests.fault_server import FaultServer


def test_the_test_prompt_passes_on_a_server_that_answers_and_names_the_status_of_one_that_does_not():
    with FaultServer("ok") as server:
        assert preflight(server.base_url, "m") >= 0
        sent = server.requests[-1]["body"]
        assert sent["max_tokens"] == 1 and len(sent["messages"][0]["content"].split()) >= 200  # a few hundred tokens
    with FaultServer("500") as server, pytest.raises(LocalModelError, match="HTTP 500"):
        preflight(server.base_url, "m")


# A server that answers /v1/models and dies by SIGILL on the first completion, as the AMX build did.
_DIES_ON_A_PROMPT = textwrap.dedent(
    """
    import os, signal, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer
    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.end_headers(); self.wfile.write(b'{"data": []}')
        def do_POST(self):
            os.kill(os.getpid(), signal.SIGILL)
        def log_message(self, *args):
            pass
    HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
    """
)


def test_a_server_that_dies_on_the_test_prompt_is_reported_as_a_crash_with_the_fix():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", _DIES_ON_A_PROMPT, str(port)])
    try:
        import httpx

        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        with pytest.raises(LocalModelError) as raised:
            preflight(f"http://127.0.0.1:{port}/v1", "m", alive=lambda: process.poll() is None, timeout=30)
        assert str(raised.value) == CRASHED and "make local" in CRASHED
        assert process.wait(timeout=10) < 0  # it died by a signal, as the faulting build did
    finally:
        process.kill()


def test_threads_leave_a_core_to_other_work_and_follow_the_setting(monkeypatch):
    monkeypatch.delenv("CEILING_LLM_THREADS", raising=False)
    assert thread_count(cores=2, load=0.2) == 2
    assert thread_count(cores=2, load=3.1) == 1
    assert thread_count(cores=1, load=5.0) == 1
    monkeypatch.setenv("CEILING_LLM_THREADS", "3")
    assert thread_count(cores=2, load=3.1) == 3
    monkeypatch.setenv("CEILING_LLM_THREADS", "many")
    with pytest.raises(LocalModelError, match="CEILING_LLM_THREADS"):
        thread_count()


def test_the_builds_features_are_read_from_llama_cpps_system_info():
    info = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 0 | AMX_INT8 = 1 | LLAMAFILE = 1 | "
    assert build_features(info) == {"SSE3", "AVX", "AVX2", "AMX_INT8", "LLAMAFILE"}


def test_doctor_says_what_is_missing_and_exits_one_or_passes_without_starting_a_server():
    done = subprocess.run(
        [sys.executable, "-m", "ceiling.app.cli", "doctor", "--no-server"], capture_output=True, text=True, timeout=120
    )
    if importlib.util.find_spec("llama_cpp") is None:  # `make test` does not install the [local] extra
        assert done.returncode == 1 and "make local" in done.stdout
        assert "error: llama-cpp-python" in done.stderr and "Traceback" not in done.stderr
    else:
        assert done.returncode == 0, done.stdout + done.stderr
        assert "llama.cpp build" in done.stdout and "not run (--no-server)" in done.stdout
