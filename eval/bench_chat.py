"""Chat latency benchmark: a warm `ceiling chat` server, a real headless Chromium (prints figures).

For each run: "New review", paste the chapter's fraud example, submit, and time
  first stage   until the first stage step ("Stage 1 · ...") is on the page
  full review   until Table 1.8.1 and both charts are on the page
  follow-up     a what-if ("what if the fan-out were 60?") until "What changed" is on the page
Targets (issue 6): first stage < 0.5 s after submit, full review < 2 s (deterministic engine).

Usage: python eval/bench_chat.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from ceiling.app.local_server import free_port
from ceiling.app.serve import ChatProcess

REPO = Path(__file__).resolve().parents[1]
FRAUD = (REPO / "examples" / "fraud-scoring.md").read_text()
CHARTS_LOADED = (
    "[...document.querySelectorAll('#review-chat img')].filter(i => i.complete && i.naturalWidth > 400).length >= 2"
)


def one_run(page) -> tuple[float, float, float]:
    page.get_by_role("button", name="New review").click()
    page.wait_for_function("!document.querySelector('#review-chat').innerText.includes('Stage 1')")
    page.locator("#design-box textarea").fill(FRAUD)
    started = time.perf_counter()
    page.locator("#design-box button.submit-button").click()
    page.get_by_text("Stage 1 · ceiling").wait_for(timeout=30_000)
    first = time.perf_counter() - started
    page.get_by_text("Table 1.8.1, filled in").wait_for(timeout=30_000)
    page.wait_for_function(CHARTS_LOADED, timeout=30_000)
    full = time.perf_counter() - started
    page.locator("#design-box textarea").fill("what if the fan-out were 60?")
    started = time.perf_counter()
    page.locator("#design-box button.submit-button").click()
    page.get_by_text("What changed").wait_for(timeout=30_000)
    return first, full, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as tmp,
        ChatProcess(free_port(), Path(tmp) / "data") as server,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.goto(server.url)
        one_run(page)  # warm: the first review in a new page also loads fonts and the chart images' route
        runs = [one_run(page) for _ in range(args.runs)]
        browser.close()
    for name, index, target in (
        ("first stage shown", 0, 0.5),
        ("full review shown", 1, 2.0),
        ("follow-up diff shown", 2, None),
    ):
        values = [r[index] for r in runs]
        goal = f"(target < {target} s)" if target else ""
        print(
            f"{name:22s} median {statistics.median(values):.3f} s  min {min(values):.3f}  max {max(values):.3f}  over "
            f"{len(values)} runs {goal}"
        )


if __name__ == "__main__":
    main()
