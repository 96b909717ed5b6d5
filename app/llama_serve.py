"""`python -m ceiling.app.llama_serve ...`: llama-cpp-python's OpenAI server, with the JSON
grammar checked against the greedy pick first.

llama-cpp-python runs the grammar over the whole 151k-token vocabulary for every generated
token (~30 ms a token on 2 cores, 40% of generation). Under greedy decoding the answer is
the highest-scoring token the grammar allows; when the highest-scoring token overall is
allowed (nearly always inside a JSON string), it is that answer, so only it needs checking.
Otherwise the grammar runs over the whole vocabulary as before. Same tokens, less work
(upstream llama.cpp's own sampler does the same). Sampling at a temperature is untouched.
"""

from __future__ import annotations

import contextvars
import ctypes
import math

import llama_cpp
import numpy as np
from llama_cpp import _internals
from llama_cpp.llama import Llama

_greedy = contextvars.ContextVar("greedy", default=False)
_TOKEN = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])


def _grammar_allows(grammar, candidate) -> bool:
    """Whether the grammar sampler leaves this one token's logit finite."""
    one = llama_cpp.llama_token_data(candidate["id"], candidate["logit"], candidate["p"])
    probe = llama_cpp.llama_token_data_array(ctypes.pointer(one), 1, -1, False)
    llama_cpp.llama_sampler_apply(grammar, ctypes.byref(probe))
    return math.isfinite(one.logit)


def _greedy_first(grammar):
    """A sampler step placed before the grammar: if the grammar allows the top token, keep only it."""

    def apply(cur_p) -> None:
        array = cur_p.contents
        tokens = np.ctypeslib.as_array(
            (llama_cpp.llama_token_data * array.size).from_address(ctypes.addressof(array.data.contents))
        )
        tokens = tokens.view(_TOKEN)
        best = int(np.argmax(tokens["logit"]))
        if _grammar_allows(grammar, tokens[best]):
            tokens[[0, best]] = tokens[[best, 0]]
            array.size = 1

    return apply


def install() -> bool:
    """Patch llama-cpp-python's sampler set-up (it builds the chain per request). False, and
    nothing patched, on a llama-cpp-python whose internals are not the ones this was written for."""
    needed = (
        hasattr(Llama, "_init_sampler"),
        hasattr(_internals, "LlamaSampler"),
        hasattr(_internals.LlamaSampler, "add_custom"),
        hasattr(llama_cpp, "llama_sampler_init_grammar"),
        hasattr(llama_cpp, "llama_sampler_apply"),
    )
    if not all(needed):
        return False
    init_sampler = Llama._init_sampler

    def _init_sampler(self, *args, **kwargs):
        token = _greedy.set(kwargs.get("temp", 0.80) == 0.0)
        try:
            return init_sampler(self, *args, **kwargs)
        finally:
            _greedy.reset(token)

    def add_grammar(self, model, grammar):
        sampler = llama_cpp.llama_sampler_init_grammar(
            model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if _greedy.get():
            self.add_custom(_greedy_first(sampler))
        llama_cpp.llama_sampler_chain_add(self.sampler, sampler)

    Llama._init_sampler = _init_sampler
    _internals.LlamaSampler.add_grammar = add_grammar
    return True


def main() -> None:
    from llama_cpp.server.__main__ import main as serve

    if not install():
        print(
            "ceiling: this llama-cpp-python's sampler is not the expected one; grammar checked the slow way", flush=True
        )
    serve()


if __name__ == "__main__":
    main()
