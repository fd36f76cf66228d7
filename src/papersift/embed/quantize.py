"""Partial int8: quantise the two matrix products of each layer that tolerate it, keep the rest fp32.

Measured on all-MiniLM-L6-v2 (docs/notes/embedding.md): ONNX Runtime's dynamic quantisation
scales a whole batch's activations with one uint8 scale, and BERT's activations have outliers
(the [CLS] row after GELU reaches 24 where the median channel peaks at 1.5), so quantising every
product costs cosine 0.992. The attention output projection quantises almost losslessly
(0.99987); the FFN input projection does after SmoothQuant (activation channel maxima moved into
the weights, alpha 0.65: 0.9994); the QKV projection and the FFN output projection do not and stay
fp32. Weights are int8 per output column, symmetric.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MS = "com.microsoft"
SMOOTHING_ALPHA = 0.65


def ffn_inputs(layers: int) -> list[str]:
    """The tensors whose channel maxima the smoothing needs (the FFN input projections' inputs)."""
    return [f"l{n}_attn_norm" for n in range(layers)]


def activation_maxima(
    model: onnx.ModelProto, batches: Iterable[tuple[np.ndarray, np.ndarray]], tensors: list[str]
) -> dict[str, np.ndarray]:
    """Per-channel max |x| of `tensors` over the real (unmasked) tokens of calibration batches."""
    import onnxruntime as ort  # type: ignore[import-untyped]

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for name in tensors:
        probe.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    maxima: dict[str, np.ndarray] = {}
    for ids, mask in batches:
        outputs = session.run(tensors, {"input_ids": ids, "attention_mask": mask})
        for name, value in zip(tensors, outputs, strict=True):
            peak = np.abs(value[mask.astype(bool)]).max(axis=0)
            maxima[name] = np.maximum(maxima[name], peak) if name in maxima else peak
    return maxima


def quantize_partially(
    model: onnx.ModelProto, maxima: dict[str, np.ndarray], *, alpha: float = SMOOTHING_ALPHA
) -> onnx.ModelProto:
    """A copy of the fp32 graph with attention-output and smoothed FFN-input products in int8."""
    result = onnx.ModelProto()
    result.CopyFrom(model)
    graph = result.graph
    weights = {init.name: init for init in graph.initializer}
    nodes: list[onnx.NodeProto] = []
    added: list[TensorProto] = []
    dropped: set[str] = set()

    def const(name: str, array: np.ndarray) -> str:
        added.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    for node in graph.node:
        is_attn_out = node.op_type == "MatMul" and node.name.endswith("_attn_out_matmul")
        is_ffn_in = node.op_type == "MatMul" and node.name.endswith("_ffn_in_matmul")
        if not (is_attn_out or is_ffn_in):
            nodes.append(node)
            continue
        activation, weight_name = node.input
        weight = numpy_helper.to_array(weights[weight_name]).astype(np.float32)
        if is_ffn_in:
            scale = _smoothing_scale(maxima[activation], weight, alpha)
            weight = weight * scale[:, None]
            smoothed = node.name + "_smoothed_input"
            inverse = const(node.name + "_inverse_smoothing", (1.0 / scale).astype(np.float32))
            nodes.append(
                helper.make_node("Mul", [activation, inverse], [smoothed], name=node.name + "_smooth")
            )
            activation = smoothed
        quantized, column_scales = _int8_columns(weight)
        nodes.append(
            helper.make_node(
                "DynamicQuantizeMatMul",
                [
                    activation,
                    const(weight_name + "_int8", quantized),
                    const(weight_name + "_scale", column_scales),
                ],
                list(node.output),
                name=node.name + "_int8",
                domain=MS,
            )
        )
        dropped.add(weight_name)

    kept = [init for init in graph.initializer if init.name not in dropped]
    del graph.initializer[:]
    graph.initializer.extend(kept + added)
    del graph.node[:]
    graph.node.extend(nodes)
    return result


def _smoothing_scale(activation_max: np.ndarray, weight: np.ndarray, alpha: float) -> np.ndarray:
    """SmoothQuant: s_k = max|x_k|^alpha / max|w_k|^(1-alpha); x/s and s*w multiply to the same."""
    weight_max = np.abs(weight).max(axis=1)
    scale = np.power(np.maximum(activation_max, 1e-5), alpha) / np.power(
        np.maximum(weight_max, 1e-5), 1 - alpha
    )
    result: np.ndarray = scale.astype(np.float32)
    return result


# Weights use 7 bits, not 8 ("reduce range"): on x86 CPUs without VNNI (AVX2, AVX-512F) ONNX
# Runtime multiplies uint8 activations by int8 weights with vpmaddubsw, whose int16 pair sums
# saturate when both are large. With full-range weights, cosine to fp32 fell to 0.986 on an AVX2
# machine (tests/test_embed.py) while it held 0.999 on a VNNI one; 7 bits cannot saturate.
WEIGHT_LEVELS = 63


def _int8_columns(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = np.abs(weight).max(axis=0) / WEIGHT_LEVELS
    scale[scale == 0] = 1.0
    quantized = np.clip(np.rint(weight / scale), -WEIGHT_LEVELS, WEIGHT_LEVELS).astype(np.int8)
    return quantized, scale.astype(np.float32)
