"""The web app: `create_app(library)` builds the FastAPI app of the pages and the JSON API.

    papersift serve                      # one process: the app built here around one Library
    uvicorn --factory papersift.web.app:app_from_settings --workers 4   # PAPERSIFT_DB names the db

What the factory adds around the routes (`pages.py`, `api.py`):
- errors rendered in one place: an HTML page for browsers, JSON under /api (FastAPI's shape);
- CSRF checks (`security.verify_csrf`) on every state-changing request, pages and API alike;
- security headers on every response: a Content-Security-Policy of this site only (htmx is
  served from /static; no inline script or style), no framing, no MIME sniffing, and the CSRF
  cookie when a page made a new token.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papersift import __version__
from papersift.errors import NotAllowed, PaperNotFound, PapersiftError, RateLimited
from papersift.library import Library
from papersift.settings import default_library_location
from papersift.web.security import remember_csrf_token, verify_csrf
from papersift.web.templating import STATIC, page

log = logging.getLogger(__name__)

# Pages: this site only. `form-action 'self'` keeps an injected form from posting elsewhere.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The API's /docs page: Swagger UI from this site's static files (vendored; papersift works
# offline), started by FastAPI's inline script.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs",)
_STATUSES = {status.value for status in HTTPStatus}
# Requests handled at once by one server process: its handlers are plain `def`, run in a pool of
# this many threads (anyio's default is 40). A slow request (a pasted paragraph) holds one thread,
# not the process. Fewer than 40: the work is CPU-bound, so threads beyond a few times the cores
# add no throughput, only memory (a search's scratch arrays, a database connection per thread; on
# PostgreSQL each is a server process, and 4 workers x 40 would pass its default 100 connections).
REQUEST_THREADS = 8


def create_app(library: Library, *, warm_up: bool = False, close_library: bool = False) -> FastAPI:
    """The app serving `library`. `warm_up` loads the indexes (and the model) before the first
    request instead of during it; `close_library` closes the library when the app stops."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        if warm_up:
            library.search("warm up", limit=1)
            # What is loaded now lives as long as the server: leaving it out of the collector's
            # full passes keeps them short (a pause there is a pause of every request in flight).
            gc.freeze()
        try:
            yield
        finally:
            if close_library:
                library.close()

    app = FastAPI(
        title="papersift",
        version=__version__,
        summary="Research-paper discovery: search, daily feeds, similar papers, upvotes.",
        lifespan=lifespan,
        # Every state-changing request of every route (a no-op for GET): see security.py.
        dependencies=[Depends(verify_csrf)],
        # FastAPI's own /docs and /redoc load their scripts from a CDN: /docs is served below
        # from the vendored Swagger UI instead; ReDoc is not shipped.
        docs_url=None,
        redoc_url=None,
    )
    app.state.library = library
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="papersift API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    from papersift.web import api, curation, feeds, members, pages

    # The API first: its `/papers/{id}.md` must win over the paper page's `/papers/{id}`.
    app.include_router(api.router)
    app.include_router(curation.router)
    app.include_router(pages.router)
    app.include_router(feeds.router)
    app.include_router(members.router)
    _add_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    return app


def app_from_settings() -> FastAPI:
    """The app over the library the settings name (`PAPERSIFT_DB`): for `uvicorn --factory`."""
    return create_app(Library.open(default_library_location()), warm_up=True, close_library=True)


# -- errors ---------------------------------------------------------------------------------


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith("/api/") or path.endswith(".md")


MESSAGES = {
    400: ("This request makes no sense to us", "Something in the address or the form is not valid."),
    401: ("Please sign in", "You need an account for this."),
    403: ("Not allowed", "This request was refused."),
    404: ("Page not found", "There is no page at this address."),
    405: ("Not allowed", "This page does not take this kind of request."),
    429: ("Slow down", "Too many attempts."),
    500: ("Something went wrong", "An unexpected error happened on our side. Please try again."),
}


def error_page(
    request: Request, status: int, detail: str | None = None, headers: Mapping[str, str] | None = None
) -> Response:
    heading, default_text = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    context = {"status": status, "heading": heading, "detail": detail or default_text, "title": heading}
    try:
        return page(request, "error.html", context, status_code=status, headers=headers)
    except Exception:  # the error may be the database itself: a plain page rather than none
        log.exception("cannot render the error page")
        return Response(f"{status} {heading}", status_code=status, media_type="text/plain")


def _sentence(reason: str) -> str:
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")


def _add_error_handlers(app: FastAPI) -> None:
    # The handlers await FastAPI's JSON handlers, so they are `async`; a page is rendered in the
    # thread pool (it asks the Library who is signed in), never on the event loop.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_json(request):
            return await http_exception_handler(request, exc)
        # Starlette's own errors carry only the status phrase ("Not Found"): say it better.
        phrase = HTTPStatus(exc.status_code).phrase if exc.status_code in _STATUSES else ""
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
        return await run_in_threadpool(error_page, request, exc.status_code, detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if wants_json(request):
            return await request_validation_exception_handler(request, exc)
        return await run_in_threadpool(error_page, request, 400)

    @app.exception_handler(PaperNotFound)
    async def paper_not_found(request: Request, exc: PaperNotFound) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": exc.reason}, status_code=404)
        detail = "There is no paper with this id in the library."
        return await run_in_threadpool(error_page, request, 404, detail)

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: NotAllowed) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": exc.reason}, status_code=403)
        return await run_in_threadpool(error_page, request, 403, _sentence(exc.reason))

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited) -> Response:
        headers = {"Retry-After": str(exc.retry_after)}
        if wants_json(request):
            return JSONResponse({"detail": exc.reason}, status_code=429, headers=headers)
        return await run_in_threadpool(error_page, request, 429, _sentence(exc.reason), headers)

    @app.exception_handler(PapersiftError)
    async def papersift_error(request: Request, exc: PapersiftError) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": exc.reason}, status_code=400)
        return await run_in_threadpool(error_page, request, 400, exc.reason)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        if wants_json(request):
            response: Response = JSONResponse({"detail": "internal server error"}, status_code=500)
        else:
            if not hasattr(request.state, "user"):
                request.state.user = None  # the session lookup may be what failed
            response = await run_in_threadpool(error_page, request, 500)
        # This response leaves through Starlette's outermost middleware, around ours.
        _set_security_headers(request.url.path, response.headers)
        return response


# -- headers --------------------------------------------------------------------------------


def _security_headers(path: str) -> dict[str, str]:
    policy = DOCS_POLICY if path in DOCS_PATHS else PAGE_POLICY
    return {
        "content-security-policy": policy,
        "x-content-type-options": "nosniff",
        "referrer-policy": "strict-origin-when-cross-origin",
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    }


def _set_security_headers(path: str, headers: Any) -> None:
    for name, value in _security_headers(path).items():
        if name not in headers:
            headers[name] = value


class SecurityHeaders:
    """Adds the security headers, and the CSRF cookie of a page that made a new token.

    A plain ASGI middleware (not `BaseHTTPMiddleware`, which costs a task per request): it only
    edits the response's start message.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response = Response()
                response.raw_headers = list(message.get("headers", []))
                _set_security_headers(scope["path"], response.headers)
                if scope.get("state", {}).get("new_csrf_token"):
                    remember_csrf_token(Request(scope), response)
                message = {**message, "headers": response.raw_headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
