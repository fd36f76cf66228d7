"""Measure a bulk import: records/s, wall time and peak memory of `Library.ingest`, then a re-import.

Why: a user's first `papersift ingest` of an arXiv dump must be quick and fit a small VM; the
targets are >= 5,000 records/s and <= 500 MB peak RSS for the 74,728-record shared crawl. Re-running
an import must be safe and cheap, so a second import of the same file into the same database must
report 0 added / 0 updated.

Each import runs in a fresh interpreter, so the peak RSS (`ru_maxrss` of that child) is the
import's alone (interpreter and imports included). The time is split into the store write (read,
merge, SQLite) and the keyword index build (`Library.refresh_index`, which `ingest` calls at the
end; the child wraps that bound method with a timer, nothing in papersift is changed).

Run:   .venv/bin/python bench/bench_ingest.py [--quick] [--records N] [--data PATH] [--keep DIR]
       --quick imports the first 10,000 records only. The database goes into a temporary folder
       (or DIR with --keep, which must not exist yet, so bench_search.py can reuse it via --db).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import add_data_argument, arxiv_subset, peak_rss_mb, run_child

TARGET_RATE = 5000
TARGET_RSS_MB = 500


def child(db: Path, source: Path) -> None:
    """Import `source` into `db` and print one JSON line of figures."""
    start = time.perf_counter()
    from papersift.library import Library

    imported = time.perf_counter()
    lib = Library.open(db)
    timings: dict[str, float] = {}
    refresh = lib.refresh_index

    def timed_refresh(*args: Any, **kwargs: Any) -> int:
        timings["rss_before_index_mb"] = peak_rss_mb()
        begin = time.perf_counter()
        changed = refresh(*args, **kwargs)
        timings["index_s"] = time.perf_counter() - begin
        timings["index_changed"] = changed
        return changed

    lib.refresh_index = timed_refresh  # type: ignore[method-assign]
    begin = time.perf_counter()
    report = lib.ingest([source])
    total = time.perf_counter() - begin
    lib.close()
    print(
        json.dumps(
            {
                **report.as_dict(),
                "import_modules_s": imported - start,
                "ingest_s": total,
                "store_s": total - timings.get("index_s", 0.0),
                **timings,
                "peak_rss_mb": peak_rss_mb(),
                "db_mb": db.stat().st_size / 1e6,
                "index_mb": sum(f.stat().st_size for f in db.parent.glob(db.name + "-index/*")) / 1e6,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_argument(parser)
    parser.add_argument("--quick", action="store_true", help="import the first 10,000 records only")
    parser.add_argument("--records", type=int, help="import the first N records only")
    parser.add_argument("--keep", type=Path, help="build the database in this new folder and keep it")
    parser.add_argument("--child", nargs=2, metavar=("DB", "SOURCE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return
    records = args.records or (10_000 if args.quick else None)
    with tempfile.TemporaryDirectory(prefix="papersift-bench-") as scratch:
        folder = Path(scratch)
        if args.keep:
            args.keep.mkdir(parents=True)
            folder = args.keep
        source = arxiv_subset(args.data, records, Path(scratch))
        db = folder / "papers.db"
        script = Path(__file__).resolve()
        print(f"importing {source} into a fresh {db}")
        first = run_child(script, ["--child", str(db), str(source)])
        second = run_child(script, ["--child", str(db), str(source)])
        report(first, second)
        if not args.keep:
            shutil.rmtree(folder / "papers.db-index", ignore_errors=True)
    ok = (
        first["read"] / first["ingest_s"] >= TARGET_RATE
        and first["peak_rss_mb"] <= TARGET_RSS_MB
        and second["added"] == 0
        and second["updated"] == 0
    )
    sys.exit(0 if ok else 1)


def report(first: dict[str, Any], second: dict[str, Any]) -> None:
    rate = first["read"] / first["ingest_s"]
    print()
    print(f"{'':28}{'first import':>16}{'re-import':>16}")
    rows = [
        ("records read", "read", "{:,}"),
        ("added", "added", "{:,}"),
        ("updated", "updated", "{:,}"),
        ("unchanged", "unchanged", "{:,}"),
        ("rejected", "rejected", "{:,}"),
        ("ingest wall time (s)", "ingest_s", "{:.2f}"),
        ("  store write (s)", "store_s", "{:.2f}"),
        ("  keyword index (s)", "index_s", "{:.2f}"),
        ("papers (re)indexed", "index_changed", "{:,}"),
        ("peak RSS before index (MB)", "rss_before_index_mb", "{:.0f}"),
        ("peak RSS (MB)", "peak_rss_mb", "{:.0f}"),
        ("python imports (s)", "import_modules_s", "{:.2f}"),
        ("database file (MB)", "db_mb", "{:.0f}"),
        ("index files (MB)", "index_mb", "{:.0f}"),
    ]
    for label, key, form in rows:
        cells = [form.format(r[key]) if key in r else "-" for r in (first, second)]
        print(f"{label:28}{cells[0]:>16}{cells[1]:>16}")
    print(f"{'records/s':28}{rate:>16,.0f}{second['read'] / second['ingest_s']:>16,.0f}")
    print()
    verdict = "ok" if rate >= TARGET_RATE else "MISSED"
    print(f"target >= {TARGET_RATE:,} records/s: {rate:,.0f} ({verdict})")
    verdict = "ok" if first["peak_rss_mb"] <= TARGET_RSS_MB else "MISSED"
    print(f"target <= {TARGET_RSS_MB} MB peak RSS: {first['peak_rss_mb']:.0f} MB ({verdict})")
    idempotent = second["added"] == 0 and second["updated"] == 0
    print(f"re-import idempotent (0 added, 0 updated): {'ok' if idempotent else 'FAILED'}")


if __name__ == "__main__":
    main()
