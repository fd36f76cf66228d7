"""The web app in a real browser: `papersift serve` in a subprocess, Debian's chromium driven by
Playwright. A reader searches, opens a paper, signs up, upvotes it and finds it on the trending
page; every page is photographed on a desktop and on a 390 px phone screen.

Screenshots go to `artifacts/screenshots/` (or `$PAPERSIFT_ARTIFACTS`). Without chromium or the
playwright package the tests skip and say why; Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from conftest import MODEL, REPO, LibraryLocations, served_in_process
from papersift import Library
from papersift.web.render import leaderboard_path
from test_library_semantic import demo_records, write_jsonl
from test_web_leaderboards import CODE_LINKS, EVALUATION_TABLES, RECORDS, VIT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("PAPERSIFT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
    pytest.skip(f"chromium not found at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def artifacts() -> Path:
    folder = Path(os.environ.get("PAPERSIFT_ARTIFACTS") or REPO / "artifacts") / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, library_locations: LibraryLocations) -> Iterator[str]:
    """`papersift serve` on 40 embedded demo papers, and a few older ones with code and results
    (from January 2026, before the demo's days) with some curated rows; yields its base URL."""
    folder = tmp_path_factory.mktemp("browser")
    db = library_locations.new(folder, "site")
    with Library.open(db, embedding_model=MODEL) as library:
        assert library.ingest(write_jsonl(folder / "papers.jsonl", [*demo_records(40), *RECORDS])).ok
        imagenet = {**EVALUATION_TABLES[0], "datasets": EVALUATION_TABLES[0]["datasets"][:1]}
        (folder / "tables.json").write_text(json.dumps([imagenet]))
        (folder / "links.json").write_text(json.dumps(CODE_LINKS))
        library.import_paperswithcode([folder / "tables.json", folder / "links.json"])
    with served_in_process(db, folder, {"PAPERSIFT_EMBEDDING_MODEL": MODEL}) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def errors() -> list[str]:
    """Console errors and failed requests seen by the page (a CSP violation shows up here)."""
    return []


def open_page(browser: Any, errors: list[str], viewport: dict[str, int], **options: Any) -> Any:
    context = browser.new_context(viewport=viewport, **options)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


def test_search_open_sign_up_upvote_and_see_it_trending(
    server: str, browser: Any, errors: list[str], artifacts: Path
) -> None:
    page = open_page(browser, errors, DESKTOP)
    expect = sync_api.expect

    # Search as you type: results arrive without submitting, and the address follows the query.
    page.goto(server + "/search")
    page.get_by_label("Search papers").press_sequentially("language models", delay=40)
    first = page.locator("#results .paper-card").first
    expect(first).to_be_visible()
    expect(page.locator("#results mark").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"/search\?q=language\+models"))
    page.screenshot(path=artifacts / "journey-1-search.png")

    title = first.locator(".card-title a").inner_text()
    first.locator(".card-title a").click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".similar-item").first).to_be_visible()
    paper_url = page.url
    page.screenshot(path=artifacts / "journey-2-paper.png")

    # Signing up from the paper page comes back to it.
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("E-mail").fill("ada@example.org")
    page.get_by_label("Password").fill("analytical engine")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(paper_url)
    expect(page.locator(".user-label")).to_have_text("Ada Lovelace")

    # The upvote button swaps in place (htmx) and keeps the keyboard focus.
    vote = page.locator(".paper-actions .upvote button")
    expect(vote).to_have_attribute("aria-pressed", "false")
    vote.focus()
    page.keyboard.press("Enter")
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote.locator(".count")).to_have_text("1")
    assert page.evaluate("document.activeElement.closest('.upvote') !== null")
    assert page.url == paper_url  # no navigation: the button was swapped in place
    page.screenshot(path=artifacts / "journey-3-upvoted.png")

    page.get_by_role("link", name="Trending").click()
    top = page.locator(".paper-card").first
    expect(top.locator(".card-title a")).to_have_text(title)
    expect(top.locator(".upvote .count")).to_have_text("1")
    expect(top.locator(".upvote button")).to_have_attribute("aria-pressed", "true")
    page.screenshot(path=artifacts / "journey-4-trending.png")

    # Undo from the trending page, then log out.
    top.locator(".upvote button").click()
    expect(top.locator(".upvote .count")).to_have_text("0")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Sign up")).to_be_visible()
    assert not errors, errors
    page.context.close()


def test_without_javascript_forms_still_work(server: str, browser: Any, errors: list[str]) -> None:
    page = open_page(browser, errors, DESKTOP, java_script_enabled=False)
    page.goto(server + "/search?q=robots")
    page.locator(".card-title a").first.click()
    paper_url = page.url
    page.locator(".paper-actions .upvote button").click()  # a plain form POST: to the log-in page
    assert "/login?next=" in page.url
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("E-mail").fill("nojs@example.org")
    page.get_by_label("Password").fill("no scripts here")
    page.get_by_role("button", name="Sign up").click()
    assert page.url == paper_url
    page.locator(".paper-actions .upvote button").click()
    assert page.url == paper_url
    assert page.locator(".paper-actions .upvote button").get_attribute("aria-pressed") == "true"
    page.context.close()


def test_keyboard_users_can_skip_to_the_content(server: str, browser: Any, errors: list[str]) -> None:
    page = open_page(browser, errors, DESKTOP)
    page.goto(server + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.context.close()


def sample_paths(server: str) -> dict[str, str]:
    """One address of each kind of page, found through the running app itself."""
    html = httpx.get(server + "/").text
    paper_id = html.split('class="card-title">', 1)[1].split('href="/papers/', 1)[1].split('"', 1)[0]
    paper_html = httpx.get(f"{server}/papers/{paper_id}").text
    author = (
        paper_html.split('<p class="paper-authors">', 1)[1].split('href="/authors/', 1)[1].split('"', 1)[0]
    )
    return {
        "daily": "/",
        "daily-week": "/?period=week",
        "trending": "/trending",
        "search": "/search?q=" + quote("diffusion models for images"),
        "search-empty": "/search",
        "paper": f"/papers/{paper_id}",
        "author": f"/authors/{author}",
        "category": "/categories/cs.CV",
        "login": "/login",
        "signup": "/signup",
        "not-found": "/papers/0000.00000",
    }


@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_every_page_screenshot_and_fits_the_screen(
    server: str, browser: Any, errors: list[str], artifacts: Path, device: str, viewport: dict[str, int]
) -> None:
    page = open_page(browser, errors, viewport)
    for name, path in sample_paths(server).items():
        response = page.goto(server + path)
        assert response is not None and response.status == (404 if name == "not-found" else 200), name
        page.screenshot(path=artifacts / f"{name}-{device}.png", full_page=True)
        # Nothing wider than the screen: no sideways scrolling on a phone.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name} is {width}px wide on a {viewport['width']}px screen"
    assert not [e for e in errors if "404" not in e], errors
    page.context.close()


def test_save_to_a_collection_subscribe_and_preview_the_digest(
    server: str, browser: Any, errors: list[str], artifacts: Path
) -> None:
    """A member saves a paper into a new collection, subscribes to papers like it and to a search,
    and sees what their next digest would hold; the member pages fit a phone too."""
    page = open_page(browser, errors, DESKTOP)
    expect = sync_api.expect
    page.goto(server + "/signup")
    page.get_by_label("Name").fill("Marie Curie")
    page.get_by_label("E-mail").fill("marie@example.org")
    page.get_by_label("Password").fill("radioactive decay")
    page.get_by_role("button", name="Sign up").click()
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Library")).to_be_visible()

    first = page.locator(".paper-card .card-title a").first
    title = first.inner_text()
    first.click()
    expect(page.locator("h1")).to_have_text(title)
    paper_url = page.url
    day = page.locator(".facts time").first.get_attribute("datetime")
    assert day

    # Save into a new collection: the control opens in place and answers in place (htmx).
    page.locator(".save-control summary").click()
    page.get_by_label("Collection", exact=True).fill("Reading group")
    page.get_by_label("Note").fill("Discuss on Friday")
    page.get_by_role("button", name="Save paper").click()
    expect(page.locator(".save-control .status")).to_have_text("Saved to “Reading group”.")
    expect(page.locator(".save-control summary")).to_contain_text("Saved")
    expect(page.locator(".saved-in")).to_contain_text("Reading group")
    assert page.url == paper_url
    page.wait_for_timeout(300)  # htmx settles the new classes with a transition: photograph the end
    page.screenshot(path=artifacts / "members-1-saved-desktop.png")

    menu.get_by_role("link", name="Library").click()
    expect(page.locator(".collection-name")).to_have_text("Reading group")
    expect(page.locator(".collection-item .muted")).to_have_text("1 paper")
    page.screenshot(path=artifacts / "members-2-library-desktop.png", full_page=True)

    page.get_by_role("link", name="Reading group").click()
    expect(page.locator("h1")).to_have_text("Reading group")
    expect(page.locator(".paper-card .card-title a")).to_have_text(title)
    expect(page.locator(".note")).to_contain_text("Discuss on Friday")
    collection_url = page.url
    page.screenshot(path=artifacts / "members-3-collection-desktop.png", full_page=True)

    # Subscribe to papers like the collection, and to a search of words of the paper's title.
    page.get_by_role("button", name="Subscribe to papers like these").click()
    page.wait_for_url(re.compile(r"/subscriptions"))
    expect(page.locator(".subscription-what")).to_have_text(
        "Like the papers in your collection “Reading group”"
    )
    words = " ".join(title.split()[:3]).strip(":,.")
    page.goto(server + "/search?q=" + quote(words) + "&mode=keyword")
    page.get_by_role("button", name="Subscribe to this search").click()
    page.wait_for_url(re.compile(r"/subscriptions"))
    expect(page.locator(".subscription-item")).to_have_count(2)

    # The preview of the next daily digest, as of the day of the paper.
    page.get_by_label("Preview as of").fill(day)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"day=" + day))
    preview = page.locator(".preview")
    expect(preview.get_by_role("heading", name="Preview of your next daily digest")).to_be_visible()
    expect(preview.locator(".paper-card").first).to_be_visible()
    expect(preview.locator(".reason").first).to_be_visible()
    expect(preview.get_by_text(f"matches your search “{words}” (keyword)").first).to_be_visible()
    page.screenshot(path=artifacts / "members-4-subscriptions-desktop.png", full_page=True)

    # The same pages on a phone, signed in as the same member.
    phone = open_page(browser, errors, PHONE, storage_state=page.context.storage_state())
    for name, url in [
        ("library", server + "/library"),
        ("collection", collection_url),
        ("subscriptions", f"{server}/subscriptions?day={day}"),
        ("paper", paper_url),
    ]:
        response = phone.goto(url)
        assert response is not None and response.status == 200, name
        phone.screenshot(path=artifacts / f"members-{name}-phone.png", full_page=True)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} is {width}px wide on a {PHONE['width']}px screen"
    assert not errors, errors
    phone.context.close()
    page.context.close()


def test_leaderboards_a_board_and_a_paper_with_code(
    server: str, browser: Any, errors: list[str], artifacts: Path
) -> None:
    """From the menu to the leaderboards, filtered as you type; a board, another of its metrics,
    a row's evidence; the paper it links to, with its code and results; the daily page's filter."""
    page = open_page(browser, errors, DESKTOP)
    expect = sync_api.expect
    page.goto(server + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leaderboards").click()
    expect(page.locator("h1")).to_have_text("Results reported by papers")
    expect(page.locator(".board-dataset").first).to_have_text("ImageNet-1k")
    page.screenshot(path=artifacts / "leaderboards-1-list-desktop.png", full_page=True)

    page.get_by_label("Filter by dataset or metric").press_sequentially("coco", delay=40)
    expect(page.locator(".board-dataset")).to_have_count(1)
    expect(page.locator(".board-dataset")).to_have_text("COCO test-dev")
    expect(page).to_have_url(re.compile(r"/leaderboards\?q=coco"))
    page.locator(".board-dataset a").click()
    expect(page.locator("h1")).to_contain_text("COCO test-dev")
    expect(page.locator(".board-table tbody tr")).to_have_count(1)

    page.goto(server + leaderboard_path("ImageNet-1k"))
    rows = page.locator(".board-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first.locator(".badge-curated")).to_be_visible()
    second = rows.nth(1)
    expect(second.locator(".value-cell")).to_have_text("87.3%")
    evidence = second.locator(".evidence-note")
    evidence.locator("summary").click()
    expect(evidence.locator(".evidence")).to_have_text("87.3% top-1 accuracy on ImageNet-1K")
    page.screenshot(path=artifacts / "leaderboards-2-board-desktop.png", full_page=True)

    page.get_by_role("navigation", name="Metrics of ImageNet-1k").get_by_role(
        "link", name="Top-5 Accuracy"
    ).click()
    expect(page.locator("h1")).to_contain_text("Top-5 Accuracy")
    page.go_back()

    second.locator(".paper-cell a").click()
    expect(page.locator("h1")).to_have_text("ViT-X: a bigger vision transformer")
    assert page.url.endswith(f"/papers/{VIT}")
    expect(page.locator(".code-link").first).to_have_attribute("href", "https://github.com/org/vit-x")
    expect(page.locator(".result-board")).to_have_text("ImageNet-1k · Top-1 Accuracy")
    page.screenshot(path=artifacts / "leaderboards-3-paper-with-code-desktop.png", full_page=True)

    # The daily page keeps "With code" from one period to another.
    page.goto(server + "/?date=2026-01-06&period=day")
    page.get_by_role("navigation", name="Papers shown").get_by_role("link", name="With code").click()
    expect(page.locator(".paper-card")).to_have_count(1)
    page.get_by_role("navigation", name="Period").get_by_role("link", name="Week").click()
    expect(page.locator(".paper-card")).to_have_count(3)
    expect(page.locator(".paper-card .badge-code")).to_have_count(3)
    page.screenshot(path=artifacts / "leaderboards-4-daily-with-code-desktop.png", full_page=True)
    assert not errors, errors
    page.context.close()


def test_the_leaderboard_pages_fit_a_phone(
    server: str, browser: Any, errors: list[str], artifacts: Path
) -> None:
    page = open_page(browser, errors, PHONE)
    for name, path in [
        ("list", "/leaderboards"),
        ("board", leaderboard_path("ImageNet-1k")),
        ("board-coco", leaderboard_path("COCO test-dev")),
        ("paper-with-code", f"/papers/{VIT}"),
        ("daily-with-code", "/?date=2026-01-06&period=week&has_code=1"),
        ("search-with-code", "/search?q=vision&has_code=1"),
    ]:
        response = page.goto(server + path)
        assert response is not None and response.status == 200, name
        page.screenshot(path=artifacts / f"leaderboards-{name}-phone.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} is {width}px wide on a {PHONE['width']}px screen"
    assert not errors, errors
    page.context.close()
