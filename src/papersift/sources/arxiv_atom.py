"""Reader of the arXiv query API's Atom feed (http://export.arxiv.org/api/query), source "arxiv-api".

One `<entry>` per paper: a versioned id URL (`http://arxiv.org/abs/2401.01234v2`, old style
`.../abs/hep-th/9901001v1`), `arxiv:primary_category` plus `<category term>`s, `arxiv:comment`,
`arxiv:journal_ref`, `arxiv:doi`, abs and pdf links, `published`/`updated`, `<author><name>`.
Both today's feed and the 2016 dialect (hard-wrapped titles, inline namespace declarations) read
the same way; `make_paper` does the cleaning.

The feed is parsed incrementally, so a page of any size streams and the entries before a point
of malformation are yielded before `UnreadableInput` is raised.

An API error ("incorrect id format for abc") comes as an ordinary `<entry>` titled "Error" whose
id holds `/api/errors#`. It is yielded as a `BadRecord` quoting the error, even when it is the
feed's only entry: the feed itself is readable, and a rejected record reaches the user through
the same report as any other (a harvester sees the HTTP 400 anyway).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import BinaryIO

from papersift.records import BadRecord, Paper
from papersift.sources.common import complete_xml_elements, make_paper

SOURCE = "arxiv-api"
_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_FEED = f"{_ATOM}feed"
_ENTRY = f"{_ATOM}entry"
_ABS_PATH = re.compile(r"/abs/(.+)$")


def read(stream: BinaryIO, origin: str) -> Iterator[Paper | BadRecord]:
    """Papers of an arXiv API Atom feed; API errors and unusable entries as `BadRecord`s."""
    for number, entry in enumerate(
        complete_xml_elements(stream, root_tag=_FEED, what="an Atom feed", tags={_ENTRY}), start=1
    ):
        yield _read_entry(entry, f"{origin}: entry {number}")


def _read_entry(entry: ET.Element, place: str) -> Paper | BadRecord:
    entry_id = _text(entry, f"{_ATOM}id")
    if "/api/errors#" in entry_id:
        summary = _text(entry, f"{_ATOM}summary") or entry_id
        return BadRecord(place, f"arXiv API error: {' '.join(summary.split())!r}")
    if not entry_id:
        return BadRecord(place, "entry has no <id>")
    abs_match = _ABS_PATH.search(entry_id)
    place = f"{place} ({abs_match.group(1) if abs_match else entry_id})"

    abs_url = pdf_url = None
    for link in entry.iter(f"{_ATOM}link"):
        if link.get("rel") == "alternate":
            abs_url = link.get("href")
        elif link.get("title") == "pdf":
            pdf_url = link.get("href")
    primary = entry.find(f"{_ARXIV}primary_category")
    categories = [primary.get("term", "")] if primary is not None else []
    categories += [c.get("term", "") for c in entry.iter(f"{_ATOM}category")]
    return make_paper(
        place,
        source=SOURCE,
        title=_text(entry, f"{_ATOM}title"),
        abstract=_text(entry, f"{_ATOM}summary"),
        authors=[_text(author, f"{_ATOM}name") for author in entry.iter(f"{_ATOM}author")],
        categories=categories,
        published=_text(entry, f"{_ATOM}published") or None,
        updated=_text(entry, f"{_ATOM}updated") or None,
        arxiv_id=entry_id,
        doi=_text(entry, f"{_ARXIV}doi") or None,
        abs_url=abs_url,
        pdf_url=pdf_url,
        comment=_text(entry, f"{_ARXIV}comment") or None,
        journal_ref=_text(entry, f"{_ARXIV}journal_ref") or None,
    )


def _text(element: ET.Element, tag: str) -> str:
    return (element.findtext(tag) or "").strip()
