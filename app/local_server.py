"""Run llama-cpp-python's OpenAI-compatible server on 127.0.0.1 for the length of a review.

The server runs in its own process group on a free port and is stopped on exit, on error
and on Ctrl-C (the context manager's `finally`); SIGTERM is turned into SystemExit so it
unwinds the same way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ceiling.app.local_model import MODEL_NAME, LocalModelError, default_gguf

STARTUP_TIMEOUT_S = 180.0
PREFLIGHT_TIMEOUT_S = 180.0
CONTEXT_TOKENS = 8192
# A build that faults on the CPU (llama.cpp's AMX path on VMs that advertise AMX) answers /v1/models and dies on
# the first prompt of more than one token: the check sends one of a few hundred tokens before any review does.
PREFLIGHT_PROMPT = " ".join(["The reviewer checks that the local model answers a prompt of a realistic length."] * 24)


def thread_count(cores: int | None = None, load: float | None = None) -> int:
    """llama.cpp threads: CEILING_LLM_THREADS when set, else a thread per core, less one when other work already
    keeps a core busy (a 1-minute load average of 1 or more): llama.cpp slows several-fold when it has to share."""
    configured = os.environ.get("CEILING_LLM_THREADS")
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise LocalModelError(f"CEILING_LLM_THREADS={configured!r}: expected a whole number of threads, 1 or more")
        return int(configured)
    cores = cores or os.cpu_count() or 2
    load = os.getloadavg()[0] if load is None else load
    return max(1, cores - 1) if load >= 1.0 else cores


def _signal_name(code: int) -> str:
    with contextlib.suppress(ValueError):
        return f" ({signal.Signals(-code).name})" if code < 0 else ""
    return ""


def preflight(base_url: str, name: str, alive=lambda: True, timeout: float = PREFLIGHT_TIMEOUT_S) -> float:
    """Send one prompt of a few hundred tokens and return the seconds it took; LocalModelError when the server
    dies on it (`alive()` turns False) or answers with an error."""
    import httpx

    body = {"model": name, "messages": [{"role": "user", "content": PREFLIGHT_PROMPT}], "max_tokens": 1}
    started = time.monotonic()
    try:
        reply = httpx.post(f"{base_url}/chat/completions", json=body, timeout=timeout)
    except httpx.HTTPError as exc:
        if not _still_alive(alive):
            raise LocalModelError(CRASHED) from None
        raise LocalModelError(f"the llama.cpp server failed a test prompt: {type(exc).__name__}") from None
    if not alive():
        raise LocalModelError(CRASHED)
    if reply.status_code != 200:
        raise LocalModelError(f"the llama.cpp server answered a test prompt with HTTP {reply.status_code}")
    return time.monotonic() - started


def _still_alive(alive, grace_s: float = 3.0) -> bool:
    """Whether the server lives on after a dropped connection: a process killed by a signal closes its socket a
    moment before the kernel reports it gone, so it gets a few seconds to be seen exiting."""
    deadline = time.monotonic() + grace_s
    while alive():
        if time.monotonic() > deadline:
            return True
        time.sleep(0.05)
    return False


CRASHED = (
    "the llama.cpp server crashed on a test prompt of a few hundred tokens: its build uses CPU instructions this "
    "machine cannot run; rebuild it with `make local` (AVX2 only), then check with `ceiling doctor`"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ready(port: int) -> bool:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def server_command(model: Path, port: int, name: str, threads: int | None = None, tools: bool = False) -> list[str]:
    """The llama_cpp.server command line; tool calls need the chatml-function-calling format."""
    # llama_serve: llama_cpp.server with the JSON grammar checked on the greedy pick first
    command = [
        sys.executable,
        "-m",
        "ceiling.app.llama_serve",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(CONTEXT_TOKENS),
        "--model_alias",
        name,
        "--n_threads",
        str(threads or thread_count()),
        "--flash_attn",
        "true",
    ]  # ~5% faster prompt evaluation on CPU (measured), same answers
    if tools:
        command += ["--chat_format", "chatml-function-calling"]
    return command


@contextlib.contextmanager
def local_server(
    gguf: Path | None, cache: Path, threads: int | None = None, on_status=None, tools: bool = False, while_loading=None
) -> Iterator[tuple[str, str]]:
    """Yield (base_url, model name) of a running server; stop it whatever happens.

    `tools`: serve tool calls (llama.cpp's `chatml-function-calling` chat format); otherwise
    the GGUF's own chat template, which answers JSON mode but not tools.
    `while_loading`: work of the caller's (imports, the index) run while the server loads the model."""
    try:
        import llama_cpp.server  # noqa: F401
    except ImportError:
        raise LocalModelError(
            "--llm local needs llama-cpp-python's server: make local (or pip install -e '.[local]')"
        ) from None
    if gguf is not None and not gguf.is_file():
        raise LocalModelError(f"{gguf}: no such GGUF file")
    model = gguf or default_gguf(cache)
    name = MODEL_NAME if gguf is None else gguf.stem
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="ceiling-llama-", suffix=".log", delete=False)
    command = server_command(model, port, name, threads, tools)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if while_loading:
            while_loading()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _ready(port):
            if process.poll() is not None:
                tail = Path(log.name).read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
                raise LocalModelError(f"the llama.cpp server exited ({process.returncode}): {tail[0][:200]}")
            if time.monotonic() > deadline:
                raise LocalModelError(
                    f"the llama.cpp server did not answer within {STARTUP_TIMEOUT_S:.0f} s (log: {log.name})"
                )
            if on_status:
                on_status(f"starting the local model server on 127.0.0.1:{port}...")
            time.sleep(0.5)
        base_url = f"http://127.0.0.1:{port}/v1"
        if on_status:
            on_status("checking the local model with a test prompt...")
        try:
            preflight(base_url, name, alive=lambda: process.poll() is None)
        except LocalModelError as exc:
            code = process.poll()
            said = f"{exc} (exit code {code}{_signal_name(code)})" if code is not None else str(exc)
            raise LocalModelError(said) from None
        yield base_url, name
    finally:
        _stop(process)
        signal.signal(signal.SIGTERM, previous)
        log.close()
