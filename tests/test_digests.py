"""Digests end to end, with a real SMTP server on loopback (aiosmtpd) and the real CLI.

Members subscribe, `papersift digest send` runs, the messages arrive and parse as MIME with the
expected papers and a working one-click unsubscribe; a sender killed between two messages and run
again sends each digest exactly once; nobody gets an empty digest; headers cannot be injected.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from conftest import CliRun, cli_environment, papersift_command
from papersift import Library
from papersift.errors import SubscriptionError
from papersift.members.digests import Digest, DigestEntry, build_message, merge_rankings, period_name, window
from papersift.members.mail import SmtpSender, SmtpSettings
from papersift.records import Paper

DAY = date(2026, 6, 10)


def paper(
    number: int, day: date, *, title: str, author: str = "Ada Lovelace", category: str = "cs.LG"
) -> Paper:
    return Paper(
        id=f"2606.{number:05d}",
        title=title,
        abstract=f"{title}. We study it carefully and report what we found.",
        authors=(author,),
        categories=(category,),
        published=day,
        source="test",
    )


PAPERS = [
    paper(1, date(2026, 6, 10), title="Graph rewiring for oversquashing"),
    paper(2, date(2026, 6, 10), title="Diffusion models for protein design", author="Emmy Noether"),
    paper(3, date(2026, 6, 10), title="A survey of sparse attention", category="cs.CL"),
    paper(4, date(2026, 6, 9), title="Graph transformers at scale"),  # the day before
    paper(5, date(2026, 6, 1), title="Graph rewiring, older", author="Emmy Noether"),  # the week before
]


class Sink:
    """An SMTP server that keeps what it accepts, and can kill a client when a message starts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.kill_at_message: int | None = None  # kill `victim` when this message's RCPT arrives
        self.victim: int | None = None
        self.started = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if not envelope.rcpt_tos:
            self.started += 1
            if self.started == self.kill_at_message and self.victim is not None:
                os.kill(self.victim, signal.SIGKILL)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=email_policy.default))  # type: ignore[arg-type]
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        return sorted(str(m["To"].addresses[0].addr_spec) for m in self.messages)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sink, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings = {
        "PAPERSIFT_SMTP_HOST": "127.0.0.1",
        "PAPERSIFT_SMTP_PORT": str(port),
        "PAPERSIFT_SMTP_TLS": "none",
        "PAPERSIFT_MAIL_FROM": "papersift <digest@papersift.test>",
        "PAPERSIFT_BASE_URL": "https://papers.example.org",
        "PAPERSIFT_CONFIG": "/nonexistent/papersift.toml",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.fixture
def lib(library: Library) -> Library:
    library.ingest_records(PAPERS)
    library.refresh_index()
    return library


def members(lib: Library, count: int) -> list[Any]:
    users = []
    for number in range(count):
        member = lib.accounts.sign_up(f"m{number}@example.org", "correct horse", name=f"Member {number}")
        lib.subscribe(member, "author", "Ada Lovelace")
        users.append(member)
    return users


def test_a_digest_arrives_as_valid_mime_with_the_papers_and_a_working_unsubscribe(
    smtp: tuple[Sink, int], lib: Library
) -> None:
    sink, _port = smtp
    ada = lib.accounts.sign_up("ada@example.org", "correct horse", name='Ada "the first" Lovelace')
    lib.subscribe(ada, "query", "graph rewiring", mode="keyword")
    lib.subscribe(ada, "category", "cs.CL")
    lib.subscribe(ada, "author", "Emmy Noether", frequency="weekly")
    nobody = lib.accounts.sign_up("quiet@example.org", "correct horse")
    lib.subscribe(nobody, "query", "quantum chromodynamics lattice", mode="keyword")  # matches nothing

    with SmtpSender(SmtpSettings.from_settings()) as sender:
        run = lib.send_digests(sender, day=DAY)
    assert (run.sent, run.empty) == (2, 1)  # ada daily and weekly; nobody gets an empty digest
    assert sink.recipients() == ["ada@example.org", "ada@example.org"]
    daily = next(m for m in sink.messages if "daily" in m.get_body(("plain",)).get_content())
    assert daily.is_multipart() and daily.get_content_type() == "multipart/alternative"
    text = daily.get_body(("plain",)).get_content()
    html = daily.get_body(("html",)).get_content()
    # the day's papers matching the search and the category: not the older graph-rewiring paper
    assert "Graph rewiring for oversquashing" in text and "A survey of sparse attention" in text
    assert "Graph rewiring, older" not in text and "Diffusion models" not in text
    assert "https://papers.example.org/papers/2606.00001" in html
    assert "matches your search" in text and "in cs.CL" in text
    weekly = next(m for m in sink.messages if m is not daily)
    assert "Diffusion models for protein design" in weekly.get_body(("plain",)).get_content()
    assert "Graph rewiring, older" not in weekly.get_body(("plain",)).get_content()  # 9 days old

    assert daily["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = daily["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://papers.example.org/unsubscribe/") and link in text
    assert lib.unsubscribe_by_token(link.rsplit("/", 1)[1]) == ("ada@example.org", "daily")
    assert [s.frequency for s in lib.subscriptions(ada)] == ["weekly"]
    with pytest.raises(SubscriptionError, match="not valid"):
        lib.unsubscribe_by_token(link.rsplit("/", 1)[1][:-3] + "xyz")

    # Sent once per period: running again the same day sends nothing more.
    with SmtpSender(SmtpSettings.from_settings()) as sender:
        again = lib.send_digests(sender, day=DAY)
    assert (again.sent, again.already) == (0, 1) and len(sink.messages) == 2


def test_a_killed_sender_run_again_sends_every_digest_exactly_once(
    smtp: tuple[Sink, int], lib: Library, db_path: Path, tmp_path: Path
) -> None:
    sink, _port = smtp
    users = members(lib, 5)
    lib.close()
    sink.kill_at_message = 3  # killed when the third message starts: two delivered, the third decided
    command = [*papersift_command(), "digest", "send", "--date", DAY.isoformat(), "--json"]
    env = cli_environment(db_path)
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sink.victim = first.pid
    first.communicate(timeout=120)
    assert first.returncode == -signal.SIGKILL
    assert len(sink.messages) == 2
    sink.kill_at_message = None
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert second.returncode == 0, second.stderr
    counts = json.loads(second.stdout)
    # the third, decided before the kill, is sent first; the two delivered ones are not again
    assert counts["resent"] == 1 and counts["sent"] == 2 and counts["already_sent"] == 3
    assert sink.recipients() == sorted(user.email for user in users)  # each exactly once
    third = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert json.loads(third.stdout)["sent"] == 0 and len(sink.messages) == 5


def test_the_cli_adds_members_subscribes_them_and_dry_runs(
    run_cli: CliRun, smtp: tuple[Sink, int], lib: Library
) -> None:
    sink, _port = smtp
    lib.close()
    added = run_cli(
        "user", "add", "lab@example.org", "--name", "Lab member", "--password-stdin", input="long password\n"
    )
    assert added.returncode == 0, added.stderr
    assert run_cli("subscribe", "lab@example.org", "--category", "cs.LG", "--max", "5").returncode == 0
    assert run_cli("subscribe", "lab@example.org", "--trending", "--weekly").returncode == 0
    both = run_cli("subscribe", "lab@example.org", "--trending", "--author", "X")
    assert both.returncode == 2 and "exactly one" in both.stderr
    missing = run_cli("subscribe", "nobody@example.org", "--trending")
    assert missing.returncode == 1 and "no member has the e-mail" in missing.stderr
    listed = json.loads(run_cli("user", "list", "--json").stdout)
    assert listed[0]["email"] == "lab@example.org"
    assert {(s["kind"], s["frequency"], s["max"]) for s in listed[0]["subscriptions"]} == {
        ("category", "daily", 5),
        ("trending", "weekly", 20),
    }
    dry = run_cli("digest", "send", "--dry-run", "--date", DAY.isoformat())
    assert dry.returncode == 0 and "lab@example.org" in dry.stdout and sink.messages == []
    sent = run_cli("digest", "send", "--date", DAY.isoformat(), "--json")
    assert json.loads(sent.stdout)["sent"] == 2 and len(sink.messages) == 2


def test_a_missing_smtp_server_is_a_clear_error_and_the_digest_is_sent_later(
    smtp: tuple[Sink, int], lib: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink, port = smtp
    members(lib, 1)
    monkeypatch.setenv("PAPERSIFT_SMTP_PORT", "1")  # nothing listens there
    from papersift.members.mail import MailError

    with (
        pytest.raises(MailError, match=r"cannot send through the SMTP server 127\.0\.0\.1:1"),
        SmtpSender(SmtpSettings.from_settings()) as sender,
    ):
        lib.send_digests(sender, day=DAY)
    monkeypatch.setenv("PAPERSIFT_SMTP_PORT", str(port))
    with SmtpSender(SmtpSettings.from_settings()) as sender:
        run = lib.send_digests(sender, day=DAY)
    assert (run.resent, run.sent) == (1, 0) and len(sink.messages) == 1


def test_headers_cannot_be_injected_and_addresses_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    evil = paper(9, DAY, title="Title\r\nBcc: victim@example.org")
    digest = Digest(
        "ada@example.org",
        "Ada\r\nBcc: victim@example.org",
        "daily",
        "2026-06-10",
        DAY,
        DAY,
        [DigestEntry(evil, ["by Ada"])],
    )
    message = build_message(
        digest,
        mail_from="papersift <d@example.org>",
        base_url="https://x.org",
        unsubscribe_url="https://x.org/u/t",
    )
    headers = message.as_bytes().split(b"\n\n", 1)[0]
    assert b"Bcc" not in headers.replace(b'"Ada Bcc: victim@example.org"', b"")  # inside the quoted name
    parsed = message_from_bytes(message.as_bytes(), policy=email_policy.default)
    assert parsed["Bcc"] is None and parsed["To"].addresses[0].addr_spec == "ada@example.org"
    assert "Title Bcc: victim@example.org" in parsed.get_body(("plain",)).get_content()
    monkeypatch.setenv("PAPERSIFT_MAIL_FROM", "papersift\r\nBcc: x@y.org")
    from papersift.members.mail import MailError

    with pytest.raises(MailError, match="mail_from"):
        SmtpSettings.from_settings()


def test_periods_windows_and_merging() -> None:
    assert period_name(date(2026, 11, 21), "daily") == "2026-11-21"
    assert period_name(date(2026, 11, 21), "weekly") == "2026-W47"
    assert window(date(2026, 6, 10), "daily", None) == (date(2026, 6, 9), date(2026, 6, 10))
    assert window(date(2026, 6, 10), "weekly", None) == (date(2026, 6, 3), date(2026, 6, 10))
    assert window(date(2026, 6, 10), "daily", date(2026, 6, 7)) == (date(2026, 6, 7), date(2026, 6, 10))
    from papersift.members.digests import Subscription

    a = Subscription(1, "author", "Ada", "hybrid", "daily", 2)
    b = Subscription(2, "category", "cs.LG", "hybrid", "daily", 10)
    first, second, third = PAPERS[:3]
    # `max_papers` caps each subscription: `a` brings two, so the third comes from `b` alone.
    merged = merge_rankings([(a, [first, second, third]), (b, [third])], limit=10)
    assert [e.paper.id for e in merged] == [first.id, third.id, second.id]
    assert [e.reasons for e in merged] == [["by Ada"], ["in cs.LG"], ["by Ada"]]
    # A paper two subscriptions bring moves up, with both reasons.
    both = merge_rankings([(a, [first, second]), (b, [second])], limit=10)
    assert [e.paper.id for e in both] == [second.id, first.id]
    assert both[0].reasons == ["by Ada", "in cs.LG"]
    assert [e.paper.id for e in merge_rankings([(a, [first, second])], limit=1)] == [first.id]


def test_bad_subscriptions_are_refused_with_a_reason(lib: Library) -> None:
    ada = lib.accounts.sign_up("ada@example.org", "correct horse")
    for kind, value, message in [
        ("query", "   ", "words to look for"),
        ("author", "!!", "needs a name"),
        ("category", "", "needs a category"),
        ("collection", "Nope", "no collection named"),
        ("planets", "x", "cannot subscribe"),
    ]:
        with pytest.raises(Exception, match=message):
            lib.subscribe(ada, kind, value)  # type: ignore[arg-type]
    with pytest.raises(SubscriptionError, match="1 to 100"):
        lib.subscribe(ada, "trending", max_papers=0)
    assert lib.subscriptions(ada) == []


def test_digests_by_meaning_a_collection_and_a_semantic_search(tmp_path: Path) -> None:
    """With the model: papers like a collection's, and a search matched by meaning, not words."""
    from conftest import MODEL

    topics = {
        "graphs": "Message passing on graphs: rewiring edges relieves oversquashing in graph networks.",
        "proteins": "Generative diffusion models design protein backbones that fold as intended.",
        "speech": "Speech recognition with self-supervised audio encoders for low-resource languages.",
    }
    papers = []
    for number, (topic, text) in enumerate(topics.items(), start=1):
        older = paper(number, date(2026, 6, 1), title=f"Older work on {topic}")
        newer = paper(number + 10, DAY, title=f"New results on {topic}")
        papers += [replace(older, abstract=text), replace(newer, abstract=text.replace(".", ", revisited."))]
    with Library.open(tmp_path / "lib.db", embedding_model=MODEL) as lib:
        lib.ingest_records(papers)
        lib.refresh_index()
        ada = lib.accounts.sign_up("ada@example.org", "correct horse")
        lib.save_papers(ada, ["2606.00001"], "Graphs")  # the older graphs paper
        lib.subscribe(ada, "collection", "Graphs")
        lib.subscribe(ada, "query", "folding of proteins", mode="semantic")
        digest = lib.digest(ada, DAY)
        found = {entry.paper.title: entry.reasons for entry in digest.entries}
        assert found == {
            "New results on graphs": ["like the papers in your collection “Graphs”"],
            "New results on proteins": ["matches your search “folding of proteins” (semantic)"],
        }


def test_one_digest_run_at_a_time(smtp: tuple[Sink, int], lib: Library) -> None:
    sink, _port = smtp
    members(lib, 2)
    other_run = subprocess.Popen(["sleep", "60"])  # stands for another `digest send`, still running
    try:
        assert (
            lib.store.take_lock("digest-run", f"{socket.gethostname()}:{other_run.pid}", lambda _: False)
            is None
        )
        with (
            pytest.raises(SubscriptionError, match="another digest run is in progress"),
            SmtpSender(SmtpSettings.from_settings()) as sender,
        ):
            lib.send_digests(sender, day=DAY)
        assert sink.messages == []
    finally:
        other_run.kill()
        other_run.wait()
    with SmtpSender(SmtpSettings.from_settings()) as sender:  # its holder has ended: taken over
        assert lib.send_digests(sender, day=DAY).sent == 2
    assert lib.store.take_lock("digest-run", "someone:1", lambda _: False) is None  # released


def test_a_comment_on_a_submitted_paper_emails_its_submitters_who_want_it(
    run_cli: CliRun, smtp: tuple[Sink, int], lib: Library
) -> None:
    sink, _port = smtp
    ada, bob, cleo = (
        lib.accounts.sign_up(f"{n}@example.org", "correct horse", name=n.title())
        for n in ("ada", "bob", "cleo")
    )
    lib.curation.window_days = 10_000
    for member in (ada, bob):
        lib.curation.submit(member, "2606.00001")
    lib.curation.set_comment_notifications(bob, False)
    lib.curation.add_comment(cleo, "2606.00001", "Does it **scale**? <b>really</b>")
    lib.curation.add_comment(ada, "2606.00001", "It does.")  # her own comment tells her nothing
    lib.close()
    sent = run_cli("notify", "send")
    assert sent.returncode == 0, sent.stderr
    assert sink.recipients() == ["ada@example.org"]
    message = sink.messages[0]
    assert message["Subject"] == "papersift: Cleo commented on “Graph rewiring for oversquashing”"
    assert message.get_content_type() == "text/plain"
    text = message.get_content()
    assert (
        "Does it **scale**? <b>really</b>" in text
        and "https://papers.example.org/papers/2606.00001#comment-1" in text
    )
    assert run_cli("notify", "send").stderr.strip() == "0 sent"  # nothing twice
