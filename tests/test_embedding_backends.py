"""The ONNX path (onnxruntime + tokenizers, no torch) gives the vectors sentence-transformers gives, and the review
path never loads torch. No mocks: the real all-MiniLM-L6-v2 weights, both real runtimes, real chromadb indexes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from ceiling.agents.llm.prompting import stage_questions
from ceiling.corpus.embedding import MiniLMEmbeddingFunction
from ceiling.corpus.index import CorpusIndex, embedding_input

REPO = Path(__file__).resolve().parents[1]
CASES = sorted((REPO / "eval" / "cases").glob("*.yaml"))


def case_descriptions() -> list[str]:
    return [yaml.safe_load(path.read_text())["description"] for path in CASES]


def fifty_sentences() -> list[str]:
    """Real sentences of every length the reviewer embeds: from the eval cases' descriptions."""
    from ceiling.agents.reading.facts import split_sentences

    sentences = [s for text in case_descriptions() for s in split_sentences(text)]
    return sorted(set(sentences), key=len)[:: max(1, len(set(sentences)) // 50)][:50]


@pytest.fixture(scope="module")
def backends():
    return MiniLMEmbeddingFunction(backend="onnx"), MiniLMEmbeddingFunction(backend="torch")


def test_onnx_and_torch_vectors_agree_on_the_corpus_and_on_fifty_sentences(backends, corpus_index):
    sentences = fifty_sentences()
    texts = [embedding_input(chunk) for chunk in corpus_index.chunks()] + sentences
    assert len(sentences) == 50 and len(texts) > 80
    onnx, torch = (np.array(backend.embed(texts)) for backend in backends)
    cosine = (onnx * torch).sum(axis=1)
    assert onnx.shape == (len(texts), 384)
    assert cosine.min() >= 0.999, texts[int(cosine.argmin())]
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)


def flip_a_byte(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.seek(path.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))


def test_the_graph_is_written_once_and_rewritten_when_altered(tmp_path, monkeypatch):
    from ceiling.corpus.bert_onnx import data_path
    from ceiling.corpus.embedding import _sha256_file, ensure_onnx, packaged_model_dir

    monkeypatch.setenv("CEILING_HOME", str(tmp_path))
    first = ensure_onnx(packaged_model_dir())
    weights = data_path(first)  # the graph's weights, beside it (ONNX external data)
    assert weights.stat().st_size > 80e6 > 1e5 > first.stat().st_size
    written = weights.stat().st_mtime_ns
    assert ensure_onnx(packaged_model_dir()) == first and weights.stat().st_mtime_ns == written  # checked, not rebuilt
    for altered in (weights, first):  # one flipped byte in the weights, then in the graph
        flip_a_byte(altered)
        rebuilt = ensure_onnx(packaged_model_dir())
        recorded = json.loads(rebuilt.with_suffix(".json").read_text())
        assert recorded["onnx_sha256"] == _sha256_file(rebuilt) and recorded["data_sha256"] == _sha256_file(weights)
        assert recorded["weights_sha256"].startswith("53aa5117")
    left = sorted(path.name for path in first.parent.iterdir())  # no partial files stay behind
    assert left == sorted([first.name, first.with_suffix(".json").name, weights.name])
    vector = np.array(MiniLMEmbeddingFunction(backend="torch").embed(["one flipped byte"])[0])
    from ceiling.corpus.embedding import OnnxEncoder

    assert float(OnnxEncoder(rebuilt, packaged_model_dir()).encode(["one flipped byte"])[0] @ vector) >= 0.999


def test_a_batch_gives_each_sentence_the_vector_it_gets_alone(backends):
    onnx = backends[0]
    sentences = fifty_sentences()[:12]  # lengths differ: the batch pads the short ones
    together = np.array(onnx.embed(sentences))
    alone = np.array([onnx.embed([s])[0] for s in sentences])
    assert (together * alone).sum(axis=1).min() >= 0.9999


@pytest.fixture(scope="module")
def two_indexes(tmp_path_factory, backends):
    """The packaged corpus indexed twice, once per backend, each in a home of its own (no shared cache)."""
    indexes = []
    for backend in backends:
        index = CorpusIndex(home=tmp_path_factory.mktemp(f"home-{backend.backend}"), embedding_function=backend)
        index.open()
        indexes.append(index)
    yield indexes
    for index in indexes:
        index.close()


def test_every_stage_question_retrieves_the_same_top_three_with_either_index(two_indexes):
    for number, stage in stage_questions().items():
        onnx, torch = ([hit.chunk.chunk_id for hit in index.search(stage["question"], k=3)] for index in two_indexes)
        assert onnx == torch, f"stage {number}"


def test_reviews_cite_the_same_chunks_with_either_index(two_indexes):
    from ceiling.corpus import retrieve
    from ceiling.graph.workflow import run

    cited = []
    try:
        for index in two_indexes:
            retrieve.use_index(index)
            cited.append(
                [
                    [c.chunk_id for c in d.citations]
                    for text in case_descriptions()
                    for d in run(text)["decisions"].values()
                ]
            )
    finally:
        retrieve.reset_default_index()
    assert len(cited[0]) == 6 * len(CASES)
    assert cited[0] == cited[1]


def home_with_no_query_cached(corpus_index, target: Path) -> Path:
    """A copy of the test home (index, exported graph) whose caches hold the chunks' embeddings only: every
    query a review makes is one it has never seen, neither embedded nor retrieved."""
    import shutil
    import sqlite3

    from ceiling.corpus.embedding import ensure_onnx, packaged_model_dir

    shutil.copytree(corpus_index.path, target / "index")  # the home the index lives in, wherever the suite put it
    with pytest.MonkeyPatch.context() as home:
        home.setenv("CEILING_HOME", str(target))
        ensure_onnx(packaged_model_dir())  # the graph beside it, as the index build writes it on a new machine
    chunk_keys = {corpus_index.cache.key(embedding_input(chunk)) for chunk in corpus_index.chunks()}
    with sqlite3.connect(target / "index" / "embeddings.sqlite") as db:
        queries = [key for (key,) in db.execute("SELECT key FROM emb") if key not in chunk_keys]
        db.executemany("DELETE FROM emb WHERE key = ?", [(key,) for key in queries])
        db.execute("DROP TABLE IF EXISTS hits")  # the retrieval cache (corpus/index.py)
    return target


def test_a_review_with_queries_never_seen_loads_onnxruntime_and_not_torch(tmp_path, corpus_index):
    home = home_with_no_query_cached(corpus_index, tmp_path / "home")
    code = textwrap.dedent(f"""
        import json, sys
        from ceiling.app.cli import app
        try:
            app(["review", {str(REPO / "examples" / "fraud-scoring.md")!r}, "-o", {str(tmp_path / "review.md")!r}],
                standalone_mode=False)
        finally:
            print(json.dumps({{m: m in sys.modules for m in ("torch", "sentence_transformers", "onnxruntime")}}))
        """)
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CEILING_HOME": str(home)},
    )
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == {"torch": False, "sentence_transformers": False, "onnxruntime": True}, result.stderr[-2000:]
    assert "Table 1.8.1" in (tmp_path / "review.md").read_text()
