"""A review in a new process answers a query asked before from the retrieval cache, without chromadb, and only while
the corpus and its built index are the ones that answered it. No mocks: real reviews in real processes, the real
chromadb index and the real embedding model; how long anything takes is the benchmark's business (eval/bench.py)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ceiling.corpus.index import CorpusIndex

REPO = Path(__file__).resolve().parents[1]
FRAUD = REPO / "examples" / "fraud-scoring.md"

# A review in a process of its own: the citations of each stage, the claims it searched the corpus's sentences for (a
# spy that calls through)
# and which heavy modules it loaded.
REVIEW = textwrap.dedent("""
    import json, sys
    from ceiling.corpus.index import CorpusIndex
    from ceiling.graph.workflow import run

    queries, search = [], CorpusIndex.search_sentences

    def spy(self, query, k=10):
        queries.append(query)
        return search(self, query, k)

    CorpusIndex.search_sentences = spy
    state = run(open(sys.argv[1]).read(), corpus=sys.argv[2:])
    cited = {n: [c.chunk_id for c in d.citations] for n, d in sorted(state["decisions"].items())}
    loaded = {m: m in sys.modules for m in ("chromadb", "onnxruntime", "torch")}
    print(json.dumps({"cited": cited, "queries": queries, "loaded": loaded}))
    """)


@pytest.fixture
def home(tmp_path, corpus_index) -> Path:
    """A home of its own: the suite's chunk embeddings (no corpus needs the model again), its exported graph (a
    link), and no retrieval cached."""
    from ceiling.corpus.embedding import ensure_onnx, packaged_model_dir

    ensure_onnx(packaged_model_dir())  # in the suite's home, once
    target = tmp_path / "home"
    (target / "index").mkdir(parents=True)
    shutil.copy(corpus_index.path / "embeddings.sqlite", target / "index" / "embeddings.sqlite")
    with sqlite3.connect(target / "index" / "embeddings.sqlite") as db:
        db.execute("DROP TABLE IF EXISTS hits")
    (target / "models").symlink_to(corpus_index.path.parent / "models", target_is_directory=True)
    return target


def _last_json_line(home: Path, code: str, *args: str) -> dict:
    """Run `code` in a new Python process with CEILING_HOME=home; the JSON object its last line prints."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CEILING_HOME": str(home)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def review(home: Path, *corpus: Path) -> dict:
    return _last_json_line(home, REVIEW, str(FRAUD), *map(str, corpus))


def cli_review(home: Path, output: Path) -> dict[str, bool]:
    """`ceiling review` of the fraud example to `output`; which heavy modules the process loaded."""
    code = textwrap.dedent(f"""
        import json, sys
        from ceiling.app.cli import app
        try:
            app(["review", {str(FRAUD)!r}, "-o", {str(output)!r}], standalone_mode=False)
        finally:
            print(json.dumps({{m: m in sys.modules for m in ("chromadb", "onnxruntime", "torch")}}))
        """)
    return _last_json_line(home, code)


def test_a_review_asked_before_needs_neither_chromadb_nor_the_model_and_says_the_same(home, tmp_path):
    first = cli_review(home, tmp_path / "first.md")
    assert first["chromadb"] and not first["torch"]  # a new home: the index is built, chromadb answers each stage
    again = cli_review(home, tmp_path / "again.md")
    assert again == {"chromadb": False, "onnxruntime": False, "torch": False}
    assert (tmp_path / "again.md").read_text() == (tmp_path / "first.md").read_text()
    assert "Table 1.8.1" in (tmp_path / "again.md").read_text()


def test_a_changed_corpus_is_not_answered_from_the_retrieval_cache(home, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "gossip.md").write_text(
        "# Gossip Membership\n\nEvery node periodically picks a random peer and swaps its view of the cluster.\n"
    )
    before = review(home, mine)
    # one claim per answer cited: stage 2 distributes inference and coordination
    assert before["loaded"]["chromadb"] and len(before["queries"]) == 7
    cached = review(home, mine)
    assert not cached["loaded"]["chromadb"] and cached["cited"] == before["cited"]

    # A chapter that states, word for word, stage 1's claim: the closest sentence there is, if the index is asked.
    (mine / "binding.md").write_text(f"# Which Ceiling Binds\n\n{before['queries'][0]}\n")
    after = review(home, mine)
    assert after["loaded"]["chromadb"]  # the corpus changed: its index is rebuilt and asked again
    assert after["cited"]["1"][0].startswith("binding:"), after["cited"]["1"]
    final = review(home, mine)  # the new answers are the ones cached
    assert final["cited"] == after["cited"]
    assert final["loaded"] == {"chromadb": False, "onnxruntime": False, "torch": False}


def test_a_rebuilt_index_is_asked_again_and_answers_as_the_cache_did(home):
    query = "which ceiling binds first when the request volume exceeds one server"
    first = CorpusIndex(home=home)
    first.open()
    asked = first.search(query, k=3)
    assert first._collection is not None  # chromadb answered
    first.close()

    again = CorpusIndex(home=home)
    assert not again.open().built
    assert again.search(query, k=3) == asked and again._collection is None  # the cache answered
    assert again.search(query, k=2) == asked[:2] and again._collection is not None  # another k is another question
    again.close()

    rebuilt = CorpusIndex(home=home)
    assert rebuilt.open(rebuild=True).built
    rebuilt.close()
    after = CorpusIndex(home=home)
    after.open()
    assert after.search(query, k=3) == asked and after._collection is not None  # a new build: chromadb again
    after.close()


@pytest.mark.parametrize(
    ("argv", "collecting"),
    [
        (["ceiling", "review", "design.md", "-o", "out.md"], False),
        (["ceiling", "facts", "design.md"], False),
        (["ceiling", "chat"], True),
        (["ceiling", "eval", "--llm", "local"], True),
        (["ceiling", "mcp"], True),
    ],
)
def test_a_one_shot_command_pauses_the_garbage_collector_and_a_long_running_one_keeps_it(argv, collecting):
    """~0.5 s of a cold review on 2 cores is collector passes over objects that live until exit (eval/bench.py)."""
    code = (
        "import gc, sys\n"
        "from ceiling.app.cli import _pause_the_collector\n"
        f"_pause_the_collector({argv!r})\n"
        "print(gc.isenabled())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == str(collecting), done.stderr
