"""Measure keyword-search latency over the 74,728-paper arXiv crawl, beside a linear substring scan.

Why: search must feel instant on a laptop: targets p50 <= 5 ms and p99 <= 30 ms for
`Library.search(q, limit=10)` in a warm process, whatever users type. The 200 queries (fixed
seed) mix four kinds drawn from the papers themselves:

  title      80  3-6 consecutive words of a random title, one in three in quotes (a phrase)
  author     40  a random author's full name, half of them as an `author:"..."` filter
  topic      40  2-4 common research words of one paper, some with `cat:` or `year:` filters
  paragraph  40  the first 150-300 words of a random abstract ("papers like this text")

It also times a cold start (a fresh interpreter: import, `Library.open`, first search), which is
what each `papersift search` on the command line pays, and the way arxiv-sanity-lite searches:
a linear scan over every paper held in a Python list, scoring each by how many query words occur
(`word in lowercased title+abstract`). The scan is slow on paragraphs (seconds a query), so it runs
on the first --scan-per-kind queries of each kind (default 10; --scan-all for all 200), and
papersift's figures on that same sample are printed beside it.

Run:   .venv/bin/python bench/bench_search.py [--quick] [--db PATH] [--data PATH] [--scan-all]
       Without --db the database is built in a temporary folder from the shared crawl (about
       15 s; --quick, a smoke test with no verdict, builds it from the first 1,000 records). With
       --db, queries are drawn from the papers it holds; papers are not changed (the keyword
       index beside it may be brought up to date, as any search does).
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import (
    add_data_argument,
    arxiv_subset,
    keyword_path,
    peak_rss_mb,
    percentile,
    quick_note,
    run_child,
)

KINDS = {"title": 80, "author": 40, "topic": 40, "paragraph": 40}
SEED = 20250318
TARGET_P50_MS = 5.0
TARGET_P99_MS = 30.0
COLD_QUERY = "diffusion models for video generation"
_WORD = re.compile(r"[A-Za-z][A-Za-z-]+[A-Za-z]")
_COMMON_SKIP = frozenset(
    """about above across after again against also among an and any are based been being between both
    but can could does during each either even every first from further have having here high how
    however into its itself large learning many model models more most much new novel our over paper
    propose proposed show shows such than that their them then there these they this those through
    towards under using various very via was well were what when where which while with within
    without work yet approach method methods results""".split()  # noqa: SIM905
)


# -- queries ----------------------------------------------------------------------------------


def make_queries(
    papers: list[dict[str, Any]], seed: int = SEED, common: set[str] | None = None
) -> list[tuple[str, str]]:
    """(kind, query) pairs drawn from the papers with a fixed seed. `common`: the topic words
    (`common_words(papers)`), when the caller makes queries for many seeds (counting them is 95%
    of a call)."""
    rng = random.Random(seed)
    queries: list[tuple[str, str]] = []
    for _ in range(KINDS["title"]):
        words = rng.choice(papers)["title"].split()
        size = min(len(words), rng.randint(3, 6))
        start = rng.randint(0, len(words) - size)
        phrase = " ".join(w.strip(".,:;()[]{}!?\"'") for w in words[start : start + size]).strip()
        phrase = phrase.replace('"', "")
        queries.append(("title", f'"{phrase}"' if rng.random() < 1 / 3 else phrase))
    for number in range(KINDS["author"]):
        authors = [a for a in rng.choice([p for p in rng.sample(papers, 20) if p["authors"]])["authors"]]
        name = rng.choice(authors).replace('"', "")
        queries.append(("author", f'author:"{name}"' if number % 2 else name))
    common = common if common is not None else common_words(papers)
    for number in range(KINDS["topic"]):
        while True:
            paper = rng.choice(papers)
            found = list(
                dict.fromkeys(w.lower() for w in _WORD.findall(paper["title"] + " " + paper["abstract"]))
            )
            candidates = [w for w in found if w in common]
            if len(candidates) >= 4:
                break
        words = rng.sample(candidates, rng.randint(2, 4))
        text = " ".join(words)
        if number % 4 == 1 and paper["categories"]:
            text += f" cat:{paper['categories'][0]}"
        elif number % 4 == 3 and paper["year"]:
            text += f" year:{paper['year']}"
        queries.append(("topic", text))
    for _ in range(KINDS["paragraph"]):
        words = rng.choice([p for p in rng.sample(papers, 20) if len(p["abstract"].split()) >= 150])[
            "abstract"
        ].split()
        queries.append(("paragraph", " ".join(words[: rng.randint(150, 300)])))
    return queries


def common_words(papers: list[dict[str, Any]]) -> set[str]:
    """Words in 0.2%-5% of the titles: the vocabulary of research topics."""
    frequency: Counter[str] = Counter()
    for paper in papers:
        frequency.update({w.lower() for w in _WORD.findall(paper["title"])})
    low, high = len(papers) * 0.002, len(papers) * 0.05
    return {w for w, n in frequency.items() if low <= n <= high and len(w) >= 4 and w not in _COMMON_SKIP}


# -- the two engines --------------------------------------------------------------------------


def time_papersift(lib: Any, queries: list[tuple[str, str]]) -> list[float]:
    """Milliseconds per query, after one warm-up pass over all queries."""
    for _, query in queries:
        lib.search(query, limit=10)
    timings = []
    for _, query in queries:
        start = time.perf_counter()
        lib.search(query, limit=10)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def linear_scan(texts: list[str], ids: list[str], query: str, limit: int = 10) -> list[str]:
    """arxiv-sanity-lite's idea: score every paper by how many query words its text contains."""
    words = set(query.lower().replace('"', " ").split())
    scored = ((sum(w in text for w in words), i) for i, text in enumerate(texts))
    return [ids[i] for score, i in heapq.nlargest(limit, scored) if score > 0]


def time_scan(texts: list[str], ids: list[str], queries: list[tuple[str, str]]) -> list[float]:
    timings = []
    for _, query in queries:
        start = time.perf_counter()
        linear_scan(texts, ids, query)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


# -- cold start -------------------------------------------------------------------------------


def cold_child(db: Path) -> None:
    """In a fresh interpreter: import, open, first search, second search; print JSON."""
    start = time.perf_counter()
    from papersift import Library
    from papersift.search.keyword import KeywordIndex

    imported = time.perf_counter()
    lib = Library.open(db)
    opened = time.perf_counter()
    hits = lib.search(COLD_QUERY, limit=10)
    first = time.perf_counter()
    lib.search(COLD_QUERY + " benchmark", limit=10)
    second = time.perf_counter()
    loads = KeywordIndex.load(keyword_path(lib)) is not None
    print(
        json.dumps(
            {
                "import_s": imported - start,
                "open_s": opened - imported,
                "first_search_s": first - opened,
                "second_search_s": second - first,
                "total_s": first - start,
                "hits": len(hits),
                "peak_rss_mb": peak_rss_mb(),
                "index_file_loads": loads,
            }
        )
    )


# -- report -----------------------------------------------------------------------------------


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    return (
        f"{percentile(ordered, 0.5):9.2f}{percentile(ordered, 0.9):9.2f}"
        f"{percentile(ordered, 0.99):9.2f}{ordered[-1]:9.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_argument(parser)
    parser.add_argument("--db", type=Path, help="an existing database to search instead of building one")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test, no verdict: 1,000-record database, 3 queries a kind for the scan, one cold start",
    )
    parser.add_argument("--scan-per-kind", type=int, help="queries of each kind for the linear scan (10)")
    parser.add_argument("--scan-all", action="store_true", help="run the linear scan on all 200 queries")
    parser.add_argument("--cold-runs", type=int, help="cold starts to time (3)")
    parser.add_argument("--cold-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold_child:
        cold_child(args.cold_child)
        return
    if args.quick:
        quick_note()
    with tempfile.TemporaryDirectory(prefix="papersift-bench-") as scratch:
        db = args.db
        if db is None:
            db = Path(scratch) / "papers.db"
            source = arxiv_subset(args.data, 1_000 if args.quick else None, Path(scratch))
            print(f"building {db} from {source} ...", flush=True)
            script = Path(__file__).with_name("bench_ingest.py")
            built = run_child(script, ["--child", str(db), str(source), "on"])
            print(f"  {built['added']:,} papers in {built['ingest_s']:.1f} s")
        run(args, db)


def run(args: argparse.Namespace, db: Path) -> None:
    from papersift import Library

    lib = Library.open(db)
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
    queries = make_queries(papers)
    started = time.perf_counter()
    lib.search("warm up", limit=10)  # loads or builds the keyword index
    print(
        f"{len(papers):,} papers; keyword index ready in {time.perf_counter() - started:.1f} s "
        f"(first search in this process)"
    )
    timings = time_papersift(lib, queries)
    print(f"\npapersift Library.search(q, limit=10), {len(queries)} queries after a warm-up pass (ms)")
    print(f"{'kind':12}{'queries':>8}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}")
    for kind in KINDS:
        mine = [t for (k, _), t in zip(queries, timings, strict=True) if k == kind]
        print(f"{kind:12}{len(mine):8}{summary(mine)}")
    print(f"{'all':12}{len(timings):8}{summary(timings)}")
    ordered = sorted(timings)
    p50, p99 = percentile(ordered, 0.5), percentile(ordered, 0.99)
    print(
        f"targets: p50 <= {TARGET_P50_MS} ms: {p50:.2f} ({'ok' if p50 <= TARGET_P50_MS else 'MISSED'}); "
        f"p99 <= {TARGET_P99_MS} ms: {p99:.2f} ({'ok' if p99 <= TARGET_P99_MS else 'MISSED'})"
    )
    slowest = sorted(zip(timings, queries, strict=True), reverse=True)[:3]
    for ms, (kind, query) in slowest:
        print(f"  slowest: {ms:7.2f} ms  {kind:9} {query[:70]!r}")
    lib.close()

    per_kind = len(queries) if args.scan_all else (args.scan_per_kind or (3 if args.quick else 10))
    sample = [i for kind in KINDS for i in [j for j, (k, _) in enumerate(queries) if k == kind][:per_kind]]
    texts = [(p["title"] + " " + p["abstract"]).lower() for p in papers]
    ids = [p["id"] for p in papers]
    del papers
    print(
        f"\nlinear substring scan (arxiv-sanity-lite's way) on {len(sample)} of the queries ...", flush=True
    )
    scan = time_scan(texts, ids, [queries[i] for i in sample])
    print(f"\nside by side on those {len(sample)} queries: p50 / p99 in ms, ratio of means")
    print(
        f"{'kind':12}{'queries':>8}{'papersift p50':>15}{'scan p50':>12}{'papersift p99':>15}"
        f"{'scan p99':>12}{'scan/papersift':>16}"
    )
    for kind in [*KINDS, "all"]:
        rows = [n for n, i in enumerate(sample) if kind in ("all", queries[i][0])]
        mine = sorted(timings[sample[n]] for n in rows)
        theirs = sorted(scan[n] for n in rows)
        ratio = statistics.fmean(theirs) / statistics.fmean(mine)
        print(
            f"{kind:12}{len(rows):8}{percentile(mine, 0.5):15.2f}{percentile(theirs, 0.5):12.1f}"
            f"{percentile(mine, 0.99):15.2f}{percentile(theirs, 0.99):12.1f}{ratio:15.0f}x"
        )

    runs = args.cold_runs or (1 if args.quick else 3)
    print(
        f"\ncold start in a fresh interpreter (what `papersift search` pays), {runs} run(s) ...", flush=True
    )
    colds = [run_child(Path(__file__).resolve(), ["--cold-child", str(db)]) for _ in range(runs)]
    print(f"{'':32}" + "".join(f"{'run ' + str(n + 1):>10}" for n in range(runs)))
    for label, key, scale, form in [
        ("import papersift (ms)", "import_s", 1000, "{:.0f}"),
        ("Library.open (ms)", "open_s", 1000, "{:.0f}"),
        ("first search (ms)", "first_search_s", 1000, "{:.0f}"),
        ("total to first hits (ms)", "total_s", 1000, "{:.0f}"),
        ("second search (ms)", "second_search_s", 1000, "{:.1f}"),
        ("peak RSS (MB)", "peak_rss_mb", 1, "{:.0f}"),
    ]:
        print(f"{label:32}" + "".join(f"{form.format(c[key] * scale):>10}" for c in colds))
    if not colds[0]["index_file_loads"]:
        print(
            "NOTE: the saved keyword index does not load (KeywordIndex.load returns None), so every fresh "
            "process rebuilds it from the store"
        )
    sys.exit(0 if args.quick or (p50 <= TARGET_P50_MS and p99 <= TARGET_P99_MS) else 1)


if __name__ == "__main__":
    main()
