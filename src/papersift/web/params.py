"""Parameters as the faces receive them, checked once: the search form, pages, dates, flags.

Every search the site offers (the search page, the search feeds, `/api/search`) is one
`SearchForm`: the query text, the mode, the filters and which page of results. The HTML page and
the feeds read it from strings (`search_form`), so that a bad value is a 400 naming the
parameter, which the error page shows; the JSON API lets FastAPI check the types (a 422 listing
the parameters, as OpenAPI describes them) and builds the form from its typed values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import HTTPException

from papersift.library import SEARCH_MODES, Library, SearchMode, SearchResults
from papersift.web.render import parse_flag

MAX_PAGE = 1000  # deeper pages are no use to a reader and cost the server
MAX_QUERY = 2_000  # characters: a long paragraph is a fine query, a megabyte is not
MAX_NAME = 200  # an author's name or a category code


def bad(reason: str) -> HTTPException:
    return HTTPException(status_code=400, detail=reason)


def page_number(value: str) -> int:
    try:
        number = int(value.strip() or "1")
    except ValueError:
        raise bad(f"page must be a number, not {value[:40]!r}") from None
    if not 1 <= number <= MAX_PAGE:
        raise bad(f"page must be between 1 and {MAX_PAGE}")
    return number


def day(value: str | None, name: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise bad(f"{name} must be a date like 2026-07-01, not {value[:40]!r}") from None


def choice(value: str, choices: tuple[str, ...], name: str) -> str:
    if value not in choices:
        raise bad(f"{name} must be one of {', '.join(choices)}")
    return value


def flag(value: str, name: str) -> bool:
    parsed = parse_flag(value)
    if parsed is None:
        raise bad(f"{name} must be 1 or 0")
    return parsed


def text(value: str, name: str, limit: int = MAX_QUERY) -> str:
    if len(value) > limit:
        raise bad(f"{name} is too long (at most {limit:,} characters)")
    return value.strip()


def search_mode(value: str) -> SearchMode:
    for mode in SEARCH_MODES:
        if value == mode:
            return mode
    raise bad(f"mode must be one of {', '.join(SEARCH_MODES)}")


@dataclass(frozen=True)
class SearchForm:
    """A search as asked: text, mode, filters (empty: none) and the page of results."""

    text: str = ""
    mode: SearchMode = "hybrid"
    author: str = ""
    category: str = ""
    date_from: date | None = None
    date_to: date | None = None
    has_code: bool = False
    limit: int = 10
    offset: int = 0

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1 if self.limit else 1

    @property
    def asked(self) -> bool:
        """Whether anything was asked (a form of nothing shows tips rather than every paper)."""
        return any([self.text, self.category, self.author, self.date_from, self.date_to, self.has_code])

    def require_dates_in_order(self) -> SearchForm:
        """The form, or a 400 when its dates exclude every paper (from after to)."""
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise bad(f"from ({self.date_from}) is after to ({self.date_to})")
        return self

    def search(self, library: Library, *, snippets: bool = True) -> SearchResults:
        return library.search(
            self.text,
            self.mode,
            self.limit,
            self.offset,
            author=self.author or None,
            category=self.category or None,
            date_from=self.date_from,
            date_to=self.date_to,
            has_code=self.has_code,
            snippets=snippets,
        )


def search_form(
    q: str = "",
    mode: str = "hybrid",
    author: str = "",
    category: str = "",
    date_from: str = "",
    date_to: str = "",
    has_code: str = "",
    page: str = "1",
    *,
    limit: int,
    name_limit: int = MAX_NAME,
) -> SearchForm:
    """The search the strings of a request ask for (`limit` results a page), or a 400 naming the
    first bad parameter. `name_limit`: characters of the author and category filters."""
    asked_text = text(q, "the query")
    asked_mode = search_mode(mode)
    asked_author, asked_category = text(author, "author", name_limit), text(category, "category", name_limit)
    first, last = day(date_from, "from"), day(date_to, "to")
    number = page_number(page)
    return SearchForm(
        asked_text,
        asked_mode,
        asked_author,
        asked_category,
        first,
        last,
        flag(has_code, "has_code"),
        limit,
        (number - 1) * limit,
    )
