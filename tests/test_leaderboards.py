"""Code links and reported results through the Library: found at import, kept with the paper,
filtered on ("has code"), grouped by canonical name into leaderboards, merged with the Papers
with Code archive (curated rows win), re-read when the extractor changes, and the CLI over it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import CliRun, demo_sample
from papersift import Library
from papersift.errors import PaperNotFound
from papersift.ingest.pipeline import EXTRACTION_VERSION

PWC = Path(__file__).parent / "fixtures" / "paperswithcode"

PAPERS: list[dict[str, Any]] = [
    {
        "id": "2601.00001",
        "title": "ViT-Large Backbones at Scale",
        "abstract": (
            "We scale plain vision transformers. Our ViT-L reaches 87.3% top-1 accuracy on ImageNet-1K. "
            "Code is available at https://github.com/OrgA/ViT-Large."
        ),
        "categories": ["cs.CV"],
        "published": "2026-01-05",
    },
    {
        "id": "2601.00002",
        "title": "Convolutions Strike Back",
        "abstract": "A pure convolutional network obtains 85.1% top-1 accuracy on ImageNet, no extra data.",
        "categories": ["cs.CV"],
        "published": "2026-01-06",
    },
    {
        "id": "2601.00003",
        "title": "Detection Transformers Made Simple",
        "abstract": (
            "Our detector achieves 58.7 box AP and 51.1 mask AP on COCO test-dev. Code will be released."
        ),
        "categories": ["cs.CV"],
        "published": "2026-01-06",
    },
    {
        "id": "2001.09694",
        "title": "Retrospective Reader for Machine Reading Comprehension",
        "abstract": "We propose a retrospective reader for machine reading comprehension on SQuAD 2.0.",
        "categories": ["cs.CL"],
        "published": "2020-01-27",
    },
]


@pytest.fixture
def lib(library: Library, tmp_path: Path) -> Library:
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in PAPERS), encoding="utf-8")
    library.ingest(path)
    return library


def test_code_links_and_results_are_found_at_import_and_kept(lib: Library) -> None:
    vit = lib.paper("2601.00001")
    assert vit.code == ("github.com/orga/vit-large",)
    assert [(r.value, r.dataset) for r in vit.results] == [(87.3, "ImageNet-1K")]
    detr = lib.paper("2601.00003")
    assert detr.code == () and detr.code_promised
    assert sorted((r.metric, r.value) for r in detr.results) == [("box AP", 58.7), ("mask AP", 51.1)]


def test_importing_the_same_papers_again_changes_nothing(lib: Library, tmp_path: Path) -> None:
    path = tmp_path / "again.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in PAPERS), encoding="utf-8")
    report = lib.ingest(path)
    assert (report.added, report.updated, report.unchanged) == (0, 0, len(PAPERS))


def test_has_code_filters_search_and_the_daily_feed(lib: Library) -> None:
    assert [h.id for h in lib.search("", has_code=True)] == ["2601.00001"]
    assert [h.id for h in lib.search("has:code")] == ["2601.00001"]
    assert {h.id for h in lib.search("transformers")} >= {"2601.00001", "2601.00003"}
    assert [h.id for h in lib.search("transformers has:code")] == ["2601.00001"]
    page = lib.daily(period="month", day=lib.paper("2601.00001").published, has_code=True)
    assert [item.paper.id for item in page.items] == ["2601.00001"] and page.total == 1
    # Day navigation skips the days without papers with code.
    every = lib.daily(day=date(2026, 1, 5))
    assert every.previous_day == date(2020, 1, 27) and every.next_day == date(2026, 1, 6)
    with_code = lib.daily(day=date(2026, 1, 5), has_code=True)
    assert with_code.previous_day is None and with_code.next_day is None


def test_spellings_of_a_dataset_share_one_board_ranked_by_the_metric(lib: Library) -> None:
    board = lib.leaderboard("ILSVRC-2012")  # a spelling no paper used
    assert board.dataset == "ImageNet-1k" and board.metric.name == "Top-1 Accuracy"
    assert board.metric.higher_is_better
    assert [(e.rank, e.value, e.paper.id if e.paper else None) for e in board.entries] == [
        (1, 87.3, "2601.00001"),
        (2, 85.1, "2601.00002"),
    ]
    assert board.entries[0].code_url == "github.com/orga/vit-large"
    assert board.entries[0].evidence in lib.paper("2601.00001").abstract
    coco = lib.leaderboard("COCO test-dev", "box AP")
    assert [e.value for e in coco.entries] == [58.7]
    assert "Mask AP" in " ".join(coco.other_metrics) or "mask AP" in " ".join(coco.other_metrics)
    names = {(b.dataset, b.metric) for b in lib.leaderboards()}
    assert ("ImageNet-1k", "Top-1 Accuracy") in names
    with pytest.raises(PaperNotFound, match="no results on"):
        lib.leaderboard("A Dataset Nobody Used")


def test_the_papers_with_code_archive_merges_in_and_curated_rows_win(lib: Library) -> None:
    done = lib.import_paperswithcode([PWC / "links-between-papers-and-code.json"])
    assert done.files == [(str(PWC / "links-between-papers-and-code.json"), "links")]
    assert done.links == 2 and len(done.rejected) == 1  # the row without an arXiv id
    assert "no arXiv id" in done.rejected[0].reason
    reader = lib.paper("2001.09694")
    # The official repository first; normalised like extracted links.
    assert reader.code == ("github.com/cooelf/awesomemrc", "github.com/someoneelse/retro-reader-reimpl")
    assert "2001.09694" in {h.id for h in lib.search("", has_code=True)}

    done = lib.import_paperswithcode([PWC / "sota-extractor_tasks_squad.json"])
    assert done.files[0][1] == "evaluation-tables" and done.results > 300
    board = lib.leaderboard("SQuAD2.0", "F1")
    values = [e.value for e in board.entries]
    assert values == sorted(values, reverse=True) and all(e.curated for e in board.entries)
    retro = [e for e in board.entries if e.paper is not None and e.paper.id == "2001.09694"]
    assert retro and retro[0].code_url == "github.com/cooelf/awesomemrc"
    # Importing the file again adds nothing.
    assert lib.import_paperswithcode([PWC / "sota-extractor_tasks_squad.json"]).results == 0


def test_a_new_extractor_version_rereads_every_paper_once(lib: Library) -> None:
    assert lib.refresh_extraction() == 0  # current
    # Forget what was found (as a library written before extraction existed would have).
    stale = [(pk, stored.paper) for pk, stored in ((s.pk, s) for s in lib.store.iter_papers())]
    from dataclasses import replace

    lib.store.save_papers([(pk, replace(p, code=(), results=(), code_promised=False), ()) for pk, p in stale])
    assert lib.paper("2601.00001").code == ()
    # As a library last read by an older extractor: its stored version is not the current one.
    assert (lib.store.meta("extraction_version") or "").startswith(f"{EXTRACTION_VERSION}:")
    lib.store.set_meta("extraction_version", f"{EXTRACTION_VERSION}-previous")
    assert lib.refresh_extraction() == 3  # the three papers with findings
    assert lib.paper("2601.00001").code == ("github.com/orga/vit-large",)
    assert lib.refresh_extraction() == 0


def test_cli_extract_reads_json_lines_and_answers_each_in_order(run_cli: CliRun) -> None:
    lines = [
        {
            "key": "a",
            "title": "T",
            "abstract": "We get 2.08% test error on CIFAR-10. Code: https://github.com/X/y.git",
        },
        "not json",
        {
            "key": "c",
            "title": "T",
            "abstract": "Nothing to see.",
            "comment": "code at https://gitlab.com/G/h",
        },
    ]
    text = "".join((json.dumps(item) if isinstance(item, dict) else item) + "\n" for item in lines)
    finished = run_cli("extract", input=text)
    assert finished.returncode == 1  # one line was bad
    answers = [json.loads(line) for line in finished.stdout.splitlines()]
    assert [a.get("key") for a in answers] == ["a", None, "c"]
    assert answers[0]["code_urls"] == ["github.com/x/y"] and answers[0]["code_promised"] is False
    assert [(r["dataset"], r["value"]) for r in answers[0]["results"]] == [("CIFAR-10", 2.08)]
    assert answers[1]["error"].startswith("line 2:")
    assert answers[2]["code_urls"] == ["gitlab.com/g/h"] and answers[2]["results"] == []


def test_cli_leaderboard(run_cli: CliRun, tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in PAPERS), encoding="utf-8")
    assert run_cli("ingest", path).returncode == 0
    shown = run_cli("leaderboard", "ImageNet", "--json")
    assert shown.returncode == 0, shown.stderr
    board = json.loads(shown.stdout)
    assert [e["paperId"] for e in board["entries"]] == ["2601.00001", "2601.00002"]
    assert board["entries"][0]["codeUrl"] == "https://github.com/orga/vit-large"
    listing = run_cli("leaderboard")
    assert "ImageNet-1k" in listing.stdout and "Top-1 Accuracy" in listing.stdout
    missing = run_cli("leaderboard", "Nothing-Like-This")
    assert missing.returncode == 1 and "no results on" in missing.stderr
    imported = run_cli("pwc", "import", PWC / "sota-extractor_tasks_squad.json")
    assert imported.returncode == 0 and "results new" in imported.stderr


def test_a_big_import_finds_in_a_worker_process_exactly_what_it_finds_inline(
    tmp_path: Path, new_location: Callable[[str], str]
) -> None:
    sample = demo_sample(tmp_path / "sample.jsonl", 600)
    found = {}
    for name, worker_after in (("worker", 1), ("inline", 10**9)):
        # 12 batches of 50: a worker from the 2nd, or none. On PostgreSQL, the fork shares a connection.
        with Library.open(new_location(name), ingest_batch=50, findings_worker_after=worker_after) as lib:
            assert lib.ingest(sample).added == 600
            found[name] = {p.id: (p.code, p.project_urls, p.code_promised, p.results) for p in lib.papers()}
    assert found["worker"] == found["inline"]
    assert sum(1 for code, *_ in found["worker"].values() if code) > 20  # the demo corpus has links
