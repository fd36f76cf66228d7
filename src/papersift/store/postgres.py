"""The PostgreSQL store: one database shared by many processes (web workers, importers, digests).

The statements are the SQLite store's (`papersift.store.sql`); this module supplies the
connection, transactions, migrations and pgvector. What keeps several processes correct is the
database, not the process: unique keys decide papers, votes and digests; importers serialise on a
transaction-level advisory lock around "find what is stored, then write" (so one new paper
imported twice at once is one paper); counters are bumped under their row's lock, so change
sequences commit in order and the index caches beside each process miss nothing.

Needs `pip install 'papersift[postgres]'` (psycopg 3, pgvector) and a PostgreSQL >= 15 with the
pgvector extension (`CREATE EXTENSION vector` is run by the first migration).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from papersift.errors import StoreError
from papersift.store.migrations import migration_scripts, split_sql
from papersift.store.sql import SQLStore

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresStore", "redacted"]

# Vector search explores this many graph neighbours (pgvector's default, 40, finds ~0.99 of the
# true top 10 at 75k papers; 100 keeps >= 0.99 at 1M: docs/notes/postgresql-plan.md).
HNSW_EF_SEARCH = 100
# The keys PostgreSQL numbers itself (a copy sets where they go on).
IDENTITY_COLUMNS = (
    ("papers", "pk"),
    ("users", "id"),
    ("collections", "id"),
    ("subscriptions", "id"),
    ("curated_results", "id"),
)


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^/:@]*):[^/@]*@", r"\1:***@", url)


class PostgresStore(SQLStore):
    _primary_category_sql = "categories->>0"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
            from pgvector.psycopg import register_vector
        except ImportError:
            raise StoreError(
                "PostgreSQL libraries need the postgres extra: pip install 'papersift[postgres]'"
            ) from None
        self.location = redacted(url)
        self._integrity_error = psycopg.errors.IntegrityError
        try:
            self._conn: psycopg.Connection[Any] = psycopg.connect(url, autocommit=True)
        except psycopg.Error as error:
            raise StoreError(f"cannot connect to {self.location}: {_first_line(error)}") from None
        self._conn.execute("SET TIME ZONE 'UTC'")  # times read back as SQLite keeps them
        self._depth = 0
        self._migrate()
        register_vector(self._conn)
        self._conn.execute(f"SET hnsw.ef_search = {HNSW_EF_SEARCH}")
        self._indexed_models: set[str] = set()

    def close(self) -> None:
        self._conn.close()

    # -- transactions and migrations ------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction; nested calls are savepoints inside the outermost one."""
        with self._conn.transaction():
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

    def _migrate(self) -> None:
        migrations = migration_scripts("postgresql")
        with self.transaction():
            # Two processes opening a new database at once: the second waits, then finds it done.
            self._lock("migrations")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            current = self.schema_version()
            if current > len(migrations):
                raise StoreError(f"{self.location} was written by a newer papersift (schema {current})")
            for number, (name, script) in enumerate(migrations, start=1):
                if number <= current:
                    continue
                for statement in split_sql(script):
                    self._conn.execute(statement)
                self._conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (number, name)
                )

    def schema_version(self) -> int:
        row = self._conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0]) if row else 0

    def _execute(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        return self._conn.execute(_placeholders(sql), [_without_nul(value) for value in parameters])

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(_placeholders(sql), [[_without_nul(value) for value in row] for row in rows])

    def _lock(self, name: str) -> None:
        if self._depth:
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(name),))

    # -- vectors -------------------------------------------------------------------------

    def _vector_parameter(self, vector: bytes) -> Any:
        return np.frombuffer(vector, dtype="<f4")

    def _vector_bytes(self, value: Any) -> bytes:
        if hasattr(value, "to_numpy"):  # pgvector's Vector (binary results)
            value = value.to_numpy()
        return np.asarray(value, dtype="<f4").tobytes()

    def save_embeddings(self, model: str, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
        if not rows:
            return
        with self.transaction():
            self._ensure_vector_index(model, len(rows[0][2]) // 4)
            super().save_embeddings(model, rows)

    def _after_copy(self) -> None:
        """Identity columns continue after the copied keys; each model's vectors get their index."""
        with self.transaction():
            for table, column in IDENTITY_COLUMNS:
                self._conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                    f"greatest((SELECT max({column}) FROM {table}), 1))"
                )
            for model, dimension in self._conn.execute(
                "SELECT model, vector_dims(vector) FROM embeddings WHERE pk IN "
                "(SELECT min(pk) FROM embeddings GROUP BY model)"
            ).fetchall():
                self._ensure_vector_index(model, dimension)

    def _ensure_vector_index(self, model: str, dimension: int) -> None:
        """An HNSW index (cosine) over one model's vectors, made with its first vectors."""
        if model in self._indexed_models:
            return
        from psycopg import sql

        self._lock("vector-index")
        name = "embeddings_hnsw_" + hashlib.blake2b(model.encode(), digest_size=6).hexdigest()
        self._conn.execute(
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS {} ON embeddings USING hnsw ((vector::vector({})) "
                "vector_cosine_ops) WHERE model = {}"
            ).format(sql.Identifier(name), sql.Literal(dimension), sql.Literal(model))
        )
        self._indexed_models.add(model)


def _without_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL: it is dropped (papers read from files never have one; a
    `Paper` built in Python may, and every face drops control characters from what it shows)."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "")
    return value


@lru_cache(maxsize=512)
def _placeholders(statement: str) -> str:
    """The shared statements' `?` as psycopg's `%s` (and a literal `%` kept literal)."""
    return statement.replace("%", "%%").replace("?", "%s")


def _lock_key(name: str) -> int:
    """A 64-bit advisory lock key for a name (stable across processes and versions)."""
    digest = hashlib.blake2b(f"papersift:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
