"""Helpers shared by the bench scripts: where the shared data lives, child processes, percentiles.

Not a benchmark itself. The scripts run as `.venv/bin/python bench/<name>.py`, which puts this
folder first on `sys.path`, so they import it as `_common`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _exit_on_sigterm(signal_number: int, _frame: object) -> None:
    sys.exit(128 + signal_number)


# A bench stopped by SIGTERM (run_quick.py's timeout) exits as by an exception, so its `finally`
# and `with` blocks stop what it started (servers, PostgreSQL) and remove its temporary folders.
signal.signal(signal.SIGTERM, _exit_on_sigterm)
ARXIV_FILE = Path("arxiv") / "arxiv-cs-2025-03_2026-07.jsonl.gz"
DEMO_FILE = REPO / "src" / "papersift" / "data" / "demo.jsonl.gz"
MODEL = "all-MiniLM-L6-v2"
# --quick: a smoke test of each script (same code path, tiny input), not a measurement. The papers
# of a quick library: enough for bench_search.make_queries (20-paper samples, 150-word abstracts).
QUICK_PAPERS = 40


def default_data() -> Path:
    """`$PAPERSIFT_SHARED_DATA`, else `../shared/data` beside the repository, else the team's
    shared folder at /work (a clone elsewhere, as CI makes, has no ../shared), as the tests do."""
    location = os.environ.get("PAPERSIFT_SHARED_DATA")
    if location:
        return Path(location)
    beside = REPO.parent / "shared" / "data"
    return beside if beside.is_dir() else Path("/work/shared/data")


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=default_data(),
        help="the shared data folder (default: $PAPERSIFT_SHARED_DATA or ../shared/data)",
    )


def arxiv_subset(data: Path, records: int | None, folder: Path) -> Path:
    """The arXiv crawl file itself, or (with `records`) a gzipped copy of its first lines."""
    source = data / ARXIV_FILE
    if not source.exists():
        sys.exit(f"missing {source}: pass --data or set PAPERSIFT_SHARED_DATA")
    if records is None:
        return source
    return demo_subset(folder, records, source)


def run_child(script: Path, args: list[str]) -> dict[str, Any]:
    """Run `script --child ...` in a fresh interpreter; its last stdout line is a JSON result."""
    completed = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, cwd=REPO, check=False
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        sys.exit(f"child {script.name} {' '.join(args)} failed with exit code {completed.returncode}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KB, macOS bytes)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * fraction // 1))
    return sorted_values[min(len(sorted_values), int(rank)) - 1]


# -- --quick ----------------------------------------------------------------------------------


def quick_note() -> None:
    print("--quick: a smoke test on a tiny input; the figures below are not measurements", flush=True)


def demo_subset(folder: Path, records: int, source: Path = DEMO_FILE) -> Path:
    """A gzipped copy of the first `records` lines of the bundled demo corpus (or `source`)."""
    target = folder / f"{source.name.split('.')[0]}-first-{records}.jsonl.gz"
    with gzip.open(source, "rb") as lines, gzip.open(target, "wb", compresslevel=1) as out:
        for number, line in enumerate(lines):
            if number >= records:
                break
            out.write(line)
    return target


def quick_library(
    folder: Path, records: int = QUICK_PAPERS, embed: bool = True, location: str | None = None
) -> str:
    """A library of the first `records` demo papers (embedded with MODEL unless `embed` is
    False) at `location` (default: folder/quick.db); its location."""
    from papersift import Library

    folder.mkdir(parents=True, exist_ok=True)
    source = demo_subset(folder, records)
    location = location or str(folder / "quick.db")
    with Library.open(location, embedding_model=MODEL) as lib:
        report = lib.ingest([source], embed=embed)
    print(f"quick library: {report.added} demo papers, {report.embedded} embedded, in {location}", flush=True)
    return location


@contextmanager
def quick_postgres(folder: Path) -> Iterator[str | None]:
    """A small throw-away PostgreSQL with pgvector (tests/pgserver.py) and the URL of its database
    "papersift"; None, with a printed line, when it cannot start here."""
    sys.path.insert(0, str(REPO / "tests"))
    try:
        from pgserver import PostgresTestServer, ServerUnavailable
    except ImportError as error:
        print(f"SKIPPED PostgreSQL: {error}", flush=True)
        yield None
        return
    try:
        server = PostgresTestServer.start(Path(tempfile.mkdtemp(prefix="pg-", dir=folder)))
    except (ServerUnavailable, OSError) as error:
        print(f"SKIPPED PostgreSQL: it cannot start here ({str(error).splitlines()[0]})", flush=True)
        yield None
        return
    try:
        with quick_cache(folder):
            yield server.create_database("papersift")
    finally:
        server.stop()


@contextmanager
def quick_cache(folder: Path) -> Iterator[Path]:
    """PAPERSIFT_CACHE_DIR in `folder` (for this process and its children) while inside, its
    models/ a link to the user's (the models are not fetched again): the index caches of a
    PostgreSQL library (cache/libraries/<id>) go away with `folder`."""
    from papersift.settings import cache_directory

    before = os.environ.get("PAPERSIFT_CACHE_DIR")
    cache = folder / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    models = cache_directory() / "models"
    if models.is_dir() and not (cache / "models").exists():
        (cache / "models").symlink_to(models, target_is_directory=True)
    os.environ["PAPERSIFT_CACHE_DIR"] = str(cache)
    try:
        yield cache
    finally:
        if before is None:
            os.environ.pop("PAPERSIFT_CACHE_DIR", None)
        else:
            os.environ["PAPERSIFT_CACHE_DIR"] = before


# -- the library's insides ----------------------------------------------------------------------
# What some benches measure directly (the vector and keyword indexes, paper keys) is not public
# API; it is reached here only, so that a change of library.py's components is mended in one place.


def semantic_index(lib: Any) -> Any:
    """The library's semantic index (raises when the model is unavailable)."""
    return lib.indexes.semantic(required=True)


def keyword_index(lib: Any) -> Any:
    """The library's keyword index, brought up to date."""
    return lib.indexes.keyword()


def keyword_path(lib: Any) -> Path:
    """Where the library keeps its keyword index file."""
    return Path(lib.indexes.keyword_path)


def paper_pk(lib: Any, paper_id: str) -> int:
    """The store's key of a paper."""
    return int(lib.catalog.pk(paper_id))


def phrase_check(lib: Any) -> Any:
    """The library's check that papers contain a query's quoted phrases (pks, phrases) -> bools."""
    return lib.searcher.check_phrases
