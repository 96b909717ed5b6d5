"""Stage 4 truth table: which processing mode the product dictates.

Encodes Chapter 1.8, "1.8.1 The Checklist, Stage by Stage", Stage 4:
"Section 1.5 asks how work arrives and how fresh the answer must be. Batch processes a bounded dataset for
maximum throughput with relaxed latency. Streaming processes an unbounded feed with bounded latency. Online
updates the model itself from each arriving example. Interactive answers a user within a human-perceptible
budget. The mode is largely dictated by the product, not chosen freely, but stating it explicitly prevents the
classic error of building a batch system for an interactive requirement."
The fraud example: "Stage 4: the mode is interactive, one answer per transaction inside a 20 ms budget."

When the arrival is known, the four definitions are keyed on it ("how work arrives"), so the workload does not
change the answer: that table is crossed with every workload. When the arrival is unknown, the product
(workload) decides: a separate table.
"""

from __future__ import annotations

import pytest

from ceiling.agents.stages.mode_agent import choose

WORKLOADS = [
    pytest.param("serving", id="serving"),
    pytest.param("training", id="training"),
    pytest.param("data_pipeline", id="data_pipeline"),
    pytest.param("agents", id="agents"),
    pytest.param(None, id="workload-None"),
]

# (arrival, online_updates) -> mode, whatever the workload
ARRIVAL_ROWS = [
    # "Interactive answers a user within a human-perceptible budget"; fraud: "one answer per transaction"
    pytest.param("request", False, "interactive", id="request-static"),
    # chapter silent: requests that also update the model; "Online updates the model itself from each arriving
    # example" names the requirement that shapes the architecture; the answer budget stays a constraint
    pytest.param("request", True, "online", id="request-updating"),
    # "Streaming processes an unbounded feed with bounded latency"
    pytest.param("feed", False, "streaming", id="feed-static"),
    # "Online updates the model itself from each arriving example" -- the feed's examples update the model
    pytest.param("feed", True, "online", id="feed-updating"),
    # "Batch processes a bounded dataset for maximum throughput with relaxed latency"
    pytest.param("bounded", False, "batch", id="bounded-static"),
    # chapter silent: the flag is the text's own statement that "the model updates itself from each arriving
    # example" (an online learner, a bandit); the arrival is the reader's guess, and an online learner's requests
    # are read as its training data (bounded), so the statement wins: online
    pytest.param("bounded", True, "online", id="bounded-updating"),
    # "Online updates the model itself from each arriving example"
    pytest.param("per_example_update", False, "online", id="per_example-flag-off"),
    # "Online updates the model itself from each arriving example"
    pytest.param("per_example_update", True, "online", id="per_example-flag-on"),
]

# (workload, online_updates) -> mode, when the arrival is unknown
PRODUCT_ROWS = [
    # fraud example: "the mode is interactive, one answer per transaction"; logistics: "interactive mode"
    pytest.param("serving", False, "interactive", id="serving-static"),
    # "Online updates the model itself from each arriving example"
    pytest.param("serving", True, "online", id="serving-updating"),
    # chapter silent: names no mode for training; a training pipeline reads a bounded dataset for maximum throughput
    # ("A training pipeline optimizes throughput per dollar") -> batch
    pytest.param("training", False, "batch", id="training-static"),
    # "Online updates the model itself from each arriving example"
    pytest.param("training", True, "online", id="training-updating"),
    # Exercise 1.8.1(a) "a nightly pipeline that deduplicates and tokenizes a 40-terabyte web crawl" -- a bounded
    # dataset: "Batch processes a bounded dataset"
    pytest.param("data_pipeline", False, "batch", id="data_pipeline-static"),
    # "Online updates the model itself from each arriving example"
    pytest.param("data_pipeline", True, "online", id="data_pipeline-updating"),
    # chapter silent: names no mode for multi-agent systems; reasoning agents answer a user or caller within a
    # human-perceptible budget -> interactive
    pytest.param("agents", False, "interactive", id="agents-static"),
    # "Online updates the model itself from each arriving example"
    pytest.param("agents", True, "online", id="agents-updating"),
    # chapter silent: nothing known; the chapter names only "building a batch system for an interactive
    # requirement" as the classic error, so the safe default is interactive
    pytest.param(None, False, "interactive", id="unknown-static"),
    # "Online updates the model itself from each arriving example"
    pytest.param(None, True, "online", id="unknown-updating"),
]


@pytest.mark.parametrize("workload", WORKLOADS)
@pytest.mark.parametrize(("arrival", "online_updates", "expected"), ARRIVAL_ROWS)
def test_mode_from_arrival(arrival: str, online_updates: bool, workload: str | None, expected: str) -> None:
    assert choose(arrival, online_updates, workload) == expected


@pytest.mark.parametrize(("workload", "online_updates", "expected"), PRODUCT_ROWS)
def test_mode_from_product(workload: str | None, online_updates: bool, expected: str) -> None:
    assert choose(None, online_updates, workload) == expected
