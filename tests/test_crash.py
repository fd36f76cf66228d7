"""Killing `papersift ingest` mid-import (SIGKILL: no cleanup runs) leaves a consistent library.

The import commits a batch at a time; a kill loses at most the batch in flight. The database
must pass SQLite's integrity check, hold only whole batches of complete papers (the first N
records of the file, in order), and a second run must complete the import.

Where the kill lands is decided, not left to the machine's speed: the test times one committed
batch (or embedding window), then waits a fraction of that (drawn from a seeded generator, the same
on every run) into the next one, freezes the process (SIGSTOP), checks it is still at work, and
kills it. The input leaves many batches (a window and more) after that point: it is always mid-run.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CliRun, cli_environment, demo_sample, papersift_command
from papersift.library import INGEST_BATCH

RECORDS = 74_728
SEED = 15  # where inside a batch the kill lands: random, but the same on every run


def count_papers(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
            return int(connection.execute("SELECT count(*) FROM papers").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet, or still migrating
        return 0


def file_ids(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line)["id"] for line in lines]


def commit_moments(
    process: subprocess.Popen[bytes], count: Callable[[], int], thresholds: list[int], patience: float
) -> list[float]:
    """The moments (time.monotonic) at which `count()` first reached each of `thresholds`; fails
    if the process ends first or takes longer than `patience` seconds in all."""
    started = time.monotonic()
    moments = []
    for threshold in thresholds:
        while count() < threshold:
            assert process.poll() is None, f"the run ended before {threshold} were committed"
            assert time.monotonic() - started < patience, f"{threshold} not committed in {patience} s"
            time.sleep(0.02)
        moments.append(time.monotonic())
    return moments


def freeze_inside_next_step(
    process: subprocess.Popen[bytes], step_seconds: float, rng: random.Random
) -> None:
    """Let the process run a seeded fraction of one more step, then stop it (SIGSTOP) where it is."""
    time.sleep(rng.uniform(0.1, 0.9) * step_seconds)
    os.kill(process.pid, signal.SIGSTOP)
    assert process.poll() is None, "the run ended before it could be killed"


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


@pytest.mark.slow
def test_a_killed_import_leaves_whole_batches_and_a_rerun_completes_it(
    run_cli: CliRun, db_path: Path, arxiv_file: Path
) -> None:
    rng = random.Random(SEED)
    process = subprocess.Popen(
        [*papersift_command(), "ingest", str(arxiv_file)],
        env=cli_environment(db_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Batches 2 and 3 are timed; the kill lands inside the 4th of 38.
        second, third = commit_moments(
            process, lambda: count_papers(db_path), [2 * INGEST_BATCH, 3 * INGEST_BATCH], 60
        )
        freeze_inside_next_step(process, third - second, rng)
        helpers = children(process.pid)  # the forked extraction worker of a big import
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL  # killed mid-import, not finished
    if (os.cpu_count() or 1) >= 2:
        assert helpers, "no extraction worker ran beside the import"
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in helpers if Path(f"/proc/{pid}").exists()], (
        "a worker outlived the killed import"
    )

    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = connection.execute("SELECT id, title, abstract FROM papers ORDER BY pk").fetchall()
    kept = len(rows)
    assert 3 * INGEST_BATCH <= kept < RECORDS
    assert kept % INGEST_BATCH == 0, f"{kept} papers is not a whole number of batches"
    assert all(title.strip() and abstract.strip() for _, title, abstract in rows)
    ids = file_ids(arxiv_file)
    assert len(ids) == RECORDS
    assert [row[0] for row in rows] == ids[:kept]

    rerun = run_cli("ingest", "--json", arxiv_file, timeout=600)  # a bound on a hang, not a speed test

    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["added"] == RECORDS - kept
    assert report["read"] == RECORDS
    assert count_papers(db_path) == RECORDS

    last = ids[-1]
    with sqlite3.connect(db_path) as connection:
        (title,) = connection.execute("SELECT title FROM papers WHERE id = ?", (last,)).fetchone()
    found = run_cli("search", "--json", "-n", "20", f'"{title}"', timeout=120)
    assert found.returncode == 0, found.stderr
    assert last in [hit["id"] for hit in json.loads(found.stdout)["hits"]]


def count_embeddings(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
            return int(connection.execute("SELECT count(*) FROM embeddings").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
@pytest.mark.timeout(900)  # two embedding runs: minutes when the machine's two cores are shared
def test_a_killed_embedding_run_keeps_whole_windows_and_a_rerun_embeds_only_the_rest(
    run_cli: CliRun, db_path: Path, tmp_path: Path
) -> None:
    from conftest import WITH_MODEL
    from papersift.search.semantic import EMBED_WINDOW

    rng = random.Random(SEED)
    papers = 3 * EMBED_WINDOW + 100
    sample = demo_sample(tmp_path / "sample.jsonl", papers)
    process = subprocess.Popen(
        [*papersift_command(), "ingest", str(sample)],
        env={**cli_environment(db_path), **WITH_MODEL},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The first window is timed from the import's commit (so with the model's loading: a
        # little longer than a window); the kill lands inside the 2nd window of 4, or the 3rd.
        (stored,) = commit_moments(process, lambda: count_papers(db_path), [papers], 120)
        (first,) = commit_moments(process, lambda: count_embeddings(db_path), [EMBED_WINDOW], 240)
        freeze_inside_next_step(process, first - stored, rng)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL  # killed mid-run, not finished

    kept = count_embeddings(db_path)
    assert kept % EMBED_WINDOW == 0 and EMBED_WINDOW <= kept < papers  # whole windows only
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rerun = run_cli("ingest", sample, "--json", env=WITH_MODEL, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["unchanged"] == papers and report["embedded"] == papers - kept
    assert count_embeddings(db_path) == papers
