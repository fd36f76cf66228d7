"""Settings, declared once: name, environment variable, default and help.

A setting comes from its environment variable, else from the configuration file (TOML, keys
named as the settings: `smtp_host = "mail.example.org"`; at `$PAPERSIFT_CONFIG`, else
`papersift.toml` in the user config directory, `~/.config/papersift/` on Linux), else its
default. The CLI's options and the README's table come from `SETTINGS`; nothing else reads the
environment.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs

from papersift.errors import PapersiftError


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str


def _default_db() -> str:
    return str(Path(platformdirs.user_data_dir("papersift", appauthor=False)) / "papersift.db")


SETTINGS = (
    Setting(
        "db",
        "PAPERSIFT_DB",
        _default_db(),
        "the library: a SQLite database file, or a postgresql://user@host/db URL",
    ),
    Setting(
        "cache_dir",
        "PAPERSIFT_CACHE_DIR",
        platformdirs.user_cache_dir("papersift"),
        "where rebuildable files live: built model graphs, and the index caches of PostgreSQL libraries",
    ),
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
        "fp32 (matches sentence-transformers) or int8 (about 1.25x faster to embed, cosine >= 0.998)",
    ),
    Setting(
        "contact", "PAPERSIFT_CONTACT", "", "an e-mail or URL sent to arXiv in the User-Agent of harvests"
    ),
    Setting(
        "base_url",
        "PAPERSIFT_BASE_URL",
        "http://127.0.0.1:8000",
        "the public address of the web app (for links in e-mails)",
    ),
    Setting("smtp_host", "PAPERSIFT_SMTP_HOST", "localhost", "the SMTP server digests are sent through"),
    Setting(
        "smtp_port", "PAPERSIFT_SMTP_PORT", "", "its port (default: 465 with tls, 587 with starttls, else 25)"
    ),
    Setting(
        "smtp_user", "PAPERSIFT_SMTP_USER", "", "the user to log in to the SMTP server as (none: no login)"
    ),
    Setting("smtp_password", "PAPERSIFT_SMTP_PASSWORD", "", "that user's password"),
    Setting(
        "smtp_tls",
        "PAPERSIFT_SMTP_TLS",
        "starttls",
        "none, starttls (upgrade the connection) or tls (TLS from the start)",
    ),
    Setting("mail_from", "PAPERSIFT_MAIL_FROM", "papersift <papersift@localhost>", "the From of digests"),
    Setting(
        "curation",
        "PAPERSIFT_CURATION",
        "open",
        "open (members' submissions join the day's list at once) or moderated (a curator approves them)",
    ),
    Setting(
        "submission_window_days",
        "PAPERSIFT_SUBMISSION_WINDOW_DAYS",
        "14",
        "papers published longer ago than this many days cannot be submitted to a day's list",
    ),
    Setting(
        "arxiv_api",
        "PAPERSIFT_ARXIV_API",
        "https://export.arxiv.org/api/query",
        "the arXiv API that submitted papers' metadata is fetched from",
    ),
    Setting(
        "aliases",
        "PAPERSIFT_ALIASES",
        "",
        "a TOML file of dataset and metric names that extends or overrides the shipped alias table "
        "(default: aliases.toml beside the configuration file, if there is one)",
    ),
)


def setting(name: str) -> str:
    for item in SETTINGS:
        if item.name == name:
            found = os.environ.get(item.env) or _configured().get(name)
            return str(found) if found not in (None, "") else item.default
    raise KeyError(name)


def config_path() -> Path:
    location = os.environ.get("PAPERSIFT_CONFIG")
    if location:
        return Path(location)
    return Path(platformdirs.user_config_dir("papersift", appauthor=False)) / "papersift.toml"


def _configured() -> dict[str, object]:
    path = config_path()
    try:
        stat = path.stat()
    except OSError:
        return {}
    return _read_config(str(path), stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _read_config(path: str, _mtime: int) -> dict[str, object]:
    try:
        with open(path, "rb") as stream:
            data = tomllib.load(stream)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PapersiftError(f"{path}: not a valid configuration file ({error})") from None
    known = {item.name for item in SETTINGS}
    unknown = sorted(set(data) - known)
    if unknown:
        raise PapersiftError(
            f"{path}: unknown settings {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    return data


def default_library_location() -> str:
    """`PAPERSIFT_DB` (or the configured `db`): a path, or a PostgreSQL URL (never a `Path`: it
    would fold the URL's `//`)."""
    return setting("db")


def cache_directory() -> Path:
    return Path(setting("cache_dir"))


@dataclass(frozen=True)
class Settings:
    """The settings one Library runs with, read once when it opens (`Settings.read()`) and passed
    down to what needs them: nothing deeper reads the environment or the file at call time."""

    values: dict[str, str]

    @classmethod
    def read(cls, **overrides: str | None) -> Settings:
        values = {item.name: setting(item.name) for item in SETTINGS}
        values.update({name: value for name, value in overrides.items() if value is not None})
        return cls(values)

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    @property
    def config_path(self) -> Path:
        return config_path()


def embedding_precision_of(settings: Settings) -> Literal["fp32", "int8"]:
    value = settings["embedding_precision"]
    if value not in ("fp32", "int8"):
        raise PapersiftError(f"embedding precision must be fp32 or int8, not {value!r}")
    return "int8" if value == "int8" else "fp32"
