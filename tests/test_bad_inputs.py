"""Bad inputs (issue 19, items 10 and 11): every one gets a one-line `error: ...` and exit 2, never a
traceback, never a hang, never lost work.

Each test runs the real CLI in a subprocess with a timeout, so a hang fails the test instead of
blocking the suite. FIFOs are real named pipes; the corpus tests build the real chromadb index;
the cassette test replays real recorded traffic, copied to a temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FRAUD = REPO / "examples" / "fraud-scoring.md"
CASES = REPO / "eval" / "cases"
MODEL_CASSETTES = REPO / "eval" / "cassettes" / "qwen2.5-coder-1.5b-instruct"
DEEP = "[" * 10_000 + "]" * 10_000  # valid JSON and valid YAML, nested 10,000 deep
HANG = 60  # seconds: far beyond any refusal; a blocked open or an endless loop hits it


def ceiling(*args: str, timeout: float = HANG, env: dict | None = None, setup: str = "pass"):
    """The real `ceiling` CLI in a subprocess. `setup` is Python run first in that process, to point a
    module's data folder (cassettes, thresholds) at a temporary copy."""
    code = (
        f"import sys; from pathlib import Path; {setup}; from ceiling.app.cli import run; "
        "sys.argv = ['ceiling', *sys.argv[1:]]; run()"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess, *words: str) -> str:
    """Exit 2, exactly one stderr line `error: ...` naming `words`, no traceback."""
    err = result.stderr
    assert result.returncode == 2, (result.returncode, err[-2000:])
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err[-2000:]
    for word in words:
        assert word in err, err
    return err


@pytest.fixture
def fifo(tmp_path):
    """A named pipe nobody writes to or reads from: opening it normally blocks forever."""

    def make(name: str) -> Path:
        path = tmp_path / name
        os.mkfifo(path)
        return path

    return make


@pytest.fixture(scope="module")
def fraud_review(tmp_path_factory) -> dict:
    """A real review of the fraud example, as `ceiling review --format json` writes it."""
    result = ceiling("review", str(FRAUD), "--format", "json", timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


# ---- item 10: structured fields of the wrong type, values too small to be real ----------------


@pytest.mark.parametrize(
    "line, field",
    [("slo: true", "slo"), ("workload: 5", "workload"), ("gpu_memory: 1e-300", "gpu_memory"), ("mtbf: 1e-300", "mtbf")],
)
def test_facts_file_with_wrong_type_or_unreal_value_is_refused(tmp_path, line, field):
    facts = tmp_path / "facts.yaml"
    facts.write_text(line + "\n")
    one_line_error(ceiling("review", str(facts)), field)


@pytest.mark.parametrize(
    "text, field",
    [
        ("slo: {value: 1.0e-300, unit: s}", "slo"),
        ("bandwidth: 0", "bandwidth"),
        ("share_data: 3", "share_data"),
        ("arrival: true", "arrival"),
        ("slo_percentile: {value: p42}", "slo_percentile"),
        ("model_params: yes", "model_params"),
    ],
)
def test_facts_file_other_kinds_of_the_same_mistake(tmp_path, text, field):
    facts = tmp_path / "facts.yaml"
    facts.write_text(text + "\n")
    one_line_error(ceiling("review", str(facts)), field)


def test_facts_file_with_good_values_still_reviews(tmp_path):
    facts = tmp_path / "facts.yaml"
    facts.write_text(
        "workload: serving\nslo: {value: 20, unit: ms}\nmtbf: 20000\n"
        "gpu_memory: {value: 80, unit: GB}\nshare_data: true\n"
    )
    result = ceiling("review", str(facts), "--format", "json", timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["tax"]["slo_ms"] == 20


@pytest.mark.parametrize(
    "machine, field",
    [
        ("gpus: 0", "gpus"),
        ("gpu_memory_bytes: 0", "gpu_memory_bytes"),
        ("host_memory_bytes: -2.0e12", "host_memory_bytes"),
        ("gpus: true", "gpus"),
        ("gpu_memory_bytes: 1.0e-300", "gpu_memory_bytes"),
        ("mfu: 7", "mfu"),
    ],
)
def test_machine_with_zero_or_negative_capacity_is_refused(tmp_path, machine, field):
    path = tmp_path / "machine.yaml"
    path.write_text(machine + "\n")
    one_line_error(ceiling("review", str(FRAUD), "--machine", str(path)), field)


# ---- item 10: nesting 10,000 deep, at every place structured input is parsed ------------------


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_deep_facts_file(tmp_path, suffix):
    facts = tmp_path / f"facts{suffix}"
    facts.write_text(DEEP)
    one_line_error(ceiling("review", str(facts)), "nested")


def test_deep_machine_file(tmp_path):
    machine = tmp_path / "machine.yaml"
    machine.write_text(DEEP)
    one_line_error(ceiling("review", str(FRAUD), "--machine", str(machine)), "nested")


def test_deep_review_in_diff(tmp_path, fraud_review):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(DEEP)
    new.write_text(json.dumps(fraud_review))
    one_line_error(ceiling("diff", str(old), str(new)), "old.json", "nested")


def test_deep_eval_case(tmp_path):
    case = tmp_path / "deep.yaml"
    case.write_text(DEEP)
    one_line_error(ceiling("eval", "--cases", str(case)), "deep.yaml", "nested")


def test_deep_compare_report(tmp_path):
    report = tmp_path / "report.json"
    report.write_text(DEEP)
    result = ceiling("eval", "--cases", str(CASES / "fraud.yaml"), "--compare", str(report), timeout=300)
    one_line_error(result, "report.json")


# ---- item 10: ceiling diff on reviews missing keys ------------------------------------------


def test_diff_of_a_review_without_tax_keys(tmp_path, fraud_review):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps({**fraud_review, "tax": {}}))
    new.write_text(json.dumps(fraud_review))
    result = ceiling("diff", str(old), str(new))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "| SLO (ms) | - | 20 |" in result.stdout, result.stdout


def test_diff_of_a_review_without_axis_names(tmp_path, fraud_review):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps({**fraud_review, "axes": [{"pressure": 0.1}], "tax": {"failure": None}}))
    new.write_text(json.dumps(fraud_review))
    result = ceiling("diff", str(old), str(new))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]


# ---- item 10: a FIFO (or device) anywhere a file is read or written ---------------------------


def test_fifo_as_description(fifo):
    one_line_error(ceiling("review", str(fifo("design.md"))), "design.md", "not a regular file")


def test_fifo_as_facts_file(fifo):
    one_line_error(ceiling("review", str(fifo("facts.yaml"))), "facts.yaml", "not a regular file")


def test_device_as_description():
    one_line_error(ceiling("review", "/dev/zero"), "/dev/zero", "not a regular file")


def test_fifo_as_output_is_refused_before_the_review(fifo):
    out = fifo("review.md")
    one_line_error(ceiling("review", str(FRAUD), "-o", str(out)), "review.md", "not a regular file")


def test_a_character_device_as_output_takes_the_review():
    """/dev/null (a script that wants only the exit code) returns at once, unlike a FIFO: it is no hang."""
    result = ceiling("review", str(FRAUD), "-o", "/dev/null")
    assert result.returncode == 0 and result.stderr.strip().splitlines()[-1] == "wrote /dev/null", result.stderr


def test_fifo_in_diff(tmp_path, fifo, fraud_review):
    new = tmp_path / "new.json"
    new.write_text(json.dumps(fraud_review))
    one_line_error(ceiling("diff", str(fifo("old.json")), str(new)), "old.json", "not a regular file")


def test_fifo_as_machine_file(fifo):
    result = ceiling("review", str(FRAUD), "--machine", str(fifo("machine.yaml")))
    one_line_error(result, "machine.yaml", "not a regular file")


def test_fifo_as_eval_case(tmp_path, fifo):
    shutil.copy(CASES / "fraud.yaml", tmp_path / "fraud.yaml")
    fifo("zz_pipe.yaml")
    one_line_error(ceiling("eval", "--cases", str(tmp_path)), "zz_pipe.yaml", "not a regular file")


def test_fifo_as_the_eval_case_argument(fifo):
    one_line_error(ceiling("eval", "--cases", str(fifo("case.yaml"))), "case.yaml", "not a regular file")


def test_fifo_as_compare_report(fifo):
    one_line_error(
        ceiling("eval", "--cases", str(CASES / "fraud.yaml"), "--compare", str(fifo("old.json"))),
        "old.json",
        "not a regular file",
    )


# ---- item 10: one malformed cassette ----------------------------------------------------------


def test_malformed_cassette_fails_its_case_only(tmp_path):
    cases, cassettes, report = tmp_path / "cases", tmp_path / "cassettes", tmp_path / "report"
    model_dir = cassettes / MODEL_CASSETTES.name
    cases.mkdir()
    model_dir.mkdir(parents=True)
    for case in ("fraud", "p95_reranker", "vector_search_fits_ram"):
        shutil.copy(CASES / f"{case}.yaml", cases)
        shutil.copy(MODEL_CASSETTES / f"{case}.yaml", model_dir)
    broken = model_dir / "p95_reranker.yaml"
    broken.write_bytes(broken.read_bytes()[: broken.stat().st_size // 2])  # an interrupted write
    setup = f"import ceiling.eval.recording as recording; recording.CASSETTES = Path({str(cassettes)!r})"
    result = ceiling("eval", "--llm", "local", "--cases", str(cases), "--report", str(report), setup=setup, timeout=600)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "ERROR p95_reranker: malformed cassette" in result.stdout, result.stdout
    scored = {c["id"]: c for c in json.loads((report / "report.json").read_text())["cases"]}
    assert scored["p95_reranker"]["error"].startswith("malformed cassette")
    for case in ("fraud", "vector_search_fits_ram"):
        checks = scored[case]["checks"]
        assert scored[case]["error"] is None and checks and all(c["passed"] for c in checks)
    assert (report / "report.md").exists() and (report / "junit.xml").exists()


# ---- item 10: thresholds that would let every eval pass -------------------------------------


@pytest.mark.parametrize(
    "thresholds, words",
    [
        ("", "empty"),
        ("replayed:\n  all_six: {min: 0.9}\n", "deterministic"),
        ("deterministic:\n  all_six: {min: .nan}\n", "all_six"),
        ("deterministic:\n  all_six: {last: 1.0}\n", "all_six"),
        ("deterministic:\n  all_six: {min: true}\n", "all_six"),
    ],
)
def test_thresholds_that_let_everything_pass_are_refused(tmp_path, thresholds, words):
    path = tmp_path / "thresholds.yaml"
    path.write_text(thresholds)
    setup = f"import ceiling.eval.gate as gate; gate.THRESHOLDS = Path({str(path)!r})"
    result = ceiling("eval", "--cases", str(CASES / "fraud.yaml"), setup=setup, timeout=300)
    one_line_error(result, "thresholds.yaml", words)


# ---- items 10 and 11: what --corpus reads ------------------------------------------------------

CHAPTER = (
    "# A user chapter\n\n## 9.1 Queues\n\nA queue in front of a service absorbs bursts; its length grows "
    "without bound once arrivals outpace service, so the service rate must exceed the peak arrival rate.\n"
)


LATIN1 = "Caf\xe9 latency notes: the p99 budget is 20 ms.\n".encode("latin1")


@pytest.mark.parametrize("command", ["index", "review"])
@pytest.mark.parametrize(
    "name, data", [("latin1.md", LATIN1), ("binary.txt", bytes(range(256)) * 4)], ids=["latin1", "binary"]
)
def test_corpus_file_that_is_not_utf8_text_is_refused(tmp_path, command, name, data):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "chapter.md").write_text(CHAPTER)
    (folder / name).write_bytes(data)
    args = ["index"] if command == "index" else ["review", str(FRAUD)]
    one_line_error(ceiling(*args, "--corpus", str(folder)), name)


@pytest.mark.parametrize("name, target", [("env.txt", "/proc/self/environ"), ("shadow.md", "/etc/shadow")])
def test_corpus_symlink_out_of_the_folder_is_never_read(tmp_path, name, target):
    folder, home = tmp_path / "corpus", tmp_path / "home"
    folder.mkdir()
    (folder / "chapter.md").write_text(CHAPTER)
    (folder / name).symlink_to(target)
    secret = "sk-test" + "9" * 24
    env = {"CEILING_HOME": str(home), "OPENAI_API_KEY": secret}
    result = ceiling("index", "--corpus", str(folder), env=env, timeout=300)
    one_line_error(result, name, "outside")
    stored = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    assert secret.encode() not in stored and b"root:" not in stored


def test_corpus_symlink_inside_the_folder_is_indexed(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "chapter.md").write_text(CHAPTER)
    (folder / "alias.md").symlink_to(folder / "chapter.md")
    result = ceiling("index", "--corpus", str(folder), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


def test_replicas_for_an_availability_below_float_resolution_ends():
    """The arithmetic under `mtbf: 1e-300` (refused at input since): 1 - A rounds to 1.0, so no replica
    count ever reaches the target; the search must say so instead of looping forever."""
    code = "from ceiling.agents.scoring import formulas; formulas.replicas_for_availability(1e-300, 0.9999)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG, check=False)
    assert result.returncode == 1 and "can never reach target" in result.stderr, result.stderr[-2000:]
