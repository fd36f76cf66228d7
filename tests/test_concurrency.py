"""Several processes on one library at once: importers of overlapping files, members voting from
different processes. What keeps them right is the database (SQLite's one writer; PostgreSQL's
unique keys, advisory locks and row locks), so these run on both backends, as real processes."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from conftest import REPO, cli_environment, demo_lines
from papersift import Library

IMPORTERS = 3
VOTERS = 4


# Small batches, so that the importers' transactions interleave many times over. Each importer
# opens the library, says "ready" and waits for "go" on stdin: the test releases them together
# once all are ready, however long each took to start. It reports when (time.time(), one clock for
# every process on the machine) its import started and ended and when each of its batches was done.
IMPORTER = """
import json, sys, time
from papersift import Library
with Library.open(sys.argv[1], ingest_batch=20) as lib:
    print("ready", flush=True)
    assert sys.stdin.readline() == "go\\n"
    batches = []
    started = time.time()
    report = lib.ingest(sys.argv[2], on_progress=lambda origin, seen: batches.append(time.time()))
    ended = time.time()
print(json.dumps({"added": report.added, "ok": report.ok, "started": started, "ended": ended,
                  "batches": batches}))
"""


def handovers(reports: list[dict[str, Any]]) -> int:
    """How often, in time order, the next batch done was another importer's than the last one."""
    done = sorted((moment, number) for number, report in enumerate(reports) for moment in report["batches"])
    return sum(1 for (_, one), (_, other) in itertools.pairwise(done) if one != other)


def test_importers_of_overlapping_files_at_once_make_each_paper_once(
    db_location: str, tmp_path: Path
) -> None:
    lines = demo_lines(3000)
    files = []
    for number in range(IMPORTERS):  # the same 1,500 papers in the same order, then 500 of its own
        path = tmp_path / f"part{number}.jsonl"
        path.write_text(
            "".join(lines[:1500] + lines[1500 + number * 500 : 2000 + number * 500]), encoding="utf-8"
        )
        files.append(path)
    with Library.open(db_location):
        pass  # the schema exists before the race (its creation is tested on its own)
    logs: list[IO[bytes]] = [(tmp_path / f"importer{n}.log").open("w+b") for n in range(IMPORTERS)]
    importers = [
        subprocess.Popen(
            [sys.executable, "-c", IMPORTER, db_location, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=cli_environment(db_location),
            cwd=REPO,
        )
        for path, log in zip(files, logs, strict=True)
    ]
    try:
        for importer, log in zip(importers, logs, strict=True):  # the barrier: every importer is ready...
            assert importer.stdout is not None and importer.stdin is not None
            ready = importer.stdout.readline()
            assert ready == b"ready\n", f"an importer did not start: {log_text(log)}"
        for importer in importers:  # ...then all go at once
            assert importer.stdin is not None
            importer.stdin.write(b"go\n")
            importer.stdin.flush()
        reports = []
        for importer, log in zip(importers, logs, strict=True):
            out, _ = importer.communicate(timeout=240)
            assert importer.returncode == 0, log_text(log)
            reports.append(json.loads(out))
    finally:
        for importer in importers:
            if importer.poll() is None:
                importer.kill()
                importer.wait()
        for log in logs:
            log.close()

    # The race took place: every import began before any ended, and their batches interleaved
    # (importers run one after another would hand over IMPORTERS - 1 times at most).
    assert max(report["started"] for report in reports) < min(report["ended"] for report in reports)
    assert all(len(report["batches"]) >= 99 for report in reports)  # 2,000 papers, 20 a batch
    assert handovers(reports) >= 2 * IMPORTERS, [handovers(reports)]
    expected = {json.loads(line)["id"] for line in lines}
    assert sum(report["added"] for report in reports) == len(expected)

    with Library.open(db_location) as lib:
        assert lib.stats()["papers"] == len(expected) == 3000
        assert {paper.arxiv_id for paper in lib.papers()} == expected
        for line in lines[::200]:
            record = json.loads(line)
            assert record["id"] in [hit.id for hit in lib.search(record["title"], mode="keyword", limit=5)]


def log_text(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")


VOTER = """
import sys
from papersift import Library
with Library.open(sys.argv[1]) as lib:
    member = lib.accounts.sign_in(sys.argv[2], "correct horse battery")
    ids = sys.argv[3:]
    for paper_id in ids:
        lib.upvote(member, paper_id)
    for paper_id in ids:
        lib.upvote(member, paper_id)  # again: still one vote
    for paper_id in ids[::2]:
        lib.upvote(member, paper_id, voted=False)
"""


def test_members_voting_from_several_processes_count_once_each(db_location: str, tmp_path: Path) -> None:
    source = tmp_path / "papers.jsonl"
    source.write_text("".join(demo_lines(30)), encoding="utf-8")
    with Library.open(db_location) as lib:
        assert lib.ingest(source).added == 30
        ids = [paper.id for paper in lib.papers()]
        emails = [f"member{n}@example.org" for n in range(VOTERS)]
        for email in emails:
            lib.accounts.sign_up(email, "correct horse battery")
        before = lib.store.vote_sequence()
    voters = [
        subprocess.Popen(
            [sys.executable, "-c", VOTER, db_location, email, *ids],
            stderr=subprocess.PIPE,
            env=cli_environment(db_location),
            cwd=REPO,
        )
        for email in emails
    ]
    for voter in voters:
        _, err = voter.communicate(timeout=120)
        assert voter.returncode == 0, err.decode()

    with Library.open(db_location) as lib:
        counts = lib.upvote_counts(ids)
        assert [counts.get(i, 0) for i in ids] == [0 if n % 2 == 0 else VOTERS for n in range(len(ids))]
        # Every vote change bumped the counter feed caches compare: none was lost to a race.
        changes = VOTERS * (2 * len(ids) + len(ids[::2]))
        assert lib.store.vote_sequence() - before == changes
