"""The vector index beside the database: nearest papers by cosine over unit embeddings.

Why numpy: measured in docs/notes/vector-index.md (bench/bench_vectors.py). Exact search
(`matrix @ query`) is a few milliseconds up to ~100k papers, always exact, filters exactly (a
search over just the allowed rows) and adds no dependency. Above `EXACT_BELOW` an inverted-file
index (IVF: k-means lists, probe the nearest few) over the *same* matrix takes over: one copy of
the vectors, builds in ~90 s at 1M. Known shortfall: at 1M it measured recall@10 0.93 and p50
15 ms, short of the 0.98 / 10 ms targets; an HNSW library (usearch) above the threshold is the
measured fix, see the note.

Rows are papers' store keys (`pk`). Layout: the first `_sorted_rows` rows are grouped by IVF list
(`_list_starts` gives each list's slice); rows added since the last reorganisation form a tail
that every search scans exactly, so `add` is an append. Replaced and removed rows are tombstones
until the next reorganisation. The index is a cache of the store: `covers_sequence` says which
change of the store it reflects, as for the keyword index.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from papersift.atomic import atomic_write

FORMAT_VERSION = 1
# Below this many papers, search is exact (no lists at all); measured in docs/notes/vector-index.md.
EXACT_BELOW = 100_000
# The unsorted tail is scanned exactly; past this it is sorted into the lists.
TAIL_LIMIT = 20_000
# Retrain the lists when the index has grown this much since they were trained.
RETRAIN_GROWTH = 4.0

FloatArray = npt.NDArray[np.float32]
KeyArray = npt.NDArray[np.int64]
Allowed = npt.NDArray[np.bool_] | set[int] | frozenset[int] | None


def _unit_rows(vectors: npt.ArrayLike, dimension: int) -> FloatArray:
    rows = np.array(vectors, dtype=np.float32, ndmin=2, copy=True)
    if rows.shape[1] != dimension:
        raise ValueError(f"vectors have {rows.shape[1]} dimensions, the index has {dimension}")
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    rows /= norms
    return rows


def _as_keys(keys: Iterable[int] | npt.NDArray[np.integer]) -> KeyArray:
    if isinstance(keys, np.ndarray):
        return keys.astype(np.int64).ravel()
    return np.fromiter((int(key) for key in keys), dtype=np.int64)


def _top(scores: FloatArray, k: int) -> npt.NDArray[np.intp]:
    """Positions of the k highest scores, best first."""
    top = np.argpartition(-scores, k - 1)[:k] if len(scores) > k else np.arange(len(scores))
    return top[np.argsort(-scores[top], kind="stable")]


def train_lists(vectors: FloatArray, lists: int, iterations: int = 15, seed: int = 0) -> FloatArray:
    """Spherical k-means centroids (unit rows) on a sample of at most 32 vectors per list."""
    rng = np.random.default_rng(seed)
    sample_size = min(len(vectors), 32 * lists)
    sample = vectors[np.sort(rng.choice(len(vectors), sample_size, replace=False))]
    centroids = sample[rng.choice(sample_size, lists, replace=False)].copy()
    for _ in range(iterations):
        nearest = _assign(sample, centroids)
        sums = np.zeros_like(centroids)
        np.add.at(sums, nearest, sample)
        empty = np.linalg.norm(sums, axis=1) == 0
        sums[empty] = sample[rng.choice(sample_size, int(empty.sum()), replace=False)]  # reseed
        centroids = _unit_rows(sums, vectors.shape[1])
    return centroids


def _assign(vectors: FloatArray, centroids: FloatArray, chunk: int = 16_384) -> npt.NDArray[np.int32]:
    nearest = np.empty(len(vectors), dtype=np.int32)
    for start in range(0, len(vectors), chunk):
        nearest[start : start + chunk] = np.argmax(vectors[start : start + chunk] @ centroids.T, axis=1)
    return nearest


class VectorIndex:
    """Cosine nearest neighbours over unit vectors keyed by integer; see the module docstring."""

    def __init__(self, path: Path, dimension: int) -> None:
        self.path = path
        self.dimension = dimension
        self.covers_sequence = 0  # the store's change sequence this index reflects
        self._buffer: FloatArray = np.zeros((0, dimension), dtype=np.float32)
        self._keys: KeyArray = np.zeros(0, dtype=np.int64)
        self._live: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self._rows = 0  # rows used in the buffers (live or tombstones)
        self._row_of_key: dict[int, int] = {}
        self._centroids: FloatArray | None = None
        self._list_starts: KeyArray = np.zeros(1, dtype=np.int64)
        self._sorted_rows = 0
        self._trained_at = 0

    # -- opening and saving ----------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, dimension: int) -> VectorIndex:
        """The index saved at `path`, or an empty one when it is missing, unreadable or of
        another dimension (it is a cache: the caller re-adds what the store holds)."""
        index = cls(path, dimension)
        if path.exists():
            try:
                index._load()
            except (OSError, ValueError, KeyError, EOFError) as error:
                logging.getLogger(__name__).warning("rebuilding the vector index: %s (%s)", path, error)
                index = cls(path, dimension)
        return index

    def _load(self) -> None:
        with np.load(self.path) as saved:
            if int(saved["format_version"][0]) != FORMAT_VERSION:
                raise ValueError("another format version")
            vectors = saved["vectors"]
            if vectors.shape[1] != self.dimension:
                raise ValueError(f"saved with {vectors.shape[1]} dimensions, not {self.dimension}")
            self._buffer = vectors
            self._keys = saved["keys"]
            self._rows = len(self._keys)
            self._live = np.ones(self._rows, dtype=bool)
            self._row_of_key = {int(key): row for row, key in enumerate(self._keys.tolist())}
            if len(saved["centroids"]):
                self._centroids = saved["centroids"]
                self._list_starts = saved["list_starts"]
                self._sorted_rows = int(self._list_starts[-1])
            self._trained_at = int(saved["trained_at"][0])
            self.covers_sequence = int(saved["covers_sequence"][0])

    def save(self) -> None:
        """Write the index atomically (a crash leaves the old file or the new one)."""
        self._reorganise(force=True)
        centroids = self._centroids if self._centroids is not None else np.zeros((0, self.dimension))
        with atomic_write(self.path) as stream:
            np.savez(
                stream,
                format_version=np.asarray([FORMAT_VERSION]),
                covers_sequence=np.asarray([self.covers_sequence]),
                trained_at=np.asarray([self._trained_at]),
                keys=self._keys[: self._rows],
                vectors=self._buffer[: self._rows],
                centroids=centroids.astype(np.float32),
                list_starts=self._list_starts,
            )

    # -- changing ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._row_of_key)

    def __contains__(self, key: object) -> bool:
        return key in self._row_of_key

    def keys(self) -> KeyArray:
        return self._keys[: self._rows][self._live[: self._rows]].copy()

    def add(self, keys: Iterable[int] | npt.NDArray[np.integer], vectors: npt.ArrayLike) -> int:
        """Add vectors (normalised here), replacing earlier ones of the same keys. Returns how many."""
        new_keys = _as_keys(keys)
        rows = _unit_rows(vectors, self.dimension)
        if len(new_keys) != len(rows):
            raise ValueError(f"{len(new_keys)} keys for {len(rows)} vectors")
        if not len(rows):
            return 0
        if len(np.unique(new_keys)) != len(new_keys):  # the last vector of a repeated key wins
            _, last = np.unique(new_keys[::-1], return_index=True)
            keep = np.sort(len(new_keys) - 1 - last)
            new_keys, rows = new_keys[keep], rows[keep]
        self.remove(new_keys)
        self._reserve(self._rows + len(rows))
        start, end = self._rows, self._rows + len(rows)
        self._buffer[start:end] = rows
        self._keys[start:end] = new_keys
        self._live[start:end] = True
        self._row_of_key.update(zip(new_keys.tolist(), range(start, end), strict=True))
        self._rows = end
        if end - self._sorted_rows > TAIL_LIMIT and len(self) >= EXACT_BELOW:
            self._reorganise()
        return len(rows)

    def remove(self, keys: Iterable[int] | npt.NDArray[np.integer]) -> int:
        """Forget these keys (unknown ones are ignored). Returns how many were there."""
        pop = self._row_of_key.pop
        found = [row for key in _as_keys(keys).tolist() if (row := pop(key, None)) is not None]
        self._live[found] = False
        return len(found)

    def _reserve(self, rows: int) -> None:
        capacity = len(self._keys)
        if rows <= capacity and self._buffer.flags.writeable:
            return
        capacity = max(rows, int(capacity * 1.25), 1024)  # 1.25x: a 2x spare would cost GBs at 1M
        buffer = np.empty((capacity, self.dimension), dtype=np.float32)
        buffer[: self._rows] = self._buffer[: self._rows]
        keys = np.empty(capacity, dtype=np.int64)
        keys[: self._rows] = self._keys[: self._rows]
        live = np.zeros(capacity, dtype=bool)
        live[: self._rows] = self._live[: self._rows]
        self._buffer, self._keys, self._live = buffer, keys, live

    def _reorganise(self, force: bool = False) -> None:
        """Drop tombstones, (re)train the lists when due, and sort every row into its list."""
        live_count = len(self)
        if live_count < EXACT_BELOW:
            if self._centroids is not None or self._rows != live_count:
                self._compact_into(np.flatnonzero(self._live[: self._rows]), None, None)
            return
        tail = self._rows - self._sorted_rows
        dead = self._rows - live_count
        stale = self._centroids is None or live_count > RETRAIN_GROWTH * self._trained_at
        if not (stale or tail > TAIL_LIMIT or (force and (tail or dead))):
            return
        live_rows = np.flatnonzero(self._live[: self._rows])
        if stale:
            lists = max(64, int(4 * math.sqrt(live_count)))  # 4√N beat 2√N at equal probed fraction
            centroids = train_lists(self._buffer[live_rows], lists)
            self._trained_at = live_count
            list_of_row = _assign(self._buffer[live_rows], centroids)
        else:
            assert self._centroids is not None
            centroids = self._centroids
            list_of_row = self._list_ids()[live_rows]
            tail_part = live_rows >= self._sorted_rows
            list_of_row[tail_part] = _assign(self._buffer[live_rows[tail_part]], centroids)
        order = np.argsort(list_of_row, kind="stable")
        self._compact_into(live_rows[order], centroids, np.bincount(list_of_row, minlength=len(centroids)))

    def _list_ids(self) -> npt.NDArray[np.int32]:
        """The list of every sorted row (-1 for tail rows)."""
        ids = np.full(self._rows, -1, dtype=np.int32)
        counts = np.diff(self._list_starts)
        ids[: self._sorted_rows] = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        return ids

    def _compact_into(
        self, rows: npt.NDArray[np.intp], centroids: FloatArray | None, counts: KeyArray | None
    ) -> None:
        self._buffer = np.ascontiguousarray(self._buffer[rows])
        self._keys = self._keys[rows]
        self._rows = len(rows)
        self._live = np.ones(self._rows, dtype=bool)
        self._row_of_key = {int(key): row for row, key in enumerate(self._keys.tolist())}
        self._centroids = centroids
        if counts is None:
            self._list_starts = np.zeros(1, dtype=np.int64)
            self._sorted_rows = 0
            self._trained_at = 0
        else:
            self._list_starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            self._sorted_rows = self._rows

    # -- searching ---------------------------------------------------------------------------

    def search(
        self, vector: npt.ArrayLike, k: int = 10, allowed: Allowed = None, *, probes: int | None = None
    ) -> tuple[KeyArray, FloatArray]:
        """The k keys nearest to `vector` by cosine, best first, with their scores.

        `allowed` limits the answer to some keys: a set of keys, or a boolean array indexed by
        key (keys beyond its end are not allowed). `probes` overrides how many lists are read.
        """
        query = _unit_rows(vector, self.dimension)[0]
        if k <= 0 or not len(self):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        mask = self._allowed_rows(allowed)
        if self._rows - self._sorted_rows > 2 * TAIL_LIMIT and len(self) >= EXACT_BELOW:
            self._reorganise()
            mask = self._allowed_rows(allowed)
        allowed_count = int(mask.sum())
        if self._centroids is None or allowed_count <= EXACT_BELOW // 2:
            rows = np.flatnonzero(mask)
            scores = self._buffer[rows] @ query if allowed is not None else self._buffer[: self._rows] @ query
            if allowed is None:
                scores = scores[rows]
        else:
            fraction = allowed_count / max(len(self), 1)
            wanted = probes or self._default_probes()
            if allowed is not None:  # sparser filters need more lists to find k allowed rows
                wanted = min(len(self._centroids), int(wanted / math.sqrt(max(fraction, 1e-6))))
            rows, scores = self._probe(query, wanted)
            keep = mask[rows]
            rows, scores = rows[keep], scores[keep]
        best = _top(scores, k)
        return self._keys[rows[best]].copy(), scores[best].astype(np.float32)

    def _default_probes(self) -> int:
        # About 1/32 of the lists: recall@10 >= 0.98 measured at 75k..1M (docs/notes/vector-index.md).
        assert self._centroids is not None
        return max(16, len(self._centroids) // 32)

    def _probe(self, query: FloatArray, probes: int) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """Rows and scores from the `probes` nearest lists and the whole unsorted tail."""
        assert self._centroids is not None
        nearest = _top(self._centroids @ query, probes)
        starts, ends = self._list_starts[nearest], self._list_starts[nearest + 1]
        parts = [self._buffer[s:e] @ query for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
        row_parts = [np.arange(s, e) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
        if self._rows > self._sorted_rows:
            parts.append(self._buffer[self._sorted_rows : self._rows] @ query)
            row_parts.append(np.arange(self._sorted_rows, self._rows))
        return np.concatenate(row_parts), np.concatenate(parts)

    def _allowed_rows(self, allowed: Allowed) -> npt.NDArray[np.bool_]:
        live = self._live[: self._rows]
        if allowed is None:
            return live
        keys = self._keys[: self._rows]
        if isinstance(allowed, np.ndarray):
            inside = keys < len(allowed)
            mask = np.zeros(self._rows, dtype=bool)
            mask[inside] = allowed[keys[inside]]
            return mask & live
        mask = np.zeros(self._rows, dtype=bool)
        rows = [row for key in allowed if (row := self._row_of_key.get(int(key))) is not None]
        mask[rows] = True
        return mask
