"""Harvesting arXiv politely: paging, stopping, retrying, resuming, spacing requests.

Each test runs the harvester against a local server that replays recorded arXiv answers. The
client's clock and sleep are fake: no test waits 3 s per request, and the spacing of requests is
checked to the exact second on the fake clock.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from papersift.errors import HarvestError
from papersift.ingest.harvest import HarvestPage, PoliteClient, harvest_api, harvest_oai, oai_set
from replay_server import ReplayServer, Reply, arxiv_api_query

FIXTURES = Path(__file__).parent / "fixtures"
OAI_PAGE_1 = FIXTURES / "harvest" / "oai_hep-ex_page1_token.xml"
OAI_PAGE_2 = FIXTURES / "harvest" / "oai_hep-ex_page2_last.xml"
NO_RECORDS = FIXTURES / "arxiv_oai" / "error_2015_NoRecordsMatch.xml"
BAD_TOKEN = FIXTURES / "arxiv_oai" / "error_2015_BadResumptionToken.xml"
API_PAGE_1 = FIXTURES / "arxiv_api" / "q_testing_s0_m10_bc5a6c384fe9.xml"
API_PAGE_2 = FIXTURES / "arxiv_api" / "q_testing_s10_m10_34e56e15aaac.xml"
API_EMPTY = FIXTURES / "arxiv_api" / "id_0000.0000_s0_m100_8b51d9633a68.xml"
API_ONE_OF_ONE = FIXTURES / "arxiv_api" / "id_1605.08386_s0_m100_199195aa31ad.xml"
API_ERROR = FIXTURES / "arxiv_api" / "id_abc_s0_m100_b79c8dcf6bc3.xml"

TOKEN = "6961234|1001"
FIRST_OAI_REQUEST = {
    "verb": "ListRecords",
    "metadataPrefix": "arXiv",
    "set": "physics:hep-ex",
    "from": "2017-12-14",
}
NEXT_OAI_REQUEST = {"verb": "ListRecords", "resumptionToken": TOKEN}


def api_request(start: int) -> dict[str, str]:
    return arxiv_api_query(start, size=10)  # the page size this file's harvests use


class FakeTime:
    """A monotonic clock that only moves when the client sleeps; remembers every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as running:
        yield running


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(fake_time: FakeTime) -> Iterator[PoliteClient]:
    with PoliteClient(
        delay=3.0, contact="mailto:tests@example.org", sleep=fake_time.sleep, clock=fake_time.clock
    ) as polite:
        yield polite


def oai(server: ReplayServer, client: PoliteClient, **options: object) -> list[HarvestPage]:
    """The pages of a hep-ex harvest since 2017-12-14 against the replay server."""
    arguments: dict[str, object] = {"since": date(2017, 12, 14), **options}
    return list(harvest_oai("hep-ex", base_url=f"{server.url}/oai", client=client, **arguments))  # type: ignore[arg-type]


def api(server: ReplayServer, client: PoliteClient, **options: object) -> list[HarvestPage]:
    """The pages of a cs.SE API harvest, 10 entries per page, against the replay server."""
    arguments: dict[str, object] = {"since": None, "page_size": 10, **options}
    return list(harvest_api("cs.SE", base_url=f"{server.url}/api/query", client=client, **arguments))  # type: ignore[arg-type]


# OAI-PMH


def test_oai_follows_the_resumption_token_until_the_list_ends(
    server: ReplayServer, client: PoliteClient, fake_time: FakeTime
) -> None:
    server.script("/oai", FIRST_OAI_REQUEST, Reply.file(OAI_PAGE_1))
    server.script("/oai", NEXT_OAI_REQUEST, Reply.file(OAI_PAGE_2))

    pages = oai(server, client)

    assert [page.resume for page in pages] == [TOKEN, None]
    assert [page.content for page in pages] == [OAI_PAGE_1.read_bytes(), OAI_PAGE_2.read_bytes()]
    assert {page.format for page in pages} == {"oai-pmh"}
    assert "resumptionToken=6961234%7C1001" in pages[1].url
    # A continuation carries only the verb and the token, as OAI-PMH requires.
    assert [request.params for request in server.requests] == [FIRST_OAI_REQUEST, NEXT_OAI_REQUEST]
    assert fake_time.sleeps == [3.0]


def test_requests_name_papersift_and_a_contact(server: ReplayServer, client: PoliteClient) -> None:
    server.script("/oai", None, Reply.file(OAI_PAGE_2))

    oai(server, client)

    user_agent = server.requests[0].headers["User-Agent"]
    assert user_agent.startswith("papersift/")
    assert "mailto:tests@example.org" in user_agent


@pytest.mark.parametrize(
    ("category", "oai_set_spec"),
    [
        ("cs.CV", "cs"),
        ("cs", "cs"),
        ("math.AG", "math"),
        ("stat.ML", "stat"),
        ("q-bio.NC", "q-bio"),
        ("eess.SP", "eess"),
        ("hep-ex", "physics:hep-ex"),
        ("astro-ph.GA", "physics:astro-ph"),
        ("cond-mat.str-el", "physics:cond-mat"),
        ("quant-ph", "physics:quant-ph"),
        ("physics.optics", "physics:physics"),
        ("physics:hep-ex", "physics:hep-ex"),
    ],
)
def test_a_category_is_harvested_through_its_archive_level_set(category: str, oai_set_spec: str) -> None:
    assert oai_set(category) == oai_set_spec


def test_oai_asks_for_the_archive_set_and_the_date_window(server: ReplayServer, client: PoliteClient) -> None:
    window = {
        "verb": "ListRecords",
        "metadataPrefix": "arXiv",
        "set": "cs",
        "from": "2024-01-01",
        "until": "2024-01-31",
    }
    server.script("/oai", window, Reply.file(OAI_PAGE_2))

    pages = list(
        harvest_oai(
            "cs.CV",
            since=date(2024, 1, 1),
            until=date(2024, 1, 31),
            base_url=f"{server.url}/oai",
            client=client,
        )
    )

    assert len(pages) == 1
    assert server.requests[0].params == window


def test_no_records_match_means_no_pages_not_an_error(server: ReplayServer, client: PoliteClient) -> None:
    server.script("/oai", None, Reply.file(NO_RECORDS))

    assert oai(server, client) == []


def test_an_oai_error_names_its_code_and_message(server: ReplayServer, client: PoliteClient) -> None:
    server.script("/oai", None, Reply.file(BAD_TOKEN))

    with pytest.raises(HarvestError, match="badResumptionToken: The resumptionToken supplied is illegal"):
        oai(server, client, resume="3")


def test_an_oai_error_sent_with_a_400_is_still_read_as_oai(
    server: ReplayServer, client: PoliteClient
) -> None:
    server.script("/oai", None, Reply.file(NO_RECORDS, status=400))

    assert oai(server, client) == []


def test_a_killed_oai_harvest_resumes_after_its_last_stored_page(
    server: ReplayServer, client: PoliteClient
) -> None:
    server.script("/oai", FIRST_OAI_REQUEST, Reply.file(OAI_PAGE_1))
    server.script("/oai", NEXT_OAI_REQUEST, Reply.file(OAI_PAGE_2))

    first_run = harvest_oai("hep-ex", since=date(2017, 12, 14), base_url=f"{server.url}/oai", client=client)
    stored_resume = next(
        first_run
    ).resume  # the page and its resume state are persisted, then the process dies

    rest = oai(server, client, resume=stored_resume)

    assert [page.content for page in rest] == [OAI_PAGE_2.read_bytes()]
    assert [request.params for request in server.requests] == [FIRST_OAI_REQUEST, NEXT_OAI_REQUEST]


# Retries and flow control


def test_a_503_with_retry_after_is_a_polite_wait_not_a_failure(
    server: ReplayServer, fake_time: FakeTime
) -> None:
    busy = Reply(503, b"Retry after 1 second", {"Retry-After": "1"})
    server.script("/oai", None, busy, busy, busy, Reply.file(OAI_PAGE_2))
    # Fewer error attempts than there are 503s: flow control does not spend the error budget.
    with PoliteClient(delay=0.5, max_attempts=2, sleep=fake_time.sleep, clock=fake_time.clock) as polite:
        pages = oai(server, polite)

    assert len(pages) == 1
    assert len(server.requests) == 4
    assert fake_time.sleeps == [1.0, 1.0, 1.0]


def test_a_retry_after_too_long_to_wait_for_is_reported_at_once(
    server: ReplayServer, fake_time: FakeTime
) -> None:
    server.script("/oai", None, Reply(503, b"", {"Retry-After": "86400"}))
    polite = PoliteClient(max_retry_after=600, sleep=fake_time.sleep, clock=fake_time.clock)
    with polite, pytest.raises(HarvestError, match="asks to wait 86400 s"):
        oai(server, polite)

    assert len(server.requests) == 1
    assert fake_time.sleeps == []


def test_a_429_is_retried_after_a_backoff(
    server: ReplayServer, client: PoliteClient, fake_time: FakeTime
) -> None:
    server.script("/oai", None, Reply(429, b"slow down"), Reply.file(OAI_PAGE_2))

    pages = oai(server, client)

    assert len(pages) == 1
    assert len(server.requests) == 2
    assert fake_time.sleeps == [3.0]


def test_a_persistent_500_fails_after_the_last_attempt_naming_status_and_url(
    server: ReplayServer, fake_time: FakeTime
) -> None:
    server.script("/oai", None, Reply(500, b"Internal Server Error", content_type="text/plain"))
    polite = PoliteClient(delay=3.0, max_attempts=3, sleep=fake_time.sleep, clock=fake_time.clock)
    with polite, pytest.raises(HarvestError) as failure:
        oai(server, polite)

    message = failure.value.reason
    assert "HTTP 500" in message
    assert "after 3 attempt(s)" in message
    assert f"{server.url}/oai?verb=ListRecords" in message
    assert len(server.requests) == 3
    assert fake_time.sleeps == [3.0, 6.0]  # exponential backoff


def test_an_unreachable_server_fails_after_the_last_attempt(fake_time: FakeTime) -> None:
    with ReplayServer() as gone:
        url = f"{gone.url}/oai"
    polite = PoliteClient(max_attempts=3, sleep=fake_time.sleep, clock=fake_time.clock)
    with polite, pytest.raises(HarvestError, match=r"after 3 attempt\(s\): ConnectError"):
        list(harvest_oai("cs", since=None, base_url=url, client=polite))

    assert len(fake_time.sleeps) == 2


# arXiv API


def test_api_pages_newest_first_until_an_empty_page(
    server: ReplayServer, client: PoliteClient, fake_time: FakeTime
) -> None:
    server.script("/api/query", api_request(0), Reply.file(API_PAGE_1))
    server.script("/api/query", api_request(10), Reply.file(API_PAGE_2))
    server.script("/api/query", api_request(20), Reply.file(API_EMPTY))

    pages = api(server, client, since=date(2000, 1, 1))

    assert [page.content for page in pages] == [API_PAGE_1.read_bytes(), API_PAGE_2.read_bytes()]
    assert [page.resume for page in pages] == ["10", "20"]
    assert {page.format for page in pages} == {"arxiv-atom"}
    assert [request.params["start"] for request in server.requests] == ["0", "10", "20"]
    assert fake_time.sleeps == [3.0, 3.0]


def test_api_stops_at_the_page_that_reaches_back_before_since(
    server: ReplayServer, client: PoliteClient
) -> None:
    server.script("/api/query", api_request(0), Reply.file(API_PAGE_1))  # oldest entry: 2012-02-21

    pages = api(server, client, since=date(2014, 1, 1))

    assert [page.resume for page in pages] == [None]
    assert len(server.requests) == 1


def test_api_stops_when_the_offset_reaches_total_results(server: ReplayServer, client: PoliteClient) -> None:
    server.script("/api/query", api_request(0), Reply.file(API_ONE_OF_ONE))  # totalResults 1

    pages = api(server, client)

    assert [page.resume for page in pages] == [None]
    assert len(server.requests) == 1


def test_an_api_error_feed_names_the_reason(server: ReplayServer, client: PoliteClient) -> None:
    server.script("/api/query", None, Reply.file(API_ERROR, status=400))

    with pytest.raises(HarvestError, match=r"HTTP 400 \(incorrect id format for abc\)"):
        api(server, client)


def test_a_killed_api_harvest_resumes_at_the_next_offset(server: ReplayServer, client: PoliteClient) -> None:
    server.script("/api/query", api_request(0), Reply.file(API_PAGE_1))
    server.script("/api/query", api_request(10), Reply.file(API_PAGE_2))
    server.script("/api/query", api_request(20), Reply.file(API_EMPTY))
    since = date(2000, 1, 1)

    first_run = harvest_api(
        "cs.SE", since=since, page_size=10, base_url=f"{server.url}/api/query", client=client
    )
    stored_resume = next(
        first_run
    ).resume  # the page and its resume state are persisted, then the process dies
    rest = api(server, client, since=since, resume=stored_resume)

    assert [page.content for page in rest] == [API_PAGE_2.read_bytes()]
    assert [request.params["start"] for request in server.requests] == ["0", "10", "20"]


def test_a_resume_state_that_is_no_offset_is_refused(client: PoliteClient) -> None:
    with pytest.raises(HarvestError, match="not a start offset"):
        list(harvest_api("cs.SE", since=None, resume="6961234|1001", client=client))


# Spacing


class SlowTransport(httpx.BaseTransport):
    """Real HTTP to the replay server, each request taking the next of `latencies` seconds on the
    fake clock; remembers the fake time at which each request started."""

    def __init__(self, fake_time: FakeTime, latencies: list[float]) -> None:
        self.fake_time = fake_time
        self.latencies = latencies
        self.started: list[float] = []
        self.http = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.started.append(self.fake_time.now)
        self.fake_time.now += self.latencies[len(self.started) - 1]
        return self.http.handle_request(request)

    def close(self) -> None:
        self.http.close()


def test_requests_start_at_least_delay_seconds_apart_counting_the_time_they_took(
    server: ReplayServer, fake_time: FakeTime
) -> None:
    server.script("/api/query", api_request(0), Reply.file(API_PAGE_1))
    server.script("/api/query", api_request(10), Reply.file(API_PAGE_2))
    server.script("/api/query", api_request(20), Reply.file(API_EMPTY))
    # The first answer takes 1 s (the client waits the other 2), the second 4 s (no wait).
    transport = SlowTransport(fake_time, [1.0, 4.0, 0.5])
    polite = PoliteClient(delay=3.0, sleep=fake_time.sleep, clock=fake_time.clock, transport=transport)
    with polite:
        api(server, polite, since=date(2000, 1, 1))

    assert len(server.requests) == 3
    assert transport.started == [1000.0, 1003.0, 1007.0]
    assert fake_time.sleeps == [2.0]


def test_the_client_waits_on_the_real_clock_unless_told_otherwise() -> None:
    parameters = inspect.signature(PoliteClient).parameters
    assert parameters["sleep"].default is time.sleep
    assert parameters["clock"].default is time.monotonic
