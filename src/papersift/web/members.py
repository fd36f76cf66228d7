"""A member's pages: their library of collections, saving papers, subscriptions and unsubscribing.

    /library                      collections, and a form to import one (BibTeX or a list of ids)
    /library/{name}               a collection's papers with notes; .bib and .json export it
    /papers/{id}/save             POST: save a paper into a collection (htmx swaps the control)
    /subscriptions                subscriptions, a form to add one, a preview of the next digests
    /unsubscribe/{token}          the link in every digest: GET asks, POST (or RFC 8058) stops

Like `pages.py`: each route translates its parameters, asks the Library, renders a template;
forms work as plain POSTs that redirect back (no JavaScript), and htmx gets the fragment it swaps.

Collection names are free text ("ML / theory", "100%"): in a URL a name is one path segment with
every reserved character escaped (`collection_path`), and the routes take the rest of the path.
`/library/{name}.bib` and `.json` are the exports; a collection whose own name ends in `.bib` wins
over exporting the collection without that ending (the one address both could mean).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift.errors import CollectionError, PapersiftError, SubscriptionError
from papersift.library import SEARCH_MODES, Library
from papersift.records import (
    DEFAULT_COLLECTION,
    DEFAULT_MAX_PAPERS,
    FREQUENCIES,
    MAX_COLLECTION_NAME,
    MAX_NOTE,
    MAX_PAPERS,
    RECOMMENDATION_DAYS,
    SUBSCRIPTION_KINDS,
    CollectionImport,
    Digest,
    Frequency,
    SavedPaper,
    User,
)
from papersift.web import params
from papersift.web.pages import _local_path, cards_of, save_state_of
from papersift.web.render import paper_path
from papersift.web.security import csrf_exempt, current_user, get_library
from papersift.web.templating import page, templates

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

FOR_YOU_SIZE = 30
MAX_IMPORT_BYTES = 5 * 1024 * 1024  # a BibTeX file of some thousands of entries
EXPORTS = {".bib": "bibtex", ".json": "json"}
EXPORT_TYPES = {"bibtex": "application/x-bibtex; charset=utf-8", "json": "application/json"}
KIND_LABELS: dict[str, str] = {
    "query": "A search",
    "author": "An author",
    "category": "A category",
    "collection": "Papers like a collection",
    "trending": "Trending papers",
}
MODE_LABELS = {"hybrid": "Words and meaning", "semantic": "Meaning only", "keyword": "Words only"}


# -- addresses and shared state ---------------------------------------------------------------


def collection_path(name: str) -> str:
    """The page of a collection: the name as one path segment ("/", "?", "%" escaped)."""
    return "/library/" + quote(name, safe="")


templates.env.globals.update(
    collection_path=collection_path,
    max_collection_name=MAX_COLLECTION_NAME,
    max_note=MAX_NOTE,
)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _sign_in_first(request: Request, back: str) -> Response:
    """Off to the log-in page, coming back to `back` (htmx follows HX-Redirect, whatever the status)."""
    login = "/login?" + urlencode({"next": back})
    if _is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": login})
    return RedirectResponse(login, status_code=303)


def _missing(error: CollectionError) -> HTTPException:
    return HTTPException(status_code=404, detail=error.reason[:1].upper() + error.reason[1:] + ".")


def _sentence(reason: str) -> str:
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")


# -- the library: collections -----------------------------------------------------------------


def _library_page(
    request: Request,
    user: User,
    *,
    report: CollectionImport | None = None,
    imported_into: str = "",
    error: str = "",
    name: str = "",
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "library.html",
        {
            "title": "Your library",
            "nav": "library",
            "collections": get_library(request).collections(user),
            "report": report,
            "imported_into": imported_into,
            "error": error,
            "name": name,
            "default_collection": DEFAULT_COLLECTION,
        },
        status_code=status_code,
    )


@router.get("/for-you")
def for_you(request: Request) -> Response:
    """New papers ranked by the member's saved papers, each with why."""
    user = current_user(request)
    if user is None:
        return _sign_in_first(request, "/for-you")
    library = get_library(request)
    found = library.recommendations(user, limit=FOR_YOU_SIZE)
    token = library.recommendations_token(user)
    return page(
        request,
        "for_you.html",
        {
            "title": "For you",
            "nav": "for-you",
            "recommendations": found,
            "saved": sum(c.papers for c in library.collections(user)),
            "days": RECOMMENDATION_DAYS,
            "cards": cards_of(library, user, [item.paper for item in found]),
            "feed_path": f"/feeds/for-you/{token}.rss",
        },
    )


@router.get("/library")
def library_page(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first(request, "/library")
    return _library_page(request, user)


@router.post("/library/import")
def import_collection(
    request: Request,
    name: str = Form(""),
    file: Annotated[UploadFile | None, File()] = None,
    ids: str = Form(""),
) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first(request, "/library")
    data = b""
    origin = "the pasted ids"
    if file is not None and file.filename:
        data = file.file.read(MAX_IMPORT_BYTES + 1)  # a sync handler: the spooled file directly
        origin = file.filename
    if not data.strip():
        data, origin = ids.encode("utf-8"), "the pasted ids"
    error = ""
    if len(data) > MAX_IMPORT_BYTES:
        error = f"The file is too large: at most {MAX_IMPORT_BYTES // (1024 * 1024)} MB."
    elif not data.strip():
        error = "Choose a BibTeX file or a list of ids, or paste ids."
    if not error:
        try:
            report = get_library(request).import_collection(user, name, data, origin=origin)
        except PapersiftError as failure:
            error = _sentence(failure.reason)
        else:
            return _library_page(request, user, report=report, imported_into=" ".join(name.split()))
    return _library_page(request, user, error=error, name=name[:MAX_COLLECTION_NAME], status_code=400)


@router.get("/library/{rest:path}")
def collection_page_or_export(request: Request, rest: str) -> Response:
    """The page of the collection named `rest`, or, for `{name}.bib` and `{name}.json`, its export."""
    user = current_user(request)
    if user is None:
        return _sign_in_first(request, collection_path(rest))
    if not rest.strip():
        return RedirectResponse("/library", status_code=303)
    library = get_library(request)
    names = {collection.name for collection in library.collections(user)}
    if rest.strip() not in names:
        for ending, format_name in EXPORTS.items():
            if rest.endswith(ending) and rest[: -len(ending)].strip() in names:
                return _export(library, user, rest[: -len(ending)].strip(), format_name)
    try:
        saved = library.collection(user, rest)
    except CollectionError as error:
        raise _missing(error) from None
    name = rest.strip()
    subscribed = any(s.kind == "collection" and s.value == name for s in library.subscriptions(user))
    return page(
        request,
        "collection.html",
        {
            "title": name,
            "nav": "library",
            "name": name,
            "saved": saved,
            "cards": cards_of(library, user, [item.paper for item in saved]),
            "subscribed": subscribed,
            "visibility": library.curation.visibility(user, name),  # (id, public)
        },
    )


def _export(library: Library, user: User, name: str, format_name: str) -> Response:
    body = "".join(library.export_collection(user, name, format_name))
    ending = next(end for end, fmt in EXPORTS.items() if fmt == format_name)
    plain = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "collection"
    disposition = f"attachment; filename=\"{plain}{ending}\"; filename*=UTF-8''{quote(name, safe='')}{ending}"
    return Response(
        body,
        media_type=EXPORT_TYPES[format_name],
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@router.post("/library/{name:path}/note")
def edit_note(request: Request, name: str, paper: str = Form(...), note: str = Form("")) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first(request, collection_path(name))
    library = get_library(request)
    if paper not in {item.paper.id for item in _saved(library, user, name)}:
        raise HTTPException(status_code=404, detail="This paper is not in this collection.")
    library.save_papers(user, [paper], name, note=note.strip())  # an empty note clears it
    return RedirectResponse(collection_path(name.strip()), status_code=303)


@router.post("/library/{name:path}/remove")
def remove_paper(request: Request, name: str, paper: str = Form(...)) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first(request, collection_path(name))
    library = get_library(request)
    try:
        library.unsave_paper(user, paper, name)
    except CollectionError as error:
        raise _missing(error) from None
    return RedirectResponse(collection_path(name.strip()), status_code=303)


@router.post("/library/{name:path}/delete")
def delete_collection(request: Request, name: str) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first(request, collection_path(name))
    try:
        get_library(request).delete_collection(user, name)
    except CollectionError as error:
        raise _missing(error) from None
    return RedirectResponse("/library", status_code=303)


def _saved(library: Library, user: User, name: str) -> list[SavedPaper]:
    try:
        return library.collection(user, name)
    except CollectionError as error:
        raise _missing(error) from None


# -- saving a paper ----------------------------------------------------------------------------


@router.post("/papers/{paper_id:path}/save")
def save_paper(
    request: Request,
    paper_id: str,
    collection: str = Form(""),
    new_collection: str = Form(""),
    note: str = Form(""),
    next_path: str = Form("", alias="next"),
) -> Response:
    library = get_library(request)
    paper = library.paper(paper_id)  # PaperNotFound: the 404 page
    back = _local_path(next_path, paper_path(paper.id))
    user = current_user(request)
    if user is None:
        return _sign_in_first(request, back)
    name = " ".join((new_collection.strip() or collection.strip() or DEFAULT_COLLECTION).split())
    message = error = ""
    try:
        library.save_papers(user, [paper.id], name, note=note.strip() or None)  # empty: keep the note
    except CollectionError as failure:
        if not _is_htmx(request):
            raise
        error = _sentence(failure.reason)
    else:
        message = f"Saved to “{name}”."
    if _is_htmx(request):
        context = {
            "paper_id": paper.id,
            "state": save_state_of(library, user, library.cards([paper], user)[0]),
            "next": back,
            "message": message,
            "error": error,
        }
        return page(request, "_save.html", context)
    return RedirectResponse(back, status_code=303)


# -- subscriptions and the preview of the next digests ----------------------------------------


def _frequency(value: str) -> Frequency:
    if value not in FREQUENCIES:
        raise SubscriptionError(f"a digest is daily or weekly, not {value[:20]!r}")
    return "weekly" if value == "weekly" else "daily"


def _subscriptions_page(
    request: Request,
    user: User,
    day: date | None,
    *,
    form: dict[str, str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    library = get_library(request)
    subscriptions = library.subscriptions(user)
    previews: list[tuple[Frequency, Digest | None, str]] = []
    for frequency in FREQUENCIES:
        if any(s.frequency == frequency for s in subscriptions):
            try:
                previews.append((frequency, library.digest(user, day, frequency), ""))
            except PapersiftError as failure:  # e.g. a collection it follows was deleted
                previews.append((frequency, None, _sentence(failure.reason)))
    papers = [entry.paper for _, digest, _ in previews if digest for entry in digest.entries]
    defaults = {"kind": "query", "value": "", "mode": "hybrid", "frequency": "daily"}
    return page(
        request,
        "subscriptions.html",
        {
            "title": "Subscriptions",
            "nav": "subscriptions",
            "subscriptions": subscriptions,
            "previews": previews,
            "cards": cards_of(library, user, papers),
            "notified": library.curation.comment_notifications(user),
            "preview_day": day or date.today(),
            "form": {**defaults, "max": str(DEFAULT_MAX_PAPERS), **(form or {})},
            "error": error,
            "kinds": [(kind, KIND_LABELS[kind]) for kind in SUBSCRIPTION_KINDS],
            "modes": [(mode, MODE_LABELS[mode]) for mode in SEARCH_MODES],
            "max_papers": MAX_PAPERS,
            "collections": [c.name for c in library.collections(user)],
        },
        status_code=status_code,
    )


@router.get("/subscriptions")
def subscriptions_page(request: Request, day_text: str | None = Query(None, alias="day")) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first(
            request, "/subscriptions" + (f"?{request.url.query}" if request.url.query else "")
        )
    return _subscriptions_page(request, user, params.day(day_text, "day"))


def _search_text(value: str, category: str, author: str, has_code: bool = False) -> str:
    """A search with filters as one query: the filters written in the query language."""
    parts = [value.strip()]
    if category.strip():
        parts.append("cat:" + "".join(category.split()))
    if author.strip():
        parts.append('author:"' + " ".join(author.replace('"', " ").split()) + '"')
    if has_code and "has:code" not in value.lower().split():
        parts.append("has:code")
    return " ".join(part for part in parts if part)


@router.post("/subscriptions")
def subscribe(
    request: Request,
    kind: str = Form("query"),
    value: str = Form(""),
    mode: str = Form("hybrid"),
    frequency: str = Form("daily"),
    max_text: str = Form(str(DEFAULT_MAX_PAPERS), alias="max"),
    category: str = Form(""),
    author: str = Form(""),
    has_code: str = Form(""),
    next_path: str = Form("", alias="next"),
) -> Response:
    """Add a subscription (or change the one with the same kind and value). A search page sends its
    category, author and has-code filters apart; they become part of the query."""
    user = current_user(request)
    if user is None:
        return _sign_in_first(request, _local_path(next_path, "/subscriptions"))
    if kind == "query":
        value = _search_text(value, category, author, has_code.strip().lower() in ("1", "true", "on", "yes"))
    form = {"kind": kind, "value": value, "mode": mode, "frequency": frequency, "max": max_text}
    try:
        if kind not in SUBSCRIPTION_KINDS:
            raise SubscriptionError(f"choose what to subscribe to ({', '.join(SUBSCRIPTION_KINDS)})")
        if mode not in SEARCH_MODES:
            raise SubscriptionError(f"choose how a search matches ({', '.join(SEARCH_MODES)})")
        try:
            max_papers = int(max_text.strip())
        except ValueError:
            raise SubscriptionError(f"the number of papers must be a number, not {max_text[:20]!r}") from None
        subscription = get_library(request).subscribe(
            user,
            kind,
            value,
            mode=mode,
            frequency=_frequency(frequency),
            max_papers=max_papers,
        )
    except (SubscriptionError, CollectionError) as error:
        return _subscriptions_page(
            request, user, None, form=form, error=_sentence(error.reason), status_code=400
        )
    return RedirectResponse(f"/subscriptions#subscription-{subscription.id}", status_code=303)


@router.post("/subscriptions/{subscription_id}/delete")
def delete_subscription(request: Request, subscription_id: str) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first(request, "/subscriptions")
    if not subscription_id.isdigit():
        raise HTTPException(status_code=404, detail="There is no such subscription.")
    get_library(request).unsubscribe(user, int(subscription_id))  # gone already: nothing to do
    return RedirectResponse("/subscriptions", status_code=303)


# -- unsubscribing from a digest's link --------------------------------------------------------
#
# The signed token in the URL is the authorization: no sign-in, and no CSRF token (mail clients
# POST `List-Unsubscribe=One-Click` to it without cookies, RFC 8058). A forged POST can do no more
# than someone who holds the link already. GET never changes anything: link scanners fetch links.

NO_INDEX = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def _token_frequency(library: Library, token: str) -> Frequency:
    """The frequency a token stops, checked but not acted on."""
    return library.check_unsubscribe_token(token)[1]


def _unsubscribe_page(request: Request, context: dict[str, Any], status_code: int = 200) -> Response:
    values = {"title": "Unsubscribe", "frequency": "", "email": "", "token": "", "done": False, "error": ""}
    values.update(context)
    return page(request, "unsubscribe.html", values, status_code=status_code, headers=NO_INDEX)


@router.get("/unsubscribe/{token}")
def unsubscribe_form(request: Request, token: str) -> Response:
    try:
        frequency = _token_frequency(get_library(request), token)
    except SubscriptionError as error:
        return _unsubscribe_page(request, {"error": _sentence(error.reason)}, 400)
    return _unsubscribe_page(request, {"frequency": frequency, "token": token})


@router.post("/unsubscribe/{token}")
@csrf_exempt
def unsubscribe(request: Request, token: str) -> Response:
    """Stop the digests the token names: from the button of the GET page, or one click in a mail
    client (`List-Unsubscribe=One-Click` in the body, which needs no other check)."""
    try:
        email, frequency = get_library(request).unsubscribe_by_token(token)
    except SubscriptionError as error:
        return _unsubscribe_page(request, {"error": _sentence(error.reason)}, 400)
    return _unsubscribe_page(request, {"frequency": frequency, "email": email, "done": True})
