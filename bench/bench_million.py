"""1,000,000 papers on PostgreSQL and on SQLite: keyword, vector and hybrid search, side by side.

Why: a lab or a company serves all of arXiv (2.5 M papers) from PostgreSQL; a person runs the
embedded SQLite default. The figures say whether PostgreSQL meets its targets at 1M (keyword p50
<= 20 ms; vector top-10 p50 <= 20 ms with recall@10 >= 0.95 against exact; hybrid p50 <= 50 ms)
and where SQLite stops being enough.

The library (`build`): the papers of a crawl library *with their all-MiniLM-L6-v2 vectors*
(--source: the shared crawl imported by `papersift ingest`, e.g. bench_semantic.py's cache
/tmp/papersift-arxiv/arxiv.db), copied, plus generated variants up to --n. Variant j of paper r:
its title with one word dropped and two swapped; its abstract's sentences shuffled, one dropped,
a sentence of another random paper added; its date moved by up to 200 days; its vector the real
one plus Gaussian noise of norm 0.6 (cosine ~0.86 to the original), renormalised. Variants are
written through the store (as an import writes, minus the duplicate matching, which would merge
them) with their vectors, so no embedding runs. `build` then times what a first search builds
beside a SQLite library: the BM25F keyword index and the vector index (usearch HNSW above 100k
papers, the `large` extra). PostgreSQL gets the same library by `papersift migrate`.

`measure` opens each --db in its own process, in turn, with the same 200 queries (bench_search.py's:
titles, authors, topics with filters, paragraphs, drawn from the real papers), and times:
- keyword: `Library.search(q, mode="keyword", limit=10)`;
- vector top-10: the query's vector (embedded before timing) -> `SemanticIndex.nearest(v, 10)`, the
  backend's own search (pgvector HNSW on PostgreSQL, the index file on SQLite); recall@10 against an
  exact scan of every stored vector, for the 200 query vectors and for 100 pessimistic ones (the
  normalised midpoint of two random papers: off the papers' manifold);
- semantic and hybrid: `Library.search(q, mode=..., limit=10)`, query embedding and filters included;
- the first search of each kind (what loading or building the indexes costs a fresh process), and
  the process's resident memory after the run.

Run (from the repository root; DIR on a disk with ~15 GB free):
    .venv/bin/python bench/bench_million.py build --source /tmp/papersift-arxiv/arxiv.db --out DIR/million.db
    URL=$(.venv/bin/python bench/pg_server.py start DIR/pg)
    time .venv/bin/papersift --db DIR/million.db migrate --to "$URL"
    .venv/bin/python bench/bench_million.py measure --db DIR/million.db --db "$URL"
    .venv/bin/python bench/bench_million.py sweep --db "$URL" [--efforts 200,400,800,1000]
    .venv/bin/python bench/pg_server.py stop DIR/pg
    .venv/bin/python bench/bench_million.py --quick   # smoke test, no verdict: build 200 papers
        from 30 embedded demo papers, migrate them to a throw-away PostgreSQL (SKIPPED when it
        cannot start here), measure both with 10 of the queries, sweep two efforts on SQLite
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import _common
import numpy as np
from _common import REPO, peak_rss_mb, percentile
from bench_search import make_queries
from bench_semantic import current_rss_mb, time_calls

MODEL = "all-MiniLM-L6-v2"
BATCH = 5_000
NOISE = 0.6
TARGETS_MS = {"keyword": 20.0, "vector": 20.0, "hybrid": 50.0}
RECALL_TARGET = 0.95
QUERY_STRIDE = 1  # every query of make_queries; --quick takes every 20th
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


# -- build -------------------------------------------------------------------------------------


def build(source: Path, out: Path, n: int, seed: int) -> None:
    from papersift import Library
    from papersift.embed.text import paper_text
    from papersift.search.semantic import text_hash

    if out.exists():
        sys.exit(f"{out} exists: remove it (and {out}-index) first")
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as original, sqlite3.connect(out) as copy:
        original.backup(copy)
    print(f"copied {source} in {time.perf_counter() - started:.1f} s", flush=True)

    with Library.open(out, embedding_model=MODEL) as lib:
        semantic = _common.semantic_index(lib)
        assert semantic is not None
        store = semantic.store
        originals = list(lib.papers())
        pks = store.pks_of([paper.id for paper in originals])
        blobs = store.embeddings_by_pk(semantic.key, list(pks.values()))
        if len(blobs) < len(originals):
            sys.exit(
                f"{source}: {len(originals) - len(blobs)} papers have no {MODEL} vector; embed them first"
            )
        vectors = np.stack([np.frombuffer(blobs[pks[paper.id]], dtype="<f4") for paper in originals])
        del blobs
        print(
            f"{len(originals):,} real papers with vectors; generating {n - len(originals):,} variants",
            flush=True,
        )

        started = time.perf_counter()
        written = 0
        for batch in _batches(_variants(originals, vectors, n, seed), BATCH):
            new_pks = store.save_papers([(None, paper, ()) for paper, _ in batch])
            store.save_embeddings(
                semantic.key,
                [
                    (pk, text_hash(paper_text(paper.title, paper.abstract)), vector.astype("<f4").tobytes())
                    for pk, (paper, vector) in zip(new_pks, batch, strict=True)
                ],
            )
            written += len(batch)
            if written % 100_000 < BATCH:
                rate = written / (time.perf_counter() - started)
                print(f"  {written:,} variants written ({rate:,.0f}/s)", flush=True)
        # Every stored paper has its vector: nothing is left for `embed_pending` to do.
        store.set_embedded_through(semantic.key, store.change_sequence())
        seconds = time.perf_counter() - started
        print(f"wrote {written:,} variants with vectors in {seconds:.0f} s ({written / seconds:,.0f}/s)")

    with Library.open(out, embedding_model=MODEL) as lib:
        for mode in ("keyword", "semantic"):
            started = time.perf_counter()
            lib.search("graph neural networks", mode=mode, limit=10)
            print(
                f"first {mode} search (builds its index): {time.perf_counter() - started:.0f} s",
                flush=True,
            )
        print(
            f"{lib.stats()['papers']:,} papers; peak RSS {peak_rss_mb():.0f} MB; database "
            f"{out.stat().st_size / 2**30:.1f} GB"
        )


def _variants(
    originals: list[Any], vectors: np.ndarray, n: int, seed: int
) -> Iterator[tuple[Any, np.ndarray]]:
    """(paper, vector) for generated papers len(originals)+1 .. n (see the module docstring)."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    sentences = [_SENTENCE_END.split(paper.abstract) for paper in originals]
    count = len(originals)
    for number in range(count, n):
        row, generation = number % count, number // count
        paper = originals[row]
        words = paper.title.split()
        if len(words) > 3:
            words.pop(rng.randrange(len(words)))
            first, second = rng.randrange(len(words)), rng.randrange(len(words))
            words[first], words[second] = words[second], words[first]
        parts = list(sentences[row])
        rng.shuffle(parts)
        if len(parts) > 2:
            parts.pop()
        parts.append(rng.choice(sentences[rng.randrange(count)]))
        published = paper.published + timedelta(days=rng.randint(-200, 200)) if paper.published else None
        variant = dataclasses.replace(
            paper,
            id=f"synthetic-{generation}-{paper.id}",
            title=" ".join(words),
            abstract=" ".join(parts),
            published=published,
            updated=published,
            arxiv_id=None,
            doi=None,
            source="synthetic",
            source_id=None,
            abs_url=None,
            pdf_url=None,
            title_raw=None,
            abstract_raw=None,
            code=(),
            project_urls=(),
            results=(),
        )
        jitter = noise.standard_normal(vectors.shape[1]).astype(np.float32)
        vector = vectors[row] + NOISE * jitter / np.linalg.norm(jitter)
        yield variant, vector / np.linalg.norm(vector)


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- measure -----------------------------------------------------------------------------------


def measure(locations: list[str], seed: int) -> None:
    from papersift import Library

    with Library.open(locations[0], embedding_model=MODEL) as lib:
        queries = _queries(lib, seed)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-million-") as folder:
        query_file = Path(folder) / "queries.json"
        query_file.write_text(json.dumps(queries))
        for location in locations:
            print(f"\n== {_backend(location)}: {location}", flush=True)
            completed = subprocess.run(
                [sys.executable, __file__, "child", "--db", location, "--queries", str(query_file),
                 "--seed", str(seed)],
                cwd=REPO, stdout=subprocess.PIPE, text=True, check=False,
            )  # fmt: skip
            if completed.returncode != 0:
                sys.exit(f"measuring {location} failed (exit {completed.returncode})")
            results.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    _report(results, len(queries))


def child(location: str, query_file: Path, seed: int) -> None:
    """One backend's figures, printed as the last line (JSON)."""
    from papersift import Library
    from papersift.search.semantic import _query_vector

    queries: list[tuple[str, str]] = [tuple(q) for q in json.loads(query_file.read_text())]  # type: ignore[misc]
    figures: dict[str, Any] = {"backend": _backend(location), "location": location}
    lib = Library.open(location, embedding_model=MODEL)
    figures["papers"] = lib.stats()["papers"]
    for mode in ("keyword", "semantic"):
        started = time.perf_counter()
        lib.search("graph neural networks", mode=mode, limit=10)
        figures[f"first_{mode}_s"] = round(time.perf_counter() - started, 1)
        print(f"first {mode} search: {figures[f'first_{mode}_s']} s", file=sys.stderr, flush=True)
    semantic = _common.semantic_index(lib)
    assert semantic is not None
    query_vectors = np.stack([semantic.embed_query(text) for _, text in queries])

    timings: dict[str, list[float]] = {}
    for mode in ("keyword", "semantic", "hybrid"):
        for _, text in queries:  # warm-up pass: the timed pass sees warm pages, as a server does
            lib.search(text, mode=mode, limit=10)
        _query_vector.cache_clear()  # ... but embeds each query again, as for a new query
        timings[mode] = time_calls(
            [lambda t=text, m=mode: lib.search(t, mode=m, limit=10) for _, text in queries]
        )
    for vector in query_vectors:
        semantic.nearest(vector, 10)
    found: list[list[int]] = []
    timings["vector"] = time_calls(
        [lambda v=v: found.append(semantic.nearest(v, 10)[0]) for v in query_vectors]
    )

    print("exact scan of every vector for recall ...", file=sys.stderr, flush=True)
    keys, matrix = _all_vectors(semantic)
    figures["recall_queries"] = _recall(found, _exact(matrix, keys, query_vectors))
    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, len(keys), size=(100, 2))
    midpoints = matrix[pairs[:, 0]] + matrix[pairs[:, 1]]
    midpoints /= np.linalg.norm(midpoints, axis=1, keepdims=True)
    found_mid = [semantic.nearest(v, 10)[0] for v in midpoints]
    figures["recall_midpoints"] = _recall(found_mid, _exact(matrix, keys, midpoints))
    del matrix
    for name, values in timings.items():
        ordered = sorted(values)
        figures[name] = {"p50": percentile(ordered, 0.5), "p90": percentile(ordered, 0.9),
                         "p99": percentile(ordered, 0.99)}  # fmt: skip
    figures["rss_mb"] = current_rss_mb()
    figures["peak_rss_mb"] = peak_rss_mb()
    figures["load"] = os.getloadavg()[0]
    lib.close()
    print(json.dumps(figures))


def _queries(lib: Any, seed: int) -> list[tuple[str, str]]:
    """bench_search.py's 200 (kind, query) pairs, drawn from the real papers (not the variants)."""
    real = [
        {"id": p.id, "title": p.title, "abstract": p.abstract, "authors": list(p.authors),
         "categories": list(p.categories), "year": p.year}
        for p in lib.papers()
        if p.source != "synthetic"
    ]  # fmt: skip
    return make_queries(real, seed=seed)[::QUERY_STRIDE]


def sweep(location: str, efforts: list[int], seed: int) -> None:
    """Vector top-10 recall and latency by search effort: pgvector's hnsw.ef_search on PostgreSQL,
    the usearch graph's search expansion on SQLite (the module constants papersift reads per
    query, set here for each step)."""
    import papersift.search.vectors as vector_index
    import papersift.store.postgres as postgres_store
    from papersift import Library

    lib = Library.open(location, embedding_model=MODEL)
    semantic = _common.semantic_index(lib)
    assert semantic is not None
    query_vectors = np.stack([semantic.embed_query(text) for _, text in _queries(lib, seed)])
    keys, matrix = _all_vectors(semantic)
    pairs = np.random.default_rng(seed).integers(0, len(keys), size=(100, 2))
    midpoints = matrix[pairs[:, 0]] + matrix[pairs[:, 1]]
    midpoints /= np.linalg.norm(midpoints, axis=1, keepdims=True)
    truth, truth_mid = _exact(matrix, keys, query_vectors), _exact(matrix, keys, midpoints)
    del matrix
    print(f"{_backend(location)}, {len(keys):,} vectors: effort, recall@10 queries / midpoints, p50 / p99 ms")
    for effort in efforts:
        postgres_store.HNSW_EF_SEARCH = postgres_store.HNSW_EF_SEARCH_LARGE = effort
        vector_index.GRAPH_EXPANSION_SEARCH = effort
        for vector in query_vectors:  # warm-up
            semantic.nearest(vector, 10)
        found: list[list[int]] = []
        timings = sorted(
            time_calls([lambda v=v, f=found: f.append(semantic.nearest(v, 10)[0]) for v in query_vectors])
        )
        found_mid = [semantic.nearest(v, 10)[0] for v in midpoints]
        print(f"  {effort:5d}  {_recall(found, truth):.3f} / {_recall(found_mid, truth_mid):.3f}  "
              f"{percentile(timings, 0.5):6.1f} / {percentile(timings, 0.99):6.1f}", flush=True)  # fmt: skip
    lib.close()


def quick() -> None:
    """--quick: every step on a tiny library in a temporary folder."""
    global QUERY_STRIDE
    QUERY_STRIDE = 20
    _common.quick_note()
    with tempfile.TemporaryDirectory(prefix="bench-million-") as name:
        folder = Path(name)
        source = Path(_common.quick_library(folder, 30, location=str(folder / "source.db")))
        out = folder / "million.db"
        build(source, out, 200, seed=7)
        locations = [str(out)]
        with _common.quick_postgres(folder) as url:
            if url is not None:
                started = time.perf_counter()
                subprocess.run(
                    [str(REPO / ".venv" / "bin" / "papersift"), "--db", str(out), "migrate", "--to", url],
                    check=True,
                    cwd=REPO,
                    stdout=subprocess.DEVNULL,
                )
                print(f"migrated to PostgreSQL in {time.perf_counter() - started:.1f} s", flush=True)
                locations.append(url)
            measure(locations, seed=7)
            sweep(str(out), [50, 100], seed=7)


def _all_vectors(semantic: Any) -> tuple[np.ndarray, np.ndarray]:
    keys: list[int] = []
    blobs: list[bytes] = []
    for batch in semantic.store.iter_embeddings(semantic.key):
        keys.extend(pk for pk, _ in batch)
        blobs.extend(vector for _, vector in batch)
    matrix = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(keys), -1)
    return np.array(keys), matrix


def _exact(matrix: np.ndarray, keys: np.ndarray, queries: np.ndarray) -> list[list[int]]:
    scores = matrix @ queries.T
    best = np.argpartition(-scores, 10, axis=0)[:10].T
    return [keys[row].tolist() for row in best]


def _recall(found: list[list[int]], exact: list[list[int]]) -> float:
    hits = sum(len(set(mine) & set(truth)) for mine, truth in zip(found, exact, strict=True))
    return round(hits / sum(len(truth) for truth in exact), 4)


def _backend(location: str) -> str:
    return "PostgreSQL" if location.startswith("postgres") else "SQLite"


def _report(results: list[dict[str, Any]], queries: int) -> None:
    names = [r["backend"] for r in results]
    print(f"\n{results[0]['papers']:,} papers, {queries} queries, 10 results, after a warm-up pass (ms)")
    print(f"{'':34}" + "".join(f"{name:>24}" for name in names))
    rows: list[tuple[str, Any]] = [
        ("keyword p50 / p99", lambda r: f"{r['keyword']['p50']:.1f} / {r['keyword']['p99']:.1f}"),
        ("vector top-10 p50 / p99", lambda r: f"{r['vector']['p50']:.1f} / {r['vector']['p99']:.1f}"),
        (
            "vector recall@10 queries / midpts",
            lambda r: f"{r['recall_queries']:.3f} / {r['recall_midpoints']:.3f}",
        ),
        ("semantic search p50 / p99", lambda r: f"{r['semantic']['p50']:.1f} / {r['semantic']['p99']:.1f}"),
        ("hybrid search p50 / p99", lambda r: f"{r['hybrid']['p50']:.1f} / {r['hybrid']['p99']:.1f}"),
        ("first keyword / semantic (s)", lambda r: f"{r['first_keyword_s']} / {r['first_semantic_s']}"),
        ("RSS after / peak (MB)", lambda r: f"{r['rss_mb']:.0f} / {r['peak_rss_mb']:.0f}"),
        ("load average at the end", lambda r: f"{r['load']:.1f}"),
    ]
    for label, cell in rows:
        print(f"{label:34}" + "".join(f"{cell(r):>24}" for r in results))
    for r in results:
        for name, limit in TARGETS_MS.items():
            verdict = "ok" if r[name]["p50"] <= limit else "MISSED"
            print(f"{r['backend']}: {name} p50 <= {limit:.0f} ms: {r[name]['p50']:.1f} ({verdict})")
        verdict = "ok" if r["recall_queries"] >= RECALL_TARGET else "MISSED"
        print(f"{r['backend']}: vector recall@10 >= {RECALL_TARGET}: {r['recall_queries']:.3f} ({verdict})")
    print(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test, no step: build, migrate to PostgreSQL, measure and sweep 200 papers",
    )
    steps = parser.add_subparsers(dest="step")
    make = steps.add_parser("build", help="the 1M SQLite library and its indexes")
    make.add_argument("--source", type=Path, required=True, help="a crawl library with its vectors")
    make.add_argument("--out", type=Path, required=True)
    make.add_argument("--n", type=int, default=1_000_000)
    run = steps.add_parser("measure", help="search figures of each library, side by side")
    run.add_argument("--db", action="append", required=True, help="a SQLite path or postgresql:// URL")
    tune = steps.add_parser("sweep", help="vector recall and latency by search effort, one library")
    tune.add_argument("--db", required=True, help="a SQLite path or postgresql:// URL")
    tune.add_argument("--efforts", default="200,400,800,1000", help="comma-separated search efforts")
    one = steps.add_parser("child")
    one.add_argument("--db", required=True)
    one.add_argument("--queries", type=Path, required=True)
    for step in (make, run, tune, one):
        step.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.quick:
        quick()
    elif args.step is None:
        parser.error("a step is required (build, measure, sweep), or --quick")
    elif args.step == "build":
        build(args.source, args.out, args.n, args.seed)
    elif args.step == "measure":
        measure(args.db, args.seed)
    elif args.step == "sweep":
        sweep(args.db, [int(effort) for effort in args.efforts.split(",")], args.seed)
    else:
        child(args.db, args.queries, args.seed)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "bench"))
    main()
