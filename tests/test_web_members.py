"""A member's pages, in process: the library of collections (save, note, remove, delete, import,
export), subscriptions with a preview of the next digests, and the unsubscribe link of a digest.

Every page needs an account (the unsubscribe link excepted: its signed token is the authorization),
every state-changing form needs the CSRF token (the unsubscribe link excepted, for mail clients'
one-click POST), names and notes are free text that must route and render inert.

One small library (papers dated around DAY, one with an old-style arXiv id holding "/", one with a
hostile title) serves the module; each test signs up its own member from its own address.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, unquote, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from conftest import LibraryLocations
from papersift import Library
from papersift.members.accounts import User
from papersift.records import Paper
from papersift.web.app import create_app
from papersift.web.security import CSRF_COOKIE, SESSION_COOKIE

if TYPE_CHECKING:
    from httpx2 import Response  # what Starlette's TestClient returns

DAY = date(2026, 6, 10)
SCRIPT = "<script>alert(1)</script>"
OLD_ID = "hep-th/9901001"
EVIL_ID = "2606.00066"

_addresses = (f"10.9.{n // 250}.{n % 250 + 1}" for n in itertools.count())


def paper(
    paper_id: str, day: date, title: str, author: str = "Ada Lovelace", category: str = "cs.LG"
) -> Paper:
    return Paper(
        id=paper_id,
        title=title,
        abstract=f"{title}. We study it carefully and report what we found.",
        authors=(author, "Grace Hopper"),
        categories=(category,),
        published=day,
        arxiv_id=paper_id,
        source="test",
    )


PAPERS = [
    paper("2606.00001", DAY, "Graph rewiring for oversquashing"),
    paper("2606.00002", DAY, "Diffusion models for protein design", author="Emmy Noether"),
    paper("2606.00003", DAY, "A survey of sparse attention", category="cs.CL"),
    paper("2606.00004", date(2026, 6, 8), "Graph transformers at scale"),
    paper("2606.00005", date(2026, 6, 5), "Graph rewiring, older", author="Emmy Noether"),
    paper(OLD_ID, date(1999, 1, 4), "Strings on old identifiers", category="hep-th"),
    paper(EVIL_ID, DAY, f"Xssmarker {SCRIPT} {{{{7*7}}}}"),
    # Known to the BibTeX file imported below, which gives only its year: dated on New Year's Day
    # so that the import changes no date the digest previews depend on.
    paper("2606.00007", date(2026, 1, 1), "Known from a bibliography"),
]
GRAPH = "2606.00001"
DIFFUSION = "2606.00002"


@pytest.fixture(scope="module")
def library(
    tmp_path_factory: pytest.TempPathFactory, library_locations: LibraryLocations
) -> Iterator[Library]:
    lib = Library.open(library_locations.new(tmp_path_factory.mktemp("members"), "members"))
    lib.ingest_records(PAPERS)
    lib.refresh_index()
    assert lib.paper(OLD_ID).id == OLD_ID and SCRIPT in lib.paper(EVIL_ID).title
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def app(library: Library) -> FastAPI:
    return create_app(library)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    """A browser of its own (cookies) at an address of its own (sign-in rate limits)."""
    return TestClient(app, client=(next(_addresses), 50000), follow_redirects=False)


_emails = (f"member{n}@example.org" for n in itertools.count())


def csrf_of(client: TestClient) -> str:
    page = client.get("/search")
    token = page.cookies.get(CSRF_COOKIE) or client.cookies.get(CSRF_COOKIE)
    assert token
    return token


def sign_up(client: TestClient) -> tuple[str, str]:
    """A new member signed in in this browser; (their e-mail, the CSRF token)."""
    email = next(_emails)
    token = csrf_of(client)
    response = client.post(
        "/signup",
        data={"email": email, "name": "Ada", "password": "correct horse battery", "csrf_token": token},
    )
    assert response.status_code == 303, response.text
    assert client.cookies.get(SESSION_COOKIE)
    return email, token


def member(library: Library, email: str) -> User:
    user = library.accounts.user(email)
    assert user is not None
    return user


def save(client: TestClient, token: str, paper_id: str, collection: str, **fields: str) -> Response:
    data = {"csrf_token": token, "new_collection": collection, **fields}
    return client.post(f"/papers/{paper_id}/save", data=data)


def path_of(name: str) -> str:
    return "/library/" + quote(name, safe="")


def escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")


def assert_accessible(html: str) -> None:
    """One h1, every control labelled, nothing the Content-Security-Policy would block."""
    assert html.count("<h1") == 1
    for control_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
        assert f'for="{control_id}"' in html, f"#{control_id} has no label"
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"<style|<[a-z][^>]*\s(?:style|on[a-z]+)=", html)


def assert_inert(html: str) -> None:
    assert "<script>alert" not in html
    assert not re.search(r"Xssmarker[^<]*\b49\b", html)


# -- sign-in ---------------------------------------------------------------------------------------


def test_every_member_page_needs_an_account(client: TestClient) -> None:
    for url in (
        "/library",
        "/library/Reading",
        "/library/Reading.bib",
        "/library/a%2Fb",
        "/subscriptions?day=2026-06-10",
    ):
        response = client.get(url)
        assert response.status_code == 303, url
        location = urlsplit(response.headers["location"])
        assert location.path == "/login", url
        # Back to the same page after signing in (the name escaped as one path segment).
        assert unquote(location.query) == "next=" + url, url
    token = csrf_of(client)
    posts = {
        "/library/import": {"name": "X", "ids": GRAPH},
        "/library/Reading/note": {"paper": GRAPH, "note": "n"},
        "/library/Reading/remove": {"paper": GRAPH},
        "/library/Reading/delete": {},
        f"/papers/{GRAPH}/save": {"new_collection": "X"},
        "/subscriptions": {"kind": "author", "value": "Ada Lovelace"},
        "/subscriptions/1/delete": {},
    }
    for url, data in posts.items():
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 303, url
        assert urlsplit(response.headers["location"]).path == "/login", url
    htmx = client.post(
        f"/papers/{GRAPH}/save",
        data={"new_collection": "X"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == f"/login?next=%2Fpapers%2F{GRAPH}"


def test_members_see_library_and_subscriptions_in_the_menu(client: TestClient) -> None:
    signed_out = client.get("/").text
    assert 'href="/library"' not in signed_out and 'href="/subscriptions"' not in signed_out
    # Signed out, the paper page offers "Save" as a way to the log-in page.
    paper_page = client.get(f"/papers/{GRAPH}").text
    assert f'href="/login?next=/papers/{GRAPH}"' in paper_page and "save-control" not in paper_page
    sign_up(client)
    menu = client.get("/").text.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/library" >Library</a>' in menu and '<a href="/subscriptions" >Subscriptions</a>' in menu
    assert '<a href="/library" aria-current="page">Library</a>' in client.get("/library").text


# -- saving, notes, removing, deleting -------------------------------------------------------------


def test_save_a_paper_without_javascript_and_find_it_in_the_library(client: TestClient) -> None:
    _, token = sign_up(client)
    page = client.get(f"/papers/{GRAPH}").text
    assert 'class="save-control"' in page and "</svg> Save<span" in page
    assert "In your collection" not in page
    saved = save(client, token, GRAPH, "Reading", note="Compare with GCN", next=f"/papers/{GRAPH}")
    assert saved.status_code == 303 and saved.headers["location"] == f"/papers/{GRAPH}"

    page = client.get(f"/papers/{GRAPH}").text
    assert 'class="save-control is-saved"' in page and "</svg> Saved<span" in page
    assert re.search(r'In your collection:\s*<a href="/library/Reading">Reading</a>', page)
    assert '<option value="Reading">Reading (has it)</option>' in page

    library_page = client.get("/library").text
    assert '<a class="collection-name" href="/library/Reading">Reading</a>' in library_page
    assert "1 paper<" in library_page
    collection = client.get("/library/Reading").text
    assert "Graph rewiring for oversquashing" in collection and "Compare with GCN" in collection

    # Saving again with no note keeps the note; the select chooses an existing collection.
    client.post(f"/papers/{GRAPH}/save", data={"csrf_token": token, "collection": "Reading"})
    assert "Compare with GCN" in client.get("/library/Reading").text
    client.post(f"/papers/{DIFFUSION}/save", data={"csrf_token": token, "collection": "Reading"})
    assert "2 papers" in client.get("/library").text
    # Neither chosen nor typed: the default collection.
    save(client, token, DIFFUSION, "")
    assert '<a class="collection-name" href="/library/Saved">Saved</a>' in client.get("/library").text


def test_save_with_htmx_swaps_the_control_and_explains_errors(client: TestClient) -> None:
    _, token = sign_up(client)
    headers = {"X-CSRF-Token": token, "HX-Request": "true", "HX-Target": "save"}
    swapped = client.post(
        f"/papers/{OLD_ID}/save",
        data={"new_collection": "Strings", "next": f"/papers/{OLD_ID}"},
        headers=headers,
    )
    assert swapped.status_code == 200 and "<html" not in swapped.text
    assert '<details class="save-control is-saved"' in swapped.text and " open>" in swapped.text
    assert 'role="status">Saved to “Strings”.' in swapped.text
    assert f'action="/papers/{OLD_ID}/save"' in swapped.text  # an id with "/" keeps its path
    library: Library = cast(FastAPI, client.app).state.library
    assert [s.paper.id for s in library.collection(member_of(client), "Strings")] == [OLD_ID]

    too_long = client.post(f"/papers/{OLD_ID}/save", data={"new_collection": "x" * 101}, headers=headers)
    assert too_long.status_code == 200 and 'role="alert"' in too_long.text and "at most 100" in too_long.text
    # Without htmx the same mistake is a 400 page that says why.
    plain = save(client, token, OLD_ID, "x" * 101)
    assert plain.status_code == 400 and "at most 100 characters" in plain.text
    assert client.post("/papers/0000.00000/save", data={"csrf_token": token}).status_code == 404


def member_of(client: TestClient) -> User:
    library: Library = cast(FastAPI, client.app).state.library
    user = library.accounts.session_user(client.cookies.get(SESSION_COOKIE))
    assert user is not None
    return user


def test_edit_a_note_remove_a_paper_and_delete_a_collection(client: TestClient) -> None:
    _, token = sign_up(client)
    save(client, token, GRAPH, "Thesis")
    save(client, token, DIFFUSION, "Thesis")
    edited = client.post(
        "/library/Thesis/note", data={"csrf_token": token, "paper": GRAPH, "note": f"Read {SCRIPT}"}
    )
    assert edited.status_code == 303 and edited.headers["location"] == "/library/Thesis"
    page = client.get("/library/Thesis").text
    assert f"Read {escape_html(SCRIPT)}" in page and "Edit note" in page
    assert_inert(page)
    client.post("/library/Thesis/note", data={"csrf_token": token, "paper": GRAPH, "note": "  "})
    assert "Read &lt;script" not in client.get("/library/Thesis").text  # an empty note clears it
    not_there = client.post("/library/Thesis/note", data={"csrf_token": token, "paper": OLD_ID, "note": "x"})
    assert not_there.status_code == 404

    removed = client.post("/library/Thesis/remove", data={"csrf_token": token, "paper": GRAPH})
    assert removed.status_code == 303
    page = client.get("/library/Thesis").text
    assert "Graph rewiring for oversquashing" not in page and "Diffusion models for protein design" in page

    # Deleting asks first (a disclosure with its own button), then the collection is gone.
    assert "Delete collection…" in page and "Delete “Thesis”" in page
    deleted = client.post("/library/Thesis/delete", data={"csrf_token": token})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/library"
    assert "Thesis" not in client.get("/library").text
    missing = client.get("/library/Thesis")
    assert missing.status_code == 404 and "no collection named" in missing.text
    assert client.post("/library/Thesis/delete", data={"csrf_token": token}).status_code == 404


def test_collections_are_private(client: TestClient, app: FastAPI) -> None:
    _, token = sign_up(client)
    save(client, token, GRAPH, "Private")
    other = TestClient(app, client=(next(_addresses), 50000), follow_redirects=False)
    _, other_token = sign_up(other)
    assert other.get("/library/Private").status_code == 404
    assert other.get("/library/Private.json").status_code == 404
    assert other.post("/library/Private/delete", data={"csrf_token": other_token}).status_code == 404
    assert client.get("/library/Private").status_code == 200


# -- import and export ---------------------------------------------------------------------------------


BIBTEX = b"""
@article{known, title = {Known from a bibliography}, eprint = {2606.00007}, archivePrefix = {arXiv},
  author = {Lovelace, Ada}, year = {2026}}
@article{fresh, title = {A Brand New Study of Web Imports}, author = {Noether, Emmy},
  year = {2025}, doi = {10.1000/web123}, abstract = {We import papers through a web form.}}
@article{broken, author = {Nobody}}
"""


def test_import_bibtex_and_a_list_of_ids(client: TestClient, library: Library) -> None:
    _, token = sign_up(client)
    imported = client.post(
        "/library/import",
        data={"csrf_token": token, "name": "From BibTeX"},
        files={"file": ("refs.bib", BIBTEX, "application/x-bibtex")},
    )
    assert imported.status_code == 200, imported.text
    report = imported.text.split('class="notice import-report"', 1)[1].split("</div>", 1)[0]
    assert "Saved 2 papers" in report and "1 of them new to the library" in report
    assert "1 entry was not imported" in report and "refs.bib" in report
    assert '<a href="/library/From%20BibTeX">From BibTeX</a>' in report
    assert "A Brand New Study of Web Imports" in client.get("/library/From%20BibTeX").text
    assert library.search("web imports", mode="keyword")[0].paper.title == "A Brand New Study of Web Imports"

    ids = f"{GRAPH}\nhttps://arxiv.org/abs/{DIFFUSION}v2, 2606.99999".encode()
    listed = client.post(
        "/library/import",
        data={"csrf_token": token, "name": "From ids"},
        files={"file": ("ids.txt", ids, "text/plain")},
    )
    assert "Saved 2 papers" in listed.text and "1 id was not found" in listed.text
    assert "<code>2606.99999</code>" in listed.text
    pasted = client.post(
        "/library/import", data={"csrf_token": token, "name": "Pasted", "ids": f"{OLD_ID} {GRAPH}"}
    )
    assert "Saved 2 papers" in pasted.text and "not found" not in pasted.text

    nothing = client.post("/library/import", data={"csrf_token": token, "name": "Empty"})
    assert (
        nothing.status_code == 400
        and 'role="alert"' in nothing.text
        and "Choose a BibTeX file" in nothing.text
    )
    no_name = client.post("/library/import", data={"csrf_token": token, "name": " ", "ids": GRAPH})
    assert no_name.status_code == 400 and "A collection needs a name." in no_name.text
    assert "Empty" not in [c.name for c in library.collections(member_of(client))]


def test_export_json_and_bibtex_and_import_the_bibtex_back(client: TestClient, library: Library) -> None:
    _, token = sign_up(client)
    save(client, token, GRAPH, "Export me", note="first")
    save(client, token, OLD_ID, "Export me")

    as_json = client.get("/library/Export%20me.json")
    assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json"
    disposition = as_json.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Export-me.json"')
    assert "filename*=UTF-8''Export%20me.json" in disposition
    exported = json.loads(as_json.text)
    assert exported["collection"] == "Export me"
    assert {p["id"]: p["note"] for p in exported["papers"]} == {GRAPH: "first", OLD_ID: ""}

    as_bibtex = client.get("/library/Export%20me.bib")
    assert as_bibtex.status_code == 200
    assert as_bibtex.headers["content-type"] == "application/x-bibtex; charset=utf-8"
    assert as_bibtex.headers["content-disposition"].startswith('attachment; filename="Export-me.bib"')
    # What one member exports, another imports: the same papers, none new, none missing.
    reader = library.accounts.sign_up(next(_emails), "correct horse battery", name="Reader")
    back = library.import_collection(reader, "Imported", as_bibtex.content, origin="export.bib")
    assert (back.saved, back.new_papers, back.missing, back.rejected) == (2, 0, [], [])
    assert {s.paper.id for s in library.collection(reader, "Imported")} == {GRAPH, OLD_ID}
    # The page links to both exports.
    page = client.get("/library/Export%20me").text
    assert 'href="/library/Export%20me.bib"' in page and 'href="/library/Export%20me.json"' in page


ODD_NAMES = [
    "ML / theory",
    "100% sure",
    SCRIPT,
    "two  words   apart",
    "notes.bib",
    "what? #1",
    "a/b/delete",
    'quote "this"',
    "Ünïcødé ☃",
]


def test_odd_collection_names_route_correctly_and_render_inert(client: TestClient, library: Library) -> None:
    _, token = sign_up(client)
    for name in ODD_NAMES:
        response = save(client, token, GRAPH, name, note=f"note of {name}")
        assert response.status_code == 303, name
    library_page = client.get("/library").text
    assert_inert(library_page)
    for name in ODD_NAMES:
        stored = " ".join(name.split())
        link = path_of(stored)
        assert f'href="{link}"' in library_page, name
        page = client.get(link)
        assert page.status_code == 200, name
        assert f'<h1 class="collection-title">{escape_html(stored)}</h1>' in page.text, name
        assert escape_html(f"note of {name}") in page.text, name
        assert_inert(page.text)
        exported = client.get(link + ".json")
        assert exported.status_code == 200 and json.loads(exported.text)["collection"] == stored, name
        assert "\n" not in exported.headers["content-disposition"]
        # The forms of the page post to the same collection.
        assert f'action="{link}/note"' in page.text and f'action="{link}/delete"' in page.text
    # A name ending in ".bib" is that collection's page, not the export of "notes".
    assert client.get(path_of("notes.bib")).headers["content-type"].startswith("text/html")
    assert (
        client.get(path_of("notes.bib") + ".bib").headers["content-type"].startswith("application/x-bibtex")
    )
    # Actions on a name holding "/" and ending like an action reach that collection only.
    user = member_of(client)
    client.post(path_of("a/b/delete") + "/remove", data={"csrf_token": token, "paper": GRAPH})
    assert library.collection(user, "a/b/delete") == [] and len(library.collection(user, "ML / theory")) == 1
    client.post(path_of("a/b/delete") + "/delete", data={"csrf_token": token})
    assert "a/b/delete" not in [c.name for c in library.collections(user)]
    assert "ML / theory" in [c.name for c in library.collections(user)]
    # A collection link in the save control of the paper page is escaped the same way.
    assert f'href="{path_of(SCRIPT)}"' in client.get(f"/papers/{GRAPH}").text


# -- subscriptions --------------------------------------------------------------------------------


def subscribe(client: TestClient, token: str, **fields: str) -> Response:
    return client.post("/subscriptions", data={"csrf_token": token, **fields})


def test_add_preview_and_delete_subscriptions(client: TestClient, library: Library) -> None:
    _, token = sign_up(client)
    empty = client.get("/subscriptions")
    assert (
        empty.status_code == 200 and "No subscriptions yet" in empty.text and "Preview of" not in empty.text
    )
    added = subscribe(
        client, token, kind="query", value="graph rewiring", mode="keyword", frequency="daily", max="5"
    )
    assert added.status_code == 303 and added.headers["location"].startswith("/subscriptions#subscription-")
    subscribe(client, token, kind="author", value="Emmy Noether", frequency="weekly", max="10")
    subscribe(client, token, kind="category", value="cs.CL")

    page = client.get(f"/subscriptions?day={DAY.isoformat()}").text
    assert "Matches your search “graph rewiring” (keyword)" in page
    assert "Daily · up to 5 papers" in page and "Weekly · up to 10 papers" in page and "In cs.CL" in page
    daily = page.split("Preview of your next daily digest", 1)[1].split(
        "Preview of your next weekly digest", 1
    )[0]
    weekly = page.split("Preview of your next weekly digest", 1)[1]
    # The daily digest: papers of DAY only, each with why it is there.
    assert "Graph rewiring for oversquashing" in daily and "A survey of sparse attention" in daily
    assert '<span class="reason">matches your search “graph rewiring” (keyword)</span>' in daily
    assert '<span class="reason">in cs.CL</span>' in daily
    assert "Graph rewiring, older" not in daily and "Diffusion models" not in daily
    # The weekly one: the week up to DAY, by Emmy Noether.
    assert "Diffusion models for protein design" in weekly and "Graph rewiring, older" in weekly
    assert '<span class="reason">by Emmy Noether</span>' in weekly
    assert f'value="{DAY.isoformat()}"' in page
    assert_accessible(page)

    # A day with nothing new says so; the preview records nothing.
    quiet = client.get("/subscriptions?day=2026-07-20").text
    assert "No new papers yet" in quiet
    assert library.digest(member_of(client), DAY).entries  # still there: nothing was recorded

    subscription = next(s for s in library.subscriptions(member_of(client)) if s.kind == "category")
    deleted = client.post(f"/subscriptions/{subscription.id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    assert "In cs.CL" not in client.get("/subscriptions").text
    assert len(library.subscriptions(member_of(client))) == 2
    # Someone else's subscription id deletes nothing.
    other = TestClient(client.app, client=(next(_addresses), 50000), follow_redirects=False)
    _, other_token = sign_up(other)
    first = library.subscriptions(member_of(client))[0].id
    other.post(f"/subscriptions/{first}/delete", data={"csrf_token": other_token})
    assert len(library.subscriptions(member_of(client))) == 2
    assert client.get("/subscriptions?day=tomorrow").status_code == 400


def test_bad_subscriptions_are_explained_in_the_form(client: TestClient) -> None:
    _, token = sign_up(client)
    cases = [
        ({"kind": "query", "value": "   "}, "needs words to look for"),
        ({"kind": "horoscope", "value": "x"}, "Choose what to subscribe to"),
        ({"kind": "author", "value": "Ada", "max": "lots"}, "must be a number"),
        ({"kind": "author", "value": "Ada", "max": "1000"}, "1 to 100 papers"),
        ({"kind": "author", "value": "Ada", "frequency": "hourly"}, "daily or weekly"),
        ({"kind": "collection", "value": "No such"}, "no collection named"),
        ({"kind": "query", "value": SCRIPT, "mode": "psychic"}, "Choose how a search matches"),
    ]
    for data, message in cases:
        response = subscribe(client, token, **data)
        assert response.status_code == 400, data
        assert 'role="alert"' in response.text and message in response.text, (data, response.text[:300])
        assert_inert(response.text)
    # What was typed stays in the form.
    kept = subscribe(client, token, kind="author", value="Ada Byron", max="x")
    assert 'value="Ada Byron"' in kept.text and '<option value="author" selected>' in kept.text
    assert "No subscriptions yet" in client.get("/subscriptions").text


def test_subscribe_from_a_search_an_author_a_category_and_a_collection(
    client: TestClient, library: Library
) -> None:
    _, token = sign_up(client)
    search = client.get("/search?q=graph&category=cs.LG&author=Ada+Lovelace&mode=keyword").text
    assert "Subscribe to this search" in search
    form = search.split('class="inline-form subscribe-form"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    assert fields["kind"] == "query" and fields["value"] == "graph" and fields["mode"] == "keyword"
    assert fields["category"] == "cs.LG" and fields["author"] == "Ada Lovelace"
    subscribe(client, token, **{k: v for k, v in fields.items() if k != "csrf_token"})
    query = next(s for s in library.subscriptions(member_of(client)) if s.kind == "query")
    assert query.value == 'graph cat:cs.LG author:"Ada Lovelace"' and query.mode == "keyword"
    preview = client.get(f"/subscriptions?day={DAY.isoformat()}").text.split("Preview of", 1)[1]
    assert "Graph rewiring for oversquashing" in preview and "Diffusion models" not in preview

    author = client.get("/authors/Emmy%20Noether").text
    assert (
        '<input type="hidden" name="kind" value="author">' in author and "Subscribe to this author" in author
    )
    category = client.get("/categories/cs.CL").text
    assert '<input type="hidden" name="value" value="cs.CL">' in category

    save(client, token, GRAPH, "Seeds")
    collection = client.get("/library/Seeds").text
    assert "Subscribe to papers like these" in collection
    subscribe(client, token, kind="collection", value="Seeds")
    assert "like the papers in your collection “Seeds”" in client.get("/subscriptions").text
    assert "Subscribed" in client.get("/library/Seeds").text
    # Deleting a followed collection leaves the preview explaining, not failing.
    client.post("/library/Seeds/delete", data={"csrf_token": token})
    after = client.get(f"/subscriptions?day={DAY.isoformat()}")
    assert after.status_code == 200 and "Preview of your next daily digest" in after.text
    assert "like the papers in your collection “Seeds”" in after.text  # listed, so it can be deleted


# -- unsubscribe links ---------------------------------------------------------------------------------


def test_unsubscribe_get_asks_and_post_stops_without_sign_in(
    client: TestClient, library: Library, app: FastAPI
) -> None:
    email, token = sign_up(client)
    subscribe(client, token, kind="author", value="Ada Lovelace", frequency="daily")
    subscribe(client, token, kind="category", value="cs.LG", frequency="weekly")
    user = member(library, email)
    link = f"/unsubscribe/{library.unsubscribe_token(user, 'daily')}"

    stranger = TestClient(app, follow_redirects=False)  # no session, no CSRF cookie: a mail client
    asked = stranger.get(link)
    assert asked.status_code == 200 and "Stop your daily digests?" in asked.text
    assert f'action="{link}"' in asked.text and asked.headers["x-robots-tag"].startswith("noindex")
    assert_accessible(asked.text)
    stranger.get(link)
    assert {s.frequency for s in library.subscriptions(user)} == {"daily", "weekly"}  # GET changed nothing

    stopped = stranger.post(link, data={"List-Unsubscribe": "One-Click"})
    assert stopped.status_code == 200 and "You are unsubscribed" in stopped.text and email in stopped.text
    assert {s.frequency for s in library.subscriptions(user)} == {"weekly"}
    assert stranger.post(link).status_code == 200  # again: nothing more to do, still fine

    # RFC 8058: a mail provider's one-click POST, cross-site and without cookies.
    weekly = f"/unsubscribe/{library.unsubscribe_token(user, 'weekly')}"
    mail_provider = TestClient(app, follow_redirects=False)
    response = mail_provider.post(
        weekly,
        content=b"List-Unsubscribe=One-Click",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "https://mail.example",
            "Sec-Fetch-Site": "cross-site",
        },
    )
    assert response.status_code == 200 and library.subscriptions(user) == []


def test_a_forged_unsubscribe_token_is_refused(client: TestClient, library: Library, app: FastAPI) -> None:
    email, token = sign_up(client)
    subscribe(client, token, kind="author", value="Ada Lovelace")
    user = member(library, email)
    good = library.unsubscribe_token(user, "daily")
    stranger = TestClient(app, follow_redirects=False)
    forged = [
        "not-a-token",
        good[:-3] + ("xyz" if not good.endswith("xyz") else "abc"),  # the signature changed
        good.split(".")[0] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAA",
        '"><img src=x onerror=alert(1)>',
    ]
    for bad in forged:
        url = "/unsubscribe/" + quote(bad, safe="")
        for response in (stranger.get(url), stranger.post(url, data={"List-Unsubscribe": "One-Click"})):
            assert response.status_code == 400, bad
            assert "This unsubscribe link does not work" in response.text and "not valid" in response.text
            assert "<img src=x" not in response.text
    assert len(library.subscriptions(user)) == 1


# -- CSRF --------------------------------------------------------------------------------------------------


def test_every_new_form_needs_the_csrf_token(client: TestClient, library: Library) -> None:
    _, token = sign_up(client)
    save(client, token, GRAPH, "Keep")
    subscribe(client, token, kind="author", value="Ada Lovelace")
    user = member_of(client)
    subscription = library.subscriptions(user)[0].id
    posts: dict[str, dict[str, Any]] = {
        f"/papers/{GRAPH}/save": {"new_collection": "Forged"},
        "/library/import": {"name": "Forged", "ids": GRAPH},
        "/library/Keep/note": {"paper": GRAPH, "note": "forged"},
        "/library/Keep/remove": {"paper": GRAPH},
        "/library/Keep/delete": {},
        "/subscriptions": {"kind": "author", "value": "Forged Author"},
        f"/subscriptions/{subscription}/delete": {},
    }
    for url, data in posts.items():
        refused = [
            client.post(url, data=data),
            client.post(url, data={**data, "csrf_token": "forged"}),
            client.post(url, data={**data, "csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"}),
            client.post(url, data={**data, "csrf_token": token}, headers={"Origin": "https://evil.example"}),
        ]
        for response in refused:
            assert response.status_code == 403, url
    multipart = client.post(
        "/library/import", data={"name": "Forged"}, files={"file": ("a.txt", GRAPH.encode())}
    )
    assert multipart.status_code == 403
    # Nothing changed.
    assert [c.name for c in library.collections(user)] == ["Keep"]
    assert [(s.paper.id, s.note) for s in library.collection(user, "Keep")] == [(GRAPH, "")]
    assert [s.value for s in library.subscriptions(user)] == ["Ada Lovelace"]


# -- every page --------------------------------------------------------------------------------------------


def test_every_member_page_is_accessible_and_inert(client: TestClient) -> None:
    _, token = sign_up(client)
    save(client, token, EVIL_ID, SCRIPT, note=SCRIPT)
    subscribe(client, token, kind="query", value=f"xssmarker {SCRIPT}")
    for url in ("/library", path_of(SCRIPT), f"/subscriptions?day={DAY.isoformat()}", f"/papers/{EVIL_ID}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "no-store", url
        assert_accessible(response.text)
        assert_inert(response.text)
        assert escape_html(SCRIPT) in response.text, url
