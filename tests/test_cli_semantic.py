"""The command line's side of search by meaning: ingest embeds, `index` embeds what is missing,
`search --mode`, `similar`; run as a user runs them (real subprocesses, real model)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import WITH_MODEL, CliRun
from test_library_semantic import demo_records, write_jsonl


def test_ingest_without_embedding_then_index_embeds_the_rest(run_cli: CliRun, tmp_path: Path) -> None:
    records = demo_records(30, start=900)
    papers = write_jsonl(tmp_path / "papers.jsonl", records)

    skipped = run_cli("ingest", papers, "--no-embed", "--json", env=WITH_MODEL)
    assert skipped.returncode == 0, skipped.stderr
    assert json.loads(skipped.stdout)["embedded"] == 0
    stats = json.loads(run_cli("stats", "--json", env=WITH_MODEL).stdout)
    assert stats["papers"] == 30 and stats["embedded"] == 0

    indexed = run_cli("index", env=WITH_MODEL)
    assert indexed.returncode == 0, indexed.stderr
    assert "30 embedded" in indexed.stderr
    assert "0 embedded" in run_cli("index", env=WITH_MODEL).stderr  # nothing left to do

    rebuilt = run_cli("index", "--reembed", env=WITH_MODEL)
    assert rebuilt.returncode == 0 and "30 embedded" in rebuilt.stderr


def test_search_modes_and_similar_papers(run_cli: CliRun, tmp_path: Path) -> None:
    records = demo_records(30, start=950)
    assert run_cli("ingest", write_jsonl(tmp_path / "p.jsonl", records), env=WITH_MODEL).returncode == 0
    title = str(records[4]["title"])

    for mode in ("hybrid", "semantic", "keyword"):
        found = run_cli("search", title, "--mode", mode, "--json", "-n", "3", env=WITH_MODEL)
        assert found.returncode == 0, found.stderr
        result = json.loads(found.stdout)
        assert result["mode"] == mode and result["hits"][0]["id"] == records[4]["id"]

    similar = run_cli("similar", str(records[4]["id"]), "-n", "4", "--json", env=WITH_MODEL)
    assert similar.returncode == 0, similar.stderr
    hits = json.loads(similar.stdout)
    assert len(hits) == 4 and records[4]["id"] not in [h["id"] for h in hits]

    printed = run_cli("similar", str(records[4]["id"]), str(records[5]["id"]), "-n", "2", env=WITH_MODEL)
    assert printed.returncode == 0 and printed.stdout.count("\n") >= 2

    unknown = run_cli("similar", "9999.99999", env=WITH_MODEL)
    assert unknown.returncode == 1 and "no paper" in unknown.stderr and "Traceback" not in unknown.stderr


def test_without_the_model_search_says_it_is_keyword_only(run_cli: CliRun, tmp_path: Path) -> None:
    records = demo_records(5, start=990)
    no_model = {"PAPERSIFT_EMBEDDING_MODEL": str(tmp_path / "missing-model")}
    ingested = run_cli("ingest", write_jsonl(tmp_path / "p.jsonl", records), env=no_model)
    assert ingested.returncode == 0 and "not embedded" in ingested.stderr
    found = run_cli("search", str(records[0]["title"]), env=no_model)
    assert found.returncode == 0 and "keyword search only" in found.stderr
    refused = run_cli("search", "anything", "--mode", "semantic", env=no_model)
    assert refused.returncode == 1 and "missing-model" in refused.stderr
