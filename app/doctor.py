"""`ceiling doctor`: can `--llm local` run on this machine? Each check says what it found and what to do.

The checks, in the order a failure blocks the next: llama-cpp-python installed; its CPU build against the CPU's
own flags (a build using AMX or AVX-512 on a VM that advertises them but faults was the failure people met); the
model file (size and sha256 against the published file); the thread count; and a real completion, through the
same server and the same test prompt a review starts with.
"""

from __future__ import annotations

import platform
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Status = Literal["ok", "warn", "fail", "skip"]
_WIDE = ("AMX", "AVX512")  # instruction sets whose llama.cpp paths faulted on VMs that advertise them


@dataclass
class Check:
    name: str
    status: Status
    found: str
    todo: str = ""


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    return set(line.split(":", 1)[-1].split())


def build_features(system_info: str) -> set[str]:
    """The CPU features a llama.cpp build uses, from llama_print_system_info ("AVX2 = 1 | AMX_INT8 = 1 | ...")."""
    return {name for name, on in re.findall(r"([A-Z0-9_]+) = (\d)", system_info) if on == "1"}


def _llama() -> tuple[Check, object | None]:
    try:
        import llama_cpp
    except ImportError:
        return Check("llama-cpp-python", "fail", "not installed", "make local (llama.cpp built for AVX2)"), None
    return Check("llama-cpp-python", "ok", f"{llama_cpp.__version__} on Python {platform.python_version()}"), llama_cpp


def _build(llama_cpp) -> Check:
    features = build_features(llama_cpp.llama_print_system_info().decode(errors="replace"))
    flags = _cpu_flags()
    wide = sorted(f for f in features if f.startswith(_WIDE))
    found = "uses " + (", ".join(sorted(features)) or "no listed CPU features")
    missing = [f for f in wide if not any(flag.startswith(f.lower().split("_")[0]) for flag in flags)]
    if missing:
        return Check("llama.cpp build", "fail", f"{found}; the CPU lacks {', '.join(missing)}", "make local")
    if wide:
        return Check(
            "llama.cpp build",
            "warn",
            f"{found}; {', '.join(wide)} fault on some VMs that advertise them",
            "if the completion check below fails: make local (AVX2 only)",
        )
    return Check("llama.cpp build", "ok", found)


def _model(gguf: Path | None) -> Check:
    from ceiling.app.local_model import GGUF_NAME, LocalModelError, part_paths, verify
    from ceiling.corpus.embedding import ceiling_home

    if gguf is not None:
        if gguf.is_file():
            return Check("model", "ok", str(gguf))
        return Check("model", "fail", f"{gguf}: no such file", "give --gguf an existing GGUF file")
    target = ceiling_home() / "models" / GGUF_NAME
    try:
        if target.exists():
            verify(target)
            return Check("model", "ok", f"{target} (size and sha256 match the published file)")
        part_paths()
    except LocalModelError as exc:
        return Check("model", "fail", str(exc), "make local")
    return Check("model", "ok", "the 22 part packages are installed; the GGUF is assembled on the first review")


def _threads() -> Check:
    import os

    from ceiling.app.local_model import LocalModelError
    from ceiling.app.local_server import thread_count

    try:
        count = thread_count()
    except LocalModelError as exc:
        return Check("threads", "fail", str(exc), "unset CEILING_LLM_THREADS or give a whole number")
    why = "CEILING_LLM_THREADS" if os.environ.get("CEILING_LLM_THREADS") else f"{os.cpu_count()} cores, load average"
    return Check("threads", "ok", f"{count} ({why} {os.getloadavg()[0]:.1f})" if "load" in why else f"{count} ({why})")


def _completion(gguf: Path | None) -> Check:
    import httpx

    from ceiling.app.local_model import LocalModelError
    from ceiling.app.local_server import local_server
    from ceiling.corpus.embedding import ceiling_home

    started = time.monotonic()
    try:
        with local_server(gguf, ceiling_home() / "models") as (base_url, name):
            loaded = time.monotonic() - started
            body = {"model": name, "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 8}
            t = time.monotonic()
            reply = httpx.post(f"{base_url}/chat/completions", json=body, timeout=120).json()
            tokens = reply.get("usage", {}).get("completion_tokens", 0)
            rate = tokens / max(time.monotonic() - t, 1e-6)
    except LocalModelError as exc:
        return Check("completion", "fail", str(exc), "make local, then ceiling doctor again")
    return Check(
        "completion", "ok", f"server up and a test prompt answered in {loaded:.1f} s; {tokens} tokens at {rate:.1f}/s"
    )


def diagnose(gguf: Path | None = None, server: bool = True) -> list[Check]:
    llama, llama_cpp = _llama()
    checks = [llama]
    if llama_cpp is not None:
        checks.append(_build(llama_cpp))
    checks += [_model(gguf), _threads()]
    if not server:
        checks.append(Check("completion", "skip", "not run (--no-server)"))
    elif any(c.status == "fail" for c in checks):
        checks.append(Check("completion", "skip", "not run: fix the failures above first"))
    else:
        checks.append(_completion(gguf))
    return checks
