"""`ceiling eval`: the case set, the scorer's named checks, the reports and the CI gate."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from ceiling.eval.cases import CASES_DIR, Case, CaseError, load_case, load_cases
from ceiling.eval.gate import failures
from ceiling.eval.runner import chunk_text
from ceiling.eval.scorer import score, summarize
from ceiling.graph.workflow import run

REPO = Path(__file__).resolve().parents[1]


def ceiling(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ceiling.app.cli", *args], capture_output=True, text=True, timeout=300)


def test_case_set_covers_what_the_issue_asks():
    cases = load_cases()
    assert len(cases) >= 30
    modes = {m for c in cases for m in (c.expect.mode or [])}
    assert {"batch", "streaming", "online", "interactive"} <= modes
    forced = {a for c in cases if c.expect.distribute for a in c.expect.distribute.must}
    assert {"data", "training", "model", "inference", "coordination", "intelligence"} <= forced
    assert sum(c.expect.ceiling == ["none"] for c in cases) >= 3
    assert any(c.loops == "must" for c in cases) and all(c.rationale for c in cases)


def test_a_wrong_answer_fails_its_named_check(corpus_index):
    case = load_case(CASES_DIR / "fraud.yaml")
    wrong = case.model_copy(update={"expect": case.expect.model_copy(update={"ceiling": ["model"]})})
    review = run(case.description)["review"]
    result = score(wrong, review, chunk_text)
    failed = [c.name for c in result.checks if not c.passed]
    assert failed == ["ceiling"] and not result.all_six
    assert score(case, review, chunk_text).all_six


def test_bad_case_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "oops.yaml"
    bad.write_text("id: other\ndescription: x\n")
    with pytest.raises(CaseError, match="does not match the file name"):
        load_case(bad)
    result = ceiling("eval", "--cases", str(bad))
    assert result.returncode == 2 and result.stderr.startswith("error: oops.yaml")


def test_the_real_documents_suite_passes_its_own_gate_and_scores_the_numbers_read(tmp_path, corpus_index):
    """eval/real/ is gated by its own thresholds section; each case's `read:` numbers are checks on
    the facts read ("read.<field>"), and every case names its source."""
    from ceiling.eval.cases import REAL_DIR

    cases = load_cases(REAL_DIR)
    assert len(cases) >= 25 and all(c.source and c.kind for c in cases)
    result = ceiling("eval", "--suite", "real", "--report", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert not failures(report["summary"], "real")
    reads = [k for c in report["cases"] for k in c["checks"] if k["name"].startswith("read.")]
    assert len(reads) == sum(len(c.read) for c in cases) and report["summary"]["read"] is not None


def test_a_read_check_fails_on_an_assumed_value_and_passes_within_its_relative_tolerance():
    from ceiling.agents.reading.facts import extract
    from ceiling.eval.scorer import _read_checks

    case = Case(
        id="x",
        description="d",
        read={"request_rate": {"value": 1000, "tol": 0.05}, "slo": {"value": 20, "tol": 0}},
    )
    checks = {c.name: c.passed for c in _read_checks(case, extract("We peak at 1,040 requests per second."))}
    assert checks == {"read.request_rate": True, "read.slo": False}


def test_deterministic_eval_passes_the_gate_and_writes_reports(tmp_path, corpus_index):
    result = ceiling("eval", "--report", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["schema"] == 1 and report["engine"] == "deterministic"
    assert report["summary"]["cases"] == len(load_cases()) and not failures(report["summary"], "deterministic")
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    names = {(c.get("classname"), c.get("name")) for c in suite.iter("testcase")}
    assert ("eval.fraud", "ceiling") in names and ("eval.fraud", "numbers.budget_left_ms") in names
    assert (tmp_path / "accuracy.png").read_bytes()[:4] == b"\x89PNG"
    assert "| all six right | 100% |" in (tmp_path / "report.md").read_text()
    again = ceiling("eval", "--compare", str(tmp_path / "report.json"))
    assert again.returncode == 0 and again.stdout.rstrip().endswith("no change")


def test_gate_names_the_figure_that_dropped(tmp_path):
    summary = summarize([])
    limits = tmp_path / "t.yaml"
    limits.write_text("deterministic:\n  all_six: {min: 0.9, last: 1.0}\n")
    assert failures({**summary, "all_six": 0.5}, "deterministic", limits) == [
        "all_six = 0.5 is below the threshold 0.9"
    ]
    assert failures({**summary, "all_six": 0.95}, "deterministic", limits) == []


def test_new_case_is_written_from_the_current_verdict(tmp_path, corpus_index):
    description = tmp_path / "my-design.md"
    description.write_text((REPO / "examples" / "fraud-scoring.md").read_text())
    result = ceiling("eval", "--new-case", str(description), "--cases", str(tmp_path))
    assert result.returncode == 0, result.stderr
    case = Case.model_validate(yaml.safe_load((tmp_path / "my-design.yaml").read_text()))
    assert case.expect.ceiling == ["throughput"] and case.loops == "must_not" and "TODO" in case.rationale


def test_replayed_llm_eval_passes_its_gate(tmp_path, corpus_index):
    """What CI runs: the recorded local-model traffic, no server, no network."""
    result = ceiling("eval", "--llm", "local", "--report", str(tmp_path))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    summary = json.loads((tmp_path / "report.json").read_text())["summary"]
    assert summary["cases"] >= 10 and summary["errors"] == 0
    assert summary["calls_per_case"] > 0 and summary["llm_survival"] is not None
    assert not failures(summary, "replayed")
