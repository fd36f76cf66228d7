"""The Papers with Code archive: `links-between-papers-and-code.json` and `evaluation-tables.json`.

Papers with Code shut down in 2025; its last dumps are the history of code links and leaderboards
that papersift merges with what it extracts (curated rows win). Both files are one JSON array
(gzip or not):

- links: `{"paper_arxiv_id", "paper_url_abs", "paper_title", "repo_url", "is_official", ...}`;
  a row without an arXiv id cannot be tied to a paper and is reported.
- evaluation tables (the sota-extractor Task format): tasks with `datasets[]` (each with
  `sota.rows[]` of `{"paper_title", "paper_url", "paper_date", "model_name", "metrics":
  {name: "85.3%"}}`) and `subtasks[]` of the same shape. A metric value that is not one number
  ("(7.3, 13.8) on 2% ~ 10%", "-") is reported and skipped; the rest of the row is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO, Literal

import orjson

from papersift.errors import UnreadableInput
from papersift.ids import parse_arxiv_id
from papersift.records import BadRecord, CuratedLink, CuratedResult

Kind = Literal["links", "evaluation-tables"]
# One number, optionally signed, with thousands separators and a trailing % ("85.3%", "1,024").
_VALUE = re.compile(r"\s*([-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*%?\s*")


def read(stream: BinaryIO, origin: str) -> tuple[Kind, Iterator[CuratedLink | CuratedResult | BadRecord]]:
    """Which of the two files this is, and its rows; raises `UnreadableInput` for anything else."""
    try:
        data = orjson.loads(stream.read())
    except orjson.JSONDecodeError as error:
        raise UnreadableInput(f"{origin}: not JSON ({error})") from None
    if not isinstance(data, list):
        raise UnreadableInput(f"{origin}: expected a JSON array of Papers with Code rows")
    first = next((item for item in data if isinstance(item, dict)), {})
    if "repo_url" in first:
        return "links", _links(data, origin)
    if "datasets" in first or "task" in first:
        return "evaluation-tables", _tables(data, origin, [])
    raise UnreadableInput(
        f"{origin}: neither links-between-papers-and-code.json (rows with repo_url) nor "
        "evaluation-tables.json (tasks with datasets)"
    )


def _links(data: list[Any], origin: str) -> Iterator[CuratedLink | BadRecord]:
    for number, row in enumerate(data, start=1):
        place = f"{origin}: row {number}"
        if not isinstance(row, dict) or not row.get("repo_url"):
            yield BadRecord(place, "no repo_url")
            continue
        found = parse_arxiv_id(row.get("paper_arxiv_id")) or parse_arxiv_id(row.get("paper_url_abs"))
        if found is None:
            yield BadRecord(place, f"no arXiv id for {str(row.get('paper_title') or '?')[:80]!r}")
            continue
        yield CuratedLink(found[0], str(row["repo_url"]), bool(row.get("is_official")))


def _tables(tasks: list[Any], origin: str, path: list[str]) -> Iterator[CuratedResult | BadRecord]:
    for task in tasks:
        if not isinstance(task, dict):
            continue
        name = str(task.get("task") or "")
        for dataset in task.get("datasets") or []:
            if isinstance(dataset, dict):
                yield from _dataset_rows(dataset, name, f"{origin}: {' / '.join([*path, name])}")
        yield from _tables(task.get("subtasks") or [], origin, [*path, name])


def _dataset_rows(dataset: dict[str, Any], task: str, place: str) -> Iterator[CuratedResult | BadRecord]:
    dataset_name = str(dataset.get("dataset") or "").strip()
    rows = (dataset.get("sota") or {}).get("rows") or []
    for number, row in enumerate(rows, start=1):
        where = f"{place} / {dataset_name}: row {number}"
        if not dataset_name or not isinstance(row, dict):
            yield BadRecord(where, "no dataset name" if not dataset_name else "not an object")
            continue
        paper_url = str(row.get("paper_url") or "").strip() or None
        found = parse_arxiv_id(paper_url)
        title = str(row.get("paper_title") or "").strip()
        if not title or title == paper_url:  # the scraper put the URL where the title goes
            title = str(row.get("model_name") or "").strip() or (paper_url or "")
        for metric, written in (row.get("metrics") or {}).items():
            value = parse_value(str(written))
            if value is None:
                yield BadRecord(where, f"{metric}: {str(written)[:60]!r} is not one number")
                continue
            yield CuratedResult(
                arxiv_id=found[0] if found else None,
                paper_title=title,
                paper_url=paper_url,
                task=task,
                dataset=dataset_name,
                metric=str(metric).strip(),
                value=value,
                value_text=str(written).strip(),
                model=str(row.get("model_name") or "").strip() or None,
                published=str(row.get("paper_date") or "")[:10] or None,
            )


def parse_value(text: str) -> float | None:
    """The number of a published metric value ("85.3%", "1,024", "0.91"), or None."""
    match = _VALUE.fullmatch(text)
    if match is None:
        return None
    return float(match.group(1).replace(",", ""))
