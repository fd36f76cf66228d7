"""Curation on the web, in process: the curated day at "/", submitting, curator controls and the
403 a member gets, comments rendered inert, the hourly limit's 429, public collections with their
feeds and BibTeX, and the curated `/api/daily_papers`; then a real server read by the real
`huggingface_hub` client; the CLI's `user grant` and `curation log`."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import CliRun, LibraryLocations, served_in_thread
from papersift import Library
from papersift.members.accounts import User
from papersift.members.curation import COMMENTS_PER_HOUR
from papersift.records import Paper
from papersift.web.app import create_app
from papersift.web.render import dom_id
from papersift.web.security import CSRF_COOKIE

TODAY = datetime.now(UTC).date()
_addresses = (f"10.8.{n // 250}.{n % 250 + 1}" for n in itertools.count())
_names = (f"member{n}" for n in itertools.count())


def paper(number: int, title: str) -> Paper:
    return Paper(
        id=f"2611.{number:05d}",
        arxiv_id=f"2611.{number:05d}",
        title=title,
        abstract=f"{title}. A study.",
        authors=("Ada Lovelace", "Grace Hopper"),
        categories=("cs.LG",),
        published=TODAY,
        source="test",
    )


PAPERS = [paper(1, "Curated graph rewiring"), paper(2, "Curated diffusion"), paper(3, "Never curated")]


@pytest.fixture(scope="module")
def library(
    tmp_path_factory: pytest.TempPathFactory, library_locations: LibraryLocations
) -> Iterator[Library]:
    lib = Library.open(
        library_locations.new(tmp_path_factory.mktemp("curated"), "curated"), embedding_model="none"
    )
    lib.ingest_records(PAPERS)
    lib.refresh_index()
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def app(library: Library) -> Any:
    return create_app(library)


def browser_of(app: Any) -> TestClient:
    return TestClient(app, client=(next(_addresses), 50000), follow_redirects=False)


def signed_up(app: Any, library: Library, role: str = "member") -> tuple[TestClient, str, User]:
    """A browser with a new member signed in: (browser, CSRF token, member)."""
    client = browser_of(app)
    client.get("/search")
    token = client.cookies.get(CSRF_COOKIE)
    assert token
    name = next(_names)
    email = f"{name}@example.org"
    form = {"email": email, "name": name.title(), "password": "correct horse battery", "csrf_token": token}
    answer = client.post("/signup", data=form)
    assert answer.status_code == 303, answer.text
    user = library.accounts.user(email)
    assert user is not None
    if role != "member":
        user = library.curation.grant(None, email, role)
    return client, token, user


def test_the_home_page_is_the_curated_day_once_someone_submits(app: Any, library: Library) -> None:
    client, token, _ada = signed_up(app, library)
    assert "Never curated" in client.get("/").text  # no list yet: every new paper
    answer = client.post(
        "/submit", data={"reference": "https://arxiv.org/abs/2611.00001v2", "csrf_token": token}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/?date={TODAY.isoformat()}#{dom_id('entry', '2611.00001')}"
    home = client.get("/").text
    assert "Curated graph rewiring" in home and "Never curated" not in home and "Submitted by" in home
    assert "Never curated" in client.get("/new").text  # every new paper stays one click away
    week = client.get("/?period=week").text
    assert "Never curated" in week and 'href="/?date=' in week  # the firehose's own links at "/"


def test_a_bad_submission_is_a_400_that_says_why(app: Any, library: Library) -> None:
    client, token, _ = signed_up(app, library)
    answer = client.post("/submit", data={"reference": "not a paper", "csrf_token": token})
    assert answer.status_code == 400 and "is not an arXiv id or URL" in answer.text
    assert client.post("/submit", data={"reference": "2611.00002"}).status_code == 403  # no CSRF token


def test_members_cannot_moderate_and_curators_can(app: Any, library: Library) -> None:
    member, token, ada = signed_up(app, library)
    library.curation.submit(ada, "2611.00002")
    url = f"/daily/{TODAY.isoformat()}/2611.00002/moderate"
    refused = member.post(url, data={"action": "pin", "csrf_token": token})
    assert refused.status_code == 403 and "only curators" in refused.text.lower()
    assert "Pin</button>" not in member.get("/").text
    curator, curator_token, _ = signed_up(app, library, "curator")
    assert "Pin</button>" in curator.get("/").text
    answer = curator.post(url, data={"action": "pin", "csrf_token": curator_token})
    assert answer.status_code == 303
    entries = library.curation.day(TODAY).entries
    assert entries[0].paper.id == "2611.00002" and entries[0].pinned
    desk = curator.get("/curate").text
    assert "daily:" + TODAY.isoformat() + ":2611.00002" in desk and ">pin<" in desk
    assert member.get("/curate").status_code == 403


def test_comments_render_markdown_and_never_markup(app: Any, library: Library) -> None:
    client, token, _ = signed_up(app, library)
    hostile = "**bold** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    answer = client.post("/papers/2611.00003/comments", data={"body": hostile, "csrf_token": token})
    assert answer.status_code == 303 and "#comment-" in answer.headers["location"]
    html = client.get("/papers/2611.00003").text
    assert "<strong>bold</strong>" in html
    assert "<script>alert" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html


def test_removed_comments_disappear_from_pages_and_the_api(app: Any, library: Library) -> None:
    client, _token, ada = signed_up(app, library)
    library.curation.submit(ada, "2611.00001")
    comment = library.curation.add_comment(ada, "2611.00001", "Spam, spam and spam")
    api = client.get("/api/daily_papers").json()
    assert next(item for item in api if item["paper"]["id"] == "2611.00001")["numComments"] >= 1
    curator, curator_token, _ = signed_up(app, library, "curator")
    answer = curator.post(
        f"/comments/{comment.id}/delete", data={"csrf_token": curator_token, "reason": "spam"}
    )
    assert answer.status_code == 303
    assert "Spam, spam and spam" not in client.get("/papers/2611.00001").text
    counts = {item["paper"]["id"]: item["numComments"] for item in client.get("/api/daily_papers").json()}
    assert counts["2611.00001"] == len(library.curation.comments("2611.00001"))


def test_comments_past_the_hourly_limit_get_a_429(app: Any, library: Library) -> None:
    client, token, ada = signed_up(app, library)
    for number in range(COMMENTS_PER_HOUR):
        library.curation.add_comment(ada, "2611.00003", f"note {number}")
    answer = client.post("/papers/2611.00003/comments", data={"body": "one more", "csrf_token": token})
    assert answer.status_code == 429 and answer.headers["retry-after"] == "3600"


def test_a_public_collection_has_a_page_a_feed_and_bibtex(app: Any, library: Library) -> None:
    client, token, ada = signed_up(app, library)
    library.save_papers(ada, ["2611.00001"], "Rewiring reads")
    made = client.post(
        "/collections/visibility", data={"name": "Rewiring reads", "public": "1", "csrf_token": token}
    )
    assert made.status_code == 303
    address = made.headers["location"]
    stranger = browser_of(app)
    shown = stranger.get(address).text
    assert "Rewiring reads" in shown and "Curated graph rewiring" in shown
    number = address.rsplit("/", 1)[1]
    feed = stranger.get(f"/feeds/collections/{number}.rss")
    assert feed.status_code == 200 and "<title>Curated graph rewiring</title>" in feed.text
    bibtex = stranger.get(f"/collections/{number}.bib")
    assert (
        bibtex.status_code == 200 and "Curated graph rewiring" in bibtex.text and bibtex.text.startswith("@")
    )
    follower, follower_token, bob = signed_up(app, library)
    assert follower.post(f"{address}/follow", data={"csrf_token": follower_token}).status_code == 303
    assert library.curation.followed(bob) == [int(number)]
    client.post(
        "/collections/visibility", data={"name": "Rewiring reads", "public": "0", "csrf_token": token}
    )
    assert stranger.get(address).status_code == 404
    assert stranger.get(f"/feeds/collections/{number}.rss").status_code == 404


def test_a_confirmed_author_shows_on_the_author_page(app: Any, library: Library) -> None:
    client, token, ada = signed_up(app, library)
    answer = client.post("/papers/2611.00002/claim", data={"author": "Grace Hopper", "csrf_token": token})
    assert answer.status_code == 303
    assert "a curator will confirm it" in client.get("/papers/2611.00002").text
    curator, curator_token, _ = signed_up(app, library, "curator")
    form = {"email": ada.email, "paper_id": "2611.00002", "decision": "confirm", "csrf_token": curator_token}
    decided = curator.post("/curate/claims", data=form)
    assert decided.status_code == 303
    assert f"{ada.name} is this author" in client.get("/authors/Grace%20Hopper").text


def test_the_api_lists_the_curated_day_in_the_hub_shape(app: Any, library: Library) -> None:
    client, _token, ada = signed_up(app, library)
    library.curation.submit(ada, "2611.00001")
    items = client.get(f"/api/daily_papers?date={TODAY.isoformat()}").json()
    ours = next(item for item in items if item["paper"]["id"] == "2611.00001")
    submitted = library.curation.day(TODAY).entries
    first = next(e for e in submitted if e.paper.id == "2611.00001").submitters[0]
    assert ours["submittedBy"]["fullname"] == first.name
    assert ours["submittedBy"]["name"] == first.name.lower()
    assert ours["paper"]["submittedOnDailyAt"].startswith(TODAY.isoformat())
    assert "2611.00003" not in [item["paper"]["id"] for item in items]  # not curated
    assert (
        client.get(f"/api/daily_papers?submitter={first.name}").json()[0]["submittedBy"]["fullname"]
        == first.name
    )
    assert client.get("/api/daily_papers?submitter=nobody").json() == []


# -- the real huggingface_hub client --------------------------------------------------------------


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, library_locations: LibraryLocations) -> Iterator[Any]:
    huggingface_hub = pytest.importorskip("huggingface_hub")
    library = Library.open(
        library_locations.new(tmp_path_factory.mktemp("hub"), "hub"), embedding_model="none"
    )
    library.ingest_records(PAPERS)
    library.refresh_index()
    ada = library.accounts.sign_up("ada@example.org", "correct horse battery", name="Ada Lovelace")
    bob = library.accounts.sign_up("bob@example.org", "correct horse battery", name="Bob")
    library.curation.submit(ada, "2611.00001")
    library.curation.submit(bob, "2611.00002")
    library.upvote(ada, "2611.00002")
    library.upvote(bob, "2611.00002")
    with served_in_thread(create_app(library)) as url:
        yield huggingface_hub.HfApi(endpoint=url, token=False)
    library.close()


def test_the_hub_client_lists_curated_entries_with_submitters_and_upvotes(hub: Any) -> None:
    daily = list(hub.list_daily_papers(sort="trending"))
    # (The client reads an upvote count of 0 as None.)
    assert [(p.id, p.upvotes or 0, p.submitted_by.fullname) for p in daily] == [
        ("2611.00002", 2, "Bob"), ("2611.00001", 0, "Ada Lovelace"),
    ]  # fmt: skip
    assert daily[1].submitted_by.name == "ada-lovelace"
    assert [p.id for p in hub.list_daily_papers(submitter="ada-lovelace")] == ["2611.00001"]
    assert [p.id for p in hub.list_daily_papers(date=TODAY.isoformat(), sort="publishedAt")] == [
        "2611.00002", "2611.00001",
    ]  # fmt: skip


# -- the command line ----------------------------------------------------------------------------


def test_roles_are_granted_and_the_log_read_on_the_command_line(invoke: CliRun, db_location: str) -> None:
    with Library.open(db_location, embedding_model="none") as library:
        library.accounts.sign_up("cleo@example.org", "correct horse battery")
        library.ingest_records([paper(9, "Listed from the command line")])
    granted = invoke("user", "grant", "CLEO@example.org", "curator")
    assert granted.returncode == 0 and "cleo@example.org is now curator" in granted.stderr
    assert invoke("user", "grant", "nobody@example.org", "curator").returncode == 1
    assert invoke("user", "grant", "cleo@example.org", "owner").returncode == 2  # click names the choices
    listed = invoke("curation", "submit", "2611.00009", "--as", "cleo@example.org")
    assert listed.returncode == 0 and "listed" in listed.stderr
    log = json.loads(invoke("curation", "log", "--json").stdout)
    assert [(row["actor"], row["action"], row["target"]) for row in log] == [
        ("command line", "grant", "user:cleo@example.org")
    ]
    roles = {row["email"]: row["role"] for row in json.loads(invoke("user", "list", "--json").stdout)}
    assert roles == {"cleo@example.org": "curator"}
    assert date.fromisoformat(json.loads(invoke("curation", "log", "--json").stdout)[0]["at"][:10]) == TODAY


def test_comment_notifications_are_switched_off_and_on_from_the_subscriptions_page(
    app: Any, library: Library
) -> None:
    client, token, ada = signed_up(app, library)
    assert "Stop these e-mails" in client.get("/subscriptions").text
    answer = client.post("/subscriptions/comment-notifications", data={"notify": "0", "csrf_token": token})
    assert answer.status_code == 303 and not library.curation.comment_notifications(ada)
    assert "E-mail me about comments" in client.get("/subscriptions").text
    client.post("/subscriptions/comment-notifications", data={"notify": "1", "csrf_token": token})
    assert library.curation.comment_notifications(ada)


def test_admins_grant_roles_on_the_curators_desk_and_curators_cannot(app: Any, library: Library) -> None:
    _member_browser, _token, ada = signed_up(app, library)
    curator, curator_token, _ = signed_up(app, library, "curator")
    refused = curator.post(
        "/curate/roles", data={"email": ada.email, "role": "curator", "csrf_token": curator_token}
    )
    assert refused.status_code == 403
    admin, admin_token, root = signed_up(app, library, "admin")
    assert (
        'id="grant-email"' in admin.get("/curate").text
        and 'id="grant-email"' not in curator.get("/curate").text
    )
    granted = admin.post(
        "/curate/roles", data={"email": ada.email, "role": "curator", "csrf_token": admin_token}
    )
    assert granted.status_code == 303
    assert library.accounts.user(ada.email).role == "curator"  # type: ignore[union-attr]
    assert (library.curation.log()[0].actor, library.curation.log()[0].target) == (
        root.email,
        f"user:{ada.email}",
    )


def test_listings_show_how_many_comments_a_paper_has(app: Any, library: Library) -> None:
    client, _token, ada = signed_up(app, library)
    library.curation.add_comment(ada, "2611.00003", "First!")
    count = len(library.curation.comments("2611.00003"))
    label = f"{count} comment{'' if count == 1 else 's'}<span"
    for page in ("/new", "/search?q=never+curated", "/authors/Ada%20Lovelace"):
        assert label in client.get(page).text, page


def test_one_question_gives_a_list_its_cards_and_the_front_page_its_papers(
    new_location: Callable[[str], str],
) -> None:
    """`Library.cards`: each paper's votes and comments and the member's state, for any list;
    `Library.front_page`: every new paper until members curate, then their list."""
    with Library.open(new_location("cards"), embedding_model="none") as lib:
        lib.ingest_records(PAPERS)
        ada = lib.accounts.sign_up("ada@example.org", "correct horse battery", "Ada")
        first, second, third = (lib.paper(p.id) for p in PAPERS)
        before = lib.front_page()
        assert not before.curated and before.feed is not None and before.day is None
        lib.upvote(ada, first.id)
        lib.save_papers(ada, [first.id], "Reading")
        lib.curation.add_comment(ada, second.id, "Worth a read.")
        cards = lib.cards([first, second, third], ada)
        assert [(c.id, c.upvotes, c.comments, c.upvoted, c.saved_in) for c in cards] == [
            (first.id, 1, 0, True, ("Reading",)),
            (second.id, 0, 1, False, ()),
            (third.id, 0, 0, False, ()),
        ]
        assert [(c.upvotes, c.upvoted, c.saved_in) for c in lib.cards([first])] == [(1, False, ())]
        assert lib.cards([]) == []
        lib.curation.submit(ada, second.id)
        day = lib.front_page()
        assert day.curated and day.day is not None and [e.paper.id for e in day.entries] == [second.id]
        assert lib.front_page(every_paper=True).feed is not None
        week = lib.front_page(period="week", sort="date")
        assert week.curated and week.day is None and [e.paper.id for e in week.entries] == [second.id]
