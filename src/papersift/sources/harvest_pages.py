"""What a harvest needs to know of the pages it fetches before their records are read: the
OAI-PMH error and resumption token, the arXiv API page's counts, the reason in an error body.
(The records themselves are read by `sources.oai_pmh` and `sources.arxiv_atom`.)"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from papersift.errors import HarvestError


def explain_error(content: bytes) -> str:
    """A short reason from an error body (OAI-PMH <error>, arXiv API error entry), if any."""
    try:
        root = ET.fromstring(content)
    except ET.ParseError:
        text = " ".join(content[:200].decode("utf-8", errors="replace").split())
        return f" ({text})" if text else ""
    for element in root.iter():
        name = _local(element.tag)
        if name == "error":
            return f" ({element.get('code', 'error')}: {(element.text or '').strip()})"
        text = (element.text or "").strip()
        if name == "summary" and text:
            return f" ({text})"
    return ""


def read_oai_page(content: bytes, url: str) -> tuple[str | None, str, str | None]:
    """(error code, error message, next resumptionToken) of an OAI-PMH answer."""
    root = _parse(content, url, "OAI-PMH")
    if _local(root.tag) != "OAI-PMH":
        raise HarvestError(f"{url}: not an OAI-PMH answer (root element <{_local(root.tag)}>)")
    for child in root:
        if _local(child.tag) == "error":
            return child.get("code", "error"), " ".join((child.text or "").split()), None
    for child in root:
        if _local(child.tag) == "ListRecords":
            for element in child:
                if _local(element.tag) == "resumptionToken":
                    # An empty token marks the last page of a list (OAI-PMH 2.0, section 3.5).
                    return None, "", (element.text or "").strip() or None
            return None, "", None
    raise HarvestError(f"{url}: OAI-PMH answer without ListRecords")


def read_api_page(content: bytes, url: str) -> tuple[int, int, date | None]:
    """(entries, totalResults, oldest `published` date) of an arXiv API Atom page."""
    root = _parse(content, url, "arXiv API")
    if _local(root.tag) != "feed":
        raise HarvestError(f"{url}: not an Atom feed (root element <{_local(root.tag)}>)")
    total: int | None = None
    entries = 0
    oldest: date | None = None
    for child in root:
        name = _local(child.tag)
        if name == "totalResults":
            total = int((child.text or "0").strip() or 0)
        elif name == "entry":
            fields = {_local(field.tag): (field.text or "").strip() for field in child}
            if "/api/errors" in fields.get("id", ""):
                # The API reports a bad query as a feed holding one "Error" entry.
                raise HarvestError(f"{url}: arXiv API error: {fields.get('summary', 'unknown')}")
            entries += 1
            try:
                published = date.fromisoformat(fields.get("published", "")[:10])
            except ValueError:
                continue
            oldest = published if oldest is None else min(oldest, published)
    return entries, total if total is not None else entries, oldest


def _parse(content: bytes, url: str, what: str) -> ET.Element:
    try:
        return ET.fromstring(content)
    except ET.ParseError as error:
        raise HarvestError(f"{url}: the {what} answer is not well-formed XML ({error})") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
