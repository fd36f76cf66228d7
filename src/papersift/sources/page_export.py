"""Read text exports of paper listing pages (a trending page saved as text) into papers.

The shape: some lines of site chrome ("new", "Subscribe", a date like "Mar 11"), then per paper
a title line, a blank line, the abstract on one line, a blank line. Such exports carry no
authors, ids or usable dates (the header date has no year), so papers get title-hash ids.

The chrome is not counted but recognised: it ends at the first title line followed by a long
abstract line, and lines from a small list of known chrome are skipped anywhere. After that,
lines pair up as title and abstract by their look: an abstract is longer than any title, or is
prose not followed by such a long line (which would make it the next paper's title). A line that
pairs with nothing is a `BadRecord` and reading goes on from the next line, so one broken block
costs only itself. A missing blank line between title and abstract loses nothing: tolerated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from papersift.records import BadRecord, Paper
from papersift.sources.common import make_paper

# Long enough that no site chrome and hardly any title reaches it; real abstracts are >= 500.
_FIRST_ABSTRACT_CHARS = 200
_MAX_TITLE_CHARS = 300
_MIN_PROSE_CHARS = 80
_KNOWN_CHROME = frozenset(
    ("new", "get trending papers in your email inbox!", "subscribe", "byak and the research community",
     "trending papers", "daily papers", "upvote", "submit", "sign in", "sign up", "join the community")
)  # fmt: skip
_HEADER_DATE = re.compile(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}(?:, \d{4})?", re.I
)
# Two sentences: an end mark followed by a capital, and an end mark at the end of the line.
_SENTENCES = re.compile(r"[.!?]\s+[A-Z(].*[.!?)]\s*$")

_Line = tuple[int, str, bool]  # line number, text, whether its bytes were valid UTF-8


def read(stream: BinaryIO, origin: str) -> Iterator[Paper | BadRecord]:
    """Papers from a listing-page text export; chrome skipped, broken blocks reported."""
    lines = list(_content_lines(stream))
    start = _first_paper(lines)
    index = start
    while index < len(lines):
        lineno, title, title_ok = lines[index]
        place = f"{origin}:{lineno}"
        if _is_long(title):
            yield BadRecord(place, "an abstract with no title line before it")
            index += 1
        elif not _abstract_follows(lines, index):
            yield BadRecord(place, f"a title with no abstract after it: {_excerpt(title)}")
            index += 1
        else:
            _, abstract, abstract_ok = lines[index + 1]
            if not (title_ok and abstract_ok):
                yield BadRecord(place, "not valid UTF-8 (is the export in another encoding?)")
            else:
                yield make_paper(place, source="page-export", title=title, abstract=abstract)
            index += 2


def _content_lines(stream: BinaryIO) -> Iterator[_Line]:
    """The non-blank lines that are not known chrome, with their line numbers."""
    for lineno, raw in enumerate(stream, 1):
        try:
            line, valid = raw.decode("utf-8"), True
        except UnicodeDecodeError:
            line, valid = raw.decode("utf-8", errors="replace"), False
        line = line.strip().lstrip("\ufeff")
        if line and line.lower() not in _KNOWN_CHROME:
            yield lineno, line, valid


def _first_paper(lines: list[_Line]) -> int:
    """Index where the chrome ends: the title line before the first long abstract line."""
    for index, (_, line, _) in enumerate(lines):
        if len(line) >= _FIRST_ABSTRACT_CHARS:
            before = lines[index - 1][1] if index else None
            if before is None or _is_long(before) or _HEADER_DATE.fullmatch(before):
                return index  # the first paper lost its title: report it rather than skip it
            return index - 1
    # No long abstract anywhere: read from the start, skipping only the header date.
    return 1 if lines and _HEADER_DATE.fullmatch(lines[0][1]) else 0


def _is_long(line: str) -> bool:
    """Longer than any title: certainly an abstract."""
    return len(line) > _MAX_TITLE_CHARS


def _abstract_follows(lines: list[_Line], index: int) -> bool:
    """Whether the line after `index` is its abstract rather than the next paper's title."""
    if index + 1 >= len(lines):
        return False
    candidate = lines[index + 1][1]
    if _is_long(candidate):
        return True
    # A short abstract looks like prose; but if a long line follows it, it is a title instead.
    looks_like_prose = _SENTENCES.search(candidate) is not None or (
        len(candidate) >= _MIN_PROSE_CHARS and candidate.endswith(".")
    )
    return looks_like_prose and not (index + 2 < len(lines) and _is_long(lines[index + 2][1]))


def _excerpt(line: str) -> str:
    return repr(line if len(line) <= 80 else line[:77] + "...")
