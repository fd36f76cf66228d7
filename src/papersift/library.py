"""The `Library`: the whole engine as one Python API; the CLI and the web app are faces of it.

    lib = Library.open("papers.db")          # creates the file if missing
    report = lib.ingest(["refs.bib", "arxiv/"])
    for hit in lib.search("graph neural networks author:kipf", limit=5):
        print(hit.id, hit.score, hit.paper.title)

The store (SQL) holds the truth; the keyword index beside it is a cache rebuilt or brought up
to date from the store's change sequence whenever it is stale.
"""

from __future__ import annotations

import glob
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, Literal

from papersift import sources
from papersift.errors import PaperNotFound, PapersiftError, UnreadableInput
from papersift.exports import export_lines
from papersift.harvest import API_BASE_URL, OAI_BASE_URL, PoliteClient, harvest_api, harvest_oai
from papersift.ids import parse_arxiv_id, title_key
from papersift.merge import may_be_same, merge
from papersift.records import BadRecord, Hit, IngestReport, Paper
from papersift.search.keyword import IndexedPaper, KeywordIndex
from papersift.search.query import Query, parse_query
from papersift.search.snippets import contains_phrase, make_snippet
from papersift.search.tokens import words
from papersift.settings import default_database_path
from papersift.store import Store, open_store

INGEST_BATCH = 2000
SearchMode = Literal["keyword"]
ProgressCallback = Callable[[str, int], None]  # (origin, records read so far in it)


class SearchResults(list[Hit]):
    """Hits of one page, with the number of all matches (`total`) and the parsed query."""

    def __init__(self, hits: Iterable[Hit], *, total: int, query: Query, offset: int) -> None:
        super().__init__(hits)
        self.total = total
        self.query = query
        self.offset = offset


@dataclass
class _Entry:
    """A paper being merged within one ingest batch."""

    pk: int | None
    paper: Paper
    old_ids: set[str]
    dirty: bool


class Library:
    """papersift's engine. Open with `Library.open(path)`; close (or use `with`) when done."""

    def __init__(self, store: Store, index_dir: Path) -> None:
        self.store = store
        self.index_dir = index_dir
        self._keyword: KeywordIndex | None = None

    @classmethod
    def open(cls, location: str | os.PathLike[str] | None = None) -> Library:
        """Open the library at a path (created if missing); None means the user's default."""
        path = Path(location) if location is not None else default_database_path()
        store = open_store(path)
        return cls(store, path.with_name(path.name + "-index"))

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
    ) -> IngestReport:
        """Import files, folders, glob patterns or "-" (stdin); see `IngestReport` for counts.

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
        self.refresh_index(on_progress)
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
                    self._write_batch(batch, report)
                    batch = []
                    if on_progress:
                        on_progress(origin, seen)
        finally:
            # Records read before an unreadable part of the input are kept (unless strict,
            # where the enclosing transaction rolls them back).
            if batch:
                self._write_batch(batch, report)
            if on_progress:
                on_progress(origin, seen)

    def _write_batch(self, batch: list[Paper], report: IngestReport) -> None:
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
            for paper in batch:
                entry = self._match(keyed, paper)
                if entry is None:
                    entry = _Entry(None, paper, set(), dirty=True)
                    entries.append(entry)
                    report.added += 1
                else:
                    merged = merge(entry.paper, paper)
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

    # -- keyword index ---------------------------------------------------------------------

    def refresh_index(self, on_progress: ProgressCallback | None = None) -> int:
        """Bring the keyword index up to date with the store; returns how many papers changed."""
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
            self._keyword = KeywordIndex.load(self._keyword_path) or KeywordIndex()
        if refresh:
            self.refresh_index()
        return self._keyword

    # -- search and lookup -----------------------------------------------------------------

    def search(
        self,
        text: str = "",
        mode: SearchMode = "keyword",
        limit: int = 10,
        offset: int = 0,
        *,
        author: str | None = None,
        category: str | None = None,
        year: int | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> SearchResults:
        """Papers matching a query (see `papersift.search.query` for its syntax), best first.

        Keyword arguments add filters to those written in the query text.
        """
        if mode != "keyword":
            raise PapersiftError(f"unknown search mode {mode!r}; this library supports 'keyword'")
        limit = max(0, min(int(limit), 1000))
        offset = max(0, int(offset))
        query = parse_query(text)
        if author and words(author):
            query.authors.append(words(author))
        if category:
            query.categories.append(category)
        if year:
            date_from = max(filter(None, [date_from, date(year, 1, 1)]))
            date_to = min(filter(None, [date_to, date(year, 12, 31)]))
        if date_from and (query.date_from is None or date_from > query.date_from):
            query.date_from = date_from
        if date_to and (query.date_to is None or date_to < query.date_to):
            query.date_to = date_to
        if limit == 0:
            return SearchResults([], total=0, query=query, offset=offset)
        index = self._keyword_index()
        matches = index.search(query, limit=limit, offset=offset, phrase_check=self._check_phrases)
        papers = self.store.papers_by_pk(matches.pks)
        wanted = query.highlight_terms
        hits = []
        for pk, score in zip(matches.pks, matches.scores, strict=True):
            paper = papers[pk]
            snippet, highlights = make_snippet(paper.abstract, wanted)
            hits.append(Hit(paper, score, snippet, tuple(highlights)))
        return SearchResults(hits, total=matches.total, query=query, offset=offset)

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
        pk = self.store.pk_of(paper_id.strip())
        if pk is None:
            parsed = parse_arxiv_id(paper_id)
            pk = self.store.pk_of(parsed[0]) if parsed else None
        if pk is None:
            raise PaperNotFound(f"no paper with id {paper_id!r}")
        return self.store.papers_by_pk([pk])[pk]

    def papers(self) -> Iterator[Paper]:
        """Every paper, in the order they were first imported."""
        for item in self.store.iter_papers():
            yield item.paper

    def stats(self) -> dict[str, Any]:
        return self.store.stats()

    def export(self, format_name: str = "jsonl") -> Iterator[str]:
        """Every paper as export text (`jsonl` or `bibtex`), chunk by chunk."""
        return export_lines(self.papers(), format_name)

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


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


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
