"""Killing `papersift ingest` mid-import (SIGKILL: no cleanup runs) leaves a consistent library.

The import commits a batch at a time; a kill loses at most the batch in flight. The database
must pass SQLite's integrity check, hold only whole batches of complete papers (the first N
records of the file, in order), and a second run must complete the import.
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
from pathlib import Path

import pytest

from conftest import CliRun, cli_environment, demo_sample, papersift_command
from papersift.library import INGEST_BATCH

RECORDS = 74_728


def count_papers(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
            return int(connection.execute("SELECT count(*) FROM papers").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet, or still migrating
        return 0


def file_ids(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line)["id"] for line in lines]


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


@pytest.mark.slow
def test_a_killed_import_leaves_whole_batches_and_a_rerun_completes_it(
    run_cli: CliRun, db_path: Path, arxiv_file: Path
) -> None:
    started = time.monotonic()
    process = subprocess.Popen(
        [*papersift_command(), "ingest", str(arxiv_file)],
        env=cli_environment(db_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while count_papers(db_path) < 2 * INGEST_BATCH or time.monotonic() - started < 2:
            assert process.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() - started < 30, "the import wrote nothing for 30 s"
            time.sleep(0.05)
        time.sleep(random.uniform(0, 0.3))  # land anywhere inside a batch
        assert process.poll() is None, "the import ended before it could be killed"
        helpers = children(process.pid)  # the forked extraction worker of a big import
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
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
    assert 0 < kept < RECORDS
    assert kept % INGEST_BATCH == 0, f"{kept} papers is not a whole number of batches"
    assert all(title.strip() and abstract.strip() for _, title, abstract in rows)
    ids = file_ids(arxiv_file)
    assert len(ids) == RECORDS
    assert [row[0] for row in rows] == ids[:kept]

    rerun = run_cli("ingest", "--json", arxiv_file, timeout=120)

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
def test_a_killed_embedding_run_keeps_whole_windows_and_a_rerun_embeds_only_the_rest(
    run_cli: CliRun, db_path: Path, tmp_path: Path
) -> None:
    from conftest import WITH_MODEL
    from papersift.search.semantic import EMBED_WINDOW

    papers = 2 * EMBED_WINDOW + 100
    sample = demo_sample(tmp_path / "sample.jsonl", papers)
    process = subprocess.Popen(
        [*papersift_command(), "ingest", str(sample)],
        env={**cli_environment(db_path), **WITH_MODEL},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.monotonic()
    try:
        while count_embeddings(db_path) < EMBED_WINDOW:
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() - started < 240, "nothing embedded for 4 minutes"
            time.sleep(0.05)
        time.sleep(random.uniform(0, 1.0))  # land inside the next window
        assert process.poll() is None, "the run ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)

    kept = count_embeddings(db_path)
    assert kept % EMBED_WINDOW == 0 and 0 < kept < papers  # whole windows only
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rerun = run_cli("ingest", sample, "--json", env=WITH_MODEL, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["unchanged"] == papers and report["embedded"] == papers - kept
    assert count_embeddings(db_path) == papers
