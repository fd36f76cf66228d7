"""The vector index beside the database: nearest papers by cosine over unit embeddings.

Three regimes, chosen by size; every choice is measured in docs/notes/vector-index.md
(bench/bench_vectors.py):

- Below `EXACT_BELOW` (100k papers; the arXiv crawl is 75k): exact search, one matrix-vector
  product. 3.4 ms p50 at 75k, recall 1.0, exact filters, nothing to build, no dependency.
- Above it, with the `large` extra (`pip install 'papersift[large]'`: usearch): an HNSW graph over
  8-bit copies of the vectors proposes `GRAPH_OVERSAMPLE` × k candidates, and exact scores from
  the float32 matrix pick the best (so scores are exact cosines). Why usearch: wheels for every
  platform (hnswlib has none and compiles at install), smaller than faiss (13 vs 19 MB of
  wheels), removal and replacement by key, save/load. Why 8-bit plus rescoring: as good as f16
  at choosing candidates, half the graph's memory, a quarter of its build time. Measured at 1M
  (synthetic, 2 busy cores): recall@10 0.983-0.995, p50 0.8-2.2 ms, serving RSS 2.4 GB, build
  5-14 min. Why a graph rather than the lists below: on the real embeddings (75k) the graph
  reaches 0.999 and the lists 0.968; synthetic topics flatter the lists (see the note). usearch
  2.26.2-2.26.6 make a later `import onnxruntime` segfault, hence `<2.26.2` in the extra.
- Above it without usearch: an inverted-file index (k-means lists, probe the nearest few) over
  the *same* matrix, with a one-line warning. Dependency-free; at 1M 7 ms p50, recall 0.93.

Filtered search (`allowed`) never returns a disallowed key in any regime: exact over the allowed
rows when they are at most `EXACT_BELOW // 2` (50k allowed rows cost 9 ms at 1M; a graph walk that
must skip most of what it finds is no faster and less exact), otherwise the index is asked for
k / fraction × `GRAPH_OVERSAMPLE` candidates, filtered, and the search is exact when fewer than k
pass.

Single-query products go through `np.einsum`, not BLAS: OpenBLAS splits a matrix-vector product
over its threads, and as soon as another process wants the second core the query waits for a
timeslice (75k: 5.8 ms p50 with two threads, 3.4 ms with einsum; 1.9 ms with two threads on an
idle core). einsum is as fast as one BLAS thread and changes no process-wide setting.

Rows are papers' store keys (`pk`). The matrix is the source of truth and all the `.npz` file
needs; the graph is saved beside it (`<stem>.usearch`) so that opening a 1M index does not
rebuild it (5-14 min), and is rebuilt when missing or left by another save. The first
`_covered_rows` rows are in the graph or the lists (grouped by list, `_list_starts` giving each
list's slice); rows added since form a tail that every search scans exactly, so `add` is an
append. Replaced and removed rows are tombstones until the next reorganisation. Buffers keep
spare rows, which cost no memory until written, so growing rarely copies the matrix. The index
is a cache of the store: `covers_sequence` says which change of the store it reflects, as for
the keyword index.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import tempfile
import threading
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from papersift.atomic import atomic_write

if TYPE_CHECKING:
    from usearch.index import Index as Graph

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
# Below this many papers, search is exact (no lists at all); measured in docs/notes/vector-index.md.
EXACT_BELOW = 100_000
# ...unless usearch is installed: then the graph takes over from here. Exact search reads the whole
# matrix per query (117 MB at 75k): fine for one reader (2-4 ms), but a web server answering
# 200 searches/s would need 23 GB/s of memory bandwidth; a graph walk reads a few hundred rows.
# Below this, a graph saves little and builds for seconds (docs/notes/web-load.md).
GRAPH_FROM = 20_000
# The unsorted tail is scanned exactly; past this it is sorted into the lists or the graph.
TAIL_LIMIT = 20_000
# Retrain the lists when the index has grown this much since they were trained.
RETRAIN_GROWTH = 4.0
# The HNSW graph (usearch), tuned at 75k and 1M in docs/notes/vector-index.md.
GRAPH_DTYPE = "i8"
# 32 links and expansion 256 while adding: recall@10 at 1M 0.983 (flat topics) and 0.995
# (nested), where usearch's default 16 / 128 reached 0.841 and 0.923; the price is a 3x longer
# build and +0.12 GB.
GRAPH_CONNECTIVITY = 32
GRAPH_EXPANSION_ADD = 256
# Candidates a search keeps while walking the graph. 1M papers (the crawl + perturbed variants,
# `bench/bench_million.py sweep`'s 200 real queries): 256 -> recall@10 0.934 in 0.7 ms p50, 512 ->
# 0.966 in 1.3 ms, 1024 -> 0.989 in 2.3 ms; at 80k, 256 already gives 0.985.
GRAPH_EXPANSION_SEARCH = 512
# The graph proposes this many candidates per wanted neighbour; exact float32 scores pick the
# best, which makes up for the coarse 8-bit distances the graph is walked with.
GRAPH_OVERSAMPLE = 2
# Rebuild the graph once this share of it has been removed or replaced since it was built: the
# slots are reused, but a graph patched that much is no longer the one that was measured.
GRAPH_REBUILD_CHURN = 0.5
# Appended to the graph file with a random number that the .npz file repeats, so a graph left by
# another save (a crash between the two writes) is recognised and rebuilt.
_GRAPH_TRAILER = b"papersift-graph1"
# Rows per step when moving or gathering rows: bounds the temporary copies (a whole-matrix
# fancy index is another 1.5 GB at 1M) and keeps each step in cache.
_CHUNK = 4_096

FloatArray = npt.NDArray[np.float32]
KeyArray = npt.NDArray[np.int64]
Allowed = npt.NDArray[np.bool_] | set[int] | frozenset[int] | None


def _graph_class() -> type[Graph] | None:
    """usearch's index class, or None when the `large` extra is not installed."""
    try:
        from usearch.index import Index
    except ImportError:
        return None
    return Index


def _threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _dot(matrix: FloatArray, query: FloatArray) -> FloatArray:
    """matrix @ query on this thread (see the module docstring for why not BLAS)."""
    return np.einsum("ij,j->i", matrix, query)  # type: ignore[no-any-return]


def _spare(rows: int) -> int:
    """Capacity to allocate for `rows`, with room to grow by a quarter before copying again."""
    return max(rows + rows // 4, 1024)


def _read_matrix(archive: zipfile.ZipFile, name: str, dimension: int) -> tuple[FloatArray, int]:
    """A float32 matrix from an .npz member, read into a buffer with spare rows (see `_reserve`):
    np.load would give one of the exact size, which the first `add` after opening must copy."""
    with archive.open(name) as stream:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
        if len(shape) != 2 or fortran_order or dtype != np.dtype("<f4"):
            raise ValueError(f"{name}: not a float32 matrix")
        if shape[1] != dimension:
            raise ValueError(f"saved with {shape[1]} dimensions, not {dimension}")
        buffer = np.empty((_spare(shape[0]), dimension), dtype=np.float32)
        target = buffer[: shape[0]].reshape(-1).view(np.uint8)
        done = 0
        while done < len(target):
            chunk = stream.read(min(16 << 20, len(target) - done))
            if not chunk:
                raise EOFError(f"{name} is truncated")
            target[done : done + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
            done += len(chunk)
    return buffer, shape[0]


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

    def __init__(
        self,
        path: Path,
        dimension: int,
        *,
        exact_below: int | None = None,
        tail_limit: int | None = None,
        graph: bool = True,
    ) -> None:
        """`exact_below`, `tail_limit` (default `EXACT_BELOW`, `TAIL_LIMIT`) and `graph` (False:
        the numpy lists even with usearch installed) let tests reach the approximate regimes at
        small sizes."""
        self.path = path
        self.dimension = dimension
        self.exact_below = EXACT_BELOW if exact_below is None else exact_below
        self.tail_limit = TAIL_LIMIT if tail_limit is None else tail_limit
        self._graph_allowed = graph
        self._warned_no_graph = False
        self.covers_sequence = 0  # the store's change sequence this index reflects
        self._buffer: FloatArray = np.zeros((0, dimension), dtype=np.float32)
        self._keys: KeyArray = np.zeros(0, dtype=np.int64)
        self._live: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self._rows = 0  # rows used in the buffers (live or tombstones)
        self._row_of_key: dict[int, int] = {}
        self._covered_rows = 0  # rows in the lists or the graph; the rest is the exact tail
        self._centroids: FloatArray | None = None
        self._list_starts: KeyArray = np.zeros(1, dtype=np.int64)
        self._trained_at = 0
        self._graph: Graph | None = None
        self._graph_nonce = 0  # names the graph file that matches the graph; 0: not saved since changed
        self._graph_removed = 0  # keys removed from the graph since it was built
        # usearch keeps the search effort on the graph, not the call: set and search together, so
        # a concurrent search does not run with another's effort (the scoring after it is outside).
        self._graph_search_lock = threading.Lock()

    # -- opening and saving ----------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, dimension: int, **tuning: Any) -> VectorIndex:
        """The index saved at `path`, or an empty one when it is missing, unreadable or of
        another dimension (it is a cache: the caller re-adds what the store holds); `tuning`:
        the keywords of `VectorIndex()`."""
        index = cls(path, dimension, **tuning)
        if path.exists():
            try:
                index._load()
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
                log.warning("rebuilding the vector index: %s (%s)", path, error)
                index = cls(path, dimension, **tuning)
        return index

    def _graph_class(self) -> type[Graph] | None:
        return _graph_class() if self._graph_allowed else None

    def _approximate_from(self) -> int:
        """The size from which search goes through the graph or the lists rather than exactly."""
        exact = self.exact_below
        return min(GRAPH_FROM, exact) if self._graph_class() is not None else exact

    def _graph_path(self) -> Path:
        """Where the graph is saved beside the matrix (used above `EXACT_BELOW` with usearch)."""
        return self.path.with_suffix(".usearch")

    def _load(self) -> None:
        with np.load(self.path) as saved:
            if int(saved["format_version"][0]) != FORMAT_VERSION:
                raise ValueError("another format version")
            self._buffer, self._rows = _read_matrix(saved.zip, "vectors.npy", self.dimension)
            keys = saved["keys"]
            if len(keys) != self._rows:
                raise ValueError(f"{len(keys)} keys for {self._rows} vectors")
            self._keys = np.empty(len(self._buffer), dtype=np.int64)
            self._keys[: self._rows] = keys
            self._live = np.zeros(len(self._buffer), dtype=bool)
            self._live[: self._rows] = True
            self._row_of_key = {int(key): row for row, key in enumerate(keys.tolist())}
            if len(saved["centroids"]):
                self._centroids = saved["centroids"]
                self._list_starts = saved["list_starts"]
                self._covered_rows = int(self._list_starts[-1])
            self._trained_at = int(saved["trained_at"][0])
            self.covers_sequence = int(saved["covers_sequence"][0])
            # Files written before the graph existed have neither field.
            nonce = int(saved["graph_nonce"][0]) if "graph_nonce" in saved.files else 0
            removed = int(saved["graph_removed"][0]) if "graph_removed" in saved.files else 0
        if nonce and self._centroids is None:
            self._load_graph(nonce, removed)

    def _load_graph(self, nonce: int, removed: int) -> None:
        """Reuse the saved graph when it is the one this matrix was saved with; else it is
        rebuilt when next needed."""
        graph_class = self._graph_class()
        if graph_class is None:
            return
        path = self._graph_path()
        try:
            with open(path, "rb") as stream:
                stream.seek(-len(_GRAPH_TRAILER) - 8, os.SEEK_END)
                if stream.read() != _GRAPH_TRAILER + nonce.to_bytes(8, "little"):
                    raise ValueError("saved with another matrix")
            header = graph_class.metadata(str(path))
            if header is None or header["dimensions"] != self.dimension:
                raise ValueError("another dimension")
            if header["count_present"] != self._rows:
                raise ValueError(f"{header['count_present']} vectors, not {self._rows}")
            graph = self._new_graph(graph_class)
            graph.load(str(path))
        except (OSError, ValueError, RuntimeError) as error:
            log.warning("the vector graph will be rebuilt: %s (%s)", path, error)
            return
        self._graph, self._graph_nonce, self._graph_removed = graph, nonce, removed
        self._covered_rows = self._rows

    def save(self) -> None:
        """Write the index atomically (a crash leaves the old file or the new one). The graph
        is written first, so the matrix file never names a graph that is not there yet."""
        self._reorganise(force=True)
        nonce = self._save_graph() if self._graph is not None else 0
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
                graph_nonce=np.asarray([nonce], dtype=np.int64),
                graph_removed=np.asarray([self._graph_removed], dtype=np.int64),
            )
        if self._graph is None:
            self._graph_path().unlink(missing_ok=True)

    def _save_graph(self) -> int:
        """Write the graph beside the matrix (atomically) unless it is unchanged since."""
        assert self._graph is not None
        path = self._graph_path()
        if self._graph_nonce and path.exists():
            return self._graph_nonce
        nonce = secrets.randbits(63) | 1
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        os.close(handle)
        try:
            self._graph.save(temporary)
            with open(temporary, "ab") as stream:
                stream.write(_GRAPH_TRAILER + nonce.to_bytes(8, "little"))
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._graph_nonce = nonce
        return nonce

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
        matrix = np.asarray(vectors, dtype=np.float32)  # no copy when given float32 already
        if matrix.ndim == 1:
            matrix = matrix[None, :]
        if matrix.shape[1] != self.dimension:
            raise ValueError(f"vectors have {matrix.shape[1]} dimensions, the index has {self.dimension}")
        if len(new_keys) != len(matrix):
            raise ValueError(f"{len(new_keys)} keys for {len(matrix)} vectors")
        if not len(matrix):
            return 0
        if len(np.unique(new_keys)) != len(new_keys):  # the last vector of a repeated key wins
            _, last = np.unique(new_keys[::-1], return_index=True)
            keep = np.sort(len(new_keys) - 1 - last)
            new_keys, matrix = new_keys[keep], matrix[keep]
        self.remove(new_keys)
        self._reserve(self._rows + len(matrix))
        start, end = self._rows, self._rows + len(matrix)
        for step in range(0, len(matrix), _CHUNK * 16):  # normalise in place of a full copy
            rows = _unit_rows(matrix[step : step + _CHUNK * 16], self.dimension)
            self._buffer[start + step : start + step + len(rows)] = rows
        self._keys[start:end] = new_keys
        self._live[start:end] = True
        self._row_of_key.update(zip(new_keys.tolist(), range(start, end), strict=True))
        self._rows = end
        del matrix
        if end - self._covered_rows > self.tail_limit and len(self) >= self._approximate_from():
            self._reorganise()
        return len(new_keys)

    @property
    def reorganisation_due(self) -> bool:
        """Whether many rows wait outside the graph or lists (e.g. a file saved exact that has
        since grown past the threshold, or saved without usearch): saving now spares every later
        process from rebuilding the structure in memory."""
        return self._rows - self._covered_rows > self.tail_limit and len(self) >= self._approximate_from()

    def remove(self, keys: Iterable[int] | npt.NDArray[np.integer]) -> int:
        """Forget these keys (unknown ones are ignored). Returns how many were there."""
        pop = self._row_of_key.pop
        found: list[int] = []
        in_graph: list[int] = []
        for key in _as_keys(keys).tolist():
            row = pop(key, None)
            if row is not None:
                found.append(row)
                if row < self._covered_rows:
                    in_graph.append(key)
        self._live[found] = False
        if self._graph is not None and in_graph:
            self._graph.remove(np.asarray(in_graph, dtype=np.int64).view(np.uint64))
            self._graph_removed += len(in_graph)
            self._graph_nonce = 0
        return len(found)

    def _reserve(self, rows: int) -> None:
        if rows <= len(self._keys) and self._buffer.flags.writeable:
            return
        # Growing copies the matrix while the old one is alive (+1.5 GB at 1M), so it should be
        # rare: the spare rows are never written until used, hence cost address space, not memory.
        buffer = np.empty((_spare(rows), self.dimension), dtype=np.float32)
        capacity = len(buffer)
        buffer[: self._rows] = self._buffer[: self._rows]
        keys = np.empty(capacity, dtype=np.int64)
        keys[: self._rows] = self._keys[: self._rows]
        live = np.zeros(capacity, dtype=bool)
        live[: self._rows] = self._live[: self._rows]
        self._buffer, self._keys, self._live = buffer, keys, live

    def _reorganise(self, force: bool = False) -> None:
        """Drop tombstones and bring the tail into the graph or the lists when due."""
        live_count = len(self)
        if live_count < self._approximate_from():
            self._graph = None
            self._graph_nonce = self._graph_removed = 0
            if self._centroids is not None:
                self._drop_lists()
            self._covered_rows = 0
            self._drop_dead_rows()
            return
        graph_class = self._graph_class()
        if graph_class is not None:
            self._update_graph(graph_class, force)
        else:
            self._update_lists(force)

    def _drop_dead_rows(self) -> None:
        """Compact the live rows to the front, in order, moving a chunk at a time in place."""
        live_rows = np.flatnonzero(self._live[: self._rows])
        if len(live_rows) == self._rows:
            return
        if not self._buffer.flags.writeable:
            self._reserve(self._rows)
        for start in range(0, len(live_rows), _CHUNK * 16):
            # Safe in place: live_rows is increasing, so each source row is at or after its
            # destination, and rows still to be read lie after everything written so far.
            part = live_rows[start : start + _CHUNK * 16]
            self._buffer[start : start + len(part)] = self._buffer[part]
        self._keys[: len(live_rows)] = self._keys[live_rows]
        self._live[: len(live_rows)] = True
        self._live[len(live_rows) : self._rows] = False
        self._covered_rows = int(np.searchsorted(live_rows, self._covered_rows))
        self._rows = len(live_rows)
        self._row_of_key = {int(key): row for row, key in enumerate(self._keys[: self._rows].tolist())}

    def _new_graph(self, graph_class: type[Graph]) -> Graph:
        return graph_class(
            ndim=self.dimension,
            metric="ip",  # the rows are unit vectors: inner product is cosine, minus a division
            dtype=GRAPH_DTYPE,
            connectivity=GRAPH_CONNECTIVITY,
            expansion_add=GRAPH_EXPANSION_ADD,
            expansion_search=GRAPH_EXPANSION_SEARCH,
        )

    def _update_graph(self, graph_class: type[Graph], force: bool) -> None:
        if self._centroids is not None:  # lists saved by an install without usearch
            self._drop_lists()
            self._covered_rows = 0
        rebuild = self._graph is None or self._graph_removed > GRAPH_REBUILD_CHURN * len(self)
        tail = self._rows - self._covered_rows
        dead = self._rows - len(self)
        if not (rebuild or tail > self.tail_limit or (force and (tail or dead))):
            return
        self._drop_dead_rows()
        if rebuild:
            log.info("building the vector graph over %d vectors", self._rows)
            self._graph = self._new_graph(graph_class)
            self._graph_removed = 0
            self._covered_rows = 0
        assert self._graph is not None
        threads = _threads()
        for start in range(self._covered_rows, self._rows, _CHUNK * 16):
            end = min(start + _CHUNK * 16, self._rows)
            keys = self._keys[start:end].view(np.uint64)
            self._graph.add(keys, self._buffer[start:end], threads=threads)
        self._covered_rows = self._rows
        self._graph_nonce = 0

    def _update_lists(self, force: bool) -> None:
        if self._graph is not None:  # only when usearch went away under a running process
            self._graph = None
            self._graph_nonce = self._graph_removed = 0
            self._covered_rows = 0
        live_count = len(self)
        tail = self._rows - self._covered_rows
        dead = self._rows - live_count
        stale = self._centroids is None or live_count > RETRAIN_GROWTH * self._trained_at
        if not (stale or tail > self.tail_limit or (force and (tail or dead))):
            return
        if not self._warned_no_graph:
            self._warned_no_graph = True
            log.warning(
                "%d vectors: searching numpy lists (slower, less exact); pip install 'papersift[large]'",
                live_count,
            )
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
            tail_part = live_rows >= self._covered_rows
            list_of_row[tail_part] = _assign(self._buffer[live_rows[tail_part]], centroids)
        order = np.argsort(list_of_row, kind="stable")
        self._sort_into_lists(live_rows[order], centroids, np.bincount(list_of_row, minlength=len(centroids)))

    def _list_ids(self) -> npt.NDArray[np.int32]:
        """The list of every sorted row (-1 for tail rows)."""
        ids = np.full(self._rows, -1, dtype=np.int32)
        counts = np.diff(self._list_starts)
        ids[: self._covered_rows] = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        return ids

    def _drop_lists(self) -> None:
        self._centroids = None
        self._list_starts = np.zeros(1, dtype=np.int64)
        self._trained_at = 0

    def _sort_into_lists(self, rows: npt.NDArray[np.intp], centroids: FloatArray, counts: KeyArray) -> None:
        buffer = np.empty((_spare(len(rows)), self.dimension), dtype=np.float32)
        for start in range(0, len(rows), _CHUNK * 16):  # no whole-matrix temporary besides `buffer`
            part = rows[start : start + _CHUNK * 16]
            buffer[start : start + len(part)] = self._buffer[part]
        keys = np.empty(len(buffer), dtype=np.int64)
        keys[: len(rows)] = self._keys[rows]
        self._buffer, self._keys, self._rows = buffer, keys, len(rows)
        self._live = np.zeros(len(buffer), dtype=bool)
        self._live[: self._rows] = True
        self._row_of_key = {int(key): row for row, key in enumerate(keys[: self._rows].tolist())}
        self._centroids = centroids
        self._list_starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._covered_rows = self._rows

    # -- searching ---------------------------------------------------------------------------

    def search(
        self, vector: npt.ArrayLike, k: int = 10, allowed: Allowed = None, *, probes: int | None = None
    ) -> tuple[KeyArray, FloatArray]:
        """The k keys nearest to `vector` by cosine, best first, with their scores.

        `allowed` limits the answer to some keys: a set of keys, or a boolean array indexed by
        key (keys beyond its end are not allowed). `probes` overrides the search effort of the
        approximate regimes: lists read (numpy lists) or candidate-list size (graph).
        """
        query = _unit_rows(vector, self.dimension)[0]
        if k <= 0 or not len(self):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if self._rows - self._covered_rows > 2 * self.tail_limit and len(self) >= self._approximate_from():
            self._reorganise()
        mask = self._allowed_rows(allowed)
        allowed_count = len(self) if allowed is None else int(mask.sum())
        if not allowed_count:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        found: tuple[npt.NDArray[np.intp], FloatArray] | None = None
        exact_filter = allowed is not None and allowed_count <= self.exact_below // 2
        if exact_filter:
            pass  # few allowed rows: reading just those is cheaper than any index
        elif self._graph is not None:
            found = self._search_graph(query, k, mask, allowed_count, allowed is not None, probes)
        elif self._centroids is not None:
            found = self._search_lists(query, k, mask, allowed_count, allowed is not None, probes)
        rows, scores = found if found is not None else self._search_exact(query, mask, allowed_count)
        best = _top(scores, k)
        return self._keys[rows[best]].copy(), scores[best].astype(np.float32)

    def _search_exact(
        self, query: FloatArray, mask: npt.NDArray[np.bool_], count: int
    ) -> tuple[npt.NDArray[np.intp], FloatArray]:
        if count == self._rows:  # every row: no tombstones, no filter
            return np.arange(self._rows), _dot(self._buffer[: self._rows], query)
        rows = np.flatnonzero(mask)
        if 4 * count >= self._rows:  # most rows: one pass beats gathering them
            return rows, _dot(self._buffer[: self._rows], query)[rows]
        scores = np.empty(len(rows), dtype=np.float32)
        for start in range(0, len(rows), _CHUNK):  # gathered a chunk at a time: no 77 MB copy at 1M
            scores[start : start + _CHUNK] = _dot(self._buffer[rows[start : start + _CHUNK]], query)
        return rows, scores

    def _search_graph(
        self,
        query: FloatArray,
        k: int,
        mask: npt.NDArray[np.bool_],
        allowed_count: int,
        filtered: bool,
        effort: int | None,
    ) -> tuple[npt.NDArray[np.intp], FloatArray] | None:
        """Graph candidates and the tail, scored exactly; None when a filter left fewer than k."""
        assert self._graph is not None
        wanted = GRAPH_OVERSAMPLE * k
        if filtered:  # enough candidates that about GRAPH_OVERSAMPLE * k of them are allowed
            wanted = math.ceil(wanted * len(self) / allowed_count)
        wanted = min(wanted, len(self._graph))
        graph: Any = self._graph  # usearch 2.26's setter is untyped: mypy takes it for read-only
        if wanted:
            with self._graph_search_lock:
                graph.expansion_search = max(effort or GRAPH_EXPANSION_SEARCH, wanted)
                found = self._graph.search(query, wanted, threads=1).keys.view(np.int64)
        else:  # every graph row was removed since the graph was built
            found = np.zeros(0, dtype=np.int64)
        get = self._row_of_key.get
        rows = np.fromiter((get(key, -1) for key in found.tolist()), dtype=np.intp, count=len(found))
        rows = rows[rows >= 0]
        if filtered:
            rows = rows[mask[rows]]
        tail = self._covered_rows + np.flatnonzero(mask[self._covered_rows : self._rows])
        rows = np.concatenate([rows, tail])
        if filtered and len(rows) < min(k, allowed_count):
            return None
        return rows, _dot(self._buffer[rows], query)

    def _search_lists(
        self,
        query: FloatArray,
        k: int,
        mask: npt.NDArray[np.bool_],
        allowed_count: int,
        filtered: bool,
        probes: int | None,
    ) -> tuple[npt.NDArray[np.intp], FloatArray] | None:
        """Rows of the nearest lists and the tail, scored; None when a filter left fewer than k."""
        assert self._centroids is not None
        wanted = probes or max(16, len(self._centroids) // 32)  # recall@10 0.98 at 75k (the note)
        if filtered:  # sparser filters need more lists to find k allowed rows
            fraction = allowed_count / max(len(self), 1)
            wanted = min(len(self._centroids), int(wanted / math.sqrt(max(fraction, 1e-6))))
        nearest = _top(_dot(self._centroids, query), wanted)
        starts, ends = self._list_starts[nearest].tolist(), self._list_starts[nearest + 1].tolist()
        parts = [_dot(self._buffer[s:e], query) for s, e in zip(starts, ends, strict=True)]
        row_parts = [np.arange(s, e) for s, e in zip(starts, ends, strict=True)]
        if self._rows > self._covered_rows:
            parts.append(_dot(self._buffer[self._covered_rows : self._rows], query))
            row_parts.append(np.arange(self._covered_rows, self._rows))
        rows, scores = np.concatenate(row_parts), np.concatenate(parts)
        keep = mask[rows]
        if filtered and int(keep.sum()) < min(k, allowed_count):
            return None
        return rows[keep], scores[keep]

    def _allowed_rows(self, allowed: Allowed) -> npt.NDArray[np.bool_]:
        live = self._live[: self._rows]
        if allowed is None:
            return live
        keys = self._keys[: self._rows]
        if isinstance(allowed, np.ndarray):
            inside = (keys >= 0) & (keys < len(allowed))
            mask = np.zeros(self._rows, dtype=bool)
            mask[inside] = allowed[keys[inside]]
            return mask & live
        mask = np.zeros(self._rows, dtype=bool)
        rows = [row for key in allowed if (row := self._row_of_key.get(int(key))) is not None]
        mask[rows] = True
        return mask
