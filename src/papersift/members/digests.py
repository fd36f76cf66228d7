"""Digests: each subscriber's new papers, merged from their subscriptions, as one e-mail (and the
plain-text notice of a comment on a paper a member submitted, from the same templates).

Pure functions: the period a digest covers, merging the subscriptions' rankings into one list
with reasons, and the MIME message (plain text and HTML, a one-click unsubscribe link and the
`List-Unsubscribe` headers of RFC 2369 and 8058). The Library decides who gets what
(`Library.digest`) and records each decision in the store before sending (`Library.send_digests`).

A daily digest is named by its day ("2026-11-21"), a weekly one by its ISO week ("2026-W47"): one
digest per member, frequency and name, enforced by the store's primary key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from jinja2 import Environment

from papersift.records import DEFAULT_MAX_PAPERS as DEFAULT_MAX_PAPERS
from papersift.records import FOLLOWED_MAX_PAPERS as FOLLOWED_MAX_PAPERS
from papersift.records import FREQUENCIES as FREQUENCIES
from papersift.records import MAX_PAPERS as MAX_PAPERS
from papersift.records import SUBSCRIPTION_KINDS as SUBSCRIPTION_KINDS
from papersift.records import Digest as Digest
from papersift.records import DigestEntry as DigestEntry
from papersift.records import Frequency as Frequency
from papersift.records import Paper
from papersift.records import Subscription as Subscription
from papersift.records import SubscriptionKind as SubscriptionKind

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def period_name(day: date, frequency: Frequency) -> str:
    if frequency == "daily":
        return day.isoformat()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def window(day: date, frequency: Frequency, last_through: date | None) -> tuple[date, date]:
    """(since, through): papers published after `since` up to `day`. After the last digest's
    `through`, else one day or one week back (a first digest is not the whole archive)."""
    default = day - timedelta(days=1 if frequency == "daily" else 7)
    if last_through is None or last_through < default - timedelta(days=30):
        return default, day  # a member back after a month away gets the last period, not a month
    return min(last_through, day), day


def merge_rankings(rankings: Sequence[tuple[Subscription, Sequence[Paper]]], limit: int) -> list[DigestEntry]:
    """One list from each subscription's ranking, each paper once with every reason it is there.

    Ranked by the best relative position a paper has in any ranking (0 = first), a paper found by
    several subscriptions moved up by a third of a list per extra one; at most `limit` papers.
    """
    entries: dict[str, DigestEntry] = {}
    for subscription, papers in rankings:
        for position, paper in enumerate(papers[: subscription.max_papers]):
            relative = position / max(1, len(papers))
            entry = entries.get(paper.id)
            if entry is None:
                entries[paper.id] = DigestEntry(paper, [subscription.describe()], relative)
            else:
                entry.reasons.append(subscription.describe())
                entry.rank = min(entry.rank, relative) - 1 / 3
    ranked = sorted(entries.values(), key=lambda e: (e.rank, -(e.paper.published or date.min).toordinal()))
    return ranked[:limit]


def one_line(text: str) -> str:
    """Text safe for a header or a line of plain text: no control characters or line breaks."""
    return " ".join(_CONTROL.sub(" ", text).split())


@cache
def _templates() -> Environment:
    """The mail templates (Jinja is loaded when the first message is composed)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "mail_templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def comment_message(
    member: Any, author: str, comment_id: int, body: str, paper: Paper, *, base_url: str, mail_from: str
) -> EmailMessage:
    """The plain-text e-mail telling a member (`.name`, `.email`) that `author` commented on a
    paper they submitted to a daily list (`papersift.members.curation`)."""
    base_url = base_url.rstrip("/")
    paper_url = f"{base_url}/papers/{quote(paper.id, safe='/')}"
    message = EmailMessage()
    message["Subject"] = f"papersift: {one_line(author)} commented on “{one_line(paper.title)[:120]}”"
    message["From"] = mail_from
    message["To"] = Address(display_name=one_line(member.name), addr_spec=member.email)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid("comment")
    message["Auto-Submitted"] = "auto-generated"
    context = {
        "name": member.name,
        "author": author,
        "title": paper.title,
        "body": body,
        "paper_url": paper_url,
        "comment_id": comment_id,
        "settings_url": f"{base_url}/subscriptions",
        "one_line": one_line,
    }
    message.set_content(_templates().get_template("comment.txt").render(context))
    return message


def build_message(
    digest: Digest, *, mail_from: str, base_url: str, unsubscribe_url: str, domain: str | None = None
) -> EmailMessage:
    """The digest as a multipart (plain text + HTML) message with unsubscribe headers.

    Header values are built from one-line text and `Address` objects, and the message uses the
    strict default policy, which refuses a line break in any header: no header injection from a
    member's name or a paper's title.
    """
    count = len(digest.entries)
    when = digest.through.strftime("%-d %b %Y")
    subject = f"papersift: {count} new {'paper' if count == 1 else 'papers'} for you, {when}"
    context = {
        "digest": digest,
        "count": count,
        "when": when,
        "base_url": base_url.rstrip("/"),
        "unsubscribe_url": unsubscribe_url,
        "one_line": one_line,
    }
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = mail_from
    message["To"] = Address(display_name=one_line(digest.name), addr_spec=digest.email)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid("digest", domain=domain)
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_templates().get_template("digest.txt").render(context))
    message.add_alternative(_templates().get_template("digest.html").render(context), subtype="html")
    return message
