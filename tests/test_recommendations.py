""" "For you" through the Library and the web: recent papers ranked by a member's saved papers,
with reasons, on a page and at a private feed address."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import feedparser
import pytest

from conftest import MODEL, InProcess, LibraryLocations
from papersift import Library
from papersift.errors import SubscriptionError
from papersift.records import Paper
from papersift.web.app import create_app
from papersift.web.security import SESSION_COOKIE

OLD, NEW = date(2026, 5, 1), date(2026, 6, 10)
TEXTS = {
    "graphs": "Rewiring the edges of a graph relieves oversquashing in message passing graph networks.",
    "proteins": "Diffusion models generate protein backbones; the designs fold as intended in silico.",
    "speech": "Self-supervised audio encoders improve speech recognition for low-resource languages.",
}


def paper(number: int, day: date, topic: str, title: str) -> Paper:
    return Paper(
        id=f"2606.{number:05d}",
        title=title,
        abstract=TEXTS[topic],
        authors=("Ada Lovelace",),
        categories=("cs.LG",),
        published=day,
        source="test",
    )


PAPERS = [
    paper(1, OLD, "graphs", "Oversquashing and graph rewiring"),
    paper(2, OLD, "proteins", "Protein backbone diffusion"),
    paper(11, NEW, "speech", "Speech recognition for low-resource languages"),
    paper(12, NEW, "graphs", "Graph rewiring revisited for message passing"),
    paper(13, NEW, "proteins", "Designing protein backbones with diffusion"),
]


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory, library_locations: LibraryLocations) -> Iterator[Library]:
    location = library_locations.new(tmp_path_factory.mktemp("rec"))
    library = Library.open(location, embedding_model=MODEL)
    library.ingest_records([replace(p, abstract=p.abstract + f" Paper {p.id}.") for p in PAPERS])
    library.refresh_index()
    yield library
    library.close()


def test_recent_papers_ranked_by_what_was_saved_with_reasons(lib: Library) -> None:
    ada = lib.accounts.sign_up("ada@example.org", "correct horse")
    assert lib.recommendations(ada, today=NEW) == []  # nothing saved: nothing to rank by
    lib.save_papers(ada, ["2606.00001"], "Graphs")
    found = lib.recommendations(ada, today=NEW, days=7)
    assert found[0].paper.id == "2606.00012"
    assert {r.paper.id for r in found} == {"2606.00011", "2606.00012", "2606.00013"}  # the last week only
    best = found[0]
    assert [p.id for p in best.closest] == ["2606.00001"]
    assert "rewiring" in best.words or "oversquashing" in best.words  # as written, not stems
    lib.save_papers(ada, ["2606.00002"], "Proteins")
    only_proteins = lib.recommendations(ada, today=NEW, collection="Proteins")
    assert only_proteins[0].paper.id == "2606.00013"
    assert lib.recommendations(ada, today=NEW, days=1, limit=1)[0].paper.published == NEW


def test_the_page_and_the_private_feed(lib: Library, tmp_path: Path) -> None:
    bob = lib.accounts.sign_up("bob@example.org", "correct horse")
    lib.save_papers(bob, ["2606.00002"], "Proteins")
    client = InProcess(create_app(lib))
    try:
        assert client.get("/for-you").status_code in (302, 303)  # sign in first
        client.client.cookies.set(SESSION_COOKIE, lib.accounts.open_session(bob))
        page = client.get("/for-you")
        assert page.status_code == 200 and "Designing protein backbones with diffusion" in page.text
        assert "close to your saved" in page.text
        feed_token = lib.recommendations_token(bob)
        assert f"/feeds/for-you/{feed_token}.rss" in page.text
        feed = client.get(f"/feeds/for-you/{feed_token}.atom")
        assert feed.status_code == 200 and feed.headers["cache-control"].startswith("private")
        parsed = feedparser.parse(feed.content)
        assert not parsed.bozo and parsed.entries
        assert client.get(f"/feeds/for-you/{feed_token[:-2]}xx.rss").status_code == 404
        unsubscribe = lib.unsubscribe_token(bob, "daily")
        assert client.get(f"/feeds/for-you/{unsubscribe}.rss").status_code == 404  # another purpose
    finally:
        client.close()
    with pytest.raises(SubscriptionError):
        lib.user_of_recommendations_token("nonsense")
