"""What every reader shares: turning one source record's raw fields into a clean `Paper`.

Readers extract raw strings from their format and call `make_paper`; cleaning, id choice and
the limits on field sizes live here once, so every format is normalised the same way.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from datetime import date
from typing import BinaryIO

from papersift import text
from papersift.errors import UnreadableInput
from papersift.ids import normalise_doi, paper_id, parse_arxiv_id
from papersift.records import BadRecord, Paper

MAX_TITLE_CHARS = 2_000
MAX_ABSTRACT_CHARS = 100_000  # the longest real arXiv abstract is under 2,000 characters
MAX_AUTHORS = 5_000


def make_paper(
    place: str,
    *,
    source: str,
    title: str | None,
    abstract: str | None = None,
    authors: Iterable[str] = (),
    categories: Iterable[str] = (),
    published: date | str | None = None,
    updated: date | str | None = None,
    arxiv_id: str | None = None,
    version: int | None = None,
    doi: str | None = None,
    source_id: str | None = None,
    abs_url: str | None = None,
    pdf_url: str | None = None,
    comment: str | None = None,
    journal_ref: str | None = None,
    keywords: Iterable[str] = (),
) -> Paper | BadRecord:
    """A clean `Paper` from raw fields, or a `BadRecord` at `place` saying what is wrong.

    `arxiv_id` may carry a version ("2401.01234v2") or be a URL; an explicit `version` wins.
    Names are expected already split; they are cleaned of LaTeX accents and extra spaces here.
    """
    raw_title = title or ""
    clean_title = text.clean_text(raw_title)
    if not clean_title:
        return BadRecord(place, "missing title")
    if len(clean_title) > MAX_TITLE_CHARS:
        return BadRecord(place, f"title is {len(clean_title):,} characters; the limit is {MAX_TITLE_CHARS:,}")
    raw_abstract = abstract or ""
    if len(raw_abstract) > MAX_ABSTRACT_CHARS:
        return BadRecord(
            place, f"abstract is {len(raw_abstract):,} characters; the limit is {MAX_ABSTRACT_CHARS:,}"
        )
    names = tuple(name for name in (text.clean_name(a) for a in authors) if name)
    if len(names) > MAX_AUTHORS:
        return BadRecord(place, f"{len(names):,} authors; the limit is {MAX_AUTHORS:,}")

    parsed = parse_arxiv_id(arxiv_id) if arxiv_id else None
    if arxiv_id and parsed is None:
        return BadRecord(place, f"not an arXiv id: {arxiv_id!r}")
    clean_arxiv_id = parsed[0] if parsed else None
    if version is None and parsed:
        version = parsed[1]
    clean_doi = normalise_doi(doi)
    clean_source_id = source_id.strip() if source_id and source_id.strip() else None
    published_date = published if not isinstance(published, str) else text.parse_date(published)
    updated_date = updated if not isinstance(updated, str) else text.parse_date(updated)
    clean_abstract = text.clean_text(raw_abstract)
    return Paper(
        id=paper_id(
            title=clean_title,
            first_author=names[0] if names else None,
            arxiv_id=clean_arxiv_id,
            doi=clean_doi,
            source_id=clean_source_id,
        ),
        title=clean_title,
        abstract=clean_abstract,
        authors=names,
        categories=tuple(dict.fromkeys(" ".join(c.split()) for c in categories if c and c.strip())),
        published=published_date,
        updated=updated_date if updated_date != published_date else None,
        version=version,
        arxiv_id=clean_arxiv_id,
        doi=clean_doi,
        source=source,
        source_id=clean_source_id,
        abs_url=abs_url or (f"https://arxiv.org/abs/{clean_arxiv_id}" if clean_arxiv_id else None),
        pdf_url=pdf_url or (f"https://arxiv.org/pdf/{clean_arxiv_id}" if clean_arxiv_id else None),
        comment=text.clean_text(comment) or None,
        journal_ref=text.clean_text(journal_ref) or None,
        keywords=tuple(k for k in (text.clean_text(k) for k in keywords) if k),
        title_raw=raw_title if raw_title != clean_title else None,
        abstract_raw=raw_abstract if raw_abstract != clean_abstract else None,
    )


_EXPAT_POSITION = re.compile(r": line \d+, column \d+$")


def complete_xml_elements(
    stream: BinaryIO, *, root_tag: str, what: str, tags: set[str]
) -> Iterator[ET.Element]:
    """Each element named in `tags` once complete, detached after use so memory stays flat.

    The bytes go to the parser undecoded (XML without an encoding declaration is UTF-8, which is
    what arXiv writes though its API sends no charset). A root other than `root_tag` means the
    input is not `what`; malformed XML raises `UnreadableInput` after the complete elements
    before the fault were yielded.
    """
    open_elements: list[ET.Element] = []
    try:
        for event, element in ET.iterparse(stream, events=("start", "end")):
            if event == "start":
                if not open_elements and element.tag != root_tag:
                    raise UnreadableInput(f"not {what}: the root element is <{element.tag}>")
                open_elements.append(element)
                continue
            open_elements.pop()
            if element.tag in tags:
                yield element
                if open_elements:
                    open_elements[-1].remove(element)
    except ET.ParseError as error:
        line, column = error.position
        message = _EXPAT_POSITION.sub("", str(error))
        # expat counts columns from 0, editors from 1.
        raise UnreadableInput(f"malformed XML at line {line}, column {column + 1}: {message}") from None
