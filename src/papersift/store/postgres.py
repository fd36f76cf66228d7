"""The PostgreSQL store: one database shared by many processes (web workers, importers, digests).

The statements are the SQLite store's (`papersift.store.sql`); this module supplies the
connection, transactions, migrations and pgvector. What keeps several processes correct is the
database, not the process: unique keys decide papers, votes and digests; importers serialise on a
transaction-level advisory lock around "find what is stored, then write" (so one new paper
imported twice at once is one paper); counters are bumped under their row's lock, so change
sequences commit in order and the index caches beside each process miss nothing.

Each thread has a connection of its own (opened on its first statement), with its own transaction
and session settings: the web app calls the Library from a pool of threads.

Needs `pip install 'papersift[postgres]'` (psycopg 3, pgvector) and a PostgreSQL >= 15 with the
pgvector extension (`CREATE EXTENSION vector` is run by the first migration).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql

from papersift.errors import StoreError
from papersift.store.migrations import migration_scripts, split_sql
from papersift.store.rows import Neighbour
from papersift.store.sql import SQLStore

__all__ = ["PostgresStore", "redacted"]

# Vector search explores this many graph neighbours (hnsw.ef_search), more in a larger graph.
# Recall@10 against exact, `bench/bench_million.py sweep` (200 queries; m 16, ef_construction 64):
# - 80k papers (the crawl + 5,272 variants): ef 40 (pgvector's default) 0.853 in 1.6 ms p50,
#   100 0.934 in 2.6, 200 0.969 in 3.7, 400 0.986 in 7.8;
# - 1M papers: ef 200 0.882 in 3.3 ms, 400 0.934 in 7.0, 800 0.958 in 11.9, 1000 0.962 in 16.0
#   (docs/notes/postgresql.md).
HNSW_EF_SEARCH = 200
HNSW_EF_SEARCH_LARGE = 800
LARGE_GRAPH_FROM = 300_000  # vectors of one model
_BROKEN = psycopg.pq.TransactionStatus.UNKNOWN  # libpq's word for "the connection is bad"
# Up to this many allowed papers a filtered vector search is exact over them; above it, the HNSW
# index proposes candidates that the filter thins. bench/bench_pg_filters.py at 75k (random
# filters, top 10), exact vs index: 1k 2.4 vs 16.5 ms, 5k 21 vs 2.8, 20k 42 vs 1.5, 50k 94 vs 0.9.
EXACT_FILTER_BELOW = 3_000
# The keys PostgreSQL numbers itself (a copy sets where they go on).
IDENTITY_COLUMNS = (
    ("papers", "pk"),
    ("users", "id"),
    ("collections", "id"),
    ("subscriptions", "id"),
    ("curated_results", "id"),
    ("comments", "id"),
    ("moderation_log", "id"),
    ("outbox", "id"),
)


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^/:@]*):[^/@]*@", r"\1:***@", url)


class PostgresStore(SQLStore):
    _primary_category_sql = "categories->>0"
    searches_vectors = True

    def __init__(self, url: str) -> None:
        self.location = redacted(url)
        self._url = url
        self._integrity_error = psycopg.errors.IntegrityError
        self._local = threading.local()  # this thread's connection, transaction depth, ef_search
        # Every thread's connection, for close(); a lock because threads open theirs at once.
        self._connections: dict[threading.Thread, psycopg.Connection[Any]] = {}
        self._connections_lock = threading.Lock()
        self._closed = False
        self._local.conn = self._connect()
        self._migrate()
        self._prepare_connection()
        self._remember(self._local.conn)
        # Shared by the threads: each entry is written whole, and a race only counts or checks twice.
        self._indexed_models: set[str] = set()
        self._vector_counts: dict[str, tuple[int, float]] = {}

    @property
    def _conn(self) -> psycopg.Connection[Any]:
        """This thread's connection (opened on its first use)."""
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StoreError(f"{self.location} is closed")
            conn = self._local.conn = self._connect()
            self._prepare_connection()
            self._remember(conn)
        return conn

    def _remember(self, conn: psycopg.Connection[Any]) -> None:
        with self._connections_lock:
            # Threads that ended left their connections: closed here, so a pool that replaces its
            # threads does not pile them up (each is a server process).
            for thread in [t for t in self._connections if not t.is_alive()]:
                with contextlib.suppress(psycopg.Error):
                    self._connections.pop(thread).close()
            self._connections[threading.current_thread()] = conn

    @property
    def _ef_search(self) -> int:
        """hnsw.ef_search of this thread's session."""
        effort: int = getattr(self._local, "ef_search", HNSW_EF_SEARCH)
        return effort

    @_ef_search.setter
    def _ef_search(self, value: int) -> None:
        self._local.ef_search = value

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            connection = psycopg.connect(self._url, autocommit=True)
        except psycopg.Error as error:
            raise StoreError(f"cannot connect to {self.location}: {_first_line(error)}") from None
        connection.execute("SET TIME ZONE 'UTC'")  # times read back as SQLite keeps them
        return connection

    def _prepare_connection(self) -> None:
        register_vector(self._conn)
        self._conn.execute(f"SET hnsw.ef_search = {HNSW_EF_SEARCH}")
        self._ef_search = HNSW_EF_SEARCH
        try:  # pgvector >= 0.8: an index scan goes on until LIMIT rows pass a filter
            with self._conn.transaction():
                self._conn.execute("SET hnsw.iterative_scan = relaxed_order")
        except psycopg.errors.Error:
            pass  # older pgvector: nearest() over-fetches instead

    def _reconnect_if_lost(self) -> bool:
        """After the server went away (a restart, a failover), connect again: only between
        transactions, where nothing is lost by it. Whether it did."""
        if self._depth or (not self._conn.closed and self._conn.info.transaction_status != _BROKEN):
            return False
        with contextlib.suppress(psycopg.Error):
            self._conn.close()
        self._local.conn = self._connect()
        self._prepare_connection()
        self._remember(self._local.conn)
        return True

    def close(self) -> None:
        """Close every thread's connection."""
        with self._connections_lock:
            self._closed = True
            for conn in self._connections.values():
                with contextlib.suppress(psycopg.Error):
                    conn.close()
            self._connections.clear()
        self._local = threading.local()

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
        values = [_without_nul(value) for value in parameters]
        try:
            return self._conn.execute(_placeholders(sql), values)
        except psycopg.OperationalError:
            # A statement outside a transaction changes nothing until it succeeds: once the lost
            # connection is made again, it is run again, once.
            if not self._reconnect_if_lost():
                raise
            return self._conn.execute(_placeholders(sql), values)

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
        """Identity columns continue after the copied keys; each model's vectors get their index;
        the planner learns what the tables now hold."""
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
        # Planner statistics for the tables just filled, before autovacuum gets to them: without
        # them a filtered vector search over 1,000 papers took 180 ms instead of 4.
        self._conn.execute("ANALYZE")

    def nearest(
        self, model: str, vector: Any, k: int, allowed: Collection[int] | None = None
    ) -> list[Neighbour]:
        query = np.asarray(vector, dtype=np.float32)
        if allowed is not None and len(allowed) <= EXACT_FILTER_BELOW:
            return self._nearest_exact(model, query, k, allowed)
        count = self._vector_count(model)
        wanted = k if allowed is None else max(k, int(2 * k * count / max(1, len(allowed))))
        effort = HNSW_EF_SEARCH_LARGE if count >= LARGE_GRAPH_FROM else HNSW_EF_SEARCH
        if effort != self._ef_search:  # a session setting: changed when the graph crosses the size
            self._conn.execute(f"SET hnsw.ef_search = {effort}")
            self._ef_search = effort
        statement = sql.SQL("SELECT pk, 1 - ({d}) FROM embeddings WHERE {w} ORDER BY {d} LIMIT %s").format(
            d=_distance(len(query)), w=_of_model(model)
        )
        rows = self._conn.execute(statement, (query, query, wanted)).fetchall()
        found = [Neighbour(int(pk), float(score)) for pk, score in rows]
        if allowed is not None:  # probing a sorted key array: no set of 1M keys built per query
            permitted = np.sort(np.asarray(allowed))
            keys = [item.pk for item in found]
            hit = permitted[np.minimum(np.searchsorted(permitted, keys), len(permitted) - 1)] == keys
            found = [item for item, keep in zip(found, hit, strict=True) if keep]
            if len(found) < k and len(rows) == wanted:  # the filter thinned too much: measure them all
                return self._nearest_exact(model, query, k, allowed)
        found.sort(key=lambda item: -item.score)  # the index's relaxed order is nearly sorted
        return found[:k]

    def _nearest_exact(
        self, model: str, query: npt.NDArray[np.float32], k: int, allowed: Collection[int]
    ) -> list[Neighbour]:
        # "+ 0": not the indexed expression, so every allowed row is measured.
        statement = sql.SQL(
            "SELECT pk, 1 - ({d}) FROM embeddings WHERE {w} AND pk = ANY(%s) ORDER BY ({d}) + 0 LIMIT %s"
        ).format(d=_distance(len(query)), w=_of_model(model))
        rows = self._conn.execute(statement, (query, [int(pk) for pk in allowed], query, k)).fetchall()
        return [Neighbour(int(pk), float(score)) for pk, score in rows]

    def _vector_count(self, model: str) -> int:
        """How many vectors a model has, re-counted every few minutes (it sizes over-fetching and
        the search effort)."""
        counted, at = self._vector_counts.get(model, (0, 0.0))
        if time.monotonic() - at > 300:
            counted = self.count_embeddings(model)
            self._vector_counts[model] = (counted, time.monotonic())
        return counted

    def _ensure_vector_index(self, model: str, dimension: int) -> None:
        """An HNSW index (cosine) over one model's vectors, made with its first vectors."""
        if model in self._indexed_models:
            return
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


def _distance(dimension: int) -> sql.Composed:
    # The cast is the expression each model's partial HNSW index is built over.
    return sql.SQL("(vector::vector({})) <=> %s").format(sql.Literal(dimension))


def _of_model(model: str) -> sql.Composed:
    # A literal, not a parameter: the planner matches it with a partial index's predicate.
    return sql.SQL("model = {}").format(sql.Literal(model))


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
