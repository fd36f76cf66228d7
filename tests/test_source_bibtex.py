"""The BibTeX reader: macros, accents, arXiv ids, dates and broken entries reported by place."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from papersift.records import BadRecord, Paper
from papersift.sources.bibtex import read

FIXTURES = Path(__file__).parent / "fixtures" / "bibtex"


def read_file(name: str) -> list[Paper | BadRecord]:
    with open(FIXTURES / name, "rb") as stream:
        return list(read(stream, name))


def read_text(content: str) -> list[Paper | BadRecord]:
    return list(read(io.BytesIO(content.encode()), "refs.bib"))


@pytest.fixture(scope="module")
def library() -> dict[str, Paper]:
    records = read_file("library.bib")
    assert all(isinstance(r, Paper) for r in records), records
    return {r.title: r for r in records if isinstance(r, Paper)}


def test_every_entry_type_with_a_title_becomes_a_paper_and_comments_and_preambles_are_ignored(library):
    assert list(library) == [
        "Attention Is All You Need",
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "Über die Zerlegung von Graphen",
        "Deep Residual Learning for Image Recognition",
        "Learning Deep Architectures",
        "A Bold Report on Things",
    ]


def test_arxiv_eprint_gives_id_version_and_primary_class(library):
    paper = library["Attention Is All You Need"]
    assert (paper.id, paper.arxiv_id, paper.version) == ("1706.03762", "1706.03762", 7)
    assert paper.categories == ("cs.CL",)
    assert paper.source == "bibtex"
    assert paper.source_id is None  # the citation key is never an id
    assert paper.abs_url == "https://arxiv.org/abs/1706.03762"


def test_string_macros_are_expanded_case_insensitively_and_concatenated(library):
    assert library["Attention Is All You Need"].journal_ref == (
        "Advances in Neural Information Processing Systems 30"
    )
    assert library[
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    ].journal_ref == ("Proceedings of the Annual Meeting of the Association for Computational Linguistics")


def test_authors_are_split_turned_first_last_and_others_dropped(library):
    assert library["Attention Is All You Need"].authors == ("Ashish Vaswani", "Noam Shazeer", "Niki Parmar")
    assert library["A Bold Report on Things"].authors == ("OpenAI",)


def test_latex_accents_are_decoded_in_titles_and_names(library):
    paper = library["Über die Zerlegung von Graphen"]
    assert paper.authors == ("Jörg Müller", "François Lefèvre", "Søren Østergaard")


def test_abstract_markup_is_cleaned_but_math_is_kept(library):
    assert library["Attention Is All You Need"].abstract == (
        "The dominant sequence transduction models are based on complex recurrent or convolutional "
        "neural networks. We reach 28.4 BLEU, i.e. over 2 BLEU and 40% better than "
        "$\\mathcal{O}(n^{2})$ baselines."
    )


def test_text_commands_and_protecting_braces_are_removed_from_titles(library):
    assert "A Bold Report on Things" in library
    assert "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding" in library


def test_dates_are_the_first_day_of_what_is_known(library):
    assert library["Attention Is All You Need"].published == date(2017, 12, 1)  # year + month macro
    assert library["A Bold Report on Things"].published == date(2023, 3, 1)  # numeric month
    assert library["Learning Deep Architectures"].published == date(2009, 6, 1)  # partial ISO date
    assert library["Deep Residual Learning for Image Recognition"].published == date(2015, 1, 1)


def test_doi_is_normalised_and_becomes_the_id_without_arxiv_id(library):
    paper = library["BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"]
    assert (paper.id, paper.doi) == ("10.18653/v1/n19-1423", "10.18653/v1/n19-1423")


def test_arxiv_ids_are_found_in_urls_and_in_google_scholar_journal_fields(library):
    from_url = library["Über die Zerlegung von Graphen"]
    assert (from_url.id, from_url.version) == ("2101.00001", 2)
    scholar = library["Deep Residual Learning for Image Recognition"]
    assert scholar.id == "1512.03385"
    assert scholar.journal_ref is None  # "arXiv preprint arXiv:..." names no journal


def test_keywords_split_on_commas_and_semicolons(library):
    assert library["Attention Is All You Need"].keywords == ("transformers", "attention", "sequence models")


def test_entries_without_arxiv_id_or_doi_get_a_title_hash_id(library):
    assert library["Learning Deep Architectures"].id.startswith("ps-")


def test_broken_entries_are_reported_by_number_and_line_and_the_rest_is_read():
    records = read_file("broken.bib")
    assert [r.title if isinstance(r, Paper) else str(r) for r in records] == [
        "A Good First Entry",
        "broken.bib: entry 2 (line 7): not valid BibTeX (Unexpected block start: `@article`. "
        "Was still looking for field-value closing `,` or `}`)",
        "A Good Entry After the Broken One",
        "broken.bib: entry 4 (key notitle): missing title",
        "A Duplicate Key Is Still a Paper",
    ]


def test_invalid_utf8_rejects_only_the_entry_that_holds_it():
    records = read_file("latin1.bib")
    assert records[0] == BadRecord(
        "latin1.bib: entry 1 (key cafe)", "field 'title' is not valid UTF-8 (byte 0xe9); is the file Latin-1?"
    )
    assert isinstance(records[1], Paper) and records[1].title == "A Fine UTF-8 Title: Café"


def test_an_eprint_of_another_archive_is_not_taken_for_an_arxiv_id():
    (paper,) = read_text("@article{a, title={T}, eprint={hal-01234567}, archivePrefix={HAL}, year={2020}}")
    assert isinstance(paper, Paper)
    assert paper.arxiv_id is None and paper.id.startswith("ps-")


def test_citations_are_dropped_and_unknown_commands_keep_their_argument():
    (paper,) = read_text(r"@misc{a, title={On \foo{Bar}}, abstract={As shown~\cite{x,y}, {RNN}s fail.}}")
    assert isinstance(paper, Paper)
    assert (paper.title, paper.abstract) == ("On Bar", "As shown, RNNs fail.")


def test_empty_and_comment_only_files_yield_nothing():
    assert read_text("") == []
    assert read_text("% nothing here\n@comment{just a comment}\n") == []
