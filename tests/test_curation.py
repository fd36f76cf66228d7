"""Curation through the Library: submissions to a day's list, roles and moderation, comments,
public collections and authorship claims (on SQLite and, with --backend postgres, PostgreSQL)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from papersift import Library
from papersift.errors import CurationError, NotAllowed, PaperNotFound, RateLimited
from papersift.ingest.harvest import PoliteClient
from papersift.members.accounts import User
from papersift.members.curation import COMMENTS_PER_HOUR
from papersift.records import Paper
from replay_server import ReplayServer, Reply

TODAY = date(2026, 11, 20)
ARXIV_RESPONSE = Path(__file__).parent / "fixtures" / "arxiv_api" / "id_1707.08567_s0_m100_6a1afebfc6a3.xml"


def paper(number: int, published: date = TODAY, authors: tuple[str, ...] = ("Ada Lovelace",)) -> Paper:
    return Paper(
        id=f"2611.{number:05d}",
        arxiv_id=f"2611.{number:05d}",
        title=f"Curated paper number {number}",
        abstract=f"An abstract about topic {number % 3}.",
        authors=authors,
        categories=("cs.LG",),
        published=published,
        source="test",
    )


@pytest.fixture
def lib(make_library: object) -> Library:
    library: Library = make_library(embedding_model="none")  # type: ignore[operator]
    library.ingest_records(
        [paper(n) for n in range(1, 6)]
        + [paper(6, TODAY - timedelta(days=20)), paper(7, authors=("Grace Hopper", "Alan Turing"))]
    )
    library.refresh_index()
    return library


def member(lib: Library, name: str, role: str = "member") -> User:
    user = lib.accounts.sign_up(f"{name}@example.org", "correct horse battery", name=name.title())
    if role != "member":
        user = lib.curation.grant(None, user.email, role)
    return user


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/query"


@pytest.fixture
def arxiv() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        server.script("/api/query", {"id_list": "1707.08567", "start": "0", "max_results": "1"},
                      Reply.file(ARXIV_RESPONSE))  # fmt: skip
        yield server


# -- submitting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    ["2611.00001", "arXiv:2611.00001v2", "https://arxiv.org/abs/2611.00001v3", "https://arxiv.org/pdf/2611.00001",
     "http://arxiv.org/pdf/2611.00001v1.pdf"],
)  # fmt: skip
def test_a_paper_is_submitted_by_any_spelling_of_its_arxiv_id(lib: Library, reference: str) -> None:
    ada = member(lib, "ada")
    submission = lib.curation.submit(ada, reference, today=TODAY)
    assert submission.outcome == "listed" and submission.paper and submission.paper.id == "2611.00001"
    listed = lib.curation.day(TODAY)
    assert [entry.paper.id for entry in listed.entries] == ["2611.00001"]
    assert [s.name for s in listed.entries[0].submitters] == ["Ada"]


def test_the_same_paper_submitted_twice_on_a_day_is_one_entry_with_both_submitters(lib: Library) -> None:
    ada, bob = member(lib, "ada"), member(lib, "bob")
    assert lib.curation.submit(ada, "2611.00002", today=TODAY).outcome == "listed"
    assert lib.curation.submit(bob, "https://arxiv.org/abs/2611.00002", today=TODAY).outcome == "listed"
    again = lib.curation.submit(ada, "2611.00002v1", today=TODAY)
    assert again.outcome == "already-listed" and "already" in again.message
    entries = lib.curation.day(TODAY).entries
    assert len(entries) == 1 and [s.name for s in entries[0].submitters] == ["Ada", "Bob"]
    # Another day is another list.
    lib.curation.submit(ada, "2611.00002", today=TODAY + timedelta(days=1))
    assert len(lib.curation.day(TODAY + timedelta(days=1)).entries) == 1


def test_papers_older_than_the_window_are_refused_with_their_date(lib: Library) -> None:
    ada = member(lib, "ada")
    with pytest.raises(CurationError, match=r"2611.00006 was published on 2026-10-31, more than 14 days"):
        lib.curation.submit(ada, "2611.00006", today=TODAY)
    lib.curation.window_days = 30
    assert lib.curation.submit(ada, "2611.00006", today=TODAY).outcome == "listed"


def test_what_is_not_an_arxiv_id_is_refused_clearly(lib: Library) -> None:
    with pytest.raises(CurationError, match="not an arXiv id or URL"):
        lib.curation.submit(member(lib, "ada"), "https://example.org/my-paper", today=TODAY)


def test_a_paper_not_in_the_library_is_fetched_from_arxiv(lib: Library, arxiv: ReplayServer) -> None:
    lib.curation.arxiv_api = f"{arxiv.url}/api/query"
    submission = lib.curation.submit(
        member(lib, "ada"), "https://arxiv.org/abs/1707.08567v1", today=date(2017, 7, 30)
    )
    assert submission.outcome == "listed"
    assert lib.paper("1707.08567").title.startswith("Proceedings of Workshop AEW10")
    assert [e.paper.id for e in lib.curation.day(date(2017, 7, 30)).entries] == ["1707.08567"]
    assert len(arxiv.requests_to("/api/query")) == 1


def test_offline_the_submission_is_kept_and_listed_once_arxiv_answers(
    lib: Library, arxiv: ReplayServer
) -> None:
    ada = member(lib, "ada")
    lib.curation.arxiv_api = closed_port_url()
    kept = lib.curation.submit(ada, "1707.08567", today=date(2017, 7, 30))
    assert (
        kept.outcome == "awaiting-metadata"
        and "could not be reached" in kept.message
        and "1707.08567" in kept.message
    )
    assert lib.curation.day(date(2017, 7, 30)).entries == []
    assert lib.curation.retry_pending() == (0, 1)  # still offline: kept
    lib.curation.arxiv_api = f"{arxiv.url}/api/query"
    assert lib.curation.retry_pending(client=PoliteClient(delay=0)) == (1, 0)
    entries = lib.curation.day(date(2017, 7, 30)).entries
    assert [e.paper.id for e in entries] == ["1707.08567"] and entries[0].submitters[0].name == "Ada"


# -- roles, moderation and ranking ---------------------------------------------------------------


def test_a_moderated_site_lists_members_submissions_once_a_curator_approves(lib: Library) -> None:
    lib.curation.mode = "moderated"
    ada, cleo = member(lib, "ada"), member(lib, "cleo", "curator")
    assert lib.curation.submit(ada, "2611.00001", today=TODAY).outcome == "awaiting-approval"
    assert lib.curation.day(TODAY).entries == []
    assert [e.paper.id for e in lib.curation.waiting_for_approval()] == ["2611.00001"]
    assert [e.status for e in lib.curation.day(TODAY, include_pending=True).entries] == ["pending"]
    with pytest.raises(NotAllowed, match="only curators"):
        lib.curation.moderate(ada, TODAY, "2611.00001", "approve")
    lib.curation.moderate(cleo, TODAY, "2611.00001", "approve")
    assert [e.paper.id for e in lib.curation.day(TODAY).entries] == ["2611.00001"]
    # A curator's own submission needs nobody's approval.
    assert lib.curation.submit(cleo, "2611.00003", today=TODAY).outcome == "listed"
    log = lib.curation.log()
    assert (log[0].actor, log[0].action, log[0].target) == (
        "cleo@example.org",
        "approve",
        "daily:2026-11-20:2611.00001",
    )


def test_the_day_is_ranked_pinned_first_then_by_upvotes(lib: Library) -> None:
    ada, bob, cleo = member(lib, "ada"), member(lib, "bob"), member(lib, "cleo", "curator")
    for number in (1, 2, 3):
        lib.curation.submit(ada, f"2611.0000{number}", today=TODAY)
    lib.upvote(bob, "2611.00002")
    lib.upvote(ada, "2611.00002")
    lib.upvote(bob, "2611.00003")
    assert [e.paper.id for e in lib.curation.day(TODAY).entries] == ["2611.00002", "2611.00003", "2611.00001"]
    lib.curation.moderate(cleo, TODAY, "2611.00001", "pin")
    lib.curation.moderate(cleo, TODAY, "2611.00003", "feature")
    entries = lib.curation.day(TODAY).entries
    assert [e.paper.id for e in entries] == ["2611.00001", "2611.00002", "2611.00003"]
    assert [(e.pinned, e.featured, e.upvotes) for e in entries] == [
        (True, False, 0),
        (False, False, 2),
        (False, True, 1),
    ]
    lib.curation.moderate(cleo, TODAY, "2611.00002", "remove")
    assert [e.paper.id for e in lib.curation.day(TODAY).entries] == ["2611.00001", "2611.00003"]
    with pytest.raises(CurationError, match="removed from the list of 2026-11-20 by a curator"):
        lib.curation.submit(bob, "2611.00002", today=TODAY)
    assert [entry.action for entry in lib.curation.log()] == ["remove", "feature", "pin", "grant"]


def test_only_admins_grant_roles_and_the_command_line_may(lib: Library) -> None:
    ada, cleo = member(lib, "ada"), member(lib, "cleo", "curator")
    with pytest.raises(NotAllowed, match="only admins can grant roles"):
        lib.curation.grant(cleo, ada.email, "curator")
    root = member(lib, "root", "admin")
    assert lib.curation.grant(root, "ADA@example.org", "curator").role == "curator"
    with pytest.raises(CurationError, match="unknown role 'owner'"):
        lib.curation.grant(root, ada.email, "owner")
    assert ("root@example.org", "grant", "user:ada@example.org", "curator") in [
        (row.actor, row.action, row.target, row.detail) for row in lib.curation.log()
    ]
    assert {email for email, _, _ in lib.curation.staff()} == {
        "ada@example.org",
        "cleo@example.org",
        "root@example.org",
    }


def test_a_day_knows_its_neighbours_with_lists(lib: Library) -> None:
    ada = member(lib, "ada")
    for offset in (0, 2, 5):
        lib.curation.submit(ada, "2611.00001", today=TODAY + timedelta(days=offset - 5))
    middle = lib.curation.day(TODAY - timedelta(days=3))
    assert (middle.before, middle.after) == (TODAY - timedelta(days=5), TODAY)
    assert lib.curation.day().day == TODAY  # the newest day with a list
    assert lib.curation.has_lists()


# -- comments ------------------------------------------------------------------------------------


def test_comments_are_added_edited_by_their_author_and_removed_everywhere(lib: Library) -> None:
    ada, bob, cleo = member(lib, "ada"), member(lib, "bob"), member(lib, "cleo", "curator")
    lib.curation.submit(ada, "2611.00001", today=TODAY)
    first = lib.curation.add_comment(ada, "2611.00001", "  Great **paper**!\r\n")
    second = lib.curation.add_comment(bob, "2611.00001", "Spam spam")
    assert first.body == "Great **paper**!" and first.author == "Ada"
    with pytest.raises(NotAllowed, match="only its author can edit"):
        lib.curation.edit_comment(bob, first.id, "hijacked")
    assert lib.curation.edit_comment(ada, first.id, "Great paper, really.").edited_at
    assert lib.curation.day(TODAY).entries[0].comments == 2
    with pytest.raises(NotAllowed, match="only curators can remove other members' comments"):
        lib.curation.delete_comment(ada, second.id)
    lib.curation.delete_comment(cleo, second.id, reason="spam")
    assert [c.body for c in lib.curation.comments("2611.00001")] == ["Great paper, really."]
    assert lib.curation.comment_counts(["2611.00001"]) == {"2611.00001": 1}
    assert lib.curation.day(TODAY).entries[0].comments == 1
    lib.curation.delete_comment(ada, first.id)
    assert lib.curation.comments("2611.00001") == []
    actions = [(row.action, row.detail) for row in lib.curation.log()[:2]]
    assert actions == [("delete-own-comment", ""), ("remove-comment", "spam")]
    with pytest.raises(CurationError, match="cannot be empty"):
        lib.curation.add_comment(ada, "2611.00001", "   ")
    with pytest.raises(PaperNotFound):
        lib.curation.add_comment(ada, "9999.99999", "hello")


def test_comments_are_rate_limited_per_member_but_not_for_curators(lib: Library) -> None:
    ada, cleo = member(lib, "ada"), member(lib, "cleo", "curator")
    for number in range(COMMENTS_PER_HOUR):
        lib.curation.add_comment(ada, "2611.00001", f"comment {number}")
    with pytest.raises(RateLimited, match=f"at most {COMMENTS_PER_HOUR} comments an hour"):
        lib.curation.add_comment(ada, "2611.00001", "one too many")
    for number in range(COMMENTS_PER_HOUR + 1):
        lib.curation.add_comment(cleo, "2611.00001", f"curator {number}")


# -- public collections and claims ---------------------------------------------------------------


def test_a_public_collection_has_a_stable_address_and_followers(lib: Library) -> None:
    ada, bob = member(lib, "ada"), member(lib, "bob")
    lib.save_papers(ada, ["2611.00001", "2611.00002"], "reading group", note="week 1")
    collection_id = lib.curation.set_public(ada, "reading group")
    shown = lib.curation.public_collection(collection_id)
    assert (shown.name, shown.owner, [p.paper.id for p in shown.papers]) == (
        "reading group", "Ada", ["2611.00002", "2611.00001"],
    )  # fmt: skip
    lib.curation.follow(bob, collection_id)
    assert lib.curation.followed(bob) == [collection_id]
    assert lib.curation.public_collection(collection_id).followers == 1
    with pytest.raises(CurationError, match="your own collection"):
        lib.curation.follow(ada, collection_id)
    assert [(row.id, row.name, row.owner) for row in lib.curation.public_collections()] == [
        (collection_id, "reading group", "Ada")
    ]
    lib.curation.set_public(ada, "reading group", False)
    with pytest.raises(PaperNotFound, match=f"no public collection {collection_id}"):
        lib.curation.public_collection(collection_id)
    assert lib.curation.followed(bob) == []


def test_an_authorship_claim_is_confirmed_by_a_curator(lib: Library) -> None:
    ada, cleo = member(lib, "ada"), member(lib, "cleo", "curator")
    with pytest.raises(CurationError, match=r"'Ada Byron' is not an author of 2611\.00007"):
        lib.curation.claim(ada, "2611.00007", "Ada Byron")
    lib.curation.claim(ada, "2611.00007", "Grace Hopper")
    with pytest.raises(CurationError, match=r"claimed 2611\.00007 already"):
        lib.curation.claim(ada, "2611.00007", "Grace Hopper")
    assert [(c.email, c.author) for c in lib.curation.claims()] == [("ada@example.org", "Grace Hopper")]
    assert lib.curation.claimed_by("Grace Hopper") == []
    with pytest.raises(NotAllowed):
        lib.curation.decide_claim(ada, "ada@example.org", "2611.00007", confirm=True)
    lib.curation.decide_claim(cleo, "ada@example.org", "2611.00007", confirm=True)
    assert lib.curation.claims() == []
    assert [(name, [p.id for p in papers]) for name, papers in lib.curation.claimed_by("grace hopper")] == [
        ("Ada", ["2611.00007"])
    ]
    assert lib.curation.log()[0].action == "confirm-claim"


def test_a_followed_collection_brings_what_is_added_to_it_in_the_daily_digest(lib: Library) -> None:
    ada, bob, cleo = member(lib, "ada"), member(lib, "bob"), member(lib, "cleo")
    lib.save_papers(ada, ["2611.00001"], "reading group")
    collection_id = lib.curation.set_public(ada, "reading group")
    lib.curation.follow(bob, collection_id)
    lib.curation.follow(cleo, collection_id)
    today = date.today()
    digest = lib.digest(bob, today, "daily")
    assert [(e.paper.id, e.reasons) for e in digest.entries] == [
        ("2611.00001", ["added to the collection “reading group” by Ada, which you follow"])
    ]
    assert lib.digest(bob, today, "weekly").entries == []  # followed collections come daily
    sent: list[object] = []
    run = lib.send_digests(sent.append, day=today)
    assert run.sent == 2 and "reading group" in str(sent[0])
    lib.save_papers(ada, ["2611.00002"], "reading group")
    dave = member(lib, "dave")
    lib.curation.follow(dave, collection_id)
    assert [e.paper.id for e in lib.digest(dave, today, "daily").entries] == ["2611.00002", "2611.00001"]
    lib.curation.set_public(ada, "reading group", False)  # private again: nothing comes from it
    assert lib.digest(dave, today, "daily").entries == []
