"""Code links, reported results and leaderboards on the web, in process: the leaderboard pages,
the paper page's code and results, the code chip on cards, the has-code filters of the search
page, the daily page, the feeds and the API, and GitHub repositories in Hugging Face's shape.

One library for the module: a few papers whose abstracts give code links and results (the
extractor's own tests cover what it finds; these abstracts are written plainly so that it finds
them), and a small Papers with Code archive (curated rows, a curated repository).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from conftest import LibraryLocations
from papersift import Library
from papersift.web.app import create_app
from papersift.web.members import _search_text
from papersift.web.render import leaderboard_path, repository_label, repository_link, value_text
from test_library_semantic import write_jsonl

VIT, CONVY, DETZ, VIDQ, PLAIN, GENW, GENV = (f"2601.0000{n}" for n in range(1, 8))
BIT_URL = "https://arxiv.org/abs/1912.11370"  # a curated row whose paper is not in the library
EVIL_DATASET = "Evil <script>alert(1)</script> Set"


def record(paper_id: str, title: str, abstract: str, author: str, published: str) -> dict[str, Any]:
    return {
        "id": paper_id,
        "title": title,
        "abstract": abstract,
        "authors": [author],
        "categories": ["cs.CV"],
        "published": published,
    }


RECORDS = [
    record(
        VIT,
        "ViT-X: a bigger vision transformer",
        "We scale vision transformers further. Our ViT-X reaches 87.3% top-1 accuracy on ImageNet-1K. "
        "Code is available at https://github.com/Org/ViT-X.",
        "Ada Lovelace",
        "2026-01-05",
    ),
    record(
        CONVY,
        "ConvY: convolutions strike back",
        "We revisit convolutional networks. ConvY achieves 85.1% top-1 accuracy on ImageNet. "
        "It reaches 97.2% top-5 accuracy on ImageNet.",
        "Alan Turing",
        "2026-01-05",
    ),
    record(
        DETZ,
        "DetZ: detection transformers made fast",
        "We present a fast detector. DetZ obtains 58.7 box AP on COCO test-dev. We will release the code.",
        "Grace Hopper",
        "2026-01-06",
    ),
    record(
        VIDQ,
        "VidQ: video recognition with queries",
        "We recognise actions in videos. VidQ achieves 82.4% top-1 accuracy on Kinetics-400. "
        "Project page: https://vidq.github.io/ and code at https://gitlab.com/lab/vidq",
        "Emmy Noether",
        "2026-01-06",
    ),
    record(
        PLAIN,
        "A survey of vision transformers",
        "We survey vision transformers and discuss open problems.",
        "Emmy Noether",
        "2026-01-06",
    ),
    record(
        GENW,
        "GenW: diffusion in few steps",
        "We sample images in few steps. GenW achieves an FID of 2.31 on CIFAR-10.",
        "Alan Turing",
        "2026-01-07",
    ),
    record(
        GENV,
        "GenV: a variational generator",
        "We train a variational generator. GenV achieves an FID of 3.50 on CIFAR-10.",
        "Grace Hopper",
        "2026-01-07",
    ),
]

EVALUATION_TABLES = [
    {
        "task": "Image Classification",
        "datasets": [
            {
                "dataset": "ImageNet",
                "sota": {
                    "rows": [
                        {
                            "paper_title": "Big Transfer (BiT): General Visual Representation Learning",
                            "paper_url": BIT_URL,
                            "paper_date": "2019-12-24",
                            "model_name": "BiT-L",
                            "metrics": {"Top 1 Accuracy": "87.54%"},
                        },
                        {  # the same paper and model as an extracted row: the curated one wins
                            "paper_title": "ConvY: convolutions strike back",
                            "paper_url": f"https://arxiv.org/abs/{CONVY}",
                            "paper_date": "2026-01-05",
                            "model_name": "ConvY",
                            "metrics": {"Top 1 Accuracy": "85.0%"},
                        },
                    ]
                },
            },
            {
                "dataset": EVIL_DATASET,
                "sota": {
                    "rows": [
                        {
                            "paper_title": "Mallory's <img src=x onerror=alert(2)> paper",
                            "paper_url": "javascript:alert(3)",
                            "paper_date": "2020-01-01",
                            "model_name": "<b>M</b>",
                            "metrics": {"Accuracy": "50%"},
                        }
                    ]
                },
            },
        ],
    }
]
CODE_LINKS = [
    {
        "paper_arxiv_id": CONVY,
        "paper_url_abs": f"https://arxiv.org/abs/{CONVY}",
        "paper_title": "ConvY: convolutions strike back",
        "repo_url": "https://github.com/Curated/ConvY",
        "is_official": True,
    }
]


@pytest.fixture(scope="module")
def library(
    tmp_path_factory: pytest.TempPathFactory, library_locations: LibraryLocations
) -> Iterator[Library]:
    folder = tmp_path_factory.mktemp("boards")
    lib = Library.open(library_locations.new(folder, "boards"))
    assert lib.ingest(write_jsonl(folder / "papers.jsonl", RECORDS)).ok
    tables, links = folder / "evaluation-tables.json", folder / "links.json"
    tables.write_text(json.dumps(EVALUATION_TABLES), encoding="utf-8")
    links.write_text(json.dumps(CODE_LINKS), encoding="utf-8")
    imported = lib.import_paperswithcode([tables, links])
    assert imported.results == 3 and imported.links == 1, imported
    # What the tests below rely on the extractor (and the archive) to have found.
    assert lib.paper(VIT).code == ("github.com/org/vit-x",)
    assert lib.paper(CONVY).code == ("github.com/curated/convy",)
    assert lib.paper(DETZ).code_promised and not lib.paper(DETZ).code
    assert lib.paper(VIDQ).project_urls == ("vidq.github.io",)
    assert len(lib.paper(CONVY).results) == 2
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def app(library: Library) -> FastAPI:
    return create_app(library)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app, follow_redirects=False)


def html_of(client: TestClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def card_ids(html: str) -> list[str]:
    """The papers listed as cards, in order."""
    return re.findall(
        r'class="card-title">\s*(?:<span class="rank">[^<]*</span> )?<a href="/papers/([^"]+)"', html
    )


def board_rows(html: str) -> list[tuple[str, str, str]]:
    """(value, model, paper title) of each row of a leaderboard's table, in order."""
    rows = []
    for row in re.findall(
        r"<tr(?: class=\"is-best\")?>\s*<td class=\"num rank-cell\">(.*?)</tr>", html, re.S
    ):
        value = re.search(r'class="num value-cell"><strong>(.*?)</strong>', row, re.S)
        model = re.search(r'class="model-cell">(.*?)</td>', row, re.S)
        title = re.search(r'class="paper-cell">\s*(?:<a [^>]*>)?(.*?)(?:</a>)?\s*</td>', row, re.S)
        assert value and model and title, row
        rows.append((value.group(1), model.group(1).strip(), title.group(1).strip()))
    return rows


# -- helpers ---------------------------------------------------------------------------------------


def test_repositories_values_and_board_addresses_are_written_safely() -> None:
    assert repository_link("github.com/org/vit-x") == "https://github.com/org/vit-x"
    assert repository_link("https://gitlab.com/a/b") == "https://gitlab.com/a/b"
    assert repository_link("javascript:alert(1)") is None and repository_link("") is None
    assert repository_label("https://www.github.com/a/b/") == "github.com/a/b"
    assert value_text(87.3, "%") == "87.3%" and value_text(58.7, "") == "58.7"
    assert value_text(31.2, "dB") == "31.2 dB" and value_text(2.0, None) == "2"
    assert leaderboard_path("COCO test-dev") == "/leaderboards/COCO%20test-dev"
    assert leaderboard_path("A/B", "Top-1 Accuracy") == "/leaderboards/A%2FB?metric=Top-1+Accuracy"


# -- the list of leaderboards ----------------------------------------------------------------------


def test_the_leaderboards_page_lists_boards_by_canonical_dataset_biggest_first(
    client: TestClient, library: Library
) -> None:
    html = html_of(client, "/leaderboards")
    assert 'href="/leaderboards" aria-current="page">Leaderboards</a>' in html  # the menu
    datasets = re.findall(r'class="board-dataset"><a href="[^"]*">(.*?)</a>', html)
    # ImageNet-1K, ImageNet and the archive's ImageNet are one dataset; its board is the biggest.
    assert datasets[0] == "ImageNet-1k"
    assert {"ImageNet-1k", "COCO test-dev", "Kinetics-400", "CIFAR-10"} <= set(datasets)
    assert "ImageNet-1K" not in datasets and "ImageNet" not in datasets
    top1 = leaderboard_path("ImageNet-1k", "Top-1 Accuracy").replace("&", "&amp;")
    count = library.leaderboards()[0].results  # rows reported (the board shows each paper's best)
    assert re.search(rf'href="{re.escape(top1)}">Top-1 Accuracy\s*<span class="board-count">{count}<', html)
    assert f'href="{leaderboard_path("ImageNet-1k", "Top-5 Accuracy")}"' in html
    assert f'href="{leaderboard_path("COCO test-dev")}"' in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_leaderboards_filter_narrows_the_list_with_or_without_htmx(client: TestClient) -> None:
    html = html_of(client, "/leaderboards?q=coco")
    assert re.findall(r'class="board-dataset"><a href="[^"]*">(.*?)</a>', html) == ["COCO test-dev"]
    assert 'value="coco"' in html
    by_metric = html_of(client, "/leaderboards?q=fid")
    assert re.findall(r'class="board-dataset"><a href="[^"]*">(.*?)</a>', by_metric) == ["CIFAR-10"]
    assert "No leaderboard matches" in html_of(client, "/leaderboards?q=nothing-like-this")
    fragment = client.get("/leaderboards?q=kinetics", headers={"HX-Request": "true", "HX-Target": "boards"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "Kinetics-400" in fragment.text
    assert fragment.headers["hx-push-url"] == "/leaderboards?q=kinetics"


# -- one leaderboard -------------------------------------------------------------------------------


def test_a_leaderboard_ranks_best_first_with_curated_and_extracted_rows(client: TestClient) -> None:
    html = html_of(client, "/leaderboards/ImageNet-1k")  # the dataset's most reported metric
    assert "<title>ImageNet-1k · Top-1 Accuracy · papersift</title>" in html
    assert "Higher is better" in html
    assert board_rows(html) == [
        ("87.54%", "BiT-L", "Big Transfer (BiT): General Visual Representation Learning"),
        ("87.3%", "ViT-X", "ViT-X: a bigger vision transformer"),
        ("85%", "ConvY", "ConvY: convolutions strike back"),  # curated 85.0 won over the abstract's 85.1
    ]
    assert f'<a href="{BIT_URL}" rel="noopener nofollow">Big Transfer' in html  # not in the library
    assert f'<a href="/papers/{VIT}">ViT-X: a bigger vision transformer</a>' in html
    assert 'href="https://github.com/org/vit-x"' in html and 'href="https://github.com/curated/convy"' in html
    assert html.count('class="badge badge-curated" title="From the Papers with Code archive') == 2
    assert '<summary title="87.3% top-1 accuracy on ImageNet-1K">from the abstract</summary>' in html
    # The dataset's other metric is a tab away; the current one is marked.
    assert 'aria-current="page">Top-1 Accuracy</a>' in html
    assert f'<a href="{leaderboard_path("ImageNet-1k", "Top-5 Accuracy")}" >Top-5 Accuracy</a>' in html


def test_another_metric_of_a_dataset_and_a_lower_is_better_board(client: TestClient) -> None:
    top5 = html_of(client, leaderboard_path("ImageNet-1k", "Top-5 Accuracy"))
    assert board_rows(top5) == [("97.2%", "", "ConvY: convolutions strike back")]
    assert 'aria-current="page">Top-5 Accuracy</a>' in top5
    fid = html_of(client, "/leaderboards/CIFAR-10")
    assert "Lower is better" in fid
    assert [model for _value, model, _title in board_rows(fid)] == ["GenW", "GenV"]  # 2.31 before 3.5


@pytest.mark.parametrize(
    ("dataset", "value"), [("COCO test-dev", "58.7"), ("Kinetics-400", "82.4%"), ("CIFAR-10", "2.31")]
)
def test_dataset_names_with_spaces_and_dashes_have_working_addresses(
    client: TestClient, dataset: str, value: str
) -> None:
    html = html_of(client, leaderboard_path(dataset))
    assert f"<title>{dataset} · " in html
    assert board_rows(html)[0][0] == value
    listed = html_of(client, "/leaderboards")
    assert f'href="{leaderboard_path(dataset)}"' in listed


def test_another_spelling_of_a_board_redirects_to_its_one_address(client: TestClient) -> None:
    for asked, canonical in [
        ("/leaderboards/ImageNet", "/leaderboards/ImageNet-1k"),
        ("/leaderboards/ILSVRC-2012?metric=top-1%20acc", leaderboard_path("ImageNet-1k", "Top-1 Accuracy")),
        ("/leaderboards/ImageNet-1k?metric=top5", leaderboard_path("ImageNet-1k", "Top-5 Accuracy")),
    ]:
        response = client.get(asked)
        assert response.status_code == 301, asked
        assert response.headers["location"] == canonical
    assert client.get("/leaderboards/").headers["location"] == "/leaderboards"


def test_an_unknown_dataset_or_metric_is_the_friendly_404_page(client: TestClient) -> None:
    for url, says in [
        ("/leaderboards/Nowhere%20Land", "No results on Nowhere Land"),
        ("/leaderboards/a%2Fb", "No results on a/b"),  # a "/" in a name reaches the route
        ("/leaderboards/ImageNet-1k?metric=BLEU", "No results on ImageNet-1k for BLEU"),
    ]:
        html = html_of(client, url, status=404)
        assert "Page not found" in html and says in html, url


# -- the paper page --------------------------------------------------------------------------------


def test_a_paper_page_shows_its_repositories_and_results_with_their_boards(client: TestClient) -> None:
    html = html_of(client, f"/papers/{VIT}")
    code = html.split('id="code-heading"', 1)[1].split("</section>", 1)[0]
    assert 'href="https://github.com/org/vit-x"' in code and "github.com/org/vit-x</a>" in code
    results = html.split('id="results-heading"', 1)[1].split("</section>", 1)[0]
    board = leaderboard_path("ImageNet-1k", "Top-1 Accuracy").replace("&", "&amp;")
    assert f'href="{board}"' in results
    assert "ImageNet-1k · Top-1 Accuracy</a>:" in results
    assert '<strong class="result-value">87.3%</strong> <span class="muted">(ViT-X)</span>' in results
    assert "87.3% top-1 accuracy on ImageNet-1K" in results  # the abstract's words

    convy = html_of(client, f"/papers/{CONVY}")  # the curated repository, two boards
    assert 'href="https://github.com/curated/convy"' in convy
    assert convy.count('class="result-board"') == 2 and "ImageNet-1k · Top-5 Accuracy" in convy


def test_project_pages_other_hosts_and_promised_code(client: TestClient) -> None:
    vidq = html_of(client, f"/papers/{VIDQ}")
    assert 'href="https://gitlab.com/lab/vidq"' in vidq
    assert 'href="https://vidq.github.io"' in vidq and "project page" in vidq
    assert "Code promised" not in vidq
    detz = html_of(client, f"/papers/{DETZ}")
    assert 'id="code-heading"' in detz and "Code promised by the authors" in detz
    assert f'href="{leaderboard_path("COCO test-dev", "Box AP").replace("&", "&amp;")}"' in detz
    plain = html_of(client, f"/papers/{PLAIN}")
    assert 'id="code-heading"' not in plain and 'id="results-heading"' not in plain


# -- cards and the has-code filters ----------------------------------------------------------------


def code_chips(html: str) -> dict[str, str]:
    """Paper id -> the repository its card's code chip links to."""
    chips = {}
    for card in html.split('<article class="card paper-card">')[1:]:
        paper = re.search(r'class="card-title">.*?<a href="/papers/([^"]+)"', card, re.S)
        chip = re.search(r'<a class="badge badge-code" href="([^"]+)"', card)
        if paper and chip:
            chips[paper.group(1)] = chip.group(1)
    return chips


def test_cards_in_every_listing_carry_a_code_chip(client: TestClient) -> None:
    expected = {
        VIT: "https://github.com/org/vit-x",
        CONVY: "https://github.com/curated/convy",
        VIDQ: "https://gitlab.com/lab/vidq",
    }
    for url in ("/?period=month", "/search?q=&category=cs.CV", "/trending", "/categories/cs.CV"):
        assert code_chips(html_of(client, url)) == expected, url
    assert code_chips(html_of(client, "/authors/Emmy%20Noether")) == {VIDQ: expected[VIDQ]}
    assert code_chips(html_of(client, "/search?q=survey")) == {}


def test_the_search_page_filters_papers_with_code(client: TestClient) -> None:
    html = html_of(client, "/search?has_code=1")
    assert set(card_ids(html)) == {VIT, CONVY, VIDQ}
    assert re.search(r'<input id="has_code" name="has_code" type="checkbox" value="1" checked>', html)
    assert '<label for="has_code">Only papers with code</label>' in html
    typed = html_of(client, "/search?q=has%3Acode+transformer")
    assert card_ids(typed) == [VIT]
    words = html_of(client, "/search?q=transformers&has_code=1&mode=keyword")
    assert card_ids(words) == [VIT]
    assert not re.search(r'id="has_code"[^>]*checked', html_of(client, "/search?q=transformers"))
    # Search as you type keeps the filter in the address it pushes.
    fragment = client.get(
        "/search?q=transformers&has_code=1", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert fragment.headers["hx-push-url"] == "/search?q=transformers&has_code=1"
    assert '<input type="hidden" name="has_code" value="1">' in fragment.text  # subscribing keeps it
    html_of(client, "/search?q=x&has_code=perhaps", status=400)


def test_a_subscription_from_a_search_with_code_keeps_the_filter() -> None:
    assert _search_text("vision", "cs.CV", "", has_code=True) == "vision cat:cs.CV has:code"
    assert _search_text("vision has:code", "", "", has_code=True) == "vision has:code"


def test_the_daily_page_filters_papers_with_code_and_keeps_the_filter(client: TestClient) -> None:
    everything = html_of(client, "/?date=2026-01-06&period=day")
    assert set(card_ids(everything)) == {DETZ, VIDQ, PLAIN}
    html = html_of(client, "/?date=2026-01-06&period=day&has_code=1")
    assert card_ids(html) == [VIDQ]  # DetZ only promises code
    assert "1 paper with code" in html
    assert 'aria-current="page">With code</a>' in html
    # Periods, sort orders and the date form keep the filter; "All" drops it.
    for link in ("period=week&amp;sort=trending&amp;has_code=1", "period=day&amp;sort=date&amp;has_code=1"):
        assert link in html, link
    assert 'href="/?date=2026-01-06&amp;period=day&amp;sort=trending" >All</a>' in html
    assert '<input type="hidden" name="has_code" value="1">' in html
    week = html_of(client, "/?date=2026-01-06&period=week&has_code=1")
    assert set(card_ids(week)) == {VIT, CONVY, VIDQ}
    empty = html_of(client, "/?date=2026-01-07&period=day&has_code=1")
    assert "No papers with code this day" in empty and "Show all papers" in empty
    html_of(client, "/?has_code=2", status=400)


def test_the_search_feed_takes_the_has_code_filter(client: TestClient) -> None:
    response = client.get("/feeds/search.json", params={"q": "", "has_code": "1"})
    assert response.status_code == 200
    feed = json.loads(response.text)
    assert {item["url"].rsplit("/", 1)[1] for item in feed["items"]} == {VIT, CONVY, VIDQ}
    assert feed["feed_url"].endswith("/feeds/search.json?has_code=1")
    assert "with code" in feed["title"]
    typed = json.loads(client.get("/feeds/search.json", params={"q": "has:code transformer"}).text)
    assert [item["url"].rsplit("/", 1)[1] for item in typed["items"]] == [VIT]


# -- the API ---------------------------------------------------------------------------------------


def test_the_api_lists_leaderboards(client: TestClient, library: Library) -> None:
    body = client.get("/api/leaderboards").json()
    first = body["leaderboards"][0]
    count = library.leaderboards()[0].results
    assert first == {"dataset": "ImageNet-1k", "metric": "Top-1 Accuracy", "results": count, "curated": 2}
    assert body["total"] == len(body["leaderboards"]) >= 5 and body["offset"] == 0
    filtered = client.get("/api/leaderboards", params={"q": "coco"}).json()
    assert [(b["dataset"], b["metric"]) for b in filtered["leaderboards"]] == [("COCO test-dev", "Box AP")]
    assert client.get("/api/leaderboards", params={"limit": 1, "offset": 1}).json()["leaderboards"] == [
        body["leaderboards"][1]
    ]


def test_the_api_gives_a_leaderboard_in_its_json_shape(client: TestClient, library: Library) -> None:
    body = client.get("/api/leaderboards/ImageNet-1k").json()
    assert body == json.loads(json.dumps(library.leaderboard("ImageNet-1k").as_json(), default=str))
    assert body["metric"] == "Top-1 Accuracy" and body["unit"] == "%" and body["higherIsBetter"] is True
    assert body["otherMetrics"] == ["Top-5 Accuracy"]
    assert [(e["rank"], e["value"], e["model"]) for e in body["entries"]] == [
        (1, 87.54, "BiT-L"),
        (2, 87.3, "ViT-X"),
        (3, 85.0, "ConvY"),
    ]
    bit, vit = body["entries"][0], body["entries"][1]
    assert bit["paperId"] is None and bit["paperUrl"] == BIT_URL and bit["curated"] is True
    assert vit["paperId"] == VIT and vit["codeUrl"] == "https://github.com/org/vit-x"
    assert vit["published"] == "2026-01-05" and vit["evidence"] == "87.3% top-1 accuracy on ImageNet-1K"
    coco = client.get("/api/leaderboards/" + quote("COCO test-dev")).json()
    assert [e["value"] for e in coco["entries"]] == [58.7] and coco["entries"][0]["codeUrl"] is None
    one = client.get("/api/leaderboards/ImageNet", params={"metric": "top-5 acc", "limit": 1}).json()
    assert one["metric"] == "Top-5 Accuracy" and len(one["entries"]) == 1


def test_an_unknown_leaderboard_is_a_json_404(client: TestClient) -> None:
    for url in ("/api/leaderboards/Nowhere%20Land", "/api/leaderboards/ImageNet-1k?metric=BLEU"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.headers["content-type"].startswith("application/json")
        assert "Nowhere Land" in response.json()["error"] or "BLEU" in response.json()["error"]
    assert client.get("/api/leaderboards/ImageNet-1k", params={"limit": 0}).status_code == 422


def test_the_api_filters_papers_with_code(client: TestClient) -> None:
    found = client.get("/api/search", params={"q": "", "has_code": "true", "limit": 50}).json()
    assert {hit["id"] for hit in found["hits"]} == {VIT, CONVY, VIDQ} and found["total"] == 3
    vit = next(hit["paper"] for hit in found["hits"] if hit["id"] == VIT)
    assert vit["code"] == ["https://github.com/org/vit-x"] and vit["code_promised"] is False
    daily = client.get("/api/daily_papers", params={"date": "2026-01-06", "has_code": "1"}).json()
    assert [item["paper"]["id"] for item in daily] == [VIDQ]
    everything = client.get("/api/daily_papers", params={"date": "2026-01-06"}).json()
    assert len(everything) == 3
    hf = client.get("/api/papers/search", params={"q": "transformers", "has_code": "1"}).json()
    assert [item["paper"]["id"] for item in hf] == [VIT]


def test_hugging_face_papers_carry_their_github_repository_and_project_page(client: TestClient) -> None:
    vit = client.get(f"/api/papers/{VIT}").json()
    assert vit["githubRepo"] == "https://github.com/org/vit-x" and "projectPage" not in vit
    assert client.get(f"/api/papers/{CONVY}").json()["githubRepo"] == "https://github.com/curated/convy"
    vidq = client.get(f"/api/papers/{VIDQ}").json()
    assert "githubRepo" not in vidq  # GitLab's is no GitHub repository
    assert vidq["projectPage"] == "https://vidq.github.io"
    assert "githubRepo" not in client.get(f"/api/papers/{PLAIN}").json()
    daily = client.get("/api/daily_papers", params={"date": "2026-01-05"}).json()
    assert {item["paper"]["id"]: item["paper"].get("githubRepo") for item in daily} == {
        VIT: "https://github.com/org/vit-x",
        CONVY: "https://github.com/curated/convy",
    }
    markdown = client.get(f"/papers/{VIDQ}.md").text
    assert "- Code: <https://gitlab.com/lab/vidq>\n- Project page: <https://vidq.github.io>" in markdown


def test_the_openapi_document_describes_the_leaderboard_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert "LeaderboardOut" in json.dumps(paths["/api/leaderboards/{dataset}"]["get"]["responses"]["200"])
    assert "BoardsOut" in json.dumps(paths["/api/leaderboards"]["get"]["responses"]["200"])
    for path in ("/api/search", "/api/daily_papers"):
        assert "has_code" in [p["name"] for p in paths[path]["get"]["parameters"]], path


# -- odd input -------------------------------------------------------------------------------------

ODD = ["'", '"', "%", "%00", "\x00", "{{7*7}}", "../../etc/passwd", "<script>", "/", "//", " ", "x" * 3000]
PARAMETERS = [
    "/leaderboards?q={}",
    "/leaderboards?page={}",
    "/leaderboards/{}",
    "/leaderboards/ImageNet-1k?metric={}",
    "/?has_code={}",
    "/search?q=x&has_code={}",
    "/feeds/search.rss?has_code={}",
    "/api/leaderboards?q={}",
    "/api/leaderboards/{}",
    "/api/leaderboards/ImageNet-1k?metric={}",
    "/api/search?has_code={}",
]


@pytest.mark.parametrize("pattern", PARAMETERS)
def test_odd_input_is_never_a_server_error(client: TestClient, pattern: str) -> None:
    for value in ODD:
        response = client.get(pattern.format(quote(value, safe="")))
        assert response.status_code < 500, (pattern, value, response.text[:300])


def test_hostile_names_from_the_archive_render_inert(client: TestClient) -> None:
    board = client.get(leaderboard_path(EVIL_DATASET), follow_redirects=True)
    assert board.status_code == 200, board.text[:300]
    html = board.text
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>M</b>" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_pages_fit_the_content_security_policy(client: TestClient) -> None:
    for url in ("/leaderboards", "/leaderboards/ImageNet-1k", f"/papers/{VIT}", "/?has_code=1"):
        html = html_of(client, url)
        assert html.count("<h1") == 1, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert not re.search(r"<style|<[a-z][^>]*\s(?:style|on[a-z]+)=", html), url
        for input_id in re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html):
            assert f'for="{input_id}"' in html, (url, input_id)
