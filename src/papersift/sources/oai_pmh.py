"""Reader of arXiv's OAI-PMH responses (http://export.arxiv.org/oai2), source "oai-pmh".

`ListRecords` and `GetRecord` pages in the two arXiv metadata formats that carry the abstract:

- `arXiv`: one `<author>` per name (`keyname`, `forenames`, `suffix`), `created`/`updated` dates;
  no version number.
- `arXivRaw`: authors as one free-text string, and the history as `<version version="vN">`
  elements whose RFC 1123 dates give published (v1) and updated (the latest version). `doi` may
  hold several DOIs separated by spaces (an erratum's); the first is the paper's.

Deleted records (`<header status="deleted">`) are skipped: they are a harvest's normal content,
not bad input. `<error code="noRecordsMatch">` is an empty answer; any other OAI error means the
request was wrong, so the response raises `UnreadableInput` naming the code. The page is parsed
incrementally, so records before a point of malformation are yielded before the error.

`resumption_token(content)` gives a harvester the token of the next page.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import BinaryIO

from papersift import text
from papersift.errors import UnreadableInput
from papersift.records import BadRecord, Paper
from papersift.sources.common import complete_xml_elements, make_paper

SOURCE = "oai-pmh"
_OAI = "{http://www.openarchives.org/OAI/2.0/}"
_ARXIV = "{http://arxiv.org/OAI/arXiv/}"
_ARXIV_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
_WHAT = "an OAI-PMH response"
_ROOT = f"{_OAI}OAI-PMH"
_RECORD = f"{_OAI}record"
_ERROR = f"{_OAI}error"
_RESUMPTION_TOKEN = f"{_OAI}resumptionToken"
_OAI_ID_PREFIX = "oai:arXiv.org:"


def read(stream: BinaryIO, origin: str) -> Iterator[Paper | BadRecord]:
    """Papers of an OAI-PMH `ListRecords`/`GetRecord` response in `arXiv` or `arXivRaw` format."""
    # Deleted records keep their number, so "entry 3" is the third <record> in the response.
    for number, element in enumerate(_records(stream), start=1):
        record = _read_record(element, f"{origin}: entry {number}")
        if record is not None:
            yield record


def resumption_token(content: bytes) -> str | None:
    """The resumptionToken of a response; None when absent or empty (the list is complete).

    Raises `UnreadableInput` for content that is not a well-formed OAI-PMH response, so a
    harvester never mistakes a broken page for the end of the list.
    """
    for element in complete_xml_elements(
        io.BytesIO(content), root_tag=_ROOT, what=_WHAT, tags={_RESUMPTION_TOKEN}
    ):
        return (element.text or "").strip() or None
    return None


def _records(stream: BinaryIO) -> Iterator[ET.Element]:
    for element in complete_xml_elements(stream, root_tag=_ROOT, what=_WHAT, tags={_RECORD, _ERROR}):
        if element.tag == _RECORD:
            yield element
            continue
        code = element.get("code", "")
        if code == "noRecordsMatch":
            return
        message = " ".join((element.text or "").split())
        raise UnreadableInput(f"OAI-PMH error {code}: {message}")


def _read_record(record: ET.Element, place: str) -> Paper | BadRecord | None:
    header = record.find(f"{_OAI}header")
    if header is not None and header.get("status") == "deleted":
        return None
    # The header's identifier is the arXiv id behind a prefix, and present even without metadata.
    identifier = record.findtext(f"{_OAI}header/{_OAI}identifier", "").strip()
    if identifier:
        place = f"{place} ({identifier.removeprefix(_OAI_ID_PREFIX)})"
    metadata = record.find(f"{_OAI}metadata")
    content = next(iter(metadata), None) if metadata is not None else None
    if content is None:
        return BadRecord(place, "record has no metadata")
    if content.tag == f"{_ARXIV}arXiv":
        return _read_arxiv(content, place)
    if content.tag == f"{_ARXIV_RAW}arXivRaw":
        return _read_arxiv_raw(content, place)
    return BadRecord(place, f"unsupported metadata format <{content.tag}>; use arXiv or arXivRaw")


def _read_arxiv(content: ET.Element, place: str) -> Paper | BadRecord:
    authors = []
    for author in content.iter(f"{_ARXIV}author"):
        parts = (_text(author, name, _ARXIV) for name in ("forenames", "keyname", "suffix"))
        authors.append(" ".join(part for part in parts if part))
    return make_paper(
        place,
        source=SOURCE,
        title=_text(content, "title", _ARXIV),
        abstract=_text(content, "abstract", _ARXIV),
        authors=authors,
        categories=_text(content, "categories", _ARXIV).split(),
        published=_text(content, "created", _ARXIV) or None,
        updated=_text(content, "updated", _ARXIV) or None,
        arxiv_id=_text(content, "id", _ARXIV) or None,
        doi=_first_word(_text(content, "doi", _ARXIV)),
        comment=_text(content, "comments", _ARXIV) or None,
        journal_ref=_text(content, "journal-ref", _ARXIV) or None,
    )


def _read_arxiv_raw(content: ET.Element, place: str) -> Paper | BadRecord:
    versions: dict[int, str] = {}
    for version in content.iter(f"{_ARXIV_RAW}version"):
        label = version.get("version", "").lstrip("v")
        if label.isdigit():
            versions[int(label)] = _text(version, "date", _ARXIV_RAW)
    latest = max(versions, default=None)
    return make_paper(
        place,
        source=SOURCE,
        title=_text(content, "title", _ARXIV_RAW),
        abstract=_text(content, "abstract", _ARXIV_RAW),
        authors=text.split_authors(_text(content, "authors", _ARXIV_RAW)),
        categories=_text(content, "categories", _ARXIV_RAW).split(),
        published=versions.get(min(versions)) if versions else None,
        updated=versions[latest] if latest is not None else None,
        arxiv_id=_text(content, "id", _ARXIV_RAW) or None,
        version=latest,
        doi=_first_word(_text(content, "doi", _ARXIV_RAW)),
        comment=_text(content, "comments", _ARXIV_RAW) or None,
        journal_ref=_text(content, "journal-ref", _ARXIV_RAW) or None,
    )


def _text(element: ET.Element, name: str, namespace: str) -> str:
    return (element.findtext(namespace + name) or "").strip()


def _first_word(value: str) -> str | None:
    return value.split()[0] if value.split() else None
