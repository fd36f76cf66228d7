"""The arXiv API Atom reader, specified against feeds recorded from export.arxiv.org/api/query."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from papersift.errors import UnreadableInput
from papersift.records import BadRecord, Paper
from papersift.sources import open_input, read_stream
from papersift.sources.arxiv_atom import read

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv_api"
PAGE_OF_100 = FIXTURES / "q_testing_s0_m100_cfe7536492ca.xml"
PAGE_OF_10 = FIXTURES / "q_testing_s0_m10_bc5a6c384fe9.xml"
ASTRO_PH = FIXTURES / "id_astro-ph_0601001_s0_m100_3150dca9dc76.xml"
QUANT_PH = FIXTURES / "id_quant-ph_0201082v1_s0_m100_86989fe779ef.xml"
MANY_AUTHORS = FIXTURES / "id_1707.08567_s0_m100_6a1afebfc6a3.xml"
API_ERROR = FIXTURES / "id_abc_s0_m100_b79c8dcf6bc3.xml"
EMPTY = FIXTURES / "id_0000.0000_s0_m100_8b51d9633a68.xml"
LEGACY = FIXTURES / "legacy_format_2016"


def read_bytes(content: bytes, origin: str = "feed.xml") -> list[Paper | BadRecord]:
    return list(read(io.BytesIO(content), origin))


def read_file(path: Path) -> list[Paper | BadRecord]:
    return read_bytes(path.read_bytes(), path.name)


def papers(path: Path) -> list[Paper]:
    records = read_file(path)
    assert all(isinstance(r, Paper) for r in records), [r for r in records if isinstance(r, BadRecord)]
    return [r for r in records if isinstance(r, Paper)]


def read_until_error(content: bytes) -> tuple[list[Paper | BadRecord], UnreadableInput]:
    records: list[Paper | BadRecord] = []
    with pytest.raises(UnreadableInput) as raised:
        for record in read(io.BytesIO(content), "feed.xml"):
            records.append(record)
    return records, raised.value


def test_a_page_of_100_results_yields_100_papers_in_feed_order() -> None:
    page = papers(PAGE_OF_100)

    assert len(page) == 100
    assert page[0].id == "2202.12139"
    assert (
        page[0].title
        == "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    )
    assert page[0].authors == ("Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker")
    assert {p.source for p in page} == {"arxiv-api"}


def test_entries_with_arxiv_doi_carry_it_and_others_have_none() -> None:
    page = papers(PAGE_OF_100)

    assert sum(p.doi is not None for p in page) == 32
    assert sum(p.journal_ref is not None for p in page) == 18
    assert page[0].doi == "10.1109/icstw55395.2022.00035"


def test_the_version_comes_from_the_id_and_the_id_drops_it() -> None:
    page = {p.id: p for p in papers(PAGE_OF_10)}

    assert page["2005.14124"].version == 2
    assert page["2204.08348"].version == 3
    assert page["2202.12139"].version == 1


def test_old_style_entry_has_id_version_comment_and_journal_ref() -> None:
    (paper,) = papers(ASTRO_PH)

    assert paper.id == "astro-ph/0601001"
    assert paper.arxiv_id == "astro-ph/0601001"
    assert paper.version == 1
    assert paper.categories == ("astro-ph",)
    assert paper.published == date(2006, 1, 2)
    assert paper.updated is None  # the same day as published
    assert paper.comment is not None and paper.comment.startswith("62 pages including 16 figures")
    assert paper.journal_ref == "ActaAstron.56:1-50,2006"
    assert paper.authors == ("Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski")
    assert paper.abstract.startswith("We derive the frequencies")  # leading spaces gone


def test_links_are_the_alternate_and_the_pdf_link() -> None:
    (paper,) = papers(ASTRO_PH)

    assert paper.abs_url == "https://arxiv.org/abs/astro-ph/0601001v1"
    assert paper.pdf_url == "https://arxiv.org/pdf/astro-ph/0601001v1"


def test_primary_category_comes_first_without_duplicates() -> None:
    (paper,) = papers(QUANT_PH)
    assert paper.categories == ("quant-ph", "cs.PL")
    assert paper.primary_category == "quant-ph"

    # The primary category is first even when the <category> list puts it elsewhere.
    reordered = QUANT_PH.read_bytes().replace(
        b'<category term="quant-ph" scheme="http://arxiv.org/schemas/atom"/>', b""
    )
    reordered = reordered.replace(
        b'<category term="cs.PL" scheme="http://arxiv.org/schemas/atom"/>',
        b'<category term="cs.PL" scheme="http://arxiv.org/schemas/atom"/>'
        b'<category term="quant-ph" scheme="http://arxiv.org/schemas/atom"/>',
    )
    (reread,) = read_bytes(reordered)
    assert isinstance(reread, Paper)
    assert reread.categories == ("quant-ph", "cs.PL")


def test_utf8_names_are_read_without_mojibake_among_34_authors() -> None:
    (paper,) = papers(MANY_AUTHORS)

    assert paper.id == "1707.08567"
    assert len(paper.authors) == 34
    assert "Dirk Wübben" in paper.authors
    assert paper.authors[0] == "Kees A. Schouhamer Immink"


def test_2016_dialect_with_wrapped_text_and_inline_namespaces_parses() -> None:
    (paper,) = papers(LEGACY / "id_list_1111.2011v2.xml")

    assert paper.id == "1111.2011"
    assert paper.version == 2
    assert (
        paper.title
        == "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert paper.title_raw is not None and "\n" in paper.title_raw
    assert "\n" not in paper.abstract
    assert paper.categories == ("cond-mat.str-el", "cond-mat.stat-mech")
    assert paper.doi == "10.1103/physrevb.85.115117"
    assert paper.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert paper.published == date(2011, 11, 8)
    assert paper.updated == date(2012, 4, 2)
    assert paper.pdf_url == "http://arxiv.org/pdf/1111.2011v2"


def test_every_2016_feed_reads_completely() -> None:
    counts = {path.name: len(papers(path)) for path in sorted(LEGACY.glob("*.xml"))}

    assert counts == {
        "id_list_1111.2011v2.xml": 1,
        "search_query_au_del_maestro.xml": 10,
        "search_query_au_del_maestro_ANDNOT_28ti_checkerboard_OR_ti_Pyrochlore_29.xml": 10,
        "search_query_au_del_maestro_AND_ti_checkerboard.xml": 1,
        "search_query_au_del_maestro_AND_ti_quantum_criticality.xml": 2,
    }
    (old_style,) = papers(LEGACY / "search_query_au_del_maestro_AND_ti_checkerboard.xml")
    assert old_style.id == "cond-mat/0603029"


def test_an_api_error_entry_is_a_bad_record_quoting_the_error() -> None:
    (record,) = read_file(API_ERROR)

    assert isinstance(record, BadRecord)
    assert record.place == f"{API_ERROR.name}: entry 1"
    assert "incorrect id format for abc" in record.reason


def test_an_empty_result_yields_nothing() -> None:
    assert read_file(EMPTY) == []


def test_a_bad_entry_is_named_by_number_and_id_and_the_others_are_kept() -> None:
    content = PAGE_OF_10.read_bytes().replace(
        b"<title>Active Fuzzing for Testing and Securing Cyber-Physical Systems</title>", b"<title> </title>"
    )
    records = read_bytes(content, "q.xml")

    assert len(records) == 10
    bad = [r for r in records if isinstance(r, BadRecord)]
    assert bad == [BadRecord("q.xml: entry 3 (2005.14124v2)", "missing title")]


def test_a_truncated_feed_yields_the_complete_entries_then_names_the_place() -> None:
    content = PAGE_OF_100.read_bytes()
    cut = content.index(b"<entry>", len(content) // 2) + 200  # inside an entry
    truncated = content[:cut]

    records, error = read_until_error(truncated)

    assert len(records) == truncated.count(b"</entry>") > 40
    assert all(isinstance(r, Paper) for r in records)
    last_line = truncated.count(b"\n") + 1
    assert error.reason.startswith(f"malformed XML at line {last_line}, column ")


def test_malformed_xml_mid_feed_reports_its_line_after_the_entries_before_it() -> None:
    lines = PAGE_OF_10.read_bytes().split(b"\n")
    broken_line = lines.index(b"    <id>http://arxiv.org/abs/2204.08348v3</id>")  # entry 4
    lines[broken_line] = b"    <id>http://arxiv.org/abs/2204.08348v3</di>"

    records, error = read_until_error(b"\n".join(lines))

    assert [r.id for r in records if isinstance(r, Paper)] == ["2202.12139", "2405.13786", "2005.14124"]
    # Column 44 is the "<" of "</di>", counted from 1 as editors do.
    assert error.reason == f"malformed XML at line {broken_line + 1}, column 44: mismatched tag"


def test_an_xml_file_that_is_not_a_feed_is_unreadable() -> None:
    with pytest.raises(UnreadableInput, match="not an Atom feed"):
        read_bytes(b"<?xml version='1.0'?><rss><channel/></rss>")


def test_read_stream_sniffs_an_atom_feed_and_names_the_origin_in_errors() -> None:
    with open_input(ASTRO_PH) as stream:
        (paper,) = read_stream(stream, "astro.xml")
    assert isinstance(paper, Paper)
    assert paper.source == "arxiv-api"
    assert paper.id == "astro-ph/0601001"

    truncated = ASTRO_PH.read_bytes()[:1500]
    with pytest.raises(UnreadableInput, match=r"^astro\.xml: malformed XML at line \d+, column \d+"):
        list(read_stream(io.BytesIO(truncated), "astro.xml"))
