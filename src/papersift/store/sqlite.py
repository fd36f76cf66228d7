"""The SQLite store: one file, WAL journal, numbered migrations, batched writes.

Writes go through `transaction()` (BEGIN IMMEDIATE, so a writer waits for another instead of
failing half-way); a killed process leaves the last committed transaction, never half a batch.
Nested `transaction()` calls join the outer one, which is how `--strict` ingests a whole file
or nothing. The statements themselves are shared with PostgreSQL (`papersift.store.sql`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from papersift.errors import StoreError
from papersift.store.migrations import migration_scripts, split_sql
from papersift.store.sql import SQLStore, StoredPaper, UserRow

__all__ = ["SQLiteStore", "StoredPaper", "UserRow"]


class SQLiteStore(SQLStore):
    _integrity_error = sqlite3.IntegrityError
    _primary_category_sql = "json_extract(categories, '$[0]')"

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.exists() and path.is_dir():
            raise StoreError(f"{path} is a directory, not a papersift database")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{path} is not a papersift database ({error})") from None
        self._db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: consistent after a crash
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA busy_timeout = 30000")
        self._depth = 0
        self._migrate()

    def close(self) -> None:
        self._db.close()

    # -- transactions and migrations ------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction; nested calls join the outermost one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._db.execute("ROLLBACK")
            raise
        self._depth = 0
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        migrations = migration_scripts("sqlite")
        current = self.schema_version()
        if current > len(migrations):
            raise StoreError(f"{self.path} was written by a newer papersift (schema {current})")
        for number, (_name, script) in enumerate(migrations, start=1):
            if number <= current:
                continue
            with self.transaction():
                for statement in split_sql(script):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")

    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _execute(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, parameters)

    def _insert(self, sql: str, parameters: Sequence[Any], key: str) -> int:
        # lastrowid: RETURNING costs ~10% of a big import's store time here.
        return int(self._db.execute(sql, parameters).lastrowid or 0)

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)
