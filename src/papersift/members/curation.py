"""Curated by people: the day's list that members submit papers to and curators keep, comments on
papers, public collections that others follow, and authorship claims.

- **The day's list.** A member submits a paper (an arXiv id or URL, or from its page) to today's
  list (UTC). A paper not in the library is fetched from the arXiv API; when arXiv cannot be
  reached the submission is kept (`pending_submissions`) and listed once `retry_pending` gets the
  metadata (the CLI's `papersift curation retry`, from the same timer as the digests). One paper
  on one day is one entry, however many submit it (the table's key decides, for every worker at
  once). A paper published more than `submission_window_days` (14, as on Hugging Face) before the
  day is refused with its date. On an "open" site entries are listed at once; on a "moderated"
  one they wait for a curator (a curator's own submission is approved by submitting it). The list
  is ranked pinned first, then by upvotes, then by who came first.
- **Roles.** Members submit, comment and claim; curators approve, pin, feature and remove entries,
  remove comments and decide claims; admins grant roles (and the CLI, run by whoever runs the
  machine: `papersift user grant EMAIL curator`). Every moderation action is written to the
  moderation log, with who and when, in the transaction that makes it.
- **Abuse.** Submissions and comments are counted per member over the last hour from their own
  tables (so every worker counts alike); over the limit they are refused with the wait.
  Comments are Markdown, rendered by `papersift.web.render.comment_html` (no raw HTML, no
  script links, images shown as links). A removed comment is kept for the log but shown nowhere.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Literal

from papersift import sources
from papersift.catalog import Catalog
from papersift.errors import CurationError, HarvestError, NotAllowed, PaperNotFound, RateLimited
from papersift.feeds.periods import Period, period_span
from papersift.ids import parse_arxiv_id
from papersift.ingest.harvest import PoliteClient, fetch_arxiv
from papersift.ingest.pipeline import Ingester
from papersift.members.accounts import ROLES, Accounts, User, user_from_row
from papersift.members.collections import Collections
from papersift.members.digests import comment_message
from papersift.records import ACTIONS as ACTIONS
from papersift.records import Action as Action
from papersift.records import Claim as Claim
from papersift.records import Comment as Comment
from papersift.records import CuratedDay as CuratedDay
from papersift.records import DailyEntry as DailyEntry
from papersift.records import Mode as Mode
from papersift.records import Paper, SavedPaper
from papersift.records import PublicCollection as PublicCollection
from papersift.records import Submission as Submission
from papersift.records import Submitter as Submitter
from papersift.settings import Settings
from papersift.store import (
    ClaimRow,
    CommentRow,
    EntryRow,
    LogRow,
    PendingRow,
    PublicCollectionRow,
    Store,
    SubmitterRow,
)

SUBMISSIONS_PER_HOUR = 20
COMMENTS_PER_HOUR = 30
MAX_COMMENT_LENGTH = 10_000
# A submission waits this long for arXiv at most: the member is waiting for the page.
FETCH_TIMEOUT = 10.0
LISTED = ("approved",)
LISTED_OR_WAITING = ("approved", "pending")


class Curation:
    """Curation for one library (`Library.curation`)."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        accounts: Accounts,
        ingester: Ingester,
        collections: Collections,
        settings: Settings,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.accounts = accounts
        self.ingester = ingester
        self.collections = collections
        self.settings = settings
        mode = settings["curation"]
        if mode not in ("open", "moderated"):
            raise CurationError(f"the curation setting must be open or moderated, not {mode!r}")
        self.mode: Mode = "open" if mode == "open" else "moderated"
        self.window_days = _positive_int(settings["submission_window_days"], "submission_window_days")
        self.arxiv_api = settings["arxiv_api"]

    # -- the day's list ---------------------------------------------------------------------

    def submit(
        self, user: User, reference: str, *, today: date | None = None, client: PoliteClient | None = None
    ) -> Submission:
        """Submit a paper to today's list by arXiv id or URL (abs, pdf, versioned, old-style), or
        by the id of a paper in the library."""
        day = today or _today()
        self._check_rate(user, "submission", self.store.submissions_since, SUBMISSIONS_PER_HOUR)
        reference = reference.strip()
        parsed = parse_arxiv_id(reference)
        pk = self.catalog.find_pk(reference) if reference else None
        if pk is None and parsed is None:
            raise CurationError(
                f"{reference[:100]!r} is not an arXiv id or URL (like 2401.01234, arXiv:2401.01234v2, "
                "https://arxiv.org/abs/2401.01234) nor a paper in this library"
            )
        arxiv_id = parsed[0] if parsed else None
        if pk is None:
            assert arxiv_id is not None
            try:
                pk = self._fetch(arxiv_id, client)
            except HarvestError as error:
                self.store.add_pending_submission(arxiv_id, day, user.id, error.reason)
                return Submission(
                    "awaiting-metadata",
                    day,
                    arxiv_id,
                    None,
                    f"arXiv could not be reached ({error.reason}); the submission of {arxiv_id} is kept "
                    "and will be listed once its metadata comes",
                )
        return self._add(user, pk, day)

    def _add(self, user: User, pk: int, day: date) -> Submission:
        paper = self.store.papers_by_pk([pk])[pk]
        if paper.published and paper.published < day - timedelta(days=self.window_days):
            raise CurationError(
                f"{paper.id} was published on {paper.published.isoformat()}, more than "
                f"{self.window_days} days before {day.isoformat()}: the day's list takes recent papers only"
            )
        approved = self.mode == "open" or user.is_curator
        with self.store.transaction():
            existing = self.store.entry(day, pk)
            if existing is not None and existing.status == "removed":
                raise CurationError(f"{paper.id} was removed from the list of {day.isoformat()} by a curator")
            joined = self.store.add_entry(day, pk, user.id, "approved" if approved else "pending").joined
            if user.is_curator and existing is not None and existing.status == "pending":
                self._moderate_entry(user, day, pk, paper.id, "approve")
            entry = self.store.entry(day, pk)
            assert entry is not None
            status = entry.status
        if not joined:
            outcome: Literal["listed", "awaiting-approval", "already-listed"] = "already-listed"
            message = f"you had submitted {paper.id} to the list of {day.isoformat()} already"
        elif status == "approved":
            outcome, message = "listed", f"{paper.id} is on the list of {day.isoformat()}"
        else:
            outcome = "awaiting-approval"
            message = f"{paper.id} will be on the list of {day.isoformat()} once a curator approves it"
        return Submission(outcome, day, paper.arxiv_id, paper, message)

    def _fetch(self, arxiv_id: str, client: PoliteClient | None) -> int:
        """Import one paper from the arXiv API; its pk."""
        own = client is None
        polite = client or PoliteClient(timeout=FETCH_TIMEOUT, max_attempts=1, max_polite_waits=0, delay=0)
        try:
            page = fetch_arxiv([arxiv_id], base_url=self.arxiv_api, client=polite)
        finally:
            if own:
                polite.close()
        with self.store.transaction():
            records = sources.read_stream(io.BytesIO(page.content), page.url, page.format)
            self.ingester.ingest_records(records, origin=page.url)
        self.ingester.refresh_index()
        pk = self.catalog.find_pk(arxiv_id)
        if pk is None:
            raise CurationError(f"arXiv has no paper {arxiv_id}")
        return pk

    def retry_pending(self, *, client: PoliteClient | None = None) -> tuple[int, int]:
        """Fetch the papers of kept submissions and list them: (listed, still waiting). A paper
        arXiv does not have, or one too old for its day, is dropped with the reason logged."""
        listed = 0
        unreachable: set[str] = set()  # one failed fetch per paper and run, however many submitted it
        for row in self.store.pending_submissions():
            if row.arxiv_id in unreachable:
                continue
            user_row = self.store.user_row(user_id=row.user_id)
            try:
                pk = self.catalog.find_pk(row.arxiv_id) or self._fetch(row.arxiv_id, client)
                if user_row is not None:
                    self._add(user_from_row(user_row), pk, row.day)
                    listed += 1
            except HarvestError as error:
                self.store.pending_attempt_failed(row.arxiv_id, error.reason)
                unreachable.add(row.arxiv_id)
                continue
            except CurationError as refused:
                with self.store.transaction():
                    self.store.log_moderation(
                        None, "papersift", "drop-submission", f"arxiv:{row.arxiv_id}", refused.reason
                    )
            with self.store.transaction():
                self.store.drop_pending_submission(row.arxiv_id, row.day, row.user_id)
        return listed, len(self.store.pending_submissions())

    def day(self, day: date | None = None, *, include_pending: bool = False) -> CuratedDay:
        """A day's list (default: the newest day with one), ranked; with `include_pending`, also
        the entries waiting for a curator."""
        statuses = LISTED_OR_WAITING if include_pending else LISTED
        days = self.store.curated_days(LISTED)
        day = day or (days[0] if days else _today())
        entries = self._entries(self.store.entries(day, statuses))
        before = next((d for d in days if d < day), None)
        after = next((d for d in reversed(days) if d > day), None)
        return CuratedDay(day, entries, before, after)

    def listed(
        self, first: date | None, period: Period = "day", *, newest_first: bool = False
    ) -> list[DailyEntry]:
        """The listed entries of a day, week or month (default: the newest day with a list),
        ranked as a day is (pinned, upvotes) or newest submission first."""
        if first is None:
            days = self.store.curated_days(LISTED)
            if not days:
                return []
            first = days[0]
        start, end = period_span(first, period)
        return self._entries(self.store.entries_between(start, end, LISTED, newest_first=newest_first))

    def has_lists(self) -> bool:
        """Whether any day has a curated list (else the home page shows every new paper)."""
        return self.store.has_entries("approved")

    def waiting_for_metadata(self, user: User) -> list[PendingRow]:
        """The member's submissions kept while arXiv could not be reached."""
        return self.store.pending_submissions(user.id)

    def waiting_for_approval(self) -> list[DailyEntry]:
        return self._entries(self.store.pending_entries())

    def entries_of(self, paper_id: str) -> list[DailyEntry]:
        """The lists a paper is on or waiting for (not those a curator removed it from), newest
        day first."""
        pk = self.catalog.pk(paper_id)
        return self._entries([row for row in self.store.entries_of_paper(pk) if row.status != "removed"])

    def _entries(self, rows: list[EntryRow]) -> list[DailyEntry]:
        """Entries (of any days) with their papers, submitters and comment counts, in `rows`' order."""
        pks = sorted({row.pk for row in rows})
        papers = self.store.papers_by_pk(pks)
        comments = self.store.comment_counts(pks)
        submitters: dict[tuple[date, int], list[SubmitterRow]] = {}
        for day in {row.day for row in rows}:
            found = self.store.submitters(day, [row.pk for row in rows if row.day == day])
            submitters.update(((day, pk), names) for pk, names in found.items())
        return [
            DailyEntry(
                papers[row.pk],
                row.day,
                row.status,
                row.pinned,
                row.featured,
                row.votes,
                comments.get(row.pk, 0),
                tuple(
                    Submitter(s.user_id, s.name, s.submitted_at)
                    for s in submitters.get((row.day, row.pk), [])
                ),
                row.submitted_at,
            )
            for row in rows
            if row.pk in papers
        ]

    def moderate(self, curator: User, day: date, paper_id: str, action: Action) -> DailyEntry:
        """Approve, pin, unpin, feature, unfeature, remove or restore an entry of a day's list."""
        _require(curator, "curator", f"{action} entries of the daily list")
        if action not in ACTIONS:
            raise CurationError(f"unknown action {action!r} (known: {', '.join(ACTIONS)})")
        pk = self.catalog.pk(paper_id)
        with self.store.transaction():
            if self.store.entry(day, pk) is None:
                raise CurationError(f"{paper_id} is not on the list of {day.isoformat()}")
            self._moderate_entry(curator, day, pk, paper_id, action)
            row = self.store.entry(day, pk)
        assert row is not None
        return self._entries([row])[0]

    def _moderate_entry(self, curator: User, day: date, pk: int, paper_id: str, action: Action) -> None:
        changes: dict[Action, dict[str, str | bool]] = {
            "approve": {"status": "approved"},
            "restore": {"status": "approved"},
            "remove": {"status": "removed"},
            "pin": {"pinned": True},
            "unpin": {"pinned": False},
            "feature": {"featured": True},
            "unfeature": {"featured": False},
        }
        self.store.set_entry(day, pk, **changes[action])  # type: ignore[arg-type]
        self.store.log_moderation(curator.id, curator.email, action, f"daily:{day.isoformat()}:{paper_id}")

    # -- roles and the log ------------------------------------------------------------------

    def grant(self, actor: User | None, email: str, role: str) -> User:
        """Give a member a role (member, curator, admin). `actor` None: the machine's operator (CLI)."""
        if actor is not None:
            _require(actor, "admin", "grant roles")
        if role not in ROLES:
            raise CurationError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
        member = self.accounts.user(email)
        if member is None:
            raise CurationError(f"no member has the e-mail {email!r}")
        with self.store.transaction():
            self.store.set_role(member.id, role)
            self.store.log_moderation(
                actor.id if actor else None,
                actor.email if actor else "command line",
                "grant",
                f"user:{member.email}",
                role,
            )
        found = self.accounts.user(email)
        assert found is not None
        return found

    def staff(self) -> list[tuple[str, str, str]]:
        """(e-mail, name, role) of curators and admins."""
        return [(row.email, row.name, row.role) for row in self.store.users_with_role(("curator", "admin"))]

    def log(self, limit: int = 100, offset: int = 0) -> list[LogRow]:
        return self.store.moderation_log(limit, offset)

    # -- comments ---------------------------------------------------------------------------

    def comments(self, paper_id: str) -> list[Comment]:
        pk = self.catalog.pk(paper_id)
        return [self._comment(row, paper_id) for row in self.store.comments_of(pk)]

    def comment_counts(self, paper_ids: list[str]) -> dict[str, int]:
        pks = self.catalog.pks_of(paper_ids)
        counts = self.store.comment_counts(list(pks.values()))
        return {paper_id: counts.get(pk, 0) for paper_id, pk in pks.items()}

    def add_comment(self, user: User, paper_id: str, body: str) -> Comment:
        pk = self.catalog.pk(paper_id)
        body = _comment_body(body)
        self._check_rate(user, "comment", self.store.comments_since, COMMENTS_PER_HOUR)
        with self.store.transaction():  # the comment and the e-mails it causes, or neither
            comment_id = self.store.add_comment(pk, user.id, body)
            row = self.store.comment(comment_id)
            assert row is not None
            comment = self._comment(row, self._paper_id(pk))
            submitters = [u for u in self.store.submitters_of_paper(pk) if u != user.id]
            paper = self.store.papers_by_pk([pk])[pk]
            for user_id in sorted(self.store.notify_comments(submitters)):
                member_row = self.store.user_row(user_id=user_id)
                if member_row is not None:
                    message = comment_message(
                        user_from_row(member_row),
                        comment.author,
                        comment.id,
                        comment.body,
                        paper,
                        base_url=self.settings["base_url"],
                        mail_from=self.settings["mail_from"],
                    )
                    self.store.queue_mail(user_id, message.as_bytes())
        return comment

    def set_comment_notifications(self, user: User, notify: bool) -> None:
        """Whether the member is e-mailed when a paper they submitted gets a comment."""
        self.store.set_notify_comments(user.id, notify)

    def comment_notifications(self, user: User) -> bool:
        return bool(self.store.notify_comments([user.id]))

    def send_notifications(self, send: Callable[[EmailMessage], None]) -> int:
        """Send the queued comment notifications, oldest first; each is marked sent once the SMTP
        server took it (a crash between the two sends one again, never loses one). How many."""
        sent = 0
        while batch := self.store.unsent_mail():
            for mail_id, raw in batch:
                send(message_from_bytes(raw, policy=email_policy.default))
                self.store.mark_mail_sent(mail_id)
                sent += 1
        return sent

    def edit_comment(self, user: User, comment_id: int, body: str) -> Comment:
        row = self._own_comment(user, comment_id, "edit")
        self.store.edit_comment(comment_id, _comment_body(body))
        edited = self.store.comment(comment_id)
        assert edited is not None
        return self._comment(edited, self._paper_id(row.pk))

    def delete_comment(self, user: User, comment_id: int, *, reason: str = "") -> None:
        """Delete one's own comment, or (a curator) remove anyone's; either way it is logged."""
        row = self.store.comment(comment_id)
        if row is None or row.removed:
            raise CurationError(f"there is no comment {comment_id}")
        if row.user_id != user.id:
            _require(user, "curator", "remove other members' comments")
        with self.store.transaction():
            self.store.remove_comment(comment_id, user.id)
            action = "delete-own-comment" if row.user_id == user.id else "remove-comment"
            self.store.log_moderation(
                user.id, user.email, action, f"comment:{comment_id}:{self._paper_id(row.pk)}", reason
            )

    def _own_comment(self, user: User, comment_id: int, verb: str) -> CommentRow:
        row = self.store.comment(comment_id)
        if row is None or row.removed:
            raise CurationError(f"there is no comment {comment_id}")
        if row.user_id != user.id:
            raise NotAllowed(f"only its author can {verb} comment {comment_id}")
        return row

    def _comment(self, row: CommentRow, paper_id: str) -> Comment:
        return Comment(row.id, paper_id, row.user_id, row.author, row.body, row.created_at, row.edited_at)

    def _paper_id(self, pk: int) -> str:
        return self.store.papers_by_pk([pk])[pk].id

    # -- public collections -----------------------------------------------------------------

    def set_public(self, user: User, name: str, public: bool = True) -> int:
        """Make a member's collection public (or private again); its id, the stable address."""
        collection_id = self.collections.collection_id(user, name)
        self.store.set_collection_public(collection_id, public)
        return collection_id

    def visibility(self, user: User, name: str) -> tuple[int, bool]:
        """(id, public) of one of a member's collections."""
        collection_id = self.collections.collection_id(user, name)
        row = self.store.collection_row(collection_id)
        return collection_id, bool(row and row.public)

    def public_collection(self, collection_id: int) -> PublicCollection:

        row = self.store.collection_row(collection_id)
        if row is None or not row.public:
            raise PaperNotFound(f"there is no public collection {collection_id}")
        rows = self.store.saved_in(collection_id)
        papers = self.store.papers_by_pk([item.pk for item in rows])
        saved = [SavedPaper(papers[pk], note, saved_at) for pk, note, saved_at in rows if pk in papers]
        return PublicCollection(collection_id, row.name, row.owner, row.owner_id, row.followers, saved)

    def public_collections(self, user: User | None = None) -> list[PublicCollectionRow]:
        """(id, name, owner, papers) of every public collection (of one member)."""
        return self.store.public_collections(user.id if user else None)

    def follow(self, user: User, collection_id: int, follow: bool = True) -> None:
        collection = self.public_collection(collection_id)  # only public ones can be followed
        if collection.owner_id == user.id and follow:
            raise CurationError("you cannot follow your own collection")
        self.store.follow_collection(user.id, collection_id, follow)

    def followed(self, user: User) -> list[int]:
        return self.store.followed_collections(user.id)

    # -- authorship claims ------------------------------------------------------------------

    def claim(self, user: User, paper_id: str, author: str) -> None:
        """Claim to be one of a paper's authors (named as the paper lists them)."""
        paper = self.catalog.paper(paper_id)
        if author not in paper.authors:
            raise CurationError(
                f"{author!r} is not an author of {paper.id} (its authors: {', '.join(paper.authors)})"
            )
        if not self.store.add_claim(user.id, self.catalog.pk(paper.id), author):
            raise CurationError(f"you have claimed {paper.id} already")

    def decide_claim(self, curator: User, email: str, paper_id: str, *, confirm: bool) -> None:
        _require(curator, "curator", "decide authorship claims")
        member = self.accounts.user(email)
        pk = self.catalog.pk(paper_id)
        if member is None or not self.store.claims(user_id=member.id, pk=pk):
            raise CurationError(f"{email} has not claimed {paper_id}")
        with self.store.transaction():
            self.store.decide_claim(member.id, pk, "confirmed" if confirm else "rejected")
            self.store.log_moderation(
                curator.id,
                curator.email,
                "confirm-claim" if confirm else "reject-claim",
                f"claim:{member.email}:{paper_id}",
            )

    def claims(self, status: str | None = "pending", *, user: User | None = None) -> list[Claim]:
        return self._claims(self.store.claims(status=status, user_id=user.id if user else None))

    def _claims(self, rows: list[ClaimRow]) -> list[Claim]:
        papers = self.store.papers_by_pk([row.pk for row in rows])
        return [
            Claim(row.name, row.email, papers[row.pk], row.author, row.status, row.created_at)
            for row in rows
            if row.pk in papers
        ]

    def claim_of(self, user: User, paper_id: str) -> Claim | None:
        """The member's claim on a paper, whatever its status."""
        rows = self.store.claims(user_id=user.id, pk=self.catalog.pk(paper_id))
        return self._claims(rows)[0] if rows else None

    def claimed_by(self, author: str) -> list[tuple[str, list[Paper]]]:
        """Members confirmed as `author`, each with the papers confirmed: (member's name, papers)."""
        by_member: dict[str, list[Paper]] = {}
        for claim in self.claims("confirmed"):
            if claim.author.casefold() == author.casefold():
                by_member.setdefault(claim.member, []).append(claim.paper)
        return sorted(by_member.items())

    # -- limits -----------------------------------------------------------------------------

    def _check_rate(
        self, user: User, what: str, count_since: Callable[[int, str], int], per_hour: int
    ) -> None:
        """Members' submissions and comments are limited per hour (curators' are not)."""
        if user.is_curator:
            return
        since = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
        if count_since(user.id, since) >= per_hour:
            raise RateLimited(f"at most {per_hour} {what}s an hour; try again later", retry_after=3600)


def _require(user: User, role: Literal["curator", "admin"], what: str) -> None:
    allowed = user.is_admin if role == "admin" else user.is_curator
    if not allowed:
        raise NotAllowed(f"only {role}s can {what}")


def _comment_body(body: str) -> str:
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise CurationError("a comment cannot be empty")
    if len(text) > MAX_COMMENT_LENGTH:
        raise CurationError(f"a comment has at most {MAX_COMMENT_LENGTH:,} characters ({len(text):,} given)")
    return text


def _positive_int(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise CurationError(f"the {name} setting must be a whole number of days, not {value!r}")
    return number


def _today() -> date:
    return datetime.now(UTC).date()
