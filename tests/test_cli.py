"""The `papersift` command as a user runs it: a real subprocess, a database in a temporary folder.

What is checked is the translation: exit codes (0 all imported, 1 something rejected, 2 usage
error), one-line messages that name the place and the reason, never a traceback, and output
that scripts can parse (`--json`, `export`).
"""

from __future__ import annotations

import gzip
import itertools
import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, CliRun

KAGGLE = FIXTURES / "kaggle_snapshot" / "arxiv-metadata-oai-snapshot.first200.jsonl"
ATOM = FIXTURES / "arxiv_api" / "q_testing_s0_m10_bc5a6c384fe9.xml"
ABSTRACT = (
    "We propose a method that learns compact representations of scientific papers from their "
    "abstracts and citation context, and show that it retrieves related work better than keyword "
    "baselines on three benchmarks."
)


def record(number: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"2503.{number:05d}",
        "title": f"A Study of Problem Number {number}",
        "authors": ["Ada Lovelace"],
        "abstract": ABSTRACT,
        "categories": ["cs.IR"],
        "first_seen_date": "2025-03-18",
        **changes,
    }


def jsonl_bytes(*records: dict[str, Any]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def count_papers(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        return int(connection.execute("SELECT count(*) FROM papers").fetchone()[0])


def line_naming(stderr: str, place: str) -> str:
    """The one stderr line that names `place`."""
    lines = [line for line in stderr.splitlines() if place in line]
    assert len(lines) == 1, f"expected one line naming {place!r} in:\n{stderr}"
    return lines[0]


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout


# -- importing -------------------------------------------------------------------------------


def test_a_clean_import_exits_0_and_says_what_it_did(run_cli: CliRun, tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "good.jsonl"
    path.write_bytes(jsonl_bytes(record(1), record(2)))

    result = run_cli("ingest", path)

    assert result.returncode == 0, result.stderr
    assert_clean(result)
    assert "2 new" in result.stderr
    assert count_papers(db_path) == 2


def test_ingest_json_reports_counts(invoke: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "good.jsonl"
    path.write_bytes(jsonl_bytes(record(1), record(2)))
    invoke("ingest", path)

    result = invoke("ingest", "--json", path)

    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert (report["read"], report["added"], report["updated"], report["unchanged"]) == (2, 0, 0, 2)


def test_dash_reads_standard_input(run_cli: CliRun, db_path: Path) -> None:
    result = run_cli("ingest", "-", input=jsonl_bytes(record(1), record(2), record(3)))

    assert result.returncode == 0, result.stderr
    assert count_papers(db_path) == 3


def test_gzipped_standard_input_is_read(run_cli: CliRun, db_path: Path) -> None:
    result = run_cli("ingest", "-", input=gzip.compress(jsonl_bytes(record(1), record(2))))

    assert result.returncode == 0, result.stderr
    assert count_papers(db_path) == 2


def test_a_quoted_glob_pattern_is_expanded_by_papersift(
    run_cli: CliRun, tmp_path: Path, db_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(jsonl_bytes(record(1)))
    (folder / "b.jsonl").write_bytes(jsonl_bytes(record(2)))
    (folder / "c.bak").write_bytes(jsonl_bytes(record(3)))

    result = run_cli("ingest", str(folder / "*.jsonl"))

    assert result.returncode == 0, result.stderr
    assert count_papers(db_path) == 2


def test_a_folder_mixing_formats_is_imported(invoke: CliRun, tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "feed.xml").write_bytes(ATOM.read_bytes())
    (folder / "records.txt").write_bytes(jsonl_bytes(record(1)))
    (folder / "refs.bib.gz").write_bytes(
        gzip.compress(b"@article{k, title={A Paper Only In BibTeX}, author={Doe, Jane}, year={2020}}\n")
    )

    result = invoke("ingest", folder)

    assert result.returncode == 0, result.stderr
    assert count_papers(db_path) == 10 + 1 + 1


# -- bad input -------------------------------------------------------------------------------


def test_a_truncated_gzip_keeps_the_records_before_the_cut(
    run_cli: CliRun, tmp_path: Path, db_path: Path
) -> None:
    whole = gzip.compress(
        jsonl_bytes(*(record(n, abstract=f"{ABSTRACT} Variant {n}.") for n in range(1, 2001)))
    )
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])

    result = run_cli("ingest", path)

    assert result.returncode == 1
    assert_clean(result)
    message = line_naming(result.stderr, str(path))
    assert "truncated" in message
    assert 0 < count_papers(db_path) < 2000


def test_invalid_utf8_rejects_only_its_line(invoke: CliRun, tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    bad = jsonl_bytes(record(2)).replace(b"Problem", b"Pr\xff\xfeoblem")
    path.write_bytes(jsonl_bytes(record(1)) + bad + jsonl_bytes(record(3)))

    result = invoke("ingest", path)

    assert result.returncode == 1
    assert_clean(result)
    assert "UTF-8" in line_naming(result.stderr, f"{path}:2")
    assert count_papers(db_path) == 2


def test_malformed_xml_is_named_with_its_file(invoke: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    content = ATOM.read_bytes()
    path.write_bytes(content[: len(content) // 2] + b"<<<not xml")

    result = invoke("ingest", path)

    assert result.returncode == 1
    assert_clean(result)
    assert "XML" in line_naming(result.stderr, str(path))


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        (b"[1, 2, 3]\n", "object"),
        (b'"just a string"\n', "object"),
        (b'{"id": "2503.00002", "abstract": "no title here"}\n', "title"),
        (b'{"id": "2503.00002", "title": "   ", "abstract": "blank title"}\n', "title"),
        (b'{"id": "2503.00002", "title": "Broken", \n', "JSON"),
        (jsonl_bytes(record(2, abstract="word " * 200_000)), "abstract"),
        (jsonl_bytes(record(2, authors="not a list", title=None)), "title"),
    ],
    ids=["list", "string", "missing-title", "blank-title", "broken-json", "1MB-abstract", "null-title"],
)
def test_a_bad_json_line_is_rejected_with_its_place_and_reason(
    invoke: CliRun, tmp_path: Path, db_path: Path, bad_line: bytes, reason: str
) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(jsonl_bytes(record(1)) + bad_line + jsonl_bytes(record(3)))

    result = invoke("ingest", path)

    assert result.returncode == 1
    assert_clean(result)
    assert reason in line_naming(result.stderr, f"{path}:2")
    assert count_papers(db_path) == 2


def test_a_binary_file_is_refused_in_one_line(run_cli: CliRun, tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "blob.jsonl"
    path.write_bytes(bytes(range(256)) * 100)

    result = run_cli("ingest", path)

    assert result.returncode == 1
    assert_clean(result)
    assert "binary" in line_naming(result.stderr, str(path))
    assert count_papers(db_path) == 0


def test_binary_bytes_without_nul_are_refused_without_garbage_papers(
    invoke: CliRun, tmp_path: Path, db_path: Path
) -> None:
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(1, 256)) * 100)

    result = invoke("ingest", path)

    assert result.returncode == 1
    assert_clean(result)
    line_naming(result.stderr, str(path))  # one line for the file, not one per "line" of noise
    assert count_papers(db_path) == 0


def test_a_rejection_on_line_100_is_printed_as_line_100(invoke: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_bytes(jsonl_bytes(*(record(n) for n in range(1, 100))) + b"[100]\n")

    result = invoke("ingest", path)

    assert result.returncode == 1
    assert "object" in line_naming(result.stderr, f"{path}:100:")


def test_an_empty_file_is_reported(invoke: CliRun, tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")

    result = invoke("ingest", path)

    assert result.returncode == 1
    assert_clean(result)
    assert "empty" in line_naming(result.stderr, str(path))
    assert count_papers(db_path) == 0


def test_a_missing_path_is_reported_and_the_other_paths_are_imported(
    invoke: CliRun, tmp_path: Path, db_path: Path
) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl_bytes(record(1)))
    missing = tmp_path / "no-such-file.jsonl"

    result = invoke("ingest", missing, good)

    assert result.returncode == 1
    assert_clean(result)
    assert "no such file" in line_naming(result.stderr, str(missing))
    assert count_papers(db_path) == 1


def test_strict_writes_nothing_of_a_bad_file_and_imports_a_good_one(
    run_cli: CliRun, tmp_path: Path, db_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(jsonl_bytes(*(record(n) for n in range(1, 2501))) + b"[]\n")
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl_bytes(record(9001), record(9002)))

    result = run_cli("ingest", "--strict", bad, good)

    assert result.returncode == 1
    assert_clean(result)
    assert "object" in line_naming(result.stderr, f"{bad}:2501")
    assert count_papers(db_path) == 2


def test_strict_keeps_what_was_there_before(invoke: CliRun, tmp_path: Path, db_path: Path) -> None:
    first = tmp_path / "first.jsonl"
    first.write_bytes(jsonl_bytes(record(1)))
    invoke("ingest", first)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(jsonl_bytes(record(1, title="A Changed Title For One"), record(2)) + b"42\n")

    result = invoke("ingest", "--strict", bad)

    assert result.returncode == 1
    assert count_papers(db_path) == 1
    shown = json.loads(invoke("show", "--json", "2503.00001").stdout)
    assert shown["title"] == "A Study of Problem Number 1"


def test_strict_rejects_a_truncated_gzip_whole(invoke: CliRun, tmp_path: Path, db_path: Path) -> None:
    whole = gzip.compress(jsonl_bytes(*(record(n, abstract=f"{ABSTRACT} {n}") for n in range(1, 3001))))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])

    result = invoke("ingest", "--strict", path)

    assert result.returncode == 1
    assert_clean(result)
    assert count_papers(db_path) == 0


@pytest.mark.parametrize(
    "args",
    [("ingest",), ("ingest", "--format", "nope", "x"), ("search", "--limit", "0", "x"), ("frobnicate",), ()],
    ids=["ingest-no-paths", "unknown-format", "bad-limit", "unknown-command", "no-command"],
)
def test_usage_errors_exit_2(invoke: CliRun, args: tuple[str, ...]) -> None:
    result = invoke(*args)

    assert result.returncode == 2, (result.returncode, result.stderr)
    assert_clean(result)
    assert "Usage" in result.stderr or "Usage" in result.stdout


def test_a_database_path_that_is_a_folder_is_a_usage_error(invoke: CliRun, tmp_path: Path) -> None:
    result = invoke("stats", db=tmp_path)

    assert result.returncode == 2
    assert_clean(result)
    assert str(tmp_path) in result.stderr


# -- searching and looking -------------------------------------------------------------------


@pytest.fixture
def kaggle_db(invoke: CliRun, db_path: Path) -> Path:
    assert invoke("ingest", KAGGLE).returncode == 0
    return db_path


def test_search_json_has_ids_and_scores(run_cli: CliRun, kaggle_db: Path) -> None:
    result = run_cli("search", "--json", "-n", "5", "quantum", "field", "theory")

    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert 0 < len(data["hits"]) <= 5
    assert data["total"] >= len(data["hits"])
    for hit in data["hits"]:
        assert isinstance(hit["id"], str) and hit["id"]
        assert isinstance(hit["score"], (int, float))
        assert hit["paper"]["id"] == hit["id"]
    scores = [hit["score"] for hit in data["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_search_pages_continue_each_other(invoke: CliRun, kaggle_db: Path) -> None:
    pages = [
        json.loads(invoke("search", "--json", "-n", "5", "--page", str(page), "the").stdout)
        for page in (1, 2)
    ]

    ids = [[hit["id"] for hit in page["hits"]] for page in pages]
    assert len(ids[0]) == len(ids[1]) == 5
    assert not set(ids[0]) & set(ids[1])
    assert pages[0]["total"] == pages[1]["total"]


@pytest.mark.parametrize("query", ['"unbalanced', "(((", "'; DROP TABLE papers; --", "", "🚀 NEAR *"])
def test_odd_queries_on_the_command_line_do_not_fail(invoke: CliRun, kaggle_db: Path, query: str) -> None:
    result = invoke("search", "--json", query)

    assert result.returncode == 0, result.stderr
    assert_clean(result)
    assert isinstance(json.loads(result.stdout)["hits"], list)


def test_search_filters_from_options(invoke: CliRun, kaggle_db: Path) -> None:
    data = json.loads(invoke("search", "--json", "-n", "50", "--category", "hep-ph", "--year", "2007").stdout)

    assert data["hits"]
    for hit in data["hits"]:
        assert "hep-ph" in hit["paper"]["categories"]
        assert hit["paper"]["published"].startswith("2007")


def test_search_prints_titles_for_people(run_cli: CliRun, kaggle_db: Path) -> None:
    result = run_cli("search", "diphoton")

    assert result.returncode == 0
    assert "Calculation of prompt diphoton production" in result.stdout


def test_stats_json_counts_papers(invoke: CliRun, kaggle_db: Path) -> None:
    result = invoke("stats", "--json")

    assert result.returncode == 0
    assert json.loads(result.stdout)["papers"] == 200


def test_show_prints_a_paper_and_an_unknown_id_is_one_line(invoke: CliRun, kaggle_db: Path) -> None:
    shown = invoke("show", "0704.0001v2")
    missing = invoke("show", "9999.99999")

    assert shown.returncode == 0
    assert "Calculation of prompt diphoton production" in shown.stdout
    assert missing.returncode == 1
    assert_clean(missing)
    assert len(missing.stderr.strip().splitlines()) == 1
    assert "9999.99999" in missing.stderr


def test_text_that_looks_like_terminal_markup_is_printed_as_written(
    run_cli: CliRun, tmp_path: Path, db_path: Path
) -> None:
    abstract = "Closing tags [/] and [bold]bold[/bold] and :thumbs_up: stay as they are in the text."
    path = tmp_path / "markup.jsonl"
    path.write_bytes(jsonl_bytes(record(1, title="Brackets [/b] in :100: a title", abstract=abstract)))
    assert run_cli("ingest", path).returncode == 0

    shown = run_cli("show", "2503.00001")
    found = run_cli("search", "closing", "tags")

    for result in (shown, found):
        assert result.returncode == 0, result.stderr
        assert_clean(result)
        assert "Brackets [/b] in :100: a title" in result.stdout
    assert abstract in shown.stdout


# -- export round trip -------------------------------------------------------------------------


def comparable(db: Path) -> set[tuple[str, str, tuple[str, ...], str]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT id, title, authors, abstract FROM papers").fetchall()
    return {(pid, title, tuple(json.loads(authors)), abstract) for pid, title, authors, abstract in rows}


@pytest.fixture(scope="module")
def mixed_corpus(tmp_path_factory: pytest.TempPathFactory, seeds: Path, arxiv_file: Path) -> list[Path]:
    folder = tmp_path_factory.mktemp("corpus")
    sample = folder / "arxiv-sample.jsonl"
    with gzip.open(arxiv_file, "rb") as source:
        sample.write_bytes(b"".join(itertools.islice(source, 300)))
    return [seeds, sample, KAGGLE]


@pytest.mark.parametrize("format_name", ["jsonl", "bibtex"])
def test_an_export_imports_back_to_the_same_papers(
    run_cli: CliRun, tmp_path: Path, db_path: Path, mixed_corpus: list[Path], format_name: str
) -> None:
    assert run_cli("ingest", *mixed_corpus).returncode == 0
    exported = tmp_path / f"export.{format_name}"
    result = run_cli("export", "--format", format_name, "-o", exported)
    assert result.returncode == 0, result.stderr

    fresh = tmp_path / "fresh.db"
    again = run_cli("ingest", exported, db=fresh)

    assert again.returncode == 0, again.stderr
    original = comparable(db_path)
    assert len(original) == 324 + 300 + 200
    copy = comparable(fresh)
    assert {row[0] for row in copy} == {row[0] for row in original}
    assert copy == original


def test_export_to_standard_output_is_json_lines(invoke: CliRun, kaggle_db: Path) -> None:
    result = invoke("export")

    lines = result.stdout.splitlines()
    assert result.returncode == 0
    assert len(lines) == 200
    assert all(json.loads(line)["title"] for line in lines)
    assert {json.loads(line)["id"] for line in lines} >= {"0704.0001", "0704.0002"}
