"""Importing the Papers with Code archive: code links and leaderboard rows curated by people,
kept apart from what papersift extracts (and winning over it)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from papersift import sources
from papersift.errors import UnreadableInput
from papersift.extract.code_links import normalise_repository
from papersift.ingest.pipeline import Ingester
from papersift.records import BadRecord, CuratedImport, CuratedLink, CuratedResult
from papersift.sources import paperswithcode


def import_paperswithcode(ingester: Ingester, paths: Iterable[str | os.PathLike[str]]) -> CuratedImport:
    """Import Papers with Code's `links-between-papers-and-code.json` and `evaluation-tables.json`
    (either, in any order, gzip or not). Their rows are kept apart from what papersift
    extracts and win over it; importing a file again updates its rows."""
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
        added_links, added_results = ingester.store.save_curated(links, results)
        done.files.append((origin, kind))
        done.links += added_links
        done.results += added_results
    ingester.refresh_index(embed=False)
    return done
