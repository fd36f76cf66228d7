"""The page-export reader: chrome skipped wherever it ends, title/abstract pairs, broken blocks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from conftest import shared_data_path  # tests/ is on sys.path under pytest
from papersift.ids import title_key
from papersift.records import BadRecord, Paper
from papersift.sources.page_export import read

FIXTURE = Path(__file__).parent / "fixtures" / "page_export" / "listing.txt"
SHARED = shared_data_path()


def read_text(content: str, origin: str = "page.txt") -> list[Paper | BadRecord]:
    return list(read(io.BytesIO(content.encode()), origin))


LONG_ABSTRACT = "We present a method. " * 15


def test_fixture_papers_are_read_and_a_title_without_abstract_is_reported_by_line():
    with open(FIXTURE, "rb") as stream:
        records = list(read(stream, "listing.txt"))
    assert [r.title if isinstance(r, Paper) else str(r) for r in records] == [
        "Sparse Mixtures of Experts for Small Devices",
        "listing.txt:15: a title with no abstract after it: 'A Title Whose Abstract Went Missing'",
        "Tokenizer-Free Language Models: A Survey",
        "Is Attention All You Need? Revisiting Recurrence. A Position Paper...",
        "Short Abstracts Happen",
    ]
    first = records[0]
    assert isinstance(first, Paper)
    assert first.source == "page-export"
    assert first.abstract.endswith("we release the code at https://github.com/example/tiny-moe.")
    assert (first.authors, first.published, first.arxiv_id) == ((), None, None)
    assert first.id.startswith("ps-")


def test_chrome_of_any_length_is_skipped_up_to_the_first_title_with_a_long_abstract():
    content = (
        "Sign in\n\nSome new site banner we have never seen\n\nJun 6\n\nA Paper\n\n" + LONG_ABSTRACT + "\n"
    )
    (paper,) = read_text(content)
    assert isinstance(paper, Paper) and paper.title == "A Paper"


def test_a_first_paper_without_its_title_is_reported_not_taken_for_chrome():
    content = "new\n\nMar 11\n\n" + LONG_ABSTRACT + "\n\nSecond Paper\n\n" + LONG_ABSTRACT + "\n"
    records = read_text(content)
    assert records[0] == BadRecord("page.txt:5", "an abstract with no title line before it")
    assert isinstance(records[1], Paper) and records[1].title == "Second Paper"


def test_stray_lines_break_only_their_own_block():
    content = (
        "One\n\n"
        + LONG_ABSTRACT
        + "\n\nstray line\n\nanother stray\n\nTwo\n\n"
        + LONG_ABSTRACT
        + "\n\nDangling\n"
    )
    records = read_text(content)
    assert [r.title if isinstance(r, Paper) else r.place for r in records] == [
        "One",
        "page.txt:5",
        "page.txt:7",
        "Two",
        "page.txt:13",
    ]


def test_a_missing_blank_line_between_title_and_abstract_is_tolerated():
    (paper,) = read_text("Title Right Above\n" + LONG_ABSTRACT + "\n")
    assert isinstance(paper, Paper) and paper.title == "Title Right Above"


def test_invalid_utf8_rejects_the_block_that_holds_it():
    content = b"One\n\n" + LONG_ABSTRACT.encode() + b"\n\nCaf\xe9\n\n" + LONG_ABSTRACT.encode() + b"\n"
    records = list(read(io.BytesIO(content), "page.txt"))
    assert isinstance(records[0], Paper)
    assert records[1] == BadRecord("page.txt:5", "not valid UTF-8 (is the export in another encoding?)")


def test_empty_input_yields_nothing():
    assert read_text("") == []


def test_the_four_seed_exports_hold_361_entries_of_324_papers_and_nothing_bad():
    seeds = sorted((SHARED / "seeds").glob("*.txt"))
    if len(seeds) != 4:
        pytest.skip(f"shared seed exports not found under {SHARED}")
    records: list[Paper | BadRecord] = []
    for path in seeds:
        with open(path, "rb") as stream:
            records.extend(read(stream, path.name))
    assert [r for r in records if isinstance(r, BadRecord)] == []
    assert len(records) == 361
    assert len({title_key(r.title) for r in records if isinstance(r, Paper)}) == 324
    first = records[0]
    assert isinstance(first, Paper)
    assert first.title == "Word and Document Embeddings based on Neural Network Approaches"
    assert first.abstract.startswith("Data representation is a fundamental task in machine learning.")
