"""Helpers shared by the bench scripts: where the shared data lives, child processes, percentiles.

Not a benchmark itself. The scripts run as `.venv/bin/python bench/<name>.py`, which puts this
folder first on `sys.path`, so they import it as `_common`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ARXIV_FILE = Path("arxiv") / "arxiv-cs-2025-03_2026-07.jsonl.gz"


def default_data() -> Path:
    """`$PAPERSIFT_SHARED_DATA`, else `../shared/data` beside the repository."""
    return Path(os.environ.get("PAPERSIFT_SHARED_DATA", REPO.parent / "shared" / "data"))


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
    target = folder / f"arxiv-first-{records}.jsonl.gz"
    with gzip.open(source, "rb") as lines, gzip.open(target, "wb", compresslevel=1) as out:
        for number, line in enumerate(lines):
            if number >= records:
                break
            out.write(line)
    return target


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
