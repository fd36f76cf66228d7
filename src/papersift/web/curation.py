"""Pages of curation by people: the curated day, submitting, moderating, comments, public
collections and authorship claims.

    /, /new                       (in `pages.py`) the curated day once members curate, and every
                                  new paper of a day, week or month
    /submit                       GET: the form and one's submissions waiting for arXiv; POST: submit
    /daily/{day}/{id}/moderate    POST (curators): approve, pin, unpin, feature, unfeature, remove, restore
    /papers/{id}/comments         POST: comment on a paper (Markdown)
    /comments/{n}/edit, /delete   POST: one's own comment; curators delete anyone's
    /papers/{id}/claim            POST: "I am this author"
    /curate                       curators' desk: waiting entries, claims, the moderation log
    /curate/claims                POST (curators): confirm or reject a claim
    /curate/roles                 POST (admins): grant a member a role
    /collections/{n}              a public collection; .bib exports it (feeds: feeds)
    /collections/{n}/follow       POST: follow or stop following it
    /collections/visibility       POST: make one's collection public or private
    /subscriptions/comment-notifications   POST: e-mail me about comments on what I submitted

Like `pages.py`: each route translates its parameters, asks the Library (`library.curation`),
renders a template; forms are plain POSTs that redirect back. The paper page's route, which
shows the paper's discussion, is in `pages.py`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift.errors import CurationError, PaperNotFound
from papersift.records import ACTIONS, ROLES, User
from papersift.web import params
from papersift.web.members import collection_path
from papersift.web.pages import _local_path, cards_of
from papersift.web.render import dom_id, paper_path
from papersift.web.security import current_user, get_library
from papersift.web.templating import page

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

LOG_SIZE = 100
MAX_REFERENCE = 300  # an arXiv URL with a version and ".pdf" is far shorter


def _sign_in_first(back: str) -> Response:
    return RedirectResponse("/login?" + urlencode({"next": back}), status_code=303)


# -- the curated day ---------------------------------------------------------------------------


@router.post("/daily/{day_text}/{paper_id:path}/moderate")
def moderate(
    request: Request,
    day_text: str,
    paper_id: str,
    action: str = Form(...),
    next_path: str = Form("", alias="next"),
) -> Response:
    day = params.day(day_text, "day")
    assert day is not None
    user = current_user(request)
    back = _local_path(next_path, "/?" + urlencode({"date": day.isoformat()}))
    if user is None:
        return _sign_in_first(back)
    if action not in ACTIONS:
        raise HTTPException(status_code=400, detail=f"Unknown action {action[:20]!r}.")
    get_library(request).curation.moderate(user, day, paper_id, action)
    return RedirectResponse(back, status_code=303)


# -- submitting --------------------------------------------------------------------------------


@router.get("/submit")
def submit_form(request: Request, reference: str = Query("", max_length=MAX_REFERENCE)) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first("/submit")
    return _submit_page(request, user, reference=reference)


def _submit_page(request: Request, user: User, *, status_code: int = 200, **context: Any) -> Response:
    curation = get_library(request).curation
    return page(
        request,
        "submit.html",
        {
            "title": "Submit a paper",
            "nav": "submit",
            "waiting": curation.waiting_for_metadata(user),
            "window_days": curation.window_days,
            "moderated": curation.mode == "moderated",
            "reference": "",
            "error": "",
            "submission": None,
            **context,
        },
        status_code=status_code,
    )


@router.post("/submit")
def submit(request: Request, reference: str = Form(""), next_path: str = Form("", alias="next")) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first("/submit?" + urlencode({"reference": reference[:MAX_REFERENCE]}))
    reference = reference.strip()[:MAX_REFERENCE]
    try:
        submission = get_library(request).curation.submit(user, reference)
    except (CurationError, PaperNotFound) as error:
        return _submit_page(request, user, reference=reference, error=error.reason, status_code=400)
    if submission.outcome in ("listed", "already-listed") and submission.paper is not None:
        target = "/?" + urlencode({"date": submission.day.isoformat()})
        back = _local_path(next_path, target)
        return RedirectResponse(f"{back}#{_anchor(submission.paper.id)}" if back == target else back, 303)
    return _submit_page(request, user, submission=submission, status_code=202)


def _anchor(paper_id: str) -> str:
    return dom_id("entry", paper_id)


# -- comments ------------------------------------------------------------------------------------


@router.post("/papers/{paper_id:path}/comments")
def add_comment(request: Request, paper_id: str, body: str = Form("")) -> Response:
    library = get_library(request)
    paper = library.paper(paper_id)
    user = current_user(request)
    if user is None:
        return _sign_in_first(paper_path(paper.id) + "#comments")
    comment = library.curation.add_comment(user, paper.id, body)
    return RedirectResponse(f"{paper_path(paper.id)}#comment-{comment.id}", status_code=303)


@router.post("/comments/{comment_id}/edit")
def edit_comment(request: Request, comment_id: int, body: str = Form("")) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first("/")
    comment = get_library(request).curation.edit_comment(user, comment_id, body)
    return RedirectResponse(f"{paper_path(comment.paper_id)}#comment-{comment.id}", status_code=303)


@router.post("/comments/{comment_id}/delete")
def delete_comment(
    request: Request, comment_id: int, reason: str = Form(""), next_path: str = Form("", alias="next")
) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first("/")
    get_library(request).curation.delete_comment(user, comment_id, reason=reason.strip()[:500])
    return RedirectResponse(_local_path(next_path, "/") + "#comments", status_code=303)


@router.post("/subscriptions/comment-notifications")
def comment_notifications_setting(request: Request, notify: str = Form("1")) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first("/subscriptions")
    get_library(request).curation.set_comment_notifications(user, notify not in ("0", "false", ""))
    return RedirectResponse("/subscriptions#notifications", status_code=303)


# -- claims and the curators' desk ---------------------------------------------------------------


@router.post("/papers/{paper_id:path}/claim")
def claim(request: Request, paper_id: str, author: str = Form("")) -> Response:
    library = get_library(request)
    paper = library.paper(paper_id)
    user = current_user(request)
    if user is None:
        return _sign_in_first(paper_path(paper.id))
    library.curation.claim(user, paper.id, author)
    return RedirectResponse(paper_path(paper.id) + "#claim", status_code=303)


@router.get("/curate")
def curators_desk(request: Request, page_text: str = Query("1", alias="page")) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first("/curate")
    if not user.is_curator:
        raise HTTPException(status_code=403, detail="Only curators can open the curators' desk.")
    curation = get_library(request).curation
    number = params.page_number(page_text)
    return page(
        request,
        "curate.html",
        {
            "title": "Curators' desk",
            "nav": "curate",
            "waiting": curation.waiting_for_approval(),
            "claims": curation.claims("pending"),
            "log": curation.log(LOG_SIZE + 1, (number - 1) * LOG_SIZE),
            "log_size": LOG_SIZE,
            "page": number,
            "staff": curation.staff(),
            "roles": ROLES,
            "mode": curation.mode,
        },
    )


@router.post("/curate/roles")
def grant_role(request: Request, email: str = Form(...), role: str = Form(...)) -> Response:
    """Admins give members a role (the grant is logged)."""
    user = current_user(request)
    if user is None:
        return _sign_in_first("/curate")
    get_library(request).curation.grant(user, email.strip(), role)
    return RedirectResponse("/curate", status_code=303)


@router.post("/curate/claims")
def decide_claim(
    request: Request, email: str = Form(...), paper_id: str = Form(...), decision: str = Form(...)
) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first("/curate")
    if decision not in ("confirm", "reject"):
        raise HTTPException(status_code=400, detail="The decision is confirm or reject.")
    get_library(request).curation.decide_claim(user, email, paper_id, confirm=decision == "confirm")
    return RedirectResponse("/curate#claims", status_code=303)


# -- public collections ------------------------------------------------------------------------


@router.get("/collections/{collection_id}.bib")
def public_collection_bibtex(request: Request, collection_id: int) -> Response:
    library = get_library(request)
    shown = library.curation.public_collection(collection_id)
    body = "".join(library.export("bibtex", (saved.paper for saved in shown.papers)))
    return Response(
        body,
        media_type="application/x-bibtex; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="collection-{collection_id}.bib"'},
    )


@router.get("/collections/{collection_id}")
def public_collection(request: Request, collection_id: int) -> Response:
    library = get_library(request)
    shown = library.curation.public_collection(collection_id)  # PaperNotFound: 404 when private
    user = current_user(request)
    return page(
        request,
        "public_collection.html",
        {
            "title": shown.name,
            "collection": shown,
            "cards": cards_of(library, user, [saved.paper for saved in shown.papers]),
            "following": bool(user and collection_id in library.curation.followed(user)),
        },
    )


@router.post("/collections/{collection_id}/follow")
def follow(request: Request, collection_id: int, follow_text: str = Form("1", alias="follow")) -> Response:
    user = current_user(request)
    back = f"/collections/{collection_id}"
    if user is None:
        return _sign_in_first(back)
    get_library(request).curation.follow(user, collection_id, follow_text not in ("0", "false", ""))
    return RedirectResponse(back, status_code=303)


@router.post("/collections/visibility")
def visibility(
    request: Request, name: str = Form(...), public_text: str = Form("1", alias="public")
) -> Response:
    user = current_user(request)
    if user is None:
        return _sign_in_first("/library")
    public = public_text not in ("0", "false", "")
    collection_id = get_library(request).curation.set_public(user, name, public)
    target = f"/collections/{collection_id}" if public else collection_path(name)
    return RedirectResponse(target, status_code=303)
