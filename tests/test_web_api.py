"""The JSON API: Hugging Face Papers endpoints in Hugging Face's shapes, and papersift's own.

Most tests run the whole app in this process through `httpx.ASGITransport` over a small library
built per test; the shapes are checked against a real recorded Hugging Face response (shared
data); and one real server (uvicorn on loopback) is driven by the real `huggingface_hub` client,
the way its users will.
"""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from conftest import MODEL, InProcess, LibraryLocations, served_in_thread, store
from papersift import Library
from papersift.cli import DEMO_CORPUS
from papersift.records import Paper, ReportedResult
from papersift.web.api import paper_out
from papersift.web.api_hf import hf_paper, paper_markdown
from papersift.web.app import create_app
from papersift.web.security import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE

SPARSE = Paper(
    id="2606.10001",
    title="Sparse attention for long documents",
    abstract="We make attention sparse so that transformers read long documents in linear time.",
    authors=("Ada Lovelace", "Alan Turing"),
    categories=("cs.CL", "cs.LG"),
    published=date(2026, 6, 10),  # a Wednesday of ISO week 2026-W24
    arxiv_id="2606.10001",
    abs_url="https://arxiv.org/abs/2606.10001",
    pdf_url="https://arxiv.org/pdf/2606.10001",
    comment="12 pages",
    keywords=("attention", "efficiency"),
    code=("https://gitlab.com/example/mirror", "https://github.com/example/sparse-attention"),
    results=(ReportedResult("LongBench", "accuracy", 61.5, "reaches 61.5 accuracy on LongBench"),),
    source="test",
)
GRAPHS = Paper(
    id="2606.10002",
    title="Graph neural networks for molecules",
    abstract="Message passing over molecular graphs predicts chemical properties.",
    authors=("Grace Hopper",),
    categories=("cs.LG",),
    published=date(2026, 6, 10),
    source="test",
)
DIFFUSION = Paper(
    id="2606.10003",
    title="Diffusion models paint images",
    abstract="A diffusion model generates images from noise, step by step.",
    authors=("Alan Turing",),
    categories=("cs.CV",),
    published=date(2026, 6, 12),  # the Friday of the same week
    source="test",
)
MAY = Paper(
    id="2605.20001",
    title="Attention in May",
    abstract="An earlier paper about attention heads.",
    authors=("Emmy Noether",),
    categories=("cs.CL",),
    published=date(2026, 5, 20),
    source="test",
)
OLD_STYLE = Paper(  # an id with a slash, as arXiv wrote them before 2007
    id="hep-th/9901001",
    title="Strings before the new arXiv ids",
    abstract="A paper whose identifier holds a slash.",
    authors=("Paul Dirac",),
    categories=("hep-th",),
    published=date(1999, 1, 1),
    arxiv_id="hep-th/9901001",
    source="test",
)
HOSTILE = Paper(
    id="2606.10004",
    title='<script>alert(1)</script> {{7*7}} "><img src=x onerror=alert(2)>',
    abstract="<b>bold</b> claims; ' OR 1=1 --",
    authors=("Mallory",),
    categories=("cs.CR",),
    published=date(2026, 6, 11),
    source="test",
)
PAPERS = [SPARSE, GRAPHS, DIFFUSION, MAY, OLD_STYLE, HOSTILE]
MISSING = "2606.99999"

# Odd input for every parameter: query syntax, SQL and FTS5 metacharacters, control characters.
ODD_TEXT = [
    '"',
    "'",
    "*",
    "((a",
    "a AND OR NOT",
    "NEAR(a b, 2)",
    "title:* ^x",
    "'; DROP TABLE papers; --",
    "%_%\\",
    "author: year:abc date:9999-99-99..0000",
    "\x00\x01",
    "😀 ∑ 東京",
    "-",
]


@pytest.fixture
def lib(library: Library) -> Library:
    return store(library, PAPERS)


@pytest.fixture
def api(lib: Library) -> Iterator[InProcess]:
    client = InProcess(create_app(lib))
    yield client
    client.close()


def error_of(response: httpx.Response) -> str:
    """The message of an error response: `error` for Hugging Face clients, `detail` for FastAPI's."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert body["detail"] == body["error"] or response.status_code == 422
    return str(body["error"])


# -- the shapes of a real Hugging Face response -------------------------------------------------


def json_type(value: object) -> str:
    kinds = {bool: "boolean", int: "number", float: "number", str: "string", list: "array", dict: "object"}
    return "null" if value is None else kinds[type(value)]


def assert_same_shape(ours: list[dict[str, Any]], recorded: list[dict[str, Any]], where: str) -> None:
    """Our objects have every key that all recorded objects have, no key they never have, and
    the same JSON types; nested objects (and lists of objects) alike."""
    always = set.intersection(*(set(r) for r in recorded))
    known: dict[str, set[str]] = {}
    for record in recorded:
        for key, value in record.items():
            known.setdefault(key, set()).add(json_type(value))
    for item in ours:
        assert always <= set(item), f"{where}: missing {sorted(always - set(item))}"
        assert set(item) <= set(known), (
            f"{where}: keys Hugging Face never sends: {sorted(set(item) - set(known))}"
        )
        for key, value in item.items():
            assert json_type(value) in known[key], f"{where}.{key}: {json_type(value)}, not {known[key]}"
    for key in {key for item in ours for key in item}:
        nested_ours, nested_recorded = children(ours, key), children(recorded, key)
        if nested_ours and nested_recorded:
            assert_same_shape(nested_ours, nested_recorded, f"{where}.{key}")


def children(objects: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The objects under `key`: nested objects, and the objects in nested lists."""
    found: list[dict[str, Any]] = []
    for value in (o.get(key) for o in objects):
        if isinstance(value, dict):
            found.append(value)
        elif isinstance(value, list):
            found += [element for element in value if isinstance(element, dict)]
    return found


@pytest.fixture(scope="module")
def recorded_daily_papers(shared_data: Path) -> list[dict[str, Any]]:
    """A real response of https://huggingface.co/api/daily_papers (read in place: not ours to copy)."""
    files = sorted((shared_data / "formats" / "huggingface").glob("daily_papers_*.json"))
    if not files:
        pytest.skip("no recorded Hugging Face daily papers response in the shared data")
    items: list[dict[str, Any]] = json.loads(files[0].read_text(encoding="utf-8"))
    return items


def test_daily_papers_and_search_results_have_the_shape_hugging_face_sends(
    api: InProcess, recorded_daily_papers: list[dict[str, Any]]
) -> None:
    daily = api.get("/api/daily_papers", params={"month": "2026-06"}).json()
    found = api.get("/api/papers/search", params={"q": "attention"}).json()
    assert len(daily) == 4 and len(found) >= 2
    assert_same_shape(daily, recorded_daily_papers, "daily paper")
    assert_same_shape(found, recorded_daily_papers, "search result")


def test_a_paper_has_the_shape_of_a_daily_papers_paper(
    api: InProcess, recorded_daily_papers: list[dict[str, Any]]
) -> None:
    papers = [api.get(f"/api/papers/{paper.id}").json() for paper in PAPERS]
    assert_same_shape(papers, [item["paper"] for item in recorded_daily_papers], "paper")


def test_a_paper_says_what_papersift_knows_in_hugging_face_terms(api: InProcess) -> None:
    body = api.get("/api/papers/2606.10001v2").json()  # a versioned id finds the paper
    assert body["id"] == SPARSE.id
    assert body["title"] == SPARSE.title and body["summary"] == SPARSE.abstract
    assert [a["name"] for a in body["authors"]] == list(SPARSE.authors)
    assert len({a["_id"] for a in body["authors"]}) == 2  # each author of a paper has an id of its own
    assert body["publishedAt"] == "2026-06-10T00:00:00.000Z" == body["submittedOnDailyAt"]
    assert body["ai_keywords"] == ["attention", "efficiency"]
    assert body["upvotes"] == 0
    assert "projectPage" not in body and "organization" not in body  # unknown: left out, not null
    assert api.get("/api/papers/2606.10001").json() == body  # stable ids: the same answer twice


def test_an_unknown_paper_is_a_json_404_in_both_error_dialects(api: InProcess) -> None:
    for path in (f"/api/papers/{MISSING}", f"/papers/{MISSING}.md", f"/api/papers/{MISSING}/similar"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert MISSING in error_of(response)


# -- daily papers -------------------------------------------------------------------------------


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["paper"]["id"] for item in response.json()]


def test_daily_papers_of_a_day_week_or_month(api: InProcess) -> None:
    assert sorted(ids(api.get("/api/daily_papers", params={"date": "2026-06-10"}))) == [SPARSE.id, GRAPHS.id]
    week = ids(api.get("/api/daily_papers", params={"week": "2026-W24"}))
    assert week == [DIFFUSION.id, HOSTILE.id, GRAPHS.id, SPARSE.id]  # publishedAt: newest first
    assert ids(api.get("/api/daily_papers", params={"month": "2026-05"})) == [MAY.id]
    assert ids(api.get("/api/daily_papers", params={"date": "2026-06-09"})) == []


def test_daily_papers_without_a_period_are_the_newest_day(api: InProcess) -> None:
    assert ids(api.get("/api/daily_papers")) == [DIFFUSION.id]


def test_daily_papers_page_with_p_and_limit(api: InProcess) -> None:
    week = ids(api.get("/api/daily_papers", params={"week": "2026-W24"}))
    pages = [
        ids(api.get("/api/daily_papers", params={"week": "2026-W24", "limit": 3, "p": p})) for p in (0, 1, 2)
    ]
    assert pages == [week[:3], week[3:], []]


def test_daily_papers_by_submitter_are_all_papersift_s(api: InProcess) -> None:
    assert len(ids(api.get("/api/daily_papers", params={"week": "2026-W24", "submitter": "papersift"}))) == 4
    assert ids(api.get("/api/daily_papers", params={"week": "2026-W24", "submitter": "akhaliq"})) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date": "2026-02-30"}, "date '2026-02-30' is not a valid date (write it like 2026-06-12)"),
        ({"date": "12/06/2026"}, "is not a valid date"),
        ({"week": "2026-W54"}, "is not a valid week (write it like 2026-W24)"),
        ({"week": "2026-24"}, "is not a valid week"),
        ({"month": "2026-13"}, "is not a valid month (write it like 2026-06)"),
        ({"month": "9999-12"}, "out of range"),
        ({"date": "0001-01-01"}, "out of range"),
        ({"date": "2026-06-10", "week": "2026-W24"}, "give one of date, week and month, not date and week"),
    ],
)
def test_a_bad_period_is_a_400_that_says_how_to_write_it(
    api: InProcess, params: dict[str, str], message: str
) -> None:
    response = api.get("/api/daily_papers", params=params)
    assert response.status_code == 400
    assert message in error_of(response)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sort": "upvotes"}, "sort: Input should be 'publishedAt' or 'trending'"),
        ({"limit": "101"}, "limit: Input should be less than or equal to 100"),
        ({"limit": "0"}, "limit: Input should be greater than or equal to 1"),
        ({"limit": "-5"}, "limit: Input should be greater than or equal to 1"),
        ({"limit": "9" * 40}, "limit: Input should be less than or equal to 100"),
        ({"p": "-1"}, "p: Input should be greater than or equal to 0"),
        ({"p": "10" * 20}, "p: Input should be less than or equal to 10000"),
        ({"p": "two"}, "p: Input should be a valid integer"),
    ],
)
def test_bad_daily_paper_parameters_are_a_422_naming_the_parameter(
    api: InProcess, params: dict[str, str], message: str
) -> None:
    response = api.get("/api/daily_papers", params=params)
    assert response.status_code == 422
    assert message in error_of(response)
    assert response.json()["detail"][0]["loc"][-1] in params  # FastAPI's own list, for its clients


# -- read_paper: the paper page as markdown ------------------------------------------------------


def test_a_paper_as_markdown_has_title_authors_links_and_abstract(api: InProcess) -> None:
    response = api.get(f"/papers/{SPARSE.id}.md")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    text = response.text
    assert text.startswith("# Sparse attention for long documents\n")
    for expected in (
        "**Authors:** Ada Lovelace, Alan Turing",
        "**Published:** 2026-06-10",
        "**Categories:** cs.CL, cs.LG",
        "- arXiv: <https://arxiv.org/abs/2606.10001>",
        "- PDF: <https://arxiv.org/pdf/2606.10001>",
        "## Abstract\n\n" + SPARSE.abstract,
    ):
        assert expected in text


def test_code_links_and_reported_results_reach_both_shapes() -> None:
    # Built from the paper directly (ingest would read code links from the abstract instead).
    assert hf_paper(SPARSE, 0).githubRepo == "https://github.com/example/sparse-attention"  # not GitLab's
    assert hf_paper(GRAPHS, 0).githubRepo is None
    text = paper_markdown(SPARSE)
    assert (
        "- Code: <https://gitlab.com/example/mirror>\n- Code: <https://github.com/example/sparse-attention>"
        in text
    )
    assert "| Dataset | Metric | Value |\n|---|---|---|\n| LongBench | accuracy | 61.5 |" in text
    assert paper_out(SPARSE, 2).results[0].dataset == "LongBench"


def test_markdown_is_served_so_that_a_browser_never_runs_it(api: InProcess) -> None:
    response = api.get(f"/papers/{HOSTILE.id}.md")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_an_id_with_a_slash_works_everywhere(api: InProcess) -> None:
    assert api.get(f"/api/papers/{OLD_STYLE.id}").json()["title"] == OLD_STYLE.title
    assert api.get(f"/papers/{OLD_STYLE.id}.md").text.startswith(f"# {OLD_STYLE.title}")
    assert api.get(f"/api/papers/{OLD_STYLE.id}/similar").status_code == 503  # found; no model here


def test_the_markdown_route_wins_over_the_paper_page(api: InProcess) -> None:
    assert api.get(f"/papers/{SPARSE.id}.md").headers["content-type"].startswith("text/markdown")
    assert api.get(f"/papers/{SPARSE.id}").headers["content-type"].startswith("text/html")


# -- papersift's search --------------------------------------------------------------------------


def test_search_returns_hits_with_scores_snippets_highlights_and_papers(api: InProcess) -> None:
    body = api.get("/api/search", params={"q": "attention", "limit": 5}).json()
    assert body["query"] == "attention" and body["mode"] == "keyword"  # no embedding model in tests
    assert body["total"] == 2 and body["offset"] == 0 and body["limit"] == 5
    assert {hit["id"] for hit in body["hits"]} == {SPARSE.id, MAY.id}
    assert body["hits"][0]["score"] >= body["hits"][1]["score"] > 0
    hit = next(hit for hit in body["hits"] if hit["id"] == SPARSE.id)
    marked = {hit["snippet"][start:end].lower() for start, end in hit["highlights"]}
    assert marked == {"attention"}
    paper = hit["paper"]
    assert paper["title"] == SPARSE.title and paper["authors"] == list(SPARSE.authors)
    assert paper["published"] == "2026-06-10" and paper["keywords"] == list(SPARSE.keywords)
    assert paper["abs_url"] == SPARSE.abs_url and paper["upvotes"] == 0
    assert {"code", "results", "doi", "comment", "categories"} <= set(paper)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "attention", "author": "Emmy Noether"}, [MAY.id]),
        ({"q": "", "category": "cs.CV"}, [DIFFUSION.id]),
        ({"q": "attention", "from": "2026-06-01"}, [SPARSE.id]),
        ({"q": "attention", "to": "2026-05-31"}, [MAY.id]),
        ({"q": "", "author": "Alan Turing", "from": "2026-06-11", "to": "2026-06-30"}, [DIFFUSION.id]),
    ],
)
def test_search_filters(api: InProcess, params: dict[str, str], expected: list[str]) -> None:
    response = api.get("/api/search", params=params)
    assert [hit["id"] for hit in response.json()["hits"]] == expected


def test_search_pages_continue_each_other(api: InProcess) -> None:
    def page(offset: int, limit: int) -> list[str]:
        params = {"q": "", "offset": offset, "limit": limit}
        return [hit["id"] for hit in api.get("/api/search", params=params).json()["hits"]]

    everything = page(0, 100)
    assert len(everything) == len(PAPERS)
    assert page(0, 2) + page(2, 2) + page(4, 2) == everything
    assert page(len(PAPERS), 10) == []


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"mode": "fuzzy"}, 422, "mode: Input should be 'hybrid', 'semantic' or 'keyword'"),
        ({"mode": "semantic", "q": "x"}, 400, "semantic search is switched off"),
        ({"limit": "1000"}, 422, "limit: Input should be less than or equal to 100"),
        ({"limit": "-1"}, 422, "limit: Input should be greater than or equal to 1"),
        ({"offset": "-1"}, 422, "offset: Input should be greater than or equal to 0"),
        ({"offset": "1" * 30}, 422, "offset: Input should be less than or equal to 10000"),
        ({"from": "2026-13-01"}, 422, "from: Input should be a valid date"),
        ({"from": "2026-07-01", "to": "2026-06-01"}, 400, "from (2026-07-01) is after to (2026-06-01)"),
        ({"q": "x" * 2001}, 422, "q: String should have at most 2000 characters"),
        ({"author": "x" * 201}, 422, "author: String should have at most 200 characters"),
    ],
)
def test_bad_search_parameters_are_refused_with_the_reason(
    api: InProcess, params: dict[str, str], status: int, message: str
) -> None:
    response = api.get("/api/search", params=params)
    assert response.status_code == status
    assert message in error_of(response)


@pytest.mark.parametrize("odd", ODD_TEXT)
def test_odd_text_in_any_parameter_gives_results_or_a_4xx_never_a_500(api: InProcess, odd: str) -> None:
    requests = [
        ("/api/search", {"q": odd}),
        ("/api/search", {"q": "attention", "author": odd, "category": odd}),
        ("/api/search", {"q": odd, "mode": odd, "from": odd}),
        ("/api/papers/search", {"q": odd}),
        ("/api/daily_papers", {"date": odd}),
        ("/api/daily_papers", {"week": odd, "sort": odd}),
        ("/api/daily_papers", {"month": odd, "submitter": odd}),
        ("/api/trending", {"limit": odd}),
        (f"/api/papers/{quote(odd)}", {}),
        (f"/api/papers/{quote(odd)}/similar", {"limit": odd}),
        (f"/papers/{quote(odd)}.md", {}),
    ]
    for path, params in requests:
        response = api.get(path, params=params)
        assert response.status_code < 500, (path, params, response.text)
        assert response.headers["content-type"].startswith(("application/json", "text/markdown"))
    assert api.get("/api/search", params={"q": "attention"}).json()["total"] == 2  # the data survived


# -- upvotes and trending ------------------------------------------------------------------------


def sign_in(lib: Library, email: str) -> dict[str, str]:
    """Headers of a signed-in browser: its session and CSRF cookies, the token repeated."""
    user = lib.accounts.sign_up(email, "correct horse battery")
    session = lib.accounts.open_session(user)
    csrf = f"token-of-{email}"
    return {"Cookie": f"{SESSION_COOKIE}={session}; {CSRF_COOKIE}={csrf}", CSRF_HEADER: csrf}


def test_upvote_and_withdraw_count_once_per_user(api: InProcess, lib: Library) -> None:
    ada, grace = sign_in(lib, "ada@example.org"), sign_in(lib, "grace@example.org")
    url = f"/api/papers/{SPARSE.id}/upvote"
    assert api.request("POST", url, headers=ada).json() == {"id": SPARSE.id, "upvotes": 1, "upvoted": True}
    assert api.request("POST", url, headers=ada).json()["upvotes"] == 1  # again: still one vote
    assert api.request("POST", url, headers=grace).json()["upvotes"] == 2
    assert api.get(f"/api/papers/{SPARSE.id}").json()["upvotes"] == 2
    assert api.request("DELETE", url, headers=ada).json() == {"id": SPARSE.id, "upvotes": 1, "upvoted": False}
    assert api.request("DELETE", url, headers=ada).json()["upvotes"] == 1  # nothing left to withdraw
    assert api.request("POST", f"/api/papers/{SPARSE.id}v3/upvote", headers=ada).json()["id"] == SPARSE.id


def test_an_upvote_without_the_csrf_token_is_refused(api: InProcess, lib: Library) -> None:
    headers = sign_in(lib, "ada@example.org")
    without_token = {"Cookie": headers["Cookie"]}
    for method in ("POST", "DELETE"):
        response = api.request(method, f"/api/papers/{SPARSE.id}/upvote", headers=without_token)
        assert response.status_code == 403
        assert "CSRF" in error_of(response)
    wrong = {**headers, CSRF_HEADER: "guessed"}
    assert api.request("POST", f"/api/papers/{SPARSE.id}/upvote", headers=wrong).status_code == 403
    cross_site = {**headers, "Sec-Fetch-Site": "cross-site"}
    assert api.request("POST", f"/api/papers/{SPARSE.id}/upvote", headers=cross_site).status_code == 403
    assert lib.upvote_counts([SPARSE.id]) == {SPARSE.id: 0}


def test_an_upvote_needs_a_signed_in_user(api: InProcess) -> None:
    csrf_only = {"Cookie": f"{CSRF_COOKIE}=t", CSRF_HEADER: "t"}
    response = api.request("POST", f"/api/papers/{SPARSE.id}/upvote", headers=csrf_only)
    assert response.status_code == 401
    assert error_of(response) == "sign in first"
    stale = {"Cookie": f"{SESSION_COOKIE}=expired; {CSRF_COOKIE}=t", CSRF_HEADER: "t"}
    assert api.request("POST", f"/api/papers/{SPARSE.id}/upvote", headers=stale).status_code == 401


def test_an_upvote_of_an_unknown_paper_is_a_404(api: InProcess, lib: Library) -> None:
    response = api.request("POST", f"/api/papers/{MISSING}/upvote", headers=sign_in(lib, "ada@example.org"))
    assert response.status_code == 404 and MISSING in error_of(response)


def test_upvotes_rank_trending_and_the_trending_daily_papers(api: InProcess, lib: Library) -> None:
    voters = [sign_in(lib, f"voter{n}@example.org") for n in range(2)]
    for headers in voters:
        api.request("POST", f"/api/papers/{GRAPHS.id}/upvote", headers=headers)
    api.request("POST", f"/api/papers/{MAY.id}/upvote", headers=voters[0])
    trending = api.get("/api/trending", params={"limit": 3}).json()
    assert [(p["id"], p["upvotes"]) for p in trending["papers"][:2]] == [(GRAPHS.id, 2), (MAY.id, 1)]
    assert len(trending["papers"]) == 3  # then the newest paper nobody upvoted
    daily = api.get("/api/daily_papers", params={"week": "2026-W24", "sort": "trending"}).json()
    assert daily[0]["paper"]["id"] == GRAPHS.id and daily[0]["paper"]["upvotes"] == 2
    assert [p["id"] for p in api.get("/api/trending", params={"offset": 1, "limit": 1}).json()["papers"]] == [
        MAY.id
    ]


# -- similar papers (the real embedding model) ---------------------------------------------------


def demo_records(count: int) -> list[dict[str, Any]]:
    with gzip.open(DEMO_CORPUS, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in itertools.islice(lines, count)]


@pytest.fixture(scope="module")
def semantic_api(
    tmp_path_factory: pytest.TempPathFactory, library_locations: LibraryLocations
) -> Iterator[tuple[InProcess, list[dict[str, Any]]]]:
    folder = tmp_path_factory.mktemp("semantic-api")
    records = demo_records(30)
    source = folder / "papers.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with Library.open(library_locations.new(folder), embedding_model=MODEL) as library:
        assert library.ingest(source).embedded == 30
        client = InProcess(create_app(library))
        yield client, records
        client.close()


def test_similar_papers_are_ranked_by_meaning_without_the_paper_itself(
    semantic_api: tuple[InProcess, list[dict[str, Any]]],
) -> None:
    api, records = semantic_api
    seed = str(records[3]["id"])
    body = api.get(f"/api/papers/{seed}/similar", params={"limit": 5}).json()
    assert body["id"] == seed
    hits = body["hits"]
    assert len(hits) == 5 and seed not in {hit["id"] for hit in hits}
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1.0001 for s in scores)
    assert all(hit["paper"]["id"] == hit["id"] and hit["paper"]["title"] for hit in hits)
    assert api.get(f"/api/papers/{seed}/similar", params={"limit": 101}).status_code == 422


def test_semantic_and_hybrid_search_through_the_api(
    semantic_api: tuple[InProcess, list[dict[str, Any]]],
) -> None:
    api, records = semantic_api
    title = str(records[7]["title"])
    for mode in ("hybrid", "semantic"):
        body = api.get("/api/search", params={"q": title, "mode": mode, "limit": 3}).json()
        assert body["mode"] == mode and body["hits"][0]["id"] == records[7]["id"]


def test_without_the_model_similar_papers_are_a_503_that_says_why(api: InProcess) -> None:
    response = api.get(f"/api/papers/{SPARSE.id}/similar")
    assert response.status_code == 503
    assert "semantic search is switched off" in error_of(response)


# -- documentation -------------------------------------------------------------------------------


def test_the_openapi_document_describes_every_endpoint_and_its_answer(api: InProcess) -> None:
    spec = api.get("/openapi.json").json()
    paths = spec["paths"]
    for path, method, model in [
        ("/api/search", "get", "SearchOut"),
        ("/api/trending", "get", "TrendingOut"),
        ("/api/papers/{paper_id}/similar", "get", "SimilarOut"),
        ("/api/papers/{paper_id}/upvote", "post", "UpvoteOut"),
        ("/api/papers/{paper_id}/upvote", "delete", "UpvoteOut"),
        ("/api/papers/search", "get", "HfDailyPaper"),
        ("/api/daily_papers", "get", "HfDailyPaper"),
        ("/api/papers/{paper_id}", "get", "HfPaper"),
    ]:
        answer = json.dumps(paths[path][method]["responses"]["200"])
        assert f"#/components/schemas/{model}" in answer, (path, method)
    assert "text/markdown" in paths["/papers/{paper_id}.md"]["get"]["responses"]["200"]["content"]
    assert "ai_summary" in spec["components"]["schemas"]["HfPaper"]["properties"]


# -- a real server and the real huggingface_hub client --------------------------------------------


@pytest.fixture(scope="module")
def server_url(
    tmp_path_factory: pytest.TempPathFactory, library_locations: LibraryLocations
) -> Iterator[str]:
    """uvicorn on a free loopback port, in a thread, serving the test papers (one upvoted)."""
    library = store(Library.open(library_locations.new(tmp_path_factory.mktemp("served"))), PAPERS)
    user = library.accounts.sign_up("ada@example.org", "correct horse battery")
    library.upvote(user, GRAPHS.id)
    with served_in_thread(create_app(library)) as url:
        yield url
    library.close()


@pytest.fixture(scope="module")
def hf(server_url: str) -> Any:
    huggingface_hub = pytest.importorskip("huggingface_hub")
    return huggingface_hub.HfApi(endpoint=server_url, token=False)


def test_hf_list_papers_searches(hf: Any) -> None:
    papers = list(hf.list_papers(query="sparse attention"))
    assert papers[0].id == SPARSE.id and papers[0].title == SPARSE.title
    assert [author.name for author in papers[0].authors] == list(SPARSE.authors)
    assert papers[0].published_at == datetime(2026, 6, 10, tzinfo=UTC)
    assert papers[0].summary == SPARSE.abstract
    assert papers[0].submitted_by.fullname == "papersift"
    assert len(list(hf.list_papers(query="attention", limit=1))) == 1
    assert [paper.id for paper in hf.list_papers(limit=2)] == [DIFFUSION.id, HOSTILE.id]  # no query: newest


def test_hf_paper_info(hf: Any) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    info = hf.paper_info(SPARSE.id)
    assert (info.id, info.title, info.summary) == (SPARSE.id, SPARSE.title, SPARSE.abstract)
    assert info.submitted_at == datetime(2026, 6, 10, tzinfo=UTC)
    assert info.ai_keywords == ["attention", "efficiency"] and info.comments == 0
    assert hf.paper_info(GRAPHS.id).upvotes == 1
    assert hf.paper_info(OLD_STYLE.id).title == OLD_STYLE.title
    with pytest.raises(HfHubHTTPError) as missing:
        hf.paper_info(MISSING)
    assert missing.value.response.status_code == 404 and MISSING in str(missing.value)


def test_hf_list_daily_papers_by_day_week_and_month(hf: Any) -> None:
    def listed(**period: Any) -> list[str]:
        return [paper.id for paper in hf.list_daily_papers(**period)]

    assert sorted(listed(date="2026-06-10")) == [SPARSE.id, GRAPHS.id]
    assert listed(week="2026-W24", sort="trending")[0] == GRAPHS.id  # the upvoted paper leads
    assert listed(week="2026-W24", sort="publishedAt") == [DIFFUSION.id, HOSTILE.id, GRAPHS.id, SPARSE.id]
    assert listed(month="2026-05") == [MAY.id]
    assert listed(week="2026-W24", limit=2, p=1) == [GRAPHS.id, SPARSE.id]
    assert listed() == [DIFFUSION.id]  # the newest day
    day = next(iter(hf.list_daily_papers(date="2026-06-12")))
    assert day.title == DIFFUSION.title and day.authors[0].name == "Alan Turing"


def test_hf_list_daily_papers_bad_input_raises_with_our_message(hf: Any) -> None:
    from huggingface_hub.errors import BadRequestError

    with pytest.raises(BadRequestError, match="is not a valid week"):
        list(hf.list_daily_papers(week="2026-W99"))


def test_hf_read_paper(hf: Any) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    text = hf.read_paper(SPARSE.id)
    assert text.startswith(f"# {SPARSE.title}\n")
    assert "**Authors:** Ada Lovelace, Alan Turing" in text and SPARSE.abstract in text
    assert "<https://arxiv.org/pdf/2606.10001>" in text
    with pytest.raises(HfHubHTTPError) as missing:
        hf.read_paper(MISSING)
    assert missing.value.response.status_code == 404
