"""Copy a whole library from one store to another (SQLite to PostgreSQL: `papersift migrate`).

Every table is copied in its key order, a batch per transaction, with the last key copied kept in
the target's `meta` in the same transaction: an interrupted copy resumes after the last batch it
committed, and a batch copied twice changes nothing (`ON CONFLICT DO NOTHING`). At the end each
table is compared, source with target, by row count and by a checksum of its rows in a form both
backends share (dates as ISO text, JSON re-serialised, vectors as float32 bytes), so a copy that
lost or changed anything says where.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from papersift.store.sql import SQLStore
from papersift.store.values import as_text as _text

# (table, key columns, other columns), parents before children.
TABLES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("meta", ("key",), ("value",)),
    ("papers", ("pk",), (
        "id", "title", "title_key", "abstract", "authors", "categories", "published", "updated", "version",
        "arxiv_id", "doi", "source", "source_id", "abs_url", "pdf_url", "comment", "journal_ref", "keywords",
        "title_raw", "abstract_raw", "changed", "code_promised",
    )),
    ("paper_aliases", ("alias",), ("pk",)),
    ("harvest_state", ("name",), ("resume", "updated_at")),
    ("embeddings", ("model", "pk"), ("text_hash", "vector", "sequence")),
    ("users", ("id",), ("email", "name", "password_hash", "created_at", "role", "notify_comments")),
    ("sessions", ("token_hash",), ("user_id", "created_at", "expires_at")),
    ("votes", ("user_id", "pk"), ("created_at",)),
    ("login_failures", ("key", "at"), ()),
    ("collections", ("id",), ("user_id", "name", "created_at", "public")),
    ("saved_papers", ("collection_id", "pk"), ("note", "saved_at")),
    ("subscriptions", ("id",), ("user_id", "kind", "value", "mode", "frequency", "max_papers", "created_at")),
    ("digests", ("user_id", "frequency", "period"), (
        "status", "papers", "message_id", "message", "through", "decided_at", "sent_at",
    )),
    ("code_links", ("pk", "kind", "position"), ("url",)),
    ("reported_results", ("pk", "position"), ("dataset", "metric", "value", "evidence", "model")),
    ("curated_code_links", ("arxiv_id", "url"), ("official",)),
    ("curated_results", ("id",), (
        "arxiv_id", "paper_title", "paper_url", "task", "dataset", "metric", "value", "value_text", "model",
        "published",
    )),
    ("daily_entries", ("day", "pk"), ("status", "pinned", "featured", "submitted_at")),
    ("daily_submitters", ("day", "pk", "user_id"), ("submitted_at",)),
    ("pending_submissions", ("arxiv_id", "day", "user_id"), ("submitted_at", "attempts", "last_error")),
    ("comments", ("id",), ("pk", "user_id", "body", "created_at", "edited_at", "removed_at", "removed_by")),
    ("collection_follows", ("user_id", "collection_id"), ("created_at",)),
    ("author_claims", ("user_id", "pk"), ("author", "status", "created_at", "decided_at")),
    ("moderation_log", ("id",), ("at", "actor_id", "actor", "action", "target", "detail")),
    ("outbox", ("id",), ("user_id", "created_at", "sent_at", "message")),
)  # fmt: skip
_JSON_COLUMNS = {"authors", "categories", "keywords", "papers"}
# Rows of `meta` that belong to one store and are not copied: its identity (which names the
# index caches of a PostgreSQL library) and the locks of its running processes.
_LOCAL_META = ("library-id", "secret:library-id", "lock:")
_PROGRESS_KEY = "copy:{table}"
BATCH = 2000

CopyProgress = Callable[[str, int, int], None]  # table, rows copied so far, rows in the table


@dataclass(frozen=True)
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum


def copy_store(
    source: SQLStore, target: SQLStore, *, batch: int = BATCH, on_progress: CopyProgress | None = None
) -> list[TableCheck]:
    """Copy every table of `source` into `target` (resuming an earlier copy), then compare them."""
    for table, keys, columns in TABLES:
        _copy_table(source, target, table, keys, keys + columns, batch, on_progress)
    target._after_copy()
    return [_check(source, target, table, keys, keys + columns) for table, keys, columns in TABLES]


def _copy_table(
    source: SQLStore,
    target: SQLStore,
    table: str,
    keys: tuple[str, ...],
    columns: tuple[str, ...],
    batch: int,
    on_progress: CopyProgress | None,
) -> None:
    total = _count(source, table)
    progress_key = _PROGRESS_KEY.format(table=table)
    resume = target.meta(progress_key)
    last: list[Any] | None = _from_plain(json.loads(resume)) if resume else None
    done = _count_up_to(source, table, keys, last) if last is not None else 0
    insert = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        "ON CONFLICT DO NOTHING"
    )
    vector_at = columns.index("vector") if "vector" in columns else None
    while True:
        page = _rows_after(source, table, keys, columns, last, batch)
        if not page:
            break
        values = [list(row) for row in page if table != "meta" or not str(row[0]).startswith(_LOCAL_META)]
        if vector_at is not None:
            for row in values:
                row[vector_at] = target._vector_parameter(source._vector_bytes(row[vector_at]))
        last = list(page[-1][: len(keys)])
        with target.transaction():
            if values:
                target._executemany(insert, values)
            target._set_meta(progress_key, json.dumps([_plain(value) for value in last]))
        done += len(page)
        if on_progress:
            on_progress(table, done, total)
        if len(page) < batch:
            break
    if on_progress and done == 0:
        on_progress(table, 0, total)


def _rows_after(
    store: SQLStore,
    table: str,
    keys: tuple[str, ...],
    columns: tuple[str, ...],
    last: list[Any] | None,
    batch: int,
) -> list[Any]:
    order = ", ".join(keys)
    if last:
        marks = ", ".join("?" * len(keys))
        where = f"WHERE ({order}) > ({marks})" if len(keys) > 1 else f"WHERE {keys[0]} > ?"
        parameters: list[Any] = [*last, batch]
    else:
        where, parameters = "", [batch]
    return list(
        store._execute(
            f"SELECT {', '.join(columns)} FROM {table} {where} ORDER BY {order} LIMIT ?", parameters
        )
    )


def _count(store: SQLStore, table: str) -> int:
    return int(store._execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _count_up_to(store: SQLStore, table: str, keys: tuple[str, ...], last: list[Any]) -> int:
    if not last:
        return 0
    order = ", ".join(keys)
    marks = ", ".join("?" * len(keys))
    where = f"({order}) <= ({marks})" if len(keys) > 1 else f"{keys[0]} <= ?"
    return int(store._execute(f"SELECT count(*) FROM {table} WHERE {where}", last).fetchone()[0])


def _check(
    source: SQLStore, target: SQLStore, table: str, keys: tuple[str, ...], columns: tuple[str, ...]
) -> TableCheck:
    where = ""
    if table == "meta":  # the rows not copied are left out on both sides
        where = " WHERE " + " AND ".join(f"key NOT LIKE '{prefix}%'" for prefix in _LOCAL_META)
        where += " AND key NOT LIKE 'copy:%'"
    counts, sums = [], []
    for store in (source, target):
        rows = store._execute(f"SELECT {', '.join(columns)} FROM {table}{where}")
        total, count = 0, 0
        for row in rows:
            # Order-free: a sum of row digests (the backends may sort text keys differently).
            canonical = [_canonical(store, column, value) for column, value in zip(columns, row, strict=True)]
            digest = hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode()).digest()
            total = (total + int.from_bytes(digest, "big")) % (1 << 256)
            count += 1
        counts.append(count)
        sums.append(f"{total:064x}")
    return TableCheck(table, counts[0], counts[1], sums[0], sums[1])


def _canonical(store: SQLStore, column: str, value: Any) -> Any:
    if value is None:
        return None
    if column == "vector":
        return store._vector_bytes(value).hex()
    if column in _JSON_COLUMNS:
        return json.loads(value) if isinstance(value, str) else value
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    if isinstance(value, date):
        return _text(value)
    if isinstance(value, float):
        return repr(value)
    return value


def _plain(value: Any) -> Any:
    """A key value as JSON holds it (bytes as {"hex": ...}; `_from_plain` reads it back)."""
    if isinstance(value, (bytes, memoryview)):
        return {"hex": bytes(value).hex()}
    if isinstance(value, date):
        return _text(value)
    return value


def _from_plain(values: Sequence[Any]) -> list[Any]:
    return [bytes.fromhex(value["hex"]) if isinstance(value, dict) else value for value in values]
