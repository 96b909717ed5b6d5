"""The verdict in one sentence, answering the question the text asks (issue 24): the same checks as `feasible`,
the fleet stated against the need first. Descriptions written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ceiling.agents.review.answer import question_asked
from ceiling.agents.review.writer import markdown
from ceiling.graph.workflow import run


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("We run 12 nodes. Does this hold up or do I need to ask for more boxes? Thanks!", "Does this hold up or do "
         "I need to ask for more boxes?"),
        ("Open questions: Kafka or Pulsar? Will 32 nodes be enough?", "Will 32 nodes be enough?"),
        ("**Q: is this over-provisioned?**", "Q: is this over-provisioned?"),
        ("Plan: 2 nodes of 8 H100. does 16 GPUs get us there or am I kidding myself?", "does 16 GPUs get us "
         "there or am I kidding myself?"),
        ("Is this sane for launch day, or do we need a bigger cluster?", "Is this sane for launch day, or do we "
         "need a bigger cluster?"),
        ("Should the topics be keyed by user or by session?", None),  # a choice, not whether it holds
        ("Which region should host the replicas?", None),
        ("A service at 2,000 req/s on 8 GPUs.", None),
    ],
)  # fmt: skip
def test_the_question_about_whether_the_design_holds_is_found(text, question):
    assert question_asked(text) == question


def test_a_short_fleet_is_answered_with_how_much_is_missing():
    review = run(
        "hey all - the new summarizer is a 70B model in bf16 on 2 nodes of 8 H100s. We expect 1,000 requests a "
        "second, each prompt ~2,000 tokens and each summary ~250 tokens. Can 2 nodes handle it?"
    )["review"]
    assert review.question == "Can 2 nodes handle it?"
    assert review.answer.startswith("It does not hold on the fleet stated:") and "short by" in review.answer
    assert not review.feasible
    top = markdown(review).splitlines()[:5]
    assert top[2] == '> You asked: "Can 2 nodes handle it?"' and top[4].startswith("**Answer:** It does not hold")


def test_a_design_that_holds_says_on_what_and_an_assumed_budget_is_not_quoted_as_its_own():
    fits = run("A small internal tool classifies 20 support tickets a minute with a logistic regression model.")
    review = fits["review"]
    assert review.feasible and review.question is None
    assert review.answer.startswith("It holds on one machine") and "budget" not in review.answer
    stated = run(
        "Fraud scoring: 50,000 transactions per second at a 20 ms p99 budget, a gradient-boosted model, "
        "6 sequential feature lookups of 0.8 ms each. Is this realistic?"
    )["review"]
    assert stated.feasible and "of the 20 ms budget left" in stated.answer


def test_break_evens_are_ranked_by_how_close_each_is_to_its_edge():
    import re

    review = run(
        "Fraud scoring: 50,000 transactions per second at a 20 ms p99 budget, a gradient-boosted model, "
        "6 sequential feature lookups of 0.8 ms each."
    )["review"]
    text = markdown(review)
    table = text[text.index("### Break-even values") :].split("\n\n")[1]
    distances = [row.split(" | ")[3] for row in table.splitlines()[2:]]
    factors = [float(re.sub(r"[x,]", "", d)) for d in distances if d not in ("-", "on the edge")]
    assert factors == sorted(factors) and len(factors) >= 3
    assert distances.index("-") > len(factors) - 1 if "-" in distances else True  # unknown distances last


def test_finding_the_question_reads_a_text_without_sentence_ends_in_linear_time():
    """A 100 KB run with no '.', '!', '?' or line break (the chat's worst case) was scanned from every start: 9x
    slower reviews. The ratio of two lengths measured in one run, not a wall-clock bound."""
    import time

    def seconds(n: int) -> float:
        text = "model requests " + "1 2 3 4 5 " * n
        started = time.perf_counter()
        question_asked(text)
        return time.perf_counter() - started

    seconds(100)
    small, large = seconds(2_000), seconds(8_000)
    assert large / small < 8, f"4x the text took {large / small:.1f}x the time (quadratic: 16x)"


def test_several_agents_on_one_machine_are_answered_as_distributed_reasoning_with_their_turns_taxed():
    """4 agents, 5 sequential turns of 1.5 s against a 30 s reply budget: 7.5 s of it; no ceiling binds."""
    review = run(
        "A planner agent, a search agent, a writer agent and a critic agent answer each support ticket. Each agent "
        "turn is one LLM call (~1.5 s per call); a ticket takes 3-5 agent turns. Customers expect a reply inside "
        "30 seconds. We get about 2 tickets per second."
    )["review"]
    assert review.ceiling == "none" and review.distribute == ["intelligence"]
    assert review.tax["communication_ms"] == 7500
    assert "the 4 agents share it" in review.answer and "nothing needs distributing" not in review.answer


def test_a_fleet_planned_for_a_design_one_machine_holds_is_said_to_be_more_than_it_needs():
    """A Slack question written for this test: two nodes planned for a chat model one node serves."""
    text = (
        "we're putting a 13B chat model in front of our support staff (about 250 of them online during the day). "
        "answers are ~400 tokens. we were planning on 2 nodes of 8x A100 80GB. does this hold up?"
    )
    review = run(text)["review"]
    assert review.ceiling == "none" and review.feasible
    assert "16 workers the text plans are more than one such machine's 8" in review.answer


def test_an_assumed_budget_is_said_to_be_one_and_a_rare_failure_reads_as_a_period():
    """Stage 4 names the SLO the mode is held to; when the text gives none, the review says it assumed it. A fleet of
    4 devices fails about once in 526 days (0.0019 a day): "0.00 interruptions/day" said nothing."""
    silent = run("A chat assistant on a 13B model serves 400 users at once.")["review"]
    assert "(assumed: the text states none, so state it)" in silent.stages[3]["justification"]
    fraud = run((Path(__file__).resolve().parents[1] / "examples" / "fraud-scoring.md").read_text())["review"]
    assert "the budget is 20 ms p99." in fraud.stages[3]["justification"]
    assert "about one interruption every 526 days" in fraud.stages[5]["justification"]
