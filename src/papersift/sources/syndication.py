"""Papers as a feed a reader can follow: RSS 2.0, Atom 1.0 or JSON Feed 1.1. Pure functions, no I/O.

    body, content_type = render(papers, kind="atom", title=..., link=..., feed_url=..., ...)

Why the XML is built here with `xml.etree.ElementTree` and not by a feed library:
- feedgen 1.0.0 (its latest release, December 2023) writes an entry's `<link>` with its `href`
  only, dropping `rel` and `type` (lkiesow/python-feedgen#135; the fixes wait unmerged since
  2024): the arXiv page would become a second "alternate" link. It also pulls in lxml and
  python-dateutil, and has no type hints.
- feedgenerator (Pelican's copy of Django's) writes Atom summaries as `type="html"`, one author
  per item, and falls back to the current time for missing dates (a feed whose bytes change by
  the second defeats its ETag); we would override most of its item writers anyway.
ElementTree escapes text and attributes; the format rules are few and spelled out below.

Paper text is data from outside, never markup. Atom and JSON Feed say so (`type="text"`,
`content_text`). RSS has no way to: readers treat `<description>` as HTML, so the abstract is
HTML-escaped before the XML escaping (a `<script>` in it shows as text); titles are plain text,
as the RSS profile asks. Characters XML 1.0 forbids (most C0 controls, lone surrogates) are
removed from every string, in JSON too: a title with an escape character is junk either way.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
from markupsafe import escape

from papersift.records import FeedKind, Paper

CONTENT_TYPES: dict[FeedKind, str] = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json",
}
GENERATOR = "papersift"
ATOM = "http://www.w3.org/2005/Atom"
DC = "http://purl.org/dc/elements/1.1/"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# A feed with no dated paper still needs a date (Atom requires one), and a fixed one keeps the
# bytes, hence the ETag, the same from one request to the next.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# RSS borrows Atom's self link and Dublin Core's creator (RSS's own <author> must be an e-mail).
ET.register_namespace("atom", ATOM)
ET.register_namespace("dc", DC)

# Everything outside XML 1.0's `Char` production (https://www.w3.org/TR/xml/#charsets).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", text)


def render(
    papers: Sequence[Paper],
    *,
    kind: FeedKind,
    title: str,
    link: str,
    feed_url: str,
    description: str,
    base_url: str,
    updated: datetime | None = None,
) -> tuple[bytes, str]:
    """The feed of `papers`, in their order, and its content type.

    `link` is the HTML page this feed mirrors, `feed_url` the feed's own address, `base_url` the
    site's (items link to `{base_url}/papers/{id}`). `updated` defaults to the newest paper's date.
    """
    feed = _Feed(
        title=clean(title),
        link=clean(link),
        feed_url=clean(feed_url),
        description=clean(description),
        base_url=clean(base_url.rstrip("/")),
        updated=_utc(updated) if updated else max(filter(None, map(_changed, papers)), default=EPOCH),
    )
    if kind == "rss":
        body = _rss(feed, papers)
    elif kind == "atom":
        body = _atom(feed, papers)
    elif kind == "json":
        body = _json_feed(feed, papers)
    else:
        raise ValueError(f"unknown feed kind {kind!r}")
    return body, CONTENT_TYPES[kind]


@dataclass(frozen=True, slots=True)
class _Feed:
    """What every format says about the feed itself."""

    title: str
    link: str
    feed_url: str
    description: str
    base_url: str
    updated: datetime

    def paper_url(self, paper: Paper) -> str:
        # Old arXiv ids and DOIs hold "/", which the paper page's route takes (web.render.paper_path).
        return f"{self.base_url}/papers/{quote(paper.id, safe='/')}"


# -- dates and links -------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _midnight(day: date | None) -> datetime | None:
    """A paper's day as a moment: papers carry dates, feeds want times; midnight UTC."""
    return datetime.combine(day, time(), UTC) if day else None


def _changed(paper: Paper) -> datetime | None:
    return _midnight(paper.updated or paper.published)


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _abstract_page(paper: Paper) -> str | None:
    """The paper's page at its source (arXiv's abs page), only if http(s): a record could hold
    `javascript:`. The same rule as `web.render.abs_link`, which this core module cannot import."""
    url = (paper.abs_url or "").strip()
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return clean(url)
    return f"https://arxiv.org/abs/{quote(paper.arxiv_id)}" if paper.arxiv_id else None


# -- RSS 2.0 (https://www.rssboard.org/rss-specification) ------------------------------------


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _xml(root: ET.Element) -> bytes:
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _rss(feed: _Feed, papers: Sequence[Paper]) -> bytes:
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", feed.title)
    _sub(channel, "link", feed.link)
    _sub(channel, "description", feed.description)
    _sub(channel, f"{{{ATOM}}}link", rel="self", href=feed.feed_url, type=CONTENT_TYPES["rss"].split(";")[0])
    _sub(channel, "generator", GENERATOR)
    _sub(channel, "lastBuildDate", format_datetime(feed.updated, usegmt=True))
    for paper in papers:
        item = _sub(channel, "item")
        url = feed.paper_url(paper)
        _sub(item, "title", clean(paper.title))
        _sub(item, "link", url)
        _sub(item, "guid", url, isPermaLink="true")
        _sub(item, "description", str(escape(clean(paper.abstract))))
        for author in paper.authors:
            _sub(item, f"{{{DC}}}creator", clean(author))
        if published := _midnight(paper.published):
            _sub(item, "pubDate", format_datetime(published, usegmt=True))
        for category in paper.categories:
            _sub(item, "category", clean(category))
        if page := _abstract_page(paper):
            _sub(item, f"{{{ATOM}}}link", rel="related", type="text/html", href=page)
    return _xml(rss)


# -- Atom 1.0 (RFC 4287) ---------------------------------------------------------------------


def _atom(feed: _Feed, papers: Sequence[Paper]) -> bytes:
    # Atom is the default namespace, declared on the root by hand: ElementTree's
    # `default_namespace` refuses the unqualified attributes (`rel`, `href`) Atom uses.
    sub = _sub
    root = ET.Element("feed", {"xmlns": ATOM})
    sub(root, "id", feed.feed_url)
    sub(root, "title", feed.title, type="text")
    sub(root, "subtitle", feed.description, type="text")
    sub(root, "link", rel="alternate", type="text/html", href=feed.link)
    sub(root, "link", rel="self", type=CONTENT_TYPES["atom"].split(";")[0], href=feed.feed_url)
    sub(root, "updated", _rfc3339(feed.updated))
    sub(root, "generator", GENERATOR)
    # A feed needs an author unless every entry has one; papers without authors inherit this.
    sub(sub(root, "author"), "name", GENERATOR)
    for paper in papers:
        entry = sub(root, "entry")
        url = feed.paper_url(paper)
        sub(entry, "id", url)
        sub(entry, "title", clean(paper.title), type="text")
        sub(entry, "link", rel="alternate", type="text/html", href=url)
        if page := _abstract_page(paper):
            sub(entry, "link", rel="related", type="text/html", href=page)
        if published := _midnight(paper.published):
            sub(entry, "published", _rfc3339(published))
        sub(entry, "updated", _rfc3339(_changed(paper) or feed.updated))
        for author in paper.authors:
            sub(sub(entry, "author"), "name", clean(author))
        for category in paper.categories:
            sub(entry, "category", term=clean(category))
        sub(entry, "summary", clean(paper.abstract), type="text")
    return _xml(root)


# -- JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) -----------------------------------


def _json_feed(feed: _Feed, papers: Sequence[Paper]) -> bytes:
    items: list[dict[str, Any]] = []
    for paper in papers:
        url = feed.paper_url(paper)
        item: dict[str, Any] = {
            "id": url,
            "url": url,
            "title": clean(paper.title),
            "content_text": clean(paper.abstract),
        }
        if paper.authors:
            item["authors"] = [{"name": clean(author)} for author in paper.authors]
        if paper.categories:
            item["tags"] = [clean(category) for category in paper.categories]
        if page := _abstract_page(paper):
            item["external_url"] = page
        if published := _midnight(paper.published):
            item["date_published"] = _rfc3339(published)
        if modified := _midnight(paper.updated):
            item["date_modified"] = _rfc3339(modified)
        items.append(item)
    document = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.link,
        "feed_url": feed.feed_url,
        "description": feed.description,
        "items": items,
    }
    return orjson.dumps(document)
