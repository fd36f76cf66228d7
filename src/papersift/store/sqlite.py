"""The SQLite store: one file, WAL journal, numbered migrations, batched writes.

Writes go through `transaction()` (BEGIN IMMEDIATE, so a writer waits for another instead of
failing half-way); a killed process leaves the last committed transaction, never half a batch.
Nested `transaction()` calls join the outer one, which is how `--strict` ingests a whole file
or nothing. The statements themselves are shared with PostgreSQL (`papersift.store.sql`).

Each thread has a connection of its own (opened on its first statement) and its own transaction:
the web app calls the Library from a pool of threads, and a connection shared by them would run one
thread's reads inside another's transaction. WAL lets their reads run beside one writer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from papersift.errors import StoreError
from papersift.store.migrations import migration_scripts, split_sql
from papersift.store.rows import StoredPaper, UserRow
from papersift.store.sql import SQLStore

__all__ = ["SQLiteStore", "StoredPaper", "UserRow"]


class SQLiteStore(SQLStore):
    _integrity_error = sqlite3.IntegrityError
    _primary_category_sql = "json_extract(categories, '$[0]')"

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.exists() and path.is_dir():
            raise StoreError(f"{path} is a directory, not a papersift database")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()  # this thread's connection and transaction depth
        # Every thread's connection, for close(); a lock because threads open theirs at once.
        self._connections: dict[threading.Thread, sqlite3.Connection] = {}
        self._connections_lock = threading.Lock()
        self._closed = False
        self._migrate()

    @property
    def _db(self) -> sqlite3.Connection:
        """This thread's connection (opened on its first use)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._open()
        return db

    def _open(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"{self.path} is closed")
        # check_same_thread off only so that close() may close other threads' connections.
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA busy_timeout = 30000")
        try:
            db.execute("PRAGMA journal_mode = WAL")  # the file's already, after the first connection
        except sqlite3.DatabaseError as error:
            db.close()
            raise StoreError(f"{self.path} is not a papersift database ({error})") from None
        db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: consistent after a crash
        db.execute("PRAGMA foreign_keys = ON")
        with self._connections_lock:
            # Threads that ended left their connections: closed here, so a pool that replaces its
            # threads does not pile them up.
            for thread in [t for t in self._connections if not t.is_alive()]:
                self._connections.pop(thread).close()
            self._connections[threading.current_thread()] = db
        self._local.db, self._local.depth = db, 0
        return db

    def close(self) -> None:
        """Close every thread's connection."""
        with self._connections_lock:
            self._closed = True
            for db in self._connections.values():
                db.close()
            self._connections.clear()
        self._local = threading.local()

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
