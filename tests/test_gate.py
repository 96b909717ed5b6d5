"""The design gate as CI meets it: `ceiling review --fail-on ...` in real processes, several designs in one run,
JUnit XML parsed back, and the GitHub Actions script run on a temporary git repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DESCRIPTIONS = REPO / "tests" / "descriptions"
FRAUD = REPO / "examples" / "fraud-scoring.md"  # feasible, tax within budget, no assumption that could flip it
SHORT_FLEET = DESCRIPTIONS / "own_short_fleet.md"  # infeasible (its stated fleet is short), tax within budget
RECSYS = DESCRIPTIONS / "own_recsys_training.md"  # feasible after the critic's loops; as described, over budget
FINETUNE = DESCRIPTIONS / "own_finetune.md"  # feasible, within budget, the data size assumed could flip it
SCRIPT = REPO / "examples" / "github" / "review-changed-designs.sh"
WORKFLOW = REPO / "examples" / "github" / "design-review.yml"

# Two design docs as teams write them: status line, context, goals, a table, a question, non-goals.
INFEASIBLE_DOC = """# Support chat assistant: serving plan

Status: draft · Owner: platform-ml · Reviewers: infra, finance

## Context

Customer support wants an assistant that drafts replies to tickets in real time. Agents see the draft
while the customer waits, so the first token has to arrive quickly.

## Goals

- Serve a 70B chat model in bf16.
- Peak load of 400 requests per second during the Monday-morning spike, each answer about 300 output tokens.
- First token within 800 ms at p95.

## Proposal

We run the model on the two inference nodes we already own:

| Item | Value |
|---|---|
| Nodes | 2 nodes of 8x H100 (16 GPUs) |
| Serving stack | vLLM with tensor parallelism inside each node |
| Routing | one gateway in front of both nodes |

Does this hold up on the two nodes we have, or do we need to ask for more boxes?

## Non-goals

- Fine-tuning the model on our tickets (a later quarter).
"""

FEASIBLE_DOC = """# Ticket router: design

Status: approved · Owner: support-tools

## Context

Every incoming support ticket is routed to a queue (billing, shipping, technical) by a small classifier.

## Requirements

- Peak load: 300 tickets per second.
- Latency: each routing decision within 200 ms at p99.
- The model is a logistic-regression classifier over TF-IDF features; it fits comfortably in one machine's memory.

## Design

A stateless HTTP service behind the existing load balancer. Each request makes 2 lookups to the
customer-profile cache, about 1 ms each, then scores the ticket.

## Alternatives considered

A fine-tuned 7B model on 8 GPUs was considered and rejected: the accuracy gain did not pay for the GPUs.
"""


def ceiling(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real CLI; CEILING_HOME is the suite's private one (tests/conftest.py)."""
    return subprocess.run(
        [sys.executable, "-m", "ceiling.app.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def junit_cases(xml_text: str) -> dict[tuple[str, str], ET.Element]:
    """(design, testcase name) -> testcase, from JUnit XML with one testsuite."""
    root = ET.fromstring(xml_text)
    assert root.tag == "testsuites" and len(root.findall("testsuite")) == 1
    return {(case.get("classname"), case.get("name")): case for case in root.iter("testcase")}


def test_the_gate_passes_a_feasible_design_and_fails_an_infeasible_one(corpus_index):
    passed = ceiling("review", str(FRAUD), "--fail-on", "infeasible")
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout.startswith("# Design review: Card-fraud scoring service")

    failed = ceiling("review", str(SHORT_FLEET), "--fail-on", "infeasible", "-f", "json")
    assert failed.returncode == 1, failed.stderr
    assert json.loads(failed.stdout)["feasible"] is False  # the review is written all the same
    assert (
        f"{SHORT_FLEET}: infeasible: the fleet the text states is short: the throughput ceiling needs about"
        in failed.stderr
    )
    assert ceiling("review", str(SHORT_FLEET)).returncode == 0  # no gate asked for: a review, not a verdict on CI


def test_bad_input_and_bad_options_exit_2_in_one_line(tmp_path):
    empty = tmp_path / "empty.md"
    empty.write_text("  \n")
    for args, message in [
        ([str(empty), "--fail-on", "infeasible"], "error: empty.md: the description is empty"),
        ([str(FRAUD), "--fail-on", "slow"], "error: Invalid value for '--fail-on'"),
        ([str(FRAUD), "-f", "junit", "-o", str(tmp_path)], f"error: {tmp_path}: is a directory, expected a file"),
    ]:
        result = ceiling("review", *args)
        assert result.returncode == 2 and result.stderr.startswith(message), result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    help_text = " ".join(ceiling("review", "--help").stdout.split())
    assert "2 bad input or usage" in help_text and "engine could not start" in help_text
    assert "1 a --fail-on check failed" in help_text


def test_an_engine_that_cannot_start_is_exit_2_not_a_failed_gate(tmp_path):
    """A code a CI job must not read as "the design failed": nothing was reviewed (a usage error, exit 2)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "ceiling.app.cli", "review", str(FRAUD), str(SHORT_FLEET), "--fail-on", "infeasible"]
        + ["--llm", "openai", "-f", "junit", "-o", str(tmp_path / "junit.xml")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 2 and result.stderr.startswith("error: --llm openai needs"), result.stderr
    assert result.stdout == "" and not (tmp_path / "junit.xml").exists()


@pytest.mark.parametrize(
    "design, check, code, said",
    [
        (RECSYS, "over-budget", 1, "over-budget: the all-reduce tax of the design as described is 630.6 ms against"),
        (RECSYS, "infeasible", 0, None),  # the critic's revision holds: the verdict is feasible
        (SHORT_FLEET, "over-budget", 0, None),  # infeasible, but its tax is within budget
        (FINETUNE, "assumed", 1, "assumed: the verdict rests on assumed quantities: data size assumed 8e+09 bytes"),
        (FINETUNE, "over-budget", 0, None),
    ],
)
def test_each_check_fails_only_on_what_it_names(design, check, code, said, corpus_index):
    result = ceiling("review", str(design), "--fail-on", check, "-f", "json")
    assert result.returncode == code, result.stderr
    if said:
        assert f"{design}: {said}" in result.stderr
    else:
        assert f"{design}: {check}:" not in result.stderr


def test_assumed_fails_only_on_quantities_that_could_flip_the_verdict(corpus_index):
    """The fraud review rests on assumed break-evens (its data size, its vague "tens of thousands" of requests),
    but none can flip the verdict within a plausible range, so the chat would ask nothing and the gate passes; on
    the hospitals design the gate names exactly the quantities the chat would ask for."""
    from ceiling.agents.review import sensitivity
    from ceiling.agents.scoring.taxes import BreakEven
    from ceiling.app.inputs import read_input
    from ceiling.graph.workflow import run

    fraud = ceiling("review", str(FRAUD), "--fail-on", "assumed", "-f", "json")
    assert fraud.returncode == 0, fraud.stderr
    assert any(b["assumed"] for b in json.loads(fraud.stdout)["break_evens"])

    hospitals = DESCRIPTIONS / "chapter_hospitals.md"
    result = ceiling("review", str(hospitals), "--fail-on", "assumed")
    assert result.returncode == 1
    line = next(line for line in result.stderr.splitlines() if line.startswith(f"{hospitals}: assumed: "))
    named = {part.split(" assumed ")[0] for part in line.split("assumed quantities: ")[1].split("; ")}
    state = run(read_input(str(hospitals))[0])
    asked = sensitivity.questions(state["facts"], [BreakEven(**b) for b in state["review"].break_evens])
    assert named == {sensitivity.ASKED_AS[q.field][0] for q in asked} and len(named) >= 2


def test_several_designs_one_unreadable_each_written_and_summed_up(tmp_path, corpus_index):
    one, two = tmp_path / "a" / "design.md", tmp_path / "b" / "design.md"  # same name, two folders
    for path, source in ((one, FRAUD), (two, SHORT_FLEET)):
        path.parent.mkdir()
        shutil.copy(source, path)
    empty = tmp_path / "empty.md"
    empty.write_text("")
    out = tmp_path / "reviews"
    args = [str(one), str(empty), str(two), str(tmp_path / "missing.md"), "--fail-on", "infeasible"]
    result = ceiling("review", *args, "-f", "json", "-o", str(out))
    assert result.returncode == 2, result.stderr  # a design could not be read: that outranks the failed gate
    assert sorted(p.name for p in out.iterdir()) == ["design-2.review.json", "design.review.json"]
    assert json.loads((out / "design.review.json").read_text())["feasible"] is True
    assert json.loads((out / "design-2.review.json").read_text())["feasible"] is False
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == ["error: empty.md: the description is empty", f"error: {tmp_path / 'missing.md'}: no such file"]
    rows = [line for line in result.stderr.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [row.split(" | ")[1] for row in rows] == ["feasible", "not reviewed", "**infeasible**", "not reviewed"]
    assert rows[0].endswith("| pass |") and "**fail**: infeasible: the fleet the text states is short" in rows[2]
    assert "2 of 4 design(s) reviewed; 1 failed the gate (--fail-on infeasible)." in result.stderr

    readable = ceiling("review", str(one), str(two), "--fail-on", "infeasible")
    assert readable.returncode == 1, readable.stderr  # every design read: the gate decides
    assert readable.stdout.count("# Design review: ") == 2 and readable.stdout.startswith("# Design review: Card")


def test_junit_has_a_testcase_per_design_and_check_and_escapes_what_the_text_says(tmp_path, corpus_index):
    hostile = tmp_path / "hostile.md"
    hostile.write_text(
        '# Ranker <v2> & "friends" ]]> </system-out>\n\nA ranker (a small gradient-boosted tree model) serves 300 '
        "requests per second within 200 ms p99 on one server, 2 lookups of 1 ms each. Does this hold up?\n"
    )
    gone = tmp_path / "gone\x1b[31m.md"  # a control character XML 1.0 cannot carry, in the error message too
    designs = [FRAUD, RECSYS, FINETUNE, SHORT_FLEET, hostile, gone]
    checks = ["--fail-on", "infeasible", "--fail-on", "over-budget", "--fail-on", "assumed"]
    result = ceiling("review", *map(str, designs), *checks, "-f", "junit")
    assert result.returncode == 2, result.stderr
    cases = junit_cases(result.stdout)  # parses: well-formed
    # the recommender's verdict no longer rests on an assumed token count: a two-tower model's parameters are embedding
    # rows, so its training time is not 6 P D over "20 tokens per parameter" (it was, and the gate flagged that)
    failing = {"infeasible": {SHORT_FLEET}, "over-budget": {RECSYS}, "assumed": {FINETUNE}}
    for design in designs[:-1]:
        assert cases[(str(design), "review")].find("system-out").text.startswith("# Design review: ")
        for check, failed in failing.items():
            failure = cases[(str(design), f"fail-on {check}")].find("failure")
            assert (failure is not None) == (design in failed), (design, check)
    assert len(cases) == 5 * 4 + 1
    over = cases[(str(RECSYS), "fail-on over-budget")].find("failure")
    assert over.get("type") == "over-budget" and "630.6 ms against 497 ms of compute" in over.get("message")
    shown = cases[(str(hostile), "review")].find("system-out").text
    assert 'Ranker &lt;v2&gt; &amp; "friends" \\]\\]&gt; &lt;/system-out&gt;' in shown  # the review's escaping, intact
    (error_case,) = [case for (source, _), case in cases.items() if source.startswith(str(tmp_path / "gone"))]
    assert error_case.find("error").get("message") == f"{tmp_path / 'gone[31m.md'}: no such file"
    suite = ET.fromstring(result.stdout).find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == (
        "21",
        "3",
        "1",
    )  # the three failures of `failing` above


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=30)


def test_the_workflow_script_reviews_the_design_docs_a_pull_request_changes(tmp_path, corpus_index):
    """The workflow's own step, run as GitHub runs it: a repository whose base branch has one design doc and a pull
    request that deletes it, adds a feasible and an infeasible one and touches a file that is no design."""
    repo = tmp_path / "repo"
    (repo / "docs" / "design").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "Dev")
    (repo / "README.md").write_text("# Support tools\n")
    (repo / "docs" / "design" / "retired.md").write_text(FEASIBLE_DOC)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Support tools")
    git(repo, "checkout", "-q", "-b", "assistant")
    git(repo, "rm", "-q", "docs/design/retired.md")
    (repo / "docs" / "design" / "serving").mkdir(parents=True)  # git rm took the emptied folder
    (repo / "docs" / "design" / "serving" / "support-chat.md").write_text(INFEASIBLE_DOC)
    (repo / "docs" / "design" / "ticket-router.md").write_text(FEASIBLE_DOC)
    (repo / "README.md").write_text("# Support tools\n\nNow with an assistant.\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Design the support assistant")
    git(repo, "update-ref", "refs/remotes/origin/main", "main")  # what actions/checkout's fetch leaves

    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # this checkout's `ceiling`
        "GITHUB_BASE_REF": "main",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    run = subprocess.run(["bash", str(SCRIPT)], cwd=repo, env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 1, run.stderr

    text = summary.read_text()
    assert text.startswith("earlier step\n### ceiling design review")  # appended, never truncated
    rows = {row.split(" | ")[0][2:]: row for row in text.splitlines() if row.startswith("| docs")}
    assert set(rows) == {"docs/design/serving/support-chat.md", "docs/design/ticket-router.md"}
    chat, router = rows["docs/design/serving/support-chat.md"], rows["docs/design/ticket-router.md"]
    assert "| **infeasible** | It does not hold on the fleet stated: the throughput ceiling needs about" in chat
    assert "**fail**: infeasible: the fleet the text states is short" in chat
    assert "| feasible | It holds" in router and router.endswith("| pass |")
    cases = junit_cases((repo / "ceiling-junit.xml").read_text())
    assert set(cases) == {
        (design, name)
        for design in ("docs/design/serving/support-chat.md", "docs/design/ticket-router.md")
        for name in ("review", "fail-on infeasible", "fail-on over-budget")
    }
    failed = {key for key, case in cases.items() if case.find("failure") is not None}
    assert failed == {("docs/design/serving/support-chat.md", "fail-on infeasible")}

    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")  # a pull request that changes no design doc
    quiet = subprocess.run(["bash", str(SCRIPT)], cwd=repo, env=env, capture_output=True, text=True, timeout=60)
    assert quiet.returncode == 0, quiet.stderr
    assert summary.read_text().endswith("No design document changed (docs/design/**/*.md).\n")


def test_the_workflow_runs_that_script_and_uploads_its_junit_file():
    import yaml

    workflow = yaml.safe_load(WORKFLOW.read_text())
    job = workflow["jobs"]["design-review"]
    steps = {step.get("name", step.get("uses")): step for step in job["steps"]}
    assert steps["actions/checkout@v4"]["with"]["fetch-depth"] == 0  # the three-dot diff needs the merge base
    assert steps["Review the changed design docs"]["run"].endswith("review-changed-designs.sh")
    upload = steps["Upload the JUnit report"]
    assert upload["if"] == "always()" and upload["with"]["path"] == "${{ env.CEILING_JUNIT }}"
    install = steps["Install ceiling"]["run"]
    assert install.endswith('"$CEILING_PACKAGE"') and job["env"]["CEILING_PACKAGE"].startswith("ceiling @ git+")
    assert job["env"]["DESIGN_DOCS"] == ":(glob)" + workflow[True]["pull_request"]["paths"][0]  # YAML 1.1: on = True
