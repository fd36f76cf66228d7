"""papersift's JSON API: the Hugging Face Papers endpoints in their shapes, and papersift's own.

Hugging Face's (so that `huggingface_hub.HfApi(endpoint=...)` works unchanged; shapes in `api_hf`):

    GET    /api/papers/search?q=&limit=                          list_papers
    GET    /api/papers/{id}                                      paper_info
    GET    /api/daily_papers?date=|week=|month=&sort=&p=&limit=   list_daily_papers (and has_code=)
    GET    /papers/{id}.md                                       read_paper

papersift's own:

    GET    /api/search?q=&mode=&limit=&offset=&author=&category=&from=&to=&has_code=
    GET    /api/papers/{id}/similar?limit=
    GET    /api/trending?limit=&offset=
    GET    /api/leaderboards?q=&limit=&offset=                     every board, most results first
    GET    /api/leaderboards/{dataset}?metric=&limit=               one board, best first
    POST   /api/papers/{id}/upvote     signed in, with the CSRF header (see `security`)
    DELETE /api/papers/{id}/upvote

Include this router before the HTML pages': `/papers/{id}.md` would otherwise be taken by the
paper page's `/papers/{id}`. Ids may hold slashes (old arXiv ids, DOIs), hence `{paper_id:path}`,
and hence the order of the routes below: the longer `/api/papers/{id}/...` and
`/api/papers/search` come before `/api/papers/{id}`, which would match them too. Dataset names
hold spaces and sometimes "/" ("COCO test-dev"): `/api/leaderboards/{dataset:path}` takes the
rest of the path, escaped or not.

Errors are JSON on every route here, whatever the app renders for its pages: the routes' class
(`JSONErrorRoute`) turns papersift's errors, refused requests and invalid parameters into
`{"error": message, "detail": ...}` with a 4xx status (`error` is what Hugging Face clients
show, `detail` what FastAPI clients read).

Handlers are plain `def`, run in FastAPI's thread pool (see `security`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine, Mapping
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from papersift.errors import ModelUnavailable, PaperNotFound, PapersiftError
from papersift.library import SearchMode
from papersift.records import DailyEntry, Paper, Period, User
from papersift.web.api_hf import (
    IMPORTER_NAME,
    DailySubmission,
    HfDailyPaper,
    HfError,
    HfPaper,
    handle,
    hf_daily_paper,
    hf_paper,
    paper_markdown,
)
from papersift.web.params import SearchForm
from papersift.web.render import repository_link
from papersift.web.security import get_library, require_user, verify_csrf

MAX_LIMIT = 100
MAX_OFFSET = 10_000  # deeper pages of a ranking are noise, and cost a ranking that deep
MAX_PAGE = 10_000
MAX_QUERY = 2_000  # characters: a long paragraph, pasted to search by meaning
MAX_NAME = 200  # author and category filters, submitter
MAX_BOARD = 1_000  # rows of one leaderboard
MAX_BOARDS = 10_000  # leaderboards in one answer

logger = logging.getLogger(__name__)


class JSONErrorRoute(APIRoute):
    """A route whose errors are JSON, rendered here rather than by the app's handlers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_with_json_errors(request: Request) -> Response:
            try:
                return await handle(request)
            except RequestValidationError as invalid:
                problems = invalid.errors()
                message = "; ".join(f"{_parameter(p.get('loc', ()))}: {p.get('msg', '')}" for p in problems)
                return _error(422, message or "invalid request", detail=jsonable_encoder(problems))
            except StarletteHTTPException as refused:
                return _error(refused.status_code, str(refused.detail), headers=refused.headers)
            except PaperNotFound as missing:
                return _error(404, missing.reason)
            except ModelUnavailable as unavailable:
                return _error(503, unavailable.reason)
            except PapersiftError as error:
                return _error(400, error.reason)
            except Exception:
                # Logged with its traceback; the client learns only that it was not its fault.
                logger.exception("%s %s failed", request.method, request.url.path)
                return _error(500, "internal error")

        return handle_with_json_errors


def _parameter(location: object) -> str:
    """`("query", "limit")` -> "limit": where FastAPI found an invalid value, as a user names it."""
    parts = [str(part) for part in location] if isinstance(location, (list, tuple)) else [str(location)]
    if parts and parts[0] in ("query", "path", "body", "header", "cookie") and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


def _error(
    status: int, message: str, *, detail: object = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"error": message, "detail": message if detail is None else detail}
    return JSONResponse(body, status_code=status, headers=headers)


ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": HfError, "description": "A parameter papersift cannot use"},
    404: {"model": HfError, "description": "No paper has this id"},
    422: {"model": HfError, "description": "An invalid parameter (`detail` lists them)"},
}
router = APIRouter(route_class=JSONErrorRoute, responses=ERRORS)
HF_TAG = "Hugging Face Papers API"
OWN_TAG = "papersift"


def signed_in(request: Request) -> User:
    """`require_user` as a dependency (run in the thread pool, like the handlers)."""
    return require_user(request)


# -- papersift's own shapes --------------------------------------------------------------------


class ReportedResultOut(BaseModel):
    dataset: str
    metric: str
    value: float
    text: str = Field(description="The sentence of the abstract that reports it")
    model: str | None = None


class PaperOut(BaseModel):
    """A paper as papersift holds it, with its upvote count."""

    id: str = Field(description="arXiv id without version where there is one, else DOI, else a hash")
    title: str
    abstract: str
    authors: list[str]
    categories: list[str] = Field(description="Primary category first")
    published: date | None
    updated: date | None
    version: int | None
    arxiv_id: str | None
    doi: str | None
    abs_url: str | None
    pdf_url: str | None
    comment: str | None
    journal_ref: str | None
    keywords: list[str]
    code: list[str] = Field(
        description="Code repositories (https URLs): curated ones first, then the paper's own"
    )
    project_urls: list[str] = Field(description="Project pages the paper's text gives (https URLs)")
    code_promised: bool = Field(description="The text promises code, with no link yet")
    results: list[ReportedResultOut] = Field(
        description="Results the abstract reports, dataset and metric as written (boards use canonical names)"
    )
    source: str = Field(description="Where papersift read it from (arxiv, bibtex, ...)")
    upvotes: int


class SearchHitOut(BaseModel):
    id: str
    score: float = Field(description="Higher is better; comparable within one search only")
    snippet: str = Field(description="The passage of the abstract that best matches the query")
    highlights: list[tuple[int, int]] = Field(description="(start, end) of matched words in `snippet`")
    paper: PaperOut


class SearchOut(BaseModel):
    query: str
    mode: SearchMode = Field(description="The mode used: keyword when semantic search is unavailable")
    total: int = Field(description="How many papers match (for pages: offset + limit < total)")
    offset: int
    limit: int
    hits: list[SearchHitOut]


class SimilarHitOut(BaseModel):
    id: str
    score: float = Field(description="Cosine similarity of the two papers' embeddings")
    paper: PaperOut


class SimilarOut(BaseModel):
    id: str = Field(description="The paper the others are similar to")
    hits: list[SimilarHitOut]


class TrendingOut(BaseModel):
    offset: int
    limit: int
    papers: list[PaperOut] = Field(
        description="Upvotes decayed by age (see papersift.feeds.periods), best first"
    )


class BoardSummaryOut(BaseModel):
    dataset: str = Field(description="Canonical dataset name (papersift's alias table)")
    metric: str = Field(description="Canonical metric name")
    results: int = Field(description="Results on this board, curated ones included")
    curated: int = Field(description="Of them, from the Papers with Code archive")


class BoardsOut(BaseModel):
    total: int = Field(description="Boards matching `q` (for pages: offset + limit < total)")
    offset: int
    limit: int
    leaderboards: list[BoardSummaryOut] = Field(description="Most results first")


class BoardEntryOut(BaseModel):
    rank: int
    value: float
    model: str | None = Field(description="The model or method, when the paper names it")
    title: str = Field(description="The paper's title")
    paperId: str | None = Field(description="The paper's id in this library; null for a curated row it lacks")
    paperUrl: str | None
    published: date | None
    codeUrl: str | None = Field(description="The paper's first code repository, an https URL")
    curated: bool = Field(description="From the Papers with Code archive, rather than read from the abstract")
    evidence: str = Field(description="The abstract's words, or the archive's published value")


class LeaderboardOut(BaseModel):
    dataset: str
    metric: str
    unit: str | None = Field(description='"%", another unit, "" for none, null when unknown')
    higherIsBetter: bool
    otherMetrics: list[str] = Field(description="The dataset's other boards")
    entries: list[BoardEntryOut] = Field(description="Best first; one row per paper and model")


class UpvoteOut(BaseModel):
    id: str
    upvotes: int = Field(description="The paper's upvote count after this request")
    upvoted: bool = Field(description="Whether the signed-in user now upvotes it")


def paper_out(paper: Paper, upvotes: int) -> PaperOut:
    return PaperOut(
        id=paper.id,
        title=paper.title,
        abstract=paper.abstract,
        authors=list(paper.authors),
        categories=list(paper.categories),
        published=paper.published,
        updated=paper.updated,
        version=paper.version,
        arxiv_id=paper.arxiv_id,
        doi=paper.doi,
        abs_url=paper.abs_url,
        pdf_url=paper.pdf_url,
        comment=paper.comment,
        journal_ref=paper.journal_ref,
        keywords=list(paper.keywords),
        code=[url for url in map(repository_link, paper.code) if url],
        project_urls=[url for url in map(repository_link, paper.project_urls) if url],
        code_promised=paper.code_promised,
        results=[
            ReportedResultOut(dataset=r.dataset, metric=r.metric, value=r.value, text=r.text, model=r.model)
            for r in paper.results
        ],
        source=paper.source,
        upvotes=upvotes,
    )


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"At most {MAX_LIMIT}")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
PaperId = Annotated[str, Path(description="A paper id; versioned arXiv ids and arXiv URLs work too")]


# -- papersift's own endpoints (before /api/papers/{id}, which would match them) ---------------


@router.get("/api/search", tags=[OWN_TAG], response_model=SearchOut)
def search(
    request: Request,
    q: Annotated[str, Query(max_length=MAX_QUERY, description="Query (syntax: papersift.search.query)")] = "",
    mode: SearchMode = "hybrid",
    limit: Limit = 10,
    offset: Offset = 0,
    author: Annotated[str | None, Query(max_length=MAX_NAME)] = None,
    category: Annotated[str | None, Query(max_length=MAX_NAME, description="cs.CV, or all of cs")] = None,
    date_from: Annotated[date | None, Query(alias="from", description="Published on or after")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Published on or before")] = None,
    has_code: Annotated[bool, Query(description="Only papers with a code repository")] = False,
) -> SearchOut:
    """Search papers: hybrid (keyword and meaning) by default; filters apply in every mode."""
    form = SearchForm(
        q, mode, author or "", category or "", date_from, date_to, has_code, limit, offset
    ).require_dates_in_order()
    library = get_library(request)
    try:
        results = form.search(library)
    except ModelUnavailable as unavailable:
        # A choice of the request that this server cannot honour: the client's to change.
        raise HTTPException(400, f"{unavailable.reason}; use mode=keyword") from unavailable
    cards = library.cards(hit.paper for hit in results)
    return SearchOut(
        query=q,
        mode=results.mode,
        total=results.total,
        offset=offset,
        limit=limit,
        hits=[
            SearchHitOut(
                id=hit.id,
                score=hit.score,
                snippet=hit.snippet,
                highlights=list(hit.highlights),
                paper=paper_out(hit.paper, card.upvotes),
            )
            for hit, card in zip(results, cards, strict=True)
        ],
    )


@router.get("/api/trending", tags=[OWN_TAG], response_model=TrendingOut)
def trending(request: Request, limit: Limit = 50, offset: Offset = 0) -> TrendingOut:
    """Papers by upvotes decayed by age; then, when too few are upvoted, the newest others."""
    items = get_library(request).trending(limit, offset)
    return TrendingOut(
        offset=offset, limit=limit, papers=[paper_out(item.paper, item.upvotes) for item in items]
    )


@router.get("/api/leaderboards", tags=[OWN_TAG], response_model=BoardsOut)
def leaderboards(
    request: Request,
    q: Annotated[
        str, Query(max_length=MAX_NAME, description="Only boards whose dataset or metric holds this")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_BOARDS)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> BoardsOut:
    """Every leaderboard (canonical dataset and metric), most results first."""
    boards = get_library(request).find_leaderboards(q)
    return BoardsOut(
        total=len(boards),
        offset=offset,
        limit=limit,
        leaderboards=[
            BoardSummaryOut(dataset=b.dataset, metric=b.metric, results=b.results, curated=b.curated)
            for b in boards[offset : offset + limit]
        ],
    )


@router.get(
    "/api/leaderboards/{dataset:path}",
    tags=[OWN_TAG],
    response_model=LeaderboardOut,
    responses={404: {"model": HfError, "description": "Nothing reports results on this dataset (or metric)"}},
)
def leaderboard(
    request: Request,
    dataset: Annotated[str, Path(description="A dataset, any spelling the alias table knows")],
    metric: Annotated[
        str | None, Query(max_length=MAX_NAME, description="Default: the dataset's most reported metric")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_BOARD)] = 100,
) -> LeaderboardOut:
    """A leaderboard: the best result of each paper and model on a dataset by one metric, best first."""
    if not dataset.strip():
        raise HTTPException(404, "name a dataset: /api/leaderboards/{dataset}")
    if len(dataset) > MAX_NAME:
        raise HTTPException(400, f"dataset is too long (at most {MAX_NAME} characters)")
    board = get_library(request).leaderboard(dataset.strip(), (metric or "").strip() or None, limit=limit)
    return LeaderboardOut.model_validate(board.as_json())


@router.get(
    "/api/papers/{paper_id:path}/similar",
    tags=[OWN_TAG],
    response_model=SimilarOut,
    responses={503: {"model": HfError, "description": "Semantic search is unavailable on this server"}},
)
def similar(request: Request, paper_id: PaperId, limit: Limit = 10) -> SimilarOut:
    """The papers nearest in meaning to one paper (duplicates of it left out)."""
    library = get_library(request)
    paper = library.paper(paper_id)  # an unknown id is a 404 even where similar papers are off
    try:
        hits = library.similar(paper.id, limit)
    except PaperNotFound:
        raise
    except PapersiftError as error:  # no model, or this paper not embedded yet: the server's state
        raise HTTPException(503, error.reason) from error
    cards = library.cards(hit.paper for hit in hits)
    return SimilarOut(
        id=paper.id,
        hits=[
            SimilarHitOut(id=hit.id, score=hit.score, paper=paper_out(hit.paper, card.upvotes))
            for hit, card in zip(hits, cards, strict=True)
        ],
    )


UPVOTE_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": HfError, "description": "Not signed in"},
    403: {"model": HfError, "description": "No CSRF token (header X-CSRF-Token), or a cross-site request"},
}


@router.post(
    "/api/papers/{paper_id:path}/upvote",
    tags=[OWN_TAG],
    response_model=UpvoteOut,
    dependencies=[Depends(verify_csrf)],
    responses=UPVOTE_ERRORS,
)
def upvote(request: Request, paper_id: PaperId, user: Annotated[User, Depends(signed_in)]) -> UpvoteOut:
    """Upvote a paper (once per user: upvoting again changes nothing)."""
    return _vote(request, paper_id, user, voted=True)


@router.delete(
    "/api/papers/{paper_id:path}/upvote",
    tags=[OWN_TAG],
    response_model=UpvoteOut,
    dependencies=[Depends(verify_csrf)],
    responses=UPVOTE_ERRORS,
)
def withdraw_upvote(
    request: Request, paper_id: PaperId, user: Annotated[User, Depends(signed_in)]
) -> UpvoteOut:
    """Withdraw the signed-in user's upvote (harmless when there is none)."""
    return _vote(request, paper_id, user, voted=False)


def _vote(request: Request, paper_id: str, user: User, *, voted: bool) -> UpvoteOut:
    library = get_library(request)
    paper = library.paper(paper_id)
    count = library.upvote(user, paper.id, voted=voted)
    return UpvoteOut(id=paper.id, upvotes=count, upvoted=voted)


# -- Hugging Face Papers API -------------------------------------------------------------------


@router.get(
    "/api/papers/search",
    tags=[HF_TAG],
    response_model=list[HfDailyPaper],
    response_model_exclude_none=True,
)
def hf_search(
    request: Request,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    limit: Limit = 50,
    has_code: Annotated[bool, Query(description="papersift's: only papers with a code repository")] = False,
) -> list[HfDailyPaper]:
    """`HfApi.list_papers(query=...)`: papers matching a query (hybrid search), best first."""
    library = get_library(request)
    results = library.search(q, limit=limit, has_code=has_code)
    return [
        hf_daily_paper(card.paper, card.upvotes, comments=card.comments)
        for card in library.cards(hit.paper for hit in results)
    ]


@router.get(
    "/api/daily_papers",
    tags=[HF_TAG],
    response_model=list[HfDailyPaper],
    response_model_exclude_none=True,
)
def hf_daily_papers(
    request: Request,
    day: Annotated[str | None, Query(alias="date", max_length=40, description="YYYY-MM-DD")] = None,
    week: Annotated[str | None, Query(max_length=40, description="ISO week: YYYY-Www")] = None,
    month: Annotated[str | None, Query(max_length=40, description="YYYY-MM")] = None,
    sort: Literal["publishedAt", "trending"] = "publishedAt",
    p: Annotated[int, Query(ge=0, le=MAX_PAGE, description="Page, from 0")] = 0,
    limit: Limit = 50,
    submitter: Annotated[str | None, Query(max_length=MAX_NAME)] = None,
    has_code: Annotated[bool, Query(description="papersift's: only papers with a code repository")] = False,
) -> list[HfDailyPaper]:
    """`HfApi.list_daily_papers(...)`: the papers of a day, week or month (default: the newest day).

    Once members curate, these are the curated entries (pinned first, then by upvotes; `publishedAt`
    sorts by submission, newest first) with their submitters; `submitter` filters by a
    submitter's handle or name. Before anyone curates, every new paper of the period, submitted
    by "papersift"; `trending` sorts by upvotes, `publishedAt` newest first.
    """
    first, period = _feed_period(day, week, month)
    front = get_library(request).front_page(
        first,
        period=period,
        sort="trending" if sort == "trending" else "date",
        limit=limit,
        offset=p * limit,
        has_code=has_code,
    )
    if front.curated:
        entries = front.entries
        if submitter is not None:
            wanted = submitter.casefold()
            entries = [
                e for e in entries if any(wanted in (s.name.casefold(), handle(s.name)) for s in e.submitters)
            ]
        if has_code:
            entries = [entry for entry in entries if entry.paper.code]
        return [
            hf_daily_paper(
                entry.paper,
                entry.upvotes,
                comments=entry.comments,
                submission=DailySubmission(*_first_submitter(entry)),
            )
            for entry in entries[p * limit : (p + 1) * limit]
        ]
    if submitter is not None and submitter != IMPORTER_NAME:
        return []
    assert front.feed is not None
    return [
        hf_daily_paper(card.paper, card.upvotes, comments=card.comments)
        for card in get_library(request).cards(item.paper for item in front.feed.items)
    ]


def _first_submitter(entry: DailyEntry) -> tuple[int, str, str]:
    first = entry.submitters[0] if entry.submitters else None
    return (
        (first.user_id, first.name, first.submitted_at) if first else (0, IMPORTER_NAME, entry.submitted_at)
    )


@router.get(
    "/api/papers/{paper_id:path}",
    tags=[HF_TAG],
    response_model=HfPaper,
    response_model_exclude_none=True,
)
def hf_paper_info(request: Request, paper_id: PaperId) -> HfPaper:
    """`HfApi.paper_info(id)`: one paper."""
    library = get_library(request)
    (card,) = library.cards([library.paper(paper_id)])
    return hf_paper(card.paper, card.upvotes)


@router.get(
    "/papers/{paper_id:path}.md",
    tags=[HF_TAG],
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}}, "description": "The paper page as markdown"}},
)
def hf_read_paper(request: Request, paper_id: PaperId) -> Response:
    """`HfApi.read_paper(id)`: the paper page as markdown (title, authors, links, abstract)."""
    paper = get_library(request).paper(paper_id)
    return Response(
        paper_markdown(paper),
        media_type="text/markdown; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
# The feed also names the periods before and after, which must be dates too.
_FIRST_DAY, _LAST_DAY = date(2, 1, 1), date(9998, 12, 31)


def _feed_period(day: str | None, week: str | None, month: str | None) -> tuple[date | None, Period]:
    """The first day and the kind of the period the parameters name (400 for a bad one)."""
    given = [name for name, value in (("date", day), ("week", week), ("month", month)) if value]
    if len(given) > 1:
        raise HTTPException(400, f"give one of date, week and month, not {' and '.join(given)}")
    period: Period
    try:
        if day and (match := _DAY.fullmatch(day.strip())):
            first, period = date(int(match[1]), int(match[2]), int(match[3])), "day"
        elif week and (match := _WEEK.fullmatch(week.strip())):
            first, period = date.fromisocalendar(int(match[1]), int(match[2]), 1), "week"
        elif month and (match := _MONTH.fullmatch(month.strip())):
            first, period = date(int(match[1]), int(match[2]), 1), "month"
        elif given:
            raise ValueError("wrong format")
        else:
            return None, "day"
    except ValueError:
        examples = {"date": "2026-06-12", "week": "2026-W24", "month": "2026-06"}
        value = day or week or month
        raise HTTPException(
            400, f"{given[0]} {value!r} is not a valid {given[0]} (write it like {examples[given[0]]})"
        ) from None
    if not _FIRST_DAY <= first <= _LAST_DAY:
        raise HTTPException(400, f"{given[0]} {first.isoformat()} is out of range")
    return first, period
