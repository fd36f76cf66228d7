"""Feeds a researcher follows in a feed reader: any search, any author, any category.

    GET /feeds/search.{rss|atom|json}?q=&mode=&author=&category=&from=&to=&has_code=
    GET /feeds/authors/{name}.{rss|atom|json}
    GET /feeds/categories/{code}.{rss|atom|json}
    GET /feeds/collections/{n}.{rss|atom|json}   a public collection

Each lists the newest of the papers it follows (the FEED_SIZE best matches of a search, newest
first: a reader wants what is new, and a subscribed search keeps its relevance cut). The bytes
come from `papersift.sources.syndication`; this module only translates the request.

Readers poll, often every few minutes: responses may be cached for 15 minutes, and carry an ETag
(a hash of the body) so that a reader that already has the feed gets a bodiless 304.

Bad parameters are a 400 naming the parameter, rendered by the app's error handler (so they
are checked as strings, by the search form of `params` the search page shares, rather than by
FastAPI's validation, whose message the HTML error page would not show). Handlers are plain
`def`: FastAPI runs them in its thread pool (see `security`).
"""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import date
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, HTTPException, Query, Request, Response

from papersift.errors import ModelUnavailable, PaperNotFound, SubscriptionError
from papersift.library import has_words
from papersift.records import FeedKind, Hit, Paper
from papersift.web.params import MAX_NAME, bad, search_form, text
from papersift.web.render import category_name, path_part
from papersift.web.security import get_library

router = APIRouter(include_in_schema=False)

FEED_SIZE = 50
FORMATS: tuple[FeedKind, ...] = ("rss", "atom", "json")
TITLE_QUERY = 100  # characters of the query shown in the feed's title
CACHE_CONTROL = "public, max-age=900"


# -- parameters -------------------------------------------------------------------------------


def _format(fmt: str) -> FeedKind:
    for kind in FORMATS:
        if fmt == kind:
            return kind
    raise HTTPException(status_code=404, detail=f"There is no {fmt[:20]!r} feed: use rss, atom or json.")


# -- the site's address -----------------------------------------------------------------------


def _is_loopback(host: str | None) -> bool:
    if not host or host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def base_url(request: Request) -> str:
    """The address readers reach this site at, for the links in a feed.

    The request's own address: it is where the reader fetched the feed from, so links work on
    whatever host name and port serve the site, and a feed's self link is the URL subscribed to.
    Behind a reverse proxy that does not pass the Host header, the request names a loopback
    address no reader can reach: then the `base_url` setting, if it names a public one.
    """
    own = str(request.base_url).rstrip("/")
    if not _is_loopback(request.url.hostname):
        return own
    configured = get_library(request).settings["base_url"].rstrip("/")
    return own if _is_loopback(urlsplit(configured).hostname) else configured


# -- responses --------------------------------------------------------------------------------


def _newest_first(hits: list[Hit]) -> list[Paper]:
    # Undated papers last; the sort is stable, so equal ones keep the search's order.
    ranked = sorted(hits, key=lambda hit: (hit.paper.published or date.min, hit.score), reverse=True)
    return [hit.paper for hit in ranked]


def _etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match: "*" or a list of tags, compared weakly (RFC 9110, 13.1.2)."""
    if not header:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


def _feed_response(
    request: Request, papers: list[Paper], kind: FeedKind, *, title: str, page: str, feed: str, about: str
) -> Response:
    base = base_url(request)
    body, content_type = get_library(request).syndicate(
        papers,
        kind,
        title=title,
        link=base + page,
        feed_url=base + feed,
        description=about,
        base_url=base,
        updated=None,
    )
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=content_type, headers=headers)


# -- routes -----------------------------------------------------------------------------------


@router.get("/feeds/search.{fmt}")
def search_feed(
    request: Request,
    fmt: str,
    q: str = "",
    mode: str = "hybrid",
    author: str = "",
    category: str = "",
    date_from_text: str = Query("", alias="from"),
    date_to_text: str = Query("", alias="to"),
    has_code_text: str = Query("", alias="has_code"),
) -> Response:
    kind = _format(fmt)
    form = search_form(
        q, mode, author, category, date_from_text, date_to_text, has_code_text, limit=FEED_SIZE
    ).require_dates_in_order()
    try:
        hits = form.search(get_library(request), snippets=False)
    except ModelUnavailable as unavailable:  # semantic search asked of a server without the model
        raise bad(f"{unavailable.reason}; use mode=keyword") from unavailable
    # Only what was asked, so that one search has one feed address (an Atom feed's id).
    asked = {
        "q": form.text,
        "mode": "" if form.mode == "hybrid" else form.mode,
        "author": form.author,
        "category": form.category,
        "from": form.date_from.isoformat() if form.date_from else "",
        "to": form.date_to.isoformat() if form.date_to else "",
        "has_code": "1" if form.has_code else "",
    }
    query = urlencode({name: value for name, value in asked.items() if value})
    suffix = "?" + query if query else ""
    filters = (("by", form.author), ("in", form.category), ("from", asked["from"]), ("to", asked["to"]))
    scope = [f"{word} {value}" for word, value in filters if value] + (["with code"] if form.has_code else [])
    shown = form.text if len(form.text) <= TITLE_QUERY else form.text[:TITLE_QUERY].rstrip() + "…"
    title = " ".join([f"“{shown}”" if form.text else "Newest papers", *scope])
    return _feed_response(
        request,
        _newest_first(hits),
        kind,
        title=f"{title} – papersift",
        page="/search" + suffix if query else "/",
        feed=f"/feeds/search.{kind}{suffix}",
        about=f"The newest of the {FEED_SIZE} papers that best match {title} on papersift.",
    )


@router.get("/feeds/authors/{name:path}.{fmt}")
def author_feed(request: Request, name: str, fmt: str) -> Response:
    kind = _format(fmt)
    name = text(name, "the author's name", MAX_NAME)
    if not has_words(name):  # a name of no words would filter nothing and list every paper
        raise HTTPException(status_code=404, detail="No author has an empty name.")
    hits = get_library(request).search("", mode="keyword", limit=FEED_SIZE, author=name, snippets=False)
    if not hits:
        raise HTTPException(status_code=404, detail="We know no papers by this author.")
    return _feed_response(
        request,
        _newest_first(hits),
        kind,
        title=f"Papers by {name} – papersift",
        page="/authors/" + path_part(name),
        feed=f"/feeds/authors/{path_part(name)}.{kind}",
        about=f"The newest papers by {name} on papersift.",
    )


@router.get("/feeds/categories/{code:path}.{fmt}")
def category_feed(request: Request, code: str, fmt: str) -> Response:
    kind = _format(fmt)
    code = text(code, "the category", MAX_NAME)
    if not code:
        raise HTTPException(status_code=404, detail="No category has an empty name.")
    hits = get_library(request).search("", mode="keyword", limit=FEED_SIZE, category=code, snippets=False)
    if not hits:
        raise HTTPException(status_code=404, detail="No paper in the library has this category.")
    named = f"{code} ({category_name(code)})" if category_name(code) else code
    return _feed_response(
        request,
        _newest_first(hits),
        kind,
        title=f"{named} – papersift",
        page="/categories/" + path_part(code),
        feed=f"/feeds/categories/{path_part(code)}.{kind}",
        about=f"The newest papers in {named} on papersift.",
    )


@router.get("/feeds/for-you/{token}.{fmt}")
def recommendations_feed(request: Request, token: str, fmt: str) -> Response:
    """A member's "For you" papers at a private address (the token names the member)."""
    kind = _format(fmt)
    library = get_library(request)
    try:
        member = library.user_of_recommendations_token(token)
    except SubscriptionError as error:
        raise HTTPException(status_code=404, detail=error.reason) from None
    found = [item.paper for item in library.recommendations(member, limit=FEED_SIZE)]
    response = _feed_response(
        request,
        found,
        kind,
        title=f"For {member.name} – papersift",
        page="/for-you",
        feed=f"/feeds/for-you/{token}.{kind}",
        about="New papers ranked by the papers you saved on papersift.",
    )
    response.headers["Cache-Control"] = "private, max-age=900"  # one member's, at a secret address
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@router.get("/feeds/collections/{collection_id}.{fmt}")
def collection_feed(request: Request, collection_id: int, fmt: str) -> Response:
    """A public collection's papers, the most recently added first (a private one is not found)."""
    kind = _format(fmt)
    try:
        shown = get_library(request).curation.public_collection(collection_id)
    except PaperNotFound as error:
        raise HTTPException(status_code=404, detail=error.reason) from None
    return _feed_response(
        request,
        [saved.paper for saved in shown.papers[:FEED_SIZE]],
        kind,
        title=f"{shown.name} by {shown.owner} – papersift",
        page=f"/collections/{collection_id}",
        feed=f"/feeds/collections/{collection_id}.{kind}",
        about=f"Papers {shown.owner} adds to the collection “{shown.name}” on papersift.",
    )
