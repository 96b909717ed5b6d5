"""The corpus as a persistent chromadb index, rebuilt only when the corpus changes.

Layout under ``<home>/index`` (``home`` = ``$CEILING_HOME`` or ``~/.cache/ceiling``)::

    chroma/             chromadb PersistentClient, one collection per corpus set (cosine space):
                        "ceiling-corpus" for the packaged chapters, "ceiling-corpus-<key>" for a set with more folders;
                        beside each, "<collection>-sentences": its quotable sentences, searched for citations
    state.json          content hash + chunk count of the last complete build (state-<key>.json for other sets)
    embeddings.sqlite   embedding cache: sha256(model id + text) -> float32 vector; and the retrieval cache:
                        sha256(collection + built index + k + query) -> the ids and scores chromadb answered

Corpus = the packaged chapters (this folder) + extra folders passed to :class:`CorpusIndex`
+ folders named in ``$CEILING_CORPUS`` (``os.pathsep``-separated). Files are the top-level
``*.txt`` / ``*.md`` of each folder; if two folders hold a file with the same stem, the later
folder wins (a user folder can override a packaged chapter).

Speed: :meth:`CorpusIndex.open` reads and hashes the corpus files, re-chunks them in memory
(milliseconds) and compares the hash with ``state.json``. When it matches, nothing else
happens: chromadb is imported and opened only at the first query whose answer is not in the
retrieval cache, and the embedding model (onnxruntime) is loaded only when an embedding is
missing from the cache. A query asked before of the same built index (same content hash, same
build) is answered from the retrieval cache without chromadb (0.6-0.9 s of imports and opening);
a rebuild gives the index a new build id, so nothing cached of another corpus or build is ever
read. ``chunk()`` and ``all_chunk_ids()`` never touch chromadb.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .chunking import CHUNKER_VERSION, Chunk, CorpusError, chunk_text, corpus_files, read_corpus_file
from .embedding import MODEL_ID, MiniLMEmbeddingFunction, ceiling_home, default_embedding_function
from .sentences import Piece, citable_pieces

__all__ = [
    "COLLECTION",
    "DEFAULT_CORPUS_DIR",
    "CorpusError",
    "CorpusIndex",
    "EmbeddingCache",
    "Hit",
    "IndexStatus",
    "SentenceHit",
    "check_corpus",
    "corpus_folders",
    "set_key",
    "embedding_input",
]

log = logging.getLogger("ceiling.corpus")

DEFAULT_CORPUS_DIR = Path(__file__).resolve().parent
COLLECTION = "ceiling-corpus"
STATE_FILE = "state.json"
LOCK_FILE = ".build.lock"
CACHE_FILE = "embeddings.sqlite"
CHROMA_DIR = "chroma"
_ADD_BATCH = 1000
# Bump when what goes into the collection changes (e.g. the embedded text): part of the hash.
INDEX_VERSION = "ceiling-index/2"  # 2: the sentence collection
# Bump when what a search returns for the same chromadb answer changes: part of the retrieval cache key.
RETRIEVAL_VERSION = "ceiling-retrieval/1"


class IndexStatus(BaseModel):
    """What :meth:`CorpusIndex.open` did."""

    built: bool  # True when the index was (re)built, False when the cached one was used
    chunks: int
    seconds: float
    reason: str = ""  # "cached", "no index", "corpus changed", "rebuild requested", ...
    embedded: int = 0  # chunks and quotable sentences that had to go through the model (cache misses)
    content_hash: str = ""
    path: str = ""


class Hit(BaseModel):
    """One search result: the chunk and its cosine similarity to the query."""

    chunk: Chunk
    score: float


class SentenceHit(BaseModel):
    """One sentence search result: a quotable piece of ``chunk`` and its cosine similarity to the query."""

    chunk: Chunk
    text: str
    score: float


def embedding_input(chunk: Chunk) -> str:
    """What gets embedded for a chunk: its section label as a header, then its text.

    The label gives paragraphs the context their own words lack ("Stage 1, which ceiling
    binds" is clearer under "Section 1.8.1 The Checklist, Stage by Stage").
    """
    return f"{chunk.section}\n{chunk.text}"


def corpus_folders(extra: Iterable[str | Path] = (), include_default: bool = True) -> list[Path]:
    """Default corpus folder, then ``extra``, then ``$CEILING_CORPUS`` folders (deduplicated)."""
    folders: list[Path] = [DEFAULT_CORPUS_DIR] if include_default else []
    folders += [Path(f).expanduser() for f in extra]
    env = os.environ.get("CEILING_CORPUS", "")
    folders += [Path(f).expanduser() for f in env.split(os.pathsep) if f.strip()]
    out: list[Path] = []
    seen: set[Path] = set()
    for f in folders:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            out.append(r)
    return out


def set_key(folders: Sequence[Path]) -> str:
    """The name of a corpus set in the index folder: "" for the packaged chapters alone, else a short hash of
    its folders (resolved paths, in order: the order decides which file wins a stem)."""
    if list(folders) == [DEFAULT_CORPUS_DIR]:
        return ""
    return hashlib.sha256("\0".join(str(f) for f in folders).encode()).hexdigest()[:12]


def check_corpus(extra: Iterable[str | Path] = ()) -> None:
    """Read every corpus file once (the packaged chapter, ``extra``, ``$CEILING_CORPUS``): CorpusError
    on the first that cannot be indexed, before any review starts (milliseconds; no chromadb, no model)."""
    for folder in corpus_folders(extra):
        for path in corpus_files(folder):
            read_corpus_file(path)


# --------------------------------------------------------------------------- embedding cache


class EmbeddingCache:
    """sqlite map sha256(model id + text) -> float32 vector. Thread-safe, process-safe enough.

    The same file holds the retrieval cache (table ``hits``): a key made by :class:`CorpusIndex` of the
    collection, its built state and the query -> the (chunk id, score) pairs chromadb answered."""

    def __init__(self, path: Path, model_id: str = MODEL_ID):
        self.path = path
        self.model_id = model_id
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_id}\0{text}".encode()).hexdigest()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            conn.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS hits (key TEXT PRIMARY KEY, collection TEXT NOT NULL, hits TEXT NOT NULL)"
            )
            self._conn = conn
        return self._conn

    def get_many(self, texts: Sequence[str]) -> list[list[float] | None]:
        keys = [self.key(t) for t in texts]
        found: dict[str, list[float]] = {}
        with self._lock:
            db = self._db()
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                q = f"SELECT key, vec FROM emb WHERE key IN ({','.join('?' * len(part))})"
                for k, blob in db.execute(q, part):
                    found[k] = array("f", blob).tolist()
        return [found.get(k) for k in keys]

    def get(self, text: str) -> list[float] | None:
        return self.get_many([text])[0]

    def put_many(self, texts: Sequence[str], vectors: Sequence[Sequence[float]]) -> None:
        rows = [(self.key(t), array("f", [float(x) for x in v]).tobytes()) for t, v in zip(texts, vectors, strict=True)]
        with self._lock:
            db = self._db()
            with db:
                db.executemany("INSERT OR REPLACE INTO emb (key, vec) VALUES (?, ?)", rows)

    def __len__(self) -> int:
        with self._lock:
            return int(self._db().execute("SELECT COUNT(*) FROM emb").fetchone()[0])

    # ---- retrieval cache

    def get_hits(self, key: str) -> list[tuple[str, float]] | None:
        """The (chunk id, score) pairs stored under ``key``, or None."""
        with self._lock:
            row = self._db().execute("SELECT hits FROM hits WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return [(str(cid), float(score)) for cid, score in json.loads(row[0])]
        except (ValueError, TypeError):
            return None  # an unreadable row is a miss: chromadb answers and the row is written again

    def put_hits(self, key: str, collection: str, hits: Sequence[tuple[str, float]]) -> None:
        with self._lock:
            db = self._db()
            with db:
                db.execute(
                    "INSERT OR REPLACE INTO hits (key, collection, hits) VALUES (?, ?, ?)",
                    (key, collection, json.dumps([[cid, score] for cid, score in hits])),
                )

    def forget_hits(self, collection: str) -> None:
        """Drop every retrieval stored for ``collection`` (its index is being rebuilt)."""
        with self._lock:
            db = self._db()
            with db:
                db.execute("DELETE FROM hits WHERE collection = ?", (collection,))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _pieces_of(chunks: Sequence[Chunk]) -> dict[str, Piece]:
    """The quotable sentences of ``chunks`` by id "<chunk id>#<n>" (the order of the corpus)."""
    pieces = [p for c in chunks for p in citable_pieces(c.chunk_id, c.section, c.text)]
    return {f"{p.chunk_id}#{i}": p for i, p in enumerate(pieces)}


# --------------------------------------------------------------------------- index


class CorpusIndex:
    """Chunks of the corpus in a persistent chromadb collection.

    >>> idx = CorpusIndex()            # packaged corpus + $CEILING_CORPUS folders
    >>> status = idx.open()            # builds on first use or when the corpus changed
    >>> hits = idx.search("which ceiling binds first", k=3)
    """

    def __init__(
        self,
        folders: Iterable[str | Path] = (),
        *,
        home: str | Path | None = None,
        include_default: bool = True,
        embedding_function: MiniLMEmbeddingFunction | None = None,
    ):
        self.folders = corpus_folders(folders, include_default=include_default)
        # Each corpus set keeps its own collection and state, so a review with extra folders never rebuilds (or
        # reads) the index another set built in the same home; the embedding cache is shared by all.
        self.key = set_key(self.folders)
        self.collection_name = COLLECTION if not self.key else f"{COLLECTION}-{self.key}"
        self.path = Path(home).expanduser() / "index" if home is not None else ceiling_home() / "index"
        self.embedding_function = embedding_function or default_embedding_function()
        self.cache = EmbeddingCache(self.path / CACHE_FILE)
        self.status: IndexStatus | None = None
        self._chunks: list[Chunk] = []
        self._by_id: dict[str, Chunk] = {}
        self._pieces: dict[str, Piece] = {}  # quotable sentences by id "<chunk id>#<n>"
        self.sentences_name = f"{self.collection_name}-sentences"
        self._hash = ""
        self._build_id = ""  # of the built index this object answers from (state.json): part of retrieval keys
        self._collection: Any = None
        self._sentence_collection: Any = None
        self._lock = threading.RLock()

    # ---- corpus

    def files(self) -> list[Path]:
        """Corpus files in index order (later folders override earlier ones by stem)."""
        by_stem: dict[str, Path] = {}
        for folder in self.folders:
            for p in corpus_files(folder):
                if p.stem in by_stem:
                    log.warning("corpus file %s overrides %s", p, by_stem[p.stem])
                by_stem[p.stem] = p
        return sorted(by_stem.values(), key=lambda p: p.name)

    def _read_corpus(self) -> tuple[str, list[Chunk]]:
        h = hashlib.sha256()
        h.update(f"{INDEX_VERSION}\0{CHUNKER_VERSION}\0{MODEL_ID}\0".encode())
        chunks: list[Chunk] = []
        for p in self.files():
            data = read_corpus_file(p)
            h.update(f"{p.name}\0{len(data)}\0".encode())
            h.update(data)
            fmt = "md" if p.suffix.lower() == ".md" else "txt"
            chunks.extend(chunk_text(data.decode("utf-8"), p.stem, fmt))
        return h.hexdigest(), chunks

    def content_hash(self) -> str:
        """sha256 over (file name, bytes) of every corpus file + index/chunker versions + model id."""
        return self._read_corpus()[0]

    # ---- open / build

    def _state_path(self) -> Path:
        return self.path / (STATE_FILE if not self.key else f"state-{self.key}.json")

    def _read_state(self) -> dict[str, Any]:
        try:
            state = json.loads(self._state_path().read_text())
            return state if isinstance(state, dict) else {}
        except (OSError, ValueError):
            return {}

    def _stale(self, content_hash: str, n_chunks: int, n_sentences: int) -> str:
        """Why the on-disk index does not match the corpus ("" when it does)."""
        state = self._read_state()
        if not state or not (self.path / CHROMA_DIR).is_dir():
            return "no index"
        if state.get("content_hash") != content_hash:
            return "corpus changed"
        if (
            state.get("chunks") != n_chunks
            or state.get("sentences") != n_sentences
            or state.get("collection") != self.collection_name
        ):
            return "index incomplete"
        return ""

    @contextmanager
    def _build_lock(self) -> Iterator[None]:
        """Inter-process lock around builds (POSIX flock; a no-op where unavailable)."""
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        with open(self.path / LOCK_FILE, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def needs_build(self) -> bool:
        """Whether `open()` will have to embed the corpus (slow: loads the model)."""
        content_hash, chunks = self._read_corpus()
        return bool(self._stale(content_hash, len(chunks), len(_pieces_of(chunks))))

    def open(self, rebuild: bool = False) -> IndexStatus:
        """Make the index match the corpus; rebuild only if the content hash changed."""
        with self._lock:
            t0 = time.perf_counter()
            content_hash, chunks = self._read_corpus()
            self._set_chunks(content_hash, chunks)
            reason = "rebuild requested" if rebuild else self._stale(content_hash, len(chunks), len(self._pieces))
            embedded = 0
            if reason:
                with self._build_lock():
                    # another process may have built the same corpus while we waited
                    if not rebuild and not self._stale(content_hash, len(chunks), len(self._pieces)):
                        reason = ""
                    else:
                        embedded = self._build(content_hash, chunks)
            if not reason:
                self._build_id = self._state_build_id(self._read_state())
            self.status = IndexStatus(
                built=bool(reason),
                chunks=len(chunks),
                seconds=round(time.perf_counter() - t0, 4),
                reason=reason or "cached",
                embedded=embedded,
                content_hash=content_hash,
                path=str(self.path),
            )
            if reason:
                log.info(
                    "corpus index built (%s): %d chunks, %d embedded, %.2fs",
                    reason,
                    len(chunks),
                    embedded,
                    self.status.seconds,
                )
            return self.status

    def _set_chunks(self, content_hash: str, chunks: list[Chunk]) -> None:
        by_id: dict[str, Chunk] = {}
        for c in chunks:
            if c.chunk_id in by_id:
                raise ValueError(f"duplicate chunk id {c.chunk_id}")
            by_id[c.chunk_id] = c
        self._hash, self._chunks, self._by_id = content_hash, chunks, by_id
        self._pieces = _pieces_of(chunks)

    @staticmethod
    def _state_build_id(state: dict[str, Any]) -> str:
        """The build of the index on disk: its id (``built_at`` for an index built before ids were recorded)."""
        return str(state.get("build_id") or state.get("built_at") or "")

    def _ensure_open(self) -> None:
        if self.status is None:
            self.open()

    def _client(self) -> Any:
        import chromadb
        from chromadb.config import Settings

        from .embedding import register_with_chromadb

        register_with_chromadb()
        return chromadb.PersistentClient(
            path=str(self.path / CHROMA_DIR),
            settings=Settings(anonymized_telemetry=False, allow_reset=True),
        )

    def embed_texts(self, texts: Sequence[str]) -> tuple[list[list[float]], int]:
        """Embeddings for ``texts`` through the cache; returns (vectors, number of cache misses)."""
        vecs = self.cache.get_many(texts)
        missing = [i for i, v in enumerate(vecs) if v is None]
        if missing:
            todo = [texts[i] for i in missing]
            new = self.embedding_function.embed(todo)
            self.cache.put_many(todo, new)
            for i, v in zip(missing, new, strict=True):
                vecs[i] = v
        return [v for v in vecs if v is not None], len(missing)

    def _create(self, client: Any, name: str, content_hash: str, rows: list[tuple[str, str, dict, list]]) -> Any:
        """A new collection ``name`` holding ``rows`` of (id, document, metadata, embedding)."""
        try:
            client.delete_collection(name)
        except Exception:  # noqa: BLE001 - absent collection (NotFoundError/ValueError by version)
            pass
        col = client.create_collection(
            name,
            embedding_function=self.embedding_function,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"content_hash": content_hash, "chunker": CHUNKER_VERSION, "model": MODEL_ID},
        )
        for i in range(0, len(rows), _ADD_BATCH):
            ids, documents, metadatas, embeddings = zip(*rows[i : i + _ADD_BATCH], strict=True)
            col.add(ids=list(ids), documents=list(documents), metadatas=list(metadatas), embeddings=list(embeddings))
        return col

    def _build(self, content_hash: str, chunks: list[Chunk]) -> int:
        self.path.mkdir(parents=True, exist_ok=True)
        self._state_path().unlink(missing_ok=True)  # an interrupted build must not look complete
        self._collection = self._sentence_collection = None
        self._build_id = ""
        for name in (self.collection_name, self.sentences_name):  # answers of the index being replaced
            self.cache.forget_hits(name)
        pieces = list(self._pieces.items())
        vectors, misses = self.embed_texts([embedding_input(c) for c in chunks] + [p.text for _, p in pieces])
        chunk_vectors, piece_vectors = vectors[: len(chunks)], vectors[len(chunks) :]
        client = self._client()
        col = self._create(
            client,
            self.collection_name,
            content_hash,
            [
                (c.chunk_id, c.text, {"doc": c.doc, "section": c.section}, v)
                for c, v in zip(chunks, chunk_vectors, strict=True)
            ],
        )
        sentences = self._create(
            client,
            self.sentences_name,
            content_hash,
            [(pid, p.text, {"chunk_id": p.chunk_id}, v) for (pid, p), v in zip(pieces, piece_vectors, strict=True)],
        )
        state = {
            "content_hash": content_hash,
            "chunks": len(chunks),
            "sentences": len(pieces),
            "collection": self.collection_name,
            "chunker": CHUNKER_VERSION,
            "model": MODEL_ID,
            "files": [str(p) for p in self.files()],
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "build_id": secrets.token_hex(8),
        }
        tmp = self._state_path().with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state, indent=1))
        os.replace(tmp, self._state_path())
        self._collection, self._sentence_collection = col, sentences
        self._build_id = state["build_id"]
        return misses

    def collection(self) -> Any:
        """The chromadb collection of chunks (opens the client on first use; rebuilds a broken index)."""
        return self._open_collection(sentences=False)

    def _open_collection(self, sentences: bool) -> Any:
        with self._lock:
            self._ensure_open()
            col = self._sentence_collection if sentences else self._collection
            if col is not None:
                return col
            name, expected = (
                (self.sentences_name, len(self._pieces)) if sentences else (self.collection_name, len(self._chunks))
            )
            try:
                col = self._client().get_collection(name, embedding_function=self.embedding_function)
                meta = col.metadata or {}
                if meta.get("content_hash") != self._hash or col.count() != expected:
                    col = None
            except Exception as exc:  # noqa: BLE001 - missing/corrupt collection: rebuild below
                log.warning("corpus index unusable (%s); rebuilding", " ".join(str(exc).split())[:200])
                col = None
            if col is None:
                t0 = time.perf_counter()
                with self._build_lock():
                    embedded = self._build(self._hash, self._chunks)
                self.status = IndexStatus(
                    built=True,
                    chunks=len(self._chunks),
                    seconds=round(time.perf_counter() - t0, 4),
                    reason="index missing or stale",
                    embedded=embedded,
                    content_hash=self._hash,
                    path=str(self.path),
                )
                return self._sentence_collection if sentences else self._collection
            if sentences:
                self._sentence_collection = col
            else:
                self._collection = col
            return col

    # ---- queries

    def query_embedding(self, text: str) -> list[float]:
        """Embedding of a query, from the cache when possible (no model load on a hit)."""
        vecs, _ = self.embed_texts([text])
        return vecs[0]

    def _hits_key(self, name: str, query: str, n: int) -> str:
        """Retrieval cache key: the collection, the corpus and build of its index, ``n`` and the query."""
        ident = f"{RETRIEVAL_VERSION}\0{name}\0{self._hash}\0{self._build_id}\0{n}\0{query}"
        return hashlib.sha256(ident.encode()).hexdigest()

    def _nearest(self, query: str, k: int, sentences: bool) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the ``k`` chunks (or sentences) nearest ``query``, best first.

        From the retrieval cache when this built index answered the same query before (no chromadb, no model);
        otherwise chromadb answers and the answer is cached."""
        if k <= 0 or not query.strip():
            return []
        self._ensure_open()
        known, name = (self._pieces, self.sentences_name) if sentences else (self._by_id, self.collection_name)
        n = min(k, len(known))
        if not n:
            return []
        with self._lock:
            key = self._hits_key(name, query, n) if self._build_id else ""
        cached = self.cache.get_hits(key) if key else None
        if cached is not None and len(cached) == n and all(i in known for i, _ in cached):
            return cached
        vec = self.query_embedding(query)
        try:
            res = self._open_collection(sentences).query(query_embeddings=[vec], n_results=n, include=["distances"])
        except Exception:  # noqa: BLE001 - e.g. the collection was rebuilt by another CorpusIndex
            with self._lock:
                self._collection = self._sentence_collection = None
            res = self._open_collection(sentences).query(query_embeddings=[vec], n_results=n, include=["distances"])
        hits = [
            (i, round(1.0 - float(dist), 6))
            for i, dist in zip(res["ids"][0], res["distances"][0], strict=True)
            if i in known  # always, as the collection matches the content hash
        ]
        with self._lock:  # the key of the index that answered (a broken one is rebuilt by _open_collection)
            key = self._hits_key(name, query, n) if self._build_id else ""
        if key and len(hits) == n:
            self.cache.put_hits(key, name, hits)
        return hits

    def search(self, query: str, k: int = 3) -> list[Hit]:
        """Top-``k`` chunks by cosine similarity to ``query`` (see ``_nearest`` for the cache)."""
        return [Hit(chunk=self._by_id[i], score=score) for i, score in self._nearest(query, k, sentences=False)]

    def search_sentences(self, query: str, k: int = 10) -> list[SentenceHit]:
        """Top-``k`` quotable sentences (or clauses) of the corpus by cosine similarity to ``query``."""
        return [
            SentenceHit(chunk=self._by_id[self._pieces[i].chunk_id], text=self._pieces[i].text, score=score)
            for i, score in self._nearest(query, k, sentences=True)
        ]

    def chunk(self, chunk_id: str) -> Chunk | None:
        """The chunk with this id, or None (for checking that citations resolve)."""
        self._ensure_open()
        return self._by_id.get(chunk_id)

    def all_chunk_ids(self) -> list[str]:
        self._ensure_open()
        return [c.chunk_id for c in self._chunks]

    def chunks(self) -> list[Chunk]:
        self._ensure_open()
        return list(self._chunks)

    def sentences(self) -> list[Piece]:
        """The quotable sentences of the corpus, in corpus order."""
        self._ensure_open()
        return list(self._pieces.values())

    def close(self) -> None:
        """Drop the chromadb handle and the cache connection (the files stay)."""
        with self._lock:
            self._collection = self._sentence_collection = None
            self.cache.close()
