"""What every web route shares: the Library, the signed-in user, and CSRF protection.

Route handlers are plain `def`: FastAPI runs them in its thread pool (`app.REQUEST_THREADS`
threads), so a slow search does not hold up the quick requests beside it. The Library is safe to
call from several threads (a database connection per thread, locks around its in-memory indexes
and caches); nothing calls it on the event loop (what must stay `async`, such as the error
handlers, hands its Library work to the pool with `run_in_threadpool`). Several processes
(`papersift serve --workers N`) scale it out; sessions, votes and rate limits live in the
database, so any worker serves any request.

CSRF: a state-changing request (POST, PUT, PATCH, DELETE) must
  1. not come from another site: `Sec-Fetch-Site` (sent by browsers) is same-origin or none,
     and an `Origin` header, when present, names this host; and
  2. carry the CSRF token (double-submit): the `papersift_csrf` cookie's value, repeated in the
     form field `csrf_token` or the `X-CSRF-Token` header (htmx and API clients send the header).
A cross-site page can neither read the cookie nor set the header, so it cannot forge either.
One kind of route is exempt, each marked `@csrf_exempt` on its handler: a URL that is itself the
authorization (the signed token of a digest's unsubscribe link, which mail clients POST to without
cookies, RFC 8058). Forging such a request needs the token, and whoever has it may use it anyway.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Response

from papersift.library import Library
from papersift.records import User

SESSION_COOKIE = "papersift_session"
CSRF_COOKIE = "papersift_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_CSRF_EXEMPT: set[Callable[..., Any]] = set()


def get_library(request: Request) -> Library:
    library: Library = request.app.state.library
    return library


def current_user(request: Request) -> User | None:
    """The signed-in user (looked up once per request), or None."""
    if not hasattr(request.state, "user"):
        request.state.user = get_library(request).accounts.session_user(request.cookies.get(SESSION_COOKIE))
    user: User | None = request.state.user
    return user


def require_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise HTTPException(status_code=401, detail="sign in first")
    return user


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (a new one is made, and set as a cookie by `remember_csrf_token`)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_token", None)
    if not token:
        token = request.state.new_csrf_token = secrets.token_urlsafe(32)
    return str(token)


def remember_csrf_token(request: Request, response: Response) -> None:
    """Set the CSRF cookie when this request made a new token."""
    token = getattr(request.state, "new_csrf_token", None)
    if token and request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https"
        )


def csrf_exempt(endpoint: Endpoint) -> Endpoint:
    """Exempt this route handler from the CSRF checks (see the module docstring for which may be)."""
    _CSRF_EXEMPT.add(endpoint)
    return endpoint


async def verify_csrf(request: Request) -> None:
    """Refuse (403) a state-changing request that fails the checks in the module docstring."""
    # The route matched this request before its dependencies run: its handler is in the scope.
    if request.method not in UNSAFE_METHODS or request.scope.get("endpoint") in _CSRF_EXEMPT:
        return
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise HTTPException(status_code=403, detail="cross-site request refused")
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(status_code=403, detail="cross-origin request refused")
    expected = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token; reload the page")
