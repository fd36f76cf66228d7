"""Measure search by meaning over the 74,728-paper arXiv crawl: latency of hybrid, semantic and
keyword search, of similar papers, and the memory of a serving process; and the embedding run.

Why: hybrid search is the default, so it must stay interactive: targets over those papers are
hybrid p50 <= 20 ms and p99 <= 60 ms *including the query's embedding*, similar papers p50 <= 10 ms
(arxiv-sanity-lite trains an SVM per request: ~2.5 s at this size), serving RSS <= 800 MB.

The 200 queries are bench_search.py's (titles, authors, topics with filters, 150-300-word
paragraphs; fixed seed); each runs in every mode after a warm-up pass, in one process, so the
modes are compared side by side. Similar papers are asked for 200 random papers. Memory is the
resident set of that process after everything is loaded and every query ran (what a server
holds), and its peak.

The database must hold the crawl *with its embeddings*. Without --db it is built in --cache by
`papersift ingest` (the way a user builds it), which also gives the whole embedding run's time:
about 20 minutes on 2 cores, once; later runs reuse it.

Run:   .venv/bin/python bench/bench_semantic.py [--db PATH | --cache DIR] [--data PATH] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common
from _common import QUICK_PAPERS, REPO, add_data_argument, arxiv_subset, peak_rss_mb, percentile, quick_note
from bench_search import KINDS, make_queries, summary

MODES = ("hybrid", "semantic", "keyword")
TARGETS = {"hybrid_p50": 20.0, "hybrid_p99": 60.0, "similar_p50": 10.0, "rss_mb": 800.0}
MODEL = "all-MiniLM-L6-v2"


def current_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def build(data: Path, cache: Path, records: int | None = None) -> Path:
    """The crawl (or its first `records`) imported and embedded by `papersift ingest` (reused when
    already complete)."""
    db = cache / "arxiv.db"
    cache.mkdir(parents=True, exist_ok=True)
    source = arxiv_subset(data, records, cache)
    command = [
        str(Path(sys.executable).with_name("papersift")),
        "--db",
        str(db),
        "ingest",
        str(source),
        "--json",
    ]
    print(f"$ {' '.join(command)}  (embeds what is not embedded yet)", flush=True)
    started = time.perf_counter()
    finished = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PAPERSIFT_EMBEDDING_MODEL": MODEL},
    )
    if finished.returncode != 0:
        sys.exit(finished.stderr)
    report = json.loads(finished.stdout)
    seconds = time.perf_counter() - started
    print(f"  {report['added']:,} new papers, {report['embedded']:,} embedded in {seconds:.0f} s", end="")
    print(f" ({report['embedded'] / seconds:.1f} papers/s overall)" if report["embedded"] else "")
    return db


def time_calls(calls: list[Any]) -> list[float]:
    timings = []
    for call in calls:
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_argument(parser)
    parser.add_argument(
        "--db", help="a library of the crawl with its embeddings (a SQLite path or a postgresql:// URL)"
    )
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "papersift-arxiv")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test, no verdict: the first {QUICK_PAPERS} papers of the crawl in a temporary cache, "
        "20 queries",
    )
    args = parser.parse_args()
    if args.quick and not args.db:
        quick_note()
        with tempfile.TemporaryDirectory(prefix="papersift-semantic-quick-") as cache:
            run(args, str(build(args.data, Path(cache), QUICK_PAPERS)))
        return
    run(args, args.db or build(args.data, args.cache))


def run(args: argparse.Namespace, db: str | Path) -> None:

    from papersift import Library
    from papersift.search.semantic import _query_vector

    baseline_rss = current_rss_mb()
    started = time.perf_counter()
    lib = Library.open(db, embedding_model=MODEL)
    stats = lib.stats()
    print(f"{stats['papers']:,} papers, {stats['embedded']:,} embedded ({stats['embedding_model']})")
    if stats["embedded"] < stats["papers"]:
        sys.exit("not every paper is embedded: run `papersift index` on this database first")
    lib.search("warm up", limit=10)
    lib.similar(next(lib.papers()).id, limit=10)
    print(f"ready in {time.perf_counter() - started:.1f} s (indexes loaded, embedder started)")

    papers = [
        {
            "id": p.id,
            "title": p.title,
            "abstract": p.abstract,
            "authors": list(p.authors),
            "categories": list(p.categories),
            "year": p.published.year if p.published else None,
        }
        for p in lib.papers()
    ]
    queries = make_queries(papers)[:: 10 if args.quick else 1]  # --quick: 20 of the 200
    rng = random.Random(7)
    similar_ids = [p["id"] for p in rng.sample(papers, min(20 if args.quick else 200, len(papers)))]
    del papers

    timings: dict[str, list[float]] = {}
    for mode in MODES:  # warm-up pass, then the timed pass
        time_calls([lambda q=q, m=mode: lib.search(q, mode=m, limit=10) for _, q in queries])
    for mode in MODES:
        _query_vector.cache_clear()  # the timed pass embeds every query again, as a new query is
        timings[mode] = time_calls([lambda q=q, m=mode: lib.search(q, mode=m, limit=10) for _, q in queries])
    _query_vector.cache_clear()
    embed_only = time_calls([lambda q=q: _common.semantic_index(lib).embed_query(q) for _, q in queries])
    timings["similar"] = time_calls([lambda i=i: lib.similar(i, limit=10) for i in similar_ids])
    serving_rss = current_rss_mb()

    print(f"\nLibrary.search(q, mode=..., limit=10), {len(queries)} queries after a warm-up pass (ms)")
    print(f"{'mode':10}{'kind':12}{'queries':>8}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}")
    for mode in MODES:
        for kind in [*KINDS, "all"]:
            mine = [t for (k, _), t in zip(queries, timings[mode], strict=True) if kind in ("all", k)]
            print(f"{mode:10}{kind:12}{len(mine):8}{summary(mine)}")
    print(f"{'(query embedding alone)':22}{len(embed_only):8}{summary(embed_only)}")
    print(f"\nLibrary.similar(id, limit=10), {len(similar_ids)} random papers (ms)")
    print(f"{'similar':22}{len(similar_ids):8}{summary(timings['similar'])}")
    print(
        f"\nmemory: serving process RSS {serving_rss:.0f} MB "
        f"(interpreter before opening: {baseline_rss:.0f} MB), peak {peak_rss_mb():.0f} MB"
    )
    hybrid = sorted(timings["hybrid"])
    figures = {
        "hybrid_p50": percentile(hybrid, 0.5),
        "hybrid_p99": percentile(hybrid, 0.99),
        "similar_p50": percentile(sorted(timings["similar"]), 0.5),
        "rss_mb": serving_rss,
    }
    print(json.dumps({k: round(v, 2) for k, v in figures.items()}))
    missed = [k for k, v in figures.items() if v > TARGETS[k]]
    for name, limit in TARGETS.items():
        print(f"target {name} <= {limit}: {figures[name]:.2f} ({'MISSED' if name in missed else 'ok'})")
    print(f"load average during the run: {os.getloadavg()}")
    lib.close()
    sys.exit(1 if missed and not args.quick else 0)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "bench"))
    main()
