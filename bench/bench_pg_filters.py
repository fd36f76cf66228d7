"""Filtered vector search on PostgreSQL: exact over the allowed papers, or through the HNSW index.

Why: `PostgresStore.nearest` is exact over the allowed papers up to `EXACT_FILTER_BELOW` and goes
through the index above it; this measures both routes side by side for random filters of
growing size, to place that threshold (the exact route costs per allowed row, the index route per
candidate it over-fetches).

Run:   .venv/bin/python bench/bench_pg_filters.py --db postgresql://... [--sizes 1000 5000 20000 50000]
       (a library with embeddings, e.g. the crawl copied by `papersift migrate`)
       .venv/bin/python bench/bench_pg_filters.py --quick   # smoke test: a throw-away PostgreSQL
           with a few embedded demo papers (SKIPPED when PostgreSQL cannot start here)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import _common
import numpy as np

MODEL = _common.MODEL
QUICK_PAPERS = 12


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a postgresql:// URL of a library with embeddings (required)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000, 50000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: a throw-away PostgreSQL with {QUICK_PAPERS} embedded demo papers, sizes 3 and 8",
    )
    args = parser.parse_args()
    if not args.quick:
        if not args.db:
            parser.error("--db is required (or --quick)")
        run(args, args.db)
        return
    _common.quick_note()
    args.sizes, args.repeat = [3, 8], 2
    with tempfile.TemporaryDirectory(prefix="bench-pg-filters-") as folder_name:
        folder = Path(folder_name)
        with _common.quick_postgres(folder) as url:
            if url is None:
                return
            _common.quick_library(folder, QUICK_PAPERS, location=url)
            run(args, url)


def run(args: argparse.Namespace, url: str) -> None:
    import papersift.store.postgres as postgres
    from papersift.store import open_store

    store = open_store(url)
    assert isinstance(store, postgres.PostgresStore)
    total = store.count_embeddings(MODEL)
    query = np.frombuffer(store.embeddings_by_pk(MODEL, [5])[5], dtype="<f4")
    rng = np.random.default_rng(1)
    print(f"{total:,} vectors; top 10 of a random filter, median of {args.repeat} (ms)")
    for size in args.sizes:
        allowed = np.sort(rng.choice(np.arange(1, total + 1), size, replace=False))
        line = [f"{size:>8,} allowed"]
        found = {}
        for route, threshold in (("exact", 10**9), ("index", 0)):
            postgres.EXACT_FILTER_BELOW = threshold
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                found[route] = [pk for pk, _ in store.nearest(MODEL, query, 10, allowed)]
                times.append(time.perf_counter() - started)
            line.append(f"{route} {statistics.median(times) * 1000:6.1f}")
        overlap = len(set(found["exact"]) & set(found["index"])) / 10
        print("  ".join(line), f" index recall@10 {overlap:.2f}")
    store.close()


if __name__ == "__main__":
    main()
