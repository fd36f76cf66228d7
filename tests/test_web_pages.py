"""The HTML pages, in process: every page renders, bad input never breaks a page, hostile text
stays inert, state changes need a CSRF token and an account, sessions and votes work end to end.

One library (40 demo papers and a hostile one, embedded with the real model so the paper page
shows similar papers) is built once for the module; tests that vote or sign in use their own
accounts and client addresses, so they do not depend on each other.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from conftest import MODEL, LibraryLocations
from papersift import Library
from papersift.members.accounts import MAX_FAILURES
from papersift.web.app import create_app
from papersift.web.render import highlight, safe_url
from papersift.web.security import CSRF_COOKIE, SESSION_COOKIE
from test_library_semantic import demo_records, write_jsonl

EVIL_ID = "2699.99999"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"
EVIL_AUTHOR = f"Mallory {IMG}"
EVIL_TEMPLATE_AUTHOR = "Eve {{7*7}}"

_addresses = (f"10.0.{n // 250}.{n % 250 + 1}" for n in itertools.count())


@pytest.fixture(scope="module")
def library(
    tmp_path_factory: pytest.TempPathFactory, library_locations: LibraryLocations
) -> Iterator[Library]:
    folder = tmp_path_factory.mktemp("web")
    records: list[dict[str, Any]] = demo_records(40)
    evil = dict(
        records[0],
        id=EVIL_ID,
        title=f"Xssmarker {SCRIPT} {TEMPLATE} {IMG}",
        abstract=f"Xssmarker abstract {SCRIPT} and {IMG} and {TEMPLATE} with $x^2$ kept.",
        authors=[EVIL_AUTHOR, EVIL_TEMPLATE_AUTHOR],
    )
    lib = Library.open(library_locations.new(folder, "web"), embedding_model=MODEL)
    report = lib.ingest(write_jsonl(folder / "papers.jsonl", [*records, evil]))
    assert report.ok and report.added == 41
    stored = lib.paper(EVIL_ID)  # the test means something only if the text survived ingest
    assert SCRIPT in stored.title and IMG in stored.abstract and TEMPLATE in stored.title
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def app(library: Library) -> FastAPI:
    return create_app(library)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    """A browser of its own (cookies) at an address of its own (sign-in rate limits)."""
    return TestClient(app, client=(next(_addresses), 50000), follow_redirects=False)


@pytest.fixture(scope="module")
def sample(library: Library) -> dict[str, str]:
    """Values the pages are asked about: a paper, its author, a category, a day with papers."""
    # The newest paper with co-authors: first in the feed of its day and on the trending page.
    newest_first = library.daily(sort="date", limit=50).items
    paper = next(i.paper for i in newest_first if i.paper.id != EVIL_ID and len(i.paper.authors) > 1)
    return {
        "id": paper.id,
        "title": paper.title,
        "author": paper.authors[0],
        "category": paper.categories[0],
        "day": paper.published.isoformat() if paper.published else "",
        "word": max(paper.title.split(), key=len).strip(":,.()"),
    }


def csrf_of(client: TestClient) -> str:
    """The CSRF token a page gives this browser (the cookie set with the page, and in its forms)."""
    page = client.get("/search")
    token = page.cookies.get(CSRF_COOKIE) or client.cookies.get(CSRF_COOKIE)
    assert token and f'<meta name="csrf-token" content="{token}">' in page.text
    assert f'"X-CSRF-Token": "{token}"' in page.text  # htmx sends it with every request
    return token


def sign_up(client: TestClient, email: str, password: str = "correct horse battery") -> None:
    token = csrf_of(client)
    response = client.post(
        "/signup", data={"email": email, "name": "Ada", "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    assert client.cookies.get(SESSION_COOKIE)


def first_card_title(html: str) -> str:
    match = re.search(r'class="card-title">.*?<a href="[^"]*">(.*?)</a>', html, re.S)
    assert match, "no paper in the list"
    return match.group(1)


def vote_count(client: TestClient, paper_id: str) -> int:
    html = client.get(f"/papers/{paper_id}").text
    match = re.search(r'<span class="count">(\d+)</span>', html)
    assert match, "no upvote button on the paper page"
    return int(match.group(1))


# -- every page renders ----------------------------------------------------------------------------


PAGES = [
    ("/", ["Daily papers", "papers, most upvoted first"]),
    ("/?period=week", ["Papers of the week", "Previous week"]),
    ("/?period=month&sort=date", ["Papers of the month", "newest first"]),
    ("/?date={day}", ["{title}"]),
    ("/trending", ["What researchers are reading", "{title}"]),
    ("/trending?page=2", ["Trending"]),
    ("/search", ["Try a search"]),
    ("/search?q={word}", ["Best matches by words and meaning", "<mark>", "{title}"]),
    ("/search?q={word}&mode=keyword", [" match", "<mark>", "{title}"]),
    ("/search?q={word}&mode=semantic", ["Best matches by meaning"]),
    ("/search?category={category}", ["paper"]),
    ("/search?q={word}&from=2020-01-01&to=2030-12-31&author={author}", ["{title}"]),
    ("/papers/{id}", ["{title}", "Abstract", "Similar papers", "arXiv page", "PDF", 'class="similar-item"']),
    ("/authors/{author}", ["{author}", "{title}"]),
    ("/categories/{category}", ["{category}", "newest first"]),
    ("/?has_code=1", ["Daily papers", 'aria-current="page">With code</a>']),
    ("/search?q={word}&has_code=1", ['id="has_code"']),
    ("/leaderboards", ["Leaderboards", 'aria-current="page">Leaderboards</a>']),
    ("/login", ["Log in", 'autocomplete="current-password"']),
    ("/signup", ["Create your account", 'autocomplete="new-password"']),
]


@pytest.mark.parametrize(("url", "expected"), PAGES, ids=[url for url, _ in PAGES])
def test_every_page_renders_with_its_content(
    client: TestClient, sample: dict[str, str], url: str, expected: list[str]
) -> None:
    response = client.get(url.format(**{k: quote(v) for k, v in sample.items()}))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    for text in expected:
        assert text.format(**{k: escape_html(v) for k, v in sample.items()}) in html, text
    # Accessible skeleton: one h1, a skip link to main, the language, labelled inputs.
    assert html.count("<h1") == 1
    assert 'href="#main"' in html and 'id="main"' in html and '<html lang="en">' in html
    for input_id in re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html):
        assert f'for="{input_id}"' in html, f"input #{input_id} has no label"
    # Nothing the Content-Security-Policy would block: no inline script, style or handler.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"<style|<[a-z][^>]*\s(?:style|on[a-z]+)=", html)


def escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")


def test_the_daily_feed_links_to_other_days_and_periods(client: TestClient, sample: dict[str, str]) -> None:
    html = client.get(f"/?date={sample['day']}&period=day").text
    # Previous and next go to the nearest days that have papers; at either end they are disabled.
    assert (
        'rel="prev"' in html or 'aria-disabled="true"><span aria-hidden="true">←</span> Previous day' in html
    )
    far_future = client.get("/?date=2099-01-01&period=day").text
    assert 'rel="prev"' in far_future and 'aria-disabled="true">Next day' in far_future
    far_past = client.get("/?date=1990-01-01&period=day").text
    assert 'rel="next"' in far_past and "Previous day</span>" in far_past
    for period in ("day", "week", "month"):
        assert f"period={period}" in html
    assert "sort=date" in html
    # The newest day has no "next day" link.
    newest = client.get("/").text
    assert 'aria-disabled="true">Next day' in newest


def test_a_paper_page_shows_authors_as_links_and_canonical_address(
    client: TestClient, sample: dict[str, str]
) -> None:
    html = client.get(f"/papers/{sample['id']}").text
    assert f'href="/authors/{quote(sample["author"], safe="")}"' in html
    assert f'href="/categories/{quote(sample["category"], safe="")}"' in html
    versioned = client.get(f"/papers/{sample['id']}v1")
    assert versioned.status_code == 301
    assert versioned.headers["location"] == f"/papers/{sample['id']}"


def test_unknown_paper_author_category_and_page_are_404_pages(client: TestClient) -> None:
    for url in ("/papers/0000.00000", "/authors/Nobody%20Atall", "/categories/xx.YY", "/no/such/page"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.headers["content-type"].startswith("text/html")
        assert "Page not found" in response.text and "Latest papers" in response.text


def test_api_paths_get_json_errors(client: TestClient) -> None:
    response = client.get("/api/no-such-endpoint")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")


def test_an_unexpected_error_is_a_clean_500_page(library: Library) -> None:
    app = create_app(library)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret detail")

    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "secret detail" not in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_bad_parameters_are_explained_in_a_400_page(client: TestClient) -> None:
    for url in ("/?date=yesterday", "/?period=year", "/search?q=x&mode=psychic", "/search?page=0"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "This request makes no sense to us" in response.text


def test_no_template_global_asks_the_library(app: FastAPI) -> None:
    """Templates render the values a handler gives them: no global reads the request's context
    (which is how one would reach the Library while a page renders)."""
    from papersift.web.templating import templates

    for name, value in templates.env.globals.items():
        if name != "url_for":  # Starlette's: builds an address from the app's routes
            assert getattr(value, "jinja_pass_arg", None) is None, name


# -- search as you type --------------------------------------------------------------------------


def test_htmx_search_gets_the_results_fragment(client: TestClient, sample: dict[str, str]) -> None:
    headers = {"HX-Request": "true", "HX-Target": "results"}
    response = client.get(f"/search?q={quote(sample['word'])}", headers=headers)
    assert response.status_code == 200
    assert "<html" not in response.text and "<mark>" in response.text
    assert "HX-Request" in response.headers["vary"]
    # The search box asks at most every 300 ms and replaces (cancels) a request in flight.
    page = client.get("/search").text
    assert 'hx-trigger="input changed delay:300ms, search"' in page
    assert 'hx-sync="closest form:replace"' in page and 'aria-live="polite"' in page


# -- hostile text ------------------------------------------------------------------------------------


def test_hostile_titles_abstracts_and_authors_render_inert(client: TestClient, library: Library) -> None:
    day = library.paper(EVIL_ID).published
    pages = [
        f"/papers/{EVIL_ID}",
        "/search?q=xssmarker",
        "/search?q=xssmarker+script+img&mode=keyword",
        f"/authors/{quote(EVIL_AUTHOR, safe='')}",
        f"/authors/{quote(EVIL_TEMPLATE_AUTHOR, safe='')}",
        f"/?date={day}&sort=date",
        "/trending",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.text
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "onerror=alert(1)>" not in html.replace("&gt;", ""), url
        assert "{{7*7}}" in html, url  # shown as typed, never evaluated
        assert not re.search(r"Xssmarker[^<]*\b49\b", html), url
    title = re.search(r'<h1 id="paper-title">(.*?)</h1>', client.get(f"/papers/{EVIL_ID}").text, re.S)
    assert title and "&lt;script&gt;alert(1)&lt;/script&gt;" in title.group(1)
    assert "49" not in title.group(1)


def test_highlights_and_links_are_built_safely() -> None:
    assert str(highlight("a <b> c", [(2, 5)])) == "a <mark>&lt;b&gt;</mark> c"
    assert str(highlight("abc", [(1, 9), (2, 1), (0, 1)])) == "<mark>a</mark>bc"  # bad spans skipped
    assert safe_url("javascript:alert(1)") is None and safe_url("data:text/html,x") is None
    assert safe_url("https://github.com/a/b") == "https://github.com/a/b"


# -- odd input in every parameter --------------------------------------------------------------------


ODD = [
    "'",
    '"',
    "' OR 1=1 --",
    '"; DROP TABLE papers; --',
    "*",
    "**",
    "NEAR(a b)",
    "a AND OR NOT",
    "(",
    ")",
    "\\",
    "%",
    "_",
    "%00",
    "\x00",
    "{{7*7}}",
    "../../etc/passwd",
    "<script>",
    "author:",
    'cat:"',
    "-",
    '""',
    "^",
    ":",
    "col:val",
    "year:99999",
    "date:2026-13-45",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ☃ ﷽",
    "-1",
    "1e309",
    "NaN",
    " ",
    "x" * 3000,
]

PARAMETERS = [
    "/search?q={}",
    "/search?q={}&mode=keyword",
    "/search?q={}&mode=semantic",
    "/search?q=model&mode={}",
    "/search?q=model&category={}",
    "/search?author={}",
    "/search?q=model&from={}",
    "/search?q=model&to={}",
    "/search?q=model&page={}",
    "/?date={}",
    "/?period={}",
    "/?sort={}",
    "/?page={}",
    "/trending?page={}",
    "/papers/{}",
    "/authors/{}",
    "/authors/x?page={}",
    "/categories/{}",
    "/?has_code={}",
    "/search?q=model&has_code={}",
    "/leaderboards?q={}",
    "/leaderboards/{}",
    "/leaderboards/CIFAR-10?metric={}",
    "/login?next={}",
    "/signup?next={}",
]


@pytest.mark.parametrize("pattern", PARAMETERS)
def test_odd_input_in_any_parameter_is_never_a_server_error(client: TestClient, pattern: str) -> None:
    for value in ODD:
        response = client.get(pattern.format(quote(value, safe="")))
        assert response.status_code < 500, (pattern, value, response.text[:500])


# -- CSRF ----------------------------------------------------------------------------------------------


def test_state_changing_requests_need_the_csrf_token(client: TestClient, sample: dict[str, str]) -> None:
    token = csrf_of(client)
    upvote = f"/papers/{sample['id']}/upvote"
    refused = [
        client.post("/login", data={"email": "a@b.cd", "password": "whatever1"}),
        client.post("/signup", data={"email": "a@b.cd", "password": "whatever1"}),
        client.post("/logout"),
        client.post(upvote, data={"voted": "1"}),
        client.post(upvote, data={"voted": "1", "csrf_token": "forged"}),
        client.post(upvote, headers={"X-CSRF-Token": "forged"}),
        client.post(upvote, data={"csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"}),
        client.post(upvote, data={"csrf_token": token}, headers={"Origin": "https://evil.example"}),
    ]
    for response in refused:
        assert response.status_code == 403
        assert "text/html" in response.headers["content-type"]
    other_browser = TestClient(client.app, follow_redirects=False)  # no cookie: a token alone fails
    assert other_browser.post(upvote, data={"csrf_token": token}).status_code == 403


def test_upvoting_needs_an_account(client: TestClient, sample: dict[str, str]) -> None:
    token = csrf_of(client)
    upvote = f"/papers/{sample['id']}/upvote"
    response = client.post(upvote, data={"voted": "1", "csrf_token": token, "next": "/trending"})
    assert response.status_code == 303
    assert urlsplit(response.headers["location"]).path == "/login"
    htmx = client.post(upvote, data={"voted": "1"}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login?next=")


# -- accounts and votes --------------------------------------------------------------------------------


def test_sign_up_log_out_log_in_upvote_and_undo(client: TestClient, sample: dict[str, str]) -> None:
    paper = sample["id"]
    before = vote_count(client, paper)
    sign_up(client, "ada@example.org")
    assert "Ada" in client.get("/").text and "Log out" in client.get("/").text

    token = csrf_of(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert not client.cookies.get(SESSION_COOKIE)
    assert "Sign up" in client.get("/").text

    token = csrf_of(client)
    logged_in = client.post(
        "/login",
        data={
            "email": "ada@example.org",
            "password": "correct horse battery",
            "csrf_token": token,
            "next": "/trending",
        },
    )
    assert logged_in.status_code == 303 and logged_in.headers["location"] == "/trending"

    voted = client.post(
        f"/papers/{paper}/upvote", data={"voted": "1", "csrf_token": token, "next": f"/papers/{paper}"}
    )
    assert voted.status_code == 303 and voted.headers["location"] == f"/papers/{paper}"
    assert vote_count(client, paper) == before + 1
    assert 'aria-pressed="true"' in client.get(f"/papers/{paper}").text
    assert first_card_title(client.get("/trending").text) == escape_html(sample["title"])

    # Voting twice is still one vote; htmx gets the button back, not a page.
    again = client.post(
        f"/papers/{paper}/upvote", data={"voted": "1"}, headers={"X-CSRF-Token": token, "HX-Request": "true"}
    )
    assert again.status_code == 200 and "<html" not in again.text
    assert f'<span class="count">{before + 1}</span>' in again.text and 'aria-pressed="true"' in again.text

    undone = client.post(
        f"/papers/{paper}/upvote", data={"voted": "0"}, headers={"X-CSRF-Token": token, "HX-Request": "true"}
    )
    assert f'<span class="count">{before}</span>' in undone.text and 'aria-pressed="false"' in undone.text
    assert vote_count(client, paper) == before


def test_sign_up_errors_are_shown_in_the_form(client: TestClient) -> None:
    token = csrf_of(client)
    bad = client.post(
        "/signup", data={"email": "not-an-email", "password": "long enough", "csrf_token": token}
    )
    assert bad.status_code == 400 and 'role="alert"' in bad.text and "not an e-mail address" in bad.text
    short = client.post("/signup", data={"email": "bo@example.org", "password": "short", "csrf_token": token})
    assert short.status_code == 400 and "at least 8 characters" in short.text
    sign_up(client, "taken@example.org")
    twice = client.post(
        "/signup", data={"email": "taken@example.org", "password": "long enough", "csrf_token": token}
    )
    assert twice.status_code == 400 and "exists already" in twice.text


def test_wrong_password_then_rate_limit(client: TestClient) -> None:
    sign_up(client, "grace@example.org")
    token = csrf_of(client)
    wrong = {"email": "grace@example.org", "password": "not the password", "csrf_token": token}
    for _ in range(MAX_FAILURES):
        response = client.post("/login", data=wrong)
        assert response.status_code == 401 and "Wrong e-mail or password" in response.text
    locked = client.post("/login", data={**wrong, "password": "correct horse battery"})
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in locked.text and 'role="alert"' in locked.text


def test_the_log_in_and_sign_up_pages_send_a_signed_in_user_on(client: TestClient) -> None:
    sign_up(client, "ben@example.org")
    for url in ("/login?next=/trending", "/signup?next=/trending"):
        response = client.get(url)
        assert response.status_code == 303 and response.headers["location"] == "/trending"


def test_login_never_redirects_off_site(client: TestClient) -> None:
    sign_up(client, "lin@example.org")
    token = csrf_of(client)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.post(
            "/login",
            data={
                "email": "lin@example.org",
                "password": "correct horse battery",
                "csrf_token": token,
                "next": target,
            },
        )
        assert response.status_code == 303 and response.headers["location"] == "/", target


# -- cookies and headers ----------------------------------------------------------------------------


def set_cookies(response: Any) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def test_session_and_csrf_cookies_are_http_only_and_same_site(client: TestClient) -> None:
    page = client.get("/login")
    csrf = set_cookies(page)[CSRF_COOKIE].lower()
    assert "httponly" in csrf and "samesite=strict" in csrf and "secure" not in csrf
    token = page.cookies[CSRF_COOKIE]
    client.post("/signup", data={"email": "kay@example.org", "password": "long enough", "csrf_token": token})
    signed_in = client.post(
        "/login", data={"email": "kay@example.org", "password": "long enough", "csrf_token": token}
    )
    session = set_cookies(signed_in)[SESSION_COOKIE].lower()
    assert "httponly" in session and "samesite=lax" in session and "path=/" in session


def test_cookies_are_secure_over_https(app: FastAPI) -> None:
    client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    page = client.get("/signup")
    assert "secure" in set_cookies(page)[CSRF_COOKIE].lower()
    token = page.cookies[CSRF_COOKIE]
    signed_up = client.post(
        "/signup",
        data={"email": "sec@example.org", "password": "long enough", "csrf_token": token},
        headers={"Origin": "https://testserver"},
    )
    assert "secure" in set_cookies(signed_up)[SESSION_COOKIE].lower()


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for url in ("/", "/papers/0000.00000", "/static/papersift.css", "/search?q=model"):
        headers = client.get(url).headers
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self';" in policy
        assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert headers["x-frame-options"] == "DENY"


def test_htmx_is_vendored_with_its_licence() -> None:
    static = Path(__file__).resolve().parent.parent / "src" / "papersift" / "web" / "static"
    assert (static / "htmx.min.js").read_text(encoding="utf-8").startswith("var htmx=function()")
    assert "Zero-Clause BSD" in (static / "htmx.LICENSE").read_text(encoding="utf-8")


def test_the_api_docs_are_served_from_this_site(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/static/swagger-ui/swagger-ui-bundle.js" in docs.text and "https://" not in docs.text
    assert "https:" not in docs.headers["content-security-policy"]
    assert client.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/redoc").status_code == 404  # FastAPI's ReDoc would load from a CDN
