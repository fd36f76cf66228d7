"""The `Library`: the whole engine as one Python API; the CLI and the web app are faces of it.

    lib = Library.open("papers.db")          # creates the file if missing
    report = lib.ingest(["refs.bib", "arxiv/"])
    for hit in lib.search("graph neural networks author:kipf", limit=5):
        print(hit.id, hit.score, hit.paper.title)

    for hit in lib.similar("2406.12345", limit=5):
        print(hit.score, hit.paper.title)

The front door holds no algorithm: it opens the store, reads the settings once, wires the
capabilities (`ingest/`, `search/`, `feeds/`, `members/`, `leaderboards`; docs/architecture.md)
and hands each call to the one that owns it, most through `_Via` (same signature and docstring).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, Generic, Literal, ParamSpec, TypeVar, overload

from papersift.catalog import Catalog
from papersift.extract.aliases import Aliases
from papersift.extract.aliases import configured_aliases as _configured_aliases
from papersift.feeds.daily import Feeds
from papersift.ingest.pipeline import EXTRACTION_VERSION, INGEST_BATCH, Ingester
from papersift.leaderboards import Leaderboards
from papersift.members.accounts import Accounts
from papersift.members.cards import Cards
from papersift.members.collections import Collections
from papersift.members.digest_run import DigestSender
from papersift.members.for_you import Recommender
from papersift.members.subscriptions import Subscriptions
from papersift.members.tokens import Tokens
from papersift.members.votes import Votes
from papersift.records import (
    CuratedImport,
    FeedKind,
    Frequency,
    Hit,
    IngestReport,
    Paper,
)
from papersift.search.engine import SEARCH_MODES, Searcher, SearchMode, SearchResults
from papersift.search.indexes import NO_EMBEDDINGS, Engine, Indexes, ProgressCallback
from papersift.search.similar import Similar
from papersift.settings import Settings, cache_directory, config_path, embedding_precision_of
from papersift.store import Store, is_postgres_url, open_store

if TYPE_CHECKING:
    from datetime import date

    from papersift.embed import Precision
    from papersift.ingest.harvest import PoliteClient
    from papersift.members.curation import Curation
    from papersift.members.mail import SmtpSender
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
    "export_formats",
    "extract_from_text",
    "has_words",
    "input_formats",
    "paper_json",
]

P = ParamSpec("P")
R = TypeVar("R")


class _Via(Generic[P, R]):
    """A Library method that is a capability's method: `search = _Via("searcher", Searcher.search)`
    makes `library.search(...)` call `library.searcher.search(...)`, typed as that method."""

    def __init__(self, component: str, method: Callable[Concatenate[Any, P], R]) -> None:
        self.component, self.name, self.__doc__ = component, method.__name__, method.__doc__

    @overload
    def __get__(self, library: None, owner: type) -> _Via[P, R]: ...
    @overload
    def __get__(self, library: object, owner: type) -> Callable[P, R]: ...
    def __get__(self, library: object | None, owner: type) -> _Via[P, R] | Callable[P, R]:
        if library is None:
            return self
        method: Callable[P, R] = getattr(getattr(library, self.component), self.name)
        return method


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
        embed_window: int = 512,
        settings: Settings | None = None,
    ) -> None:
        self.store = store
        self.index_dir = index_dir
        self.settings = settings or Settings.read()
        self.embedding_model = embedding_model or self.settings["embedding_model"]
        self.embedding_precision = embedding_precision or embedding_precision_of(self.settings)
        # The capabilities, wired once; each loads what it holds (an index, a model) when first asked.
        self.catalog = Catalog(store)
        self.accounts = Accounts(store)
        self.indexes = Indexes(
            store, index_dir, self.embedding_model, self.embedding_precision, embed_window=embed_window
        )
        self.ingester = Ingester(
            store,
            self.indexes,
            lambda: self.aliases,
            batch=ingest_batch,
            findings_worker_after=findings_worker_after,
        )
        self.searcher = Searcher(store, self.indexes)
        self.similar_papers = Similar(store, self.indexes, self.catalog)
        self.feeds = Feeds(store)
        self.votes = Votes(store, self.catalog)
        self.member_collections = Collections(store, self.catalog, self.ingester)
        self.recommender = Recommender(store, self.indexes, self.member_collections)
        self.member_subscriptions = Subscriptions(
            store, self.indexes, self.searcher, self.similar_papers, self.member_collections
        )
        self.tokens = Tokens(store)
        self.digest_sender = DigestSender(
            store,
            self.member_subscriptions,
            self.tokens,
            base_url=self.settings["base_url"],
            mail_from=self.settings["mail_from"],
        )
        self.boards = Leaderboards(store, lambda: self.aliases)
        self.page_cards = Cards(store, self.catalog, lambda: self.feeds, lambda: self.curation)

    @classmethod
    def open(
        cls,
        location: str | os.PathLike[str] | None = None,
        *,
        embedding_model: str | None = None,
        embedding_precision: Precision | None = None,
        ingest_batch: int = INGEST_BATCH,
        findings_worker_after: int | None = None,
        embed_window: int = 512,
    ) -> Library:
        """Open the library at a path or a `postgresql://` URL (created if missing); None means the
        user's default (`PAPERSIFT_DB`). The settings are read here, once (`papersift.settings`).

        `ingest_batch`: papers merged and committed per transaction; `findings_worker_after`:
        batches an import reads before code and results are found in a worker process beside it;
        `embed_window`: papers embedded per committed window (a kill loses at most one)."""
        settings = Settings.read()
        where = os.fspath(location) if location is not None else settings["db"]
        store = open_store(where)
        if is_postgres_url(where):
            import uuid

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
            embed_window=embed_window,
            settings=settings,
        )

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @cached_property
    def aliases(self) -> Aliases:
        """The alias table: the shipped one, extended by the user's (the `aliases` setting)."""
        return _configured_aliases(self.settings["aliases"], config_path())

    @cached_property
    def curation(self) -> Curation:
        """The day's lists people curate, comments, public collections, authorship claims (built
        on first use: it checks the curation settings)."""
        from papersift.members.curation import Curation

        return Curation(
            self.store, self.catalog, self.accounts, self.ingester, self.member_collections, self.settings
        )

    # -- ingest and indexes --------------------------------------------------------------------

    ingest = _Via("ingester", Ingester.ingest)
    ingest_records = _Via("ingester", Ingester.ingest_records)
    refresh_index = _Via("ingester", Ingester.refresh_index)
    refresh_extraction = _Via("ingester", Ingester.refresh_extraction)

    def load_indexes(self) -> None:
        """Catch the indexes up with the store and load them, embedding nothing (a server does
        this before its workers start); an older library's papers are read for findings first."""
        self.ingester.refresh_extraction()
        self.indexes.load()

    drop_index = _Via("indexes", Indexes.drop)

    def sync_arxiv(
        self,
        category: str,
        *,
        since: date | None = None,
        until: date | None = None,
        method: Literal["oai", "api"] = "oai",
        base_url: str | None = None,
        client: PoliteClient | None = None,
        delay: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Fetch a category's new papers from arXiv and import them, resumably (`ingest.sync`)."""
        from papersift.ingest.sync import sync_arxiv

        contact = self.settings["contact"]
        return sync_arxiv(
            self.ingester,
            category,
            since=since,
            until=until,
            method=method,
            base_url=base_url,
            client=client,
            delay=delay,
            contact=contact,
            on_progress=on_progress,
        )

    def import_paperswithcode(self, paths: Iterable[str | os.PathLike[str]]) -> CuratedImport:
        """Import Papers with Code's archive (`ingest.paperswithcode`)."""
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

    search = _Via("searcher", Searcher.search)
    more_like = _Via("similar_papers", Similar.more_like)
    paper = _Via("catalog", Catalog.paper)
    papers = _Via("catalog", Catalog.papers)

    def similar(self, paper_id: str, limit: int = 10, *, within: Iterable[str] | None = None) -> list[Hit]:
        """The papers nearest in meaning to one paper, without itself and its duplicates."""
        return self.similar_papers.more_like([paper_id], limit, within=within)

    def stats(self) -> dict[str, Any]:
        stats = self.store.stats()
        stats["embedding_model"], stats["embedded"] = self.indexes.coverage()
        return stats

    def export(self, format_name: str = "jsonl", papers: Iterable[Paper] | None = None) -> Iterator[str]:
        """Every paper (or these) as export text (`jsonl` or `bibtex`), chunk by chunk."""
        from papersift.sources.exports import export_lines

        return export_lines(self.papers() if papers is None else papers, format_name)

    def syndicate(self, papers: list[Paper], kind: FeedKind, **feed: Any) -> tuple[bytes, str]:
        """Papers as an RSS, Atom or JSON feed document and its media type (`sources.syndication`)."""
        from papersift.sources.syndication import render

        return render(papers, kind=kind, **feed)

    # -- feeds, votes, leaderboards, pages -----------------------------------------------------

    latest_day = _Via("feeds", Feeds.latest_day)
    daily = _Via("feeds", Feeds.daily)
    trending = _Via("feeds", Feeds.trending)
    upvote = _Via("votes", Votes.upvote)
    upvote_counts = _Via("votes", Votes.upvote_counts)
    upvoted_by = _Via("votes", Votes.upvoted_by)
    cards = _Via("page_cards", Cards.cards)
    front_page = _Via("page_cards", Cards.front_page)

    leaderboards = _Via("boards", Leaderboards.leaderboards)
    find_leaderboards = _Via("boards", Leaderboards.find_leaderboards)
    leaderboard = _Via("boards", Leaderboards.leaderboard)

    # -- a member's library, recommendations, subscriptions, digests ---------------------------

    save_papers = _Via("member_collections", Collections.save_papers)
    unsave_paper = _Via("member_collections", Collections.unsave_paper)
    collections = _Via("member_collections", Collections.collections)
    collection = _Via("member_collections", Collections.collection)
    delete_collection = _Via("member_collections", Collections.delete_collection)
    saved_in_collections = _Via("member_collections", Collections.saved_in_collections)
    import_collection = _Via("member_collections", Collections.import_collection)
    export_collection = _Via("member_collections", Collections.export_collection)
    recommendations = _Via("recommender", Recommender.recommendations)
    subscribe = _Via("member_subscriptions", Subscriptions.subscribe)
    unsubscribe = _Via("member_subscriptions", Subscriptions.unsubscribe)
    subscriptions = _Via("member_subscriptions", Subscriptions.subscriptions)
    digest = _Via("member_subscriptions", Subscriptions.digest)
    send_digests = _Via("digest_sender", DigestSender.send_digests)
    unsubscribe_token = _Via("tokens", Tokens.unsubscribe_token)
    check_unsubscribe_token = _Via("tokens", Tokens.check_unsubscribe_token)
    recommendations_token = _Via("tokens", Tokens.recommendations_token)
    user_of_recommendations_token = _Via("tokens", Tokens.user_of_recommendations_token)

    def unsubscribe_by_token(self, token: str) -> tuple[str, Frequency]:
        """Stop the digests a token names (again: nothing more); (the member's e-mail, frequency)."""
        user, frequency = self.tokens.check_unsubscribe_token(token)
        self.unsubscribe(user, frequency=frequency)
        return user.email, frequency

    def mail_sender(self) -> SmtpSender:
        """An SMTP connection from this library's settings: `with library.mail_sender() as send:`."""
        from papersift.members.mail import SmtpSender, SmtpSettings

        return SmtpSender(SmtpSettings.from_settings(self.settings))


# -- what the faces use without a library ----------------------------------------------------


def configured_aliases() -> Aliases:
    """The alias table of this process's settings, for work without a library (`papersift extract`)."""
    return _configured_aliases(Settings.read()["aliases"], config_path())


def has_words(text: str) -> bool:
    """Whether a name or query holds a word search can match (an author filter of none lists all)."""
    from papersift.search.tokens import words

    return bool(words(text))


def paper_json(paper: Paper) -> dict[str, Any]:
    """A paper in papersift's JSON (the export's line, the CLI's --json)."""
    from papersift.sources.exports import paper_to_json

    return paper_to_json(paper)


def input_formats() -> tuple[str, ...]:
    from papersift.sources import FORMATS

    return tuple(FORMATS)


def export_formats() -> tuple[str, ...]:
    from papersift.sources.exports import FORMATS

    return tuple(FORMATS)


def extract_from_text(
    key: str, title: str, abstract: str, comment: str | None, aliases: Aliases
) -> dict[str, Any]:
    """What `papersift extract` prints for one text: its code links and reported results."""
    from papersift.extract import extract, extraction_json

    return extraction_json(key, extract(title, abstract, comment, aliases))
