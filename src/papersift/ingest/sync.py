"""Keeping a library current with arXiv: a category's new papers, page by page, resumable."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Literal

from papersift import sources
from papersift.ingest.harvest import (
    API_BASE_URL,
    DEFAULT_CONTACT,
    OAI_BASE_URL,
    PoliteClient,
    harvest_api,
    harvest_oai,
)
from papersift.ingest.pipeline import Ingester
from papersift.records import IngestReport, Paper
from papersift.search.indexes import ProgressCallback


def sync_arxiv(
    ingester: Ingester,
    category: str,
    *,
    since: date | None = None,
    until: date | None = None,
    method: Literal["oai", "api"] = "oai",
    base_url: str | None = None,
    client: PoliteClient | None = None,
    delay: float | None = None,
    contact: str = "",
    on_progress: ProgressCallback | None = None,
) -> IngestReport:
    """Fetch a category's new papers from arXiv (OAI-PMH or the search API) and import them.

    Each page's papers and the point to resume after it are committed together, so an
    interrupted sync continues where it stopped when run again with the same arguments.
    Without `since`, a sync continues from the day the last complete one finished. Without a
    `client`, one that waits `delay` seconds between requests and names `contact` to arXiv.
    """
    if client is None:
        polite = PoliteClient(contact=contact or DEFAULT_CONTACT)
        if delay is not None:
            polite = PoliteClient(delay=delay, contact=contact or DEFAULT_CONTACT)
        with polite:
            return sync_arxiv(
                ingester,
                category,
                since=since,
                until=until,
                method=method,
                base_url=base_url,
                client=polite,
                on_progress=on_progress,
            )
    state_name = f"arxiv-{method}:{category}"
    state = json.loads(ingester.store.harvest_resume(state_name) or "{}")
    if since is None and state.get("completed"):
        since = date.fromisoformat(state["completed"])
    resume = (
        state.get("resume")
        if state.get("since") == _iso(since) and state.get("until") == _iso(until)
        else None
    )
    report = IngestReport()
    if method == "oai":
        pages = harvest_oai(
            category,
            since=since,
            until=until,
            resume=resume,
            client=client,
            base_url=base_url or OAI_BASE_URL,
        )
    else:
        pages = harvest_api(
            category, since=since, resume=resume, client=client, base_url=base_url or API_BASE_URL
        )
    wanted = category.casefold()

    def in_category(paper: Paper) -> bool:
        # OAI sets are whole archives ("cs"); keep only the asked category ("cs.CV").
        return any(c.casefold() == wanted or c.casefold().startswith(wanted + ".") for c in paper.categories)

    for page in pages:
        with ingester.store.transaction():
            records = sources.read_stream(io.BytesIO(page.content), page.url, page.format)
            ingester.ingest_records(
                records, report=report, on_progress=on_progress, origin=page.url, accept=in_category
            )
            progress = {
                "since": _iso(since),
                "until": _iso(until),
                "resume": page.resume,
                "completed": state.get("completed"),
            }
            ingester.store.set_harvest_resume(state_name, json.dumps(progress))
        report.files += 1
    finished = {"completed": date.today().isoformat()}
    with ingester.store.transaction():
        ingester.store.set_harvest_resume(state_name, json.dumps(finished))
    ingester.refresh_index()
    return report


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
