"""`papersift migrate --to postgresql://...`: a SQLite library copied whole into PostgreSQL,
resumable, verified table by table. Runs in the PostgreSQL pass (`pytest --backend postgres`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from conftest import FIXTURES, CliRun, LibraryLocations, demo_sample
from papersift import Library
from papersift.records import Paper

MODEL_KEY = "test-model"
PWC = FIXTURES / "paperswithcode"


@pytest.fixture
def postgres_location(backend: str, new_location: Callable[[str], str]) -> str:
    if backend != "postgres":
        pytest.skip("copies into PostgreSQL: runs with --backend postgres")
    return new_location("copy")


def sqlite_library(tmp_path: Path, papers: int = 300) -> Path:
    """A SQLite library with something in every table: papers (with code links and results),
    vectors, members, sessions, votes, collections, subscriptions, a digest, curated rows."""
    path = tmp_path / "source.db"
    sample = demo_sample(tmp_path / "sample.jsonl", papers)
    with Library.open(path) as lib:
        assert lib.ingest(sample).ok
        lib.import_paperswithcode(
            [PWC / "sota-extractor_tasks_squad.json", PWC / "links-between-papers-and-code.json"]
        )
        rows = []
        rng = np.random.default_rng(7)
        for pk in range(1, papers + 1):
            vector = rng.normal(size=8).astype("<f4")
            vector /= np.linalg.norm(vector)
            rows.append((pk, hashlib.sha256(str(pk).encode()).digest(), vector.tobytes()))
        lib.store.save_embeddings(MODEL_KEY, rows)
        ids = [item.paper.id for item in lib.daily(period="month", limit=5).items]
        ada = lib.accounts.sign_up("Ada@Example.org", "correct horse battery")
        bob = lib.accounts.sign_up("bob@example.org", "staple battery horse")
        lib.accounts.open_session(ada)
        lib.upvote(ada, ids[0])
        lib.upvote(bob, ids[0])
        lib.save_papers(ada, ids[:3], "reading", note="for Monday")
        lib.subscribe(ada, "query", "graph neural networks", frequency="weekly")
        lib.store.claim_digest(ada.id, "daily", "2026-06-20", ids[:2], "<m1@x>", b"message", "2026-06-19")
        # Curation: entries with two submitters, a pin, comments (one removed, one notified),
        # a kept submission, a public collection followed, a claim, the log.
        lib.curation.window_days = 100_000
        bob = lib.curation.grant(None, bob.email, "curator")
        lib.curation.submit(ada, ids[1])
        lib.curation.submit(bob, ids[1])
        lib.curation.moderate(bob, lib.curation.day().day, ids[1], "pin")
        spam = lib.curation.add_comment(ada, ids[0], "spam")
        lib.curation.add_comment(ada, ids[1], "Nice **work**")
        lib.curation.delete_comment(bob, spam.id, reason="spam")
        lib.store.add_pending_submission("2401.00001", lib.curation.day().day, ada.id, "arXiv was down")
        lib.curation.follow(bob, lib.curation.set_public(ada, "reading"))
        lib.curation.claim(ada, ids[2], lib.paper(ids[2]).authors[0])
    return path


def test_a_library_copied_into_postgresql_is_the_same_library(
    tmp_path: Path, postgres_location: str, invoke: CliRun
) -> None:
    source = sqlite_library(tmp_path)
    done = invoke("migrate", "--to", postgres_location, db=source)
    assert done.returncode == 0, done.stderr
    assert "DIFFERENT" not in done.stdout and "papers" in done.stdout

    with Library.open(source) as old, Library.open(postgres_location) as new:
        assert new.stats()["papers"] == old.stats()["papers"] == 300
        some = [item.paper.id for item in old.daily(period="month", limit=40).items]
        assert [new.paper(i) for i in some] == [old.paper(i) for i in some]
        with_code = [i for i in some if old.paper(i).code or old.paper(i).results]
        assert with_code, "the sample should have papers with code links or results"
        assert new.store.embeddings_by_pk(MODEL_KEY, [1, 2, 300]) == old.store.embeddings_by_pk(
            MODEL_KEY, [1, 2, 300]
        )
        for query in ("graph neural networks", "diffusion", "author:smith"):
            assert [h.id for h in new.search(query, mode="keyword")] == [
                h.id for h in old.search(query, mode="keyword")
            ]
        # Members come along: sign-in works with the same password, votes, collections, digests.
        ada = new.accounts.sign_in("ada@example.org", "correct horse battery")
        assert new.upvote_counts(some[:1]) == {some[0]: 2}
        assert [s.paper.id for s in new.collection(ada, "reading")] == [
            s.paper.id for s in old.collection(ada, "reading")
        ]
        assert new.store.digest_status(ada.id, "daily", "2026-06-20") == "sending"
        # Curation comes along: the day's list, comments, the log, roles, follows, claims.
        assert old.curation.day().entries and new.curation.day() == old.curation.day()
        assert (
            new.curation.comments(some[0]) == []
            and len(new.curation.comments(old.curation.day().entries[0].paper.id)) == 1
        )
        assert new.curation.log() == old.curation.log()
        assert new.accounts.user("bob@example.org").role == "curator"  # type: ignore[union-attr]
        assert new.curation.claims() == old.curation.claims()
        assert [r.arxiv_id for r in new.store.pending_submissions()] == ["2401.00001"]
        # New rows get new keys after the copied ones.
        carol = new.accounts.sign_up("carol@example.org", "another good password")
        assert carol.id == 3
        assert new.curation.add_comment(carol, some[0], "new").id == 3
        assert len(new.store.unsent_mail()) == len(old.store.unsent_mail())
        assert (
            new.ingest_records([Paper(id="x-new", title="A paper added after the copy", source="test")]).added
            == 1
        )


def test_an_interrupted_copy_resumes_and_a_changed_copy_is_caught(
    tmp_path: Path, postgres_location: str, invoke: CliRun
) -> None:
    source = sqlite_library(tmp_path, papers=120)
    seen: list[tuple[str, int]] = []

    def stop_in_the_papers(table: str, done: int, total: int) -> None:
        seen.append((table, done))
        if table == "papers" and done >= 40:
            raise KeyboardInterrupt

    with Library.open(source) as lib:
        with pytest.raises(KeyboardInterrupt):
            lib.copy_to(postgres_location, batch=20, on_progress=stop_in_the_papers)
        assert ("papers", 40) in seen
        seen.clear()
        checks = lib.copy_to(postgres_location, batch=20, on_progress=lambda t, d, n: seen.append((t, d)))
    assert all(check.ok for check in checks), [c for c in checks if not c.ok]
    papers_progress = [done for table, done in seen if table == "papers"]
    assert papers_progress[0] == 60, "the rerun starts after the 40 papers already committed"

    with Library.open(postgres_location) as copy:
        assert copy.stats()["papers"] == 120
        copy.store.set_meta("change_sequence", "999")  # the copy drifts from its source
    again = invoke("migrate", "--to", postgres_location, db=source)
    assert again.returncode == 1
    assert "DIFFERENT" in again.stdout and "meta" in again.stderr


def test_migrate_names_a_target_it_cannot_reach(
    tmp_path: Path, invoke: CliRun, library_locations: LibraryLocations
) -> None:
    source = sqlite_library(tmp_path, papers=5)
    done = invoke("migrate", "--to", "postgresql://nobody:secret@127.0.0.1:1/none", db=source)
    assert done.returncode != 0
    assert "cannot connect to postgresql://nobody:***@127.0.0.1:1/none" in done.stderr
    assert "secret" not in done.stderr
