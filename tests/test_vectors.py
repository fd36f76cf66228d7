"""The vector index: exact below a size, IVF lists above it, filters, persistence."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import papersift.vectors as vectors_module
from papersift.vectors import VectorIndex

DIMENSION = 32


def clustered(count: int, seed: int = 0, centres: int = 60, dimension: int = DIMENSION) -> np.ndarray:
    """Unit vectors around a few centres, like topics of papers (the centres depend on no seed)."""
    middle = np.random.default_rng(0).standard_normal((centres, dimension)) / np.sqrt(dimension)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((count, dimension)) / np.sqrt(dimension)
    rows = middle[rng.integers(0, centres, count)] + 0.75 * noise
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def exact(matrix: np.ndarray, keys: np.ndarray, query: np.ndarray, k: int) -> set[int]:
    return set(keys[np.argsort(-(matrix @ query))[:k]].tolist())


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the IVF lists kick in at test sizes."""
    monkeypatch.setattr(vectors_module, "EXACT_BELOW", 2_000)
    monkeypatch.setattr(vectors_module, "TAIL_LIMIT", 500)


def test_small_index_search_is_exact(tmp_path: Path) -> None:
    data = clustered(1_000)
    keys = np.arange(100, 1_100)
    index = VectorIndex.open(tmp_path / "v.npz", DIMENSION)
    index.add(keys, data)
    for query in clustered(20, seed=1):
        found, scores = index.search(query, 10)
        assert set(found.tolist()) == exact(data, keys, query, 10)
        assert np.all(np.diff(scores) <= 0)


def test_lists_reach_recall_098_against_exact(tmp_path: Path, small_threshold: None) -> None:
    # 384 dimensions and topic-like clusters, as in bench/bench_vectors.py (MiniLM's shape).
    data = clustered(8_000, centres=300, dimension=384)
    keys = np.arange(8_000) * 3
    index = VectorIndex.open(tmp_path / "v.npz", 384)
    index.add(keys, data)
    index.save()
    assert index._centroids is not None  # the approximate path is the one measured
    hits = 0
    queries = clustered(200, seed=2, centres=300, dimension=384)
    for query in queries:
        hits += len(set(index.search(query, 10)[0].tolist()) & exact(data, keys, query, 10))
    assert hits / (10 * len(queries)) >= 0.98


def test_saved_index_reopens_with_the_same_answers(tmp_path: Path, small_threshold: None) -> None:
    path = tmp_path / "v.npz"
    index = VectorIndex.open(path, DIMENSION)
    index.add(np.arange(3_000), clustered(3_000))
    index.add([5_000], clustered(1, seed=9))  # an unsorted tail row, sorted in by save
    index.covers_sequence = 42
    index.save()
    again = VectorIndex.open(path, DIMENSION)
    assert len(again) == 3_001
    assert again.covers_sequence == 42
    for query in clustered(10, seed=3):
        assert again.search(query, 10)[0].tolist() == index.search(query, 10)[0].tolist()


def test_replacing_a_key_keeps_one_vector_and_removing_forgets_it(
    tmp_path: Path, small_threshold: None
) -> None:
    data = clustered(3_000)
    index = VectorIndex.open(tmp_path / "v.npz", DIMENSION)
    index.add(np.arange(3_000), data)
    index.save()
    target = clustered(1, seed=4)[0]
    index.add([7], target)
    assert len(index) == 3_000
    found, scores = index.search(target, 1)
    assert found.tolist() == [7]
    assert scores[0] == pytest.approx(1.0, abs=1e-5)
    index.remove([7, 123_456])
    assert 7 not in index and len(index) == 2_999
    assert 7 not in index.search(target, 50)[0].tolist()
    index.save()
    assert 7 not in VectorIndex.open(index.path, DIMENSION).search(target, 50)[0].tolist()


@pytest.mark.parametrize("threshold", ["exact", "lists"])
@pytest.mark.parametrize("form", ["mask", "set"])
def test_filtered_search_returns_only_allowed_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: str, form: str
) -> None:
    if threshold == "lists":
        monkeypatch.setattr(vectors_module, "EXACT_BELOW", 500)
    data = clustered(6_000)
    keys = np.arange(6_000)
    index = VectorIndex.open(tmp_path / "v.npz", DIMENSION)
    index.add(keys, data)
    index.save()
    rng = np.random.default_rng(5)
    mask = np.zeros(6_000, dtype=bool)
    for share in (0.02, 0.5):
        mask[:] = rng.random(6_000) < share
        allowed = mask if form == "mask" else set(np.flatnonzero(mask).tolist())
        for query in clustered(20, seed=6):
            found, _ = index.search(query, 10, allowed=allowed)
            assert len(found) == 10
            assert mask[found].all()
            expected = exact(data[mask], keys[mask], query, 10)
            assert len(set(found.tolist()) & expected) >= 8


def test_empty_index_and_wrong_dimension(tmp_path: Path) -> None:
    index = VectorIndex.open(tmp_path / "missing.npz", DIMENSION)
    assert len(index) == 0
    assert index.search(np.ones(DIMENSION), 5)[0].tolist() == []
    with pytest.raises(ValueError, match="dimensions"):
        index.add([1], np.ones((1, DIMENSION + 1)))


def test_an_index_of_another_dimension_is_not_reused(tmp_path: Path) -> None:
    index = VectorIndex.open(tmp_path / "v.npz", DIMENSION)
    index.add([1, 2], clustered(2))
    index.save()
    assert len(VectorIndex.open(tmp_path / "v.npz", DIMENSION * 2)) == 0


def test_a_failed_save_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "v.npz"
    index = VectorIndex.open(path, DIMENSION)
    index.add([1, 2, 3], clustered(3))
    index.save()
    before = path.read_bytes()
    index.add([4], clustered(1, seed=8))

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        index.save()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["v.npz"]  # no temporary file left behind
    monkeypatch.undo()
    assert len(VectorIndex.open(path, DIMENSION)) == 3


def test_a_corrupt_file_means_an_empty_index(tmp_path: Path) -> None:
    path = tmp_path / "v.npz"
    path.write_bytes(b"not an index")
    assert len(VectorIndex.open(path, DIMENSION)) == 0
