"""The OAI-PMH reader, specified against responses recorded from export.arxiv.org/oai2."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest

from papersift.errors import UnreadableInput
from papersift.records import BadRecord, Paper
from papersift.sources import open_input, read_stream
from papersift.sources.oai_pmh import read, resumption_token

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv_oai"
RAW_LIST = FIXTURES / "arXivRaw_2015_ListRecords_from2014-10-01_resumptionToken.xml"
RAW_GET = FIXTURES / "arXivRaw_2015_GetRecord_1302.2146.xml"
ARXIV_LIST = FIXTURES / "arXiv_2017_ListRecords_physics-hep-ex.xml"
ARXIV_GET = FIXTURES / "arXiv_2018_GetRecord_1401.2122.xml"


def read_bytes(content: bytes, origin: str = "page.xml") -> list[Paper | BadRecord]:
    return list(read(io.BytesIO(content), origin))


def papers(path: Path) -> list[Paper]:
    records = read_bytes(path.read_bytes(), path.name)
    assert all(isinstance(r, Paper) for r in records), [r for r in records if isinstance(r, BadRecord)]
    return [r for r in records if isinstance(r, Paper)]


def by_id(path: Path) -> dict[str, Paper]:
    return {p.id: p for p in papers(path)}


# arXivRaw


def test_arxivraw_list_yields_every_record_from_the_oai_source() -> None:
    page = papers(RAW_LIST)

    assert [p.id for p in page] == [
        "0704.0471",
        "0704.0716",
        "0704.0874",
        "0704.1109",
        "0704.1114",
        "0704.1586",
    ]
    assert {p.source for p in page} == {"oai-pmh"}


def test_arxivraw_versions_give_published_updated_and_the_latest_version() -> None:
    paper = by_id(RAW_LIST)["0704.0716"]  # v1 .. v4

    assert paper.version == 4
    assert paper.published == date(2007, 4, 5)  # Thu, 5 Apr 2007 (v1)
    assert paper.updated == date(2008, 11, 14)  # Fri, 14 Nov 2008 (v4)

    single = by_id(RAW_LIST)["0704.1114"]
    assert single.version == 1
    assert single.published == date(2007, 4, 9)
    assert single.updated is None


def test_arxivraw_double_doi_takes_the_first() -> None:
    page = by_id(RAW_LIST)

    assert page["0704.0471"].doi == "10.1103/physrevc.76.024606"
    assert page["0704.1586"].doi == "10.1103/physrevc.76.014611"
    assert page["0704.1109"].doi == "10.1007/s10773-009-0204-x"
    assert page["0704.0716"].doi is None


def test_arxivraw_author_string_is_split_into_names() -> None:
    page = by_id(RAW_LIST)

    assert page["0704.0471"].authors == ("D.V. Shetty", "S.J. Yennello", "G.A. Souliotis")
    assert page["0704.1109"].authors == ("Valeria M. Rosa", "Patricio S. letelier")


def test_arxivraw_fields_are_cleaned() -> None:
    paper = by_id(RAW_LIST)["0704.0471"]

    assert paper.title == (
        "Density dependence of the symmetry energy and the nuclear equation of state: "
        "A Dynamical and Statistical model perspective"
    )
    assert paper.categories == ("nucl-ex", "nucl-th")
    assert paper.comment == "16 pages, 14 figures"
    assert paper.journal_ref == "Phys.Rev.C76:024606,2007; Erratum-ibid.C76:039902,2007"
    assert '" stiff "' in paper.abstract  # &quot; decoded
    assert paper.abs_url == "https://arxiv.org/abs/0704.0471"


def test_arxivraw_get_record() -> None:
    (paper,) = papers(RAW_GET)

    assert paper.id == "1302.2146"
    assert paper.version == 2
    assert paper.published == date(2013, 2, 8)
    assert paper.updated == date(2013, 4, 2)
    assert paper.authors == ("Joshua Berger", "Maxim Perelstein", "Michael Saelim", "Philip Tanedo")
    assert paper.categories == ("hep-ph", "hep-ex")


# arXiv


def test_arxiv_format_list_joins_forenames_and_keyname() -> None:
    page = papers(ARXIV_LIST)

    assert [p.id for p in page] == ["1706.05371", "1706.09418", "1707.00874"]
    first = page[0]
    assert len(first.authors) == 13
    assert first.authors[:2] == ("Tyler Anderson", "Jacob Cutter")
    assert first.categories == ("physics.ins-det", "hep-ex")
    assert first.published == date(2017, 6, 16)
    assert first.updated == date(2017, 12, 12)
    assert first.version is None  # the arXiv format carries no version history
    assert page[1].doi == "10.1140/epjc/s10052-017-5414-4"
    assert page[1].journal_ref == "Eur. Phys. J. C (2017) 77:856"
    assert page[1].authors[2] == "Manuel E. Krauss"


def test_arxiv_format_get_record() -> None:
    (paper,) = papers(ARXIV_GET)

    assert paper.id == "1401.2122"
    assert paper.authors == ("A. Sergyeyev",)
    assert paper.categories == ("math.AP", "hep-th", "math-ph", "math.DG", "math.MP", "nlin.SI")
    assert paper.doi == "10.1007/s11005-017-1013-4"
    assert paper.title == "New integrable (3+1)-dimensional systems and contact geometry"


def test_arxiv_format_author_suffix_follows_the_name() -> None:
    content = ARXIV_GET.read_bytes().replace(
        b"<forenames>A.</forenames>", b"<forenames>A.</forenames><suffix>Jr</suffix>"
    )
    (paper,) = read_bytes(content)

    assert isinstance(paper, Paper)
    assert paper.authors == ("A. Sergyeyev Jr",)


# What is not a paper


def test_deleted_records_are_skipped_and_keep_their_number() -> None:
    content = RAW_LIST.read_bytes()
    deleted = re.sub(
        rb"<record>\s*<header>\s*<identifier>oai:arXiv.org:0704.0716</identifier>.*?</record>",
        b'<record><header status="deleted"><identifier>oai:arXiv.org:0704.0716</identifier>'
        b"<datestamp>2014-12-22</datestamp></header></record>",
        content,
        flags=re.DOTALL,
    )
    # A bad record after the deleted one is still numbered by its position in the response.
    broken = deleted.replace(b"<title>Higher ramification", b"<title></title><x>Higher ramification").replace(
        b"  curve</title><authors>Gavril", b"  curve</x><authors>Gavril"
    )
    records = read_bytes(broken)

    assert [r.id for r in records if isinstance(r, Paper)] == [
        "0704.0471",
        "0704.1109",
        "0704.1114",
        "0704.1586",
    ]
    assert [r for r in records if isinstance(r, BadRecord)] == [
        BadRecord("page.xml: entry 3 (0704.0874)", "missing title")
    ]


def test_a_metadata_format_other_than_arxiv_is_a_bad_record() -> None:
    content = ARXIV_GET.read_bytes().replace(
        b'<arXiv xmlns="http://arxiv.org/OAI/arXiv/"',
        b'<dc xmlns="http://www.openarchives.org/OAI/2.0/oai_dc/"',
    )
    content = content.replace(b"</arXiv>", b"</dc>")
    (record,) = read_bytes(content)

    assert isinstance(record, BadRecord)
    assert record.place == "page.xml: entry 1 (1401.2122)"
    assert "unsupported metadata format" in record.reason


def test_no_records_match_is_an_empty_answer() -> None:
    assert read_bytes((FIXTURES / "error_2015_NoRecordsMatch.xml").read_bytes()) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("BadArgument", "OAI-PMH error badArgument: Verb 'ListRecords', illegal argument 'identifier'."),
        ("BadResumptionToken", "OAI-PMH error badResumptionToken: The resumptionToken supplied is illegal"),
        ("IdDoesNotExist", "OAI-PMH error idDoesNotExist: Identifier 'oai:arXiv.org:0813.2274' has"),
        ("BadVerb", "OAI-PMH error badVerb: Bad verb. Verb 'wah' not implemented."),
    ],
)
def test_other_oai_errors_make_the_response_unreadable(name: str, expected: str) -> None:
    with pytest.raises(UnreadableInput) as raised:
        read_bytes((FIXTURES / f"error_2015_{name}.xml").read_bytes())

    assert raised.value.reason.startswith(expected)


def test_a_truncated_response_yields_the_complete_records_then_names_the_place() -> None:
    content = RAW_LIST.read_bytes()
    truncated = content[: content.index(b"<title>Spinning Strings")]  # inside record 4
    records: list[Paper | BadRecord] = []

    with pytest.raises(UnreadableInput) as raised:
        for record in read(io.BytesIO(truncated), "page.xml"):
            records.append(record)

    assert [r.id for r in records if isinstance(r, Paper)] == ["0704.0471", "0704.0716", "0704.0874"]
    assert re.fullmatch(r"malformed XML at line \d+, column \d+: .+", raised.value.reason)
    last_line = truncated.count(b"\n") + 1
    assert f"line {last_line}," in raised.value.reason


def test_not_an_oai_response_is_unreadable() -> None:
    with pytest.raises(UnreadableInput, match="not an OAI-PMH response"):
        read_bytes(b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'/>")


# Resumption tokens


def test_resumption_token_of_a_page_with_more_to_come() -> None:
    assert resumption_token(RAW_LIST.read_bytes()) == "726959|1001"


def test_resumption_token_is_none_when_absent_or_empty() -> None:
    assert resumption_token(ARXIV_LIST.read_bytes()) is None
    assert resumption_token((FIXTURES / "error_2015_NoRecordsMatch.xml").read_bytes()) is None
    # Today's arXiv closes a complete list with an empty token.
    last_page = re.sub(
        rb"<resumptionToken [^>]*>726959\|1001</resumptionToken>",
        b'<resumptionToken cursor="1000" completeListSize="58011"/>',
        RAW_LIST.read_bytes(),
    )
    assert b"726959" not in last_page
    assert resumption_token(last_page) is None


# Sniffing


def test_read_stream_sniffs_an_oai_response() -> None:
    with open_input(RAW_GET) as stream:
        (paper,) = read_stream(stream, "get.xml")

    assert isinstance(paper, Paper)
    assert paper.source == "oai-pmh"
    assert paper.id == "1302.2146"


def test_read_stream_sniffs_a_response_without_xml_declaration_and_names_the_origin() -> None:
    with open_input(FIXTURES / "error_2015_BadVerb.xml") as stream, pytest.raises(UnreadableInput) as raised:
        list(read_stream(stream, "verb.xml"))

    assert raised.value.reason.startswith("verb.xml: OAI-PMH error badVerb")
