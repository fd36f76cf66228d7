"""The HTML pages: each route translates its parameters, asks the Library, renders a template.

Handlers are `async def` and call the Library directly (it is not thread-safe; the event loop
serialises it, see security.py). Parameters arrive as strings and are checked here, so a bad
value is a 400 page that says what was wrong, never a 500. htmx requests (`HX-Request`) get
the fragment they swap in; the same forms work without JavaScript as plain GETs and POSTs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift.errors import AccountError, ModelUnavailable, PaperNotFound, PapersiftError, TooManyAttempts
from papersift.extract import Metric
from papersift.feeds.periods import PERIODS
from papersift.leaderboards import BoardSummary, matching
from papersift.library import SEARCH_MODES, Library
from papersift.records import SESSION_DAYS, Paper, ReportedResult, User
from papersift.search.tokens import words
from papersift.web.render import leaderboard_path, paper_path, parse_flag, path_part
from papersift.web.security import SESSION_COOKIE, current_user, get_library
from papersift.web.templating import page

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

FEED_SIZE = 30
SEARCH_SIZE = 10
LIST_SIZE = 20
SIMILAR_SIZE = 6
MAX_PAGE = 1000  # deeper pages are no use to a reader and cost the server
MAX_QUERY = 2000  # characters: a long paragraph is a fine query, a megabyte is not
SORTS = ("trending", "date")
BOARDS_SIZE = 60  # datasets on a page of the list of leaderboards
BOARD_SIZE = 100  # rows of a leaderboard


# -- parameters -------------------------------------------------------------------------------


def _bad(reason: str) -> HTTPException:
    return HTTPException(status_code=400, detail=reason)


def _page_number(value: str) -> int:
    try:
        number = int(value.strip() or "1")
    except ValueError:
        raise _bad(f"page must be a number, not {value[:40]!r}") from None
    if not 1 <= number <= MAX_PAGE:
        raise _bad(f"page must be between 1 and {MAX_PAGE}")
    return number


def _day(value: str | None, name: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _bad(f"{name} must be a date like 2026-07-01, not {value[:40]!r}") from None


def _choice(value: str, choices: tuple[str, ...], name: str) -> str:
    if value not in choices:
        raise _bad(f"{name} must be one of {', '.join(choices)}")
    return value


def _flag(value: str, name: str) -> bool:
    flag = parse_flag(value)
    if flag is None:
        raise _bad(f"{name} must be 1 or 0")
    return flag


def _text(value: str, name: str) -> str:
    if len(value) > MAX_QUERY:
        raise _bad(f"{name} is too long (at most {MAX_QUERY:,} characters)")
    return value.strip()


def _local_path(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site: a redirect after sign-in must not leave it."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def _is_fragment_request(request: Request, target: str) -> bool:
    # A history restore asks for the whole page even though htmx sends it.
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-target") == target
        and request.headers.get("hx-history-restore-request") != "true"
    )


def _votes(library: Library, user: User | None, papers: list[Paper]) -> tuple[dict[str, int], set[str]]:
    """Upvote counts of papers, and which of them the user upvoted."""
    ids = [p.id for p in papers]
    counts = library.upvote_counts(ids) if ids else {}
    voted = library.upvoted_by(user, ids) if user and ids else set()
    return counts, voted


# -- feeds ------------------------------------------------------------------------------------


@router.get("/")
@router.get("/new")
async def home(
    request: Request,
    day_text: str | None = Query(None, alias="date"),
    period: str = "day",
    sort: str = "trending",
    page_text: str = Query("1", alias="page"),
    has_code_text: str = Query("", alias="has_code"),
) -> Response:
    library = get_library(request)
    day = _day(day_text, "date")
    # At "/", once members curate, the curated day (a week, a month, another sort, a page or
    # code only is every new paper, as always at "/new").
    every_new = (period, sort, page_text, has_code_text) != ("day", "trending", "1", "")
    if request.url.path == "/" and not every_new and library.curation.has_lists():
        return _curated_day(request, day)
    period = _choice(period, PERIODS, "period")
    sort = _choice(sort, SORTS, "sort")
    number = _page_number(page_text)
    has_code = _flag(has_code_text, "has_code")
    latest = library.latest_day()
    feed = library.daily(
        day or latest,
        period=period,  # type: ignore[arg-type]
        sort=sort,  # type: ignore[arg-type]
        limit=FEED_SIZE,
        offset=(number - 1) * FEED_SIZE,
        has_code=has_code,
    )
    user = current_user(request)
    voted = library.upvoted_by(user, [i.paper.id for i in feed.items]) if user else set()

    def link(**changes: Any) -> str:
        values: dict[str, Any] = {"date": (day or feed.first).isoformat(), "period": period, "sort": sort}
        if has_code:
            values["has_code"] = 1
        values.update(changes)
        # Served at "/" until members curate a day's list, and always at "/new".
        return f"{request.url.path}?" + urlencode(
            {name: value for name, value in values.items() if value is not None}
        )

    return page(
        request,
        "home.html",
        {
            "title": "Daily papers",
            "nav": "home",
            "feed": feed,
            "latest": latest,
            "voted": voted,
            "page": number,
            "page_size": FEED_SIZE,
            "pages": max(1, -(-feed.total // FEED_SIZE)),
            "previous_link": link(date=feed.previous_day.isoformat()) if feed.previous_day else None,
            "next_link": link(date=feed.next_day.isoformat()) if feed.next_day else None,
            "period_links": {p: link(period=p) for p in PERIODS},
            "sort_links": {s: link(sort=s) for s in SORTS},
            "has_code": has_code,
            "code_links": {"all": link(has_code=None), "code": link(has_code=1)},
            "page_link": lambda n: link(page=n),
            "day_value": (day or latest or feed.first).isoformat(),
        },
    )


def _curated_day(request: Request, day: date | None) -> Response:
    library = get_library(request)
    user = current_user(request)
    curated = library.curation.day(day, include_pending=bool(user and user.is_curator))
    _counts, voted = _votes(library, user, [entry.paper for entry in curated.entries])
    moderated = library.curation.mode == "moderated"
    context = {
        "title": "Curated papers",
        "nav": "home",
        "curated": curated,
        "voted": voted,
        "moderated": moderated,
    }
    return page(request, "daily.html", context)


@router.get("/trending")
async def trending(request: Request, page_text: str = Query("1", alias="page")) -> Response:
    library = get_library(request)
    number = _page_number(page_text)
    # One more than a page tells whether there is a next page.
    items = library.trending(limit=FEED_SIZE + 1, offset=(number - 1) * FEED_SIZE)
    user = current_user(request)
    shown = items[:FEED_SIZE]
    voted = library.upvoted_by(user, [i.paper.id for i in shown]) if user else set()
    return page(
        request,
        "trending.html",
        {
            "title": "Trending papers",
            "nav": "trending",
            "items": shown,
            "voted": voted,
            "page": number,
            "rank_offset": (number - 1) * FEED_SIZE,
            "has_next": len(items) > FEED_SIZE,
            "page_link": lambda n: f"/trending?page={n}",
        },
    )


# -- search -----------------------------------------------------------------------------------


@router.get("/search")
async def search(
    request: Request,
    q: str = "",
    mode: str = "hybrid",
    category: str = "",
    author: str = "",
    date_from_text: str = Query("", alias="from"),
    date_to_text: str = Query("", alias="to"),
    page_text: str = Query("1", alias="page"),
    has_code_text: str = Query("", alias="has_code"),
) -> Response:
    library = get_library(request)
    text = _text(q, "the query")
    mode = _choice(mode, SEARCH_MODES, "mode")
    category, author = _text(category, "category"), _text(author, "author")
    date_from, date_to = _day(date_from_text, "from"), _day(date_to_text, "to")
    number = _page_number(page_text)
    has_code = _flag(has_code_text, "has_code")
    form = {
        "q": text,
        "mode": mode,
        "category": category,
        "author": author,
        "from": date_from.isoformat() if date_from else "",
        "to": date_to.isoformat() if date_to else "",
        "has_code": "1" if has_code else "",
    }
    asked = any([text, category, author, date_from, date_to, has_code])
    results = None
    counts: dict[str, int] = {}
    voted: set[str] = set()
    if asked:
        results = library.search(
            text,
            mode=mode,  # type: ignore[arg-type]
            limit=SEARCH_SIZE,
            offset=(number - 1) * SEARCH_SIZE,
            author=author or None,
            category=category or None,
            date_from=date_from,
            date_to=date_to,
            has_code=has_code,
        )
        counts, voted = _votes(library, current_user(request), [hit.paper for hit in results])

    def link(page_number: int | None = None) -> str:
        # Only what was asked: no empty fields, no default mode, no first page.
        asked = {k: v for k, v in form.items() if v and not (k == "mode" and v == "hybrid")}
        return "/search?" + urlencode({**asked, **({"page": page_number} if page_number else {})})

    context = {
        "title": f"{text} – search" if text else "Search",
        "nav": "search",
        "form": form,
        "modes": SEARCH_MODES,
        "results": results,
        "counts": counts,
        "voted": voted,
        "page": number,
        "page_link": link,
        # Semantic search needs the model; say so when the answer is keyword search instead.
        "fell_back": bool(
            results is not None and results.mode != mode and results.query.meaning_text.strip()
        ),
        "has_next": bool(results is not None and results.offset + len(results) < results.total),
    }
    if _is_fragment_request(request, "results"):
        # The address bar shows the short form of the search (htmx pushes this instead of the form).
        return page(
            request, "_results.html", context, headers={"HX-Push-Url": link(number if number > 1 else None)}
        )
    return page(request, "search.html", context)


# -- papers, authors, categories --------------------------------------------------------------


@dataclass(frozen=True)
class ReportedOnBoard:
    """A result a paper reports, with the leaderboard it is on (canonical dataset and metric)."""

    result: ReportedResult
    dataset: str
    metric: Metric


@router.get("/papers/{paper_id:path}")
async def paper_page(request: Request, paper_id: str) -> Response:
    library = get_library(request)
    paper = library.paper(paper_id)  # PaperNotFound: the 404 page
    if paper.id != paper_id:  # an old id, a versioned id or an arXiv URL: one address per paper
        return RedirectResponse(paper_path(paper.id), status_code=301)
    try:
        similar = library.similar(paper.id, SIMILAR_SIZE)
    except ModelUnavailable:
        similar = []
    except PapersiftError:  # not embedded yet: the page is useful without neighbours
        similar = []
    user = current_user(request)
    counts, voted = _votes(library, user, [paper, *(hit.paper for hit in similar)])
    aliases = library.aliases
    reported = [
        ReportedOnBoard(result, aliases.dataset(result.dataset), aliases.metric(result.metric))
        for result in paper.results
    ]
    return page(
        request,
        "paper.html",
        {
            "title": paper.title,
            "paper": paper,
            "reported": reported,
            "similar": similar,
            "counts": counts,
            "voted": voted,
        },
    )


@router.post("/papers/{paper_id:path}/upvote")
async def upvote(
    request: Request, paper_id: str, voted: str = Form("1"), next_path: str = Form("", alias="next")
) -> Response:
    library = get_library(request)
    paper = library.paper(paper_id)
    user = current_user(request)
    back = _local_path(next_path, paper_path(paper.id))
    htmx = request.headers.get("hx-request") == "true"
    if user is None:
        login = "/login?" + urlencode({"next": back})
        if htmx:  # htmx follows HX-Redirect whatever the status
            return Response(status_code=401, headers={"HX-Redirect": login})
        return RedirectResponse(login, status_code=303)
    count = library.upvote(user, paper.id, voted=voted not in ("0", "false", ""))
    if htmx:
        state = {"id": paper.id, "count": count, "voted": voted not in ("0", "false", "")}
        return page(request, "_upvote.html", {"vote": state, "next": back})
    return RedirectResponse(back, status_code=303)


def _listing(
    request: Request,
    number: int,
    heading: dict[str, Any],
    missing: str,
    *,
    author: str | None = None,
    category: str | None = None,
) -> Response:
    """A page of the papers of one author or of one category, newest first."""
    library = get_library(request)
    offset = (number - 1) * LIST_SIZE
    results = library.search(
        "", mode="keyword", limit=LIST_SIZE, offset=offset, author=author, category=category
    )
    if not results and number == 1:
        raise HTTPException(status_code=404, detail=missing)
    counts, voted = _votes(library, current_user(request), [hit.paper for hit in results])
    return page(
        request,
        "listing.html",
        {
            "author": author,
            "category": category,
            **heading,
            "results": results,
            "counts": counts,
            "voted": voted,
            "page": number,
            "has_next": results.offset + len(results) < results.total,
            "page_link": lambda n: f"{heading['base']}?page={n}",
        },
    )


@router.get("/authors/{name:path}")
async def author_page(request: Request, name: str, page_text: str = Query("1", alias="page")) -> Response:
    name = _text(name, "the author's name")
    if not words(name):  # a name of no words would filter nothing and list every paper
        raise HTTPException(status_code=404, detail="No author has an empty name.")
    heading = {"title": name, "author": name, "base": "/authors/" + path_part(name)}
    missing = "We know no papers by this author."
    return _listing(request, _page_number(page_text), heading, missing, author=name)


@router.get("/categories/{code:path}")
async def category_page(request: Request, code: str, page_text: str = Query("1", alias="page")) -> Response:
    code = _text(code, "the category")
    if not code:
        raise HTTPException(status_code=404, detail="No category has an empty name.")
    heading = {"title": code, "category": code, "base": "/categories/" + path_part(code)}
    missing = "No paper in the library has this category."
    return _listing(request, _page_number(page_text), heading, missing, category=code)


# -- leaderboards -----------------------------------------------------------------------------


@dataclass
class DatasetBoards:
    """A dataset of the list of leaderboards, and its boards (one per metric), most results first."""

    dataset: str
    boards: list[BoardSummary] = field(default_factory=list)


@router.get("/leaderboards")
async def leaderboards(request: Request, q: str = "", page_text: str = Query("1", alias="page")) -> Response:
    """Every leaderboard, grouped by dataset (the dataset with the biggest board first)."""
    library = get_library(request)
    text = _text(q, "the filter")
    number = _page_number(page_text)
    boards = library.leaderboards()
    grouped: dict[str, DatasetBoards] = {}
    for board in matching(boards, text):  # most results first: so are the datasets, by their biggest board
        grouped.setdefault(board.dataset, DatasetBoards(board.dataset)).boards.append(board)
    datasets = list(grouped.values())
    datasets_total = len({board.dataset for board in boards})
    offset = (number - 1) * BOARDS_SIZE
    shown = datasets[offset : offset + BOARDS_SIZE]

    def link(page_number: int) -> str:
        values: dict[str, Any] = {"q": text} if text else {}
        if page_number > 1:
            values["page"] = page_number
        return "/leaderboards" + ("?" + urlencode(values) if values else "")

    context = {
        "title": "Leaderboards",
        "nav": "leaderboards",
        "filter": text,
        "datasets": shown,
        "matching": len(datasets),
        "boards_total": len(boards),
        "datasets_total": datasets_total,
        "offset": offset,
        "page": number,
        "has_next": offset + BOARDS_SIZE < len(datasets),
        "page_link": link,
    }
    if _is_fragment_request(request, "boards"):
        return page(request, "_boards.html", context, headers={"HX-Push-Url": link(number)})
    return page(request, "leaderboards.html", context)


@router.get("/leaderboards/{dataset:path}")
async def leaderboard(request: Request, dataset: str, metric: str = "") -> Response:
    """One leaderboard: the best results on a dataset by one metric (the most reported by default)."""
    library = get_library(request)
    dataset, metric = _text(dataset, "the dataset"), _text(metric, "the metric")
    if not dataset:
        return RedirectResponse("/leaderboards", status_code=301)
    try:
        board = library.leaderboard(dataset, metric or None, limit=BOARD_SIZE)
    except PaperNotFound as missing:
        raise HTTPException(
            status_code=404, detail=missing.reason[:1].upper() + missing.reason[1:] + "."
        ) from None
    # Another spelling ("ImageNet", "top-1 acc"): one address per board.
    if board.dataset != dataset or (metric and metric != board.metric.name):
        return RedirectResponse(
            leaderboard_path(board.dataset, metric and board.metric.name), status_code=301
        )
    metrics = sorted([board.metric.name, *board.other_metrics], key=str.casefold)
    return page(
        request,
        "leaderboard.html",
        {
            "title": f"{board.dataset} · {board.metric.name}",
            "nav": "leaderboards",
            "board": board,
            "metrics": metrics,
            "limit": BOARD_SIZE,
        },
    )


# -- accounts ---------------------------------------------------------------------------------


def _signed_in(request: Request, user: User, target: str) -> Response:
    """Open a session for `user` and go to `target`."""
    token = get_library(request).accounts.open_session(user)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_DAYS * 24 * 3600,
        httponly=True,
        samesite="lax",  # sent when arriving from a link on another site, not on its POSTs
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/login")
async def login_form(request: Request, next_path: str = Query("", alias="next")) -> Response:
    if current_user(request):  # signed in already: on to where the link wanted to go
        return RedirectResponse(_local_path(next_path), status_code=303)
    return page(
        request,
        "login.html",
        {"title": "Log in", "nav": "login", "next": _local_path(next_path), "email": "", "error": ""},
    )


@router.post("/login")
async def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    next_path: str = Form("", alias="next"),
) -> Response:
    library = get_library(request)
    target = _local_path(next_path)
    context = {"title": "Log in", "nav": "login", "next": target, "email": email[:254]}
    client = request.client.host if request.client else ""
    try:
        user = library.accounts.sign_in(email, password, client=client)
    except TooManyAttempts as error:
        return page(
            request,
            "login.html",
            {**context, "error": error.reason[:1].upper() + error.reason[1:] + "."},
            status_code=429,
            headers={"Retry-After": str(error.retry_after)},
        )
    except AccountError as error:
        return page(
            request,
            "login.html",
            {**context, "error": error.reason[:1].upper() + error.reason[1:] + "."},
            status_code=401,
        )
    return _signed_in(request, user, target)


@router.get("/signup")
async def signup_form(request: Request, next_path: str = Query("", alias="next")) -> Response:
    if current_user(request):
        return RedirectResponse(_local_path(next_path), status_code=303)
    return page(
        request,
        "signup.html",
        {
            "title": "Sign up",
            "nav": "signup",
            "next": _local_path(next_path),
            "email": "",
            "name": "",
            "error": "",
        },
    )


@router.post("/signup")
async def signup(
    request: Request,
    email: str = Form(""),
    name: str = Form(""),
    password: str = Form(""),
    next_path: str = Form("", alias="next"),
) -> Response:
    library = get_library(request)
    target = _local_path(next_path)
    try:
        user = library.accounts.sign_up(email, password, name)
    except AccountError as error:
        context = {
            "title": "Sign up",
            "nav": "signup",
            "next": target,
            "email": email[:254],
            "name": name[:80],
            "error": error.reason[:1].upper() + error.reason[1:] + ".",
        }
        return page(request, "signup.html", context, status_code=400)
    return _signed_in(request, user, target)


@router.post("/logout")
async def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        get_library(request).accounts.close_session(token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
    return response
