"""The `Library`: the whole engine as one Python API; the CLI and the web app are faces of it.

    lib = Library.open("papers.db")          # creates the file if missing
    report = lib.ingest(["refs.bib", "arxiv/"])
    for hit in lib.search("graph neural networks author:kipf", limit=5):
        print(hit.id, hit.score, hit.paper.title)

    for hit in lib.similar("2406.12345", limit=5):
        print(hit.score, hit.paper.title)

The store (SQL) holds the truth, papers' embeddings included; the keyword and vector indexes
beside it are caches brought up to date from the store's change sequences whenever stale.
Search is hybrid by default (keyword and semantic rankings fused, see `search/fusion.py`); when
the embedding model is not installed it is keyword search, and says so in `SearchResults.mode`.
"""

from __future__ import annotations

import glob
import io
import json
import os
import re
import secrets
import socket
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, BinaryIO, Literal

import numpy as np
from itsdangerous import BadSignature, URLSafeSerializer
from scipy import sparse

from papersift import leaderboards as boards
from papersift import recommend, sources
from papersift.accounts import Accounts, User, user_from_row
from papersift.curation import Curation
from papersift.digests import (
    DEFAULT_MAX_PAPERS,
    FOLLOWED_MAX_PAPERS,
    FREQUENCIES,
    MAX_PAPERS,
    SUBSCRIPTION_KINDS,
    Digest,
    Frequency,
    Subscription,
    SubscriptionKind,
    build_message,
    merge_rankings,
    period_name,
    window,
)
from papersift.embed import ModelUnavailable, Precision
from papersift.errors import (
    CollectionError,
    PaperNotFound,
    PapersiftError,
    SubscriptionError,
    UnreadableInput,
)
from papersift.exports import export_lines, paper_to_json
from papersift.extract import Aliases
from papersift.extract.code_links import normalise_repository
from papersift.feeds import Period, period_span, trending_score
from papersift.findings import Findings, FindingsPipeline, PendingFindings, find, texts_of, with_findings
from papersift.harvest import API_BASE_URL, OAI_BASE_URL, PoliteClient, harvest_api, harvest_oai
from papersift.ids import parse_arxiv_id, title_key
from papersift.merge import may_be_same, merge
from papersift.records import BadRecord, CuratedLink, CuratedResult, Hit, IngestReport, Paper
from papersift.search.fusion import FUSION, fuse
from papersift.search.keyword import IndexedPaper, KeywordIndex
from papersift.search.query import Query, parse_query
from papersift.search.semantic import EmbedProgress, SemanticIndex
from papersift.search.snippets import contains_phrase, make_snippet
from papersift.search.tokens import STOP_WORDS, stem, term_counts, words
from papersift.settings import cache_directory, config_path, default_library_location, setting
from papersift.store import Store, is_postgres_url, open_store
from papersift.store.copy import BATCH as COPY_BATCH
from papersift.store.copy import CopyProgress, TableCheck, copy_store

INGEST_BATCH = 2000
# Raise when `papersift.extract` finds more or other things: the library re-reads every paper's
# code links and results once (`refresh_extraction`), without an import.
EXTRACTION_VERSION = "3"
Engine = Literal["local", "ray"]
SearchMode = Literal["hybrid", "semantic", "keyword"]
SEARCH_MODES: tuple[SearchMode, ...] = ("hybrid", "semantic", "keyword")
ProgressCallback = Callable[[str, int], None]  # (origin, records read so far in it)
# The embedding model setting that switches semantic search off (keyword search only, no embedding).
NO_EMBEDDINGS = "none"
# Similar papers: a neighbour this close is the same text (a duplicate record), not a related paper.
DUPLICATE_COSINE = 0.995
# ... and with the same title, this close (distinct papers with one generic title measured 0.61-0.83).
SAME_TITLE_DUPLICATE_COSINE = 0.9


class SearchResults(list[Hit]):
    """Hits of one page, with the number of matches (`total`), the parsed query and the mode used.

    In semantic and hybrid search every paper is a match to some degree: `total` counts the
    ranked candidates (at least `FUSION.depth`), which is how far pages go.
    """

    def __init__(
        self, hits: Iterable[Hit], *, total: int, query: Query, offset: int, mode: SearchMode = "keyword"
    ) -> None:
        super().__init__(hits)
        self.total = total
        self.query = query
        self.offset = offset
        self.mode = mode


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
    sort: Literal["trending", "date"]
    total: int
    previous_day: date | None  # the nearest days with papers before and after the period, if any
    next_day: date | None


DEFAULT_COLLECTION = "Saved"  # where a paper goes when no collection is named
MAX_COLLECTION_NAME = 100
MAX_NOTE = 10_000


RECOMMENDATION_DAYS = 7  # "For you" ranks the papers of the last week
TERM_COUNTS_CACHED = 50_000  # papers whose terms a Library keeps (~200 MB at most)
MAX_DIGEST_PAPERS = 50  # the most one digest lists, whatever the subscriptions ask for
# How close in meaning (cosine of all-MiniLM-L6-v2 embeddings) a paper must be to a search for a
# digest to send it for that search. bench/bench_match_threshold.py on SciFact train: at 0.5, 70% of
# (claim, relevant abstract) pairs pass and 0.18% of random ones (3.6 a day of 2,000 papers); at
# 0.4, 87% and 0.83% (17 a day): an inbox wants the first. Collections use it too (unmeasured:
# two abstracts of one topic are usually closer than a query and its answer).
MATCH_COSINE = 0.5


@dataclass
class DigestRun:
    """What `send_digests` did: digests sent, sent again after an interrupted run, found already
    sent for the period, left unsent because they would be empty; with a dry run, the digests."""

    sent: int = 0
    resent: int = 0
    already: int = 0
    empty: int = 0
    would_send: list[Digest] = field(default_factory=list)


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


@dataclass
class _Entry:
    """A paper being merged within one ingest batch."""

    pk: int | None
    paper: Paper
    old_ids: set[str]
    dirty: bool


class Library:
    """papersift's engine. Open with `Library.open(path)`; close (or use `with`) when done."""

    def __init__(
        self,
        store: Store,
        index_dir: Path,
        *,
        embedding_model: str | None = None,
        embedding_precision: Precision | None = None,
    ) -> None:
        self.store = store
        self.index_dir = index_dir
        self.embedding_model = embedding_model or setting("embedding_model")
        self.embedding_precision: Precision = embedding_precision or _precision(
            setting("embedding_precision")
        )
        self._keyword: KeywordIndex | None = None
        self._semantic: SemanticIndex | None = None
        self._semantic_unavailable: ModelUnavailable | None = None
        # Terms and pairs of papers' texts, for recommendations: a week's papers are tokenised
        # once per process, not for every member (400 ms of a 590 ms "For you" page at 75k).
        self._term_counts: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # pk -> term ids, counts
        self._term_ids: dict[str, int] = {}
        self._term_names: list[str] = []
        self._term_counts_sequence = -1
        self.accounts = Accounts(store)
        self._aliases: Aliases | None = None
        self._curation: Curation | None = None

    @classmethod
    def open(
        cls,
        location: str | os.PathLike[str] | None = None,
        *,
        embedding_model: str | None = None,
        embedding_precision: Precision | None = None,
    ) -> Library:
        """Open the library at a path or a `postgresql://` URL (created if missing); None means the
        user's default (`PAPERSIFT_DB`).

        The embedding model and precision default to the settings (`PAPERSIFT_EMBEDDING_MODEL`, ...).
        """
        where = os.fspath(location) if location is not None else default_library_location()
        store = open_store(where)
        if is_postgres_url(where):
            # The index caches of a shared database live on each machine, named by the library.
            library_id = store.secret("library-id", lambda: uuid.uuid4().hex)
            index_dir = cache_directory() / "libraries" / library_id
        else:
            path = Path(where)
            index_dir = path.with_name(path.name + "-index")
        return cls(store, index_dir, embedding_model=embedding_model, embedding_precision=embedding_precision)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- ingest ----------------------------------------------------------------------------

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
        """Import files, folders, glob patterns or "-" (stdin); see `IngestReport` for counts.

        Then the indexes are brought up to date, new papers embedded included (unless `embed` is
        False; `refresh_index` does it later). With `engine="ray"` the embedding runs on Ray (a
        local Ray, or the cluster at `ray_address`; `papersift.distributed`).

        Bad records are reported and skipped; with `strict`, a file with any bad record is
        rejected whole and nothing of it is written. Whole-file failures (unreadable, malformed)
        are reported in `failed_files`; the records read before the failure are kept unless
        `strict`.
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        report = IngestReport()
        for path in expand_paths(paths, report):
            origin = "<stdin>" if path == "-" else str(path)
            report.files += 1
            try:
                stream: BinaryIO = stdin if (path == "-" and stdin is not None) else sources.open_input(path)
            except OSError as error:
                report.failed_files.append(BadRecord(origin, f"cannot open: {error.strerror or error}"))
                continue
            try:
                records = sources.read_stream(stream, origin, format)
                self.ingest_records(
                    records, report=report, strict=strict, on_progress=on_progress, origin=origin
                )
            except UnreadableInput as error:
                report.failed_files.append(BadRecord(origin, error.reason.removeprefix(f"{origin}: ")))
            finally:
                if stream is not stdin:
                    stream.close()
        self.refresh_index(
            on_progress, embed=embed, on_embed=on_embed, report=report, engine=engine, ray_address=ray_address
        )
        return report

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
        """Import records already read; commits every batch (all at once when `strict`)."""
        report = report or IngestReport()
        if self.store.meta("extraction_version") is None and not self.store.count_papers():
            # A new library: every paper will be extracted as it comes in, none needs it again.
            self.store.set_meta("extraction_version", self._extraction_version())
        rejected_before = len(report.rejected)
        if strict:
            counts_before = (report.read, report.added, report.updated, report.unchanged)
            try:
                with self.store.transaction():
                    self._ingest_batches(records, report, on_progress, origin, accept)
                    if len(report.rejected) > rejected_before:
                        raise _StrictRejection
            except (_StrictRejection, UnreadableInput) as error:
                report.read, report.added, report.updated, report.unchanged = counts_before
                if isinstance(error, UnreadableInput):
                    raise
            return report
        self._ingest_batches(records, report, on_progress, origin, accept)
        return report

    def _ingest_batches(
        self,
        records: Iterable[Paper | BadRecord],
        report: IngestReport,
        on_progress: ProgressCallback | None,
        origin: str,
        accept: Callable[[Paper], bool] | None,
    ) -> None:
        batch: list[Paper] = []
        seen = 0
        # Each batch's code links and results are found (on the other core, for a big import)
        # while the batch before it is merged and written.
        pipeline = FindingsPipeline(self.aliases)
        waiting: tuple[list[Paper], PendingFindings] | None = None

        def write_waiting_then_hold(next_batch: list[Paper]) -> None:
            nonlocal waiting
            if waiting is not None:
                self._write_batch(waiting[0], pipeline.take(*waiting), report)
            waiting = (next_batch, pipeline.submit(next_batch)) if next_batch else None

        try:
            for record in records:
                seen += 1
                if isinstance(record, BadRecord):
                    report.rejected.append(record)
                    continue
                if accept is not None and not accept(record):
                    continue
                report.read += 1
                batch.append(record)
                if len(batch) >= INGEST_BATCH:
                    write_waiting_then_hold(batch)
                    batch = []
                    if on_progress:
                        on_progress(origin, seen)
        finally:
            # Records read before an unreadable part of the input are kept (unless strict,
            # where the enclosing transaction rolls them back).
            try:
                if batch:
                    write_waiting_then_hold(batch)
                write_waiting_then_hold([])
            finally:
                pipeline.close()
            if on_progress:
                on_progress(origin, seen)

    def _write_batch(self, batch: list[Paper], found: list[Findings], report: IngestReport) -> None:
        with self.store.transaction():
            stored = self.store.find_candidates(
                ids=[p.id for p in batch],
                arxiv_ids=[p.arxiv_id for p in batch if p.arxiv_id],
                dois=[p.doi for p in batch if p.doi],
                title_keys=[title_key(p.title) for p in batch],
            )
            keyed: dict[tuple[str, str], _Entry] = {}
            entries: list[_Entry] = []

            def remember(entry: _Entry) -> None:
                paper = entry.paper
                keyed[("id", paper.id)] = entry
                for alias in entry.old_ids:
                    keyed[("id", alias)] = entry
                if paper.arxiv_id:
                    keyed[("arxiv", paper.arxiv_id)] = entry
                if paper.doi:
                    keyed[("doi", paper.doi)] = entry
                keyed.setdefault(("title", title_key(paper.title)), entry)

            for item in stored:
                stored_entry = _Entry(item.pk, item.paper, set(item.aliases), dirty=False)
                entries.append(stored_entry)
                remember(stored_entry)
            for paper, findings in zip(batch, found, strict=True):
                paper = with_findings(paper, findings)
                entry = self._match(keyed, paper)
                if entry is None:
                    entry = _Entry(None, paper, set(), dirty=True)
                    entries.append(entry)
                    report.added += 1
                else:
                    merged = merge(entry.paper, paper)
                    # Findings follow the merged text: the new record's when it is the same text.
                    same_text = texts_of(merged) == texts_of(paper)
                    merged = with_findings(
                        merged, findings if same_text else find(texts_of(merged), self.aliases)
                    )
                    if merged == entry.paper:
                        report.unchanged += 1
                        continue
                    if merged.id != entry.paper.id:
                        entry.old_ids.add(entry.paper.id)
                    if entry.pk is not None and not entry.dirty:
                        report.updated += 1
                    else:
                        report.unchanged += 1  # merged into a paper new in this batch
                    entry.paper, entry.dirty = merged, True
                remember(entry)
            self.store.save_papers([(e.pk, e.paper, e.old_ids) for e in entries if e.dirty])

    @staticmethod
    def _match(keyed: dict[tuple[str, str], _Entry], paper: Paper) -> _Entry | None:
        for key in (("id", paper.id), ("arxiv", paper.arxiv_id), ("doi", paper.doi)):
            if key[1] and key in keyed:
                return keyed[key]
        entry = keyed.get(("title", title_key(paper.title)))
        if entry is not None and may_be_same(entry.paper, paper):
            return entry
        return None

    # -- indexes ---------------------------------------------------------------------------

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
        """Bring the indexes up to date with the store; returns how many papers the keyword index took in.

        With `embed`, papers new or changed since the last run are embedded (resumably: each
        window is committed) and the vector index catches up. A missing embedding model is not
        an error here: it is noted in `report` and search stays keyword-only.
        """
        self.refresh_extraction(on_progress)
        changed = self._refresh_keyword_index(on_progress)
        if embed:
            semantic = self._semantic_index(required=False)
            if semantic is None:
                switched_off = self.embedding_model == NO_EMBEDDINGS
                if report is not None and self._semantic_unavailable is not None and not switched_off:
                    report.notes.append(f"not embedded: {self._semantic_unavailable.reason}")
            else:
                embedded = self._embed_pending(semantic, on_embed, engine, ray_address)
                semantic.catch_up()
                if report is not None:
                    report.embedded += embedded
        return changed

    @staticmethod
    def _embed_pending(
        semantic: SemanticIndex, on_embed: EmbedProgress | None, engine: Engine, ray_address: str | None
    ) -> int:
        if engine == "local":
            return semantic.embed_pending(on_embed)
        if engine != "ray":
            raise PapersiftError(f"unknown engine {engine!r}; choose local or ray")
        from papersift.distributed import RayEmbedding

        return semantic.embed_pending(
            on_embed,
            start_engine=lambda: RayEmbedding(semantic.model, semantic.precision, address=ray_address),
        )

    def load_indexes(self) -> None:
        """Catch the keyword and vector indexes up with the store, saving them, and load them;
        nothing is embedded and the model is not loaded. A server does this before its workers
        start, so that they find the files current instead of each rebuilding them. A library
        written by an older papersift has its papers read for code and results first, once."""
        self.refresh_extraction()
        self._keyword_index()
        semantic = self._semantic_index(required=False)
        if semantic is not None:
            semantic.catch_up()

    def copy_to(
        self, location: str, *, on_progress: CopyProgress | None = None, batch: int = COPY_BATCH
    ) -> list[TableCheck]:
        """Copy everything in this library (papers, vectors, members, digests, ...) into the library
        at `location` (a `postgresql://` URL, typically), resuming an interrupted copy; returns
        each table's comparison of row counts and checksums, source against copy."""
        with Library.open(location, embedding_model=NO_EMBEDDINGS) as target:
            return copy_store(self.store, target.store, batch=batch, on_progress=on_progress)

    def drop_index(self, *, embeddings: bool = False) -> None:
        """Delete the index files beside the database (the next refresh rebuilds them from the
        store); with `embeddings`, also forget the current model's embeddings."""
        if embeddings:
            semantic = self._semantic_index(required=True)
            assert semantic is not None
            self.store.delete_embeddings(semantic.key)
        for path in [*self.index_dir.glob("*.npz"), *self.index_dir.glob("*.usearch")]:
            path.unlink()
        self._keyword = None
        self._semantic = None

    def _refresh_keyword_index(self, on_progress: ProgressCallback | None = None) -> int:
        index = self._keyword_index(refresh=False)
        sequence = self.store.change_sequence()
        if index.covers_sequence >= sequence:
            return 0
        changed = 0

        def rows() -> Iterator[IndexedPaper]:
            nonlocal changed
            for row in self.store.iter_index_rows(changed_after=index.covers_sequence):
                changed += 1
                if on_progress and changed % 5000 == 0:
                    on_progress("index", changed)
                yield IndexedPaper(*row)

        index.add(rows())
        index.covers_sequence = sequence
        index.save(self._keyword_path)
        return changed

    @property
    def _keyword_path(self) -> Path:
        return self.index_dir / "keyword.npz"

    def _keyword_index(self, refresh: bool = True) -> KeywordIndex:
        if self._keyword is None:
            loaded = KeywordIndex.load(self._keyword_path)
            # A cache ahead of its store (the database was restored from an older backup) is
            # built again rather than trusted.
            if loaded is None or loaded.covers_sequence > self.store.change_sequence():
                loaded = KeywordIndex()
            self._keyword = loaded
        if refresh:
            self._refresh_keyword_index()
        return self._keyword

    def _semantic_index(self, *, required: bool) -> SemanticIndex | None:
        """The semantic index, or None (or ModelUnavailable when `required`) without the model."""
        if self._semantic is None and self._semantic_unavailable is None:
            if self.embedding_model == NO_EMBEDDINGS:
                self._semantic_unavailable = ModelUnavailable(
                    f"semantic search is switched off (embedding model {NO_EMBEDDINGS!r})"
                )
                if required:
                    raise self._semantic_unavailable
                return None
            try:
                self._semantic = SemanticIndex(
                    self.store, self.index_dir, self.embedding_model, self.embedding_precision
                )
            except ModelUnavailable as error:
                self._semantic_unavailable = error
        if self._semantic is None and required:
            assert self._semantic_unavailable is not None
            raise self._semantic_unavailable
        return self._semantic

    # -- search and lookup -----------------------------------------------------------------

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
        """Papers matching a query (see `papersift.search.query` for its syntax), best first.

        `mode`: "hybrid" (keyword and semantic rankings fused), "semantic" (by meaning only) or
        "keyword" (BM25F). Filters (`has_code`: papers with a code repository), written in the
        query or given as keyword arguments, apply in
        every mode; a query of filters only lists the matching papers newest first. Without
        `snippets`, hits carry no snippet (most of a search's time goes into making them).
        """
        if mode not in SEARCH_MODES:
            raise PapersiftError(f"unknown search mode {mode!r}; choose one of {', '.join(SEARCH_MODES)}")
        limit = max(0, min(int(limit), 1000))
        offset = max(0, int(offset))
        query = parse_query(text)
        if author and words(author):
            query.authors.append(words(author))
        if category:
            query.categories.append(category)
        query.has_code = query.has_code or has_code
        if year:
            date_from = max(filter(None, [date_from, date(year, 1, 1)]))
            date_to = min(filter(None, [date_to, date(year, 12, 31)]))
        if date_from and (query.date_from is None or date_from > query.date_from):
            query.date_from = date_from
        if date_to and (query.date_to is None or date_to < query.date_to):
            query.date_to = date_to
        if limit == 0:
            return SearchResults([], total=0, query=query, offset=offset, mode=mode)
        index = self._keyword_index()
        semantic = None
        if mode != "keyword" and query.meaning_text.strip():
            semantic = self._semantic_index(required=mode == "semantic")
        if semantic is None:
            matches = index.search(query, limit=limit, offset=offset, phrase_check=self._check_phrases)
            ranked = list(zip(matches.pks, matches.scores, strict=True))
            # A query of filters only lists papers newest first in every mode; otherwise meaning
            # was asked for but the model is missing, and the results say they are keyword-only.
            used: SearchMode = mode if not query.meaning_text.strip() else "keyword"
            return self._results(ranked, query, matches.total, offset, used, snippets)

        depth = max(FUSION.depth, offset + limit)
        allowed = index.allowed_pks(query)
        query_vector = semantic.embed_query(query.meaning_text)
        if mode == "semantic":
            ranked = self._nearest(semantic, query_vector, depth, allowed)
        else:
            keyword = (
                index.search(query, limit=depth, phrase_check=self._check_phrases, at_least=offset + limit)
                if query.has_text
                else None
            )
            if query.phrases and keyword is not None:
                # A quoted phrase must appear: meaning only re-ranks the papers that hold it.
                vectors = semantic.vectors_of(keyword.pks)
                by_meaning = sorted(
                    ((pk, float(vectors[pk] @ query_vector)) for pk in keyword.pks if pk in vectors),
                    key=lambda item: -item[1],
                )
            else:
                by_meaning = self._nearest(semantic, query_vector, depth, allowed)
            keyword_ranking = (keyword.pks, keyword.scores) if keyword else ([], [])
            meaning_ranking = ([pk for pk, _ in by_meaning], [score for _, score in by_meaning])
            ranked = fuse(keyword_ranking, meaning_ranking)
        page = ranked[offset : offset + limit]
        return self._results(page, query, len(ranked), offset, mode, snippets)

    @staticmethod
    def _nearest(
        semantic: SemanticIndex, vector: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        mask = None
        if allowed is not None:
            if not len(allowed):
                return []
            mask = np.zeros(int(allowed.max()) + 1, dtype=bool)
            mask[allowed] = True
        pks, scores = semantic.nearest(vector, k, mask)
        return list(zip(pks, scores, strict=True))

    def _results(
        self,
        ranked: list[tuple[int, float]],
        query: Query,
        total: int,
        offset: int,
        mode: SearchMode,
        snippets: bool,
    ) -> SearchResults:
        papers = self.store.papers_by_pk([pk for pk, _ in ranked])
        wanted = query.highlight_terms
        hits = []
        for pk, score in ranked:
            paper = papers[pk]
            if snippets:
                snippet, highlights = make_snippet(paper.abstract, wanted)
                hits.append(Hit(paper, score, snippet, tuple(highlights)))
            else:
                hits.append(Hit(paper, score))
        return SearchResults(hits, total=total, query=query, offset=offset, mode=mode)

    # -- similar papers ----------------------------------------------------------------------

    def similar(self, paper_id: str, limit: int = 10, *, within: Iterable[str] | None = None) -> list[Hit]:
        """The papers nearest in meaning to one paper, without itself and its duplicates.

        `within` limits the answer to some papers (ids); a duplicate is a paper with a
        near-identical embedding (cosine >= DUPLICATE_COSINE), or the same title key and a close
        one (>= SAME_TITLE_DUPLICATE_COSINE).
        """
        return self.more_like([paper_id], limit, within=within)

    def more_like(
        self, paper_ids: Iterable[str], limit: int = 10, *, within: Iterable[str] | None = None
    ) -> list[Hit]:
        """A ranking for a set of papers (a user's saved papers): nearest to their centroid.

        The given papers and duplicates of them are left out. Why the centroid: see
        docs/notes/more-like-these.md (measured against a linear SVM, arxiv-sanity's way).
        """
        seeds = [self._pk(paper_id) for paper_id in paper_ids]
        allowed = None
        if within is not None:
            allowed = np.array([pk for paper_id in within if (pk := self._find_pk(paper_id)) is not None])
        return self._more_like(seeds, limit, allowed)

    def _more_like(self, seeds: list[int], limit: int, allowed: np.ndarray | None) -> list[Hit]:
        semantic = self._semantic_index(required=True)
        assert semantic is not None
        if not seeds or limit <= 0:
            return []
        semantic.catch_up()  # catch up with embeddings written since
        vectors = semantic.vectors_of(seeds)
        missing = [seed for seed in seeds if seed not in vectors]
        if missing:
            ids = ", ".join(p.id for p in self.store.papers_by_pk(missing).values())
            raise PapersiftError(f"not embedded yet: {ids} (run `papersift index`)")
        centroid = np.mean([vectors[seed] for seed in seeds], axis=0)
        seed_papers = self.store.papers_by_pk(seeds)
        seen_titles = {title_key(p.title) for p in seed_papers.values()}
        seed_matrix = np.stack([vectors[seed] for seed in seeds])
        seed_set = set(seeds)
        ranked: list[tuple[int, float]] = []
        wanted = limit + len(seeds) + 10
        while True:  # ask for more neighbours while duplicates leave fewer than `limit`
            candidates = self._nearest(semantic, centroid, wanted, allowed)
            found = [(pk, score) for pk, score in candidates if pk not in seed_set]
            papers = self.store.papers_by_pk([pk for pk, _ in found])
            candidate_vectors = semantic.vectors_of([pk for pk, _ in found])
            ranked, titles, kept = [], set(seen_titles), list(seed_matrix)
            for pk, score in found:
                key, vector = title_key(papers[pk].title), candidate_vectors[pk]
                closest = float(np.max(np.stack(kept) @ vector))
                # A generic title ("Hybrid Monte Carlo") is shared by different papers: the same
                # title is a duplicate only when the texts are close too.
                if closest >= DUPLICATE_COSINE or (key in titles and closest >= SAME_TITLE_DUPLICATE_COSINE):
                    continue
                titles.add(key)
                kept.append(vector)
                ranked.append((pk, score))
            if len(ranked) >= limit or len(candidates) < wanted:
                break
            wanted *= 2
        ranked = ranked[:limit]
        return [Hit(papers[pk], score) for pk, score in ranked]

    def _find_pk(self, paper_id: str) -> int | None:
        pk = self.store.pk_of(paper_id.strip())
        if pk is None:
            parsed = parse_arxiv_id(paper_id)
            pk = self.store.pk_of(parsed[0]) if parsed else None
        return pk

    def _pk(self, paper_id: str) -> int:
        pk = self._find_pk(paper_id)
        if pk is None:
            raise PaperNotFound(f"no paper with id {paper_id!r}")
        return pk

    def _check_phrases(self, pks: list[int], phrases: list[list[str]]) -> list[bool]:
        texts = self.store.texts_by_pk(pks)
        return [
            all(contains_phrase(texts[pk][0], p) or contains_phrase(texts[pk][1], p) for p in phrases)
            if pk in texts
            else False
            for pk in pks
        ]

    def paper(self, paper_id: str) -> Paper:
        """The paper with this id (or an id it was known by, or a versioned/URL arXiv id)."""
        pk = self._pk(paper_id)
        return self.store.papers_by_pk([pk])[pk]

    def papers(self) -> Iterator[Paper]:
        """Every paper, in the order they were first imported."""
        for item in self.store.iter_papers():
            yield item.paper

    def stats(self) -> dict[str, Any]:
        stats = self.store.stats()
        semantic = self._semantic_index(required=False)
        stats["embedding_model"] = semantic.key if semantic else None
        stats["embedded"] = semantic.coverage() if semantic else 0
        return stats

    def export(self, format_name: str = "jsonl") -> Iterator[str]:
        """Every paper as export text (`jsonl` or `bibtex`), chunk by chunk."""
        return export_lines(self.papers(), format_name)

    # -- feeds and votes ---------------------------------------------------------------------

    def latest_day(self) -> date | None:
        """The newest publication date in the library (the daily feed opens there)."""
        return self.store.latest_published()

    def daily(
        self,
        day: date | None = None,
        *,
        period: Period = "day",
        sort: Literal["trending", "date"] = "trending",
        limit: int = 50,
        offset: int = 0,
        has_code: bool = False,
    ) -> FeedPage:
        """Papers published on a day (or in its week or month): most upvoted first, or newest;
        with `has_code`, only those with a code repository."""
        day = day or self.latest_day() or date.today()
        first, last = period_span(day, period)
        rows, total = self.store.published_between(
            first,
            last,
            by_votes=sort == "trending",
            limit=max(0, limit),
            offset=max(0, offset),
            has_code=has_code,
        )
        papers = self.store.papers_by_pk([pk for pk, _, _ in rows])
        before, after = self.store.published_near(first, last, has_code=has_code)
        items = [FeedItem(papers[pk], votes) for pk, votes, _ in rows]
        return FeedPage(items, first, last, period, sort, total, before, after)

    def trending(self, limit: int = 50, offset: int = 0, *, today: date | None = None) -> list[FeedItem]:
        """Upvoted papers by `feeds.trending_score` (votes decayed by age), then the newest others."""
        today = today or date.today()
        voted = sorted(
            self.store.voted_papers(),
            key=lambda row: (
                -trending_score(row[1], row[2], today),
                -row[1],
                -(row[2] or date.min).toordinal(),
            ),
        )
        ranked = [(pk, votes) for pk, votes, _ in voted[offset : offset + limit]]
        if len(ranked) < limit:
            rest_offset = max(0, offset - len(voted))
            ranked += [(pk, 0) for pk in self.store.newest_unvoted(limit - len(ranked), rest_offset)]
        papers = self.store.papers_by_pk([pk for pk, _ in ranked])
        return [FeedItem(papers[pk], votes) for pk, votes in ranked]

    @property
    def curation(self) -> Curation:
        """The day's lists people curate, comments, public collections, authorship claims."""
        if self._curation is None:
            self._curation = Curation(self)
        return self._curation

    # -- code links, results and leaderboards ----------------------------------------------

    @property
    def aliases(self) -> Aliases:
        """The alias table: the shipped one, extended by the user's (`PAPERSIFT_ALIASES`)."""
        if self._aliases is None:
            self._aliases = configured_aliases()
        return self._aliases

    def _with_extraction(self, paper: Paper) -> Paper:
        """The paper with the code links and results its own text gives (`papersift.findings`)."""
        return with_findings(paper, find(texts_of(paper), self.aliases))

    def refresh_extraction(self, on_progress: ProgressCallback | None = None) -> int:
        """Once per `EXTRACTION_VERSION` (and alias table): re-read every paper's code links and
        results, saving the papers whose findings changed. Returns how many changed."""
        version = self._extraction_version()
        if self.store.meta("extraction_version") == version:
            return 0
        changed: list[tuple[int | None, Paper, Iterable[str]]] = []
        count = 0
        for seen, stored in enumerate(self.store.iter_papers(), start=1):
            fresh = self._with_extraction(stored.paper)
            if fresh != stored.paper:
                changed.append((stored.pk, fresh, ()))
            if len(changed) >= INGEST_BATCH:
                count += len(self.store.save_papers(changed))
                changed = []
            if on_progress and seen % 5000 == 0:
                on_progress("extract", seen)
        count += len(self.store.save_papers(changed))
        self.store.set_meta("extraction_version", version)
        return count

    def _extraction_version(self) -> str:
        return f"{EXTRACTION_VERSION}:{self.aliases.digest()}"

    def leaderboards(self) -> list[boards.BoardSummary]:
        """Every (dataset, metric) with results, by canonical name, most results first."""
        return boards.summarise(self.store.result_spellings(), self.aliases)

    def leaderboard(self, dataset: str, metric: str | None = None, *, limit: int = 100) -> boards.Leaderboard:
        """The ranked results on a dataset (any spelling the alias table knows) for a metric (by
        default the dataset's most reported one); raises `PaperNotFound` if nothing reports it."""
        aliases = self.aliases
        name, metrics, pairs = boards.spellings_of(self.store.result_spellings(), aliases, dataset, metric)
        if not pairs:
            known = f"; its metrics: {', '.join(metrics)}" if metrics else ""
            raise PaperNotFound(f"no results on {name}" + (f" for {metric}" if metric else "") + known)
        chosen = aliases.metric(pairs[0][1])
        extracted = self.store.extracted_results(pairs)
        curated = self.store.curated_results(pairs)
        papers = self.store.papers_by_pk(
            sorted({row[0] for row in extracted} | {pk for pk, _row in curated if pk is not None})
        )
        candidates = [
            boards.Candidate(
                value,
                model,
                papers[pk].title,
                papers[pk],
                papers[pk].abs_url,
                papers[pk].published,
                False,
                text,
            )
            for pk, _dataset, _metric, value, text, model in extracted
        ]
        for pk, row in curated:
            paper = papers.get(pk) if pk is not None else None
            published = (
                paper.published if paper else (date.fromisoformat(row.published) if row.published else None)
            )
            candidates.append(
                boards.Candidate(
                    row.value,
                    row.model or None,
                    paper.title if paper else row.paper_title,
                    paper,
                    row.paper_url,
                    published,
                    True,
                    row.value_text,
                )
            )
        entries = boards.rank(candidates, chosen, limit)
        return boards.Leaderboard(name, chosen, entries, [m for m in metrics if m != chosen.name])

    def import_paperswithcode(self, paths: Iterable[str | os.PathLike[str]]) -> CuratedImport:
        """Import Papers with Code's `links-between-papers-and-code.json` and `evaluation-tables.json`
        (either, in any order, gzip or not). Their rows are kept apart from what papersift
        extracts and win over it; importing a file again updates its rows."""
        from papersift.sources import paperswithcode

        done = CuratedImport()
        for path in paths:
            origin = str(path)
            try:
                with sources.open_input(Path(path)) as stream:
                    kind, rows = paperswithcode.read(stream, origin)
                    links: list[tuple[str, str, bool]] = []
                    results: list[CuratedResult] = []
                    for row in rows:
                        if isinstance(row, BadRecord):
                            done.rejected.append(row)
                        elif isinstance(row, CuratedLink):
                            repository = normalise_repository(row.url)
                            if repository is not None:
                                links.append((row.arxiv_id, repository, row.official))
                            else:
                                done.rejected.append(BadRecord(origin, f"{row.url}: not a code repository"))
                        else:
                            results.append(row)
            except OSError as error:
                raise UnreadableInput(f"{origin}: cannot read ({error.strerror or error})") from None
            added_links, added_results = self.store.save_curated(links, results)
            done.files.append((origin, kind))
            done.links += added_links
            done.results += added_results
        self.refresh_index(embed=False)
        return done

    def upvote(self, user: User, paper_id: str, *, voted: bool = True) -> int:
        """Add (or with `voted=False` withdraw) a user's upvote; returns the paper's new count."""
        return self.store.set_vote(user.id, self._pk(paper_id), voted)

    def upvote_counts(self, paper_ids: Iterable[str]) -> dict[str, int]:
        """Upvotes of each known paper (unknown ids are left out)."""
        pks = self._pks_of(paper_ids)
        counts = self.store.vote_counts(list(pks.values()))
        return {paper_id: counts.get(pk, 0) for paper_id, pk in pks.items()}

    def upvoted_by(self, user: User, paper_ids: Iterable[str]) -> set[str]:
        pks = self._pks_of(paper_ids)
        voted = self.store.voted_by(user.id, list(pks.values()))
        return {paper_id for paper_id, pk in pks.items() if pk in voted}

    # -- a member's library: collections of saved papers -----------------------------------

    def save_papers(
        self,
        user: User,
        paper_ids: Iterable[str],
        collection: str = DEFAULT_COLLECTION,
        *,
        note: str | None = None,
    ) -> int:
        """Save papers into a collection (created if missing); `note` replaces their note. How
        many were not in it yet. Every id must be known (PaperNotFound names the first that is not)."""
        pks = [self._pk(paper_id) for paper_id in paper_ids]
        name, note = _collection_name(collection), _note(note)  # checked before anything is written
        collection_id = self.store.collection_id(user.id, name, create=True)
        assert collection_id is not None
        return self.store.save_to_collection(collection_id, pks, note)

    def unsave_paper(self, user: User, paper_id: str, collection: str) -> bool:
        """Take a paper out of a collection; whether it was there."""
        return self.store.remove_from_collection(self._collection_id(user, collection), self._pk(paper_id))

    def collections(self, user: User) -> list[Collection]:
        return [Collection(name, count) for _id, name, count in self.store.collections_of(user.id)]

    def collection(self, user: User, name: str) -> list[SavedPaper]:
        """A collection's papers, most recently saved first."""
        rows = self.store.saved_in(self._collection_id(user, name))
        papers = self.store.papers_by_pk([pk for pk, _, _ in rows])
        return [SavedPaper(papers[pk], note, saved_at) for pk, note, saved_at in rows]

    def delete_collection(self, user: User, name: str) -> None:
        self.store.delete_collection(self._collection_id(user, name))

    def saved_in_collections(self, user: User, paper_ids: Iterable[str]) -> dict[str, list[str]]:
        """For each of these papers the member saved, the names of the collections holding it."""
        pks = self._pks_of(paper_ids)
        names = self.store.saved_by(user.id, list(pks.values()))
        return {paper_id: names[pk] for paper_id, pk in pks.items() if pk in names}

    def import_collection(
        self, user: User, name: str, data: bytes, *, origin: str = "<import>"
    ) -> CollectionImport:
        """Save into a collection the papers of a BibTeX file (imported into the library when new)
        or of a list of ids (arXiv ids or URLs, DOIs, one per line or separated by spaces or commas)."""
        result = CollectionImport()
        text = data.decode("utf-8", errors="replace")
        if sources.sniff(data[:4096]) == "bibtex":
            report = IngestReport()
            papers: list[Paper] = []
            for record in sources.read_stream(io.BytesIO(data), origin, "bibtex"):
                if isinstance(record, Paper):
                    papers.append(record)
                else:
                    report.rejected.append(record)
            self.ingest_records(papers, report=report, origin=origin)
            self.refresh_index(report=report)
            result.new_papers, result.rejected = report.added, report.rejected
            wanted = [paper.id for paper in papers]
        else:
            wanted = [token for token in re.split(r"[\s,;]+", text) if token]
        found = []
        for paper_id in dict.fromkeys(wanted):
            pk = self._find_pk(paper_id)
            if pk is None:
                result.missing.append(paper_id)
            else:
                found.append(pk)
        collection_id = self.store.collection_id(user.id, _collection_name(name), create=True)
        assert collection_id is not None
        result.saved = self.store.save_to_collection(collection_id, found)
        return result

    def export_collection(self, user: User, name: str, format_name: str = "bibtex") -> Iterator[str]:
        """A collection's papers as BibTeX or JSON Lines (the notes go into JSON as `note`)."""
        saved = self.collection(user, name)
        if format_name == "json":
            entries = [
                {**paper_to_json(item.paper), "note": item.note, "saved_at": item.saved_at} for item in saved
            ]
            return iter(
                [json.dumps({"collection": name, "papers": entries}, ensure_ascii=False, indent=1) + "\n"]
            )
        return export_lines((item.paper for item in saved), format_name)

    def _collection_id(self, user: User, name: str) -> int:
        collection_id = self.store.collection_id(user.id, name.strip())
        if collection_id is None:
            raise CollectionError(f"you have no collection named {name.strip()!r}")
        return collection_id

    # -- recommendations ("For you") ----------------------------------------------------------

    def recommendations(
        self,
        user: User,
        *,
        limit: int = 50,
        days: int = RECOMMENDATION_DAYS,
        collection: str | None = None,
        today: date | None = None,
    ) -> list[Recommendation]:
        """The papers of the last `days` days (to the newest day in the library, or `today`) ranked
        by the member's saved papers (all collections, or one): `papersift.recommend`'s blend of
        embedding and term closeness, chosen by bench/bench_recommend.py. Empty without saved papers."""
        if collection is not None:
            seeds = [pk for pk, _note, _at in self.store.saved_in(self._collection_id(user, collection))]
        else:
            seeds = list(self.store.saved_by(user.id))
        last = today or self.latest_day() or date.today()
        first = last - timedelta(days=max(1, days) - 1)
        rows, _total = self.store.published_between(first, last, by_votes=False, limit=1_000_000, offset=0)
        seed_set = set(seeds)
        candidates = [pk for pk, _, _ in rows if pk not in seed_set]
        if not seeds or not candidates or limit <= 0:
            return []
        terms, vocabulary = self._term_rows(seeds + candidates)
        library_terms, candidate_terms = terms[: len(seeds)], terms[len(seeds) :]
        semantic = self._semantic_index(required=False)
        vectors = semantic.vectors_of(seeds + candidates) if semantic is not None else {}
        if all(pk in vectors for pk in seeds) and vectors:
            dimension = len(next(iter(vectors.values())))
            missing = np.zeros(dimension, dtype=np.float32)  # a paper not embedded yet: no closeness
            library_vectors = np.stack([vectors[pk] for pk in seeds])
            candidate_vectors = np.stack([vectors.get(pk, missing) for pk in candidates])
            order, scores = recommend.rank(
                library_vectors, candidate_vectors, limit, library_terms, candidate_terms.tocsc()
            )
        else:  # no model: the terms alone
            library_vectors = None
            all_scores = recommend.lexical_scores(library_terms, candidate_terms.tocsc())
            order = recommend.top_indices(all_scores, limit)
            scores = all_scores[order]
        chosen = [candidates[i] for i in order]
        papers = self.store.papers_by_pk(chosen + seeds)
        found = []
        for index, pk, score in zip(order, chosen, scores, strict=True):
            closest: list[Paper] = []
            if library_vectors is not None:
                closest = (
                    [papers[seeds[i]] for i in recommend.closest_seeds(library_vectors, vectors[pk])]
                    if pk in vectors
                    else []
                )
            telling = recommend.telling_words(library_terms, candidate_terms[index], vocabulary, 3)
            paper = papers[pk]
            found.append(Recommendation(paper, float(score), closest, [_surface(t, paper) for t in telling]))
        return found

    def _term_rows(self, pks: list[int]) -> tuple[Any, list[str]]:
        """tf-idf rows (`recommend.term_weights`) of these papers' terms and adjacent pairs, with
        document frequencies over these papers (a ranking compares them with each other)."""
        sequence = self.store.change_sequence()
        if self._term_counts_sequence != sequence or len(self._term_counts) > TERM_COUNTS_CACHED:
            self._term_counts.clear()  # a paper's text may have changed
            self._term_ids.clear()
            self._term_names.clear()
            self._term_counts_sequence = sequence
        known, term_ids = self._term_counts, self._term_ids
        for pk, (title, abstract) in self.store.texts_by_pk([pk for pk in pks if pk not in known]).items():
            found = recommend.terms_and_pairs(
                [None if w in STOP_WORDS else stem(w) for w in words(f"{title} {abstract}")]
            )
            for term in [t for t in found if t not in term_ids]:
                term_ids[term] = len(self._term_names)
                self._term_names.append(term)
            ids = np.fromiter((term_ids[t] for t in found), np.int64, len(found))
            known[pk] = (ids, np.fromiter(found.values(), np.float32, len(found)))
        empty = (np.zeros(0, np.int64), np.zeros(0, np.float32))
        rows = [known.get(pk, empty) for pk in pks]
        columns, compact = np.unique(np.concatenate([ids for ids, _ in rows]), return_inverse=True)
        indptr = np.concatenate([[0], np.cumsum([len(ids) for ids, _ in rows])])
        data = np.concatenate([counts for _, counts in rows])
        matrix = sparse.csr_matrix((data, compact, indptr), shape=(len(pks), len(columns)))
        frequency = np.bincount(compact, minlength=len(columns))
        names = [self._term_names[int(column)] for column in columns]
        return recommend.term_weights(matrix, frequency, len(pks)), names

    # -- subscriptions and digests ----------------------------------------------------------

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
        """Subscribe a member to a search, an author, a category, one of their collections (more
        like it) or the trending list; subscribing again to the same changes its settings."""
        if kind not in SUBSCRIPTION_KINDS:
            raise SubscriptionError(f"cannot subscribe to a {kind!r}; choose {', '.join(SUBSCRIPTION_KINDS)}")
        if frequency not in FREQUENCIES:
            raise SubscriptionError(f"a digest is daily or weekly, not {frequency!r}")
        if mode not in SEARCH_MODES:
            raise SubscriptionError(f"unknown search mode {mode!r}")
        if not 1 <= max_papers <= MAX_PAPERS:
            raise SubscriptionError(f"a subscription brings 1 to {MAX_PAPERS} papers, not {max_papers}")
        value = " ".join(value.split()) if kind != "trending" else ""
        if kind == "query":
            if not parse_query(value).has_text and not parse_query(value).meaning_text.strip():
                raise SubscriptionError("a search subscription needs words to look for")
            if len(value) > 2000:
                raise SubscriptionError("a search subscription has at most 2,000 characters")
        elif kind == "author" and not words(value):
            raise SubscriptionError("an author subscription needs a name")
        elif kind == "category" and not value:
            raise SubscriptionError("a category subscription needs a category (cs.LG, cs, ...)")
        elif kind == "collection":
            self._collection_id(user, value)  # must exist
        subscription_id = self.store.add_subscription(user.id, kind, value, mode, frequency, max_papers)
        return next(s for s in self.subscriptions(user) if s.id == subscription_id)

    def unsubscribe(
        self, user: User, subscription_id: int | None = None, *, frequency: Frequency | None = None
    ) -> int:
        """Drop one subscription (by id), those of a frequency, or all of them; how many went."""
        if subscription_id is not None:
            return self.store.delete_subscription(user.id, subscription_id)
        gone = 0
        for subscription in self.subscriptions(user):
            if frequency is None or subscription.frequency == frequency:
                gone += self.store.delete_subscription(user.id, subscription.id)
        return gone

    def subscriptions(self, user: User) -> list[Subscription]:
        return [
            Subscription(sid, kind, value, mode, frequency, max_papers)  # type: ignore[arg-type]
            for sid, _user, kind, value, mode, frequency, max_papers in self.store.subscriptions(
                user_id=user.id
            )
        ]

    def digest(self, user: User, day: date | None = None, frequency: Frequency = "daily") -> Digest:
        """What the member's next digest of this frequency for `day` holds (nothing is recorded)."""
        day = day or date.today()
        subscriptions = [s for s in self.subscriptions(user) if s.frequency == frequency]
        through = self.store.last_digest_through(user.id, frequency)
        since, day = window(day, frequency, date.fromisoformat(through) if through else None)
        rankings = [
            (s, self._subscription_papers(user, s, since + timedelta(days=1), day)) for s in subscriptions
        ]
        if frequency == "daily":
            rankings += self._followed_papers(user, since, day)
        entries = merge_rankings(rankings, MAX_DIGEST_PAPERS)
        return Digest(user.email, user.name, frequency, period_name(day, frequency), since, day, entries)

    def _followed_papers(self, user: User, since: date, day: date) -> list[tuple[Subscription, list[Paper]]]:
        """For each public collection the member follows, the papers added to it after `since`
        up to the end of `day`, the newest first."""
        found: list[tuple[Subscription, list[Paper]]] = []
        after, until = (since + timedelta(days=1)).isoformat(), (day + timedelta(days=1)).isoformat()
        for collection_id in self.curation.followed(user):
            shown = self.store.collection_row(collection_id)
            pks = self.store.saved_between(collection_id, after, until)
            if shown is None or not pks:
                continue
            papers = self.store.papers_by_pk(pks)
            name = f"“{shown[1]}” by {shown[4]}"
            subscription = Subscription(-collection_id, "followed", name, "", "daily", FOLLOWED_MAX_PAPERS)
            found.append((subscription, [papers[pk] for pk in pks if pk in papers]))
        return found

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
        """Send each subscriber their digest for `day` (today), at most once per period.

        Digests an interrupted run decided are sent first. Then for each member with subscriptions,
        the digest is composed and, if it holds any paper, recorded as decided (with the whole
        message) in one transaction, sent, and marked sent. A run killed at any point and run
        again sends every digest once; the one gap is a kill between the SMTP server taking a
        message and the mark (microseconds), which sends that message again.
        """
        day = day or date.today()
        base_url = (base_url or setting("base_url")).rstrip("/")
        mail_from = mail_from or setting("mail_from")
        if dry_run:
            return self._send_digests(send, day, base_url, mail_from, dry_run, on_progress)
        # One run at a time: two would both send what a killed run had decided. The lock names
        # this process; a holder on this machine that no longer runs is taken over.
        owner = f"{socket.gethostname()}:{os.getpid()}"
        holder = self.store.take_lock("digest-run", owner, _process_is_gone)
        if holder is not None:
            raise SubscriptionError(f"another digest run is in progress ({holder}); try again when it ends")
        try:
            return self._send_digests(send, day, base_url, mail_from, dry_run, on_progress)
        finally:
            self.store.release_lock("digest-run", owner)

    def _send_digests(
        self,
        send: Callable[[EmailMessage], None],
        day: date,
        base_url: str,
        mail_from: str,
        dry_run: bool,
        on_progress: Callable[[int, int], None] | None,
    ) -> DigestRun:
        run = DigestRun()
        if not dry_run:
            for user_id, frequency, period, _message_id, raw in self.store.unsent_digests():
                send(message_from_bytes(raw, policy=email_policy.default))
                self.store.mark_digest_sent(user_id, frequency, period)
                run.resent += 1
        members = {row.id: row for row in self.store.iter_users()}
        by_member: dict[tuple[int, str], int] = {}
        for _id, user_id, _kind, _value, _mode, frequency, _max in self.store.subscriptions():
            by_member[(user_id, frequency)] = by_member.get((user_id, frequency), 0) + 1
        for user_id in self.store.collection_followers():  # followed collections come daily
            by_member.setdefault((user_id, "daily"), 0)
        for done, (user_id, frequency) in enumerate(by_member, start=1):
            if on_progress:
                on_progress(done, len(by_member))
            row = members[user_id]
            user = user_from_row(row)
            freq: Frequency = "weekly" if frequency == "weekly" else "daily"
            if self.store.digest_status(user_id, freq, period_name(day, freq)) is not None:
                run.already += 1
                continue
            digest = self.digest(user, day, freq)
            if not digest.entries:
                run.empty += 1
                continue
            token = self.unsubscribe_token(user, freq)
            message = build_message(
                digest,
                mail_from=mail_from,
                base_url=base_url,
                unsubscribe_url=f"{base_url}/unsubscribe/{token}",
            )
            if dry_run:
                run.would_send.append(digest)
                continue
            papers = [entry.paper.id for entry in digest.entries]
            claimed = self.store.claim_digest(
                user_id,
                freq,
                digest.period,
                papers,
                str(message["Message-ID"]),
                message.as_bytes(),
                digest.through.isoformat(),
            )
            if not claimed:  # another run decided it meanwhile
                run.already += 1
                continue
            send(message)
            self.store.mark_digest_sent(user_id, freq, digest.period)
            run.sent += 1
        return run

    def unsubscribe_token(self, user: User, frequency: Frequency) -> str:
        """A token for a link that stops the member's digests of this frequency, no sign-in needed."""
        return self._signer().dumps([user.id, frequency])

    def check_unsubscribe_token(self, token: str) -> tuple[User, Frequency]:
        """The member and frequency an unsubscribe token names (SubscriptionError if forged)."""
        invalid = "this unsubscribe link is not valid (it may have been cut short)"
        try:
            user_id, frequency = self._signer().loads(token)
            row = self.store.user_row(user_id=int(user_id))
        except (BadSignature, ValueError, TypeError):
            raise SubscriptionError(invalid) from None
        if row is None or frequency not in FREQUENCIES:
            raise SubscriptionError("this unsubscribe link is for an account that no longer exists")
        return user_from_row(row), frequency

    def unsubscribe_by_token(self, token: str) -> tuple[str, Frequency]:
        """Stop the digests a token names (again: nothing more); (the member's e-mail, frequency)."""
        user, frequency = self.check_unsubscribe_token(token)
        self.unsubscribe(user, frequency=frequency)
        return user.email, frequency

    def recommendations_token(self, user: User) -> str:
        """A token for the private address of the member's "For you" feed (no sign-in needed)."""
        return self._signer("for-you").dumps(user.id)

    def user_of_recommendations_token(self, token: str) -> User:
        try:
            row = self.store.user_row(user_id=int(self._signer("for-you").loads(token)))
        except (BadSignature, ValueError, TypeError):
            raise SubscriptionError("this feed address is not valid (it may have been cut short)") from None
        if row is None:
            raise SubscriptionError("this feed address is for an account that no longer exists")
        return user_from_row(row)

    def _signer(self, purpose: str = "unsubscribe") -> URLSafeSerializer:
        # One secret, kept in the database so every worker signs alike; a salt per purpose, so
        # that a feed address cannot be used as an unsubscribe link.
        return URLSafeSerializer(
            self.store.secret("unsubscribe", lambda: secrets.token_urlsafe(32)), salt=purpose
        )

    def _subscription_papers(
        self, user: User, subscription: Subscription, first: date, last: date
    ) -> list[Paper]:
        """The papers published from `first` to `last` that a subscription brings, best first."""
        limit = subscription.max_papers
        if subscription.kind in ("author", "category"):
            is_author = subscription.kind == "author"
            found = self.search(
                "",
                mode="keyword",
                limit=limit,
                date_from=first,
                date_to=last,
                snippets=False,
                author=subscription.value if is_author else None,
                category=None if is_author else subscription.value,
            )
            return [hit.paper for hit in found]
        if subscription.kind == "trending":
            rows, _total = self.store.published_between(first, last, by_votes=True, limit=limit, offset=0)
            papers = self.store.papers_by_pk([pk for pk, _, _ in rows])
            return [papers[pk] for pk, _, _ in rows]
        if subscription.kind == "collection":
            collection_id = self.store.collection_id(user.id, subscription.value)
            seeds = [pk for pk, _note, _saved in self.store.saved_in(collection_id)] if collection_id else []
            rows, _total = self.store.published_between(
                first, last, by_votes=False, limit=1_000_000, offset=0
            )
            if not seeds or not rows:
                return []
            try:
                hits = self._more_like(seeds, limit, np.array([pk for pk, _, _ in rows]))
            except (ModelUnavailable, PapersiftError):  # no model, or a saved paper not embedded yet
                return []
            return [hit.paper for hit in hits if hit.score >= MATCH_COSINE]
        mode: SearchMode = subscription.mode if subscription.mode in SEARCH_MODES else "hybrid"
        return self._query_matches(subscription.value, mode, first, last, limit)

    def _query_matches(self, text: str, mode: SearchMode, first: date, last: date, limit: int) -> list[Paper]:
        """Papers that a search subscription really matches, not just the best of any day: with
        every word of the query (keyword), close in meaning (semantic: cosine >= MATCH_COSINE), or
        either (hybrid)."""
        found = self.search(text, mode=mode, limit=limit * 3, date_from=first, date_to=last, snippets=False)
        query = found.query
        terms = query.highlight_terms
        closeness: dict[int, float] = {}
        semantic = self._semantic_index(required=False) if mode != "keyword" else None
        if semantic is not None and query.meaning_text.strip():
            vector = semantic.embed_query(query.meaning_text)
            pks = self.store.pks_of([hit.paper.id for hit in found])
            vectors = semantic.vectors_of(list(pks.values()))
            closeness = {pk: float(vectors[pk] @ vector) for pk in pks.values() if pk in vectors}
            by_id = {paper_id: closeness.get(pk, 0.0) for paper_id, pk in pks.items()}
        matches = []
        for hit in found:
            has_words = (
                bool(terms) and terms <= term_counts(f"{hit.paper.title} {hit.paper.abstract}")[0].keys()
            )
            close = bool(closeness) and by_id.get(hit.paper.id, 0.0) >= MATCH_COSINE
            if (
                (mode == "keyword" and has_words)
                or (mode == "semantic" and close)
                or (mode == "hybrid" and (has_words or close))
            ):
                matches.append(hit.paper)
        return matches[:limit]

    def _pks_of(self, paper_ids: Iterable[str]) -> dict[str, int]:
        """pks of known ids: one query for ids as stored, one lookup each for other spellings."""
        wanted = [paper_id.strip() for paper_id in paper_ids]
        found = self.store.pks_of(wanted)
        for paper_id in wanted:
            if paper_id not in found and (pk := self._find_pk(paper_id)) is not None:
                found[paper_id] = pk
        return found

    # -- harvesting ------------------------------------------------------------------------

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
        """Fetch a category's new papers from arXiv (OAI-PMH or the search API) and import them.

        Each page's papers and the point to resume after it are committed together, so an
        interrupted sync continues where it stopped when run again with the same arguments.
        Without `since`, a sync continues from the day the last complete one finished.
        """
        state_name = f"arxiv-{method}:{category}"
        state = json.loads(self.store.harvest_resume(state_name) or "{}")
        if since is None and state.get("completed"):
            since = date.fromisoformat(state["completed"])
        resume = (
            state.get("resume")
            if state.get("since") == _iso(since) and state.get("until") == _iso(until)
            else None
        )
        report = IngestReport()
        if method == "oai":
            pages = harvest_oai(
                category,
                since=since,
                until=until,
                resume=resume,
                client=client,
                base_url=base_url or OAI_BASE_URL,
            )
        else:
            pages = harvest_api(
                category, since=since, resume=resume, client=client, base_url=base_url or API_BASE_URL
            )
        wanted = category.casefold()

        def in_category(paper: Paper) -> bool:
            # OAI sets are whole archives ("cs"); keep only the asked category ("cs.CV").
            return any(
                c.casefold() == wanted or c.casefold().startswith(wanted + ".") for c in paper.categories
            )

        for page in pages:
            with self.store.transaction():
                records = sources.read_stream(io.BytesIO(page.content), page.url, page.format)
                self.ingest_records(
                    records, report=report, on_progress=on_progress, origin=page.url, accept=in_category
                )
                progress = {
                    "since": _iso(since),
                    "until": _iso(until),
                    "resume": page.resume,
                    "completed": state.get("completed"),
                }
                self.store.set_harvest_resume(state_name, json.dumps(progress))
            report.files += 1
        finished = {"completed": date.today().isoformat()}
        with self.store.transaction():
            self.store.set_harvest_resume(state_name, json.dumps(finished))
        self.refresh_index()
        return report


def _precision(value: str) -> Precision:
    if value not in ("fp32", "int8"):
        raise PapersiftError(f"embedding precision must be fp32 or int8, not {value!r}")
    return "int8" if value == "int8" else "fp32"


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _process_is_gone(owner: str) -> bool:
    """Whether the holder of a lock ("host:pid") is a process of this machine that has ended."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: only its own end (or an operator) frees it
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _surface(term: str, paper: Paper) -> str:
    """A term ("rewir", "graph neural") as the paper writes it ("rewiring", "graph neural")."""
    wanted = term.split(" ")
    found = words(f"{paper.title} {paper.abstract}")
    for start in range(len(found)):
        window = [w for w in found[start : start + 2 * len(wanted)] if w not in STOP_WORDS][: len(wanted)]
        if [stem(w) for w in window] == wanted:
            return " ".join(window)
    return term


def _collection_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise CollectionError("a collection needs a name")
    if len(name) > MAX_COLLECTION_NAME:
        raise CollectionError(f"a collection's name has at most {MAX_COLLECTION_NAME} characters")
    return name


def _note(note: str | None) -> str | None:
    if note is not None and len(note) > MAX_NOTE:
        raise CollectionError(f"a note has at most {MAX_NOTE:,} characters")
    return note


class _StrictRejection(Exception):
    """A strict ingest met a bad record: roll the file back."""


def expand_paths(paths: Iterable[str | os.PathLike[str]], report: IngestReport) -> Iterator[str]:
    """Files from paths, folders (recursively, hidden files skipped) and glob patterns."""
    for raw in paths:
        path = str(raw)
        if path == "-":
            yield path
            continue
        if os.path.isdir(path):
            for folder, subfolders, files in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield os.path.join(folder, name)
            continue
        if not os.path.exists(path) and glob.has_magic(path):
            matched = sorted(glob.glob(path, recursive=True))
            if not matched:
                report.failed_files.append(BadRecord(path, "no file matches this pattern"))
            yield from (m for m in matched if os.path.isfile(m))
            continue
        if not os.path.exists(path):
            report.failed_files.append(BadRecord(path, "no such file or folder"))
            continue
        yield path


def configured_aliases() -> Aliases:
    """The shipped alias table, extended by the user's file (the `aliases` setting, else
    aliases.toml beside the configuration file when there is one)."""
    chosen = setting("aliases")
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise PapersiftError(f"{path}: no such alias file (the aliases setting names it)")
        return Aliases.load(path)
    beside = config_path().with_name("aliases.toml")
    return Aliases.load(beside) if beside.is_file() else Aliases.load()
