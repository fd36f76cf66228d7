"""The records that flow through papersift: a paper, a rejected input record, a search hit.

Readers in `sources/` yield `Paper` or `BadRecord`; the store persists `Paper`; search returns
`Hit`. Records are plain frozen dataclasses so they compare by value (which makes ingest
idempotent: a merge that yields an equal paper writes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class ReportedResult:
    """A (dataset, metric, value) result an abstract reports, with its evidence span."""

    dataset: str
    metric: str
    value: float
    text: str
    model: str | None = None


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper's metadata, normalised at the edge (see `papersift.text`).

    `id` is the arXiv id without version where there is one, else the DOI, else the source's own
    id, else a stable hash of title and first author (`papersift.ids.paper_id`).
    `title_raw`/`abstract_raw` keep the text as the source gave it.
    """

    id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    published: date | None = None
    updated: date | None = None
    version: int | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    source: str = ""
    source_id: str | None = None
    abs_url: str | None = None
    pdf_url: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    keywords: tuple[str, ...] = ()
    title_raw: str | None = None
    abstract_raw: str | None = None
    # Found in the paper's own text by `papersift.extract` at import (derived from the fields
    # above: a merge recomputes them). `code` holds normalised repositories ("github.com/o/r").
    code: tuple[str, ...] = ()
    project_urls: tuple[str, ...] = ()
    code_promised: bool = False
    results: tuple[ReportedResult, ...] = ()

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def year(self) -> int | None:
        return self.published.year if self.published else None


@dataclass(frozen=True, slots=True)
class CuratedLink:
    """A paper's repository as the Papers with Code archive lists it (`url` as published)."""

    arxiv_id: str
    url: str
    official: bool


@dataclass(frozen=True, slots=True)
class CuratedResult:
    """A leaderboard row of the Papers with Code archive (`arxiv_id` None if it names no arXiv paper)."""

    arxiv_id: str | None
    paper_title: str
    paper_url: str | None
    task: str
    dataset: str
    metric: str
    value: float
    value_text: str
    model: str | None
    published: str | None


@dataclass(frozen=True, slots=True)
class BadRecord:
    """An input record that could not be imported: where it was and why."""

    place: str  # "file.jsonl:12", "refs.bib: entry 3 (key smith2020)"
    reason: str

    def __str__(self) -> str:
        return f"{self.place}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Hit:
    """A search result: the paper, its score (higher is better) and a highlighted snippet."""

    paper: Paper
    score: float
    snippet: str = ""
    highlights: tuple[tuple[int, int], ...] = ()  # (start, end) of matched words in `snippet`

    @property
    def id(self) -> str:
        return self.paper.id


@dataclass(slots=True)
class IngestReport:
    """What an ingest did, counted per outcome."""

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[BadRecord] = field(default_factory=list)
    files: int = 0
    failed_files: list[BadRecord] = field(default_factory=list)
    embedded: int = 0  # papers embedded for semantic search
    notes: list[str] = field(default_factory=list)  # things the user should know (not failures)

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.failed_files

    def as_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "read": self.read,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "failed_files": len(self.failed_files),
            "embedded": self.embedded,
            "notes": self.notes,
        }
