"""The Jinja2 environment of the pages and the one function that renders a page.

Autoescape is on for every template and undefined names are errors (a typo in a template fails
its test instead of rendering an empty string). Helpers that build HTML live in `render.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import HTMLResponse

from papersift import __version__
from papersift.web import render
from papersift.web.security import CSRF_FIELD, csrf_token, current_user

WEB = Path(__file__).parent
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        highlight=render.highlight,
        long_date=render.long_date,
        short_date=render.short_date,
        excerpt=render.excerpt,
        path_part=render.path_part,
        category_name=render.category_name,
        safe_url=render.safe_url,
        repository_link=render.repository_link,
        repository_label=render.repository_label,
    )
    env.globals.update(
        paper_path=render.paper_path,
        abs_link=render.abs_link,
        pdf_link=render.pdf_link,
        doi_link=render.doi_link,
        leaderboard_path=render.leaderboard_path,
        value_text=render.value_text,
        author_list=render.author_list,
        dom_id=render.dom_id,
        period_title=render.period_title,
        comment_html=render.comment_html,
        csrf_field=CSRF_FIELD,
        version=__version__,
    )
    return env


templates = Jinja2Templates(env=_environment())


def static_url(name: str) -> str:
    # The version in the query string busts browsers' caches when papersift is upgraded.
    return f"/static/{name}?v={__version__}"


templates.env.globals["static_url"] = static_url


def page(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a template with what every page needs: the user, the CSRF token, the current path."""
    values: dict[str, Any] = {
        "user": current_user(request),
        "csrf": csrf_token(request),
        "path": request.url.path,
        "query": request.url.query,
        "title": "",
        "nav": "",
    }
    values.update(context or {})
    response = templates.TemplateResponse(request, name, values, status_code=status_code, headers=headers)
    # Cached pages would show another user's name and token; partial responses differ by HX-Request.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Cookie, HX-Request"
    return response
