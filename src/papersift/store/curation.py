"""The store's statements for curation by people: roles, the curated daily list, submissions
waiting for metadata, comments, public collections, authorship claims and the moderation log.

A mixin of `SQLStore` (same backends, same `?` statements); kept apart because it is one
capability with its own tables (`sqlite_0006_curation.sql`). Every write that a moderator makes
goes with its log row in one transaction (`log_moderation` inside the caller's transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import TYPE_CHECKING, Any

from papersift.store.rows import (
    ClaimRow,
    CollectionRow,
    CommentRow,
    EntryAdded,
    EntryRow,
    LogRow,
    MailRow,
    PendingRow,
    PublicCollectionRow,
    StaffRow,
    SubmitterRow,
)
from papersift.store.values import as_day, as_text
from papersift.store.values import now_text as _now

_ENTRY_COLUMNS = (
    "e.day, e.pk, e.status, e.pinned, e.featured, e.submitted_at, "
    "(SELECT count(*) FROM votes v WHERE v.pk = e.pk) AS upvotes"
)
# Pinned first, then most upvoted, then first submitted.
_ENTRY_ORDER = "e.pinned DESC, upvotes DESC, e.submitted_at, e.pk"


class CurationStatements:
    """Mixed into `SQLStore`, which supplies these three."""

    if TYPE_CHECKING:

        def transaction(self) -> AbstractContextManager[None]: ...

        def _execute(self, sql: str, parameters: Sequence[Any] = ()) -> Any: ...

        def _insert(self, sql: str, parameters: Sequence[Any], key: str) -> int: ...

    # -- roles ------------------------------------------------------------------------------

    def set_role(self, user_id: int, role: str) -> None:
        self._execute("UPDATE users SET role = ? WHERE id = ?", (role, user_id))

    def users_with_role(self, roles: Sequence[str]) -> list[StaffRow]:
        """The members with one of `roles`, by e-mail."""
        marks = ", ".join("?" * len(roles))
        rows = self._execute(
            f"SELECT id, email, name, role FROM users WHERE role IN ({marks}) ORDER BY lower(email)",
            tuple(roles),
        )
        return [StaffRow(user_id, email, name, role) for user_id, email, name, role in rows]

    # -- the curated daily list -------------------------------------------------------------

    def add_entry(self, day: date, pk: int, user_id: int, status: str) -> EntryAdded:
        """Put a paper on a day's list for a submitter: whether the entry and the submitter are new.
        A second submitter of the same paper and day joins the existing entry."""
        with self.transaction():
            now = _now()
            created = self._execute(
                "INSERT INTO daily_entries (day, pk, status, submitted_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (day.isoformat(), pk, status, now),
            ).rowcount
            joined = self._execute(
                "INSERT INTO daily_submitters (day, pk, user_id, submitted_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (day.isoformat(), pk, user_id, now),
            ).rowcount
            return EntryAdded(created=bool(created > 0), joined=bool(joined > 0))

    def entries(
        self, day: date, statuses: Sequence[str], *, limit: int = 1000, offset: int = 0
    ) -> list[EntryRow]:
        """A day's entries in one of `statuses`, pinned first, then by upvotes."""
        marks = ", ".join("?" * len(statuses))
        rows = self._execute(
            f"SELECT {_ENTRY_COLUMNS} FROM daily_entries e WHERE e.day = ? AND e.status IN ({marks}) "
            f"ORDER BY {_ENTRY_ORDER} LIMIT ? OFFSET ?",
            (day.isoformat(), *statuses, limit, offset),
        )
        return [_entry(row) for row in rows]

    def entries_between(
        self, first: date, last: date, statuses: Sequence[str], *, newest_first: bool = False
    ) -> list[EntryRow]:
        """The entries of the days from `first` to `last`: ranked as a day is, or newest first."""
        marks = ", ".join("?" * len(statuses))
        order = "e.submitted_at DESC, e.pk DESC" if newest_first else _ENTRY_ORDER
        rows = self._execute(
            f"SELECT {_ENTRY_COLUMNS} FROM daily_entries e WHERE e.day >= ? AND e.day <= ? "
            f"AND e.status IN ({marks}) ORDER BY {order}",
            (first.isoformat(), last.isoformat(), *statuses),
        )
        return [_entry(row) for row in rows]

    def entry(self, day: date, pk: int) -> EntryRow | None:
        row = self._execute(
            f"SELECT {_ENTRY_COLUMNS} FROM daily_entries e WHERE e.day = ? AND e.pk = ?",
            (day.isoformat(), pk),
        ).fetchone()
        return _entry(row) if row else None

    def entries_of_paper(self, pk: int) -> list[EntryRow]:
        """The days a paper was submitted to, newest first."""
        rows = self._execute(
            f"SELECT {_ENTRY_COLUMNS} FROM daily_entries e WHERE e.pk = ? ORDER BY e.day DESC", (pk,)
        )
        return [_entry(row) for row in rows]

    def set_entry(
        self,
        day: date,
        pk: int,
        *,
        status: str | None = None,
        pinned: bool | None = None,
        featured: bool | None = None,
    ) -> bool:
        """Change an entry; whether there was one."""
        changes = [
            (column, value)
            for column, value in (
                ("status", status),
                ("pinned", None if pinned is None else int(pinned)),
                ("featured", None if featured is None else int(featured)),
            )
            if value is not None
        ]
        assignments = ", ".join(f"{column} = ?" for column, _ in changes)
        cursor = self._execute(
            f"UPDATE daily_entries SET {assignments} WHERE day = ? AND pk = ?",
            (*(value for _, value in changes), day.isoformat(), pk),
        )
        return bool(cursor.rowcount > 0)

    def submitters(self, day: date, pks: Sequence[int]) -> dict[int, list[SubmitterRow]]:
        """pk -> who submitted it to the day's list, first submitter first."""
        found: dict[int, list[SubmitterRow]] = {}
        if not pks:
            return found
        marks = ", ".join("?" * len(pks))
        rows = self._execute(
            "SELECT s.day, s.pk, s.user_id, u.name, s.submitted_at FROM daily_submitters s "
            f"JOIN users u ON u.id = s.user_id WHERE s.day = ? AND s.pk IN ({marks}) "
            "ORDER BY s.submitted_at, s.user_id",
            (day.isoformat(), *pks),
        )
        for day_value, pk, user_id, name, submitted_at in rows:
            found.setdefault(pk, []).append(
                SubmitterRow(_date(day_value), pk, user_id, name, _time(submitted_at))
            )
        return found

    def curated_days(self, statuses: Sequence[str]) -> list[date]:
        """Every day with an entry in one of `statuses`, newest first."""
        marks = ", ".join("?" * len(statuses))
        rows = self._execute(
            f"SELECT DISTINCT day FROM daily_entries WHERE status IN ({marks}) ORDER BY day DESC",
            tuple(statuses),
        )
        return [_date(day) for (day,) in rows]

    def has_entries(self, status: str) -> bool:
        """Whether any entry has this status (read on every home page: stops at the first)."""
        return (
            self._execute("SELECT 1 FROM daily_entries WHERE status = ? LIMIT 1", (status,)).fetchone()
            is not None
        )

    def pending_entries(self, limit: int = 200) -> list[EntryRow]:
        """Entries waiting for a curator (moderated sites), oldest first."""
        rows = self._execute(
            f"SELECT {_ENTRY_COLUMNS} FROM daily_entries e WHERE e.status = 'pending' "
            "ORDER BY e.submitted_at, e.pk LIMIT ?",
            (limit,),
        )
        return [_entry(row) for row in rows]

    def submissions_since(self, user_id: int, since: str) -> int:
        """How many submissions a member made since an instant (for the rate limit)."""
        listed = self._execute(
            "SELECT count(*) FROM daily_submitters WHERE user_id = ? AND submitted_at >= ?", (user_id, since)
        ).fetchone()[0]
        waiting = self._execute(
            "SELECT count(*) FROM pending_submissions WHERE user_id = ? AND submitted_at >= ?",
            (user_id, since),
        ).fetchone()[0]
        return int(listed) + int(waiting)

    # -- submissions waiting for their paper -------------------------------------------------

    def add_pending_submission(self, arxiv_id: str, day: date, user_id: int, error: str) -> bool:
        """Keep a submission whose paper could not be fetched; False if it was kept already."""
        with self.transaction():
            cursor = self._execute(
                "INSERT INTO pending_submissions "
                "(arxiv_id, day, user_id, submitted_at, attempts, last_error) "
                "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT DO NOTHING",
                (arxiv_id, day.isoformat(), user_id, _now(), error),
            )
            return bool(cursor.rowcount > 0)

    def pending_submissions(self, user_id: int | None = None) -> list[PendingRow]:
        where, parameters = ("WHERE user_id = ?", (user_id,)) if user_id is not None else ("", ())
        rows = self._execute(
            "SELECT arxiv_id, day, user_id, submitted_at, attempts, last_error FROM pending_submissions "
            f"{where} ORDER BY submitted_at, arxiv_id",
            parameters,
        )
        return [
            PendingRow(arxiv_id, _date(day), user_id, _time(at), attempts, error)
            for arxiv_id, day, user_id, at, attempts, error in rows
        ]

    def pending_attempt_failed(self, arxiv_id: str, error: str) -> None:
        with self.transaction():
            self._execute(
                "UPDATE pending_submissions SET attempts = attempts + 1, last_error = ? WHERE arxiv_id = ?",
                (error, arxiv_id),
            )

    def drop_pending_submission(self, arxiv_id: str, day: date, user_id: int) -> None:
        self._execute(
            "DELETE FROM pending_submissions WHERE arxiv_id = ? AND day = ? AND user_id = ?",
            (arxiv_id, day.isoformat(), user_id),
        )

    # -- comments ---------------------------------------------------------------------------

    def add_comment(self, pk: int, user_id: int, body: str) -> int:
        with self.transaction():
            return self._insert(
                "INSERT INTO comments (pk, user_id, body, created_at) VALUES (?, ?, ?, ?)",
                (pk, user_id, body, _now()),
                "id",
            )

    def comment(self, comment_id: int) -> CommentRow | None:
        row = self._execute(
            f"SELECT {_COMMENT_COLUMNS} FROM comments c JOIN users u ON u.id = c.user_id WHERE c.id = ?",
            (comment_id,),
        ).fetchone()
        return _comment(row) if row else None

    def comments_of(self, pk: int) -> list[CommentRow]:
        """A paper's comments that were not removed, oldest first."""
        rows = self._execute(
            f"SELECT {_COMMENT_COLUMNS} FROM comments c JOIN users u ON u.id = c.user_id "
            "WHERE c.pk = ? AND c.removed_at IS NULL ORDER BY c.id",
            (pk,),
        )
        return [_comment(row) for row in rows]

    def edit_comment(self, comment_id: int, body: str) -> None:
        with self.transaction():
            self._execute(
                "UPDATE comments SET body = ?, edited_at = ? WHERE id = ?", (body, _now(), comment_id)
            )

    def remove_comment(self, comment_id: int, by_user_id: int) -> None:
        self._execute(
            "UPDATE comments SET removed_at = ?, removed_by = ? WHERE id = ? AND removed_at IS NULL",
            (_now(), by_user_id, comment_id),
        )

    def comment_counts(self, pks: Sequence[int]) -> dict[int, int]:
        """pk -> number of comments shown (removed ones do not count)."""
        counts: dict[int, int] = {}
        for start in range(0, len(pks), 900):
            chunk = list(pks[start : start + 900])
            marks = ", ".join("?" * len(chunk))
            counts.update(
                self._execute(
                    f"SELECT pk, count(*) FROM comments WHERE pk IN ({marks}) AND removed_at IS NULL "
                    "GROUP BY pk",
                    chunk,
                ).fetchall()
            )
        return counts

    def comments_since(self, user_id: int, since: str) -> int:
        return int(
            self._execute(
                "SELECT count(*) FROM comments WHERE user_id = ? AND created_at >= ?", (user_id, since)
            ).fetchone()[0]
        )

    # -- public collections ------------------------------------------------------------------

    def set_collection_public(self, collection_id: int, public: bool) -> None:
        with self.transaction():
            self._execute("UPDATE collections SET public = ? WHERE id = ?", (int(public), collection_id))

    def collection_row(self, collection_id: int) -> CollectionRow | None:
        """A collection's owner, name, whether it is public, and its followers."""
        row = self._execute(
            "SELECT c.user_id, c.name, c.public, "
            "(SELECT count(*) FROM collection_follows f WHERE f.collection_id = c.id), u.name "
            "FROM collections c JOIN users u ON u.id = c.user_id WHERE c.id = ?",
            (collection_id,),
        ).fetchone()
        if row is None:
            return None
        owner_id, name, public, followers, owner = row
        return CollectionRow(int(owner_id), name, bool(public), int(followers), owner)

    def public_collections(self, user_id: int | None = None) -> list[PublicCollectionRow]:
        """Public collections (of one member), by name."""
        where, parameters = ("AND c.user_id = ?", (user_id,)) if user_id is not None else ("", ())
        rows = self._execute(
            "SELECT c.id, c.name, u.name, "
            "(SELECT count(*) FROM saved_papers s WHERE s.collection_id = c.id) "
            f"FROM collections c JOIN users u ON u.id = c.user_id WHERE c.public = 1 {where} "
            "ORDER BY lower(c.name), c.id",
            parameters,
        )
        return [
            PublicCollectionRow(collection_id, name, owner, papers)
            for collection_id, name, owner, papers in rows
        ]

    def follow_collection(self, user_id: int, collection_id: int, follow: bool) -> None:
        with self.transaction():
            if follow:
                self._execute(
                    "INSERT INTO collection_follows (user_id, collection_id, created_at) VALUES (?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (user_id, collection_id, _now()),
                )
            else:
                self._execute(
                    "DELETE FROM collection_follows WHERE user_id = ? AND collection_id = ?",
                    (user_id, collection_id),
                )

    def followed_collections(self, user_id: int) -> list[int]:
        """Ids of the public collections a member follows (a collection made private drops out)."""
        rows = self._execute(
            "SELECT f.collection_id FROM collection_follows f JOIN collections c ON c.id = f.collection_id "
            "WHERE f.user_id = ? AND c.public = 1 ORDER BY f.created_at, f.collection_id",
            (user_id,),
        )
        return [int(row[0]) for row in rows]

    def collection_followers(self) -> list[int]:
        """Ids of the members who follow at least one public collection."""
        rows = self._execute(
            "SELECT DISTINCT f.user_id FROM collection_follows f "
            "JOIN collections c ON c.id = f.collection_id WHERE c.public = 1 ORDER BY f.user_id"
        )
        return [int(row[0]) for row in rows]

    def saved_between(self, collection_id: int, since: str, until: str) -> list[int]:
        """pks saved to a collection in [since, until), most recent first."""
        rows = self._execute(
            "SELECT pk FROM saved_papers WHERE collection_id = ? AND saved_at >= ? AND saved_at < ? "
            "ORDER BY saved_at DESC, pk DESC",
            (collection_id, since, until),
        )
        return [int(row[0]) for row in rows]

    # -- authorship claims --------------------------------------------------------------------

    def add_claim(self, user_id: int, pk: int, author: str) -> bool:
        """A member's claim to be `author` of a paper; False if they claimed it already."""
        with self.transaction():
            cursor = self._execute(
                "INSERT INTO author_claims (user_id, pk, author, status, created_at) "
                "VALUES (?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING",
                (user_id, pk, author, _now()),
            )
            return bool(cursor.rowcount > 0)

    def decide_claim(self, user_id: int, pk: int, status: str) -> bool:
        cursor = self._execute(
            "UPDATE author_claims SET status = ?, decided_at = ? WHERE user_id = ? AND pk = ?",
            (status, _now(), user_id, pk),
        )
        return bool(cursor.rowcount > 0)

    def claims(
        self, *, status: str | None = None, user_id: int | None = None, pk: int | None = None
    ) -> list[ClaimRow]:
        conditions = [
            (column, value)
            for column, value in (("a.status", status), ("a.user_id", user_id), ("a.pk", pk))
            if value is not None
        ]
        where = ("WHERE " + " AND ".join(f"{column} = ?" for column, _ in conditions)) if conditions else ""
        rows = self._execute(
            "SELECT a.user_id, u.name, u.email, a.pk, a.author, a.status, a.created_at FROM author_claims a "
            f"JOIN users u ON u.id = a.user_id {where} ORDER BY a.created_at, a.pk",
            tuple(value for _, value in conditions),
        )
        return [
            ClaimRow(user_id, name, email, pk, author, status, _time(created_at))
            for user_id, name, email, pk, author, status, created_at in rows
        ]

    # -- comment notifications ---------------------------------------------------------------

    def set_notify_comments(self, user_id: int, notify: bool) -> None:
        with self.transaction():
            self._execute("UPDATE users SET notify_comments = ? WHERE id = ?", (int(notify), user_id))

    def notify_comments(self, user_ids: Sequence[int]) -> set[int]:
        """Which of these members want an e-mail when a paper they submitted gets a comment."""
        if not user_ids:
            return set()
        marks = ", ".join("?" * len(user_ids))
        rows = self._execute(
            f"SELECT id FROM users WHERE notify_comments = 1 AND id IN ({marks})", tuple(user_ids)
        )
        return {int(row[0]) for row in rows}

    def submitters_of_paper(self, pk: int) -> list[int]:
        """Everyone who submitted a paper to any day's list."""
        rows = self._execute(
            "SELECT DISTINCT user_id FROM daily_submitters WHERE pk = ? ORDER BY user_id", (pk,)
        )
        return [int(row[0]) for row in rows]

    def queue_mail(self, user_id: int, message: bytes) -> None:
        self._execute(
            "INSERT INTO outbox (user_id, created_at, message) VALUES (?, ?, ?)", (user_id, _now(), message)
        )

    def unsent_mail(self, limit: int = 500) -> list[MailRow]:
        rows = self._execute(
            "SELECT id, message FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?", (limit,)
        )
        return [MailRow(int(mail_id), bytes(message)) for mail_id, message in rows]

    def mark_mail_sent(self, mail_id: int) -> None:
        with self.transaction():
            self._execute("UPDATE outbox SET sent_at = ? WHERE id = ?", (_now(), mail_id))

    # -- the moderation log -----------------------------------------------------------------

    def log_moderation(
        self, actor_id: int | None, actor: str, action: str, target: str, detail: str = ""
    ) -> None:
        self._execute(
            "INSERT INTO moderation_log (at, actor_id, actor, action, target, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (_now(), actor_id, actor, action, target, detail),
        )

    def moderation_log(self, limit: int = 100, offset: int = 0) -> list[LogRow]:
        rows = self._execute(
            "SELECT id, at, actor, action, target, detail FROM moderation_log "
            "ORDER BY id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [
            LogRow(id_, _time(at), actor, action, target, detail)
            for id_, at, actor, action, target, detail in rows
        ]


_COMMENT_COLUMNS = (
    "c.id, c.pk, c.user_id, u.name, c.body, c.created_at, c.edited_at, c.removed_at IS NOT NULL"
)


def _comment(row: Sequence[Any]) -> CommentRow:
    comment_id, pk, user_id, name, body, created_at, edited_at, removed = row
    return CommentRow(
        comment_id,
        pk,
        user_id,
        name,
        body,
        _time(created_at),
        _time(edited_at) if edited_at else None,
        bool(removed),
    )


def _entry(row: Sequence[Any]) -> EntryRow:
    day, pk, status, pinned, featured, submitted_at, votes = row
    return EntryRow(_date(day), pk, status, bool(pinned), bool(featured), _time(submitted_at), int(votes))


def _date(value: str | date) -> date:
    found = as_day(value)
    assert found is not None
    return found


def _time(value: Any) -> str:
    return as_text(value) or ""
