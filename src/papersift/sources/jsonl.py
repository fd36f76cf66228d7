"""Read JSON Lines (or one JSON array of objects): arXiv dumps, other tools' exports, our own.

Three shapes are told apart by their keys, record by record:

- the arXiv bulk metadata snapshot (Kaggle): `authors_parsed`, `versions` (source "arxiv-snapshot");
- daily arXiv crawls: `first_seen_date`, `authors`/`categories` as lists (source "arxiv");
- anything else with at least `id` and `title`, which includes papersift's own export (the
  `Paper` fields as JSON) and reads back to an equal paper (source "jsonl", or the record's own
  `source` when it names one).

This reader is on the ingest hot path, so lines are parsed as bytes by orjson (about 2.5 times
faster than `json` here) and the slow, friendly diagnosis (UTF-8 position, the standard library's
wording of a syntax error) is paid only for lines that fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any, BinaryIO

import orjson

from papersift import text
from papersift.errors import UnreadableInput
from papersift.ids import is_hashed_id, normalise_doi, parse_arxiv_id
from papersift.records import BadRecord, Paper
from papersift.sources.common import make_paper

_BOM = b"\xef\xbb\xbf"
_LIST_SEPARATOR = re.compile(r"\s*[;,]\s*")
_TYPE_NAMES = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number",
               bool: "a boolean", type(None): "null"}  # fmt: skip


class _FieldError(Exception):
    """A field of the wrong type; caught per record and turned into a `BadRecord`."""


def read(stream: BinaryIO, origin: str) -> Iterator[Paper | BadRecord]:
    """Papers from JSON Lines, one object a line; a whole-file JSON array is read as well."""
    first, first_lineno = stream.readline(), 1
    while first and not first.strip():
        first, first_lineno = stream.readline(), first_lineno + 1
    if not first:
        return
    if first.startswith(_BOM):
        first = first[len(_BOM) :]
    lines: Iterable[bytes]
    if first.lstrip().startswith(b"["):
        content = first + stream.read()
        items = _json_array(content)
        if items is not None:
            for number, item in enumerate(items, 1):
                yield _record(item, f"{origin}: item {number}")
            return
        # Not one array: JSON Lines whose first line happens to be a list.
        lines = content.splitlines(keepends=True)
    else:
        lines = _chain(first, stream)
    loads = orjson.loads
    for lineno, line in enumerate(lines, first_lineno):
        try:
            value = loads(line)
        except orjson.JSONDecodeError as error:
            if line.strip():
                yield BadRecord(f"{origin}:{lineno}", _why_not_json(line, error))
            continue
        yield _record(value, f"{origin}:{lineno}")


def _chain(first: bytes, rest: BinaryIO) -> Iterator[bytes]:
    yield first
    yield from rest


def _json_array(content: bytes) -> list[Any] | None:
    """The items of `content` if it is one JSON array; None if it is JSON Lines instead.

    Raises `UnreadableInput` if it is neither: a broken array would otherwise be reported as
    one bad record per line.
    """
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError as error:
        first_line = content.split(b"\n", 1)[0]
        try:
            orjson.loads(first_line)
        except orjson.JSONDecodeError:
            raise UnreadableInput(
                f"not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
            ) from None
        return None
    return value if isinstance(value, list) else None


def _why_not_json(line: bytes, error: orjson.JSONDecodeError) -> str:
    try:
        decoded = line.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"not valid UTF-8 (byte 0x{line[bad.start]:02x} at byte {bad.start + 1} of the line)"
    try:
        json.loads(decoded)
    except json.JSONDecodeError as std:
        # The standard library's wording is the one users know from tracebacks and `jq`.
        return f"not valid JSON ({std.msg} at column {std.colno})"
    return f"not valid JSON ({error.msg} at column {error.colno})"


def _record(value: Any, place: str) -> Paper | BadRecord:
    if not isinstance(value, dict):
        return BadRecord(place, f"expected a JSON object, got {_type_name(value)}")
    try:
        if "authors_parsed" in value or "versions" in value:
            return _snapshot_record(value, place)
        if "first_seen_date" in value:
            return _crawl_record(value, place)
        return _generic_record(value, place)
    except _FieldError as error:
        return BadRecord(place, str(error))


def _snapshot_record(record: dict[str, Any], place: str) -> Paper | BadRecord:
    """The Kaggle arXiv snapshot: TeX in `authors`, Unicode in `authors_parsed`, RFC-1123 versions."""
    parsed = record.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        authors = [_parsed_name(name) for name in parsed]
    else:
        authors = text.split_authors(_string(record, "authors") or "")
    published, updated, version = _versions(record.get("versions"))
    return make_paper(
        place,
        source="arxiv-snapshot",
        title=_string(record, "title"),
        abstract=_string(record, "abstract"),
        authors=authors,
        categories=(_string(record, "categories") or "").split(),
        published=published,
        updated=updated or _string(record, "update_date"),
        arxiv_id=_string(record, "id"),
        version=version,
        doi=_string(record, "doi"),
        comment=_string(record, "comments"),
        journal_ref=_string(record, "journal-ref"),
    )


def _parsed_name(name: Any) -> str:
    if not isinstance(name, list) or not all(isinstance(part, str) for part in name):
        raise _FieldError(f"field 'authors_parsed' holds {_type_name(name)}, not [last, first, suffix]")
    last, first, suffix = [*name, "", "", ""][:3]
    return " ".join(part for part in (first, last, suffix) if part)


def _versions(versions: Any) -> tuple[date | None, date | None, int | None]:
    """(first version's date, latest version's date, latest version number)."""
    if versions is None:
        return None, None, None
    if not isinstance(versions, list):
        raise _FieldError(f"field 'versions' must be a list, got {_type_name(versions)}")
    dated: list[tuple[int, date | None]] = []
    for entry in versions:
        if not isinstance(entry, dict):
            raise _FieldError(f"field 'versions' must hold objects, got {_type_name(entry)}")
        label, created = entry.get("version"), entry.get("created")
        if not isinstance(label, str) or not label.lstrip("vV").isdigit():
            raise _FieldError(f"field 'versions' has a version that is not like 'v2': {label!r}")
        dated.append(
            (int(label.lstrip("vV")), text.parse_date(created) if isinstance(created, str) else None)
        )
    if not dated:
        return None, None, None
    dated.sort(key=lambda pair: pair[0])
    return dated[0][1], dated[-1][1], dated[-1][0]


def _crawl_record(record: dict[str, Any], place: str) -> Paper | BadRecord:
    """Daily arXiv crawls: lists of authors and categories, `first_seen_date` as the date."""
    return make_paper(
        place,
        source="arxiv",
        title=_string(record, "title"),
        abstract=_string(record, "abstract"),
        authors=_names(record, "authors"),
        categories=_terms(record, "categories", separator=None),
        published=_string(record, "first_seen_date"),
        arxiv_id=_string(record, "id"),
        doi=_string(record, "doi"),
        abs_url=_string(record, "abs_url"),
        pdf_url=_string(record, "pdf_url"),
        comment=_string(record, "comment"),
    )


def _generic_record(record: dict[str, Any], place: str) -> Paper | BadRecord:
    """Any JSON Lines with `id` and `title`, papersift's own export among them."""
    if "id" not in record:
        return BadRecord(place, "missing field 'id'")
    raw_id = record["id"]
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    if not isinstance(raw_id, str):
        raise _FieldError(f"field 'id' must be a string, got {_type_name(raw_id)}")
    arxiv_id = _string(record, "arxiv_id")
    doi = _string(record, "doi")
    source_id: str | None = None
    if arxiv_id is None and parse_arxiv_id(raw_id):
        arxiv_id = raw_id
    elif raw_id.startswith("10.") or "doi.org/" in raw_id:
        doi = doi or raw_id
    # Our own export writes the id it derived (arXiv id, DOI or title hash); only a foreign id is
    # the source's own, else reading an export back would not give an equal paper.
    elif (
        not is_hashed_id(raw_id)
        and raw_id != arxiv_id
        and not (doi and normalise_doi(raw_id) == normalise_doi(doi))
    ):
        source_id = raw_id
    version = record.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise _FieldError(f"field 'version' must be a whole number, got {_type_name(version)}")
    source = record.get("source")
    return make_paper(
        place,
        source=source if isinstance(source, str) and source else "jsonl",
        title=_string(record, "title"),
        abstract=_string(record, "abstract"),
        authors=_names(record, "authors"),
        categories=_terms(record, "categories", separator=None),
        published=_date(record),
        updated=_string(record, "updated"),
        arxiv_id=arxiv_id,
        version=version,
        doi=doi,
        source_id=source_id,
        abs_url=_string(record, "abs_url") or _string(record, "url"),
        pdf_url=_string(record, "pdf_url"),
        comment=_string(record, "comment"),
        journal_ref=_string(record, "journal_ref"),
        keywords=_terms(record, "keywords", separator=_LIST_SEPARATOR),
    )


_MISSING_WORDS = frozenset({"", "none", "null", "nan", "n/a", "unknown"})


def _date(record: dict[str, Any]) -> date | str | None:
    for key in ("published", "date"):
        value = _string(record, key)
        if value:
            return value
    year = record.get("year")
    # Exports written from Python or pandas spell a missing year "None" or "nan": missing, not bad.
    if year is None or (isinstance(year, str) and year.strip().casefold() in _MISSING_WORDS):
        return None
    if isinstance(year, str) and year.strip().isdigit():
        year = int(year)
    if not isinstance(year, int) or isinstance(year, bool) or not 1 <= year <= 9999:
        raise _FieldError(f"field 'year' must be a year like 2024, got {year!r}")
    return date(year, 1, 1)


def _string(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _FieldError(f"field {key!r} must be a string, got {_type_name(value)}")


def _names(record: dict[str, Any], key: str) -> list[str]:
    value = record.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return text.split_authors(value)
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return value
    raise _FieldError(f"field {key!r} must be a list of names or a string, got {_describe_list(value)}")


def _terms(record: dict[str, Any], key: str, separator: re.Pattern[str] | None) -> list[str]:
    """A list of strings, or one string split by `separator` (whitespace when None)."""
    value = record.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return separator.split(value) if separator else value.split()
    if isinstance(value, list) and all(isinstance(term, str) for term in value):
        return value
    raise _FieldError(f"field {key!r} must be a list of strings or a string, got {_describe_list(value)}")


def _type_name(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _describe_list(value: object) -> str:
    if isinstance(value, list):
        odd = next(item for item in value if not isinstance(item, str))
        return f"a list holding {_type_name(odd)}"
    return _type_name(value)
