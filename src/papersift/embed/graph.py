"""Build an ONNX graph of a BERT sentence encoder from its safetensors weights, without torch.

The graph uses ONNX Runtime's fused transformer kernels directly (`EmbedLayerNormalization`,
`Attention`, `BiasGelu` in the `com.microsoft` domain), the same
operators ONNX Runtime's transformer optimizer would fuse an exported graph into (but for
`SkipLayerNormalization`, slower than its parts here: see `residual_layer_norm`), so no exporter
and no optimizer pass is needed. Mean pooling over the attention mask and L2
normalisation are part of the graph: its one output is the sentence vectors.

Inputs: `input_ids` and `attention_mask`, both int32 `[batch, sequence]`, right-padded.
Output: `embeddings`, float32 `[batch, hidden]`, unit rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MS = "com.microsoft"


@dataclass(frozen=True)
class BertShape:
    """What the graph needs to know from a model's `config.json`."""

    hidden: int
    heads: int
    layers: int
    intermediate: int
    epsilon: float

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> BertShape:
        if config.get("model_type") != "bert" or config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(
                f"only BERT encoders with exact GELU are supported, not {config.get('model_type')}"
            )
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings are supported")
        return cls(
            hidden=int(config["hidden_size"]),
            heads=int(config["num_attention_heads"]),
            layers=int(config["num_hidden_layers"]),
            intermediate=int(config["intermediate_size"]),
            epsilon=float(config.get("layer_norm_eps", 1e-12)),
        )


def _weight_prefix(weights: dict[str, np.ndarray]) -> str:
    """Checkpoints saved from `BertModel` have bare names; some carry a `bert.` prefix."""
    for prefix in ("", "bert.", "model."):
        if f"{prefix}embeddings.word_embeddings.weight" in weights:
            return prefix
    raise ValueError("no BERT embeddings found in the weights")


def residual_layer_norm(
    name: str, x: str, bias: str, residual: str, gamma: str, beta: str, output: str, epsilon: float
) -> list[onnx.NodeProto]:
    """LayerNorm(x + bias + residual) as Add, Add, LayerNormalization.

    Not ONNX Runtime's fused `SkipLayerNormalization`: its CPU kernel took 213 ms where these three
    took 66 ms (96 abstracts, profiled; docs/notes/embedding.md). Sessions must be made with
    `disabled_optimizers=["SkipLayerNormFusion"]` so that ONNX Runtime does not fuse them back.
    """
    return [
        helper.make_node("Add", [x, bias], [f"{name}_biased"], name=f"{name}_bias"),
        helper.make_node("Add", [f"{name}_biased", residual], [f"{name}_sum"], name=f"{name}_residual"),
        helper.make_node(
            "LayerNormalization",
            [f"{name}_sum", gamma, beta],
            [output],
            name=f"{name}_ln",
            axis=-1,
            epsilon=epsilon,
        ),
    ]


def build_bert_graph(model_dir: Path, *, opset: int = 17) -> onnx.ModelProto:
    """The sentence encoder in `model_dir` (config.json + model.safetensors) as an ONNX model."""
    from safetensors.numpy import load_file

    shape = BertShape.from_config(json.loads((model_dir / "config.json").read_text()))
    weights = load_file(str(model_dir / "model.safetensors"))
    prefix = _weight_prefix(weights)

    def w(name: str) -> np.ndarray:
        return np.ascontiguousarray(weights[prefix + name], dtype=np.float32)

    initializers: list[TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def const(name: str, array: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    # Single-sentence inputs all have token type 0: fold that row into the position table.
    positions = w("embeddings.position_embeddings.weight") + w("embeddings.token_type_embeddings.weight")[0]
    nodes.append(
        helper.make_node(
            "EmbedLayerNormalization",
            [
                "input_ids",
                "",
                const("word_embeddings", w("embeddings.word_embeddings.weight")),
                const("position_embeddings", positions),
                "",
                const("embeddings_ln_gamma", w("embeddings.LayerNorm.weight")),
                const("embeddings_ln_beta", w("embeddings.LayerNorm.bias")),
                "attention_mask",
            ],
            ["hidden_0", "mask_index"],
            name="embeddings",
            domain=MS,
            epsilon=shape.epsilon,
        )
    )

    hidden = "hidden_0"
    for n in range(shape.layers):
        layer = f"encoder.layer.{n}."
        qkv_weight = np.concatenate(
            [w(layer + f"attention.self.{part}.weight").T for part in ("query", "key", "value")], axis=1
        )
        qkv_bias = np.concatenate(
            [w(layer + f"attention.self.{part}.bias") for part in ("query", "key", "value")]
        )
        nodes.append(
            helper.make_node(
                "Attention",
                [
                    hidden,
                    const(f"l{n}_qkv_weight", qkv_weight),
                    const(f"l{n}_qkv_bias", qkv_bias),
                    "mask_index",
                ],
                [f"l{n}_context"],
                name=f"l{n}_attention",
                domain=MS,
                num_heads=shape.heads,
            )
        )
        nodes.append(
            helper.make_node(
                "MatMul",
                [
                    f"l{n}_context",
                    const(f"l{n}_attn_out_weight", w(layer + "attention.output.dense.weight").T),
                ],
                [f"l{n}_attn_out"],
                name=f"l{n}_attn_out_matmul",
            )
        )
        nodes += residual_layer_norm(
            f"l{n}_attn",
            f"l{n}_attn_out",
            const(f"l{n}_attn_out_bias", w(layer + "attention.output.dense.bias")),
            hidden,
            const(f"l{n}_attn_ln_gamma", w(layer + "attention.output.LayerNorm.weight")),
            const(f"l{n}_attn_ln_beta", w(layer + "attention.output.LayerNorm.bias")),
            f"l{n}_attn_norm",
            shape.epsilon,
        )
        nodes.append(
            helper.make_node(
                "MatMul",
                [f"l{n}_attn_norm", const(f"l{n}_ffn_in_weight", w(layer + "intermediate.dense.weight").T)],
                [f"l{n}_ffn_in"],
                name=f"l{n}_ffn_in_matmul",
            )
        )
        nodes.append(
            helper.make_node(
                "BiasGelu",
                [f"l{n}_ffn_in", const(f"l{n}_ffn_in_bias", w(layer + "intermediate.dense.bias"))],
                [f"l{n}_ffn_act"],
                name=f"l{n}_gelu",
                domain=MS,
            )
        )
        nodes.append(
            helper.make_node(
                "MatMul",
                [f"l{n}_ffn_act", const(f"l{n}_ffn_out_weight", w(layer + "output.dense.weight").T)],
                [f"l{n}_ffn_out"],
                name=f"l{n}_ffn_out_matmul",
            )
        )
        nodes += residual_layer_norm(
            f"l{n}_ffn",
            f"l{n}_ffn_out",
            const(f"l{n}_ffn_out_bias", w(layer + "output.dense.bias")),
            f"l{n}_attn_norm",
            const(f"l{n}_ffn_ln_gamma", w(layer + "output.LayerNorm.weight")),
            const(f"l{n}_ffn_ln_beta", w(layer + "output.LayerNorm.bias")),
            f"hidden_{n + 1}",
            shape.epsilon,
        )
        hidden = f"hidden_{n + 1}"

    # Mean pooling over real tokens, then unit length (sentence-transformers' Pooling + Normalize).
    nodes += [
        helper.make_node("Cast", ["attention_mask"], ["mask_float"], to=TensorProto.FLOAT),
        helper.make_node(
            "Unsqueeze", ["mask_float", const("axis_last", np.array([-1], np.int64))], ["mask_3d"]
        ),
        helper.make_node("Mul", [hidden, "mask_3d"], ["masked"]),
        helper.make_node(
            "ReduceSum", ["masked", const("axis_seq", np.array([1], np.int64))], ["summed"], keepdims=0
        ),
        helper.make_node("ReduceSum", ["mask_3d", "axis_seq"], ["counts"], keepdims=0),
        helper.make_node("Max", ["counts", const("min_count", np.array(1e-9, np.float32))], ["counts_safe"]),
        helper.make_node("Div", ["summed", "counts_safe"], ["mean"]),
        helper.make_node("LpNormalization", ["mean"], ["embeddings"], axis=-1, p=2),
    ]

    graph = helper.make_graph(
        nodes,
        "sentence_encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT32, ["batch", "sequence"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT32, ["batch", "sequence"]),
        ],
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", shape.hidden])],
        initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid(MS, 1)],
        producer_name="papersift",
    )
    model.ir_version = 8
    return model
