"""Numbered schema migrations, one file per step and backend (`sqlite_0001_papers.sql`,
`postgresql_0001_papers.sql`, ...): the same number means the same schema on both."""

from __future__ import annotations

import re
from importlib import resources


def migration_scripts(dialect: str) -> list[tuple[str, str]]:
    """(file name, SQL) of a backend's migrations, in order."""
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in resources.files(__name__).iterdir()
        if entry.name.startswith(f"{dialect}_") and entry.name.endswith(".sql")
    )


def split_sql(script: str) -> list[str]:
    """The statements of a migration script."""
    # Migrations are ours: no string literal in them holds "--" or ";".
    without_comments = re.sub(r"--[^\n]*", "", script)
    return [statement.strip() for statement in without_comments.split(";") if statement.strip()]
