"""What only the PostgreSQL store does: migrations under a lock, vector search by pgvector's HNSW
index (exact under a filter), refusing a newer schema. Runs with `pytest --backend postgres`."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from papersift import Library
from papersift.errors import StoreError
from papersift.records import Paper
from papersift.store import open_store
from papersift.store.migrations import migration_scripts
from papersift.store.postgres import PostgresStore

MODEL = "test-model"
DIMENSION = 16


@pytest.fixture
def url(backend: str, new_location: Callable[[str], str]) -> str:
    if backend != "postgres":
        pytest.skip("PostgreSQL only: runs with --backend postgres")
    return new_location("store")


@pytest.fixture
def vectors(url: str) -> tuple[PostgresStore, np.ndarray]:
    store = open_store(url)
    assert isinstance(store, PostgresStore)
    count = 3000
    pks = store.save_papers(
        [(None, Paper(id=f"p{n}", title=f"Paper {n}", source="test"), ()) for n in range(count)]
    )
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(count, DIMENSION)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    store.save_embeddings(
        MODEL,
        [
            (pk, hashlib.sha256(bytes(pk)).digest(), row.tobytes())
            for pk, row in zip(pks, matrix, strict=True)
        ],
    )
    assert pks == list(range(1, count + 1))
    return store, matrix


def exact(matrix: np.ndarray, query: np.ndarray, k: int, allowed: list[int] | None = None) -> list[int]:
    scores = matrix @ query
    order = [int(i) + 1 for i in np.argsort(-scores)]
    if allowed is not None:
        permitted = set(allowed)
        order = [pk for pk in order if pk in permitted]
    return order[:k]


def test_vector_search_uses_the_models_hnsw_index_and_finds_the_true_neighbours(
    vectors: tuple[PostgresStore, np.ndarray],
) -> None:
    store, matrix = vectors
    plan = "\n".join(
        row[0]
        for row in store._conn.execute(
            f"EXPLAIN SELECT pk FROM embeddings WHERE model = '{MODEL}' "
            f"ORDER BY (vector::vector({DIMENSION})) <=> %s LIMIT 10",
            (matrix[0],),
        )
    )
    assert "embeddings_hnsw_" in plan, plan
    rng = np.random.default_rng(5)
    found, truth = 0, 0
    for _ in range(30):
        query = rng.normal(size=DIMENSION).astype(np.float32)
        query /= np.linalg.norm(query)
        hits = store.nearest(MODEL, query, 10)
        assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)
        assert hits[0].score == pytest.approx(float(matrix[hits[0].pk - 1] @ query), abs=1e-5)
        found += len({pk for pk, _ in hits} & set(exact(matrix, query, 10)))
        truth += 10
    assert found / truth >= 0.95


def test_a_filtered_vector_search_is_exact_over_few_allowed_papers_and_thins_the_index_over_many(
    vectors: tuple[PostgresStore, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, matrix = vectors
    query = matrix[7]
    few = list(range(100, 400, 3))
    assert [pk for pk, _ in store.nearest(MODEL, query, 10, few)] == exact(matrix, query, 10, few)
    assert store.nearest(MODEL, query, 10, []) == []
    monkeypatch.setattr("papersift.store.postgres.EXACT_FILTER_BELOW", 100)
    many = list(range(1, 3001, 2))  # half of them: through the index, then the filter
    hits = [pk for pk, _ in store.nearest(MODEL, query, 10, many)]
    assert len(hits) == 10 and set(hits) <= set(many)
    assert len(set(hits) & set(exact(matrix, query, 10, many))) >= 9


def test_processes_opening_a_new_database_at_once_migrate_it_once(url: str) -> None:
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            open_store(url).close()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    store = open_store(url)
    latest = len(migration_scripts("postgresql"))
    assert latest >= 6 and store.schema_version() == latest
    versions = store._conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [v for (v,) in versions] == list(range(1, latest + 1))
    store._conn.execute(
        "INSERT INTO schema_migrations (version, name) VALUES (%s, 'from the future')", (latest + 1,)
    )
    store.close()
    with pytest.raises(StoreError, match="newer papersift"):
        open_store(url)


@pytest.mark.postgres
def test_a_library_carries_on_after_the_database_restarts(backend: str, tmp_path: Path) -> None:
    if backend != "postgres":
        pytest.skip("PostgreSQL only: runs with --backend postgres")
    from pgserver import PostgresTestServer

    with PostgresTestServer.start(tmp_path / "own") as server:
        lib = Library.open(server.create_database("restarted"))
        try:
            lib.ingest_records([Paper(id="p1", title="Graph rewiring for oversquashing", source="test")])
            server.restart()  # every connection is cut
            assert lib.store.count_papers() == 1  # between transactions: connects again
            assert [hit.id for hit in lib.search("oversquashing", mode="keyword")] == ["p1"]
            assert lib.ingest_records([Paper(id="p2", title="Another paper", source="test")]).added == 1
        finally:
            lib.close()
