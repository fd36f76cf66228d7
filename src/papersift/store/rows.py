"""The rows the store hands back: typed, named, the same from SQLite and PostgreSQL.

Each is built where the statement that reads it is (`store.sql`, `store.curation`), from values
the backends made alike (`store.values`); callers read fields by name, never by position. Rows
that many callers unpack are NamedTuples (`for pk, note, saved_at in store.saved_in(...)` keeps
working, and a row still equals the plain tuple of its values); the older, wider ones are frozen
dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from papersift.records import CuratedResult, Frequency, Paper, SubscriptionKind

# -- papers ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredPaper:
    pk: int
    paper: Paper
    aliases: tuple[str, ...] = ()


class TextRow(NamedTuple):
    """What is embedded and phrase-checked of a paper (`texts_by_pk`)."""

    title: str
    abstract: str


class IndexRow(NamedTuple):
    """What the keyword index needs of a paper (`iter_index_rows`)."""

    pk: int
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    published: date | None
    has_code: bool


# -- embeddings ----------------------------------------------------------------------------------


class EmbeddingCandidateRow(NamedTuple):
    """A paper that may need embedding, with the hash of its embedded text if it has one
    (`iter_embedding_candidates`)."""

    pk: int
    title: str
    abstract: str
    text_hash: bytes | None


class VectorRow(NamedTuple):
    """A stored embedding as float32 bytes (`iter_embeddings`)."""

    pk: int
    vector: bytes


class Neighbour(NamedTuple):
    """A paper found by vector search and its cosine similarity to the query (`nearest`)."""

    pk: int
    score: float


# -- votes and feeds -------------------------------------------------------------------------------


class FeedRow(NamedTuple):
    """A paper with its upvotes and publication date (`published_between`, `voted_papers`)."""

    pk: int
    votes: int
    published: date | None


class FeedRows(NamedTuple):
    """One page of `published_between`, and how many papers the whole range holds."""

    rows: list[FeedRow]
    total: int


class NearDates(NamedTuple):
    """The nearest publication dates outside a range, None where there is none (`published_near`)."""

    before: date | None
    after: date | None


# -- members ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    email: str
    name: str
    password_hash: str
    created_at: str
    role: str = "member"


class StaffRow(NamedTuple):
    """A member with a role (`users_with_role`)."""

    id: int
    email: str
    name: str
    role: str


class MailRow(NamedTuple):
    """A queued e-mail not yet sent (`unsent_mail`)."""

    id: int
    message: bytes


# -- collections -----------------------------------------------------------------------------------


class CollectionSummaryRow(NamedTuple):
    """One of a member's collections and how many papers it holds (`collections_of`)."""

    id: int
    name: str
    papers: int


class SavedRow(NamedTuple):
    """A paper saved to a collection (`saved_in`)."""

    pk: int
    note: str
    saved_at: str


class CollectionRow(NamedTuple):
    """A collection as its public page shows it (`collection_row`)."""

    owner_id: int
    name: str
    public: bool
    followers: int
    owner: str


class PublicCollectionRow(NamedTuple):
    """A public collection in a listing (`public_collections`)."""

    id: int
    name: str
    owner: str
    papers: int


# -- subscriptions and digests -------------------------------------------------------------------


class SubscriptionRow(NamedTuple):
    """A stored subscription (`subscriptions`); the schema checks kind, mode and frequency."""

    id: int
    user_id: int
    kind: SubscriptionKind
    value: str
    mode: str
    frequency: Frequency
    max_papers: int


class UnsentDigestRow(NamedTuple):
    """A digest decided but not known to be sent (`unsent_digests`)."""

    user_id: int
    frequency: str
    period: str
    message_id: str
    message: bytes


class DigestRow(NamedTuple):
    """A digest of a member (`digests_of`); `papers` is the JSON list of its paper ids."""

    frequency: str
    period: str
    status: str
    papers: str
    sent_at: str | None


# -- results -----------------------------------------------------------------------------------------


class SpellingRow(NamedTuple):
    """A (dataset, metric) pair as written, with its extracted and curated row counts
    (`result_spellings`)."""

    dataset: str
    metric: str
    extracted: int
    curated: int


class ResultRow(NamedTuple):
    """A result extracted from a paper's text (`extracted_results`)."""

    pk: int
    dataset: str
    metric: str
    value: float
    evidence: str
    model: str | None


class CuratedRow(NamedTuple):
    """A curated result with its paper's pk, if the library holds the paper (`curated_results`)."""

    pk: int | None
    result: CuratedResult


class CuratedAdded(NamedTuple):
    """How many curated code links and results were new to the store (`save_curated`)."""

    links: int
    results: int


# -- curation ----------------------------------------------------------------------------------------


class EntryAdded(NamedTuple):
    """What `add_entry` did: made a new entry, and added a new submitter to it."""

    created: bool
    joined: bool


@dataclass(frozen=True, slots=True)
class EntryRow:
    """A paper on a day's curated list."""

    day: date
    pk: int
    status: str
    pinned: bool
    featured: bool
    submitted_at: str
    votes: int


@dataclass(frozen=True, slots=True)
class SubmitterRow:
    day: date
    pk: int
    user_id: int
    name: str
    submitted_at: str


@dataclass(frozen=True, slots=True)
class PendingRow:
    arxiv_id: str
    day: date
    user_id: int
    submitted_at: str
    attempts: int
    last_error: str


@dataclass(frozen=True, slots=True)
class CommentRow:
    id: int
    pk: int
    user_id: int
    author: str
    body: str
    created_at: str
    edited_at: str | None
    removed: bool


@dataclass(frozen=True, slots=True)
class ClaimRow:
    user_id: int
    name: str
    email: str
    pk: int
    author: str
    status: str
    created_at: str


@dataclass(frozen=True, slots=True)
class LogRow:
    id: int
    at: str
    actor: str
    action: str
    target: str
    detail: str
