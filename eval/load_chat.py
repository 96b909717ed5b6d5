"""Load script for the chat server (issue 7): N concurrent users for a bounded time (prints figures).

Starts `ceiling chat` on 127.0.0.1 (or uses --url), then runs --users concurrent clients
(gradio_client, the app's HTTP API) for --seconds. Each client reviews its own description,
with a fan-out and SLO no other client uses, then asks a what-if on its thread. Every answer is
checked against that client's own numbers, so a thread that saw another thread's facts is
counted as a failure. Prints p50/p95 latency, reviews per second and the failures.

Usage: python eval/load_chat.py [--users 20] [--seconds 60] [--url http://127.0.0.1:7860/]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TEMPLATE = (
    "A pricing service answers 2,000 requests per second within a p99 budget of {slo} ms. "
    "Each request makes {fanout} sequential feature lookups, each a network hop of 0.5 ms. "
    "The model is a small gradient-boosted tree ensemble."
)


def user(url: str, number: int, until: float, latencies: list, failures: list, lock: threading.Lock) -> int:
    from gradio_client import Client

    client = Client(url, verbose=False)
    done = 0
    fanout, slo = 3 + number, 40 + 2 * number  # unique per user: a leak shows up as a wrong number
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            thread_id, _, review_json = client.predict(TEMPLATE.format(slo=slo, fanout=fanout), api_name="/review")
            review = json.loads(review_json)
            elapsed = time.perf_counter() - started
            if review["tax"]["slo_ms"] != slo or abs(review["tax"]["communication_ms"] - fanout * 0.5) > 1e-6:
                raise AssertionError(
                    f"user {number} got slo {review['tax']['slo_ms']}, tax {review['tax']['communication_ms']}"
                )
            _, new_json = client.predict(thread_id, f"what if the fan-out were {fanout * 2}?", api_name="/follow_up")
            if abs(json.loads(new_json)["tax"]["communication_ms"] - fanout * 2 * 0.5) > 1e-6:
                raise AssertionError(f"user {number}: follow-up answered with another thread's facts")
            with lock:
                latencies.append(elapsed)
            done += 1
        except Exception as exc:  # a load test counts every failure, whatever its type
            with lock:
                failures.append(f"user {number}: {type(exc).__name__}: {str(exc)[:160]}")
    return done


def run(url: str, users: int, seconds: float) -> None:
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    started = time.monotonic()
    until = started + seconds
    with ThreadPoolExecutor(max_workers=users) as pool:
        reviews = sum(pool.map(lambda n: user(url, n, until, latencies, failures, lock), range(users)))
    wall = time.monotonic() - started
    ordered = sorted(latencies) or [float("nan")]
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    print(f"users {users}, {wall:.1f} s: {reviews} reviews (+ {reviews} follow-ups), {reviews / wall:.2f} reviews/s")
    print(f"review latency p50 {statistics.median(ordered):.3f} s, p95 {p95:.3f} s, max {ordered[-1]:.3f} s")
    print(f"failures: {len(failures)}")
    for failure in failures[:10]:
        print(f"  {failure}")
    raise SystemExit(1 if failures else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--url", help="an already running chat server (default: start one on a free port)")
    args = parser.parse_args()
    if args.url:
        run(args.url, args.users, args.seconds)
        return
    from ceiling.app.local_server import free_port
    from ceiling.app.serve import ChatProcess

    with tempfile.TemporaryDirectory() as tmp, ChatProcess(free_port(), Path(tmp) / "data") as server:
        run(server.url, args.users, args.seconds)


if __name__ == "__main__":
    main()
