"""Importing papers into a Library: counts, idempotence, deduplication across sources, inputs.

The seed files are the real listing-page exports in ../shared/data/seeds (361 entries of 324
distinct papers). Everything else is a small fixture written by the test itself.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from papersift import Library
from papersift.errors import PaperNotFound

SEED_PAPERS = 324
LONG_ABSTRACT = (
    "We study how vision transformers trained on small data sets can be made to generalise by "
    "mixing convolutional inductive biases into the attention layers. Experiments on five image "
    "classification benchmarks show consistent gains over both pure transformers and residual "
    "networks of the same size, and we release our code and trained models."
)
CHROME = "".join(
    f"{line}\n\n"
    for line in (
        "new",
        "Get trending papers in your email inbox!",
        "Subscribe",
        "byAK and the research community",
        "Mar 11",
    )
)


def write_jsonl(path: Path, *records: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def write_page_export(path: Path, *papers: tuple[str, str]) -> Path:
    blocks = "".join(f"{title}\n\n{abstract}\n\n" for title, abstract in papers)
    path.write_text(CHROME + blocks, encoding="utf-8")
    return path


def arxiv_record(arxiv_id: str, title: str, abstract: str = LONG_ABSTRACT, **extra: Any) -> dict[str, Any]:
    """A record in the shape of ../shared/data/arxiv (lists of authors and categories)."""
    return {
        "id": arxiv_id,
        "title": title,
        "authors": ["Ada Lovelace", "Charles Babbage"],
        "abstract": abstract,
        "categories": ["cs.CV", "cs.LG"],
        "comment": None,
        "first_seen_date": "2025-03-18",
        "crawl_dates": ["2025-03-18"],
        **extra,
    }


def all_papers(lib: Library) -> list[Any]:
    return list(lib.papers())


# -- the seed files --------------------------------------------------------------------------


def test_the_four_seed_files_hold_324_distinct_papers(library: Library, seeds: Path) -> None:
    report = library.ingest(sorted(seeds.glob("*.txt")))

    assert library.stats()["papers"] == SEED_PAPERS
    assert report.added == SEED_PAPERS
    assert report.files == 4
    assert report.ok, [str(bad) for bad in [*report.rejected, *report.failed_files]]


def test_importing_the_seeds_twice_changes_nothing(library: Library, seeds: Path) -> None:
    library.ingest(seeds)
    before = {p.id: p for p in library.papers()}

    again = library.ingest(seeds)

    assert (again.added, again.updated) == (0, 0)
    assert library.stats()["papers"] == SEED_PAPERS
    assert {p.id: p for p in library.papers()} == before


def test_every_seed_paper_has_a_title_and_an_abstract(library: Library, seeds: Path) -> None:
    library.ingest(seeds)

    papers = all_papers(library)
    assert papers
    assert all(p.title.strip() and p.abstract.strip() for p in papers)


# -- one paper from several sources ----------------------------------------------------------


@pytest.mark.parametrize("page_first", [True, False], ids=["page-export-first", "arxiv-first"])
def test_an_arxiv_record_and_the_same_title_in_a_page_export_are_one_paper(
    library: Library, tmp_path: Path, page_first: bool
) -> None:
    title = "Convolutional Biases Help Small Vision Transformers"
    page = write_page_export(tmp_path / "page.txt", (title, LONG_ABSTRACT))
    arxiv = write_jsonl(tmp_path / "arxiv.jsonl", arxiv_record("2503.11111", title))

    for path in [page, arxiv] if page_first else [arxiv, page]:
        library.ingest(path)

    papers = all_papers(library)
    assert len(papers) == 1
    assert papers[0].id == "2503.11111"
    assert papers[0].abstract == LONG_ABSTRACT
    assert papers[0].authors == ("Ada Lovelace", "Charles Babbage")


def test_the_id_a_paper_had_before_it_merged_with_its_arxiv_record_still_finds_it(
    library: Library, tmp_path: Path
) -> None:
    title = "Convolutional Biases Help Small Vision Transformers"
    library.ingest(write_page_export(tmp_path / "page.txt", (title, LONG_ABSTRACT)))
    (old,) = all_papers(library)
    assert old.id != "2503.11111"

    library.ingest(write_jsonl(tmp_path / "arxiv.jsonl", arxiv_record("2503.11111", title)))

    assert library.paper(old.id).id == "2503.11111"
    assert library.paper("2503.11111").title == title


def test_a_bibtex_entry_without_abstract_merges_with_the_arxiv_record_and_keeps_its_abstract(
    library: Library, tmp_path: Path
) -> None:
    title = "Convolutional Biases Help Small Vision Transformers"
    library.ingest(write_jsonl(tmp_path / "arxiv.jsonl", arxiv_record("2503.11111", title)))
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@inproceedings{lovelace2025conv,\n"
        "  title = {Convolutional Biases Help Small {Vision} {Transformers}},\n"
        "  author = {Lovelace, Ada and Babbage, Charles},\n"
        "  booktitle = {Proceedings of Something},\n"
        "  year = {2025},\n"
        "}\n",
        encoding="utf-8",
    )

    report = library.ingest(bib)

    assert report.ok
    papers = all_papers(library)
    assert len(papers) == 1
    assert papers[0].id == "2503.11111"
    assert papers[0].abstract == LONG_ABSTRACT


def test_a_bibtex_entry_with_an_arxiv_eprint_merges_with_the_arxiv_record(
    library: Library, tmp_path: Path
) -> None:
    library.ingest(write_jsonl(tmp_path / "arxiv.jsonl", arxiv_record("2503.11111", "Some Title")))
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@misc{whatever,\n  title = {A Differently Worded Title},\n"
        "  author = {Lovelace, Ada},\n  eprint = {2503.11111},\n  archivePrefix = {arXiv},\n}\n",
        encoding="utf-8",
    )

    library.ingest(bib)

    assert [p.id for p in library.papers()] == ["2503.11111"]


def test_a_doi_only_bibtex_entry_and_a_json_line_with_the_same_doi_are_one_paper(
    library: Library, tmp_path: Path
) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{k1,\n  title = {Deep Residual Learning},\n  author = {He, Kaiming},\n"
        "  doi = {10.1109/CVPR.2016.90},\n  year = {2016},\n}\n",
        encoding="utf-8",
    )
    jsonl = write_jsonl(
        tmp_path / "other.jsonl",
        {
            "id": "openalex-W2194775991",
            "doi": "https://doi.org/10.1109/cvpr.2016.90",
            "title": "Deep Residual Learning for Image Recognition",
            "abstract": LONG_ABSTRACT,
        },
    )

    library.ingest([bib, jsonl])

    papers = all_papers(library)
    assert len(papers) == 1
    assert papers[0].doi == "10.1109/cvpr.2016.90"
    assert papers[0].abstract == LONG_ABSTRACT


def test_two_different_arxiv_papers_with_the_same_title_stay_two(library: Library, tmp_path: Path) -> None:
    library.ingest(
        write_jsonl(
            tmp_path / "two.jsonl",
            arxiv_record("2503.11111", "A Survey of Large Language Models"),
            arxiv_record("2504.22222", "A Survey of Large Language Models", abstract=LONG_ABSTRACT + " Two."),
        )
    )

    assert sorted(p.id for p in library.papers()) == ["2503.11111", "2504.22222"]


def test_two_papers_with_the_same_title_and_different_first_authors_stay_two(
    library: Library, tmp_path: Path
) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{a,\n  title = {Introduction},\n  author = {Smith, John},\n}\n"
        "@article{b,\n  title = {Introduction},\n  author = {Garcia, Maria},\n}\n",
        encoding="utf-8",
    )

    library.ingest(bib)

    assert len(all_papers(library)) == 2


# -- versions --------------------------------------------------------------------------------


def versioned(arxiv_id: str, version: int, title: str) -> dict[str, Any]:
    return {"id": f"{arxiv_id}v{version}", "title": title, "abstract": f"{LONG_ABSTRACT} (v{version})"}


@pytest.mark.parametrize("order", [(1, 2), (2, 1)], ids=["v1-then-v2", "v2-then-v1"])
def test_the_newer_version_wins_whatever_the_import_order(
    library: Library, tmp_path: Path, order: tuple[int, int]
) -> None:
    titles = {1: "A First Draft Title", 2: "The Final Published Title"}
    for version in order:
        library.ingest(
            write_jsonl(tmp_path / f"v{version}.jsonl", versioned("2401.01234", version, titles[version]))
        )

    paper = library.paper("2401.01234")
    assert len(all_papers(library)) == 1
    assert paper.title == titles[2]
    assert paper.abstract.endswith("(v2)")
    assert paper.version == 2


def test_versions_in_one_file_merge_with_the_newer_winning(library: Library, tmp_path: Path) -> None:
    library.ingest(
        write_jsonl(
            tmp_path / "both.jsonl",
            versioned("2401.01234", 2, "The Final Published Title"),
            versioned("2401.01234", 1, "A First Draft Title"),
        )
    )

    assert [(p.id, p.title, p.version) for p in library.papers()] == [
        ("2401.01234", "The Final Published Title", 2)
    ]


def test_a_versioned_id_finds_the_paper(library: Library, tmp_path: Path) -> None:
    library.ingest(write_jsonl(tmp_path / "v.jsonl", versioned("2401.01234", 3, "Some Title Here")))

    assert library.paper("2401.01234v3").id == "2401.01234"
    assert library.paper("https://arxiv.org/abs/2401.01234v1").id == "2401.01234"
    with pytest.raises(PaperNotFound):
        library.paper("2401.99999")


# -- kinds of input --------------------------------------------------------------------------


def three_records(tmp_path: Path, name: str = "records.jsonl") -> Path:
    return write_jsonl(
        tmp_path / name,
        arxiv_record("2503.00001", "Paper Number One"),
        arxiv_record("2503.00002", "Paper Number Two"),
        arxiv_record("2503.00003", "Paper Number Three"),
    )


def test_a_folder_is_imported_recursively(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    write_jsonl(folder / "a.jsonl", arxiv_record("2503.00001", "Paper Number One"))
    write_jsonl(folder / "sub" / "b.jsonl", arxiv_record("2503.00002", "Paper Number Two"))

    report = library.ingest(folder)

    assert report.files == 2
    assert sorted(p.id for p in library.papers()) == ["2503.00001", "2503.00002"]


def test_a_glob_pattern_is_expanded(library: Library, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", arxiv_record("2503.00001", "Paper Number One"))
    write_jsonl(tmp_path / "b.jsonl", arxiv_record("2503.00002", "Paper Number Two"))
    write_jsonl(tmp_path / "c.other", arxiv_record("2503.00003", "Paper Number Three"))

    report = library.ingest(str(tmp_path / "*.jsonl"))

    assert report.files == 2
    assert sorted(p.id for p in library.papers()) == ["2503.00001", "2503.00002"]


def test_a_glob_that_matches_nothing_is_reported(library: Library, tmp_path: Path) -> None:
    report = library.ingest(str(tmp_path / "*.nothing"))

    assert not report.ok
    assert "*.nothing" in str(report.failed_files[0])


def test_a_gzipped_file_is_read_whatever_its_name(library: Library, tmp_path: Path) -> None:
    plain = three_records(tmp_path).read_bytes()
    (tmp_path / "records.jsonl.gz").write_bytes(gzip.compress(plain))
    (tmp_path / "no-suffix").write_bytes(gzip.compress(plain.replace(b"2503.0000", b"2504.0000")))

    report = library.ingest([tmp_path / "records.jsonl.gz", tmp_path / "no-suffix"])

    assert report.ok
    assert library.stats()["papers"] == 6


def test_json_lines_in_a_txt_file_are_read_as_json_lines(library: Library, tmp_path: Path) -> None:
    path = three_records(tmp_path, "records.txt")

    report = library.ingest(path)

    assert report.ok
    assert sorted(p.id for p in library.papers()) == ["2503.00001", "2503.00002", "2503.00003"]
    assert library.paper("2503.00002").title == "Paper Number Two"


def test_the_kaggle_snapshot_shape_is_read(library: Library) -> None:
    path = (
        Path(__file__).parent / "fixtures" / "kaggle_snapshot" / "arxiv-metadata-oai-snapshot.first200.jsonl"
    )
    report = library.ingest(path)

    assert report.ok
    assert library.stats()["papers"] == 200
    first = library.paper("0704.0001")
    assert first.title.startswith("Calculation of prompt diphoton production")
    assert "\n" not in first.title
    assert first.doi == "10.1103/physrevd.76.013009"


def test_a_stream_passed_as_stdin_is_read_for_dash(library: Library, tmp_path: Path) -> None:
    data = three_records(tmp_path).read_bytes()

    report = library.ingest("-", stdin=io.BytesIO(data))

    assert report.ok
    assert library.stats()["papers"] == 3


def test_records_around_a_bad_line_are_imported_and_the_bad_one_is_named(
    library: Library, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        json.dumps(arxiv_record("2503.00001", "Paper Number One"))
        + "\n[1, 2, 3]\n"
        + json.dumps(arxiv_record("2503.00003", "Paper Number Three"))
        + "\n",
        encoding="utf-8",
    )

    report = library.ingest(path)

    assert sorted(p.id for p in library.papers()) == ["2503.00001", "2503.00003"]
    assert [bad.place for bad in report.rejected] == [f"{path}:2"]


def test_strict_ingest_writes_nothing_of_a_file_with_a_bad_record(library: Library, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        json.dumps(arxiv_record("2503.00001", "Paper Number One")) + '\n{"id": "x", "title": ""}\n',
        encoding="utf-8",
    )

    report = library.ingest(path, strict=True)

    assert not report.ok
    assert report.added == 0
    assert library.stats()["papers"] == 0
    with pytest.raises(PaperNotFound):
        library.paper("2503.00001")


# -- export round trip -------------------------------------------------------------------------

TRICKY_TEXTS = [
    "Robust on ImageNet-{A,R,V2} and more",
    "Costs 50% & more_than #1 of the budget",
    "A hyper-parameter \\delta is tuned",
    "An unbalanced } brace { in the text",
    "Gödel, Erdős and a naïve café",
    "Math $x^2_{i}$ stays as written",
]


@pytest.mark.parametrize("format_name", ["jsonl", "bibtex"])
def test_an_export_reads_back_to_the_same_titles_abstracts_and_authors(
    library: Library, tmp_path: Path, format_name: str
) -> None:
    records = [
        {
            "id": f"2501.{number:05d}",
            "title": f"Title: {text}",
            "abstract": f"Abstract: {text}",
            "authors": ["Kurt Gödel", "José Núñez"],
        }
        for number, text in enumerate(TRICKY_TEXTS)
    ]
    library.ingest(write_jsonl(tmp_path / "in.jsonl", *records))
    exported = tmp_path / f"export.{format_name}"
    exported.write_text("".join(library.export(format_name)), encoding="utf-8")

    with Library.open(tmp_path / "copy.db") as copy:
        report = copy.ingest(exported)
        assert report.ok
        read_back = {p.id: (p.title, p.abstract, p.authors) for p in copy.papers()}

    assert read_back == {p.id: (p.title, p.abstract, p.authors) for p in library.papers()}


def test_importing_sources_that_merged_again_changes_nothing(library: Library, tmp_path: Path) -> None:
    title = "Convolutional Biases Help Small Vision Transformers"
    page = write_page_export(tmp_path / "page.txt", (title, LONG_ABSTRACT))
    arxiv = write_jsonl(tmp_path / "arxiv.jsonl", arxiv_record("2503.11111", title))
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{k,\n  title = {Convolutional Biases Help Small Vision Transformers},\n"
        "  author = {Lovelace, Ada},\n  doi = {10.1234/conv.2025.1},\n  year = {2025},\n}\n",
        encoding="utf-8",
    )
    library.ingest([page, arxiv, bib])
    before = all_papers(library)

    again = library.ingest([page, arxiv, bib])

    assert (again.added, again.updated) == (0, 0)
    assert all_papers(library) == before
    assert len(before) == 1
    assert before[0].doi == "10.1234/conv.2025.1"
    assert before[0].id == "2503.11111"


def test_the_same_paper_from_the_kaggle_snapshot_and_a_daily_crawl_is_one_paper(
    library: Library, tmp_path: Path
) -> None:
    kaggle = (
        Path(__file__).parent / "fixtures" / "kaggle_snapshot" / "arxiv-metadata-oai-snapshot.first5.jsonl"
    )
    first = json.loads(kaggle.read_text(encoding="utf-8").splitlines()[0])
    crawl = write_jsonl(
        tmp_path / "crawl.jsonl",
        arxiv_record(first["id"], " ".join(first["title"].split()), abstract=first["abstract"].strip()),
    )

    library.ingest([kaggle, crawl])

    assert library.stats()["papers"] == 5
    assert library.paper(first["id"]).doi == "10.1103/physrevd.76.013009"
