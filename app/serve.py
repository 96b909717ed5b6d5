"""Start the chat server: warm the reviewer, build the Gradio app, serve until Ctrl-C."""

from __future__ import annotations

from pathlib import Path

WARM_UP = "A service answers 1,000 requests per second within a 50 ms p99 budget, calling 3 backends at 1 ms each."


class PortInUse(OSError):
    """The chat's port is taken (checked before the slow warm-up, so the user hears at once)."""


def check_port(host: str, port: int) -> None:
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: a just-closed port is free
        try:
            probe.bind((host, port))
        except OSError:
            raise PortInUse("the port is in use; choose another with --port") from None


def serve(host: str, port: int, data: Path | None, llm, max_loops: int, machine, corpus=(), on_ready=print) -> None:
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the chat never phones home
    from ceiling.app import chat, web_guard
    from ceiling.app.threads import BadSetting, Threads, time_limit_s
    from ceiling.graph import workflow

    check_port(host, port)
    try:
        time_limit_s(llm.engine if llm is not None else "deterministic")  # a bad setting is said before the warm-up
    except BadSetting as exc:
        raise OSError(str(exc)) from None  # the CLI reports an OSError as one line, exit 2
    # One throwaway rule review loads pint, the embedding model and the graph before the first user waits.
    workflow.run(WARM_UP, machine=machine, corpus=corpus)
    threads = Threads(data, llm=llm, max_loops=max_loops, machine=machine, corpus=corpus)
    demo = chat.build(threads)
    demo.queue(default_concurrency_limit=8)
    login = web_guard.login(host)
    # No allowed_paths: Gradio serves only its own cache, never the data folder (threads, keys).
    demo.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        max_file_size=web_guard.MAX_FILE_SIZE,
        app_kwargs={"middleware": web_guard.middleware(host)},
        auth=[login] if login else None,
        auth_message="ceiling chat: log in with the password the server printed.",
    )
    if login:
        _warn_shared(host, port, login)
    on_ready(f"http://{host}:{port}")
    import signal
    import sys

    # A stop (SIGTERM, as from a service manager) ends like Ctrl-C: the server closes and the served copies of
    # reviews are removed, instead of the process dying with them on disk.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        demo.block_thread()
    finally:
        demo.close()


def _warn_shared(host: str, port: int, login: tuple[str, str]) -> None:
    import os
    import sys

    chosen = os.environ.get("CEILING_CHAT_PASSWORD")
    where = (
        "the password in CEILING_CHAT_PASSWORD" if chosen else f"password {login[1]} (CEILING_CHAT_PASSWORD sets one)"
    )
    print(
        f"warning: serving on {host}:{port}, beyond this machine: everyone must log in as user {login[0]} "
        f"with {where}; API clients pass auth=(user, password)",
        file=sys.stderr,
        flush=True,
    )


class ChatProcess:
    """`ceiling chat` in a child process on 127.0.0.1 (tests, benchmarks, load scripts).

    Waits until the server prints its address; `stop()` ends it and `start()` starts it
    again on the same port and data folder (a restart, as a user would do)."""

    def __init__(
        self,
        port: int,
        data: Path,
        extra: list[str] | None = None,
        startup_timeout_s: float = 120.0,
        env: dict[str, str] | None = None,
    ):
        self.port, self.data, self.extra, self.timeout, self.env = port, data, extra or [], startup_timeout_s, env or {}
        self.url = f"http://127.0.0.1:{port}/"
        self.process = None

    def start(self) -> ChatProcess:
        import os
        import subprocess
        import sys
        import time

        log = open(self.data.parent / f"chat-{self.port}.log", "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ceiling.app.cli",
                "chat",
                "--port",
                str(self.port),
                "--data",
                str(self.data),
                *self.extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ceiling chat exited with {self.process.returncode}; see {log.name}")
            if self._ready():
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"ceiling chat did not answer on {self.url} within {self.timeout:.0f} s")

    def _ready(self) -> bool:
        import httpx

        try:
            return httpx.get(self.url, timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        import subprocess

        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> ChatProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
