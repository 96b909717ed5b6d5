"""The ONNX graph of a BERT encoder (all-MiniLM-L6-v2's), written from its safetensors weights with `onnx.helper`.

Token ids -> last hidden state, exactly the computation of Hugging Face's `BertModel` in eval mode (Devlin et al.
2019; `transformers/models/bert/modeling_bert.py`): word + position + token-type embeddings and a LayerNorm, then
per layer multi-head self-attention with the padding mask as an additive bias, a residual LayerNorm, a GELU (erf)
feed-forward block and another residual LayerNorm. Building the graph takes about a second and needs neither torch
nor transformers; the vectors are tested against sentence-transformers' (tests/test_embedding_backends.py).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

OPSET = 17  # LayerNormalization is an ONNX operator from opset 17
# Bump when the graph this module writes changes: a cached graph of another version is rebuilt. 2: the weights are
# written beside the graph (external data), which onnxruntime opens in 0.05-0.09 s instead of 0.18-0.25 s for one
# 90 MB protobuf.
VERSION = 2
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class _Graph:
    """Nodes and initializers under construction; each helper returns the name of its output."""

    def __init__(self, weights: dict):
        self.weights, self.nodes, self.initializers, self._count = weights, [], {}, 0

    def weight(self, name: str, transpose: bool = False) -> str:
        from onnx import numpy_helper

        key = name + (".T" if transpose else "")
        if key not in self.initializers:
            array = self.weights[name].T.copy() if transpose else self.weights[name]
            self.initializers[key] = numpy_helper.from_array(array, key)
        return key

    def constant(self, name: str, value) -> str:
        import numpy as np
        from onnx import numpy_helper

        if name not in self.initializers:  # python floats are float32 and ints int64, as the graph's tensors
            array = np.asarray(value, dtype=np.float32 if isinstance(value, float) else None)
            self.initializers[name] = numpy_helper.from_array(array, name)
        return name

    def op(self, kind: str, *inputs: str, **attributes) -> str:
        from onnx import helper

        self._count += 1
        output = f"{kind.lower()}_{self._count}"
        self.nodes.append(helper.make_node(kind, list(inputs), [output], **attributes))
        return output

    def linear(self, x: str, prefix: str) -> str:
        """x W^T + b for a `torch.nn.Linear` stored as `prefix.weight` (out x in) and `prefix.bias`."""
        product = self.op("MatMul", x, self.weight(f"{prefix}.weight", transpose=True))
        return self.op("Add", product, self.weight(f"{prefix}.bias"))

    def layer_norm(self, x: str, prefix: str, eps: float) -> str:
        return self.op(
            "LayerNormalization",
            x,
            self.weight(f"{prefix}.weight"),
            self.weight(f"{prefix}.bias"),
            axis=-1,
            epsilon=eps,
        )


def _embeddings(g: _Graph, eps: float) -> str:
    words = g.op("Gather", g.weight("embeddings.word_embeddings.weight"), "input_ids")
    length = g.op("Gather", g.op("Shape", "input_ids"), g.constant("one", 1))
    positions = g.op("Range", g.constant("zero", 0), length, g.constant("step", 1))
    place = g.op("Gather", g.weight("embeddings.position_embeddings.weight"), positions)
    kinds = g.op("Gather", g.weight("embeddings.token_type_embeddings.weight"), "token_type_ids")
    return g.layer_norm(g.op("Add", g.op("Add", words, place), kinds), "embeddings.LayerNorm", eps)


def _heads(g: _Graph, x: str, heads: int, size: int) -> str:
    """[batch, tokens, hidden] -> [batch, heads, tokens, size]."""
    shape = g.constant("heads_shape", [0, 0, heads, size])
    return g.op("Transpose", g.op("Reshape", x, shape), perm=[0, 2, 1, 3])


def _layer(g: _Graph, x: str, bias: str, prefix: str, heads: int, hidden: int, eps: float) -> str:
    size = hidden // heads
    q, k, v = (_heads(g, g.linear(x, f"{prefix}.attention.self.{n}"), heads, size) for n in ("query", "key", "value"))
    keys = g.op("Transpose", k, perm=[0, 1, 3, 2])
    scores = g.op("Div", g.op("MatMul", q, keys), g.constant("scale", math.sqrt(size)))
    probabilities = g.op("Softmax", g.op("Add", scores, bias), axis=-1)
    context = g.op("Transpose", g.op("MatMul", probabilities, v), perm=[0, 2, 1, 3])
    context = g.op("Reshape", context, g.constant("hidden_shape", [0, 0, hidden]))
    attended = g.layer_norm(
        g.op("Add", g.linear(context, f"{prefix}.attention.output.dense"), x),
        f"{prefix}.attention.output.LayerNorm",
        eps,
    )
    inner = g.linear(attended, f"{prefix}.intermediate.dense")
    erf = g.op("Erf", g.op("Div", inner, g.constant("sqrt2", math.sqrt(2.0))))
    gelu = g.op("Mul", g.op("Mul", inner, g.constant("half", 0.5)), g.op("Add", g.constant("one_f", 1.0), erf))
    output = g.op("Add", g.linear(gelu, f"{prefix}.output.dense"), attended)
    return g.layer_norm(output, f"{prefix}.output.LayerNorm", eps)


def data_path(target: Path) -> Path:
    """Where the weights of the graph at `target` are written: beside it, `<name>.data` (ONNX external data)."""
    return target.with_name(f"{target.name}.data")


def build(model_dir: Path, target: Path) -> None:
    """Write the encoder of `model_dir` (config.json + model.safetensors) to `target` as an ONNX model, its weights
    in `data_path(target)` (the graph names that file by its name, so the two stay side by side)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper
    from safetensors.numpy import load_file

    config = json.loads((model_dir / "config.json").read_text())
    weights = {
        k: v.astype(np.float32) if v.dtype.kind == "f" else v
        for k, v in load_file(model_dir / "model.safetensors").items()
    }
    g = _Graph(weights)
    eps, hidden, heads = float(config["layer_norm_eps"]), int(config["hidden_size"]), int(config["num_attention_heads"])
    x = _embeddings(g, eps)
    # Padding is an additive bias on the attention scores: 0 where a token is real, a large negative number where it is
    # padding, broadcast over heads and query positions ([batch, 1, 1, tokens]).
    mask = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)
    bias = g.op("Mul", g.op("Sub", g.constant("one_f", 1.0), mask), g.constant("neg", -1e4))
    bias = g.op("Unsqueeze", bias, g.constant("axes", [1, 2]))
    for layer in range(int(config["num_hidden_layers"])):
        x = _layer(g, x, bias, f"encoder.layer.{layer}", heads, hidden, eps)
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    dims = ["batch", "tokens"]
    graph = helper.make_graph(
        g.nodes,
        "minilm",
        [helper.make_tensor_value_info(n, TensorProto.INT64, dims) for n in _INPUTS],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, [*dims, hidden])],
        list(g.initializers.values()),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="ceiling")
    onnx.checker.check_model(model)
    onnx.save(
        model,
        str(target),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=data_path(target).name,
        size_threshold=1024,  # the small constants (shapes, scales) stay in the graph
    )
