"""Deduplication: when two records are the same paper, and what the merged paper holds.

Pure functions. Two records are the same paper when they share an id, an arXiv id or a DOI, or
when their titles agree (`title_key`) and nothing contradicts it (different arXiv ids, different
DOIs, different first authors). The merged record takes each field from the newer record (higher
version, then later date) and fills its gaps from the older one; merging the same record again
changes nothing, so re-importing a file is a no-op.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date

from papersift.ids import is_hashed_id, paper_id, surname_key, title_key
from papersift.records import Paper

_KEPT_FROM_EITHER = {"id", "published", "updated", "version", "title_raw", "abstract_raw"}


def may_be_same(a: Paper, b: Paper) -> bool:
    """Whether two records with equal title keys can be one paper (nothing contradicts it)."""
    if a.arxiv_id and b.arxiv_id and a.arxiv_id != b.arxiv_id:
        return False
    if a.doi and b.doi and a.doi != b.doi:
        return False
    if a.source_id and b.source_id and a.source_id != b.source_id:
        return False
    if a.authors and b.authors and surname_key(a.authors[0]) != surname_key(b.authors[0]):
        return False
    return bool(title_key(a.title))


def _recency(paper: Paper) -> tuple[int, date]:
    return (paper.version or 0, paper.updated or paper.published or date.min)


def _first_published(a: date | None, b: date | None) -> date | None:
    """The earlier date, unless it is only the start of the other's year or month: a BibTeX
    entry with `year = 2026` reads as 1 January and must not move a paper of 10 June."""
    if a is None or b is None:
        return a or b
    early, late = sorted((a, b))
    vaguer_year = early.month == 1 and early.day == 1 and early.year == late.year
    vaguer_month = early.day == 1 and (early.year, early.month) == (late.year, late.month)
    return late if vaguer_year or vaguer_month else early


def merge(existing: Paper, incoming: Paper) -> Paper:
    """One record of two records of the same paper (see the module docstring)."""
    if incoming == existing:
        return existing
    newer, older = (incoming, existing) if _recency(incoming) > _recency(existing) else (existing, incoming)
    values: dict[str, object] = {}
    for field in fields(Paper):
        if field.name in _KEPT_FROM_EITHER:
            continue
        value = getattr(newer, field.name)
        values[field.name] = value if value else getattr(older, field.name)
    # The raw text goes with the clean text it belongs to.
    values["title_raw"] = newer.title_raw if values["title"] == newer.title else older.title_raw
    values["abstract_raw"] = (
        newer.abstract_raw if values["abstract"] == newer.abstract else older.abstract_raw
    )
    values["published"] = _first_published(existing.published, incoming.published)
    updates = [d for d in (existing.updated, incoming.updated, newer.published) if d]
    latest = max(updates) if updates else None
    values["updated"] = latest if latest and latest != values["published"] else None
    versions = [v for v in (existing.version, incoming.version) if v]
    values["version"] = max(versions) if versions else None
    authors = values["authors"]
    assert isinstance(authors, tuple)
    best_id = paper_id(
        title=str(values["title"]),
        first_author=authors[0] if authors else None,
        arxiv_id=values["arxiv_id"],  # type: ignore[arg-type]
        doi=values["doi"],  # type: ignore[arg-type]
        source_id=values["source_id"],  # type: ignore[arg-type]
    )
    # A hash id stays put while the paper has no better one, even if its title is revised.
    values["id"] = existing.id if is_hashed_id(best_id) and is_hashed_id(existing.id) else best_id
    return Paper(**values)  # type: ignore[arg-type]
