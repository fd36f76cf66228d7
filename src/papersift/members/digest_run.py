"""A digest run: every subscriber's digest for a day, each sent at most once per period, one run
at a time (a lock in the store), resumable after a kill (the outbox: decided, then sent)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

from papersift.errors import SubscriptionError
from papersift.members.accounts import user_from_row
from papersift.members.digests import Digest, Frequency, build_message, period_name
from papersift.members.subscriptions import Subscriptions
from papersift.members.tokens import Tokens
from papersift.store import Store


@dataclass
class DigestRun:
    """What `send_digests` did: digests sent, sent again after an interrupted run, found already
    sent for the period, left unsent because they would be empty; with a dry run, the digests."""

    sent: int = 0
    resent: int = 0
    already: int = 0
    empty: int = 0
    would_send: list[Digest] = field(default_factory=list)


class DigestSender:
    def __init__(
        self, store: Store, subscriptions: Subscriptions, tokens: Tokens, *, base_url: str, mail_from: str
    ) -> None:
        self.store = store
        self.subscriptions = subscriptions
        self.tokens = tokens
        self.base_url = base_url
        self.mail_from = mail_from

    def send_digests(
        self,
        send: Callable[[EmailMessage], None],
        *,
        day: date | None = None,
        base_url: str | None = None,
        mail_from: str | None = None,
        dry_run: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> DigestRun:
        """Send each subscriber their digest for `day` (today), at most once per period.

        Digests an interrupted run decided are sent first. Then for each member with subscriptions,
        the digest is composed and, if it holds any paper, recorded as decided (with the whole
        message) in one transaction, sent, and marked sent. A run killed at any point and run
        again sends every digest once; the one gap is a kill between the SMTP server taking a
        message and the mark (microseconds), which sends that message again.
        """
        day = day or date.today()
        base_url = (base_url or self.base_url).rstrip("/")
        mail_from = mail_from or self.mail_from
        if dry_run:
            return self._send(send, day, base_url, mail_from, dry_run, on_progress)
        # One run at a time: two would both send what a killed run had decided. The lock names
        # this process; a holder on this machine that no longer runs is taken over.
        owner = f"{socket.gethostname()}:{os.getpid()}"
        holder = self.store.take_lock("digest-run", owner, _process_is_gone)
        if holder is not None:
            raise SubscriptionError(f"another digest run is in progress ({holder}); try again when it ends")
        try:
            return self._send(send, day, base_url, mail_from, dry_run, on_progress)
        finally:
            self.store.release_lock("digest-run", owner)

    def _send(
        self,
        send: Callable[[EmailMessage], None],
        day: date,
        base_url: str,
        mail_from: str,
        dry_run: bool,
        on_progress: Callable[[int, int], None] | None,
    ) -> DigestRun:
        run = DigestRun()
        if not dry_run:
            for unsent in self.store.unsent_digests():
                send(message_from_bytes(unsent.message, policy=email_policy.default))
                self.store.mark_digest_sent(unsent.user_id, unsent.frequency, unsent.period)
                run.resent += 1
        members = {row.id: row for row in self.store.iter_users()}
        by_member: dict[tuple[int, str], int] = {}
        for subscription in self.store.subscriptions():
            key = (subscription.user_id, subscription.frequency)
            by_member[key] = by_member.get(key, 0) + 1
        for user_id in self.store.collection_followers():  # followed collections come daily
            by_member.setdefault((user_id, "daily"), 0)
        for done, (user_id, frequency) in enumerate(by_member, start=1):
            if on_progress:
                on_progress(done, len(by_member))
            row = members[user_id]
            user = user_from_row(row)
            freq: Frequency = "weekly" if frequency == "weekly" else "daily"
            if self.store.digest_status(user_id, freq, period_name(day, freq)) is not None:
                run.already += 1
                continue
            digest = self.subscriptions.digest(user, day, freq)
            if not digest.entries:
                run.empty += 1
                continue
            token = self.tokens.unsubscribe_token(user, freq)
            message = build_message(
                digest,
                mail_from=mail_from,
                base_url=base_url,
                unsubscribe_url=f"{base_url}/unsubscribe/{token}",
            )
            if dry_run:
                run.would_send.append(digest)
                continue
            papers = [entry.paper.id for entry in digest.entries]
            claimed = self.store.claim_digest(
                user_id,
                freq,
                digest.period,
                papers,
                str(message["Message-ID"]),
                message.as_bytes(),
                digest.through.isoformat(),
            )
            if not claimed:  # another run decided it meanwhile
                run.already += 1
                continue
            send(message)
            self.store.mark_digest_sent(user_id, freq, digest.period)
            run.sent += 1
        return run


def _process_is_gone(owner: str) -> bool:
    """Whether the holder of a lock ("host:pid") is a process of this machine that has ended."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: only its own end (or an operator) frees it
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
