"""The CLI's commands for a lab that runs papersift for its members: accounts, subscriptions,
collections and the digest run (`papersift digest send`, from cron or a systemd timer).

Registered on the `cli` group by `papersift.cli`; like every face, they translate arguments and
print results, and the Library does the rest.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

import click
from rich.markup import escape

from papersift.cli.common import cli, date_option, err, open_library, out
from papersift.errors import PapersiftError
from papersift.library import Library
from papersift.records import DEFAULT_MAX_PAPERS, MAX_PAPERS, ROLES, User


def _member(library: Library, email: str) -> User:
    user = library.accounts.user(email)
    if user is None:
        raise PapersiftError(f"no member has the e-mail {email!r} (add one with `papersift user add`)")
    return user


def _fail(ctx: click.Context, error: PapersiftError) -> None:
    err.print(f"[red]error:[/red] {escape(error.reason)}")
    ctx.exit(error.exit_code)


# -- members ----------------------------------------------------------------------------------


@cli.group()
def user() -> None:
    """Members' accounts."""


@user.command("add")
@click.argument("email")
@click.option("--name", help="The name shown on the site and in e-mails (default: from the e-mail).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@click.pass_context
def user_add(ctx: click.Context, email: str, name: str | None, password_stdin: bool) -> None:
    """Create a member's account (they sign in on the site with it)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    with open_library(ctx) as library:
        try:
            created = library.accounts.sign_up(email, password, name=name)
        except PapersiftError as error:
            _fail(ctx, error)
            return
    err.print(f"added {escape(created.email)} ({escape(created.name)})")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def user_list(ctx: click.Context, as_json: bool) -> None:
    """Every member, with their subscriptions."""
    with open_library(ctx) as library:
        rows: list[dict[str, Any]] = []
        for member in library.accounts.users():
            subscriptions = [_subscription_json(s) for s in library.subscriptions(member)]
            rows.append(
                {
                    "email": member.email,
                    "name": member.name,
                    "role": member.role,
                    "subscriptions": subscriptions,
                }
            )
    if as_json:
        out.print_json(json.dumps(rows))
        return
    for row in rows:
        role = "" if row["role"] == "member" else f"  [{row['role']}]"
        out.print(f"{escape(row['email'])}  {escape(row['name'])}{escape(role)}", highlight=False)
        for subscription in row["subscriptions"]:
            out.print(f"  {escape(_describe(subscription))}", highlight=False)


@user.command("grant")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@click.pass_context
def user_grant(ctx: click.Context, email: str, role: str) -> None:
    """Give a member a role: curator (approves, pins, features and removes entries of the daily
    list, removes comments, confirms authorship claims), admin, or member again. Logged in the
    moderation log as done from the command line."""
    with open_library(ctx) as library:
        try:
            member = library.curation.grant(None, email, role)
        except PapersiftError as error:
            _fail(ctx, error)
            return
    err.print(f"{escape(member.email)} is now {member.role}")


def _subscription_json(subscription: Any) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "kind": subscription.kind,
        "value": subscription.value,
        "mode": subscription.mode,
        "frequency": subscription.frequency,
        "max": subscription.max_papers,
    }


def _describe(subscription: dict[str, Any]) -> str:
    what = subscription["kind"] + (f" {subscription['value']!r}" if subscription["value"] else "")
    return f"#{subscription['id']} {what}, {subscription['frequency']}, up to {subscription['max']} papers"


# -- subscriptions --------------------------------------------------------------------------


@cli.command()
@click.argument("email")
@click.option("--query", help="New papers matching this search.")
@click.option("--author", help="New papers by this author.")
@click.option("--category", help="New papers in this category (cs.LG) or archive (cs).")
@click.option("--collection", help="New papers like those in this collection of the member's.")
@click.option("--trending", is_flag=True, help="The most upvoted new papers.")
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "semantic", "keyword"]),
    default="hybrid",
    show_default=True,
    help="With --query: how it matches (keyword: every word; semantic: close in meaning; hybrid: either).",
)
@click.option("--weekly", is_flag=True, help="In the weekly digest (default: daily).")
@click.option(
    "--max",
    "max_papers",
    type=click.IntRange(1, MAX_PAPERS),
    default=DEFAULT_MAX_PAPERS,
    show_default=True,
    help="At most this many papers from this subscription in a digest.",
)
@click.pass_context
def subscribe(
    ctx: click.Context,
    email: str,
    query: str | None,
    author: str | None,
    category: str | None,
    collection: str | None,
    trending: bool,
    mode: str,
    weekly: bool,
    max_papers: int,
) -> None:
    """Subscribe a member to new papers: exactly one of --query, --author, --category,
    --collection, --trending."""
    chosen = {
        "query": query,
        "author": author,
        "category": category,
        "collection": collection,
        "trending": "" if trending else None,
    }
    given = {kind: value for kind, value in chosen.items() if value is not None}
    if len(given) != 1:
        raise click.UsageError("give exactly one of --query, --author, --category, --collection, --trending")
    [(kind, value)] = given.items()
    with open_library(ctx) as library:
        try:
            subscription = library.subscribe(
                _member(library, email),
                kind,  # type: ignore[arg-type]
                value,
                mode=mode,  # type: ignore[arg-type]
                frequency="weekly" if weekly else "daily",
                max_papers=max_papers,
            )
        except PapersiftError as error:
            _fail(ctx, error)
            return
    err.print(f"subscribed {escape(email)}: {escape(_describe(_subscription_json(subscription)))}")


# -- digests --------------------------------------------------------------------------------


@cli.group()
def digest() -> None:
    """E-mail digests of new papers."""


@digest.command("send")
@click.option(
    "--dry-run", is_flag=True, help="Compose every digest and say what would be sent; send nothing."
)
@click.option("--date", "day", callback=date_option, help="The day to send for (YYYY-MM-DD; default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's counts as JSON.")
@click.pass_context
def digest_send(ctx: click.Context, dry_run: bool, day: date | None, as_json: bool) -> None:
    """Send each subscriber the new papers of their subscriptions, at most once a day (daily)
    or a week (weekly). Safe to rerun, and to run again after a crash: nothing is sent twice or
    skipped. Exit status 1 when the SMTP server could not be used."""
    with open_library(ctx) as library:
        try:
            if dry_run:
                run = library.send_digests(lambda message: None, day=day, dry_run=True)
            else:
                with library.mail_sender() as sender:
                    run = library.send_digests(sender, day=day)
        except PapersiftError as error:
            _fail(ctx, error)
            return
    counts = {"sent": run.sent, "resent": run.resent, "already_sent": run.already, "empty": run.empty}
    if dry_run:
        counts["would_send"] = len(run.would_send)
    if as_json:
        out.print_json(json.dumps(counts))
        return
    if dry_run:
        for item in run.would_send:
            out.print(f"{escape(item.email)}: {len(item.entries)} papers ({item.frequency} {item.period})")
    err.print(", ".join(f"{value:,} {name.replace('_', ' ')}" for name, value in counts.items()))


# -- curation -----------------------------------------------------------------------------------


@cli.group()
def curation() -> None:
    """The daily lists people curate."""


@curation.command("submit")
@click.argument("reference")
@click.option("--as", "email", required=True, help="The member submitting (their e-mail).")
@click.option("--date", "day", callback=date_option, help="The day's list (YYYY-MM-DD; default: today, UTC).")
@click.pass_context
def curation_submit(ctx: click.Context, reference: str, email: str, day: date | None) -> None:
    """Submit a paper (an arXiv id or URL) to a day's list on a member's behalf."""
    with open_library(ctx) as library:
        try:
            submission = library.curation.submit(_member(library, email), reference, today=day)
        except PapersiftError as error:
            _fail(ctx, error)
            return
    err.print(f"{submission.outcome}: {escape(submission.message)}")


@curation.command("retry")
@click.pass_context
def curation_retry(ctx: click.Context) -> None:
    """Fetch the papers of submissions kept while arXiv could not be reached, and list them
    (run it from the digest timer). Exit status 1 if some are still waiting."""
    with open_library(ctx) as library:
        listed, waiting = library.curation.retry_pending()
    err.print(f"{listed:,} listed, {waiting:,} still waiting for arXiv")
    ctx.exit(1 if waiting else 0)


@curation.command("log")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def curation_log(ctx: click.Context, limit: int, as_json: bool) -> None:
    """The moderation log, newest first: who did what, and when."""
    with open_library(ctx) as library:
        rows = library.curation.log(limit)
    if as_json:
        out.print_json(json.dumps([{"at": r.at, "actor": r.actor, "action": r.action, "target": r.target,
                                    "detail": r.detail} for r in rows]))  # fmt: skip
        return
    for row in rows:
        detail = f"  ({row.detail})" if row.detail else ""
        out.print(escape(f"{row.at}  {row.actor}  {row.action}  {row.target}{detail}"), highlight=False)


@cli.group()
def notify() -> None:
    """E-mail that is not a digest: members told of comments on papers they submitted."""


@notify.command("send")
@click.pass_context
def notify_send(ctx: click.Context) -> None:
    """Send the queued notifications (run it often, e.g. every five minutes from a timer). Safe to
    rerun; exit status 1 when the SMTP server could not be used (they stay queued)."""
    with open_library(ctx) as library:
        try:
            with library.mail_sender() as sender:
                sent = library.curation.send_notifications(sender)
        except PapersiftError as error:
            _fail(ctx, error)
            return
    err.print(f"{sent:,} sent")
