"""Measure a bulk import: records/s, wall time and peak memory of `Library.ingest`, then a re-import.

Why: a user's first `papersift ingest` of an arXiv dump must be quick and fit a small VM; the
targets are >= 5,000 records/s and <= 500 MB peak RSS for the 74,728-record shared crawl. Re-running
an import must be safe and cheap, so a second import of the same file into the same database must
report 0 added / 0 updated.

Each import runs in a fresh interpreter, so the peak RSS (`ru_maxrss` of that child) is the
import's alone (interpreter and imports included). The time is split into the store write (read,
merge, SQLite) and the keyword index build (`Library.refresh_index`, which `ingest` calls at the
end; the child wraps that bound method with a timer, nothing in papersift is changed).

With `--extraction-cost`, it measures instead what finding code links and results
(`papersift.extract`, run on every record at import) adds to an import (issue 6: at most 10%):
fresh imports as shipped (a worker process finds batch k+1 while batch k is written), with the
finding done inline in the importing process, and with it switched off (`papersift.ingest.findings.find`
answering nothing), alternated over `--rounds` rounds, side by side; medians and ratios.

Run:   .venv/bin/python bench/bench_ingest.py [--quick] [--records N] [--data PATH] [--keep DIR]
       .venv/bin/python bench/bench_ingest.py --extraction-cost [--rounds 3] [--records N]
       --quick (a smoke test, no verdict) imports the first 1,000 records, then runs
       --extraction-cost on them for one round. The database goes into a temporary folder
       (or DIR with --keep, which must not exist yet, so bench_search.py can reuse it via --db).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import add_data_argument, arxiv_subset, peak_rss_mb, quick_note, run_child

TARGET_RATE = 5000
TARGET_RSS_MB = 500


def child(db: Path, source: Path, mode: str = "on") -> None:
    """Import `source` into `db` and print one JSON line of figures."""
    start = time.perf_counter()
    from papersift import Library

    if mode == "off":  # nothing found: what an import cost before extraction existed
        import papersift.ingest.findings as findings

        def nothing(texts: Any, aliases: Any) -> Any:
            return (), (), False, ()

        # Every papersift module that imported `find` by name (library.py does) gets the stub.
        original = findings.find
        for module in [m for name, m in sys.modules.items() if name.startswith("papersift")]:
            if getattr(module, "find", None) is original:
                module.find = nothing  # type: ignore[attr-defined]
    imported = time.perf_counter()
    # "inline" (and "off", so that no worker process finds with the real code): found in the
    # importing process, batch by batch; "on": as shipped.
    lib = Library.open(db, findings_worker_after=None if mode == "on" else 10**9)
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
    report = lib.ingest([source], embed=False)  # embedding has its own bench (bench_embed.py)
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
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: the first 1,000 records, then --extraction-cost with one round",
    )
    parser.add_argument("--records", type=int, help="import the first N records only")
    parser.add_argument("--keep", type=Path, help="build the database in this new folder and keep it")
    parser.add_argument("--extraction-cost", action="store_true", help="import with and without extraction")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --extraction-cost")
    parser.add_argument("--child", nargs=3, metavar=("DB", "SOURCE", "EXTRACT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.child[2])
        return
    records = args.records or (1_000 if args.quick else None)
    if args.quick:
        quick_note()
    if args.extraction_cost:
        extraction_cost(args.data, records, args.rounds)
        return
    with tempfile.TemporaryDirectory(prefix="papersift-bench-") as scratch:
        folder = Path(scratch)
        if args.keep:
            args.keep.mkdir(parents=True)
            folder = args.keep
        source = arxiv_subset(args.data, records, Path(scratch))
        db = folder / "papers.db"
        script = Path(__file__).resolve()
        print(f"importing {source} into a fresh {db}")
        first = run_child(script, ["--child", str(db), str(source), "on"])
        second = run_child(script, ["--child", str(db), str(source), "on"])
        report(first, second)
        if not args.keep:
            shutil.rmtree(folder / "papers.db-index", ignore_errors=True)
    idempotent = second["added"] == 0 and second["updated"] == 0
    if args.quick:  # a smoke test: the extraction-cost route too, and no performance verdict
        print()
        extraction_cost(args.data, records, 1)
        sys.exit(0 if idempotent else 1)
    ok = first["read"] / first["ingest_s"] >= TARGET_RATE and first["peak_rss_mb"] <= TARGET_RSS_MB
    sys.exit(0 if ok and idempotent else 1)


def extraction_cost(data: Path, records: int | None, rounds: int) -> None:
    times: dict[tuple[str, str], list[float]] = {}
    found: dict[str, Any] = {}
    script = Path(__file__).resolve()
    with tempfile.TemporaryDirectory(prefix="papersift-bench-") as scratch:
        source = arxiv_subset(data, records, Path(scratch))
        for number in range(rounds):
            modes = ("on", "inline", "off")
            for mode in modes if number % 2 == 0 else modes[::-1]:
                folder = Path(scratch) / f"{mode}-{number}"
                folder.mkdir()
                figures = run_child(script, ["--child", str(folder / "papers.db"), str(source), mode])
                for part in ("ingest_s", "store_s"):
                    times.setdefault((mode, part), []).append(figures[part])
                print(f"round {number + 1}, extraction {mode}: ingest {figures['ingest_s']:.2f} s "
                      f"(store write {figures['store_s']:.2f} s)")  # fmt: skip
                if mode == "on" and not found:
                    found = papers_with_findings(folder / "papers.db")
                shutil.rmtree(folder)
    print()
    print(f"{found.get('papers', 0):,} papers: {found.get('code', 0):,} with code links, "
          f"{found.get('promised', 0):,} promising code, {found.get('results', 0):,} with results "
          f"({found.get('result_rows', 0):,} results)")  # fmt: skip
    print(f"median of {rounds} fresh imports   without extraction   inline (added)   as shipped (added)")
    for label, part in (("import (ingest)", "ingest_s"), ("  read, merge, store", "store_s")):
        off = statistics.median(times[("off", part)])
        inline = statistics.median(times[("inline", part)])
        on = statistics.median(times[("on", part)])
        shares = f"{inline:>10.2f} s ({inline / off - 1:+.1%}){on:>10.2f} s ({on / off - 1:+.1%})"
        print(f"{label:30}{off:>14.2f} s{shares}")
    added = statistics.median(times[("on", "ingest_s")]) / statistics.median(times[("off", "ingest_s")]) - 1
    print(f"target: extraction adds <= 10% to import time: {'ok' if added <= 0.10 else 'MISSED'}")


def papers_with_findings(db: Path) -> dict[str, Any]:
    import sqlite3

    with sqlite3.connect(db) as connection:
        one = connection.execute

        def count(sql: str) -> int:
            return int(one(sql).fetchone()[0])

        return {
            "papers": count("SELECT count(*) FROM papers"),
            "code": count("SELECT count(DISTINCT pk) FROM code_links WHERE kind = 'code'"),
            "promised": count("SELECT count(*) FROM papers WHERE code_promised"),
            "results": count("SELECT count(DISTINCT pk) FROM reported_results"),
            "result_rows": count("SELECT count(*) FROM reported_results"),
        }


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
