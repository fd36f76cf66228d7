"""The records that flow through papersift: a paper, a rejected input record, a search hit, and
the public result types of the Library (feed pages, collections, recommendations, imports).

Readers in `sources/` yield `Paper` or `BadRecord`; the store persists `Paper`; search returns
`Hit`. Records are plain frozen dataclasses so they compare by value (which makes ingest
idempotent: a merge that yields an equal paper writes nothing). This module imports nothing of
papersift: every layer may use it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Literal

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
FeedKind = Literal["rss", "atom", "json"]  # the documents a feed of papers comes as
FeedSort = Literal["trending", "date"]
_WORD = re.compile(r"[^\W_]+")


# The store keeps it as a column (papers with one title are found at once when merging).
@lru_cache(maxsize=16384)  # ingest asks for the same title's key several times in a batch
def title_key(title: str) -> str:
    """A comparison key for titles: accents stripped, case folded, punctuation dropped."""
    if not title.isascii():
        decomposed = unicodedata.normalize("NFKD", title)
        title = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(title.casefold()))


DEFAULT_COLLECTION = "Saved"  # where a saved paper goes when no collection is named
MAX_COLLECTION_NAME = 100
MAX_NOTE = 10_000
RECOMMENDATION_DAYS = 7  # "For you" ranks the papers of the last week


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


@dataclass(frozen=True)
class FeedItem:
    """A paper in a feed, with its upvote count."""

    paper: Paper
    upvotes: int


@dataclass(frozen=True)
class FeedPage:
    """One page of the papers published in a day, week or month (`first`..`last`)."""

    items: list[FeedItem]
    first: date
    last: date
    period: Period
    sort: FeedSort
    total: int
    previous_day: date | None  # the nearest days with papers before and after the period, if any
    next_day: date | None


@dataclass(frozen=True)
class Recommendation:
    """A paper for a member, with why: the saved papers it is closest to and the words that weigh most."""

    paper: Paper
    score: float
    closest: list[Paper]
    words: list[str]


@dataclass(frozen=True)
class Collection:
    """One of a member's collections (a tag), with how many papers it holds."""

    name: str
    papers: int


@dataclass(frozen=True)
class SavedPaper:
    """A paper in a collection, with the member's note and when it was saved."""

    paper: Paper
    note: str
    saved_at: str


@dataclass
class CollectionImport:
    """What importing into a collection did: papers saved, papers new to the library, ids not found."""

    saved: int = 0
    new_papers: int = 0
    missing: list[str] = field(default_factory=list)
    rejected: list[BadRecord] = field(default_factory=list)


@dataclass
class CuratedImport:
    """What importing Papers with Code's archive did: files read (and which file each was), rows
    new to the library, rows rejected with the reason."""

    files: list[tuple[str, str]] = field(default_factory=list)
    links: int = 0
    results: int = 0
    rejected: list[BadRecord] = field(default_factory=list)


# -- members --------------------------------------------------------------------------------

SESSION_DAYS = 30

Role = Literal["member", "curator", "admin"]

ROLES: tuple[Role, ...] = ("member", "curator", "admin")


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    created_at: str
    role: Role = "member"

    @property
    def is_curator(self) -> bool:
        """Curators (and admins) approve, pin, feature and remove entries, comments and claims."""
        return self.role in ("curator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


# -- subscriptions and digests -----------------------------------------------------------------

Frequency = Literal["daily", "weekly"]
FREQUENCIES: tuple[Frequency, ...] = ("daily", "weekly")
# "followed": a public collection a member follows (papersift.members.curation); not a stored subscription.
SubscriptionKind = Literal["query", "author", "category", "collection", "trending", "followed"]
SUBSCRIPTION_KINDS: tuple[SubscriptionKind, ...] = ("query", "author", "category", "collection", "trending")
FOLLOWED_MAX_PAPERS = 20  # of one followed collection in one daily digest
MAX_PAPERS = 100  # the most a subscription may ask for (the store checks it too)
DEFAULT_MAX_PAPERS = 20


@dataclass(frozen=True)
class Subscription:
    id: int
    kind: SubscriptionKind
    value: str
    mode: str
    frequency: Frequency
    max_papers: int

    def describe(self) -> str:
        """The subscription in a few words, as the digest says why a paper is in it."""
        if self.kind == "query":
            return f"matches your search “{self.value}”" + (
                "" if self.mode == "hybrid" else f" ({self.mode})"
            )
        if self.kind == "author":
            return f"by {self.value}"
        if self.kind == "category":
            return f"in {self.value}"
        if self.kind == "collection":
            return f"like the papers in your collection “{self.value}”"
        if self.kind == "followed":
            return f"added to the collection {self.value}, which you follow"
        return "trending"


@dataclass
class DigestEntry:
    paper: Paper
    reasons: list[str] = field(default_factory=list)
    rank: float = 0.0  # lower is better: the best position among the subscriptions, less per extra one


@dataclass
class Digest:
    """What one member gets for one period: the papers published in `since` < day <= `through`."""

    email: str
    name: str
    frequency: Frequency
    period: str
    since: date
    through: date
    entries: list[DigestEntry]


# -- curation ------------------------------------------------------------------------------

Mode = Literal["open", "moderated"]
Action = Literal["approve", "pin", "unpin", "feature", "unfeature", "remove", "restore"]
ACTIONS: tuple[Action, ...] = ("approve", "pin", "unpin", "feature", "unfeature", "remove", "restore")


@dataclass(frozen=True)
class Submitter:
    user_id: int
    name: str
    submitted_at: str


@dataclass(frozen=True)
class DailyEntry:
    """A paper on a day's curated list."""

    paper: Paper
    day: date
    status: str  # approved, pending (waiting for a curator) or removed
    pinned: bool
    featured: bool
    upvotes: int
    comments: int
    submitters: tuple[Submitter, ...]
    submitted_at: str


@dataclass(frozen=True)
class CuratedDay:
    day: date
    entries: list[DailyEntry]
    before: date | None  # the nearest earlier day with a list
    after: date | None


@dataclass(frozen=True)
class PaperCard:
    """A paper as a list of papers shows it: its upvotes and comments and, for a signed-in member,
    whether they upvoted it and the collections of theirs that hold it."""

    paper: Paper
    upvotes: int
    comments: int
    upvoted: bool = False
    saved_in: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.paper.id


@dataclass(frozen=True)
class FrontPage:
    """A day, week or month of papers as the front page lists them. Once members curate: the
    entries they listed (`entries`; for one day ranked, `day`: that list with the days before and
    after). Before they do, or when every paper is asked for: every new paper (`feed`)."""

    feed: FeedPage | None = None
    day: CuratedDay | None = None
    entries: list[DailyEntry] = field(default_factory=list)

    @property
    def curated(self) -> bool:
        return self.feed is None


@dataclass(frozen=True)
class Submission:
    """What a submission did: `listed` (on the day's list), `awaiting-approval` (a curator will
    look), `awaiting-metadata` (arXiv could not be reached; kept), or `already-listed` (this
    member had submitted it to this day already)."""

    outcome: Literal["listed", "awaiting-approval", "awaiting-metadata", "already-listed"]
    day: date
    arxiv_id: str | None
    paper: Paper | None
    message: str


@dataclass(frozen=True)
class Comment:
    id: int
    paper_id: str
    user_id: int
    author: str
    body: str  # Markdown, as written
    created_at: str
    edited_at: str | None


@dataclass(frozen=True)
class PublicCollection:
    id: int
    name: str
    owner: str
    owner_id: int
    followers: int
    papers: list[SavedPaper]


@dataclass(frozen=True)
class Claim:
    member: str
    email: str
    paper: Paper
    author: str
    status: str
    created_at: str


# -- leaderboards -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Metric:
    """A canonical metric: its name, its unit ("%", "dB", "" or None when unknown) and direction."""

    name: str
    unit: str | None
    higher_is_better: bool


@dataclass(frozen=True)
class BoardSummary:
    """One leaderboard: its canonical dataset and metric, and how many results it holds."""

    dataset: str
    metric: str
    results: int
    curated: int


@dataclass(frozen=True)
class BoardEntry:
    """One row of a leaderboard. `paper` is None for a curated row whose paper is not in the library."""

    rank: int
    value: float
    model: str | None
    title: str
    paper: Paper | None
    paper_url: str | None
    published: date | None
    code_url: str | None
    curated: bool
    evidence: str  # the abstract's words (extracted) or the published value ("85.3%", curated)


@dataclass(frozen=True)
class Leaderboard:
    dataset: str
    metric: Metric
    entries: list[BoardEntry]
    other_metrics: list[str]  # the dataset's other boards

    def as_json(self) -> dict[str, Any]:
        """The board in the JSON of the API and `papersift leaderboard --json`."""
        return {
            "dataset": self.dataset,
            "metric": self.metric.name,
            "unit": self.metric.unit,
            "higherIsBetter": self.metric.higher_is_better,
            "otherMetrics": self.other_metrics,
            "entries": [
                {
                    "rank": e.rank,
                    "value": e.value,
                    "model": e.model,
                    "title": e.title,
                    "paperId": e.paper.id if e.paper else None,
                    "paperUrl": e.paper_url,
                    "published": e.published.isoformat() if e.published else None,
                    "codeUrl": f"https://{e.code_url}" if e.code_url else None,
                    "curated": e.curated,
                    "evidence": e.evidence,
                }
                for e in self.entries
            ],
        }
