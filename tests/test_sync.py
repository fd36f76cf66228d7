"""`papersift sync arxiv` end to end: harvest pages from a local replay server into the library.

The replay server (tests/replay_server.py) answers with recorded arXiv responses. What the
library should hold is worked out here from the fixture XML itself (ids and categories read
with ElementTree), not from papersift's own readers.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, CliRun
from papersift import Library
from papersift.errors import HarvestError
from papersift.ingest.harvest import PoliteClient
from replay_server import ReplayServer, Reply, arxiv_api_query

OAI_WHOLE = FIXTURES / "arxiv_oai" / "arXiv_2017_ListRecords_physics-hep-ex.xml"
OAI_PAGE_1 = FIXTURES / "harvest" / "oai_hep-ex_page1_token.xml"
OAI_PAGE_2 = FIXTURES / "harvest" / "oai_hep-ex_page2_last.xml"
TOKEN = "6961234|1001"
API_PAGE_1 = FIXTURES / "arxiv_api" / "q_testing_s0_m10_bc5a6c384fe9.xml"
API_PAGE_2 = FIXTURES / "arxiv_api" / "q_testing_s10_m10_34e56e15aaac.xml"
API_EMPTY = FIXTURES / "arxiv_api" / "id_0000.0000_s0_m100_8b51d9633a68.xml"

OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
ATOM = "{http://www.w3.org/2005/Atom}"


def oai_records(path: Path) -> dict[str, list[str]]:
    """arXiv id -> categories of every record in an OAI-PMH (metadataPrefix arXiv) page."""
    root = ET.parse(path).getroot()
    return {
        (meta.findtext(f"{ARXIV}id") or "").strip(): (meta.findtext(f"{ARXIV}categories") or "").split()
        for meta in root.iter(f"{ARXIV}arXiv")
    }


def api_records(path: Path) -> dict[str, list[str]]:
    """arXiv id (no version) -> categories of every entry in an arXiv API Atom page."""
    root = ET.parse(path).getroot()
    found = {}
    for entry in root.iter(f"{ATOM}entry"):
        url = (entry.findtext(f"{ATOM}id") or "").strip()
        arxiv_id = url.rsplit("/abs/", 1)[-1].rsplit("v", 1)[0]
        found[arxiv_id] = [c.get("term", "") for c in entry.iter(f"{ATOM}category")]
    return found


def in_category(records: dict[str, list[str]], category: str) -> set[str]:
    return {
        i for i, cats in records.items() if any(c == category or c.startswith(category + ".") for c in cats)
    }


def api_params(start: int) -> dict[str, str]:
    return arxiv_api_query(start, size=100)  # the page size this file's harvests use


FIRST_OAI = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "physics:hep-ex", "from": "2017-01-01"}
NEXT_OAI = {"verb": "ListRecords", "resumptionToken": TOKEN}
FAILURE = Reply(500, b"Internal Server Error", content_type="text/plain")


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as running:
        yield running


@pytest.fixture(autouse=True)
def impatient_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's client, with no backoff between retries, so a failing server fails fast."""

    class ImpatientClient(PoliteClient):
        def __init__(self, **options: Any) -> None:
            super().__init__(**{**options, "backoff": 0.0, "max_attempts": 2})

    monkeypatch.setattr("papersift.ingest.harvest.PoliteClient", ImpatientClient)


def stored(db: Path) -> dict[str, tuple[str, ...]]:
    with Library.open(db) as lib:
        return {paper.id: paper.categories for paper in lib.papers()}


def sync(invoke: CliRun, server: ReplayServer, *options: str) -> Any:
    method = "api" if "api" in options else "oai"
    path = "/api/query" if method == "api" else "/oai"
    return invoke("sync", "arxiv", "--base-url", f"{server.url}{path}", "--delay", "0", *options)


# -- OAI-PMH ---------------------------------------------------------------------------------


def test_an_oai_sync_imports_the_papers_of_the_category(
    invoke: CliRun, server: ReplayServer, db_path: Path
) -> None:
    server.script("/oai", FIRST_OAI, Reply.file(OAI_WHOLE))

    result = sync(invoke, server, "--category", "hep-ex", "--since", "2017-01-01")

    assert result.returncode == 0, result.stderr
    assert set(stored(db_path)) == set(oai_records(OAI_WHOLE))
    assert [r.params for r in server.requests] == [FIRST_OAI]


@pytest.mark.parametrize("category", ["hep-ph", "physics.ins-det", "astro-ph.CO", "cs.CV"])
def test_an_oai_sync_keeps_only_papers_in_the_asked_category(
    invoke: CliRun, server: ReplayServer, db_path: Path, category: str
) -> None:
    server.script("/oai", None, Reply.file(OAI_WHOLE))  # the archive-level set holds other categories
    wanted = in_category(oai_records(OAI_WHOLE), category)

    result = sync(invoke, server, "--category", category, "--since", "2017-01-01")

    assert result.returncode == 0, result.stderr
    papers = stored(db_path)
    assert set(papers) == wanted
    assert all(category in categories for categories in papers.values())


def test_the_category_filter_is_meaningful_for_the_fixture() -> None:
    records = oai_records(OAI_WHOLE)
    assert 0 < len(in_category(records, "hep-ph")) < len(records)
    assert not in_category(records, "cs.CV")


def test_an_oai_sync_follows_the_resumption_token_across_pages(
    invoke: CliRun, server: ReplayServer, db_path: Path
) -> None:
    server.script("/oai", FIRST_OAI, Reply.file(OAI_PAGE_1))
    server.script("/oai", NEXT_OAI, Reply.file(OAI_PAGE_2))

    result = sync(invoke, server, "--category", "hep-ex", "--since", "2017-01-01", "--json")

    assert result.returncode == 0, result.stderr
    assert set(stored(db_path)) == set(oai_records(OAI_PAGE_1)) | set(oai_records(OAI_PAGE_2))
    assert [r.params for r in server.requests] == [FIRST_OAI, NEXT_OAI]
    assert json.loads(result.stdout)["added"] == 3


def test_a_sync_that_failed_on_page_two_keeps_page_one_and_resumes_at_page_two(
    invoke: CliRun, server: ReplayServer, db_path: Path
) -> None:
    server.script("/oai", FIRST_OAI, Reply.file(OAI_PAGE_1))
    server.script("/oai", NEXT_OAI, FAILURE)

    failed = sync(invoke, server, "--category", "hep-ex", "--since", "2017-01-01")

    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    assert f"{server.url}/oai" in failed.stderr
    assert "500" in failed.stderr
    assert set(stored(db_path)) == set(oai_records(OAI_PAGE_1))

    server.script("/oai", NEXT_OAI, Reply.file(OAI_PAGE_2))  # the server is healed
    before = len(server.requests)
    healed = sync(invoke, server, "--category", "hep-ex", "--since", "2017-01-01")

    assert healed.returncode == 0, healed.stderr
    assert set(stored(db_path)) == set(oai_records(OAI_PAGE_1)) | set(oai_records(OAI_PAGE_2))
    assert [r.params for r in server.requests[before:]] == [NEXT_OAI]  # page 1 not fetched again


def test_a_failed_sync_raises_a_harvest_error_naming_the_url_from_the_library(
    library: Library, server: ReplayServer
) -> None:
    server.script("/oai", FIRST_OAI, Reply.file(OAI_PAGE_1))
    server.script("/oai", NEXT_OAI, FAILURE)
    options: dict[str, Any] = {"since": date(2017, 1, 1), "base_url": f"{server.url}/oai"}

    with PoliteClient(delay=0, max_attempts=2, backoff=0) as client, pytest.raises(HarvestError) as failure:
        library.sync_arxiv("hep-ex", client=client, **options)

    assert f"{server.url}/oai?verb=ListRecords&resumptionToken=" in failure.value.reason
    assert {p.id for p in library.papers()} == set(oai_records(OAI_PAGE_1))
    assert library.search("hep").total >= 0  # the library is still usable after the failure

    server.script("/oai", NEXT_OAI, Reply.file(OAI_PAGE_2))
    before = len(server.requests)
    with PoliteClient(delay=0) as client:
        report = library.sync_arxiv("hep-ex", client=client, **options)

    assert report.added == len(oai_records(OAI_PAGE_2))
    assert [r.params for r in server.requests[before:]] == [NEXT_OAI]
    assert {p.id for p in library.papers()} == set(oai_records(OAI_WHOLE))


def test_syncing_again_changes_nothing(invoke: CliRun, server: ReplayServer, db_path: Path) -> None:
    server.script("/oai", None, Reply.file(OAI_WHOLE))
    sync(invoke, server, "--category", "hep-ex", "--since", "2017-01-01")
    before = stored(db_path)

    again = sync(invoke, server, "--category", "hep-ex", "--since", "2017-01-01", "--json")

    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert (report["added"], report["updated"]) == (0, 0)
    assert stored(db_path) == before


def test_synced_papers_are_searchable(invoke: CliRun, server: ReplayServer, db_path: Path) -> None:
    server.script("/oai", None, Reply.file(OAI_WHOLE))
    sync(invoke, server, "--category", "hep-ex", "--since", "2017-01-01")

    with Library.open(db_path) as lib:
        title = lib.paper("1706.05371").title
        hits = lib.search(f'"{title}"')
    assert [hit.id for hit in hits][:1] == ["1706.05371"]


# -- arXiv API -------------------------------------------------------------------------------


def test_an_api_sync_imports_the_category_and_stops_before_since(
    invoke: CliRun, server: ReplayServer, db_path: Path
) -> None:
    server.script("/api/query", api_params(0), Reply.file(API_PAGE_1))  # oldest entry from 2012

    result = sync(invoke, server, "--method", "api", "--category", "cs.SE", "--since", "2017-01-01")

    assert result.returncode == 0, result.stderr
    wanted = in_category(api_records(API_PAGE_1), "cs.SE")
    assert 0 < len(wanted) < len(api_records(API_PAGE_1))  # one entry is cs.AR only
    assert set(stored(db_path)) == wanted
    assert len(server.requests) == 1


def test_an_api_sync_pages_until_an_empty_page(invoke: CliRun, server: ReplayServer, db_path: Path) -> None:
    server.script("/api/query", api_params(0), Reply.file(API_PAGE_1))
    server.script("/api/query", api_params(10), Reply.file(API_PAGE_2))
    server.script("/api/query", api_params(20), Reply.file(API_EMPTY))

    result = sync(invoke, server, "--method", "api", "--category", "cs.SE", "--since", "2000-01-01")

    assert result.returncode == 0, result.stderr
    wanted = in_category(api_records(API_PAGE_1), "cs.SE") | in_category(api_records(API_PAGE_2), "cs.SE")
    assert set(stored(db_path)) == wanted
    assert [r.params["start"] for r in server.requests] == ["0", "10", "20"]


def test_an_api_sync_resumes_at_the_page_that_failed(
    invoke: CliRun, server: ReplayServer, db_path: Path
) -> None:
    server.script("/api/query", api_params(0), Reply.file(API_PAGE_1))
    server.script("/api/query", api_params(10), FAILURE)
    server.script("/api/query", api_params(20), Reply.file(API_EMPTY))
    options = ("--method", "api", "--category", "cs.SE", "--since", "2000-01-01")

    failed = sync(invoke, server, *options)
    assert failed.returncode == 1
    assert "start=10" in failed.stderr
    assert set(stored(db_path)) == in_category(api_records(API_PAGE_1), "cs.SE")

    server.script("/api/query", api_params(10), Reply.file(API_PAGE_2))
    before = len(server.requests)
    healed = sync(invoke, server, *options)

    assert healed.returncode == 0, healed.stderr
    assert [r.params["start"] for r in server.requests[before:]] == ["10", "20"]
    assert set(stored(db_path)) >= in_category(api_records(API_PAGE_2), "cs.SE")


def test_a_bad_since_date_is_a_usage_error(invoke: CliRun, server: ReplayServer) -> None:
    result = sync(invoke, server, "--category", "cs.CV", "--since", "last tuesday")

    assert result.returncode == 2
    assert "last tuesday" in result.stderr
    assert server.requests == []


def test_the_sync_command_runs_as_a_real_process(
    run_cli: CliRun, server: ReplayServer, db_path: Path
) -> None:
    server.script("/oai", FIRST_OAI, Reply.file(OAI_WHOLE))

    result = run_cli(
        "sync", "arxiv", "--category", "hep-ex", "--since", "2017-01-01",
        "--base-url", f"{server.url}/oai", "--delay", "0",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert set(stored(db_path)) == set(oai_records(OAI_WHOLE))
