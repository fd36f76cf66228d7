"""The import pipeline: records in, papers merged and written in batches, indexes caught up.

Each batch is matched against the papers already stored (same id, arXiv id or DOI, else the same
normalised title when `ingest.merge.may_be_same` agrees), merged field by field, and written in
one transaction with the code links and results found in its text (`ingest.findings`, on the
other core for a big import). A killed import leaves whole batches; running it again completes it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

from papersift import sources
from papersift.errors import UnreadableInput
from papersift.extract import Aliases
from papersift.ids import title_key
from papersift.ingest.findings import (
    Findings,
    FindingsPipeline,
    PendingFindings,
    find,
    texts_of,
    with_findings,
)
from papersift.ingest.merge import may_be_same, merge
from papersift.ingest.paths import expand_paths
from papersift.records import BadRecord, IngestReport, Paper
from papersift.search.indexes import Engine, Indexes, ProgressCallback
from papersift.search.semantic import EmbedProgress
from papersift.store import Store

INGEST_BATCH = 2000
# Raise when `papersift.extract` finds more or other things: the library re-reads every paper's
# code links and results once (`refresh_extraction`), without an import.
EXTRACTION_VERSION = "3"


@dataclass
class _Entry:
    """A paper being merged within one ingest batch."""

    pk: int | None
    paper: Paper
    old_ids: set[str]
    dirty: bool


class _StrictRejection(Exception):
    """A strict ingest met a bad record: roll the file back."""


class Ingester:
    """Imports into one library's store and keeps its indexes current."""

    def __init__(
        self,
        store: Store,
        indexes: Indexes,
        aliases: Callable[[], Aliases],
        *,
        batch: int = INGEST_BATCH,
        findings_worker_after: int | None = None,
    ) -> None:
        self.store = store
        self.indexes = indexes
        self._aliases = aliases  # loaded on first use: most commands never extract
        # Papers merged and committed per transaction, and how many batches an import reads before
        # a worker process finds code and results beside it (tests make both small).
        self.batch = batch
        self.findings_worker_after = findings_worker_after

    @property
    def aliases(self) -> Aliases:
        return self._aliases()

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
        local Ray, or the cluster at `ray_address`; `papersift.embed.distributed`).

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
        pipeline = FindingsPipeline(self.aliases, worker_after=self.findings_worker_after)
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
                if len(batch) >= self.batch:
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
        changed = self.indexes.refresh_keyword(on_progress)
        if embed:
            self.indexes.embed(report, on_embed, engine, ray_address)
        return changed

    def _with_extraction(self, paper: Paper) -> Paper:
        """The paper with the code links and results its own text gives (`papersift.ingest.findings`)."""
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
            if len(changed) >= self.batch:
                count += len(self.store.save_papers(changed))
                changed = []
            if on_progress and seen % 5000 == 0:
                on_progress("extract", seen)
        count += len(self.store.save_papers(changed))
        self.store.set_meta("extraction_version", version)
        return count

    def _extraction_version(self) -> str:
        return f"{EXTRACTION_VERSION}:{self.aliases.digest()}"
