"""The command line as a user meets it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FRAUD = REPO / "examples" / "fraud-scoring.md"


def ceiling(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ceiling.app.cli", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        env=os.environ.copy(),
    )


def test_review_markdown_to_stdout(corpus_index):
    result = ceiling("review", str(FRAUD))
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert out.startswith("# Design review: Card-fraud scoring service")
    assert "| 1. Ceiling | Which resource ran out: data, model, or throughput? | throughput |" in out


def test_review_json_from_stdin_equals_review_of_the_file(corpus_index):
    from_file = json.loads(ceiling("review", str(FRAUD), "--format", "json").stdout)
    from_stdin = json.loads(ceiling("review", "-", "--format", "json", stdin=FRAUD.read_bytes()).stdout)
    assert from_file == from_stdin
    assert from_file["ceiling"] == "throughput" and from_file["tax"]["budget_left_ms"] == pytest.approx(17.6)


def test_output_file_and_max_loops(tmp_path, corpus_index):
    target = tmp_path / "out" / "review.json"
    text = b"An API takes 20,000 requests per second under a 20 ms p99 SLO and makes 60 lookups of 0.4 ms each."
    result = ceiling("review", "-", "-f", "json", "-o", str(target), "--max-loops", "0", stdin=text)
    assert result.returncode == 0 and result.stdout == b""
    data = json.loads(target.read_text())
    assert data["loops"] == 0 and data["feasible"] is False


def test_facts_json_lists_quotes_and_assumptions():
    result = ceiling("facts", str(FRAUD), "--format", "json")
    facts = json.loads(result.stdout)
    assert facts["fanout"]["value"] == 6 and facts["fanout"]["quote"] in FRAUD.read_text().replace("\n", " ")
    assert facts["hop_latency"]["value"] == 0.4
    assert facts["mtbf"]["assumed"] is True and facts["mtbf"]["assumption"]


def test_structured_facts_file(tmp_path, corpus_index):
    path = tmp_path / "facts.yaml"
    path.write_text("workload: training\nmodel_params: 7.0e9\nworkers: 64\nbandwidth: {value: 400, unit: Gbit/s}\n")
    data = json.loads(ceiling("review", str(path), "-f", "json").stdout)
    assert data["ceiling"] in ("model", "throughput") and "model" in data["distribute"]


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"", "the description is empty"),
        (b"   \n\t  \n", "the description is empty"),
        (b"\x00\x01\x02binary", "looks like a binary file"),
        (b"\xff\xfe\xfa not utf8", "not UTF-8 text"),
        (b"x" * 100_001, "larger than 100,000 bytes"),
        (b"My grandmother's lasagne needs two hours in the oven.", "no system is described"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(payload, message):
    result = ceiling("review", "-", stdin=payload)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert err.startswith("error: ") and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_file_and_bad_yaml(tmp_path):
    assert ceiling("review", str(tmp_path / "nope.md")).stderr.decode().startswith("error: ")
    bad = tmp_path / "facts.yaml"
    bad.write_text("slo: {value: 20, unit: parsecs}\n")
    result = ceiling("review", str(bad))
    assert result.returncode == 2 and "slo" in result.stderr.decode() and "Traceback" not in result.stderr.decode()


def test_version_and_help_are_fast_and_honest():
    version = ceiling("--version")
    assert version.returncode == 0 and version.stdout.decode().startswith("ceiling ")
    help_text = ceiling("review", "--help").stdout.decode()
    for option in ("--format", "--output", "--max-loops", "--llm", "--machine", "--corpus"):
        assert option in help_text


def test_index_reports_cached_or_built(corpus_index):
    result = ceiling("index", "--if-changed")
    assert result.returncode == 0 and "cached: " in result.stdout.decode()


def test_reference_machine_is_configurable_and_named(tmp_path, corpus_index):
    big = tmp_path / "big.yaml"
    big.write_text("name: one 512-core CPU box\ncpu_cores: 512\n")
    data = json.loads(ceiling("review", str(FRAUD), "-f", "json", "--machine", str(big)).stdout)
    # 512 cores x 100 req/s per core carry ~30,000 req/s: the throughput ceiling stops binding.
    assert (
        data["reference_machine"] == "one 512-core CPU box" and data["ceiling"] == "none" and data["distribute"] == []
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("cpu_cores: lots\n")
    result = ceiling("review", str(FRAUD), "--machine", str(bad))
    assert (
        result.returncode == 2
        and result.stderr.decode().startswith("error: ")
        and "Traceback" not in result.stderr.decode()
    )


def test_user_corpus_folder_is_indexed_and_citable(tmp_path):
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    (chapters / "serving-notes.md").write_text(
        "# Serving Notes\n\n## Replicas and load balancers\n\nA throughput ceiling on serving is relieved by stateless "
        "replicas "
        "behind a load balancer; the coordinator must never become the bottleneck of the fleet.\n"
    )
    env = {**os.environ, "CEILING_HOME": str(tmp_path / "home")}

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "ceiling.app.cli", *args], capture_output=True, timeout=300, env=env
        )

    alone = run("index").stdout.decode()
    with_user = run("index", "--corpus", str(chapters)).stdout.decode()
    count = lambda text: int(text.split(":")[1].split()[0])  # noqa: E731  "built: 42 chunks ..."
    assert count(with_user) > count(alone)
    review = run("review", str(FRAUD), "-f", "json", "--corpus", str(chapters))
    assert review.returncode == 0 and json.loads(review.stdout)["ceiling"] == "throughput"


def test_every_real_description_counts_as_a_system():
    """The off-topic check must not reject real (terse) designs."""
    import yaml

    from ceiling.app.inputs import check_describes_a_system

    texts = [p.read_text() for p in (REPO / "tests" / "descriptions").glob("*.md")]
    texts += [yaml.safe_load(p.read_text())["description"] for p in (REPO / "eval" / "cases").glob("*.yaml")]
    for text in texts:
        check_describes_a_system(text, "x")


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["review", "x.md", "--max-loops", "1000"],
            "error: Invalid value for '--max-loops': Input should be less than or equal to 10",
        ),
        (["review"], "error: Missing argument 'FILE|-'."),
        (["nosuchcmd"], "error: No such command 'nosuchcmd'."),
    ],
)
def test_usage_errors_are_one_line_too(args, message):
    result = ceiling(*args)
    assert result.returncode == 2 and result.stderr.decode().strip() == message


def on_a_terminal(*args: str, columns: int = 100) -> str:
    """What a user sees: the command run on a pseudo-terminal of this width (stdout only; the status goes to stderr)."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "ceiling.app.cli", *args], stdout=follower, stderr=subprocess.DEVNULL
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert process.wait(timeout=120) == 0
    return shown.decode()


def test_a_terminal_gets_the_review_drawn_by_rich_and_a_pipe_the_markdown_with_its_record(corpus_index):
    """On a terminal the review is drawn (bold, tables with rules, no markdown syntax) and the last screen is the
    review, not the JSON `ceiling diff` reads; a pipe or file gets the markdown and the record, as before."""
    from ceiling.agents.review.diff import MARKER

    screen = on_a_terminal("review", str(FRAUD))
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
    assert "\x1b[1m" in screen  # rich's bold: drawn, not printed
    assert MARKER not in text and "keeps the JSON record" in text
    assert "**Answer:**" not in text and "|---|" not in text and not re.search(r"^\s*#{1,6} ", text, re.M)
    assert "Design review: Card-fraud scoring service" in text and "─" in text  # a table rule
    # the answer and the verdict open the review, then Table 1.8.1, then the stages
    order = [text.index(s) for s in ("Answer:", "Verdict:", "Table 1.8.1, filled in", "1. Ceiling: throughput")]
    assert order == sorted(order)
    assert all(len(line) <= 100 for line in text.splitlines())  # drawn to the terminal's width
    piped = subprocess.run([sys.executable, "-m", "ceiling.app.cli", "review", str(FRAUD)], capture_output=True)
    out = piped.stdout.decode()
    assert out.startswith("# Design review: Card-fraud scoring service") and MARKER in out
    assert "| 1. Ceiling | Which resource ran out: data, model, or throughput? | throughput |" in out


def test_html_is_one_self_contained_page_with_both_charts_and_the_record(tmp_path, browser, corpus_index):
    """--format html: a page to share that needs nothing else (the charts are data: URIs, the style inline, nothing
    fetched), shows the description's text as text, and `ceiling diff` still reads (its JSON record is kept)."""
    import base64

    design = tmp_path / "design.md"
    design.write_text(FRAUD.read_text() + '\n\nOur "<script>alert(1)</script>" note: the scorer runs <b>hot</b>.\n')
    page = tmp_path / "review.html"
    done = ceiling("review", str(design), "--format", "html", "-o", str(page))
    assert done.returncode == 0, done.stderr.decode()
    text = page.read_text()
    assert text.startswith("<!doctype html>") and "Content-Security-Policy" in text
    assert "<script" not in text and "<b>hot" not in text  # the description's markup is text
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)"', text)
    assert [alt.split(":")[0] for alt, _ in images] == ["Axis pressures", "Budget left vs fan-out"]
    assert all(base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n" for _, data in images)
    assert not re.search(r'(src|href)="(?!data:|#)', text)  # nothing to fetch
    fetched = []
    tab = browser.new_page()
    tab.on("request", lambda request: fetched.append(request.url))
    tab.goto(page.as_uri())
    assert tab.locator("h1").inner_text() == "Design review: Card-fraud scoring service"
    assert tab.locator("table").first.locator("th").all_inner_texts() == ["Stage", "Question", "Answer", "Source"]
    assert tab.evaluate("[...document.images].filter(i => i.complete && i.naturalWidth > 400).length") == 2
    assert [url for url in fetched if not url.startswith(("file:", "data:"))] == []
    tab.close()
    same = ceiling("diff", str(page), str(page))
    assert same.returncode == 0 and b"No stage answer or number changed" in same.stdout


def test_several_designs_to_a_folder_as_html(tmp_path, corpus_index):
    other = tmp_path / "other.md"
    other.write_text("A small internal tool classifies 20 support tickets a minute with a logistic regression model.")
    done = ceiling("review", str(FRAUD), str(other), "-f", "html", "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr.decode()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["fraud-scoring.review.html", "other.review.html"]


def test_facts_are_one_line_each_with_value_unit_and_a_short_quote(corpus_index):
    """`ceiling facts`: a line per quantity, its value written with its unit (30,000/s, 20 ms, yes, 80 GB) and a
    few words of the sentence it was read from; --verbose gives the whole sentence."""
    lines = ceiling("facts", str(FRAUD)).stdout.decode().splitlines()
    row = {line.split()[0]: line for line in lines if line.strip() and not line.startswith(" ")}
    assert "30,000/s" in row["request_rate"] and "assumed" in row["request_rate"]
    assert "20 ms" in row["slo"] and "budget of 20 ms" in row["slo"]
    assert " 0.4 ms " in row["hop_latency"] and "0.4" in row["hop_latency"].split('"')[1]
    assert " yes " in row["small_model"] and " 80 GB " in row["gpu_memory"] and " 50,000 h " in row["mtbf"]
    sentence = "At peak we see tens of thousands of authorizations per second, and each one must be answered"
    shown = "\n".join(line for line in lines if not line.startswith("not read"))
    assert sentence not in " ".join(shown.split()) and not re.search(r"\bTrue\b|30000\.0|8e\+10|80000000000", shown)
    assert len([line for line in lines if line.startswith("slo ")]) == 1  # one line, not a wrapped paragraph
    verbose = " ".join(ceiling("facts", str(FRAUD), "--verbose").stdout.decode().split())
    assert sentence + " within a hard p99 budget of 20 ms." in verbose


def test_a_ci_gate_fails_on_an_infeasible_design_and_still_writes_the_review(tmp_path, corpus_index):
    """--fail-on-infeasible: exit 1 on an infeasible design (with the reason on stderr), the review
    written all the same; exit 0 on a feasible one; without the flag an infeasible review exits 0."""
    design = tmp_path / "design.md"
    design.write_text(
        "A 70B chat model in bf16 on 2 nodes of 8x H100 (16 GPUs). Peak 400 req/s, 300 output tokens each, "
        "first token within 800 ms p95."
    )
    out = tmp_path / "review.json"
    gated = ceiling("review", str(design), "--fail-on-infeasible", "-f", "json", "-o", str(out))
    stderr = gated.stderr.decode()
    assert gated.returncode == 1, stderr
    assert "infeasible: the fleet the text states is short" in stderr and "Traceback" not in stderr
    assert json.loads(out.read_text())["feasible"] is False
    assert ceiling("review", str(design), "-f", "json").returncode == 0
    assert ceiling("review", str(REPO / "examples" / "fraud-scoring.md"), "--fail-on-infeasible").returncode == 0


def test_facts_on_a_terminal_lists_what_was_set_aside_and_the_numbers_not_read(tmp_path):
    design = tmp_path / "design.md"
    design.write_text(
        "## Design\nWe serve 300 requests per second on 4 L4 GPUs; the team has 7 people.\n\n"
        "## Non-goals\nA 70B model on 64 GPUs."
    )
    done = ceiling("facts", str(design))
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    assert 'set aside (under "Non-goals": not read as the design) A 70B model on 64 GPUs.' in " ".join(out.split())
    assert 'not read: "7 people"' in out
