"""Speed benchmark for the deterministic reviewer (prints figures; never a timed test).

Measures, on this machine, for each embedding backend (onnx, the default, and torch, the previous path),
side by side in one run so the ratio is what counts (the machine is noisy):
  first build   building the corpus index in an empty CEILING_HOME (onnx: exports the graph, then embeds)
  cached open   opening that index again in a new process
  cold new      `ceiling review examples/fraud-scoring.md` as a new process whose stage queries were never
                embedded nor retrieved (a new kind of design: the caches hold only the corpus's chunks and
                sentences, as its index was built)
  cold review   the same review as a new process, queries and their retrievals cached
  warm review   the same review again inside one process
and, once: eval (rules) `ceiling eval` over every case, eval (replay) `ceiling eval --llm local`.
Targets (issues): first build <= 10 s, cold new and cold review <= 3 s, warm <= 0.2 s, cached open <= 0.5 s,
each eval <= 30 s.

The package's sources are compiled first (as `pip install` does): a user's review never compiles them, and with
PYTHONDONTWRITEBYTECODE set every figure would include compiling whatever changed since the last .pyc (~0.15 s).

Usage: python eval/bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FRAUD = REPO / "examples" / "fraud-scoring.md"

WARM = """
import time, sys
from ceiling.graph.workflow import run
text = open(sys.argv[1]).read()
run(text)
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter(); run(text); times.append(time.perf_counter() - t)
print(min(times), sorted(times)[len(times) // 2])
"""
OPEN = (
    "import time; t=time.perf_counter(); from ceiling.corpus.index import CorpusIndex; s=CorpusIndex().open(); "
    "print(time.perf_counter()-t, s.built)"
)


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def timed_any(cmd: list[str], env: dict) -> float:
    """Like `timed`, for commands whose exit code reports a verdict (the eval gate)."""
    start = time.perf_counter()
    subprocess.run(cmd, env=env, capture_output=True)
    return time.perf_counter() - start


def row(name: str, values: list[float], target: float | None) -> None:
    median = statistics.median(values)
    verdict = "" if target is None else ("  ok" if median <= target else "  OVER target")
    print(
        f"{name:<14} min {min(values):7.3f} s   median {median:7.3f} s   max {max(values):7.3f} s"
        + (f"   target {target:g} s{verdict}" if target else "")
    )


def without_queries(home: str) -> str:
    """A copy of `home` whose caches keep only the corpus's embeddings (chunks and quotable sentences, as the index
    build leaves them): every stage query and claim is new, neither
    embedded nor retrieved. The exported graph is shared, not copied (a link), as a new description reviewed in the
    same home finds it already checked."""
    import shutil
    import sqlite3

    from ceiling.corpus.index import CorpusIndex, embedding_input

    copy = tempfile.mkdtemp(prefix="ceiling-bench-")
    for entry in Path(home).iterdir():
        if entry.name == "models":
            (Path(copy) / entry.name).symlink_to(entry.resolve(), target_is_directory=True)
        elif entry.is_dir():
            shutil.copytree(entry, Path(copy) / entry.name)
        else:
            shutil.copy2(entry, copy)
    os.environ["CEILING_HOME"] = copy
    index = CorpusIndex()
    index.open()
    keep = {index.cache.key(embedding_input(chunk)) for chunk in index.chunks()}
    keep |= {index.cache.key(piece.text) for piece in index.sentences()}  # the quotable sentences are the corpus's
    index.close()
    with sqlite3.connect(Path(copy) / "index" / "embeddings.sqlite") as db:
        db.executemany(
            "DELETE FROM emb WHERE key = ?", [(k,) for (k,) in db.execute("SELECT key FROM emb") if k not in keep]
        )
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'hits'").fetchone():
            db.execute("DELETE FROM hits")  # the retrieval cache (corpus/index.py)
    return copy


def compile_sources() -> None:
    """Write the .pyc of every module of the package, as an install does (the benchmark times reviews, not the
    compiler)."""
    import compileall
    import re

    compileall.compile_dir(str(REPO), quiet=1, rx=re.compile(r"[/\\](\.[^/\\]+|tests|out)[/\\]"))


def measure(backend: str, runs: int) -> dict[str, list[float]]:
    env = {**os.environ, "CEILING_EMBED_BACKEND": backend}
    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as home:
        env["CEILING_HOME"] = home
        figures["first build"] = [timed([sys.executable, "-c", OPEN], env)]
        figures["cached open"] = [timed([sys.executable, "-c", OPEN], env) for _ in range(runs)]
        cli = [sys.executable, "-m", "ceiling.app.cli", "review", str(FRAUD)]
        copies = [without_queries(home) for _ in range(runs)]
        figures["cold new"] = [timed(cli, {**env, "CEILING_HOME": copy}) for copy in copies]
        for copy in copies:
            shutil.rmtree(copy, ignore_errors=True)
        timed(cli, env)  # the first review embeds the stage queries once (query cache)
        figures["cold review"] = [timed(cli, env) for _ in range(runs)]
        out = subprocess.run(
            [sys.executable, "-c", WARM, str(FRAUD), str(runs * 4)], env=env, capture_output=True, text=True, check=True
        )
        figures["warm review"] = [float(out.stdout.split()[1])]
    return figures


TARGETS = {"first build": 10.0, "cached open": 0.5, "cold new": 3.0, "cold review": 3.0, "warm review": 0.2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-eval", action="store_true", help="Skip the two eval rows.")
    args = parser.parse_args()
    compile_sources()
    onnx, torch = measure("onnx", args.runs), measure("torch", args.runs)
    print(f"machine: {os.cpu_count()} cores; runs: {args.runs}; medians in s (onnx is the default backend)")
    print(f"{'':<14}{'onnx':>9}{'torch':>9}{'ratio':>8}   target")
    for name, target in TARGETS.items():
        a, b = statistics.median(onnx[name]), statistics.median(torch[name])
        print(f"{name:<14}{a:9.3f}{b:9.3f}{a / b:8.2f}   {target:g} s{'  ok' if a <= target else '  OVER target'}")
    if args.no_eval:
        return
    env = os.environ.copy()
    with tempfile.TemporaryDirectory() as home:
        env["CEILING_HOME"] = home
        cli_eval = [sys.executable, "-m", "ceiling.app.cli", "eval"]
        rules = [timed_any(cli_eval, env) for _ in range(max(1, args.runs // 2))]
        replay = [timed_any(cli_eval + ["--llm", "local"], env) for _ in range(max(1, args.runs // 2))]
    row("eval (rules)", rules, 30.0)
    row("eval (replay)", replay, 30.0)


if __name__ == "__main__":
    main()
