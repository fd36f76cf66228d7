"""Polite fetching of arXiv metadata pages, one page at a time, resumable after any page.

Why it exists: papersift keeps a library current by asking arXiv for what is new in a category.
arXiv serves everyone from a few machines and asks harvesters to identify themselves, to leave
at least three seconds between requests and to back off when told to. This module is the only
place that talks to arXiv, so those rules are kept in one place.

How it behaves:

- `PoliteClient` wraps `httpx.Client`. It sends a User-Agent naming papersift and a contact
  (an URL or ``mailto:`` the operator sets), waits at least `delay` seconds between the *starts*
  of consecutive requests, and retries (with `tenacity`) on 429, 500, 502, 503, 504, timeouts and
  connection errors, with exponential backoff. A `Retry-After` header (in seconds) is obeyed
  instead of the backoff: arXiv's OAI-PMH server answers 503 + Retry-After as flow control in the
  middle of a healthy harvest, so such answers are a polite wait with a budget of their own, not
  an error. When the retries are spent it raises `HarvestError` naming the status and the URL.
- `harvest_oai` walks an OAI-PMH ListRecords answer page by page (the way to catch up on a
  whole archive); `harvest_api` walks the arXiv search API newest first (the way to fetch the
  recent days of one category). Both yield `HarvestPage`s: the raw bytes plus the format name for
  `papersift.sources.reader_for`. They know nothing of the database.
- Resuming: every page carries `resume`, the opaque state to continue *after* that page (the
  next resumptionToken for OAI-PMH, the next start offset for the API), or None when it was the
  last page. A caller that stores the papers of a page and its `resume` in one transaction can be
  killed at any moment and, called again with the stored `resume` (and the same other
  arguments), continues with the next page without fetching any page twice. When the iterator is
  exhausted the harvest is complete.

OAI-PMH sets at arXiv are archive-level (`cs`, `math`, `stat`, `physics:hep-ex`,
`physics:cond-mat`, ...): harvesting `cs.CV` fetches all of `cs`, and the caller keeps the
papers whose categories include `cs.CV`. See `oai_set`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from types import TracebackType

import httpx
import tenacity

from papersift.errors import HarvestError
from papersift.sources.harvest_pages import explain_error, read_api_page, read_oai_page

__all__ = [
    "DEFAULT_CONTACT",
    "RETRY_STATUSES",
    "HarvestPage",
    "PoliteClient",
    "harvest_api",
    "harvest_oai",
    "oai_set",
]

OAI_BASE_URL = "https://oaipmh.arxiv.org/oai"
API_BASE_URL = "https://export.arxiv.org/api/query"
DEFAULT_CONTACT = "https://pypi.org/project/papersift/"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# arXiv's OAI server groups the physics archives under one "physics" set; every other group
# (cs, math, stat, q-bio, q-fin, eess, econ) is its own set.
_PHYSICS_ARCHIVES = frozenset(
    {
        "astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph",
        "nlin", "nucl-ex", "nucl-th", "physics", "quant-ph",
    }
)  # fmt: skip


@dataclass(frozen=True)
class HarvestPage:
    """One fetched page: its bytes, the reader format that parses them, and how to go on."""

    content: bytes
    format: str  # "oai-pmh" or "arxiv-atom", a name `papersift.sources.reader_for` knows
    url: str
    # Opaque state to resume AFTER this page (OAI-PMH: the next resumptionToken; API: the next
    # start offset); None when this was the last page.
    resume: str | None


class PoliteClient:
    """An HTTP client that keeps arXiv's rules: identify, space requests, back off, retry.

    `sleep` and `clock` are injectable so tests can run the rules without waiting for real.
    `max_attempts` bounds the tries on errors (5xx without Retry-After, timeouts, lost
    connections); `max_polite_waits` bounds the answers that carry a Retry-After, and a
    Retry-After longer than `max_retry_after` seconds is reported at once rather than slept on.
    """

    def __init__(
        self,
        *,
        delay: float = 3.0,
        contact: str = DEFAULT_CONTACT,
        timeout: float = 60.0,
        max_attempts: int = 5,
        max_polite_waits: int = 20,
        max_retry_after: float = 600.0,
        backoff: float | None = None,
        max_backoff: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.delay = delay
        self.max_attempts = max_attempts
        self.max_polite_waits = max_polite_waits
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._clock = clock
        self._last_start: float | None = None
        # Backoff starts at the polite delay: after a failure, waiting less than we would between
        # two good requests makes no sense.
        self._backoff = tenacity.wait_exponential(
            multiplier=backoff if backoff is not None else max(delay, 1.0), max=max_backoff
        )
        self._http = httpx.Client(
            headers={"User-Agent": f"papersift/{_version()} (+{contact})"},
            # OAI-PMH pages of 1000 records can take the server a while to produce.
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            follow_redirects=True,
            transport=transport,
        )

    @property
    def user_agent(self) -> str:
        return str(self._http.headers["User-Agent"])

    def get(
        self, url: str, params: Mapping[str, str] | None = None, *, allow_client_errors: bool = False
    ) -> httpx.Response:
        """GET `url`, politely, retrying what is worth retrying.

        A 4xx answer (other than 429) raises `HarvestError` unless `allow_client_errors`, in which
        case it is returned for the caller to read (an OAI-PMH error may come with a 400).
        """
        full_url = str(httpx.URL(url, params=dict(params or {})))
        counts = {"errors": 0, "polite": 0}
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type((_RetryableResponse, *_RETRY_ERRORS)),
            stop=lambda state: self._should_stop(state, counts),
            wait=self._wait_before_retry,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            response = retrying(self._attempt, url, params)
        except _RetryableResponse as failure:
            raise HarvestError(_describe_failure(full_url, failure, counts)) from None
        except httpx.RequestError as error:
            raise HarvestError(
                f"GET {full_url} failed after {counts['errors']} attempt(s): {_describe_error(error)}"
            ) from None
        if response.status_code >= 400 and not (allow_client_errors and response.status_code < 500):
            raise HarvestError(
                f"GET {full_url}: HTTP {response.status_code}{explain_error(response.content)}"
            )
        return response

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _attempt(self, url: str, params: Mapping[str, str] | None) -> httpx.Response:
        # Every attempt, retries included, keeps its distance from the previous one.
        if self._last_start is not None:
            remaining = self._last_start + self.delay - self._clock()
            if remaining > 0:
                self._sleep(remaining)
        self._last_start = self._clock()
        response = self._http.get(url, params=dict(params) if params else None)
        if response.status_code in RETRY_STATUSES:
            raise _RetryableResponse(response, _retry_after(response))
        return response

    def _should_stop(self, state: tenacity.RetryCallState, counts: dict[str, int]) -> bool:
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, _RetryableResponse) and failure.retry_after is not None:
            counts["polite"] += 1
            return counts["polite"] > self.max_polite_waits or failure.retry_after > self.max_retry_after
        counts["errors"] += 1
        return counts["errors"] >= self.max_attempts

    def _wait_before_retry(self, state: tenacity.RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, _RetryableResponse) and failure.retry_after is not None:
            return failure.retry_after
        return float(self._backoff(state))


def harvest_oai(
    category: str,
    *,
    since: date | None,
    until: date | None = None,
    resume: str | None = None,
    base_url: str = OAI_BASE_URL,
    metadata_prefix: str = "arXiv",
    client: PoliteClient | None = None,
) -> Iterator[HarvestPage]:
    """The pages of an OAI-PMH ListRecords harvest of `category`'s archive-level set.

    `since`/`until` become OAI `from`/`until` (datestamps: when arXiv last changed a record, not
    when it was submitted). `resume` is a resumptionToken from a previous page: the harvest goes
    on from there, and continuation requests carry only the verb and the token, as OAI-PMH
    requires. A `noRecordsMatch` answer yields no pages; any other OAI error (an expired
    `badResumptionToken`, a `badArgument`) raises `HarvestError` with the code and message.
    The set is archive-level: the caller filters records by category (see `oai_set`).
    """
    own_client = client is None
    polite = client or PoliteClient()
    first: dict[str, str] = {
        "verb": "ListRecords",
        "metadataPrefix": metadata_prefix,
        "set": oai_set(category),
    }
    if since is not None:
        first["from"] = since.isoformat()
    if until is not None:
        first["until"] = until.isoformat()
    token = resume
    try:
        while True:
            params = {"verb": "ListRecords", "resumptionToken": token} if token else first
            response = polite.get(base_url, params, allow_client_errors=True)
            content = response.content
            error_code, message, next_token = read_oai_page(content, str(response.url))
            if error_code == "noRecordsMatch":
                return
            if error_code is not None:
                raise HarvestError(f"{response.url}: OAI-PMH error {error_code}: {message}")
            if response.status_code >= 400:
                raise HarvestError(f"GET {response.url}: HTTP {response.status_code}")
            yield HarvestPage(content=content, format="oai-pmh", url=str(response.url), resume=next_token)
            if next_token is None:
                return
            token = next_token
    finally:
        if own_client:
            polite.close()


def harvest_api(
    category: str,
    *,
    since: date | None,
    resume: str | None = None,
    page_size: int = 100,
    base_url: str = API_BASE_URL,
    client: PoliteClient | None = None,
) -> Iterator[HarvestPage]:
    """The pages of an arXiv API search for `cat:CATEGORY`, newest submission first.

    Paging stops after a page with no entries, after the page whose oldest entry was submitted
    before `since` (that page is still yielded: it holds new papers too), or when the offset
    reaches the feed's totalResults. `resume` is the start offset a previous page handed out.
    The API's offsets shift when new papers arrive between two runs, so a resumed harvest may
    see a few papers again (ingest is idempotent); for long catch-ups prefer `harvest_oai`.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    start = _start_offset(resume)
    own_client = client is None
    polite = client or PoliteClient()
    try:
        while True:
            params = {
                "search_query": f"cat:{category}",
                "sortBy": "submittedDate",
                "sortOrder": "descending",
                "start": str(start),
                "max_results": str(page_size),
            }
            response = polite.get(base_url, params)
            content = response.content
            entries, total, oldest = read_api_page(content, str(response.url))
            if entries == 0:
                return
            next_start = start + entries
            done = next_start >= total or (since is not None and oldest is not None and oldest < since)
            yield HarvestPage(
                content=content,
                format="arxiv-atom",
                url=str(response.url),
                resume=None if done else str(next_start),
            )
            if done:
                return
            start = next_start
    finally:
        if own_client:
            polite.close()


def fetch_arxiv(
    arxiv_ids: Sequence[str], *, base_url: str = API_BASE_URL, client: PoliteClient
) -> HarvestPage:
    """The arXiv API's entries for some ids (at most 100), as one page; ids arXiv does not know
    are simply absent from it."""
    if not 0 < len(arxiv_ids) <= 100:
        raise ValueError("fetch between 1 and 100 ids at a time")
    params = {"id_list": ",".join(arxiv_ids), "start": "0", "max_results": str(len(arxiv_ids))}
    response = client.get(base_url, params)
    read_api_page(response.content, str(response.url))  # raises HarvestError on a broken page
    return HarvestPage(content=response.content, format="arxiv-atom", url=str(response.url), resume=None)


def oai_set(category: str) -> str:
    """The arXiv OAI-PMH set that holds `category`: `cs.CV` -> `cs`, `hep-ex` -> `physics:hep-ex`.

    arXiv's sets are archive-level, so the set holds other categories too. A value that already
    looks like a set spec (`physics:hep-ex`, `cs:cs:AI`) is passed through unchanged.
    """
    if ":" in category:
        return category
    archive = category.split(".", 1)[0]
    return f"physics:{archive}" if archive in _PHYSICS_ARCHIVES else archive


class _RetryableResponse(Exception):
    """An answer worth asking again for (429, 5xx), with the wait the server asked for."""

    def __init__(self, response: httpx.Response, retry_after: float | None) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.retry_after = retry_after


# Failures of the network, not of the request: worth another try. (A malformed URL or an
# unsupported scheme is not.)
_RETRY_ERRORS: tuple[type[httpx.RequestError], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None  # absent, or an HTTP date: fall back to our own backoff
    return max(seconds, 0.0)


def _describe_failure(url: str, failure: _RetryableResponse, counts: Mapping[str, int]) -> str:
    status = failure.response.status_code
    attempts = counts["errors"] + counts["polite"]
    if failure.retry_after is not None:
        return (
            f"GET {url}: HTTP {status}, the server asks to wait {failure.retry_after:g} s "
            f"(after {attempts} attempt(s)); try again later"
        )
    reason = explain_error(failure.response.content)
    return f"GET {url} failed after {attempts} attempt(s): HTTP {status}{reason}"


def _describe_error(error: httpx.RequestError) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _start_offset(resume: str | None) -> int:
    if resume is None:
        return 0
    if not resume.isdigit():
        raise HarvestError(f"cannot resume an arXiv API harvest from {resume!r}: not a start offset")
    return int(resume)


def _version() -> str:
    try:
        return metadata.version("papersift")
    except metadata.PackageNotFoundError:
        return "dev"
