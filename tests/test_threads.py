"""One Library, many threads: the web app runs its handlers in a thread pool, so a slow search holds
one thread while the quick requests beside it go on, and what threads do at once comes out as if
they had done it one after another (a database connection per thread, locks around the in-memory
indexes and caches). Both backends (`pytest --backend postgres tests/test_threads.py`)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import MODEL, demo_lines, served_in_thread
from papersift import Library
from papersift.library import SEARCH_MODES
from papersift.web.app import create_app

THREADS = 8
PARAGRAPH = (
    "We study graph neural networks for molecular property prediction and show that message passing "
    "with attention over edges improves generalisation on small datasets, while a contrastive "
    "pre-training objective on unlabelled molecules reduces the labelled data needed by half."
)
QUERIES = ["graph neural networks", "language model", "learning", "segmentation", PARAGRAPH, "cat:cs.LG"]
HELD = "a search held in flight"


class HeldSearcher:
    """The Library's searcher, holding the search for HELD until the test releases it (the slow
    request)."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.entered = threading.Event()
        self.release = threading.Event()

    def search(self, text: str = "", *args: Any, **options: Any) -> Any:
        if text == HELD:
            self.entered.set()
            assert self.release.wait(60), "the test never released the held search"
        return self.searcher.search(text, *args, **options)


def ingested(make_library: Callable[..., Library], tmp_path: Path, count: int, **options: Any) -> Library:
    lib = make_library("threads", **options)
    source = tmp_path / "papers.jsonl"
    source.write_text("".join(demo_lines(count)), encoding="utf-8")
    assert lib.ingest(source).added == count
    return lib


@pytest.mark.parametrize("path", ["/api/search", "/search"])
def test_a_quick_request_completes_while_a_slow_search_is_in_flight(
    make_library: Callable[..., Library], tmp_path: Path, path: str
) -> None:
    lib = ingested(make_library, tmp_path, 20)
    held = HeldSearcher(lib.searcher)
    lib.searcher = held  # type: ignore[assignment]  # the Library hands `search` to its searcher
    with (
        served_in_thread(create_app(lib)) as base,
        httpx.Client(base_url=base, timeout=20) as client,
        ThreadPoolExecutor(1) as slow_pool,
    ):
        slow = slow_pool.submit(client.get, path, params={"q": HELD})
        try:
            assert held.entered.wait(20), "the slow search never started"
            # On an event loop blocked by the held search this would time out (20 s): a failure.
            quick = client.get(path, params={"q": "learning"})
            assert quick.status_code == 200
            assert not slow.done()  # the quick one really went past the slow one
        finally:
            held.release.set()
        assert slow.result(timeout=20).status_code == 200


def outcome(lib: Library, query: str, mode: Any) -> list[tuple[str, float]]:
    return [(hit.id, round(hit.score, 5)) for hit in lib.search(query, mode, limit=10)]


def test_many_threads_searching_and_voting_at_once_do_what_they_would_one_by_one(
    make_library: Callable[..., Library], tmp_path: Path
) -> None:
    lib = ingested(make_library, tmp_path, 60, embedding_model=MODEL)
    ids = [paper.id for paper in lib.papers()]
    members = [lib.accounts.sign_up(f"m{n}@example.org", "correct horse battery") for n in range(THREADS)]
    searches = [(query, mode) for query in QUERIES for mode in SEARCH_MODES]
    expected = {search: outcome(lib, *search) for search in searches}
    assert all(expected[(query, "hybrid")] for query in QUERIES)
    # From cold: the threads' first searches load and build both indexes again, at once.
    lib.drop_index()
    start = threading.Barrier(THREADS)

    def work(n: int) -> dict[tuple[str, str], list[list[tuple[str, float]]]]:
        order = [*searches, *searches]
        random.Random(n).shuffle(order)
        votes = ids[n:] + ids[:n]  # every paper, from a place of its own
        seen: dict[tuple[str, str], list[list[tuple[str, float]]]] = {}
        start.wait(30)
        for step, search in enumerate(order):
            seen.setdefault(search, []).append(outcome(lib, *search))
            for paper_id in votes[step :: len(order)]:
                lib.upvote(members[n], paper_id)
        for paper_id in ids[::2]:
            lib.upvote(members[n], paper_id, voted=False)
        return seen

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(work, range(THREADS)))
    for seen in results:
        assert {search: found[0] for search, found in seen.items()} == expected
        assert all(found[0] == found[1] for found in seen.values())
    counts = lib.upvote_counts(ids)
    assert [counts.get(i, 0) for i in ids] == [0 if n % 2 == 0 else THREADS for n in range(len(ids))]
