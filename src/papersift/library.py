"""The `Library`: the whole engine as one Python API; the CLI and the web app are faces of it.

    lib = Library.open("papers.db")          # creates the file if missing
    report = lib.ingest(["refs.bib", "arxiv/"])
    for hit in lib.search("graph neural networks author:kipf", limit=5):
        print(hit.id, hit.score, hit.paper.title)

    for hit in lib.similar("2406.12345", limit=5):
        print(hit.score, hit.paper.title)

The Library is the front door and holds no algorithm: it opens the store, reads the settings
once, wires the capabilities together (each in its own folder: `ingest/`, `search/`, `feeds/`,
`members/`, `leaderboards`) and delegates to them. A capability is built on first use, so a
command imports only what it needs (`papersift search` never loads SciPy or the mail code).
The store (SQL) holds the truth; the keyword and vector indexes beside it are caches.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from email.message import EmailMessage
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from papersift.catalog import Catalog
from papersift.errors import PapersiftError
from papersift.extract import Aliases
from papersift.extract import configured_aliases as _configured_aliases
from papersift.ingest.pipeline import EXTRACTION_VERSION, INGEST_BATCH, Ingester
from papersift.members.accounts import Accounts, User
from papersift.records import (
    DEFAULT_COLLECTION,
    DEFAULT_MAX_PAPERS,
    RECOMMENDATION_DAYS,
    BadRecord,
    Collection,
    CollectionImport,
    CuratedImport,
    Digest,
    FeedItem,
    FeedPage,
    FeedSort,
    Frequency,
    Hit,
    IngestReport,
    Paper,
    Period,
    Recommendation,
    SavedPaper,
    Subscription,
    SubscriptionKind,
)
from papersift.search.engine import SEARCH_MODES, Searcher, SearchMode, SearchResults
from papersift.search.indexes import NO_EMBEDDINGS, Engine, Indexes, ProgressCallback
from papersift.settings import Settings, cache_directory, config_path
from papersift.store import Store, is_postgres_url, open_store

if TYPE_CHECKING:
    from papersift import leaderboards as boards
    from papersift.embed import Precision
    from papersift.feeds.daily import Feeds
    from papersift.ingest.harvest import PoliteClient
    from papersift.members.collections import Collections
    from papersift.members.curation import Curation
    from papersift.members.digest_run import DigestRun, DigestSender
    from papersift.members.for_you import Recommender
    from papersift.members.subscriptions import Subscriptions
    from papersift.members.tokens import Tokens
    from papersift.members.votes import Votes
    from papersift.search.semantic import EmbedProgress
    from papersift.search.similar import Similar
    from papersift.store.copy import CopyProgress, TableCheck

__all__ = [
    "EXTRACTION_VERSION",
    "INGEST_BATCH",
    "NO_EMBEDDINGS",
    "SEARCH_MODES",
    "Engine",
    "Library",
    "SearchMode",
    "SearchResults",
    "configured_aliases",
]


class Library:
    """papersift's engine. Open with `Library.open(path)`; close (or use `with`) when done."""

    def __init__(
        self,
        store: Store,
        index_dir: Path,
        *,
        embedding_model: str | None = None,
        embedding_precision: Precision | None = None,
        ingest_batch: int = INGEST_BATCH,
        findings_worker_after: int | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.store = store
        self.index_dir = index_dir
        self.settings = settings or Settings.read()
        self.embedding_model = embedding_model or self.settings["embedding_model"]
        self.embedding_precision: Precision = embedding_precision or _precision(
            self.settings["embedding_precision"]
        )
        self.catalog = Catalog(store)
        self.accounts = Accounts(store)
        self.indexes = Indexes(store, index_dir, self.embedding_model, self.embedding_precision)
        self.ingester = Ingester(
            store,
            self.indexes,
            lambda: self.aliases,
            batch=ingest_batch,
            findings_worker_after=findings_worker_after,
        )
        self.searcher = Searcher(store, self.indexes)

    @classmethod
    def open(
        cls,
        location: str | os.PathLike[str] | None = None,
        *,
        embedding_model: str | None = None,
        embedding_precision: Precision | None = None,
        ingest_batch: int = INGEST_BATCH,
        findings_worker_after: int | None = None,
    ) -> Library:
        """Open the library at a path or a `postgresql://` URL (created if missing); None means the
        user's default (`PAPERSIFT_DB`). The settings are read here, once (`papersift.settings`).

        `ingest_batch`: papers merged and committed per transaction; `findings_worker_after`: batches
        an import reads before code and results are found in a worker process beside it."""
        settings = Settings.read()
        where = os.fspath(location) if location is not None else settings["db"]
        store = open_store(where)
        if is_postgres_url(where):
            # The index caches of a shared database live on each machine, named by the library.
            library_id = store.secret("library-id", lambda: uuid.uuid4().hex)
            index_dir = cache_directory() / "libraries" / library_id
        else:
            path = Path(where)
            index_dir = path.with_name(path.name + "-index")
        return cls(
            store,
            index_dir,
            embedding_model=embedding_model,
            embedding_precision=embedding_precision,
            ingest_batch=ingest_batch,
            findings_worker_after=findings_worker_after,
            settings=settings,
        )

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- the capabilities, each built on first use -------------------------------------------

    @cached_property
    def aliases(self) -> Aliases:
        """The alias table: the shipped one, extended by the user's (the `aliases` setting)."""
        return _configured_aliases(self.settings["aliases"], config_path())

    @cached_property
    def similar_papers(self) -> Similar:
        from papersift.search.similar import Similar

        return Similar(self.store, self.indexes, self.catalog)

    @cached_property
    def feeds(self) -> Feeds:
        from papersift.feeds.daily import Feeds

        return Feeds(self.store)

    @cached_property
    def votes(self) -> Votes:
        from papersift.members.votes import Votes

        return Votes(self.store, self.catalog)

    @cached_property
    def member_collections(self) -> Collections:
        from papersift.members.collections import Collections

        return Collections(self.store, self.catalog, self.ingester)

    @cached_property
    def recommender(self) -> Recommender:
        from papersift.members.for_you import Recommender

        return Recommender(self.store, self.indexes, self.member_collections)

    @cached_property
    def member_subscriptions(self) -> Subscriptions:
        from papersift.members.subscriptions import Subscriptions

        return Subscriptions(
            self.store, self.indexes, self.searcher, self.similar_papers, self.member_collections
        )

    @cached_property
    def tokens(self) -> Tokens:
        from papersift.members.tokens import Tokens

        return Tokens(self.store)

    @cached_property
    def digest_sender(self) -> DigestSender:
        from papersift.members.digest_run import DigestSender

        return DigestSender(
            self.store,
            self.member_subscriptions,
            self.tokens,
            base_url=self.settings["base_url"],
            mail_from=self.settings["mail_from"],
        )

    @cached_property
    def curation(self) -> Curation:
        """The day's lists people curate, comments, public collections, authorship claims."""
        from papersift.members.curation import Curation

        return Curation(
            self.store, self.catalog, self.accounts, self.ingester, self.member_collections, self.settings
        )

    # -- ingest and indexes --------------------------------------------------------------------

    def ingest(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        strict: bool = False,
        format: str | None = None,
        on_progress: ProgressCallback | None = None,
        stdin: BinaryIO | None = None,
        embed: bool = True,
        on_embed: EmbedProgress | None = None,
        engine: Engine = "local",
        ray_address: str | None = None,
    ) -> IngestReport:
        """Import files, folders, glob patterns or "-" (stdin): `Ingester.ingest`."""
        return self.ingester.ingest(
            paths,
            strict=strict,
            format=format,
            on_progress=on_progress,
            stdin=stdin,
            embed=embed,
            on_embed=on_embed,
            engine=engine,
            ray_address=ray_address,
        )

    def ingest_records(
        self,
        records: Iterable[Paper | BadRecord],
        *,
        report: IngestReport | None = None,
        strict: bool = False,
        on_progress: ProgressCallback | None = None,
        origin: str = "",
        accept: Callable[[Paper], bool] | None = None,
    ) -> IngestReport:
        return self.ingester.ingest_records(
            records, report=report, strict=strict, on_progress=on_progress, origin=origin, accept=accept
        )

    def refresh_index(
        self,
        on_progress: ProgressCallback | None = None,
        *,
        embed: bool = True,
        on_embed: EmbedProgress | None = None,
        report: IngestReport | None = None,
        engine: Engine = "local",
        ray_address: str | None = None,
    ) -> int:
        return self.ingester.refresh_index(
            on_progress, embed=embed, on_embed=on_embed, report=report, engine=engine, ray_address=ray_address
        )

    def refresh_extraction(self, on_progress: ProgressCallback | None = None) -> int:
        return self.ingester.refresh_extraction(on_progress)

    def load_indexes(self) -> None:
        """Catch the indexes up with the store and load them, embedding nothing (a server does
        this before its workers start); an older library's papers are read for findings first."""
        self.ingester.refresh_extraction()
        self.indexes.load()

    def drop_index(self, *, embeddings: bool = False) -> None:
        self.indexes.drop(embeddings=embeddings)

    def sync_arxiv(
        self,
        category: str,
        *,
        since: date | None = None,
        until: date | None = None,
        method: Literal["oai", "api"] = "oai",
        base_url: str | None = None,
        client: PoliteClient | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> IngestReport:
        from papersift.ingest.sync import sync_arxiv

        return sync_arxiv(
            self.ingester,
            category,
            since=since,
            until=until,
            method=method,
            base_url=base_url,
            client=client,
            on_progress=on_progress,
        )

    def import_paperswithcode(self, paths: Iterable[str | os.PathLike[str]]) -> CuratedImport:
        from papersift.ingest.paperswithcode import import_paperswithcode

        return import_paperswithcode(self.ingester, paths)

    def copy_to(
        self, location: str, *, on_progress: CopyProgress | None = None, batch: int | None = None
    ) -> list[TableCheck]:
        """Copy everything in this library into the library at `location` (resumable); each
        table's comparison of row counts and checksums, source against copy."""
        from papersift.store.copy import BATCH, copy_store

        with Library.open(location, embedding_model=NO_EMBEDDINGS) as target:
            return copy_store(self.store, target.store, batch=batch or BATCH, on_progress=on_progress)

    # -- papers, search, similar ---------------------------------------------------------------

    def search(
        self,
        text: str = "",
        mode: SearchMode = "hybrid",
        limit: int = 10,
        offset: int = 0,
        *,
        author: str | None = None,
        category: str | None = None,
        year: int | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        has_code: bool = False,
        snippets: bool = True,
    ) -> SearchResults:
        """Papers matching a query, best first (`Searcher.search`: modes, filters, snippets)."""
        return self.searcher.search(
            text,
            mode,
            limit,
            offset,
            author=author,
            category=category,
            year=year,
            date_from=date_from,
            date_to=date_to,
            has_code=has_code,
            snippets=snippets,
        )

    def similar(self, paper_id: str, limit: int = 10, *, within: Iterable[str] | None = None) -> list[Hit]:
        return self.similar_papers.more_like([paper_id], limit, within=within)

    def more_like(
        self, paper_ids: Iterable[str], limit: int = 10, *, within: Iterable[str] | None = None
    ) -> list[Hit]:
        return self.similar_papers.more_like(paper_ids, limit, within=within)

    def paper(self, paper_id: str) -> Paper:
        return self.catalog.paper(paper_id)

    def papers(self) -> Iterator[Paper]:
        return self.catalog.papers()

    def stats(self) -> dict[str, Any]:
        stats = self.store.stats()
        stats["embedding_model"], stats["embedded"] = self.indexes.coverage()
        return stats

    def export(self, format_name: str = "jsonl") -> Iterator[str]:
        """Every paper as export text (`jsonl` or `bibtex`), chunk by chunk."""
        from papersift.sources.exports import export_lines

        return export_lines(self.papers(), format_name)

    # -- feeds, votes, leaderboards ------------------------------------------------------------

    def latest_day(self) -> date | None:
        return self.feeds.latest_day()

    def daily(
        self,
        day: date | None = None,
        *,
        period: Period = "day",
        sort: FeedSort = "trending",
        limit: int = 50,
        offset: int = 0,
        has_code: bool = False,
    ) -> FeedPage:
        return self.feeds.daily(day, period=period, sort=sort, limit=limit, offset=offset, has_code=has_code)

    def trending(self, limit: int = 50, offset: int = 0, *, today: date | None = None) -> list[FeedItem]:
        return self.feeds.trending(limit, offset, today=today)

    def upvote(self, user: User, paper_id: str, *, voted: bool = True) -> int:
        return self.votes.upvote(user, paper_id, voted=voted)

    def upvote_counts(self, paper_ids: Iterable[str]) -> dict[str, int]:
        return self.votes.upvote_counts(paper_ids)

    def upvoted_by(self, user: User, paper_ids: Iterable[str]) -> set[str]:
        return self.votes.upvoted_by(user, paper_ids)

    def leaderboards(self) -> list[boards.BoardSummary]:
        from papersift import leaderboards as boards

        return boards.summaries(self.store, self.aliases)

    def leaderboard(self, dataset: str, metric: str | None = None, *, limit: int = 100) -> boards.Leaderboard:
        from papersift import leaderboards as boards

        return boards.assemble(self.store, self.aliases, dataset, metric, limit=limit)

    # -- a member's library, recommendations ---------------------------------------------------

    def save_papers(
        self,
        user: User,
        paper_ids: Iterable[str],
        collection: str = DEFAULT_COLLECTION,
        *,
        note: str | None = None,
    ) -> int:
        return self.member_collections.save_papers(user, paper_ids, collection, note=note)

    def unsave_paper(self, user: User, paper_id: str, collection: str) -> bool:
        return self.member_collections.unsave_paper(user, paper_id, collection)

    def collections(self, user: User) -> list[Collection]:
        return self.member_collections.collections(user)

    def collection(self, user: User, name: str) -> list[SavedPaper]:
        return self.member_collections.collection(user, name)

    def delete_collection(self, user: User, name: str) -> None:
        self.member_collections.delete_collection(user, name)

    def saved_in_collections(self, user: User, paper_ids: Iterable[str]) -> dict[str, list[str]]:
        return self.member_collections.saved_in_collections(user, paper_ids)

    def import_collection(
        self, user: User, name: str, data: bytes, *, origin: str = "<import>"
    ) -> CollectionImport:
        return self.member_collections.import_collection(user, name, data, origin=origin)

    def export_collection(self, user: User, name: str, format_name: str = "bibtex") -> Iterator[str]:
        return self.member_collections.export_collection(user, name, format_name)

    def recommendations(
        self,
        user: User,
        *,
        limit: int = 50,
        days: int = RECOMMENDATION_DAYS,
        collection: str | None = None,
        today: date | None = None,
    ) -> list[Recommendation]:
        return self.recommender.recommendations(
            user, limit=limit, days=days, collection=collection, today=today
        )

    # -- subscriptions and digests -------------------------------------------------------------

    def subscribe(
        self,
        user: User,
        kind: SubscriptionKind,
        value: str = "",
        *,
        mode: SearchMode = "hybrid",
        frequency: Frequency = "daily",
        max_papers: int = DEFAULT_MAX_PAPERS,
    ) -> Subscription:
        return self.member_subscriptions.subscribe(
            user, kind, value, mode=mode, frequency=frequency, max_papers=max_papers
        )

    def unsubscribe(
        self, user: User, subscription_id: int | None = None, *, frequency: Frequency | None = None
    ) -> int:
        return self.member_subscriptions.unsubscribe(user, subscription_id, frequency=frequency)

    def subscriptions(self, user: User) -> list[Subscription]:
        return self.member_subscriptions.subscriptions(user)

    def digest(self, user: User, day: date | None = None, frequency: Frequency = "daily") -> Digest:
        return self.member_subscriptions.digest(user, day, frequency)

    def send_digests(
        self,
        send: Callable[[EmailMessage], None],
        *,
        day: date | None = None,
        base_url: str | None = None,
        mail_from: str | None = None,
        dry_run: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> DigestRun:
        """Send each subscriber their digest for `day`, at most once per period (`members.digest_run`)."""
        return self.digest_sender.send_digests(
            send, day=day, base_url=base_url, mail_from=mail_from, dry_run=dry_run, on_progress=on_progress
        )

    def unsubscribe_token(self, user: User, frequency: Frequency) -> str:
        return self.tokens.unsubscribe_token(user, frequency)

    def check_unsubscribe_token(self, token: str) -> tuple[User, Frequency]:
        return self.tokens.check_unsubscribe_token(token)

    def unsubscribe_by_token(self, token: str) -> tuple[str, Frequency]:
        """Stop the digests a token names (again: nothing more); (the member's e-mail, frequency)."""
        user, frequency = self.tokens.check_unsubscribe_token(token)
        self.unsubscribe(user, frequency=frequency)
        return user.email, frequency

    def recommendations_token(self, user: User) -> str:
        return self.tokens.recommendations_token(user)

    def user_of_recommendations_token(self, token: str) -> User:
        return self.tokens.user_of_recommendations_token(token)


def _precision(value: str) -> Precision:
    if value not in ("fp32", "int8"):
        raise PapersiftError(f"embedding precision must be fp32 or int8, not {value!r}")
    return "int8" if value == "int8" else "fp32"


def configured_aliases() -> Aliases:
    """The alias table of this process's settings, for work without a library (`papersift extract`)."""
    return _configured_aliases(Settings.read()["aliases"], config_path())
