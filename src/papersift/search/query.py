"""The query language of keyword search, parsed into a `Query`; any text is a valid query.

    graph neural networks            terms, ranked by BM25 (any term may match)
    "graph neural network" pruning   a quoted phrase must match; unquoted terms rank
    transform*                       prefix of a word
    -survey                          papers with the word are excluded
    author:hinton  author:"Yann LeCun"  au:lecun
    cat:cs.CV  cat:cs                category, or a whole archive
    year:2024  year:2021..2024
    after:2025-01-01  before:2025-06-30  date:2025-01..2025-03
    has:code                         papers with a code repository

Anything that does not parse as an operator is text: a stray quote, parentheses, `NEAR`, a
filter with a bad value (`year:abc`), a 300-word paragraph. Parsing never raises.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

from papersift.search.tokens import STOP_WORDS, fold, stem, words

_TOKEN = re.compile(r'(?P<neg>-)?(?:(?P<key>[A-Za-z]+):)?(?:"(?P<quoted>[^"]*)"?|(?P<bare>[^\s"]+))')
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
_AUTHOR_KEYS = frozenset({"author", "au", "by"})
_CATEGORY_KEYS = frozenset({"cat", "category"})


@dataclass
class Query:
    """A parsed query: ranking terms, required phrases and filters."""

    text: str = ""
    terms: list[str] = field(default_factory=list)  # stemmed, in order, repeats kept
    prefixes: list[str] = field(default_factory=list)  # folded, unstemmed
    phrases: list[list[str]] = field(default_factory=list)  # folded words, stop words kept
    excluded: list[str] = field(default_factory=list)  # stemmed
    authors: list[list[str]] = field(default_factory=list)  # each: folded name words, all required
    categories: list[str] = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    has_code: bool = False
    # What the query means, for semantic search: its words as typed, without filters, exclusions,
    # operators, quotes or prefix stars.
    meaning_parts: list[str] = field(default_factory=list)

    @property
    def meaning_text(self) -> str:
        return " ".join(self.meaning_parts)

    @property
    def has_text(self) -> bool:
        return bool(self.terms or self.prefixes or self.phrases)

    @property
    def highlight_terms(self) -> set[str]:
        return set(self.terms) | {t for phrase in self.phrases for t in phrase_terms(phrase)}


def phrase_terms(phrase: list[str]) -> list[str]:
    """The index terms of a phrase's words (what a paper must hold to possibly contain it)."""
    return [stem(w) for w in phrase if w not in STOP_WORDS]


def parse_query(text: str) -> Query:
    """Parse what a user typed; never raises."""
    query = Query(text=text)
    for match in _TOKEN.finditer(text or ""):
        negated, key, quoted, bare = (
            match.group("neg"),
            match.group("key"),
            match.group("quoted"),
            match.group("bare"),
        )
        value = quoted if quoted is not None else (bare or "")
        if key and _apply_filter(query, key.lower(), value):
            continue
        if key:  # not a filter we know: the whole token is text ("re:invent", "arXiv:2401.01234")
            value = f"{key}:{value}"
        if not negated and value not in _OPERATORS:
            query.meaning_parts.append(value.rstrip("*") if quoted is None else value.strip())
        if quoted is not None:
            quoted_words = words(value)
            content = phrase_terms(quoted_words)
            if negated:
                query.excluded.extend(content)
            elif len(quoted_words) > 1 and content:
                query.phrases.append(quoted_words)
            else:
                query.terms.extend(content)
            continue
        if value in _OPERATORS:
            continue
        if value.endswith("*") and not negated:
            stem_part = fold(value.rstrip("*"))
            if re.fullmatch(r"[^\W_]{2,}", stem_part):
                query.prefixes.append(stem_part)
                continue
        found = [stem(w) for w in words(value) if w not in STOP_WORDS]
        (query.excluded if negated else query.terms).extend(found)
    return query


def _apply_filter(query: Query, key: str, value: str) -> bool:
    """Apply `key:value` to the query; False if it is not a valid filter (then it is text)."""
    value = value.strip()
    if not value:
        return False
    if key in _AUTHOR_KEYS:
        name = words(value)
        if not name:
            return False
        query.authors.append(name)
        return True
    if key in _CATEGORY_KEYS:
        query.categories.append(value)
        return True
    if key == "has":
        if value.lower() != "code":
            return False
        query.has_code = True
        return True
    if key == "year":
        span = _parse_range(value, _year_bounds)
    elif key in ("after", "since", "from"):
        span = _parse_range(value + "..", _date_bounds)
    elif key in ("before", "until", "to"):
        span = _parse_range(".." + value, _date_bounds)
    elif key == "date":
        span = _parse_range(value, _date_bounds)
    else:
        return False
    if span is None:
        return False
    low, high = span
    if low and (query.date_from is None or low > query.date_from):
        query.date_from = low
    if high and (query.date_to is None or high < query.date_to):
        query.date_to = high
    return True


def _parse_range(value: str, bounds: object) -> tuple[date | None, date | None] | None:
    parse = bounds  # (text) -> (first day, last day) | None
    if ".." in value:
        low_text, _, high_text = value.partition("..")
        low = parse(low_text) if low_text else (None, None)  # type: ignore[operator]
        high = parse(high_text) if high_text else (None, None)  # type: ignore[operator]
        if low is None or high is None:
            return None
        return low[0], high[1]
    single = parse(value)  # type: ignore[operator]
    return single  # type: ignore[no-any-return]


def _year_bounds(text: str) -> tuple[date, date] | None:
    if not re.fullmatch(r"\d{4}", text):
        return None
    year = int(text)
    return date(year, 1, 1), date(year, 12, 31)


def _date_bounds(text: str) -> tuple[date, date] | None:
    """'2025' / '2025-03' / '2025-03-18' -> the first and last day they cover."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text)
    if not match:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        return date(year, month, day), date(year, month, day)
    except ValueError:
        return None
