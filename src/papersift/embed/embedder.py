"""`Embedder`: texts in, float32 unit vectors out, with ONNX Runtime and no torch.

    embedder = Embedder()                       # all-MiniLM-L6-v2 from its installed package
    vectors = embedder.embed([paper_text(p.title, p.abstract) for p in papers])

The first use builds the model's ONNX graph from its safetensors weights (about a second) and
caches the file; later uses load it. Texts are tokenised together, sorted by token length and
run in batches of similar length, so padding costs little; ONNX Runtime uses every core.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from papersift.embed.models import DEFAULT_MODEL, ModelFiles, ModelUnavailable, locate_model
from papersift.settings import cache_directory

if TYPE_CHECKING:
    import onnx

Precision = Literal["fp32", "int8"]
GRAPH_VERSION = "3"  # bump when graph.py or quantize.py change what they build
CALIBRATION_CORPUS = Path(__file__).resolve().parent.parent / "data" / "demo.jsonl.gz"
CALIBRATION_TEXTS = 64
UNFUSED = ["SkipLayerNormFusion"]  # see graph.residual_layer_norm


class Embedder:
    """One sentence-embedding model, ready to embed. `precision="int8"` is faster, slightly less exact.

    `batch_size` 8: as fast as 16 or 32 here and much lighter, since ONNX Runtime's arena keeps
    the largest batch's buffers (peak RSS 357 MB at 8, 465 at 16, 679 at 32, 1309 at 64).
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        precision: Precision = "fp32",
        batch_size: int = 8,
        threads: int | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        try:
            import onnxruntime as ort  # type: ignore[import-untyped]
            from tokenizers import Tokenizer
        except ImportError as error:
            raise ModelUnavailable(f"embedding needs {error.name}: reinstall papersift") from None
        if precision not in ("fp32", "int8"):
            raise ValueError(f"precision must be 'fp32' or 'int8', not {precision!r}")
        self.files: ModelFiles = locate_model(model)
        self.model_name = model
        self.precision = precision
        self.batch_size = batch_size
        self.dimension = self.files.dimension
        self.max_tokens = self.files.max_seq_length

        # tokenizer.json may carry its own truncation and fixed padding (all-MiniLM-L6-v2's says 128):
        # sentence-transformers overrides them, so do we.
        self._tokenizer = Tokenizer.from_file(str(self.files.tokenizer))
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.no_padding()

        folder = Path(cache_dir) if cache_dir is not None else cache_directory() / "models"
        self.graph_path = self._built_graph(folder)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or usable_cores()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(self.graph_path), options, providers=["CPUExecutionProvider"], disabled_optimizers=UNFUSED
        )

    def embed(self, texts: Sequence[str], *, max_tokens: int | None = None) -> np.ndarray:
        """One unit row (float32) per text, in order; texts past the token limit are cut there.

        `max_tokens` cuts sooner (keeping the closing special token, as the tokenizer does).
        """
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return vectors
        token_ids = [encoding.ids for encoding in self._tokenizer.encode_batch(list(texts))]
        if max_tokens is not None and max_tokens < self.max_tokens:
            token_ids = [
                ids if len(ids) <= max_tokens else [*ids[: max_tokens - 1], ids[-1]] for ids in token_ids
            ]
        lengths = np.array([len(ids) for ids in token_ids])
        order = np.argsort(-lengths, kind="stable")
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            ids, mask = _pad([token_ids[row] for row in rows])
            vectors[rows] = self._session.run(["embeddings"], {"input_ids": ids, "attention_mask": mask})[0]
        return vectors

    def token_count(self, text: str) -> int:
        """Tokens the model sees of `text` (at most the limit), special tokens included."""
        return len(self._tokenizer.encode(text).ids)

    # -- the graph, built once per model, precision and weights ---------------------------------

    def _built_graph(self, folder: Path) -> Path:
        key = json.dumps([_weights_fingerprint(self.files.weights), self.precision, GRAPH_VERSION])
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        safe_name = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(self.model_name).name)
        path = folder / f"{safe_name}-{self.precision}-{digest}.onnx"
        if path.is_file():
            return path
        import onnx

        from papersift.embed.graph import build_bert_graph

        model = build_bert_graph(self.files.folder)
        if self.precision == "int8":
            model = self._quantized(model)
        folder.mkdir(parents=True, exist_ok=True)
        # Write beside the target, then rename: a killed build never leaves half a model behind.
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=path.name, suffix=".tmp")
        os.close(handle)
        try:
            onnx.save(model, temporary)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return path

    def _quantized(self, model: onnx.ModelProto) -> onnx.ModelProto:
        from papersift.embed.quantize import activation_maxima, ffn_inputs, quantize_partially

        layers = sum(1 for node in model.graph.node if node.name.endswith("_ffn_in_matmul"))
        maxima = activation_maxima(model, self._calibration_batches(), ffn_inputs(layers))
        return quantize_partially(model, maxima)

    def _calibration_batches(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Papers of the bundled demo corpus (not those of the reference fixture), 16 at a time."""
        from papersift.embed.text import paper_text

        with gzip.open(CALIBRATION_CORPUS, "rt", encoding="utf-8") as lines:
            records: list[dict[str, Any]] = [json.loads(line) for line in lines]
        texts = [paper_text(r["title"], r["abstract"]) for r in records[5::17][:CALIBRATION_TEXTS]]
        for start in range(0, len(texts), 16):
            yield _pad([encoding.ids for encoding in self._tokenizer.encode_batch(texts[start : start + 16])])


def _weights_fingerprint(path: Path) -> str:
    """Names the weights by content, cheaply: their size and first and last megabyte (the
    safetensors header, with every tensor's name, shape and offset, is at the start). So every
    install of the same model package shares one built graph; keyed by path and modification
    time, each fresh virtualenv or reinstall left another 90 MB file in the cache."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as stream:
        digest.update(stream.read(1 << 20))
        stream.seek(max(0, size - (1 << 20)))
        digest.update(stream.read(1 << 20))
    return digest.hexdigest()


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _pad(token_ids: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Right-padded int32 ids and attention mask for one batch."""
    width = max(len(ids) for ids in token_ids)
    ids = np.zeros((len(token_ids), width), dtype=np.int32)
    mask = np.zeros((len(token_ids), width), dtype=np.int32)
    for row, tokens in enumerate(token_ids):
        ids[row, : len(tokens)] = tokens
        mask[row, : len(tokens)] = 1
    return ids, mask
