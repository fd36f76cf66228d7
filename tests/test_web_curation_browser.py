"""The curated day in a real browser (headless Chromium, `papersift serve` in its own process): a
member signs up and submits an arXiv id from the bundled corpus, it appears on today's list,
another member upvotes and comments, a curator pins it, and both the page and `/api/daily_papers`
show it first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import LibraryLocations, served_in_process
from papersift import Library
from papersift.web.render import dom_id
from test_library_semantic import demo_records, write_jsonl
from test_web_browser import DESKTOP, artifacts, browser, errors, open_page, sync_api

__all__ = ["artifacts", "browser", "errors"]  # fixtures shared with the other browser tests

PASSWORD = "analytical engine"


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, library_locations: LibraryLocations
) -> Iterator[dict[str, Any]]:
    """A served library of 20 demo papers, with one paper already on today's list (two upvotes)
    and a curator; yields the base URL and the papers' ids."""
    folder = tmp_path_factory.mktemp("curation-browser")
    db = library_locations.new(folder, "site")
    records = demo_records(20)
    with Library.open(db, embedding_model="none") as library:
        assert library.ingest(write_jsonl(folder / "papers.jsonl", records)).ok
        ids = [paper.id for paper in library.papers()]
        library.curation.window_days = 100_000  # the demo papers are older than two weeks
        bob = library.accounts.sign_up("bob@example.org", PASSWORD, name="Bob")
        dave = library.accounts.sign_up("dave@example.org", PASSWORD, name="Dave")
        library.accounts.sign_up("carol@example.org", PASSWORD, name="Carol")
        library.curation.grant(None, "carol@example.org", "curator")
        library.curation.submit(bob, ids[0])
        library.upvote(bob, ids[0])
        library.upvote(dave, ids[0])
    env = {"PAPERSIFT_EMBEDDING_MODEL": "none", "PAPERSIFT_SUBMISSION_WINDOW_DAYS": "100000"}
    with served_in_process(db, folder, env) as base:
        yield {"url": base, "ids": ids}


def sign_up(page: Any, base: str, name: str, email: str) -> None:
    page.goto(base + "/signup")
    page.get_by_label("Name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    sync_api.expect(page.locator(".user-label")).to_have_text(name)


def test_submit_upvote_comment_pin_and_see_it_first(
    site: dict[str, Any], browser: Any, errors: list[str], artifacts: Path
) -> None:
    base, (first_listed, submitted, *_rest) = site["url"], site["ids"]
    expect = sync_api.expect
    entry = f"#{dom_id('entry', submitted)}"

    # A member signs up and submits an arXiv address of a paper in the bundled corpus.
    ada = open_page(browser, errors, DESKTOP)
    sign_up(ada, base, "Ada Lovelace", "ada@example.org")
    ada.get_by_role("link", name="Submit").click()
    ada.get_by_label("arXiv id or address").fill(f"https://arxiv.org/abs/{submitted}v1")
    ada.get_by_role("button", name="Submit").click()
    expect(ada.locator(entry)).to_be_visible()
    expect(ada.locator(entry + " .submitters")).to_contain_text("Ada Lovelace")
    cards = ada.locator(".curated-list .entry")
    expect(cards).to_have_count(2)
    expect(cards.first).to_have_attribute("id", dom_id("entry", first_listed))  # two upvotes lead
    ada.screenshot(path=artifacts / "curation-1-submitted.png")

    # Another member upvotes it on the list and comments on its page.
    eve = open_page(browser, errors, DESKTOP)
    sign_up(eve, base, "Eve", "eve@example.org")
    eve.goto(base + "/")
    vote = eve.locator(entry + " .upvote button")
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote.locator(".count")).to_have_text("1")
    eve.locator(entry + " .card-title a").click()
    eve.get_by_label("Add a comment").fill("A **lovely** result <script>alert(1)</script>")
    eve.get_by_role("button", name="Comment").click()
    comment = eve.locator(".comment-item").first
    expect(comment.locator(".comment-body strong")).to_have_text("lovely")
    expect(comment.locator(".comment-body")).to_contain_text("<script>alert(1)</script>")  # shown as text
    eve.screenshot(path=artifacts / "curation-2-commented.png")

    # A curator pins it: it leads the day's page and the API.
    carol = open_page(browser, errors, DESKTOP)
    carol.goto(base + "/login")
    carol.get_by_label("E-mail").fill("carol@example.org")
    carol.get_by_label("Password").fill(PASSWORD)
    carol.get_by_role("button", name="Log in").click()
    expect(carol.get_by_role("link", name="Curate")).to_be_visible()
    carol.goto(base + "/")
    carol.locator(entry + " .moderation").get_by_role("button", name="Pin").click()
    expect(carol.locator(".curated-list .entry").first).to_have_attribute("id", dom_id("entry", submitted))
    expect(carol.locator(entry + " .badge-pinned")).to_have_text("Pinned")
    expect(carol.locator(entry)).to_contain_text(re.compile(r"1 comment\b"))
    carol.screenshot(path=artifacts / "curation-3-pinned.png")

    daily = httpx.get(base + "/api/daily_papers").json()
    assert [item["paper"]["id"] for item in daily] == [submitted, first_listed]
    assert daily[0]["submittedBy"]["fullname"] == "Ada Lovelace"
    assert (daily[0]["paper"]["upvotes"], daily[0]["numComments"]) == (1, 1)
    assert not errors, errors
    for page in (ada, eve, carol):
        page.context.close()
