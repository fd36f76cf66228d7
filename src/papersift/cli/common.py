"""What every command shares: the `papersift` group and its `--db`, the consoles, opening the
Library with papersift's errors rendered as one-line messages, date options.

Exit codes, so cron and scripts can chain commands: 0 success; 1 something was rejected or
failed (the messages say what and where); 2 a usage error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from papersift import __version__
from papersift.errors import PapersiftError
from papersift.library import Library
from papersift.settings import SETTINGS

DEMO_CORPUS = Path(__file__).parent.parent / "data" / "demo.jsonl.gz"
DB_SETTING = next(s for s in SETTINGS if s.name == "db")

# Papers' text is data, not markup: no emoji codes (":100:" in "file:100:"), no highlighting.
out = Console(soft_wrap=True, highlight=False, emoji=False)
err = Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)


@contextmanager
def open_library(ctx: click.Context) -> Iterator[Library]:
    """Open the library of `--db`, rendering papersift's errors as one-line messages."""
    try:
        with Library.open(ctx.obj["db"]) as library:
            yield library
    except PapersiftError as error:
        err.print(f"[red]error:[/red] {escape(error.reason)}")
        ctx.exit(error.exit_code)


def date_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2025-03-18") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar=DB_SETTING.env,
    default=DB_SETTING.default,
    show_default=True,
    type=click.Path(dir_okay=False),
    help=f"{DB_SETTING.help.capitalize()} [env {DB_SETTING.env}].",
)
@click.version_option(__version__, prog_name="papersift")
@click.pass_context
def cli(ctx: click.Context, db: str) -> None:
    """papersift: find, follow and keep research papers, on your own machine."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
