"""The JSON Lines reader: arXiv snapshot, daily crawl, generic and papersift's own export shapes."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import date
from pathlib import Path

import pytest

from papersift.errors import UnreadableInput
from papersift.ids import hashed_id
from papersift.records import BadRecord, Paper
from papersift.sources.jsonl import read

FIXTURES = Path(__file__).parent / "fixtures" / "kaggle_snapshot"


def read_bytes(content: bytes, origin: str = "in.jsonl") -> list[Paper | BadRecord]:
    return list(read(io.BytesIO(content), origin))


def lines(*records: object) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def test_kaggle_snapshot_first_record_takes_authors_from_authors_parsed_and_dates_from_versions():
    with open(FIXTURES / "arxiv-metadata-oai-snapshot.first5.jsonl", "rb") as stream:
        records = list(read(stream, "snapshot.jsonl"))
    assert len(records) == 5
    first = records[0]
    assert isinstance(first, Paper)
    assert first.id == "0704.0001"
    assert first.arxiv_id == "0704.0001"
    assert first.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert first.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan")
    assert first.categories == ("hep-ph",)
    assert first.published == date(2007, 4, 2)
    assert first.updated == date(2007, 7, 24)
    assert first.version == 2
    assert first.doi == "10.1103/physrevd.76.013009"
    assert first.comment == "37 pages, 15 figures; published version"
    assert first.journal_ref == "Phys.Rev.D76:013009,2007"
    assert first.source == "arxiv-snapshot"
    assert first.abstract.startswith("A fully differential calculation in perturbative quantum")
    assert first.title_raw is not None and "\n  " in first.title_raw


def test_kaggle_snapshot_primary_category_comes_first_and_single_versions_have_no_updated():
    with open(FIXTURES / "arxiv-metadata-oai-snapshot.first5.jsonl", "rb") as stream:
        second, third, fourth = list(read(stream, "snapshot.jsonl"))[1:4]
    assert isinstance(second, Paper) and isinstance(third, Paper) and isinstance(fourth, Paper)
    assert second.categories == ("math.CO", "cs.CG")
    assert second.primary_category == "math.CO"
    assert second.authors == ("Ileana Streinu", "Louis Theran")
    assert third.version == 3
    assert fourth.version == 1
    assert fourth.updated is None


def test_kaggle_snapshot_first_200_lines_all_read():
    with open(FIXTURES / "arxiv-metadata-oai-snapshot.first200.jsonl", "rb") as stream:
        records = list(read(stream, "snapshot.jsonl"))
    assert len(records) == 200
    assert all(isinstance(r, Paper) for r in records)
    assert len({r.id for r in records if isinstance(r, Paper)}) == 200


def test_snapshot_without_authors_parsed_decodes_tex_accents_of_the_authors_string():
    (paper,) = read_bytes(
        lines(
            {
                "id": "0704.0001",
                "title": "T",
                "authors": "C. Bal\\'azs and E. Berger",
                "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
            }
        )
    )
    assert isinstance(paper, Paper)
    assert paper.authors == ("C. Balázs", "E. Berger")
    assert paper.published == date(2007, 4, 2)


CRAWL_RECORD = {
    "id": "2503.11677",
    "title": "Simulation of prosthetic vision with PRIMA system",
    "authors": ["Jungyeon Park", "Daniel Palanker"],
    "abstract": "Objective. Patients implanted with the PRIMA\nprosthesis report form vision.",
    "categories": ["cs.HC", "cs.CV"],
    "comment": None,
    "first_seen_date": "2025-03-18",
    "crawl_dates": ["2025-03-18"],
    "abs_url": "https://arxiv.org/abs/2503.11677",
    "pdf_url": "https://arxiv.org/pdf/2503.11677",
}


def test_daily_crawl_shape_uses_first_seen_date_as_published():
    (paper,) = read_bytes(lines(CRAWL_RECORD))
    assert paper == Paper(
        id="2503.11677",
        title="Simulation of prosthetic vision with PRIMA system",
        abstract="Objective. Patients implanted with the PRIMA prosthesis report form vision.",
        authors=("Jungyeon Park", "Daniel Palanker"),
        categories=("cs.HC", "cs.CV"),
        published=date(2025, 3, 18),
        arxiv_id="2503.11677",
        source="arxiv",
        abs_url="https://arxiv.org/abs/2503.11677",
        pdf_url="https://arxiv.org/pdf/2503.11677",
        abstract_raw="Objective. Patients implanted with the PRIMA\nprosthesis report form vision.",
    )


def test_generic_record_with_arxiv_id_keeps_it_as_arxiv_id():
    (paper,) = read_bytes(
        lines(
            {
                "id": "arXiv:2401.01234v3",
                "title": "A",
                "abstract": "B",
                "year": 2024,
                "authors": "Ann Smith, Bob Jones and Carl Wu",
                "keywords": "x; y, z",
            }
        )
    )
    assert isinstance(paper, Paper)
    assert (paper.id, paper.arxiv_id, paper.version, paper.source) == ("2401.01234", "2401.01234", 3, "jsonl")
    assert paper.published == date(2024, 1, 1)
    assert paper.authors == ("Ann Smith", "Bob Jones", "Carl Wu")
    assert paper.keywords == ("x", "y", "z")


def test_generic_record_with_a_foreign_id_keeps_it_as_source_id():
    (paper,) = read_bytes(
        lines(
            {
                "id": "W2963403868",
                "title": "A",
                "abstract": "B",
                "date": "2019-06-02",
                "doi": None,
                "url": "https://example.org/p/1",
                "categories": "cs.LG stat.ML",
            }
        )
    )
    assert isinstance(paper, Paper)
    assert (paper.id, paper.source_id, paper.arxiv_id) == ("W2963403868", "W2963403868", None)
    assert paper.published == date(2019, 6, 2)
    assert paper.abs_url == "https://example.org/p/1"
    assert paper.categories == ("cs.LG", "stat.ML")


def test_generic_record_whose_id_is_a_doi_is_read_as_doi():
    (paper,) = read_bytes(lines({"id": "10.1145/3292500.3330701", "title": "A"}))
    assert isinstance(paper, Paper)
    assert (paper.id, paper.doi, paper.source_id) == (
        "10.1145/3292500.3330701",
        "10.1145/3292500.3330701",
        None,
    )


EXPORT_FIELDS = (
    "id",
    "title",
    "abstract",
    "authors",
    "categories",
    "published",
    "updated",
    "version",
    "arxiv_id",
    "doi",
    "source",
    "abs_url",
    "pdf_url",
    "comment",
    "journal_ref",
    "keywords",
)


def export(paper: Paper) -> dict[str, object]:
    """papersift's export shape: the Paper fields as JSON."""
    as_dict = dataclasses.asdict(paper)
    out = {name: as_dict[name] for name in EXPORT_FIELDS}
    for name in ("published", "updated"):
        out[name] = out[name].isoformat() if out[name] else None
    return out


@pytest.mark.parametrize(
    "paper",
    [
        Paper(
            id="2401.01234",
            title="An arXiv paper",
            abstract="Text.",
            authors=("Ann Smith", "Bo Li"),
            categories=("cs.LG", "stat.ML"),
            published=date(2024, 1, 5),
            updated=date(2024, 3, 1),
            version=2,
            arxiv_id="2401.01234",
            source="arxiv",
            abs_url="https://arxiv.org/abs/2401.01234",
            pdf_url="https://arxiv.org/pdf/2401.01234",
            comment="10 pages",
            keywords=("a", "b"),
        ),
        Paper(
            id="10.1000/xyz",
            title="A journal paper",
            doi="10.1000/xyz",
            source="bibtex",
            journal_ref="Journal of Things 3",
            published=date(2020, 5, 1),
        ),
        Paper(
            id=hashed_id("A page-export paper", None),
            title="A page-export paper",
            abstract="Only an abstract.",
            source="page-export",
        ),
        Paper(id="W123", title="A paper from another index", source="jsonl", source_id="W123"),
    ],
    ids=["arxiv", "doi", "hashed", "source-id"],
)
def test_papersifts_own_export_reads_back_to_an_equal_paper(paper: Paper):
    (read_back,) = read_bytes(lines(export(paper)))
    assert read_back == paper


def test_a_single_json_array_of_objects_is_read_with_item_numbers_as_places():
    records = read_bytes(
        json.dumps([CRAWL_RECORD, 5, {"id": "x", "title": "Y"}], indent=2).encode(), "a.json"
    )
    assert isinstance(records[0], Paper) and records[0].id == "2503.11677"
    assert records[1] == BadRecord("a.json: item 2", "expected a JSON object, got a number")
    assert isinstance(records[2], Paper) and records[2].title == "Y"


def test_json_lines_whose_first_line_is_a_list_are_still_read_line_by_line():
    records = read_bytes(b'[1, 2]\n{"id": "x", "title": "Y"}\n')
    assert records[0] == BadRecord("in.jsonl:1", "expected a JSON object, got a list")
    assert isinstance(records[1], Paper)


def test_a_broken_pretty_printed_array_is_unreadable_input():
    with pytest.raises(UnreadableInput, match="line 3 column"):
        read_bytes(b'[\n  {"id": "x",\n   "title": "Y" "z"}\n]\n')


def test_bad_lines_are_rejected_with_their_place_and_good_lines_around_them_are_kept():
    content = (
        b'{"id": "a1", "title": "First"}\n'
        b"\n"
        b'{"id": "a2", "title": "Broken" "abstract": "x"}\n'
        b"[1, 2]\n"
        b'{"id": "a3", "title": "Caf\xe9"}\n'
        b'{"id": "a4", "title": 42}\n'
        b'{"id": "a5", "title": "T", "authors": {"name": "Ann"}}\n'
        b'{"id": "a6", "title": "T", "categories": ["cs.LG", 7]}\n'
        b'{"id": "a7", "abstract": "no title"}\n'
        b'{"id": "a8", "title": "Last"}\r\n'
    )
    records = read_bytes(content, "mixed.jsonl")
    places = {r.place: r.reason for r in records if isinstance(r, BadRecord)}
    assert places == {
        "mixed.jsonl:3": "not valid JSON (Expecting ',' delimiter at column 32)",
        "mixed.jsonl:4": "expected a JSON object, got a list",
        "mixed.jsonl:5": "not valid UTF-8 (byte 0xe9 at byte 27 of the line)",
        "mixed.jsonl:6": "field 'title' must be a string, got a number",
        "mixed.jsonl:7": "field 'authors' must be a list of names or a string, got an object",
        "mixed.jsonl:8": "field 'categories' must be a list of strings or a string, "
        "got a list holding a number",
        "mixed.jsonl:9": "missing title",
    }
    assert [r.title for r in records if isinstance(r, Paper)] == ["First", "Last"]


def test_a_byte_order_mark_at_the_start_is_ignored():
    (paper,) = read_bytes(b'\xef\xbb\xbf{"id": "x", "title": "Y"}\n')
    assert isinstance(paper, Paper)


def test_empty_input_yields_nothing():
    assert read_bytes(b"") == []
    assert read_bytes(b"\n\n  \n") == []


def test_snapshot_versions_of_the_wrong_shape_are_rejected_naming_the_field():
    (bad,) = read_bytes(lines({"id": "0704.0001", "title": "T", "versions": "v1"}))
    assert bad == BadRecord("in.jsonl:1", "field 'versions' must be a list, got a string")


def test_line_numbers_count_leading_blank_lines():
    (bad,) = read_bytes(b'\n\n{"id": "x", "title": 1}\n')
    assert bad.place == "in.jsonl:3"


@pytest.mark.parametrize("missing", ["None", "nan", "", "null"])
def test_a_year_spelled_as_missing_is_missing_not_bad(missing: str) -> None:
    [paper] = read_bytes(lines({"id": "x1", "title": "A title", "abstract": "Text.", "year": missing}))
    assert isinstance(paper, Paper) and paper.published is None


def test_a_year_that_is_no_year_is_still_rejected_by_name() -> None:
    [bad] = read_bytes(lines({"id": "x1", "title": "A title", "year": "soon"}))
    assert isinstance(bad, BadRecord) and "'year'" in bad.reason
