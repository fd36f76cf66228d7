"""Which vector index should sit beside the database? Measure the candidates on the same data.

Why this exists: issue 3 asks for an index chosen by measurement (exact below a size, ANN above,
recall@10 >= 0.98), and every figure in docs/notes/vector-index.md must be rerunnable.

There are no real paper embeddings yet, so the data is *synthetic*: a Gaussian mixture of unit
vectors (a few thousand centres with Zipf-like sizes and varying spreads, plus one shared direction
that makes every pair mildly similar, as sentence embeddings are), normalised. `--stats` prints
the neighbour-similarity profile so it can be compared with real embeddings once they exist.

Each library runs in its own child process, twice: `_build` (build with 2 threads, save, add
1,000 more vectors) and `_serve` (load the file in a fresh process, then RSS, one-at-a-time k=10
query latency, recall@10 against exact, filtered search). Exact ground truth comes from numpy.

    .venv/bin/python bench/bench_vectors.py --sizes 75000 --libs numpy hnswlib usearch faiss-ivf
    .venv/bin/python bench/bench_vectors.py --sizes 1000000 --libs numpy usearch
    .venv/bin/python bench/bench_vectors.py --sizes 75000 --libs papersift   # the shipped class
    nice -n 10 .venv/bin/python bench/bench_vectors.py --target   # the issue's figures, one command
    .venv/bin/python bench/bench_vectors.py --blas --burn 1   # exact 75k: BLAS threads vs einsum
    .venv/bin/python bench/bench_vectors.py --quick   # smoke test: 2,000 vectors, every route

`--target` = `--sizes 75000 1000000 --libs papersift numpy --blas`: papersift's VectorIndex (exact
at 75k; usearch graph at 1M when installed) next to numpy exact, plus the single-query product
comparison. `papersift-lists` is the same class with usearch hidden (its numpy-lists fallback).
Every result line carries `os.getloadavg()`: figures taken with a load average above ~1.5 were
taken under contention (other work shares the 2 cores) and their latencies are inflated.

Data and ground truth are cached under --cache (default /tmp/papersift-bench-vectors).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

DIMENSION = 384
QUERIES = 1000
ADDED = 1000
THREADS = 2
K = 10
FILTER_FRACTION = 0.05
QUICK_N = 2000  # vectors of a --quick run

# -- synthetic data -------------------------------------------------------------------------


def _normalise(rows: np.ndarray) -> np.ndarray:
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def make_data(n: int, folder: Path, seed: int = 7, nested: bool = False) -> None:
    """base.npy (n rows), extra.npy (ADDED rows to add later), queries.npy, cluster labels.

    `nested`: topics belong to 200 fields (as subfields to an arXiv category) instead of being
    independent directions. Same similarity profile (`--stats`), but independent topics at 1M are
    40,000 unrelated islands, which graph indexes cannot navigate between (see the note)."""
    rng = np.random.default_rng(seed)
    centres_count = max(200, n // 25)
    shared = _normalise(rng.standard_normal((1, DIMENSION)).astype(np.float32))
    spread_out = rng.standard_normal((centres_count, DIMENSION)).astype(np.float32) / np.sqrt(DIMENSION)
    if nested:  # its own generator, so that the flat data stays as it was
        fields_rng = np.random.default_rng(seed + 1)
        fields = fields_rng.standard_normal((200, DIMENSION)).astype(np.float32) / np.sqrt(DIMENSION)
        spread_out = 0.8 * fields[fields_rng.integers(0, 200, centres_count)] + 0.6 * spread_out
    centres = _normalise(spread_out + 0.55 * shared)
    weights = 1.0 / np.arange(1, centres_count + 1) ** 0.6  # Zipf-like topic sizes
    weights /= weights.sum()
    spread = rng.uniform(0.55, 0.95, centres_count).astype(np.float32)  # tight and loose topics
    total = n + ADDED + QUERIES
    labels = rng.choice(centres_count, size=total, p=weights).astype(np.int32)
    out = np.lib.format.open_memmap(folder / "all.npy", mode="w+", dtype=np.float32, shape=(total, DIMENSION))
    for start in range(0, total, 100_000):
        part = labels[start : start + 100_000]
        noise = rng.standard_normal((len(part), DIMENSION)).astype(np.float32) / np.sqrt(DIMENSION)
        out[start : start + len(part)] = _normalise(centres[part] + spread[part, None] * noise)
    out.flush()
    np.save(folder / "labels.npy", labels)
    # A "category" filter: whole topics (as arXiv categories are), about FILTER_FRACTION of papers.
    order = rng.permutation(centres_count)
    sizes = np.bincount(labels[:n], minlength=centres_count)
    chosen = order[np.cumsum(sizes[order]) <= FILTER_FRACTION * n]
    np.save(folder / "allowed.npy", np.isin(labels[: n + ADDED], chosen))  # over base + added rows


def exact_top(base: np.ndarray, queries: np.ndarray, k: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Row numbers of the exact top-k by inner product, chunked to bound memory."""
    result = np.zeros((len(queries), k), dtype=np.int64)
    rows = np.flatnonzero(mask) if mask is not None else None
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    for start in range(0, len(base), 200_000):
        block = np.asarray(base[start : start + 200_000])
        block_rows = np.arange(start, start + len(block))
        if rows is not None:
            keep = mask[start : start + len(block)]
            block, block_rows = block[keep], block_rows[keep]
        if not len(block):
            continue
        scores = queries @ block.T
        scores = np.concatenate([best_scores, scores], axis=1)
        candidates = np.concatenate([result, np.broadcast_to(block_rows, (len(queries), len(block_rows)))], 1)
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(scores, top, 1)
        result = np.take_along_axis(candidates, top, 1)
    return result


# Topic-shaped filters measured besides allowed.npy (5%): one below the exact-filter threshold
# of the shipped class at 1M (50k keys) and one far above it.
EXTRA_FILTERS = {"1pct": 0.01, "25pct": 0.25}


def filters(folder: Path, n: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (allowed mask over the n + ADDED rows, exact filtered top-k of every query)."""
    found = {"5pct": (np.load(folder / "allowed.npy"), np.load(folder / "truth_filtered.npy"))}
    labels = np.load(folder / "labels.npy")
    for name, fraction in EXTRA_FILTERS.items():
        mask_path, truth_path = folder / f"allowed_{name}.npy", folder / f"truth_filtered_{name}.npy"
        if not truth_path.exists():
            centres_count = int(labels.max()) + 1
            order = np.random.default_rng(int(fraction * 1000)).permutation(centres_count)
            sizes = np.bincount(labels[:n], minlength=centres_count)
            chosen = order[np.cumsum(sizes[order]) <= fraction * n]
            mask = np.isin(labels[: n + ADDED], chosen)
            data = np.load(folder / "all.npy", mmap_mode="r")
            queries = np.ascontiguousarray(data[n + ADDED :])
            np.save(mask_path, mask)
            np.save(truth_path, exact_top(data[: n + ADDED], queries, K, mask))
        found[name] = (np.load(mask_path), np.load(truth_path))
    return found


def prepare(n: int, cache: Path, nested: bool = False) -> Path:
    folder = cache / (f"n{n}-nested" if nested else f"n{n}")
    if (folder / "truth_filtered.npy").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    make_data(n, folder, nested=nested)
    data = np.load(folder / "all.npy", mmap_mode="r")
    queries = np.ascontiguousarray(data[n + ADDED :])
    # The served index holds the base rows and the ADDED rows added incrementally.
    np.save(folder / "truth.npy", exact_top(data[: n + ADDED], queries, K))
    allowed = np.load(folder / "allowed.npy")
    np.save(folder / "truth_filtered.npy", exact_top(data[: n + ADDED], queries, K, allowed))
    print(f"# data n={n}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    np.save(folder / "queries.npy", queries)
    return folder


def stats(folder: Path, n: int) -> dict[str, float]:
    """How similar neighbours are: compare with real embeddings when there are some."""
    data = np.load(folder / "all.npy", mmap_mode="r")
    queries = np.asarray(data[n + ADDED : n + ADDED + 200])
    truth = np.load(folder / "truth.npy")[:200]
    base = data[: n + ADDED]
    top = np.sort(np.einsum("qd,qkd->qk", queries, np.asarray(base[truth.ravel()]).reshape(200, K, -1)), 1)
    rng = np.random.default_rng(1)
    pairs = np.einsum("qd,qd->q", queries, np.asarray(base[np.sort(rng.choice(n, 200))]))
    return {
        "top1_cosine": round(float(top[:, -1].mean()), 3),
        "top10_cosine": round(float(top[:, 0].mean()), 3),
        "random_pair_cosine": round(float(pairs.mean()), 3),
        "allowed_fraction": round(float(np.load(folder / "allowed.npy").mean()), 4),
    }


# -- the candidates -------------------------------------------------------------------------
# Each adapter: build(vectors, keys) ; add(vectors, keys) ; save(path) ; load(path, n) ;
# search(query, k) -> keys ; and optionally filtered(query, k, allowed_mask, allowed_rows) -> keys.


class NumpyExact:
    def build(self, vectors: np.ndarray, keys: np.ndarray) -> None:
        self.matrix = np.ascontiguousarray(vectors, dtype=np.float32)

    def add(self, vectors: np.ndarray, keys: np.ndarray) -> None:
        self.matrix = np.concatenate([self.matrix, vectors])

    def save(self, path: Path) -> None:
        with open(path, "wb") as stream:
            np.save(stream, self.matrix)

    def load(self, path: Path, n: int) -> None:
        self.matrix = np.load(path)

    def search(self, query: np.ndarray, k: int, **_: Any) -> np.ndarray:
        scores = self.matrix @ query
        top = np.argpartition(-scores, k - 1)[:k]
        return top[np.argsort(-scores[top])]

    def filtered(self, query: np.ndarray, k: int, mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
        scores = self.matrix[rows] @ query
        top = np.argpartition(-scores, k - 1)[:k]
        return rows[top[np.argsort(-scores[top])]]


class Hnswlib:
    def __init__(self, ef_construction: int = 100, m: int = 16) -> None:
        import hnswlib

        self.lib = hnswlib
        self.ef_construction, self.m = ef_construction, m

    def build(self, vectors: np.ndarray, keys: np.ndarray) -> None:
        self.index = self.lib.Index(space="ip", dim=vectors.shape[1])
        self.index.init_index(len(vectors) + ADDED, self.ef_construction, self.m, allow_replace_deleted=True)
        self.index.add_items(vectors, keys, num_threads=THREADS)

    def add(self, vectors: np.ndarray, keys: np.ndarray) -> None:
        self.index.add_items(vectors, keys, num_threads=THREADS)

    def save(self, path: Path) -> None:
        self.index.save_index(str(path))

    def load(self, path: Path, n: int) -> None:
        self.index = self.lib.Index(space="ip", dim=DIMENSION)
        self.index.load_index(str(path), max_elements=n + ADDED, allow_replace_deleted=True)

    def search(self, query: np.ndarray, k: int, ef: int = 64) -> np.ndarray:
        self.index.set_ef(ef)
        return self.index.knn_query(query, k, num_threads=1)[0][0]

    def filtered(self, query: np.ndarray, k: int, mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
        self.index.set_ef(256)
        return self.index.knn_query(query, k, num_threads=1, filter=lambda key: bool(mask[key]))[0][0]


class Usearch:
    def __init__(self, dtype: str = "f32", connectivity: int = 16, expansion_add: int = 100) -> None:
        from usearch.index import Index

        self.Index, self.dtype = Index, dtype
        self.connectivity, self.expansion_add = connectivity, expansion_add

    def _new(self) -> Any:
        return self.Index(
            ndim=DIMENSION,
            metric="ip",
            dtype=self.dtype,
            connectivity=self.connectivity,
            expansion_add=self.expansion_add,
        )

    def build(self, vectors: np.ndarray, keys: np.ndarray) -> None:
        self.index = self._new()
        self.index.add(keys, vectors, threads=THREADS)

    def add(self, vectors: np.ndarray, keys: np.ndarray) -> None:
        self.index.add(keys, vectors, threads=THREADS)

    def save(self, path: Path) -> None:
        self.index.save(str(path))

    def load(self, path: Path, n: int) -> None:
        self.index = self._new()
        self.index.load(str(path))

    def search(self, query: np.ndarray, k: int, ef: int = 64) -> np.ndarray:
        self.index.expansion_search = ef
        return self.index.search(query, k, threads=1).keys

    def filtered(self, query: np.ndarray, k: int, mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
        # No predicate in the Python binding: oversample by 1/fraction, then drop what is not allowed.
        wanted = min(len(mask), int(4 * k / max(len(rows) / len(mask), 1e-3)))
        self.index.expansion_search = max(64, wanted)
        keys = self.index.search(query, wanted, threads=1).keys
        return keys[mask[keys]][:k]


class FaissIvf:
    def __init__(self, lists: int | None = None) -> None:
        import faiss

        faiss.omp_set_num_threads(THREADS)
        self.faiss, self.lists = faiss, lists

    def build(self, vectors: np.ndarray, keys: np.ndarray) -> None:
        lists = self.lists or int(4 * np.sqrt(len(vectors)))
        quantiser = self.faiss.IndexFlatIP(vectors.shape[1])
        self.index = self.faiss.IndexIVFFlat(
            quantiser, vectors.shape[1], lists, self.faiss.METRIC_INNER_PRODUCT
        )
        sample = vectors[np.random.default_rng(0).choice(len(vectors), min(len(vectors), 64 * lists), False)]
        self.index.train(np.ascontiguousarray(sample))
        self.index.add_with_ids(np.ascontiguousarray(vectors), keys)

    def add(self, vectors: np.ndarray, keys: np.ndarray) -> None:
        self.index.add_with_ids(vectors, keys)

    def save(self, path: Path) -> None:
        self.faiss.write_index(self.index, str(path))

    def load(self, path: Path, n: int) -> None:
        self.faiss.omp_set_num_threads(1)
        self.index = self.faiss.read_index(str(path))

    def search(self, query: np.ndarray, k: int, ef: int = 16) -> np.ndarray:
        self.index.nprobe = ef
        return self.index.search(query[None, :], k)[1][0]

    def filtered(self, query: np.ndarray, k: int, mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
        selector = self.faiss.IDSelectorBatch(rows.astype(np.int64))
        params = self.faiss.SearchParametersIVF(sel=selector, nprobe=self.index.nlist // 4)
        return self.index.search(query[None, :], k, params=params)[1][0]


class FaissHnsw:
    def __init__(self, m: int = 32, ef_construction: int = 40) -> None:
        import faiss

        faiss.omp_set_num_threads(THREADS)
        self.faiss, self.m, self.ef_construction = faiss, m, ef_construction

    def build(self, vectors: np.ndarray, keys: np.ndarray) -> None:
        inner = self.faiss.IndexHNSWFlat(vectors.shape[1], self.m, self.faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = self.ef_construction
        self.index = self.faiss.IndexIDMap2(inner)
        self.index.add_with_ids(np.ascontiguousarray(vectors), keys)

    add = FaissIvf.add
    save = FaissIvf.save
    load = FaissIvf.load

    def search(self, query: np.ndarray, k: int, ef: int = 64) -> np.ndarray:
        params = self.faiss.SearchParametersHNSW(efSearch=ef)
        return self.index.search(query[None, :], k, params=params)[1][0]

    def filtered(self, query: np.ndarray, k: int, mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
        bitmap = np.packbits(mask, bitorder="little")
        selector = self.faiss.IDSelectorBitmap(len(mask), self.faiss.swig_ptr(bitmap))
        params = self.faiss.SearchParametersHNSW(efSearch=256, sel=selector)
        return self.index.search(query[None, :], k, params=params)[1][0]


class Papersift:
    """The shipped papersift.search.vectors.VectorIndex, measured the same way."""

    def build(self, vectors: np.ndarray, keys: np.ndarray) -> None:
        from papersift.search.vectors import VectorIndex

        self.folder: Path | None = None
        self.VectorIndex = VectorIndex
        self.pending = (vectors, keys)

    def add(self, vectors: np.ndarray, keys: np.ndarray) -> None:
        self.index.add(keys, vectors)

    def save(self, path: Path) -> None:
        if not hasattr(self, "index"):
            self.index = self.VectorIndex.open(path, DIMENSION)
            self.index.add(self.pending[1], self.pending[0])
            del self.pending
        self.index.save()

    def load(self, path: Path, n: int) -> None:
        from papersift.search.vectors import VectorIndex

        self.index = VectorIndex.open(path, DIMENSION)

    def search(self, query: np.ndarray, k: int, ef: int = 0) -> np.ndarray:
        return self.index.search(query, k, probes=ef or None)[0]

    def filtered(self, query: np.ndarray, k: int, mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self.index.search(query, k, allowed=mask)[0]


class PapersiftLists(Papersift):
    """The shipped class as it runs without usearch: numpy IVF lists above EXACT_BELOW."""

    def __init__(self) -> None:
        import papersift.search.vectors

        papersift.search.vectors._graph_class = lambda: None  # type: ignore[assignment]


ADAPTERS: dict[str, Any] = {
    "numpy": (NumpyExact, [0]),
    "hnswlib": (Hnswlib, [32, 64, 128]),
    "usearch": (lambda: Usearch("f32"), [32, 64, 128]),
    "usearch-f16": (lambda: Usearch("f16"), [32, 64, 128]),
    "usearch-i8": (lambda: Usearch("i8"), [64, 128]),
    "faiss-ivf": (FaissIvf, [8, 16, 32]),
    "faiss-hnsw": (FaissHnsw, [32, 64, 128]),
    "papersift": (Papersift, [0, 64, 1024]),  # 0: the default effort; else the graph's candidate list
    "papersift-lists": (PapersiftLists, [0]),
}


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def child_build(name: str, folder: Path, n: int, path: Path) -> dict[str, Any]:
    data = np.load(folder / "all.npy", mmap_mode="r")
    # A real copy, resident before `before`: np.ascontiguousarray of the memmap is no copy, and
    # its pages were counted in the build peak (+1.5 GB at 1M in the note's earlier figures).
    base = np.array(data[:n])
    keys = np.arange(n, dtype=np.int64)
    adapter = ADAPTERS[name][0]()
    before = rss_mb()[0]
    started = time.perf_counter()
    adapter.build(base, keys)
    adapter.save(path)  # papersift builds inside save(); the others just write
    built = time.perf_counter() - started
    extra = np.ascontiguousarray(data[n : n + ADDED])
    started = time.perf_counter()
    adapter.add(extra, np.arange(n, n + ADDED, dtype=np.int64))
    added = time.perf_counter() - started
    started = time.perf_counter()
    adapter.save(path)
    saved = time.perf_counter() - started
    size = sum(f.stat().st_size for f in path.parent.rglob("*") if f.is_file())
    return {
        "build_s": round(built, 2),
        "add_1000_s": round(added, 3),
        "save_s": round(saved, 2),
        "file_mb": round(size / 1e6, 1),
        "build_peak_rss_mb_over_data": round(rss_mb()[1] - before, 0),
        "build_loadavg": [round(x, 1) for x in os.getloadavg()],
    }


def child_serve(name: str, folder: Path, n: int, path: Path) -> dict[str, Any]:
    # Queries come from a small file so the served process holds only the index.
    queries = np.load(folder / "queries.npy")
    truth = np.load(folder / "truth.npy")
    all_filters = filters(folder, n)
    factory, efs = ADAPTERS[name]
    adapter = factory()
    before = rss_mb()[0]
    started = time.perf_counter()
    adapter.load(path, n)
    loaded = time.perf_counter() - started
    adapter.search(queries[0], K)  # first query pays lazy set-up; not counted
    serving = rss_mb()[0] - before
    result: dict[str, Any] = {
        "load_s": round(loaded, 2),
        "rss_mb": round(serving, 0),
        "loadavg": [round(x, 1) for x in os.getloadavg()],
    }
    for ef in efs:
        times, hits = [], 0
        for query, expected in zip(queries, truth, strict=True):
            t = time.perf_counter()
            found = adapter.search(query, K, ef=ef) if ef else adapter.search(query, K)
            times.append(time.perf_counter() - t)
            hits += len(set(found.tolist()) & set(expected.tolist()))
        result[f"ef{ef}"] = {
            "p50_ms": round(1000 * float(np.percentile(times, 50)), 3),
            "p99_ms": round(1000 * float(np.percentile(times, 99)), 3),
            "recall10": round(hits / truth.size, 4),
        }
    for filter_name, (mask, truth_filtered) in all_filters.items() if hasattr(adapter, "filtered") else ():
        rows = np.flatnonzero(mask)
        times, hits, leaked, short = [], 0, 0, 0
        for query, expected in zip(queries[:300], truth_filtered[:300], strict=True):
            t = time.perf_counter()
            found = adapter.filtered(query, K, mask, rows)
            times.append(time.perf_counter() - t)
            found = found[found >= 0]
            leaked += int((~mask[found]).sum())
            short += len(found) < K
            hits += len(set(found.tolist()) & set(expected.tolist()))
        result[f"filtered_{filter_name}"] = {
            "allowed": len(rows),
            "p50_ms": round(1000 * float(np.percentile(times, 50)), 3),
            "p99_ms": round(1000 * float(np.percentile(times, 99)), 3),
            "recall10": round(hits / (300 * K), 4),
            "disallowed_returned": leaked,
            "fewer_than_k": short,
        }
    result["total_rss_mb"] = round(rss_mb()[0], 0)
    return result


def run_child(stage: str, name: str, folder: Path, n: int, path: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, stage, "--lib", name, "--folder", str(folder), "--n", str(n)]
    command += ["--path", str(path)]
    output = subprocess.run(command, capture_output=True, text=True)
    if output.returncode:
        sys.exit(f"{stage} {name} n={n} failed:\n{output.stderr}")
    return json.loads(output.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def blas_threads(folder: Path, n: int, burn: int) -> None:
    """Exact single-query search over n rows: OpenBLAS with its default threads, limited to one
    (threadpoolctl), einsum (no BLAS), and the shipped class, interleaved query by query so that
    machine noise hits them alike. `burn` busy processes (at this process's niceness) add a
    known contention on top of whatever else runs."""
    from papersift.search.vectors import VectorIndex

    data = np.load(folder / "all.npy", mmap_mode="r")
    base = np.ascontiguousarray(data[:n])
    queries = np.load(folder / "queries.npy")
    index = VectorIndex(Path("/nonexistent"), DIMENSION)
    index.add(np.arange(n), base)

    def top(scores: np.ndarray) -> np.ndarray:
        best = np.argpartition(-scores, K - 1)[:K]
        return best[np.argsort(-scores[best])]

    routes: dict[str, Any] = {"blas_default_threads": lambda q: top(base @ q)}
    blas_info: Any = None
    try:
        from threadpoolctl import ThreadpoolController

        controller = ThreadpoolController()
        blas_info = [(lib["internal_api"], lib["num_threads"]) for lib in controller.info()]

        def one_thread(query: np.ndarray) -> np.ndarray:
            with controller.limit(limits=1, user_api="blas"):
                return top(base @ query)

        routes["blas_1_thread_threadpoolctl"] = one_thread
    except ImportError:
        print("# threadpoolctl is not installed: no BLAS-limited route", file=sys.stderr)
    routes["einsum"] = lambda q: top(np.einsum("ij,j->i", base, q))
    routes["papersift"] = lambda q: index.search(q, K)
    for route in routes.values():  # first calls pay lazy set-up
        route(queries[0])
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(burn)]
    try:
        time.sleep(0.5 if burn else 0)
        load_before = [round(x, 1) for x in os.getloadavg()]
        times: dict[str, list[float]] = {name: [] for name in routes}
        for query in queries:
            for name, route in routes.items():
                t = time.perf_counter()
                route(query)
                times[name].append(time.perf_counter() - t)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    result: dict[str, Any] = {"n": n, "burners": burn, "blas": blas_info, "loadavg": load_before}
    for name, values in times.items():
        result[name] = {
            "p50_ms": round(1000 * float(np.percentile(values, 50)), 3),
            "p90_ms": round(1000 * float(np.percentile(values, 90)), 3),
            "p99_ms": round(1000 * float(np.percentile(values, 99)), 3),
        }
    print(json.dumps(result), flush=True)


def crossover(folder: Path, sizes: list[int]) -> None:
    """Exact vs the shipped IVF on the first N rows, interleaved so machine noise hits both."""
    import papersift.search.vectors as vectors_module

    vectors_module._graph_class = lambda: None  # type: ignore[assignment]  # the lists, not the graph
    data = np.load(folder / "all.npy", mmap_mode="r")
    queries = np.load(folder / "queries.npy")[:300]
    for n in sizes:
        base = np.ascontiguousarray(data[:n])
        vectors_module.EXACT_BELOW = min(n, 1_000)  # force the lists
        index = vectors_module.VectorIndex(Path("/nonexistent"), DIMENSION)
        started = time.perf_counter()
        index.add(np.arange(n), base)
        index._reorganise(force=True)
        trained = time.perf_counter() - started
        exact_times, ivf_times, hits = [], [], 0
        for query in queries:
            t = time.perf_counter()
            scores = base @ query
            top = np.argpartition(-scores, K - 1)[:K]
            exact_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            found = index.search(query, K)[0]
            ivf_times.append(time.perf_counter() - t)
            hits += len(set(found.tolist()) & set(top.tolist()))
        print(
            json.dumps(
                {
                    "n": n,
                    "exact_p50_ms": round(1000 * float(np.median(exact_times)), 3),
                    "ivf_p50_ms": round(1000 * float(np.median(ivf_times)), 3),
                    "ivf_recall10": round(hits / (K * len(queries)), 4),
                    "ivf_train_s": round(trained, 2),
                }
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
    )
    parser.add_argument("stage", nargs="?", default="compare", choices=["compare", "_build", "_serve"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[75_000])
    parser.add_argument("--libs", nargs="+", default=["numpy", "hnswlib", "usearch", "faiss-ivf"])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/papersift-bench-vectors"))
    parser.add_argument("--stats", action="store_true", help="print the neighbour-similarity profile")
    parser.add_argument(
        "--crossover", type=int, nargs="+", help="exact vs IVF p50 on the first N rows of the 75k set"
    )
    parser.add_argument(
        "--topics", choices=["flat", "nested"], default="flat", help="independent topics, or topics in fields"
    )
    parser.add_argument("--blas", action="store_true", help="exact 75k: BLAS threads vs one vs einsum")
    parser.add_argument("--burn", type=int, default=0, help="busy processes during --blas")
    parser.add_argument(
        "--target", action="store_true", help="= --sizes 75000 1000000 --libs papersift numpy --blas"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 2,000 vectors, the libraries installed here, --stats --blas --crossover, "
        "in a temporary cache",
    )
    known, _ = parser.parse_known_args()
    if known.quick and known.stage == "compare":
        print("--quick: a smoke test on a tiny input; the figures below are not measurements", flush=True)
        known.sizes, known.stats, known.blas, known.crossover = [QUICK_N], True, True, [1000, QUICK_N]
        known.libs = [
            name for name in ("numpy", "papersift", "papersift-lists", "usearch") if name in ADAPTERS
        ]
        known.cache = Path(tempfile.mkdtemp(prefix="papersift-bench-vectors-quick-"))
        try:
            compare(known)
        finally:
            shutil.rmtree(known.cache, ignore_errors=True)
        return
    if known.target:
        known.sizes, known.libs, known.blas = [75_000, 1_000_000], ["papersift", "numpy"], True
    if known.stage != "compare":
        child = argparse.ArgumentParser()
        child.add_argument("stage")
        child.add_argument("--lib")
        child.add_argument("--folder", type=Path)
        child.add_argument("--n", type=int)
        child.add_argument("--path", type=Path)
        a = child.parse_args()
        os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
        stage = child_build if a.stage == "_build" else child_serve
        print(json.dumps(stage(a.lib, a.folder, a.n, a.path)))
        return
    compare(known)


def compare(known: argparse.Namespace) -> None:
    base_n = QUICK_N if known.quick else 75_000
    if known.crossover:
        crossover(prepare(base_n, known.cache), known.crossover)
        if not known.quick:
            return
    print(f"# load average before: {os.getloadavg()}", flush=True)
    if known.blas:
        blas_threads(prepare(base_n, known.cache), base_n, known.burn)
        if not known.target and not known.quick:
            return
    for n in known.sizes:
        folder = prepare(n, known.cache, nested=known.topics == "nested")
        if not (folder / "queries.npy").exists():
            data = np.load(folder / "all.npy", mmap_mode="r")
            np.save(folder / "queries.npy", np.ascontiguousarray(data[n + ADDED :]))
        filters(folder, n)  # computes the extra filters' ground truth once, here rather than in a child
        if known.stats:
            print(json.dumps({"n": n, **stats(folder, n)}), flush=True)
        for name in known.libs:
            target = folder / "indexes" / name
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            path = target / "index.bin"
            built = run_child("_build", name, folder, n, path)
            served = run_child("_serve", name, folder, n, path)
            print(json.dumps({"n": n, "topics": known.topics, "lib": name, **built, **served}), flush=True)
            shutil.rmtree(target, ignore_errors=True)  # 2 GB a library at 1M
    print(f"# max RSS of the parent: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
