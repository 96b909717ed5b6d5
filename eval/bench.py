"""Speed benchmark for the deterministic reviewer (prints figures; never a timed test).

Measures, on this machine:
  cold review   `ceiling review examples/fraud-scoring.md` as a new process (index cached)
  warm review   the same review again inside one process
  first build   building the corpus index in an empty CEILING_HOME (loads the embedding model)
  cached open   opening that index again in a new process
  eval (rules)  `ceiling eval` over every case, as a new process
  eval (replay) `ceiling eval --llm local`, replaying the recorded local-model traffic
Targets (issues): cold <= 3 s, warm <= 0.2 s, cached open <= 0.5 s, each eval <= 30 s.

Usage: python eval/bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
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
OPEN = "import time; t=time.perf_counter(); from ceiling.corpus.index import CorpusIndex; s=CorpusIndex().open(); print(time.perf_counter()-t, s.built)"


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
    print(f"{name:<14} min {min(values):7.3f} s   median {median:7.3f} s   max {max(values):7.3f} s"
          + (f"   target {target:g} s{verdict}" if target else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = os.environ.copy()
    with tempfile.TemporaryDirectory() as home:
        env["CEILING_HOME"] = home
        build = [timed([sys.executable, "-c", OPEN], env)]
        cached = [timed([sys.executable, "-c", OPEN], env) for _ in range(args.runs)]
        cli = [sys.executable, "-m", "ceiling.graph.cli", "review", str(FRAUD)]
        timed(cli, env)  # first review embeds the stage queries once (query cache)
        cold = [timed(cli, env) for _ in range(args.runs)]
        out = subprocess.run([sys.executable, "-c", WARM, str(FRAUD), str(args.runs * 4)], env=env, capture_output=True, text=True, check=True)
        warm_min, warm_median = map(float, out.stdout.split())
        cli_eval = [sys.executable, "-m", "ceiling.graph.cli", "eval"]
        rules = [timed_any(cli_eval, env) for _ in range(max(1, args.runs // 2))]
        replay = [timed_any(cli_eval + ["--llm", "local"], env) for _ in range(max(1, args.runs // 2))]
    print(f"machine: {os.cpu_count()} cores; runs: {args.runs}")
    row("first build", build, None)
    row("cached open", cached, 0.5)
    row("cold review", cold, 3.0)
    print(f"{'warm review':<14} min {warm_min:7.3f} s   median {warm_median:7.3f} s   target 0.2 s{'  ok' if warm_median <= 0.2 else '  OVER target'}")
    row("eval (rules)", rules, 30.0)
    row("eval (replay)", replay, 30.0)


if __name__ == "__main__":
    main()
