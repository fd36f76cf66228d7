"""Paper identity: arXiv ids, DOIs, title keys and the id papersift gives a paper.

Pure functions over strings. A paper's id is, in order of preference, its arXiv id without
version, its DOI, the source's own id, or a stable hash of its normalised title and first author.
"""

from __future__ import annotations

import hashlib
import re

from papersift.records import title_key as title_key

# New-style (0704.0001 onwards, 4+4 or 4+5 digits) and old-style (hep-th/9901001, math.GT/0309136).
_NEW_ID = r"(?P<new>\d{4}\.\d{4,5})"
_OLD_ID = r"(?P<old>[a-z][a-z\-]*(?:\.[A-Za-z]{2})?/\d{7})"
_ARXIV_ID = re.compile(
    rf"^(?:arxiv:|oai:arxiv\.org:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)?"
    rf"(?:{_NEW_ID}|{_OLD_ID})(?:v(?P<version>\d+))?(?:\.pdf)?/?$",
    re.IGNORECASE,
)
_DOI = re.compile(r"(10\.\d{4,9}/\S+)")
_HASH_PREFIX = "ps-"
_WORD = re.compile(r"[^\W_]+")


def parse_arxiv_id(text: str | None) -> tuple[str, int | None] | None:
    """Split an arXiv identifier (bare, `arXiv:`-prefixed, OAI or abs/pdf URL) into id and version.

    >>> parse_arxiv_id("https://arxiv.org/abs/2401.01234v2")
    ('2401.01234', 2)
    >>> parse_arxiv_id("hep-th/9901001")
    ('hep-th/9901001', None)
    """
    if not text:
        return None
    match = _ARXIV_ID.match(text.strip())
    if not match:
        return None
    if match.group("new"):
        arxiv_id = match.group("new")
    else:
        archive, number = match.group("old").split("/")
        # Archive names are lower case; the subject class after the dot is upper case.
        name, _, subject = archive.partition(".")
        arxiv_id = f"{name.lower()}{'.' + subject.upper() if subject else ''}/{number}"
    version = match.group("version")
    return arxiv_id, int(version) if version else None


def normalise_doi(text: str | None) -> str | None:
    """The first DOI in `text`, lower-cased (DOIs are case-insensitive), without resolver prefix."""
    if not text:
        return None
    match = _DOI.search(text)
    if not match:
        return None
    return match.group(1).rstrip(".,;)").lower()


def surname_key(author: str) -> str:
    """The comparison key of an author's family name ("Hinton, G." and "G. Hinton" agree)."""
    if "," in author:
        surname = author.split(",", 1)[0]
    else:
        parts = author.split()
        surname = parts[-1] if parts else ""
    return title_key(surname)


def hashed_id(title: str, first_author: str | None) -> str:
    """Stable id of a paper with no arXiv id, DOI or source id."""
    material = f"{title_key(title)}|{surname_key(first_author) if first_author else ''}"
    return _HASH_PREFIX + hashlib.sha256(material.encode()).hexdigest()[:16]


def is_hashed_id(paper_id: str) -> bool:
    return paper_id.startswith(_HASH_PREFIX)


def paper_id(
    *,
    title: str,
    first_author: str | None = None,
    arxiv_id: str | None = None,
    doi: str | None = None,
    source_id: str | None = None,
) -> str:
    """The id papersift gives a paper, by the order of preference in the module docstring."""
    return arxiv_id or doi or (source_id.strip() if source_id else None) or hashed_id(title, first_author)
