"""Several processes on one library at once: importers of overlapping files, members voting from
different processes. What keeps them right is the database (SQLite's one writer; PostgreSQL's
unique keys, advisory locks and row locks), so these run on both backends, as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO, cli_environment, demo_lines
from papersift import Library

IMPORTERS = 3
VOTERS = 4


# Small batches, so that the importers' transactions interleave many times over.
IMPORTER = """
import json, sys, time
import papersift.library
from papersift import Library
papersift.library.INGEST_BATCH = 20
with Library.open(sys.argv[1]) as lib:
    time.sleep(max(0.0, float(sys.argv[3]) - time.time()))  # all importers start together
    report = lib.ingest(sys.argv[2])
print(json.dumps({"added": report.added, "ok": report.ok}))
"""


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
    start_at = time.time() + 8
    with Library.open(db_location):
        pass  # the schema exists before the race (its creation is tested on its own)
    importers = [
        subprocess.Popen(
            [sys.executable, "-c", IMPORTER, db_location, str(path), str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli_environment(db_location),
            cwd=REPO,
        )
        for path in files
    ]
    reports = []
    for importer in importers:
        out, err = importer.communicate(timeout=240)
        assert importer.returncode == 0, err.decode()
        reports.append(json.loads(out))
    expected = {json.loads(line)["id"] for line in lines}
    assert sum(report["added"] for report in reports) == len(expected)

    with Library.open(db_location) as lib:
        assert lib.stats()["papers"] == len(expected) == 3000
        assert {paper.arxiv_id for paper in lib.papers()} == expected
        for line in lines[::200]:
            record = json.loads(line)
            assert record["id"] in [hit.id for hit in lib.search(record["title"], mode="keyword", limit=5)]


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
