"""Accounts, upvotes and feeds through the Library: what the web app stands on."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from papersift import Library
from papersift.errors import AccountError, PaperNotFound, TooManyAttempts
from papersift.feeds.periods import period_span, trending_score
from papersift.members.accounts import MAX_FAILURES
from papersift.records import Paper


def paper(number: int, day: date) -> Paper:
    return Paper(
        id=f"2606.{number:05d}",
        title=f"Paper number {number} on topic {number % 3}",
        abstract=f"An abstract about topic {number % 3}.",
        authors=("Ada Lovelace",),
        categories=("cs.LG",),
        published=day,
        source="test",
    )


@pytest.fixture
def lib(library: Library) -> Library:
    days = [date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 2), date(2026, 6, 9), date(2026, 7, 1)]
    library.ingest_records([paper(n, day) for n, day in enumerate(days, start=1)])
    library.refresh_index()
    return library


# -- accounts ----------------------------------------------------------------------------------


def test_sign_up_then_sign_in_with_the_password_only(lib: Library, db_path: Path) -> None:
    user = lib.accounts.sign_up("ada@example.org", "correct horse", name="Ada")
    assert (user.email, user.name) == ("ada@example.org", "Ada")
    assert lib.accounts.sign_in("ADA@example.org", "correct horse") == user  # e-mail case does not matter
    with pytest.raises(AccountError, match="wrong e-mail or password"):
        lib.accounts.sign_in("ada@example.org", "wrong horse")
    with pytest.raises(AccountError, match="wrong e-mail or password"):
        lib.accounts.sign_in("nobody@example.org", "correct horse")
    stored = sqlite3.connect(db_path).execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", "long enough", "not an e-mail"),
        ("a@b.org", "short", "at least 8"),
    ],
)
def test_bad_sign_ups_are_refused_with_a_reason(
    lib: Library, email: str, password: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        lib.accounts.sign_up(email, password)


def test_an_email_has_one_account(lib: Library) -> None:
    lib.accounts.sign_up("ada@example.org", "correct horse")
    with pytest.raises(AccountError, match="exists already"):
        lib.accounts.sign_up("Ada@Example.org", "another password")
    assert len(lib.accounts.users()) == 1


def test_sessions_are_tokens_whose_hash_only_is_stored(lib: Library, db_path: Path) -> None:
    user = lib.accounts.sign_up("ada@example.org", "correct horse")
    token = lib.accounts.open_session(user)
    assert lib.accounts.session_user(token) == user
    assert lib.accounts.session_user(token + "x") is None and lib.accounts.session_user(None) is None
    stored = sqlite3.connect(db_path).execute("SELECT token_hash FROM sessions").fetchone()[0]
    assert token.encode() not in stored
    lib.accounts.close_session(token)
    assert lib.accounts.session_user(token) is None


def test_repeated_failed_sign_ins_lock_the_account_for_a_while(lib: Library) -> None:
    lib.accounts.sign_up("ada@example.org", "correct horse")
    for _ in range(MAX_FAILURES):
        with pytest.raises(AccountError):
            lib.accounts.sign_in("ada@example.org", "guess", client="10.0.0.1")
    with pytest.raises(TooManyAttempts) as locked:
        lib.accounts.sign_in("ada@example.org", "correct horse", client="10.0.0.2")
    assert locked.value.retry_after > 0
    with pytest.raises(TooManyAttempts):  # the same address trying another account
        lib.accounts.sign_in("other@example.org", "guess", client="10.0.0.1")


def test_the_rate_limit_is_shared_by_every_process(lib: Library, db_path: Path) -> None:
    lib.accounts.sign_up("ada@example.org", "correct horse")
    with Library.open(db_path) as other_worker:
        for _ in range(MAX_FAILURES):
            with pytest.raises(AccountError):
                other_worker.accounts.sign_in("ada@example.org", "guess")
    with pytest.raises(TooManyAttempts):
        lib.accounts.sign_in("ada@example.org", "correct horse")


# -- upvotes ---------------------------------------------------------------------------------


def test_one_upvote_per_user_per_paper_and_undo(lib: Library) -> None:
    ada = lib.accounts.sign_up("ada@example.org", "correct horse")
    bob = lib.accounts.sign_up("bob@example.org", "correct horse")
    assert lib.upvote(ada, "2606.00001") == 1
    assert lib.upvote(ada, "2606.00001") == 1  # twice is still one
    assert lib.upvote(bob, "arXiv:2606.00001v2") == 2  # any form of the id
    assert lib.upvote_counts(["2606.00001", "2606.00002", "0000.00000"]) == {"2606.00001": 2, "2606.00002": 0}
    assert lib.upvoted_by(ada, ["2606.00001", "2606.00002"]) == {"2606.00001"}
    assert lib.upvote(ada, "2606.00001", voted=False) == 1
    assert lib.upvote(ada, "2606.00001", voted=False) == 1
    with pytest.raises(PaperNotFound):
        lib.upvote(ada, "0000.00000")


# -- feeds -------------------------------------------------------------------------------------


def test_the_daily_feed_opens_on_the_newest_day_and_moves_by_period(lib: Library) -> None:
    newest = lib.daily()
    assert (newest.first, newest.last, newest.total) == (date(2026, 7, 1), date(2026, 7, 1), 1)
    assert (newest.previous_day, newest.next_day) == (date(2026, 6, 9), None)  # nearest days with papers
    day = lib.daily(date(2026, 6, 2))
    assert {i.paper.id for i in day.items} == {"2606.00002", "2606.00003"}
    assert (day.previous_day, day.next_day) == (date(2026, 6, 1), date(2026, 6, 9))
    assert lib.daily(date(2026, 6, 1)).previous_day is None
    week = lib.daily(date(2026, 6, 3), period="week")  # Monday 1 June .. Sunday 7 June
    assert (week.first, week.last, week.total) == (date(2026, 6, 1), date(2026, 6, 7), 3)
    month = lib.daily(date(2026, 6, 20), period="month", sort="date")
    assert month.total == 4
    assert [i.paper.published for i in month.items] == sorted(
        (i.paper.published for i in month.items), reverse=True
    )


def test_the_daily_feed_sorted_by_trending_puts_upvoted_papers_first(lib: Library) -> None:
    ada = lib.accounts.sign_up("ada@example.org", "correct horse")
    lib.upvote(ada, "2606.00001")
    month = lib.daily(date(2026, 6, 1), period="month")
    assert month.items[0].paper.id == "2606.00001" and month.items[0].upvotes == 1
    assert all(i.upvotes == 0 for i in month.items[1:])


def test_trending_ranks_votes_decayed_by_age_then_the_newest(lib: Library) -> None:
    users = [lib.accounts.sign_up(f"u{n}@example.org", "correct horse") for n in range(4)]
    for user in users[:3]:
        lib.upvote(user, "2606.00001")  # 3 votes, 30 days before "today"
    lib.upvote(users[3], "2606.00005")  # 1 vote, published "today"
    ranked = lib.trending(limit=10, today=date(2026, 7, 1))
    assert [i.paper.id for i in ranked[:2]] == ["2606.00005", "2606.00001"]  # 1/2^1.5 > 3/32^1.5
    assert [i.upvotes for i in ranked[:2]] == [1, 3]
    assert [i.paper.id for i in ranked[2:]] == ["2606.00004", "2606.00003", "2606.00002"]  # newest first
    assert [i.paper.id for i in lib.trending(limit=2, offset=1, today=date(2026, 7, 1))] == [
        "2606.00001",
        "2606.00004",
    ]


@pytest.mark.parametrize(
    ("day", "period", "span"),
    [
        (date(2026, 6, 3), "day", (date(2026, 6, 3), date(2026, 6, 3))),
        (date(2026, 6, 3), "week", (date(2026, 6, 1), date(2026, 6, 7))),
        (date(2026, 2, 10), "month", (date(2026, 2, 1), date(2026, 2, 28))),
        (date(2024, 12, 31), "week", (date(2024, 12, 30), date(2025, 1, 5))),
    ],
)
def test_periods(day: date, period: str, span: tuple[date, date]) -> None:
    assert period_span(day, period) == span  # type: ignore[arg-type]


def test_trending_score_decays_with_age_and_needs_a_vote() -> None:
    today = date(2026, 7, 1)
    assert trending_score(0, today, today) == 0
    assert trending_score(5, today, today) > trending_score(5, date(2026, 6, 1), today) > 0
    assert trending_score(10, date(2026, 6, 25), today) > trending_score(5, date(2026, 6, 25), today)


def test_upvote_counts_answer_for_any_spelling_of_known_ids(lib: Library) -> None:
    ada = lib.accounts.sign_up("ada@example.org", "correct horse")
    lib.upvote(ada, "2606.00002")
    counts = lib.upvote_counts(["2606.00002", "arXiv:2606.00002v1", "2606.00003", "nonsense"])
    assert counts == {"2606.00002": 1, "arXiv:2606.00002v1": 1, "2606.00003": 0}
    assert lib.upvoted_by(ada, ["arXiv:2606.00002v1", "2606.00003"]) == {"arXiv:2606.00002v1"}
