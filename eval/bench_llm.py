"""Speed benchmark for LLM reviews against the local model (prints figures; never a timed test).

Runs `ceiling review FILE --llm local -f json` as a new process per review (server start, model
load and index open included, as a user sees it) and prints, per review: wall seconds, calls,
prompt and completion tokens, seconds inside LLM calls, loops, and how each stage's proposal
fared with the critic.
Targets (issue 4): at most 12 calls and 20k tokens per review without loops; under 90 s per review.

Needs `pip install -e '.[local]'`. Usage: python eval/bench_llm.py [FILE ...] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = [REPO / "examples" / "fraud-scoring.md"]


def review(path: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "ceiling.app.cli", "review", str(path), "--llm", "local", "-f", "json"],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"error: {path.name}: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else 'failed'}")
    return seconds, json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=1, help="reviews per file (the median is printed last)")
    args = parser.parse_args()
    print(
        f"{'description':28} {'wall s':>7} {'calls':>5} {'prompt':>7} {'compl':>6} {'llm s':>6} {'loops':>5}  stages "
        "(proposal -> critic)"
    )
    for path in args.files:
        walls = []
        for _ in range(args.runs):
            wall, report = review(path)
            walls.append(wall)
            usage = report["llm"]["usage"]
            fates = " ".join(
                f"{s['stage']}:{s.get('status', '-')}" + ("*" if s.get("reused") else "")
                for s in report["llm"]["stages"]
            )
            print(
                f"{path.name[:28]:28} {wall:7.1f} {usage['calls']:5d} {usage['prompt_tokens']:7d} "
                f"{usage['completion_tokens']:6d} "
                f"{usage['seconds']:6.1f} {report['loops']:5d}  {fates}",
                flush=True,
            )
        if args.runs > 1:
            print(
                f"{path.name[:28]:28} median wall {statistics.median(walls):.1f} s over {args.runs} runs (min "
                f"{min(walls):.1f}, max {max(walls):.1f})"
            )
    print("(* = reused from the pass before a critic loop: same prompt, no call)")


if __name__ == "__main__":
    main()
