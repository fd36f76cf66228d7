"""The commands on papers: ingest, sync, search, show, similar, stats, export, index, migrate, serve."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from papersift.cli.common import DB_SETTING, DEMO_CORPUS, cli, date_option, err, open_library, out
from papersift.errors import PapersiftError
from papersift.library import SEARCH_MODES, Engine, SearchResults, export_formats, input_formats, paper_json
from papersift.records import Hit, IngestReport, Paper

# -- ingest -------------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1)
@click.option("--demo", is_flag=True, help="Also import the bundled demo corpus (recent arXiv cs papers).")
@click.option("--strict", is_flag=True, help="Reject a whole file if any record in it is bad.")
@click.option(
    "--format", "format_name", type=click.Choice(input_formats()), help="Skip sniffing: read as this format."
)
@click.option(
    "--no-embed", is_flag=True, help="Do not embed the new papers now (`papersift index` does it later)."
)
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Embed here, or on Ray (papersift[ray]): a local Ray, or the cluster at --address.",
)
@click.option(
    "--address", help="The Ray cluster to join (ray://host:10001, or auto); default: start Ray here."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[str, ...],
    demo: bool,
    strict: bool,
    format_name: str | None,
    no_embed: bool,
    engine: Engine,
    address: str | None,
    as_json: bool,
) -> None:
    """Import papers from files, folders, glob patterns or - (stdin).

    Formats are recognised from the content: arXiv API Atom, arXiv OAI-PMH, JSON Lines (arXiv
    snapshot and others), BibTeX and text exports of paper listing pages; .gz is read as is.
    Importing the same data twice changes nothing. New papers are embedded for semantic search
    (about a minute per 4,000 papers on two cores); an interrupted run resumes where it stopped.
    """
    targets = [*paths, *([str(DEMO_CORPUS)] if demo else [])]
    if not targets:
        raise click.UsageError("give at least one PATH (or --demo)")
    with open_library(ctx) as library, _progress("importing") as progress:
        report = library.ingest(
            targets,
            strict=strict,
            format=format_name,
            on_progress=progress.records,
            embed=not no_embed,
            on_embed=progress.embedding,
            engine=engine,
            ray_address=address,
        )
    _print_report(report, as_json)
    ctx.exit(0 if report.ok else 1)


def _print_report(report: IngestReport, as_json: bool) -> None:
    for bad in [*report.failed_files, *report.rejected]:
        err.print(f"[yellow]rejected[/yellow] {escape(str(bad))}")
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
        return
    summary = (
        f"{report.read:,} records read from {report.files:,} input(s): {report.added:,} new, "
        f"{report.updated:,} updated, {report.unchanged:,} unchanged"
    )
    if report.rejected or report.failed_files:
        rejected, failed = len(report.rejected), len(report.failed_files)
        summary += f", [yellow]{rejected:,} rejected, {failed:,} unreadable input(s)[/]"
    if report.embedded:
        summary += f"; {report.embedded:,} embedded"
    err.print(summary)
    for note in report.notes:
        err.print(f"[yellow]note:[/yellow] {escape(note)}")


class _Progress:
    """Progress bars for long work: records read per input, then papers embedded (with an ETA)."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.display = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,}{task.fields[of]} {task.fields[unit]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        self.tasks: dict[str, Any] = {}

    def records(self, origin: str, count: int) -> None:
        if origin not in self.tasks:
            self.tasks[origin] = self.display.add_task(
                f"{self.description} {Path(origin).name}", total=None, of="", unit="records"
            )
        self.display.update(self.tasks[origin], completed=count)

    def rows(self, table: str, done: int, total: int) -> None:
        if table not in self.tasks:
            self.tasks[table] = self.display.add_task(table, total=total, of=f" of {total:,}", unit="rows")
        self.display.update(self.tasks[table], completed=done, total=total)

    def embedding(self, done: int, total: int) -> None:
        if "embed" not in self.tasks:
            self.tasks["embed"] = self.display.add_task(
                "embedding", total=total, of=f" of {total:,}", unit="papers"
            )
        self.display.update(self.tasks["embed"], completed=done, total=total)


@contextmanager
def _progress(description: str) -> Iterator[_Progress]:
    """A progress display on a terminal; nothing when output is piped or in CI."""
    progress = _Progress(description)
    with progress.display:
        yield progress


# -- sync ---------------------------------------------------------------------------------


@cli.group()
def sync() -> None:
    """Fetch new papers from online sources."""


@sync.command("arxiv")
@click.option("--category", required=True, help="An arXiv category (cs.CV) or archive (cs).")
@click.option("--since", callback=date_option, help="Only papers changed on or after this date (YYYY-MM-DD).")
@click.option("--until", callback=date_option, help="Only papers changed on or before this date.")
@click.option(
    "--method",
    type=click.Choice(["oai", "api"]),
    default="oai",
    show_default=True,
    help="OAI-PMH (bulk, by change date) or the search API (newest submissions).",
)
@click.option("--base-url", help="Another endpoint (a mirror, or a test server).")
@click.option(
    "--delay", type=float, default=3.0, show_default=True, help="Seconds between requests (arXiv asks ≥ 3)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def sync_arxiv(
    ctx: click.Context,
    category: str,
    since: date | None,
    until: date | None,
    method: str,
    base_url: str | None,
    delay: float,
    as_json: bool,
) -> None:
    """Harvest a category from arXiv politely; an interrupted sync resumes where it stopped."""
    with open_library(ctx) as library, _progress("harvesting") as progress:
        try:
            report = library.sync_arxiv(
                category,
                since=since,
                until=until,
                method=method,  # type: ignore[arg-type]
                base_url=base_url,
                delay=delay,
                on_progress=progress.records,
            )
        except PapersiftError as error:
            err.print(f"[red]error:[/red] {escape(error.reason)}")
            ctx.exit(1)
    _print_report(report, as_json)
    ctx.exit(0 if report.ok else 1)


# -- search and look ----------------------------------------------------------------------


@cli.command()
@click.argument("query", nargs=-1)
@click.option(
    "-n", "--limit", type=click.IntRange(1, 1000), default=10, show_default=True, help="Results per page."
)
@click.option("-p", "--page", type=click.IntRange(1), default=1, show_default=True, help="Page of results.")
@click.option(
    "--mode",
    type=click.Choice(SEARCH_MODES),
    default="hybrid",
    show_default=True,
    help="hybrid: words and meaning; semantic: meaning only; keyword: words only (BM25).",
)
@click.option("--author", help="Only papers by this author.")
@click.option("--category", help="Only papers in this category (cs.CV) or archive (cs).")
@click.option("--year", type=int, help="Only papers published this year.")
@click.option(
    "--from", "date_from", callback=date_option, help="Only papers published on or after (YYYY-MM-DD)."
)
@click.option(
    "--to", "date_to", callback=date_option, help="Only papers published on or before (YYYY-MM-DD)."
)
@click.option("--has-code", is_flag=True, help="Only papers with a code repository.")
@click.option("--json", "as_json", is_flag=True, help="Print hits as JSON.")
@click.pass_context
def search(
    ctx: click.Context,
    query: tuple[str, ...],
    limit: int,
    page: int,
    mode: str,
    author: str | None,
    category: str | None,
    year: int | None,
    date_from: date | None,
    date_to: date | None,
    has_code: bool,
    as_json: bool,
) -> None:
    """Search papers, by words and meaning. "quoted phrases" must match; filters: author:NAME,
    cat:cs.CV, year:2025 or 2023..2025, after:DATE, before:DATE, has:code; -word excludes; word*
    is a prefix.
    """
    with open_library(ctx) as library:
        results = library.search(
            " ".join(query),
            mode=mode,  # type: ignore[arg-type]
            limit=limit,
            offset=(page - 1) * limit,
            author=author,
            category=category,
            year=year,
            date_from=date_from,
            date_to=date_to,
            has_code=has_code,
        )
    if as_json:
        out.print_json(json.dumps(_results_json(results), ensure_ascii=False))
        return
    _print_results(results, page, limit, mode)


def _results_json(results: SearchResults) -> dict[str, Any]:
    return {
        "query": results.query.text,
        "mode": results.mode,
        "total": results.total,
        "offset": results.offset,
        "hits": [
            {
                "id": hit.id,
                "score": round(hit.score, 4),
                "snippet": hit.snippet,
                "highlights": [list(span) for span in hit.highlights],
                "paper": paper_json(hit.paper),
            }
            for hit in results
        ],
    }


def _print_results(results: SearchResults, page: int, limit: int, requested_mode: str) -> None:
    if results.mode != requested_mode:
        err.print(f"[yellow]note:[/yellow] {results.mode} search only (the embedding model is not installed)")
    if not results:
        err.print(f"No papers match{' on this page' if page > 1 else ''}.")
        return
    first = results.offset + 1
    err.print(f"{results.total:,} papers match; showing {first:,}–{results.offset + len(results):,}")
    _print_hits(results, first)
    if results.offset + len(results) < results.total:
        err.print(f"[dim]more: --page {page + 1}[/dim]")


def _print_hits(hits: list[Hit], first: int = 1) -> None:
    for rank, hit in enumerate(hits, start=first):
        paper = hit.paper
        out.print(Text.assemble((f"{rank:>3}. ", "dim"), (paper.title, "bold"), ("  " + paper.id, "cyan")))
        meta = ", ".join(paper.authors[:4]) + (" et al." if len(paper.authors) > 4 else "")
        details = " · ".join(
            x for x in (meta, str(paper.published or ""), " ".join(paper.categories[:3])) if x
        )
        if details:
            out.print(Text("     " + details, style="dim"))
        snippet = Text("     " + hit.snippet)
        for start, end in hit.highlights:
            snippet.stylize("bold yellow", start + 5, end + 5)
        if hit.snippet:
            out.print(snippet)


@cli.command()
@click.argument("paper_id")
@click.option("--json", "as_json", is_flag=True, help="Print the paper as JSON.")
@click.pass_context
def show(ctx: click.Context, paper_id: str, as_json: bool) -> None:
    """Show one paper (by arXiv id, DOI, or any id it was imported under)."""
    with open_library(ctx) as library:
        paper = library.paper(paper_id)
    if as_json:
        out.print_json(json.dumps(paper_json(paper), ensure_ascii=False))
        return
    _print_paper(paper)


@cli.command()
@click.argument("paper_ids", nargs=-1, required=True)
@click.option(
    "-n", "--limit", type=click.IntRange(1, 1000), default=10, show_default=True, help="How many papers."
)
@click.option("--json", "as_json", is_flag=True, help="Print hits as JSON.")
@click.pass_context
def similar(ctx: click.Context, paper_ids: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Papers nearest in meaning to a paper (or, given several, to all of them together)."""
    with open_library(ctx) as library:
        hits = library.more_like(paper_ids, limit)
    if as_json:
        payload = [{"id": h.id, "score": round(h.score, 4), "paper": paper_json(h.paper)} for h in hits]
        out.print_json(json.dumps(payload, ensure_ascii=False))
        return
    _print_hits(hits)


def _print_paper(paper: Paper) -> None:
    out.print(Text(paper.title, style="bold"))
    rows = [
        ("id", paper.id + (f" (v{paper.version})" if paper.version else "")),
        ("authors", ", ".join(paper.authors)),
        ("published", str(paper.published or "")),
        ("updated", str(paper.updated or "")),
        ("categories", " ".join(paper.categories)),
        ("doi", paper.doi or ""),
        ("journal", paper.journal_ref or ""),
        ("comment", paper.comment or ""),
        ("abs", paper.abs_url or ""),
        ("pdf", paper.pdf_url or ""),
        ("source", paper.source),
    ]
    for name, value in rows:
        if value:
            out.print(Text.assemble((f"{name:>11}: ", "dim"), value))
    if paper.abstract:
        out.print()
        out.print(Text(paper.abstract))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Figures about the library: papers, sources, dates, categories."""
    with open_library(ctx) as library:
        figures = library.stats()
    figures["database"] = str(ctx.obj["db"])
    if as_json:
        out.print_json(json.dumps(figures))
        return
    for name, value in figures.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:,}" for k, v in value.items()) or "-"
        elif isinstance(value, int):
            value = f"{value:,}"
        out.print(Text.assemble((f"{name.replace('_', ' '):>22}: ", "dim"), str(value)))


@cli.command()
@click.option(
    "--format", "format_name", type=click.Choice(export_formats()), default="jsonl", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8", atomic=True),
    default="-",
    help="File to write (default: standard output).",
)
@click.pass_context
def export(ctx: click.Context, format_name: str, output: Any) -> None:
    """Write every paper as JSON Lines or BibTeX (both import back with `ingest`)."""
    with open_library(ctx) as library:
        for chunk in library.export(format_name):
            output.write(chunk)


@cli.command()
@click.option("--rebuild", is_flag=True, help="Rebuild the index files from the database.")
@click.option("--reembed", is_flag=True, help="Also compute every embedding again (implies --rebuild).")
@click.pass_context
def index(ctx: click.Context, rebuild: bool, reembed: bool) -> None:
    """Bring the search indexes up to date with the database: embed papers that are not yet
    embedded (an interrupted run resumes), then update the keyword and vector indexes."""
    with open_library(ctx) as library, _progress("indexing") as progress:
        if rebuild or reembed:
            library.drop_index(embeddings=reembed)
        report = IngestReport()
        changed = library.refresh_index(
            on_progress=progress.records, on_embed=progress.embedding, report=report
        )
    err.print(f"{changed:,} papers (re)indexed, {report.embedded:,} embedded")
    for note in report.notes:
        err.print(f"[yellow]note:[/yellow] {escape(note)}")


@cli.command()
@click.option(
    "--to", "target", required=True, metavar="URL", help="The library to copy into: postgresql://..."
)
@click.pass_context
def migrate(ctx: click.Context, target: str) -> None:
    """Copy this library (papers, vectors, members, everything) into another, e.g. PostgreSQL.

    Run it again after an interruption: it goes on where it stopped. At the end every table is
    compared (rows and a checksum); any difference is an error (exit 1). The copy's search indexes
    are built when it is first opened (`papersift --db URL index`).
    """
    with open_library(ctx) as library, _progress("copying") as progress:
        checks = library.copy_to(target, on_progress=progress.rows)
    table = Table("table", "rows", "copied", "checksum", box=None)
    for check in checks:
        same = "[green]same[/green]" if check.ok else "[red]DIFFERENT[/red]"
        table.add_row(check.table, f"{check.source_rows:,}", f"{check.target_rows:,}", same)
    out.print(table)
    if not all(check.ok for check in checks):
        different = ", ".join(check.table for check in checks if not check.ok)
        err.print(f"[red]error:[/red] the copy differs from this library in: {different}")
        ctx.exit(1)
    err.print("copied: every table has the same rows in both libraries")


# -- web ----------------------------------------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes serving requests (each opens the library; about one per core).",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the web app (pages and JSON API) on the library."""
    import uvicorn

    from papersift.web.app import app_from_settings, create_app
    from papersift.web.workers import balanced_sockets_available, serve_workers

    db = str(ctx.obj["db"])
    shown_host = f"[{host}]" if ":" in host else host
    err.print(f"papersift: serving {escape(db)} at [bold]http://{shown_host}:{port}/[/bold] (Ctrl+C stops)")
    if workers == 1:
        with open_library(ctx) as library:
            app = create_app(library, warm_up=True)
            uvicorn.run(app, host=host, port=port, proxy_headers=True)
        return
    with open_library(ctx) as library:
        library.load_indexes()  # once here, rather than in every worker at once
    if balanced_sockets_available():
        try:
            status = serve_workers(db, host, port, workers)
        except OSError as error:  # the port is taken, the address is not this machine's, ...
            err.print(f"[red]error:[/red] cannot listen on {escape(shown_host)}:{port}: {escape(str(error))}")
            ctx.exit(1)
        ctx.exit(status)
    # Worker processes import the app factory by name: the library's path goes through the environment.
    os.environ[DB_SETTING.env] = db
    uvicorn.run(
        f"{app_from_settings.__module__}:{app_from_settings.__name__}",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
    )
