"""Keyword search through the Library: any text is a query, phrases, filters, ranking, pages.

One library is built per module: a handful of papers written here (so rankings and phrases can
be asserted from first principles), the Kaggle snapshot fixture (old physics papers, real
authors and dates) and the first records of the shared arXiv file when it is present.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import LibraryLocations
from papersift import Library
from papersift.cli import DEMO_CORPUS
from papersift.library import SearchResults

FIXTURES = Path(__file__).parent / "fixtures"
KAGGLE = FIXTURES / "kaggle_snapshot" / "arxiv-metadata-oai-snapshot.first200.jsonl"
ARXIV_SAMPLE = 1500

FILLER = (
    "The method is evaluated on standard benchmarks and compared with strong baselines under the "
    "same training budget, and an ablation study isolates the contribution of each component."
)

HANDMADE: list[dict[str, Any]] = [
    {
        "id": "9901.00001",
        "title": "Plain Vision Transformer Backbones for Detection",
        "abstract": "We show that a plain vision transformer can serve as a detection backbone. " + FILLER,
        "authors": ["Yanghao Li", "Kaiming He"],
        "categories": ["cs.CV"],
        "published": "2022-03-30",
    },
    {
        "id": "9901.00002",
        "title": "Speech Recognition With Sequence Models",
        "abstract": (
            "A transformer encoder reads audio frames, and a separate module handles vision of lips. "
            + FILLER
        ),
        "authors": ["Alex Graves"],
        "categories": ["eess.AS"],
        "published": "2021-06-01",
    },
    # Title-versus-abstract ranking: the same rare word once, in the title of one paper and only
    # in the abstract of the other, with abstracts of equal length.
    {
        "id": "9901.00003",
        "title": "Zygomorphic Flower Classification",
        "abstract": "Flowers with bilateral symmetry are classified from photographs. " + FILLER,
        "authors": ["Maria Sibylla Merian"],
        "categories": ["q-bio.PE"],
        "published": "2020-01-15",
    },
    {
        "id": "9901.00004",
        "title": "Petal Counting From Photographs",
        "abstract": "Zygomorphic flowers with bilateral petals are counted from images. " + FILLER,
        "authors": ["Carl Linnaeus"],
        "categories": ["q-bio.PE"],
        "published": "2020-01-16",
    },
]


@pytest.fixture(scope="module")
def lib(
    tmp_path_factory: pytest.TempPathFactory,
    optional_arxiv_file: Path | None,
    library_locations: LibraryLocations,
) -> Iterator[Library]:
    folder = tmp_path_factory.mktemp("search")
    handmade = folder / "handmade.jsonl"
    handmade.write_text("".join(json.dumps(r) + "\n" for r in HANDMADE), encoding="utf-8")
    paths = [handmade, KAGGLE, DEMO_CORPUS]
    if optional_arxiv_file is not None:
        sample = folder / "arxiv-sample.jsonl"
        with gzip.open(optional_arxiv_file, "rt", encoding="utf-8") as source:
            sample.write_text("".join(itertools.islice(source, ARXIV_SAMPLE)), encoding="utf-8")
        paths.append(sample)
    library = Library.open(library_locations.new(folder))
    report = library.ingest(paths)
    assert report.ok, [str(b) for b in [*report.rejected, *report.failed_files]]
    yield library
    library.close()


def words_of(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


# -- any text is a valid query ----------------------------------------------------------------

PARAGRAPH = " ".join(
    [
        "Recent progress in large language models has renewed interest in retrieval augmented",
        "generation, where a retriever selects passages from a corpus and a generator conditions on",
        "them to answer questions. We revisit the design space of such systems, asking how the",
    ]
    * 10
)  # about 300 words

ODD_QUERIES = [
    '"vision transformer',
    '"',
    '""',
    "(graph neural networks",
    "((()))",
    "transform*",
    "*",
    "***",
    "vision NEAR transformer",
    "NEAR",
    "NEAR/3 vision",
    "vision AND transformer OR detection NOT speech",
    "AND OR NOT",
    PARAGRAPH,
    "",
    "   ",
    "author:",
    'author:""',
    "cat:",
    "year:abc",
    "year:99999",
    "year:2025..2024",
    "after:2025-13-45",
    "before:yesterday",
    " ".join(["transformer"] * 5000),
    " ".join(f"word{i}" for i in range(5000)),
    "Vision Transformer für Bilderkennung — ç'est très bien 日本語 🚀🔥",
    "🚀",
    "'; DROP TABLE papers; --",
    'title:"x" OR 1=1; --',
    "-",
    "-vision",
    "^ $ \\ / { } [ ] ~ : ; , . ? ! @ # % &",
    "\x00\x01 vision",
    "col:value title:foo abstract:bar",
]


@pytest.mark.parametrize("text", ODD_QUERIES, ids=lambda q: repr(q[:30]))
def test_any_text_is_a_valid_query(lib: Library, text: str) -> None:
    results = lib.search(text, limit=5)

    assert isinstance(results, SearchResults)
    assert len(results) <= 5
    assert results.total >= len(results)
    for hit in results:
        assert hit.paper.id == hit.id
        assert isinstance(hit.score, float)


def test_a_pasted_paragraph_finds_papers_matching_any_of_its_terms(lib: Library) -> None:
    results = lib.search(PARAGRAPH, limit=10)

    assert len(results) == 10
    assert results.total > 10
    scores = [hit.score for hit in results]
    assert scores == sorted(scores, reverse=True)


def test_sql_in_a_query_does_not_reach_the_database(lib: Library) -> None:
    before = lib.stats()["papers"]

    lib.search("'; DROP TABLE papers; --")

    assert lib.stats()["papers"] == before
    assert lib.search("zygomorphic").total == 2


# -- phrases ---------------------------------------------------------------------------------


def test_a_quoted_phrase_matches_only_papers_that_contain_it(lib: Library) -> None:
    results = lib.search('"vision transformer"', limit=50)

    ids = [hit.id for hit in results]
    assert "9901.00001" in ids
    assert "9901.00002" not in ids  # both words, but apart
    for hit in results:
        # Stemming may match "transformers"; nothing may stand between the two words.
        text = " ".join(words_of(hit.paper.title + " . " + hit.paper.abstract))
        assert re.search(r"\bvision transform\w*", text), (hit.id, hit.paper.title)


def test_stop_words_between_the_words_break_a_phrase(library: Library, tmp_path: Path) -> None:
    path = tmp_path / "phrases.jsonl"
    records = [
        {"id": "9902.00001", "title": "Computer vision has transformed medicine", "abstract": FILLER},
        {"id": "9902.00002", "title": "A vision of the transformer age", "abstract": FILLER},
        {"id": "9902.00003", "title": "Vision transformers for medicine", "abstract": FILLER},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    library.ingest(path)

    assert [hit.id for hit in library.search('"vision transformer"')] == ["9902.00003"]


def test_the_same_words_unquoted_also_find_the_paper_with_them_apart(lib: Library) -> None:
    ids = {hit.id for hit in lib.search("vision transformer", limit=1000)}

    assert {"9901.00001", "9901.00002"} <= ids


def test_an_excluded_word_removes_the_papers_that_have_it(lib: Library) -> None:
    results = lib.search("transformer -speech", limit=1000)

    assert results
    assert all("speech" not in words_of(hit.paper.title + " " + hit.paper.abstract) for hit in results)


# -- ranking -----------------------------------------------------------------------------------


def test_a_title_match_ranks_above_an_abstract_only_match(lib: Library) -> None:
    results = lib.search("zygomorphic")

    assert [hit.id for hit in results] == ["9901.00003", "9901.00004"]
    assert results[0].score > results[1].score


def test_hits_come_best_first(lib: Library) -> None:
    results = lib.search("graph neural network", limit=50)

    assert len(results) > 1
    scores = [hit.score for hit in results]
    assert scores == sorted(scores, reverse=True)


# -- filters -----------------------------------------------------------------------------------


def surnames(hit_authors: tuple[str, ...]) -> set[str]:
    return {w for name in hit_authors for w in words_of(name)}


def test_author_in_the_query_keeps_only_that_authors_papers(lib: Library) -> None:
    everyone = lib.search("transformer", limit=1000)
    results = lib.search("transformer author:he", limit=1000)

    assert results
    assert results.total < everyone.total
    assert all("he" in surnames(hit.paper.authors) for hit in results)
    assert "9901.00001" in {hit.id for hit in results}


def test_a_quoted_full_author_name_must_match_all_its_words(lib: Library) -> None:
    results = lib.search('author:"Kaiming He"', limit=1000)

    assert "9901.00001" in {hit.id for hit in results}
    assert all(any({"kaiming", "he"} <= set(words_of(name)) for name in hit.paper.authors) for hit in results)
    assert "9901.00002" not in {hit.id for hit in lib.search('author:"Kaiming Graves"', limit=1000)}


def test_the_author_keyword_argument_narrows_like_the_query_filter(lib: Library) -> None:
    results = lib.search("", author="Alex Graves", limit=1000)

    assert "9901.00002" in {hit.id for hit in results}
    assert all(
        any({"alex", "graves"} <= set(words_of(name)) for name in hit.paper.authors) for hit in results
    )


def test_cat_keeps_only_papers_in_that_category(lib: Library) -> None:
    everyone = lib.search("model", limit=1000)
    results = lib.search("model cat:hep-ph", limit=1000)

    assert results
    assert results.total < everyone.total
    assert all("hep-ph" in hit.paper.categories for hit in results)


def test_an_archive_name_keeps_every_category_of_the_archive(lib: Library) -> None:
    results = lib.search("learning", category="cs", limit=1000)

    assert results
    assert all(any(c.startswith("cs.") or c == "cs" for c in hit.paper.categories) for hit in results)
    assert len({c for hit in results for c in hit.paper.categories if c.startswith("cs.")}) > 1


def test_the_category_keyword_argument_narrows_results(lib: Library) -> None:
    results = lib.search("", category="q-bio.PE", limit=1000)

    assert {"9901.00003", "9901.00004"} <= {hit.id for hit in results}
    assert results.total < lib.search("", limit=1).total
    assert all("q-bio.PE" in hit.paper.categories for hit in results)


def test_year_keeps_only_papers_published_that_year(lib: Library) -> None:
    everyone = lib.search("flowers photographs", limit=1000)
    results = lib.search("flowers photographs year:2020", limit=1000)

    assert results
    assert results.total < everyone.total
    assert all(hit.paper.published and hit.paper.published.year == 2020 for hit in results)


def test_year_range_and_keyword_year(lib: Library) -> None:
    ranged = lib.search("year:2021..2022", limit=1000)
    assert {hit.id for hit in ranged} >= {"9901.00001", "9901.00002"}
    assert all(hit.paper.published and 2021 <= hit.paper.published.year <= 2022 for hit in ranged)

    by_argument = lib.search("", year=2022, limit=1000)
    assert by_argument
    assert all(hit.paper.published and hit.paper.published.year == 2022 for hit in by_argument)


def test_after_and_before_bound_the_publication_date(lib: Library) -> None:
    results = lib.search("after:2020-01-16 before:2021-12-31", limit=1000)

    assert {hit.id for hit in results} >= {"9901.00002", "9901.00004"}
    assert "9901.00003" not in {hit.id for hit in results}  # 2020-01-15, the day before
    assert all(
        hit.paper.published and date(2020, 1, 16) <= hit.paper.published <= date(2021, 12, 31)
        for hit in results
    )


def test_date_keyword_arguments_bound_the_publication_date(lib: Library) -> None:
    low, high = date(2007, 4, 1), date(2007, 4, 3)
    results = lib.search("", date_from=low, date_to=high, limit=1000)

    assert results
    assert all(hit.paper.published and low <= hit.paper.published <= high for hit in results)
    assert results.total < lib.search("", limit=1).total


def test_filters_in_the_query_and_keyword_arguments_combine(lib: Library) -> None:
    results = lib.search("cat:q-bio.PE", date_to=date(2020, 1, 15), limit=1000)

    ids = {hit.id for hit in results}
    assert "9901.00003" in ids
    assert "9901.00004" not in ids  # in the category, but published 2020-01-16
    assert all(
        "q-bio.PE" in hit.paper.categories
        and hit.paper.published
        and hit.paper.published <= date(2020, 1, 15)
        for hit in results
    )


# -- pages -----------------------------------------------------------------------------------


def test_page_two_continues_page_one_without_overlap(lib: Library) -> None:
    first = lib.search("learning", limit=10, offset=0)
    second = lib.search("learning", limit=10, offset=10)
    both = lib.search("learning", limit=20, offset=0)

    assert len(first) == len(second) == 10
    assert first.total == second.total == both.total
    assert not {h.id for h in first} & {h.id for h in second}
    assert [h.id for h in first] + [h.id for h in second] == [h.id for h in both]
    assert first[-1].score >= second[0].score


def test_a_page_past_the_end_is_empty_with_the_same_total(lib: Library) -> None:
    total = lib.search("zygomorphic").total
    beyond = lib.search("zygomorphic", offset=100)

    assert list(beyond) == []
    assert beyond.total == total


# -- snippets ----------------------------------------------------------------------------------


def test_highlights_point_at_words_that_match_the_query(lib: Library) -> None:
    results = lib.search("transformers detection", limit=20)

    assert results
    highlighted = 0
    for hit in results:
        for start, end in hit.highlights:
            assert 0 <= start < end <= len(hit.snippet)
            word = hit.snippet[start:end].casefold()
            assert word.startswith(("transform", "detect")), (word, hit.snippet)
            highlighted += 1
        assert hit.snippet
        assert hit.snippet.strip(" …") in hit.paper.abstract or len(hit.paper.abstract) > len(hit.snippet)
    assert highlighted > 0


def test_a_snippet_of_a_long_abstract_shows_a_matching_passage(lib: Library) -> None:
    results = lib.search('"bilateral symmetry"')

    assert [hit.id for hit in results] == ["9901.00003"]
    spans = [results[0].snippet[s:e].casefold() for s, e in results[0].highlights]
    assert "bilateral" in spans and "symmetry" in spans


# -- the saved index -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "categories",
    [["cs.CV", "cs.LG"], ["cs.CV", "68T45,\n  68U10"]],  # the second as in real arXiv crawl records
    ids=["plain-categories", "category-with-a-line-break"],
)
def test_a_reopened_library_reuses_the_index_its_ingest_saved(tmp_path: Path, categories: list[str]) -> None:
    records = [
        {"id": f"2503.{n:05d}", "title": f"Paper {n} on zygomorphic flowers", "abstract": FILLER,
         "categories": categories}
        for n in range(1, 4)
    ]  # fmt: skip
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with Library.open(tmp_path / "lib.db") as first:
        first.ingest(path)
        expected = [hit.id for hit in first.search("zygomorphic")]

    with Library.open(tmp_path / "lib.db") as reopened:
        assert reopened.refresh_index() == 0, "the saved index was not loaded: everything re-indexed"
        assert [hit.id for hit in reopened.search("zygomorphic")] == expected


def test_an_index_ahead_of_a_restored_database_is_built_again(tmp_path: Path) -> None:
    def records(word: str, first: int) -> Path:
        path = tmp_path / f"{word}.jsonl"
        rows = [
            {"id": f"2503.{n:05d}", "title": f"Paper {n} on {word}", "abstract": FILLER}
            for n in (first, first + 1)
        ]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path

    with Library.open(tmp_path / "lib.db") as lib:
        lib.ingest(records("zygomorphic", 1))
    backup = (tmp_path / "lib.db").read_bytes()  # closed: the WAL is folded into the file
    with Library.open(tmp_path / "lib.db") as lib:
        lib.ingest(records("actinomorphic", 3))  # the index beside it now covers more than the backup
    (tmp_path / "lib.db").write_bytes(backup)
    with Library.open(tmp_path / "lib.db") as restored:
        assert [hit.id for hit in restored.search("actinomorphic")] == []
        assert len(restored.search("zygomorphic")) == 2


def test_hits_can_come_without_snippets(lib: Library) -> None:
    with_snippets = lib.search("neural networks", limit=5)
    without = lib.search("neural networks", limit=5, snippets=False)
    assert [h.id for h in with_snippets] == [h.id for h in without]
    assert all(h.snippet for h in with_snippets) and not any(h.snippet or h.highlights for h in without)
