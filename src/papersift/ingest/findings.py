"""What papers' own texts say about their code and results, found for ingest batches.

`papersift.extract` reads one text at a time; this module applies it to papers and, for a big
import, on the other core: while the importing process merges and writes one batch, a worker
process reads the next batch's texts. Extraction costs about a third of a bare import when done
inline (bench/bench_ingest.py --extraction-cost); overlapped, it costs the import next to
nothing where a second core is free. Small imports (under two batches) stay in-process: a
worker is not worth starting for them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace

from papersift.extract import Aliases, find_code_links, find_results
from papersift.processes import when_parent_dies
from papersift.records import Paper, ReportedResult

# (code urls, project urls, code promised, results) of one paper
Findings = tuple[tuple[str, ...], tuple[str, ...], bool, tuple[ReportedResult, ...]]
# (text as the source gave it, clean abstract, comment)
Texts = tuple[str, str, str | None]
PendingFindings = Future[list[Findings]] | list[Findings]

# A worker starts with an import's second batch: one batch is not worth a process.
WORKER_AFTER_BATCHES = 1

_worker_aliases: Aliases | None = None


def texts_of(paper: Paper) -> Texts:
    return (paper.abstract_raw or paper.abstract, paper.abstract, paper.comment)


def find(texts: Texts, aliases: Aliases) -> Findings:
    """Links from the text as the source gave it (a URL broken by arXiv's hard line breaks is
    joined again there); results from the clean text, so their evidence reads as the abstract
    shown."""
    raw, clean, comment = texts
    links = find_code_links(raw, comment)
    results = find_results(clean, aliases) if clean else ()
    return links.code_urls, links.project_urls, links.promised, results


def with_findings(paper: Paper, findings: Findings) -> Paper:
    held = (paper.code, paper.project_urls, paper.code_promised, paper.results)
    if findings == held:
        return paper  # most papers: nothing found, nothing held; no copy needed
    code, projects, promised, results = findings
    return replace(paper, code=code, project_urls=projects, code_promised=promised, results=results)


def _start_worker(aliases: Aliases) -> None:
    global _worker_aliases
    _worker_aliases = aliases
    # Ctrl-C is the importing process's to handle: it writes what it has read, then stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A killed importer cannot stop us: go with it rather than wait on its queue forever.
    when_parent_dies(lambda: os._exit(0))


def _find_all(batch: list[Texts]) -> list[Findings]:
    assert _worker_aliases is not None
    return [find(texts, _worker_aliases) for texts in batch]


class FindingsPipeline:
    """Findings of ingest batches: `submit` a batch as soon as it is read, `take` it when it is
    written. Runs in one worker process once an import has shown itself big (`worker_after`
    batches), in-process before that and wherever processes cannot be forked."""

    def __init__(self, aliases: Aliases, *, worker_after: int | None = None) -> None:
        self.aliases = aliases
        self.worker_after = WORKER_AFTER_BATCHES if worker_after is None else worker_after
        self._submitted = 0
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, batch: Sequence[Paper]) -> PendingFindings:
        self._submitted += 1
        if self._pool is None and self._submitted > self.worker_after:
            self._pool = _fork_pool(self.aliases)
        texts = [texts_of(paper) for paper in batch]
        if self._pool is None:
            return [find(item, self.aliases) for item in texts]
        return self._pool.submit(_find_all, texts)

    def take(self, batch: Sequence[Paper], pending: PendingFindings) -> list[Findings]:
        """The findings of a submitted batch; found here if the worker could not (it died)."""
        if isinstance(pending, list):
            return pending
        try:
            return pending.result()
        except Exception:  # a broken worker must not lose the batch: read it here
            return [find(texts_of(paper), self.aliases) for paper in batch]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _fork_pool(aliases: Aliases) -> ProcessPoolExecutor | None:
    # fork: the worker needs no imports and starts in milliseconds; it only runs regular
    # expressions over strings, so the importing process's threads (if any) do not matter.
    if "fork" not in multiprocessing.get_all_start_methods() or (os.cpu_count() or 1) < 2:
        return None
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(aliases,),
    )
