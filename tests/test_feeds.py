"""Feeds (RSS 2.0, Atom 1.0, JSON Feed 1.1) of searches, authors and categories.

The whole app runs in this process through `httpx.ASGITransport` over a small library, and every
feed is read back with `feedparser`, the parser most Python feed readers use: what it makes of a
feed is what a reader shows. `papersift.sources.syndication.render` is tested directly where the web
layer adds nothing (characters XML cannot hold).
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import feedparser  # type: ignore[import-untyped]
import httpx
import pytest
from fastapi import FastAPI

from conftest import InProcess, LibraryLocations, store
from papersift import Library
from papersift.records import Paper
from papersift.sources.syndication import render
from papersift.web.app import create_app

SPARSE = Paper(
    id="2606.10001",
    title="Sparse attention for long documents",
    abstract="We make attention sparse so that transformers read long documents in linear time.",
    authors=("Ada Lovelace", "Alan Turing"),
    categories=("cs.CL", "cs.LG"),
    published=date(2026, 6, 10),
    arxiv_id="2606.10001",
    abs_url="https://arxiv.org/abs/2606.10001",
    pdf_url="https://arxiv.org/pdf/2606.10001",
    source="test",
)
LATER = Paper(  # newer than SPARSE but a weaker match for "attention": the feed puts it first
    id="2606.10005",
    title="Message passing on molecular graphs",
    abstract="Graph networks predict chemical properties; a little attention helps at the end.",
    authors=("Ada Lovelace",),
    categories=("cs.LG",),
    published=date(2026, 6, 13),
    source="test",
)
DIFFUSION = Paper(
    id="2606.10003",
    title="Diffusion models paint images",
    abstract="A diffusion model generates images from noise, step by step.",
    authors=("Alan Turing",),
    categories=("cs.CV",),
    published=date(2026, 6, 12),
    source="test",
)
MAY = Paper(
    id="2605.20001",
    title="Attention heads in May",
    abstract="An earlier paper about attention heads.",
    authors=("Emmy Noether",),
    categories=("cs.CL",),
    published=date(2026, 5, 20),
    source="test",
)
OLD_STYLE = Paper(  # an id with a slash, as arXiv wrote them before 2007
    id="hep-th/9901001",
    title="Strings before the new arXiv ids",
    abstract="A paper whose identifier holds a slash.",
    authors=("Paul Dirac",),
    categories=("hep-th",),
    published=date(1999, 1, 1),
    arxiv_id="hep-th/9901001",
    source="test",
)
HOSTILE_TITLE = '<script>alert(1)</script> {{7*7}} "><img src=x onerror=alert(2)> Q&A'
HOSTILE_ABSTRACT = "<b>bold</b> \"><img src=x onerror=alert(3)> {{7*7}} ' OR 1=1 --"
HOSTILE = Paper(
    id="2606.10004",
    title=HOSTILE_TITLE + "\x0b\x1b",  # a vertical tab and an escape: not XML 1.0
    abstract=HOSTILE_ABSTRACT + "\x00\x1b",
    authors=("Mallory\x0b",),
    categories=("cs.CR",),
    published=date(2026, 6, 11),
    abs_url="javascript:alert(4)",  # never a link
    source="test",
)
PAPERS = [SPARSE, LATER, DIFFUSION, MAY, OLD_STYLE, HOSTILE]
FORMATS = ("rss", "atom", "json")
BASE = "http://testserver"
CONTENT_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}


def feed_app(library: Library) -> FastAPI:
    return create_app(library)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, library_locations: LibraryLocations) -> Iterator[FastAPI]:
    with Library.open(library_locations.new(tmp_path_factory.mktemp("feeds"))) as library:
        yield feed_app(store(library, PAPERS))


@pytest.fixture(scope="module")
def web(app: FastAPI) -> Iterator[InProcess]:
    client = InProcess(app)
    yield client
    client.close()


def parsed(response: httpx.Response, kind: str) -> Any:
    """The feed as feedparser reads it, which must be without complaint."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == CONTENT_TYPES[kind]
    if kind == "json":
        return response.json()
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == {"rss": "rss20", "atom": "atom10"}[kind]
    return feed


def entry_ids(feed: Any, kind: str) -> list[str]:
    items = feed["items"] if kind == "json" else feed.entries
    return [str(item["id"]) for item in items]


def paper_url(paper: Paper) -> str:
    return f"{BASE}/papers/{paper.id}"


# -- what each feed lists ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", FORMATS)
def test_a_search_feed_lists_the_matches_newest_first(web: InProcess, app: FastAPI, kind: str) -> None:
    feed = parsed(web.get(f"/feeds/search.{kind}", params={"q": "attention"}), kind)
    assert entry_ids(feed, kind) == [paper_url(p) for p in (LATER, SPARSE, MAY)]
    # ... which is not the order of relevance: the feed really re-orders.
    relevance = [hit.id for hit in app.state.library.search("attention", limit=50)]
    assert relevance != [LATER.id, SPARSE.id, MAY.id] and set(relevance) == {LATER.id, SPARSE.id, MAY.id}


@pytest.mark.parametrize("kind", ("rss", "atom"))
def test_an_xml_entry_has_title_links_authors_date_categories_and_abstract(web: InProcess, kind: str) -> None:
    response = web.get(f"/feeds/search.{kind}", params={"q": "sparse", "mode": "keyword"})
    entry = parsed(response, kind).entries[0]
    assert entry.title == SPARSE.title
    assert entry.id == entry.link == paper_url(SPARSE)
    related = [link.href for link in entry.links if link.rel == "related"]
    assert related == [SPARSE.abs_url]
    assert [author.name for author in entry.authors] == list(SPARSE.authors)
    assert [tag.term for tag in entry.tags] == list(SPARSE.categories)
    assert tuple(entry.published_parsed[:6]) == (2026, 6, 10, 0, 0, 0)  # midnight UTC
    assert html.unescape(entry.summary) == SPARSE.abstract
    if kind == "rss":  # the guid is the paper's page, and says so
        guid = ET.fromstring(response.content).find("channel/item/guid")
        assert guid is not None and guid.get("isPermaLink") == "true" and guid.text == paper_url(SPARSE)


def test_a_json_feed_item_says_the_same_in_json_feed_terms(web: InProcess) -> None:
    feed = parsed(web.get("/feeds/search.json", params={"q": "sparse", "mode": "keyword"}), "json")
    item = feed["items"][0]
    assert item["id"] == item["url"] == paper_url(SPARSE)
    assert item["external_url"] == SPARSE.abs_url
    assert item["title"] == SPARSE.title and item["content_text"] == SPARSE.abstract
    assert item["authors"] == [{"name": "Ada Lovelace"}, {"name": "Alan Turing"}]
    assert item["tags"] == ["cs.CL", "cs.LG"]
    assert item["date_published"] == "2026-06-10T00:00:00Z"


@pytest.mark.parametrize("kind", FORMATS)
def test_an_author_feed_lists_the_authors_papers_newest_first(web: InProcess, kind: str) -> None:
    feed = parsed(web.get(f"/feeds/authors/Ada%20Lovelace.{kind}"), kind)
    assert entry_ids(feed, kind) == [paper_url(LATER), paper_url(SPARSE)]
    title = feed["title"] if kind == "json" else feed.feed.title
    assert "Ada Lovelace" in title


@pytest.mark.parametrize("kind", FORMATS)
def test_a_category_feed_lists_its_papers_newest_first(web: InProcess, kind: str) -> None:
    feed = parsed(web.get(f"/feeds/categories/cs.CL.{kind}"), kind)
    assert entry_ids(feed, kind) == [paper_url(SPARSE), paper_url(MAY)]


@pytest.mark.parametrize("kind", FORMATS)
def test_a_search_without_words_lists_the_newest_papers_its_filters_allow(web: InProcess, kind: str) -> None:
    feed = parsed(web.get(f"/feeds/search.{kind}", params={"author": "Alan Turing"}), kind)
    assert entry_ids(feed, kind) == [paper_url(DIFFUSION), paper_url(SPARSE)]
    feed = parsed(web.get(f"/feeds/search.{kind}", params={"from": "2026-06-11", "to": "2026-06-12"}), kind)
    assert entry_ids(feed, kind) == [paper_url(DIFFUSION), paper_url(HOSTILE)]


def test_a_search_that_matches_nothing_is_an_empty_feed_to_wait_on(web: InProcess) -> None:
    for kind in FORMATS:
        feed = parsed(web.get(f"/feeds/search.{kind}", params={"q": "zymurgy"}), kind)
        assert entry_ids(feed, kind) == []


def test_a_paper_whose_id_holds_a_slash_links_to_its_page(web: InProcess) -> None:
    feed = parsed(web.get("/feeds/categories/hep-th.atom"), "atom")
    assert feed.entries[0].link == f"{BASE}/papers/hep-th/9901001"
    assert web.get("/papers/hep-th/9901001").status_code == 200


@pytest.mark.parametrize("kind", ("rss", "atom"))
def test_a_feed_links_to_the_page_it_mirrors_and_to_itself(web: InProcess, kind: str) -> None:
    # Parameters in another order, and the default mode, name the same feed.
    response = web.get(f"/feeds/search.{kind}?category=cs.CL&mode=hybrid&q=attention")
    links = {link.rel: link.href for link in parsed(response, kind).feed.links}
    assert links["self"] == f"{BASE}/feeds/search.{kind}?q=attention&category=cs.CL"
    assert links["alternate"] == f"{BASE}/search?q=attention&category=cs.CL"
    assert web.get(links["alternate"].removeprefix(BASE)).status_code == 200


def test_a_json_feed_has_what_the_json_feed_spec_requires(web: InProcess) -> None:
    """https://www.jsonfeed.org/version/1.1/: version, title and items (each with a string id and
    content_text or content_html) are required; dates are RFC 3339; authors are objects."""
    feed = parsed(web.get("/feeds/categories/cs.CL.json"), "json")
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert feed["home_page_url"] == f"{BASE}/categories/cs.CL"
    assert feed["feed_url"] == f"{BASE}/feeds/categories/cs.CL.json"
    assert isinstance(feed["items"], list) and feed["items"]
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_text", item.get("content_html")), str)
        datetime.fromisoformat(item["date_published"].replace("Z", "+00:00"))
        assert all(isinstance(author["name"], str) for author in item.get("authors", []))
        assert "author" not in item  # 1.0's single author, deprecated by 1.1's `authors`


# -- hostile text -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FORMATS)
def test_hostile_titles_and_abstracts_come_out_as_inert_text(web: InProcess, kind: str) -> None:
    feed = parsed(web.get(f"/feeds/authors/Mallory.{kind}"), kind)
    if kind == "json":
        item = feed["items"][0]
        assert item["title"] == HOSTILE_TITLE and item["content_text"] == HOSTILE_ABSTRACT
        assert item["authors"] == [{"name": "Mallory"}]
        assert "external_url" not in item  # the javascript: page is no link
        return
    entry = feed.entries[0]
    # A title is text in both (feedparser would sanitise HTML, dropping the script and the img).
    assert entry.title == HOSTILE_TITLE and entry.title_detail.type == "text/plain"
    if kind == "atom":
        assert entry.summary == HOSTILE_ABSTRACT and entry.summary_detail.type == "text/plain"
    else:  # RSS descriptions are HTML: the abstract is escaped HTML, shown as the text it is
        assert entry.summary_detail.type == "text/html"
        assert "<" not in entry.summary and html.unescape(entry.summary) == HOSTILE_ABSTRACT
    assert [author.name for author in entry.authors] == ["Mallory"]
    assert not [link for link in entry.links if "javascript" in link.href]


def test_a_hostile_query_is_text_in_the_feeds_title(web: InProcess) -> None:
    query = '<script>alert(1)</script>\x00\x1b "><img src=x onerror=alert(2)>'
    for kind in FORMATS:
        feed = parsed(web.get(f"/feeds/search.{kind}", params={"q": query}), kind)
        title = feed["title"] if kind == "json" else feed.feed.title
        assert '<script>alert(1)</script> "><img src=x onerror=alert(2)>' in title
        assert "\x00" not in title and "\x1b" not in title


@pytest.mark.parametrize("kind", ("rss", "atom"))
def test_characters_xml_cannot_hold_are_removed(kind: str) -> None:
    paper = Paper(
        id="x/1",
        title="Tab\tand\x0bvertical\x0ctab\x1b[0m\ud800",
        abstract="Null\x00 bell\x07 line\nbreak \U0001f600",
        authors=("Ann\x08 Other",),
        categories=("cs\x01.AI",),
        published=date(2026, 1, 2),
    )
    body, _ = render(
        [paper],
        kind=kind,  # type: ignore[arg-type]
        title="T\x1b",
        link="http://h/",
        feed_url="http://h/f",
        description="D\x00",
        base_url="http://h",
        updated=None,
    )
    ET.fromstring(body)  # a strict XML parser, unlike feedparser's fallbacks
    entry = feedparser.parse(body).entries[0]
    assert entry.title == "Tab\tandverticaltab[0m"
    assert html.unescape(entry.summary) == "Null bell line\nbreak \U0001f600"
    assert entry.authors[0].name == "Ann Other" and entry.tags[0].term == "cs.AI"


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/authors/Nobody%20Atall.atom",
        "/feeds/authors/%20.rss",  # no name at all
        "/feeds/categories/xx.NONE.json",
        "/feeds/search.xml",
        "/feeds/authors/Ada%20Lovelace.html",
        "/feeds/categories/cs.CL",
    ],
)
def test_what_has_no_feed_is_a_404(web: InProcess, path: str) -> None:
    assert web.get(path).status_code == 404


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"from": "yesterday"}, "from must be a date"),
        ({"to": "2026-13-01"}, "to must be a date"),
        ({"from": "2026-06-12", "to": "2026-06-01"}, "is after to"),
        ({"mode": "psychic"}, "mode must be one of"),
        ({"q": "x" * 2001}, "too long"),
        ({"author": "x" * 201}, "too long"),
        ({"q": "attention", "mode": "semantic"}, "mode=keyword"),  # the tests' library has no model
    ],
)
def test_bad_parameters_are_a_400_that_says_what_is_wrong(
    web: InProcess, params: dict[str, str], named: str
) -> None:
    response = web.get("/feeds/search.atom", params=params)
    assert response.status_code == 400
    assert named in html.unescape(response.text)


# -- caching ----------------------------------------------------------------------------------


def test_a_reader_that_has_the_feed_gets_a_304(web: InProcess) -> None:
    first = web.get("/feeds/categories/cs.CL.rss")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=900"
    assert web.get("/feeds/categories/cs.CL.rss").headers["etag"] == etag  # the same bytes, the same tag
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = web.get("/feeds/categories/cs.CL.rss", headers={"If-None-Match": sent})
        assert again.status_code == 304, sent
        assert again.content == b"" and again.headers["etag"] == etag
    changed = web.get("/feeds/categories/cs.CL.rss", headers={"If-None-Match": '"stale"'})
    assert changed.status_code == 200 and changed.content == first.content
    # Another format of the same papers is another document, with another tag.
    assert web.get("/feeds/categories/cs.CL.atom").headers["etag"] != etag


# -- the site's address -----------------------------------------------------------------------


def test_links_use_the_address_the_reader_fetched_the_feed_from(app: FastAPI) -> None:
    client = InProcess(app, base_url="https://papers.example.net:8443")
    try:
        feed = parsed(client.get("/feeds/categories/cs.CV.atom"), "atom")
    finally:
        client.close()
    assert feed.entries[0].link == "https://papers.example.net:8443/papers/2606.10003"


def test_behind_a_proxy_that_hides_the_host_links_use_the_base_url_setting(
    tmp_path: Path, library_locations: LibraryLocations, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Settings are read when a library opens: one library (and app) per value of the setting.
    served = {}
    for name, setting in (("public", "https://papers.example.org/"), ("local", "http://localhost:8000")):
        monkeypatch.setenv("PAPERSIFT_BASE_URL", setting)  # the second names no public address
        with Library.open(library_locations.new(tmp_path, name)) as library:
            proxied = InProcess(feed_app(store(library, PAPERS)), base_url="http://127.0.0.1:8000")
            try:
                served[name] = parsed(proxied.get("/feeds/categories/cs.CV.json"), "json")
            finally:
                proxied.close()
    feed, local = served["public"], served["local"]
    assert feed["items"][0]["url"] == "https://papers.example.org/papers/2606.10003"
    assert feed["feed_url"] == "https://papers.example.org/feeds/categories/cs.CV.json"
    assert local["items"][0]["url"] == "http://127.0.0.1:8000/papers/2606.10003"
