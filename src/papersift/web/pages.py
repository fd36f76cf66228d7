"""The HTML pages: each route translates its parameters, asks the Library, renders a template.

Handlers are plain `def`, run in FastAPI's thread pool (see security.py). Parameters arrive as
strings and are checked (`params`), so a bad value is a 400 page that says what was wrong, never
a 500. htmx requests (`HX-Request`) get the fragment they swap in; the same forms work without
JavaScript as plain GETs and POSTs.

Templates render the values they are given: a handler asks the Library what the page shows (a
list of papers as `cards`, with votes, comments and the member's state) and passes it in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift.errors import AccountError, ModelUnavailable, PaperNotFound, PapersiftError, TooManyAttempts
from papersift.library import SEARCH_MODES, Library, has_words
from papersift.records import (
    PERIODS,
    SESSION_DAYS,
    BoardSummary,
    Claim,
    Comment,
    CuratedDay,
    DailyEntry,
    Metric,
    Paper,
    PaperCard,
    ReportedResult,
    User,
)
from papersift.web import params
from papersift.web.params import MAX_QUERY, search_form
from papersift.web.render import leaderboard_path, paper_path, path_part
from papersift.web.security import SESSION_COOKIE, current_user, get_library
from papersift.web.templating import page

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

FEED_SIZE = 30
SEARCH_SIZE = 10
LIST_SIZE = 20
SIMILAR_SIZE = 6
SORTS = ("trending", "date")
BOARDS_SIZE = 60  # datasets on a page of the list of leaderboards
BOARD_SIZE = 100  # rows of a leaderboard


# -- parameters -------------------------------------------------------------------------------


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


def cards_of(library: Library, user: User | None, papers: Iterable[Paper]) -> dict[str, PaperCard]:
    """The cards of a list of papers (counts and the member's state), by paper id for templates."""
    return {card.id: card for card in library.cards(papers, user)}


@dataclass(frozen=True)
class SaveState:
    """What the save control of a paper shows a member: their collections, those holding the paper."""

    collections: list[str]
    saved_in: list[str]


def save_state_of(library: Library, user: User, card: PaperCard) -> SaveState:
    return SaveState([collection.name for collection in library.collections(user)], list(card.saved_in))


@dataclass(frozen=True)
class Discussion:
    """What the paper page shows of curation: the lists it is on, its comments, and for the
    signed-in member their claim."""

    entries: list[DailyEntry]
    comments: list[Comment]
    claimed: Claim | None


# -- feeds ------------------------------------------------------------------------------------


@router.get("/")
@router.get("/new")
def home(
    request: Request,
    day_text: str | None = Query(None, alias="date"),
    period: str = "day",
    sort: str = "trending",
    page_text: str = Query("1", alias="page"),
    has_code_text: str = Query("", alias="has_code"),
) -> Response:
    library = get_library(request)
    shown_day = params.day(day_text, "date")
    # At "/", once members curate, the curated day (a week, a month, another sort, a page or
    # code only is every new paper, as always at "/new").
    every_paper = request.url.path != "/" or (period, sort, page_text, has_code_text) != (
        "day",
        "trending",
        "1",
        "",
    )
    period = params.choice(period, PERIODS, "period")
    sort = params.choice(sort, SORTS, "sort")
    number = params.page_number(page_text)
    has_code = params.flag(has_code_text, "has_code")
    user = current_user(request)
    front = library.front_page(
        shown_day,
        period=period,  # type: ignore[arg-type]
        sort=sort,  # type: ignore[arg-type]
        limit=FEED_SIZE,
        offset=(number - 1) * FEED_SIZE,
        has_code=has_code,
        every_paper=every_paper,
        include_pending=bool(user and user.is_curator),
    )
    if front.day is not None:
        return _curated_day(request, library, user, front.day)
    feed = front.feed
    assert feed is not None
    latest = library.latest_day()

    def link(**changes: Any) -> str:
        values: dict[str, Any] = {
            "date": (shown_day or feed.first).isoformat(),
            "period": period,
            "sort": sort,
        }
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
            "cards": cards_of(library, user, [item.paper for item in feed.items]),
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
            "day_value": (shown_day or latest or feed.first).isoformat(),
        },
    )


def _curated_day(request: Request, library: Library, user: User | None, curated: CuratedDay) -> Response:
    context = {
        "title": "Curated papers",
        "nav": "home",
        "curated": curated,
        "cards": cards_of(library, user, [entry.paper for entry in curated.entries]),
        "moderated": library.curation.mode == "moderated",
    }
    return page(request, "daily.html", context)


@router.get("/trending")
def trending(request: Request, page_text: str = Query("1", alias="page")) -> Response:
    library = get_library(request)
    number = params.page_number(page_text)
    # One more than a page tells whether there is a next page.
    items = library.trending(limit=FEED_SIZE + 1, offset=(number - 1) * FEED_SIZE)
    shown = items[:FEED_SIZE]
    return page(
        request,
        "trending.html",
        {
            "title": "Trending papers",
            "nav": "trending",
            "items": shown,
            "cards": cards_of(library, current_user(request), [item.paper for item in shown]),
            "page": number,
            "rank_offset": (number - 1) * FEED_SIZE,
            "has_next": len(items) > FEED_SIZE,
            "page_link": lambda n: f"/trending?page={n}",
        },
    )


# -- search -----------------------------------------------------------------------------------


@router.get("/search")
def search(
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
    asked = search_form(
        q,
        mode,
        author,
        category,
        date_from_text,
        date_to_text,
        has_code_text,
        page_text,
        limit=SEARCH_SIZE,
        name_limit=MAX_QUERY,
    )
    number = asked.page
    form = {
        "q": asked.text,
        "mode": asked.mode,
        "category": asked.category,
        "author": asked.author,
        "from": asked.date_from.isoformat() if asked.date_from else "",
        "to": asked.date_to.isoformat() if asked.date_to else "",
        "has_code": "1" if asked.has_code else "",
    }
    results = None
    cards: dict[str, PaperCard] = {}
    if asked.asked:
        results = asked.search(library)
        cards = cards_of(library, current_user(request), [hit.paper for hit in results])

    def link(page_number: int | None = None) -> str:
        # Only what was asked: no empty fields, no default mode, no first page.
        given = {k: v for k, v in form.items() if v and not (k == "mode" and v == "hybrid")}
        return "/search?" + urlencode({**given, **({"page": page_number} if page_number else {})})

    context = {
        "title": f"{asked.text} – search" if asked.text else "Search",
        "nav": "search",
        "form": form,
        "modes": SEARCH_MODES,
        "results": results,
        "cards": cards,
        "page": number,
        "page_link": link,
        # Semantic search needs the model; say so when the answer is keyword search instead.
        "fell_back": bool(
            results is not None and results.mode != asked.mode and results.query.meaning_text.strip()
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
def paper_page(request: Request, paper_id: str) -> Response:
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
    cards = cards_of(library, user, [paper, *(hit.paper for hit in similar)])
    curation = library.curation
    discussion = Discussion(
        curation.entries_of(paper.id),
        curation.comments(paper.id),
        curation.claim_of(user, paper.id) if user is not None else None,
    )
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
            "cards": cards,
            "talk": discussion,
            "save_state": save_state_of(library, user, cards[paper.id]) if user else None,
        },
    )


@router.post("/papers/{paper_id:path}/upvote")
def upvote(
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
    return page(
        request,
        "listing.html",
        {
            "author": author,
            "category": category,
            **heading,
            "results": results,
            "cards": cards_of(library, current_user(request), [hit.paper for hit in results]),
            # On an author's page: members a curator confirmed as this author, with their papers.
            "claimed_by": library.curation.claimed_by(author) if author else [],
            "page": number,
            "has_next": results.offset + len(results) < results.total,
            "page_link": lambda n: f"{heading['base']}?page={n}",
        },
    )


@router.get("/authors/{name:path}")
def author_page(request: Request, name: str, page_text: str = Query("1", alias="page")) -> Response:
    name = params.text(name, "the author's name")
    if not has_words(name):  # a name of no words would filter nothing and list every paper
        raise HTTPException(status_code=404, detail="No author has an empty name.")
    heading = {"title": name, "author": name, "base": "/authors/" + path_part(name)}
    missing = "We know no papers by this author."
    return _listing(request, params.page_number(page_text), heading, missing, author=name)


@router.get("/categories/{code:path}")
def category_page(request: Request, code: str, page_text: str = Query("1", alias="page")) -> Response:
    code = params.text(code, "the category")
    if not code:
        raise HTTPException(status_code=404, detail="No category has an empty name.")
    heading = {"title": code, "category": code, "base": "/categories/" + path_part(code)}
    missing = "No paper in the library has this category."
    return _listing(request, params.page_number(page_text), heading, missing, category=code)


# -- leaderboards -----------------------------------------------------------------------------


@dataclass
class DatasetBoards:
    """A dataset of the list of leaderboards, and its boards (one per metric), most results first."""

    dataset: str
    boards: list[BoardSummary] = field(default_factory=list)


@router.get("/leaderboards")
def leaderboards(request: Request, q: str = "", page_text: str = Query("1", alias="page")) -> Response:
    """Every leaderboard, grouped by dataset (the dataset with the biggest board first)."""
    library = get_library(request)
    text = params.text(q, "the filter")
    number = params.page_number(page_text)
    boards = library.leaderboards()
    grouped: dict[str, DatasetBoards] = {}
    for board in library.find_leaderboards(
        text
    ):  # most results first: so are the datasets, by their biggest board
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
def leaderboard(request: Request, dataset: str, metric: str = "") -> Response:
    """One leaderboard: the best results on a dataset by one metric (the most reported by default)."""
    library = get_library(request)
    dataset, metric = params.text(dataset, "the dataset"), params.text(metric, "the metric")
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
def login_form(request: Request, next_path: str = Query("", alias="next")) -> Response:
    if current_user(request):  # signed in already: on to where the link wanted to go
        return RedirectResponse(_local_path(next_path), status_code=303)
    return page(
        request,
        "login.html",
        {"title": "Log in", "nav": "login", "next": _local_path(next_path), "email": "", "error": ""},
    )


@router.post("/login")
def login(
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
def signup_form(request: Request, next_path: str = Query("", alias="next")) -> Response:
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
def signup(
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
def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        get_library(request).accounts.close_session(token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
    return response
