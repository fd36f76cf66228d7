"""The CLI's commands for code links and reported results: `extract` (any text, no library),
`leaderboard`, and `pwc import` (the Papers with Code archive).

Registered on the `cli` group by `papersift.cli`; they translate arguments and print results.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import orjson
from rich.markup import escape
from rich.table import Table

from papersift.cli.common import cli, err, open_library, out
from papersift.errors import PapersiftError
from papersift.library import configured_aliases, extract_from_text


@cli.command()
@click.pass_context
def extract(ctx: click.Context) -> None:
    """Find code links and reported results in any text: reads JSON Lines on stdin
    ({"key", "title", "abstract", "comment"?}) and writes one JSON line per input, in order.

    A line that cannot be read gets {"key": ..., "error": "line N: why"} in its place; the exit
    code is then 1.
    """
    try:
        aliases = configured_aliases()
    except PapersiftError as error:
        err.print(f"[red]error:[/red] {escape(error.reason)}")
        ctx.exit(error.exit_code)
    failed = False
    write = sys.stdout.buffer.write
    for number, line in enumerate(sys.stdin.buffer, start=1):
        if not line.strip():
            continue
        key: Any = None
        try:
            item = orjson.loads(line)
            if not isinstance(item, dict):
                raise ValueError("not a JSON object")
            key = item.get("key")
            fields = {name: item.get(name) for name in ("title", "abstract", "comment")}
            for name, value in fields.items():
                if value is not None and not isinstance(value, str):
                    raise ValueError(f"{name} is not a string")
            answer = extract_from_text(
                key, fields["title"] or "", fields["abstract"] or "", fields["comment"], aliases
            )
        except (orjson.JSONDecodeError, ValueError) as error:
            failed = True
            answer = {"key": key, "error": f"line {number}: {error}"}
        write(orjson.dumps(answer) + b"\n")
    sys.stdout.flush()
    ctx.exit(1 if failed else 0)


@cli.command()
@click.argument("dataset", required=False)
@click.option("--metric", help="The metric (default: the one most results report).")
@click.option("-n", "--limit", type=click.IntRange(1, 10_000), default=20, show_default=True, help="Rows.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def leaderboard(
    ctx: click.Context, dataset: str | None, metric: str | None, limit: int, as_json: bool
) -> None:
    """The leaderboard of DATASET (any spelling: ImageNet, ILSVRC-2012 ...), best first; without
    DATASET, the list of leaderboards."""
    with open_library(ctx) as library:
        if dataset is None:
            boards = library.leaderboards()[:limit]
            if as_json:
                out.print_json(json.dumps([summary.__dict__ for summary in boards]))
                return
            table = Table("dataset", "metric", "results", "curated", box=None)
            for summary in boards:
                table.add_row(
                    escape(summary.dataset),
                    escape(summary.metric),
                    str(summary.results),
                    str(summary.curated),
                )
            out.print(table)
            return
        try:
            board = library.leaderboard(dataset, metric, limit=limit)
        except PapersiftError as error:
            err.print(f"[red]error:[/red] {escape(error.reason)}")
            ctx.exit(1)
    if as_json:
        out.print_json(json.dumps(board.as_json(), ensure_ascii=False))
        return
    direction = "higher is better" if board.metric.higher_is_better else "lower is better"
    out.print(f"[bold]{escape(board.dataset)}[/bold] · {escape(board.metric.name)} ({direction})")
    table = Table("#", "value", "paper", "model", "date", "code", box=None)
    for entry in board.entries:
        mark = " (curated)" if entry.curated else ""
        table.add_row(
            str(entry.rank),
            f"{entry.value:g}",
            escape(entry.title[:70]) + mark,
            escape(entry.model or ""),
            entry.published.isoformat() if entry.published else "",
            escape(entry.code_url or ""),
        )
    out.print(table)
    if board.other_metrics:
        err.print(f"other metrics: {escape(', '.join(board.other_metrics))}")


@cli.group()
def pwc() -> None:
    """The Papers with Code archive (code links and leaderboards, to 2025)."""


@pwc.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def pwc_import(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Import links-between-papers-and-code.json and/or evaluation-tables.json (gzip or not).
    Curated rows win over what papersift extracts from abstracts."""
    with open_library(ctx) as library:
        done = library.import_paperswithcode(paths)
    for origin, kind in done.files:
        err.print(f"{escape(origin)}: {kind}")
    err.print(
        f"{done.links:,} code links and {done.results:,} results new; {len(done.rejected):,} rows skipped"
    )
    for bad in done.rejected[:20]:
        err.print(f"  [yellow]skipped[/yellow] {escape(str(bad))}")
    if len(done.rejected) > 20:
        err.print(f"  ... and {len(done.rejected) - 20:,} more")
