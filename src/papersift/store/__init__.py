"""Storage: the only part of papersift that speaks SQL.

`open_store(location)` returns a `Store` for a path (SQLite, the embedded default). Every
backend runs its numbered migrations on open. The store imports nothing from papersift but the
records.
"""

from __future__ import annotations

from pathlib import Path

from papersift.store.sqlite import SQLiteStore, StoredPaper

Store = SQLiteStore

__all__ = ["SQLiteStore", "Store", "StoredPaper", "open_store"]


def open_store(location: str | Path) -> Store:
    """Open (creating if missing) the store at a path."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        from papersift.errors import StoreError

        raise StoreError("PostgreSQL libraries are not supported yet; use a SQLite path")
    return SQLiteStore(Path(location))
