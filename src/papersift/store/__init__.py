"""Storage: the only part of papersift that speaks SQL.

`open_store(location)` returns a `Store`: SQLite for a path (the embedded default), PostgreSQL for
a `postgresql://` URL. Both share their statements (`store.sql`) and run their numbered
migrations on open. Reads come back as typed rows (`store.rows`), never bare tuples. The store
imports nothing from papersift but the records and the errors.
"""

from __future__ import annotations

from pathlib import Path

from papersift.errors import StoreError
from papersift.store.rows import (
    ClaimRow,
    CollectionRow,
    CollectionSummaryRow,
    CommentRow,
    CuratedAdded,
    CuratedRow,
    DigestRow,
    EmbeddingCandidateRow,
    EntryAdded,
    EntryRow,
    FeedRow,
    FeedRows,
    IndexRow,
    LogRow,
    MailRow,
    NearDates,
    Neighbour,
    PendingRow,
    PublicCollectionRow,
    ResultRow,
    SavedRow,
    SpellingRow,
    StaffRow,
    StoredPaper,
    SubmitterRow,
    SubscriptionRow,
    TextRow,
    UnsentDigestRow,
    UserRow,
    VectorRow,
)
from papersift.store.sql import SQLStore
from papersift.store.sqlite import SQLiteStore

Store = SQLStore

__all__ = [
    "ClaimRow",
    "CollectionRow",
    "CollectionSummaryRow",
    "CommentRow",
    "CuratedAdded",
    "CuratedRow",
    "DigestRow",
    "EmbeddingCandidateRow",
    "EntryAdded",
    "EntryRow",
    "FeedRow",
    "FeedRows",
    "IndexRow",
    "LogRow",
    "MailRow",
    "NearDates",
    "Neighbour",
    "PendingRow",
    "PublicCollectionRow",
    "ResultRow",
    "SQLiteStore",
    "SavedRow",
    "SpellingRow",
    "StaffRow",
    "Store",
    "StoredPaper",
    "SubmitterRow",
    "SubscriptionRow",
    "TextRow",
    "UnsentDigestRow",
    "UserRow",
    "VectorRow",
    "is_postgres_url",
    "open_store",
]


def is_postgres_url(location: str | Path) -> bool:
    return str(location).startswith(("postgresql://", "postgres://"))


def open_store(location: str | Path) -> Store:
    """Open (creating the schema if missing) the store at a path or PostgreSQL URL."""
    if is_postgres_url(location):
        try:
            from papersift.store.postgres import PostgresStore
        except ImportError as error:
            raise StoreError(
                f"a PostgreSQL library needs the postgres extra: pip install 'papersift[postgres]' ({error})"
            ) from None
        return PostgresStore(str(location))
    return SQLiteStore(Path(location))
