"""Settings, declared once: name, environment variable, default and help.

The CLI's options and the README's table come from `SETTINGS`; nothing else reads the
environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str


def _default_db() -> str:
    return str(Path(platformdirs.user_data_dir("papersift", appauthor=False)) / "papersift.db")


SETTINGS = (
    Setting("db", "PAPERSIFT_DB", _default_db(), "the library's database file"),
    Setting(
        "embedding_model",
        "PAPERSIFT_EMBEDDING_MODEL",
        "all-MiniLM-L6-v2",
        "the sentence-embedding model: a packaged model's name, a folder in sentence-transformers "
        "layout, or none (keyword search only)",
    ),
    Setting(
        "embedding_precision",
        "PAPERSIFT_EMBEDDING_PRECISION",
        "fp32",
        "fp32 (matches sentence-transformers) or int8 (about 1.25x faster to embed, cosine >= 0.999)",
    ),
    Setting(
        "contact", "PAPERSIFT_CONTACT", "", "an e-mail or URL sent to arXiv in the User-Agent of harvests"
    ),
)


def setting(name: str) -> str:
    for item in SETTINGS:
        if item.name == name:
            return os.environ.get(item.env) or item.default
    raise KeyError(name)


def default_database_path() -> Path:
    return Path(setting("db"))
