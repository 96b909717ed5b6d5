"""A transformer's shape (layers, width, heads, KV heads): what the KV cache, activations and tensor-parallel traffic
are computed from (issue 23).

A shape is known three ways, in this order: stated in the text ("80 layers, hidden size 8192, 8 KV heads"); named
(the model the size was read from is a published one: "Llama-3-70B"); or, for the checks that may rest on an
assumption, the published model nearest in size, listed as assumed. The KV cache is never sized from a nearest
shape: two models of one size differ eightfold in KV heads (grouped-query attention), so an unnamed model's decode
counts its weights only and the review says so.

Vocabulary as data: each row is a family pattern matched in the quote the model's size came from, and the
published config (the model's config.json or paper) at that size.
"""

from __future__ import annotations

import math
import re

from pydantic import BaseModel


class Shape(BaseModel):
    name: str
    params: float
    layers: int
    hidden_size: int
    attention_heads: int
    kv_heads: int
    origin: str = "named"  # "stated", "named" or "nearest" (assumed)

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.attention_heads

    def said(self) -> str:
        dims = (
            f"{self.layers} layers, hidden size {self.hidden_size:,}, {self.attention_heads} heads, "
            f"{self.kv_heads} KV heads"
        )
        if self.origin == "stated":
            return f"the stated shape: {dims}"
        if self.origin == "named":
            return f"{self.name}'s published shape: {dims}"
        return f"the shape of {self.name}, the published model nearest in size: {dims}"


_LLAMA2 = r"llama[\s-]?2"
_LLAMA3 = r"llama[\s-]?3(\.\d)?"
# (family pattern, name, params, layers, hidden, heads, KV heads), from each model's published config
PUBLISHED: tuple[tuple[str, str, float, int, int, int, int], ...] = (
    (r"gpt[\s-]?2", "GPT-2 124M", 124e6, 12, 768, 12, 12),
    (_LLAMA2, "Llama-2-7B", 6.74e9, 32, 4096, 32, 32),
    (_LLAMA2, "Llama-2-13B", 13.0e9, 40, 5120, 40, 40),
    (_LLAMA2, "Llama-2-70B", 69.0e9, 80, 8192, 64, 8),
    (_LLAMA3, "Llama-3-8B", 8.03e9, 32, 4096, 32, 8),
    (_LLAMA3, "Llama-3-70B", 70.6e9, 80, 8192, 64, 8),
    (_LLAMA3, "Llama-3.1-405B", 405e9, 126, 16384, 128, 8),
    (r"mistral", "Mistral-7B", 7.24e9, 32, 4096, 32, 8),
    (r"qwen[\s-]?2(\.5)?", "Qwen2.5-7B", 7.6e9, 28, 3584, 28, 4),
    (r"qwen[\s-]?2(\.5)?", "Qwen2.5-72B", 72.7e9, 80, 8192, 64, 8),
    (r"opt[\s-]\d[\w.]*", "OPT-13B", 13.0e9, 40, 5120, 40, 40),
    (r"gpt[\s-]?3|opt[\s-]\d[\w.]*", "GPT-3 175B", 175e9, 96, 12288, 96, 96),
    (r"bloom", "BLOOM-176B", 176e9, 70, 14336, 112, 112),
    (r"falcon", "Falcon-40B", 40e9, 60, 8192, 128, 8),
    (r"falcon", "Falcon-180B", 180e9, 80, 14848, 232, 8),
    (r"mt[\s-]?nlg|megatron[\s-]turing", "MT-NLG 530B", 530e9, 105, 20480, 128, 128),
)
SAME_SIZE = 1.25  # a named model within this factor of the size read is that model


def _row(row: tuple, origin: str) -> Shape:
    _, name, params, layers, hidden, heads, kv = row
    return Shape(
        name=name, params=params, layers=layers, hidden_size=hidden, attention_heads=heads, kv_heads=kv, origin=origin
    )


def _apart(a: float, b: float) -> float:
    return abs(math.log(a / b))


def named(params: float, quote: str | None) -> Shape | None:
    """The published model the quote names at this size ("Llama-3-70B", "a Llama 2 model of 13B")."""
    if not quote:
        return None
    rows = [row for row in PUBLISHED if re.search(rf"\b({row[0]})\b", quote, re.I)]
    rows = [row for row in rows if _apart(row[2], params) <= math.log(SAME_SIZE)]
    return _row(min(rows, key=lambda row: _apart(row[2], params)), "named") if rows else None


def nearest(params: float) -> Shape:
    """The published model nearest in size: an assumption, for checks whose result scales with layers x width."""
    return _row(min(PUBLISHED, key=lambda row: _apart(row[2], params)), "nearest")


def shape_of(facts, assume: bool = False) -> Shape | None:
    """The model's shape: stated numbers over a named model's config; with `assume`, the nearest published model
    when neither is known. None without a model size (or, without `assume`, when the shape is unknown)."""
    params = facts.num("model_params")
    if not params:
        return None
    base = named(params, facts.model_params.quote) or (nearest(params) if assume else None)
    stated = {f: int(facts.num(f)) for f in ("layers", "hidden_size", "attention_heads", "kv_heads") if facts.num(f)}
    if "hidden_size" not in stated and facts.num("embedding_dim") and not facts.flag("recommender"):
        stated["hidden_size"] = int(facts.num("embedding_dim"))  # a transformer's embedding width is its hidden size
    if {"layers", "hidden_size"} <= stated.keys():
        heads = stated.get("attention_heads") or (
            base.attention_heads if base else max(1, stated["hidden_size"] // 128)
        )
        return Shape(
            name="the stated shape",
            params=params,
            layers=stated["layers"],
            hidden_size=stated["hidden_size"],
            attention_heads=heads,
            kv_heads=stated.get("kv_heads") or heads,
            origin="stated",
        )
    if base is None:
        return None
    return base.model_copy(update={**stated, "origin": "stated" if stated else base.origin, "params": params})
