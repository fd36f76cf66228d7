"""What every SQL backend of papersift shares: the store's methods, written once.

The statements are plain SQL that SQLite and PostgreSQL both read (`?` placeholders, `ON
CONFLICT`, `RETURNING`); a backend supplies the connection, transactions, migrations and the few
dialect hooks below. Values come back as each driver gives them (SQLite: ISO text and JSON text;
PostgreSQL: dates and lists), so reads go through `_day`, `_loaded` and `_text`.

Writers that must not interleave take a named lock for the rest of their transaction (`_lock`):
SQLite's one writer makes that a no-op; PostgreSQL uses a transaction-level advisory lock. Counters
(`change_sequence`, ...) are bumped in one statement (`_bump`), whose row lock is held to commit,
so on PostgreSQL sequence values also commit in order: a cache catching up "after N" misses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from papersift.records import CuratedResult, Paper, ReportedResult, title_key
from papersift.store.curation import CurationStatements
from papersift.store.rows import (
    CollectionSummaryRow,
    CuratedAdded,
    CuratedRow,
    DigestRow,
    EmbeddingCandidateRow,
    FeedRow,
    FeedRows,
    IndexRow,
    NearDates,
    Neighbour,
    ResultRow,
    SavedRow,
    SpellingRow,
    StoredPaper,
    SubscriptionRow,
    TextRow,
    UnsentDigestRow,
    UserRow,
    VectorRow,
)
from papersift.store.values import as_day as _day
from papersift.store.values import as_list as _loaded
from papersift.store.values import as_text as _text
from papersift.store.values import now_text as _now

_PAPER_COLUMNS = (
    "id, title, title_key, abstract, authors, categories, published, updated, version, arxiv_id, doi, "
    "source, source_id, abs_url, pdf_url, comment, journal_ref, keywords, title_raw, abstract_raw, "
    "code_promised"
)
_MAX_VARIABLES = 900  # stay far below SQLite's limit on bound parameters
# Whether paper `p` has a code repository: one its text gives, or a curated one.
_HAS_CODE = (
    "(EXISTS (SELECT 1 FROM code_links AS c WHERE c.pk = p.pk AND c.kind = 'code') "
    "OR EXISTS (SELECT 1 FROM curated_code_links AS k WHERE k.arxiv_id = p.arxiv_id))"
)


class SQLStore(CurationStatements):
    """The store's methods over a backend's connection (see the module's docstring)."""

    # Whether `nearest` searches vectors in the database (else an index beside it does).
    searches_vectors = False
    # The driver's exception for a broken unique or foreign key constraint.
    _integrity_error: type[Exception] = Exception
    # The SQL of a paper's primary category (the first of its JSON list).
    _primary_category_sql = ""

    _local: Any  # threading.local of the backend: this thread's connection and transaction depth

    @property
    def _depth(self) -> int:
        """How deep this thread is in nested `transaction()` calls."""
        depth: int = getattr(self._local, "depth", 0)
        return depth

    @_depth.setter
    def _depth(self, value: int) -> None:
        self._local.depth = value

    def close(self) -> None:
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[None]:
        """A write transaction; nested calls join the outermost one."""
        raise NotImplementedError

    def schema_version(self) -> int:
        raise NotImplementedError

    def _execute(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        """Run one statement; the driver's cursor (iterable, fetchone, fetchall, rowcount)."""
        raise NotImplementedError

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    def _insert(self, sql: str, parameters: Sequence[Any], key: str) -> int:
        """Run an INSERT of one row; the key the database gave it."""
        return int(self._execute(f"{sql} RETURNING {key}", parameters).fetchone()[0])

    def _lock(self, name: str) -> None:
        """Keep other writers taking the same lock out until this transaction ends."""

    def _bump(self, key: str) -> int:
        """Add one to a counter kept in `meta`; its new value."""
        row = self._execute(
            "INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE "
            "SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT) RETURNING value",
            (key,),
        ).fetchone()
        return int(row[0])

    def nearest(
        self, model: str, vector: Any, k: int, allowed: Collection[int] | None = None
    ) -> list[Neighbour] | None:
        """The k papers whose `model` vectors are nearest (cosine) to a unit vector, best first,
        among `allowed` pks if given; None when this backend leaves vector search to the index
        beside it (SQLite: papersift.search.vectors)."""
        return None

    def _after_copy(self) -> None:
        """Bring what a bulk copy into this store bypassed up to date (`store.copy`)."""

    def _vector_parameter(self, vector: bytes) -> Any:
        """A float32 vector as the backend stores it."""
        return vector

    def _vector_bytes(self, value: Any) -> bytes:
        """A stored vector as float32 bytes."""
        return bytes(value)

    # -- papers: writing -------------------------------------------------------------------

    def change_sequence(self) -> int:
        """Counts writes of papers (the keyword index catches up from it)."""
        return self._meta_int("change_sequence")

    def save_papers(self, changes: Sequence[tuple[int | None, Paper, Iterable[str]]]) -> list[int]:
        """Insert (pk None) or update papers; `old_ids` become aliases. Returns their pks."""
        if not changes:
            return []
        with self.transaction():
            self._lock("papers")
            sequence = self._bump("change_sequence")
            pks: list[int] = []
            aliases: list[tuple[str, int]] = []
            links: list[tuple[int, str, int, str]] = []
            results: list[tuple[int, int, str, str, float, str, str | None]] = []
            for pk, paper, old_ids in changes:
                row = (*_paper_row(paper), sequence)
                if pk is None:
                    marks = ", ".join("?" * len(row))
                    pk = self._insert(
                        f"INSERT INTO papers ({_PAPER_COLUMNS}, changed) VALUES ({marks})", row, "pk"
                    )
                else:
                    assignments = ", ".join(f"{column} = ?" for column in _PAPER_COLUMNS.split(", "))
                    self._execute(f"UPDATE papers SET {assignments}, changed = ? WHERE pk = ?", (*row, pk))
                    self._execute("DELETE FROM code_links WHERE pk = ?", (pk,))
                    self._execute("DELETE FROM reported_results WHERE pk = ?", (pk,))
                pks.append(pk)
                aliases.extend((old, pk) for old in old_ids if old != paper.id)
                links.extend((pk, "code", n, url) for n, url in enumerate(paper.code))
                links.extend((pk, "project", n, url) for n, url in enumerate(paper.project_urls))
                results.extend(
                    (pk, n, r.dataset, r.metric, r.value, r.text, r.model)
                    for n, r in enumerate(paper.results)
                )
            if aliases:
                self._executemany(
                    "INSERT INTO paper_aliases (alias, pk) VALUES (?, ?) "
                    "ON CONFLICT (alias) DO UPDATE SET pk = excluded.pk",
                    aliases,
                )
            self._executemany("INSERT INTO code_links (pk, kind, position, url) VALUES (?, ?, ?, ?)", links)
            self._executemany(
                "INSERT INTO reported_results (pk, position, dataset, metric, value, evidence, model) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                results,
            )
            return pks

    # -- papers: reading -------------------------------------------------------------------

    def find_candidates(
        self, *, ids: Iterable[str], arxiv_ids: Iterable[str], dois: Iterable[str], title_keys: Iterable[str]
    ) -> list[StoredPaper]:
        """Stored papers that share an id (or alias), arXiv id, DOI or title key with a batch.

        Inside a transaction, other writers of papers wait until it ends: what is found stays true
        until the batch is saved (two importers of one new paper make one paper, not two).
        """
        self._lock("papers")
        found: dict[int, StoredPaper] = {}
        lookups = (
            ("SELECT pk FROM paper_aliases WHERE alias IN ({})", ids),
            ("SELECT pk FROM papers WHERE id IN ({})", ids),
            ("SELECT pk FROM papers WHERE arxiv_id IN ({})", arxiv_ids),
            ("SELECT pk FROM papers WHERE doi IN ({})", dois),
            ("SELECT pk FROM papers WHERE title_key IN ({})", title_keys),
        )
        pks: set[int] = set()
        for sql, values in lookups:
            for chunk in _chunks(sorted(set(values))):
                pks.update(row[0] for row in self._execute(sql.format(", ".join("?" * len(chunk))), chunk))
        aliases: dict[int, list[str]] = {}
        for chunk in _chunks(sorted(pks)):
            for alias, pk in self._execute(
                f"SELECT alias, pk FROM paper_aliases WHERE pk IN ({', '.join('?' * len(chunk))})", chunk
            ):
                aliases.setdefault(pk, []).append(alias)
        for pk, paper in self.papers_by_pk(sorted(pks), curated=False).items():
            found[pk] = StoredPaper(pk, paper, tuple(aliases.get(pk, ())))
        return list(found.values())

    def papers_by_pk(self, pks: Sequence[int], *, curated: bool = True) -> dict[int, Paper]:
        """Papers by store key; `code` lists curated repositories (Papers with Code's) before the
        ones their text gives, unless not `curated` (ingest compares papers with what they say)."""
        result: dict[int, Paper] = {}
        for chunk in _chunks(list(pks)):
            marks = ", ".join("?" * len(chunk))
            rows = self._execute(f"SELECT pk, {_PAPER_COLUMNS} FROM papers WHERE pk IN ({marks})", chunk)
            papers = {row[0]: _paper_from_row(row[1:]) for row in rows}
            result.update(self._with_extracted(papers, curated=curated))
        return result

    def _with_extracted(self, papers: dict[int, Paper], *, curated: bool) -> dict[int, Paper]:
        """The papers with the code links and results stored for them (few papers have any)."""
        links: dict[tuple[int, str], list[str]] = {}
        results: dict[int, list[ReportedResult]] = {}
        for keys in _chunks(list(papers)):
            marks = ", ".join("?" * len(keys))
            for pk, kind, url in self._execute(
                f"SELECT pk, kind, url FROM code_links WHERE pk IN ({marks}) ORDER BY pk, kind, position",
                keys,
            ):
                links.setdefault((pk, kind), []).append(url)
            for pk, dataset, metric, value, evidence, model in self._execute(
                "SELECT pk, dataset, metric, value, evidence, model FROM reported_results "
                f"WHERE pk IN ({marks}) ORDER BY pk, position",
                keys,
            ):
                results.setdefault(pk, []).append(ReportedResult(dataset, metric, value, evidence, model))
        if curated:
            by_arxiv = {paper.arxiv_id: pk for pk, paper in papers.items() if paper.arxiv_id}
            for arxiv_id, urls in self.curated_code_links(list(by_arxiv)).items():
                pk = by_arxiv[arxiv_id]
                links[(pk, "code")] = list(dict.fromkeys(urls + links.get((pk, "code"), [])))
        for pk in {key for key, _kind in links} | set(results):
            papers[pk] = replace(
                papers[pk],
                code=tuple(links.get((pk, "code"), ())),
                project_urls=tuple(links.get((pk, "project"), ())),
                results=tuple(results.get(pk, ())),
            )
        return papers

    def pk_of(self, paper_id: str) -> int | None:
        row = self._execute(
            "SELECT pk FROM papers WHERE id = ? "
            "UNION ALL SELECT pk FROM paper_aliases WHERE alias = ? LIMIT 1",
            (paper_id, paper_id),
        ).fetchone()
        return int(row[0]) if row else None

    def pks_of(self, paper_ids: Sequence[str]) -> dict[str, int]:
        """The pks of those ids (current ids or aliases) that are known."""
        found: dict[str, int] = {}
        for table, column in (("papers", "id"), ("paper_aliases", "alias")):
            missing = [i for i in dict.fromkeys(paper_ids) if i not in found]
            for chunk in _chunks(missing):
                marks = ", ".join("?" * len(chunk))
                found.update(
                    self._execute(f"SELECT {column}, pk FROM {table} WHERE {column} IN ({marks})", chunk)
                )
        return found

    def texts_by_pk(self, pks: Sequence[int]) -> dict[int, TextRow]:
        result: dict[int, TextRow] = {}
        for chunk in _chunks(list(pks)):
            rows = self._execute(
                f"SELECT pk, title, abstract FROM papers WHERE pk IN ({', '.join('?' * len(chunk))})", chunk
            )
            result.update((pk, TextRow(title, abstract)) for pk, title, abstract in rows)
        return result

    def iter_papers(self, *, changed_after: int = 0, batch: int = 2000) -> Iterator[StoredPaper]:
        """Papers in pk order (optionally only those written after a change sequence)."""
        last = 0
        while True:
            rows = self._execute(
                f"SELECT pk, {_PAPER_COLUMNS} FROM papers WHERE pk > ? AND changed > ? ORDER BY pk LIMIT ?",
                (last, changed_after, batch),
            ).fetchall()
            if not rows:
                return
            papers = self._with_extracted({row[0]: _paper_from_row(row[1:]) for row in rows}, curated=False)
            for pk, paper in papers.items():
                yield StoredPaper(pk, paper)
            last = rows[-1][0]

    def iter_index_rows(self, *, changed_after: int = 0, batch: int = 5000) -> Iterator[IndexRow]:
        """The papers changed after a sequence, as the keyword index reads them.

        What the keyword index needs, without building whole `Paper`s (the index reads every
        paper after a big import).
        """
        last = 0
        while True:
            rows = self._execute(
                f"SELECT pk, title, abstract, authors, categories, published, {_HAS_CODE} "
                "FROM papers AS p WHERE pk > ? AND changed > ? ORDER BY pk LIMIT ?",
                (last, changed_after, batch),
            ).fetchall()
            if not rows:
                return
            for pk, title, abstract, authors, categories, published, has_code in rows:
                yield IndexRow(
                    pk,
                    title,
                    abstract,
                    _loaded(authors),
                    _loaded(categories),
                    _day(published),
                    bool(has_code),
                )
            last = rows[-1][0]

    def count_papers(self) -> int:
        return int(self._execute("SELECT count(*) FROM papers").fetchone()[0])

    def stats(self) -> dict[str, Any]:
        papers = self.count_papers()
        first, last = self._execute("SELECT min(published), max(published) FROM papers").fetchone()
        by_source = dict(
            self._execute("SELECT source, count(*) FROM papers GROUP BY source ORDER BY 2 DESC").fetchall()
        )
        primary = self._primary_category_sql
        top_categories = self._execute(
            f"SELECT {primary}, count(*) FROM papers WHERE {primary} IS NOT NULL "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"
        ).fetchall()
        return {
            "papers": papers,
            "with_arxiv_id": self._execute(
                "SELECT count(*) FROM papers WHERE arxiv_id IS NOT NULL"
            ).fetchone()[0],
            "with_doi": self._execute("SELECT count(*) FROM papers WHERE doi IS NOT NULL").fetchone()[0],
            "earliest": _text(first),
            "latest": _text(last),
            "by_source": by_source,
            "top_primary_categories": dict(top_categories),
            "schema_version": self.schema_version(),
        }

    # -- embeddings ------------------------------------------------------------------------

    def _meta_int(self, key: str) -> int:
        row = self._execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def _set_meta(self, key: str, value: str) -> None:
        self._execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def embedding_sequence(self, model: str) -> int:
        """Counts writes of `model`'s embeddings (the vector index catches up from it)."""
        return self._meta_int(f"embedding_sequence:{model}")

    def embedded_through(self, model: str) -> int:
        """The paper change sequence up to which every paper has a current `model` embedding."""
        return self._meta_int(f"embedded_through:{model}")

    def set_embedded_through(self, model: str, sequence: int) -> None:
        with self.transaction():
            self._set_meta(f"embedded_through:{model}", str(sequence))

    def iter_embedding_candidates(
        self, model: str, *, changed_after: int = 0, batch: int = 5000
    ) -> Iterator[EmbeddingCandidateRow]:
        """The papers changed after a sequence, with the hash of their embedded text (None: none)."""
        last = 0
        while True:
            rows = self._execute(
                "SELECT p.pk, p.title, p.abstract, e.text_hash FROM papers AS p "
                "LEFT JOIN embeddings AS e ON e.model = ? AND e.pk = p.pk "
                "WHERE p.pk > ? AND p.changed > ? ORDER BY p.pk LIMIT ?",
                (model, last, changed_after, batch),
            ).fetchall()
            if not rows:
                return
            for pk, title, abstract, stored_hash in rows:
                yield EmbeddingCandidateRow(pk, title, abstract, stored_hash)
            last = rows[-1][0]

    def save_embeddings(self, model: str, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
        """Insert or replace (pk, text_hash, float32 vector bytes) rows of one model."""
        if not rows:
            return
        with self.transaction():
            sequence = self._bump(f"embedding_sequence:{model}")
            self._executemany(
                "INSERT INTO embeddings (model, pk, text_hash, vector, sequence) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (model, pk) DO UPDATE SET text_hash = excluded.text_hash, "
                "vector = excluded.vector, sequence = excluded.sequence",
                [
                    (model, pk, text_hash, self._vector_parameter(vector), sequence)
                    for pk, text_hash, vector in rows
                ],
            )

    def iter_embeddings(
        self, model: str, *, written_after: int = 0, batch: int = 20_000
    ) -> Iterator[list[VectorRow]]:
        """Batches of `model`'s vectors written after an embedding sequence, in pk order."""
        last = 0
        while True:
            rows = self._execute(
                "SELECT pk, vector FROM embeddings WHERE model = ? AND sequence > ? AND pk > ? "
                "ORDER BY pk LIMIT ?",
                (model, written_after, last, batch),
            ).fetchall()
            if not rows:
                return
            yield [VectorRow(pk, self._vector_bytes(vector)) for pk, vector in rows]
            last = rows[-1][0]

    def embeddings_by_pk(self, model: str, pks: Sequence[int]) -> dict[int, bytes]:
        found: dict[int, bytes] = {}
        for chunk in _chunks(list(pks)):
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT pk, vector FROM embeddings WHERE model = ? AND pk IN ({marks})"
            found.update((pk, self._vector_bytes(v)) for pk, v in self._execute(sql, (model, *chunk)))
        return found

    def delete_embeddings(self, model: str) -> None:
        """Forget every `model` embedding (they will all be computed again)."""
        with self.transaction():
            self._execute("DELETE FROM embeddings WHERE model = ?", (model,))
            self._set_meta(f"embedded_through:{model}", "0")
            self._bump(f"embedding_sequence:{model}")

    def count_embeddings(self, model: str) -> int:
        return int(self._execute("SELECT count(*) FROM embeddings WHERE model = ?", (model,)).fetchone()[0])

    # -- users and sessions -------------------------------------------------------------------

    def create_user(self, email: str, name: str, password_hash: str) -> int | None:
        """The new user's id, or None when the e-mail is taken (case-insensitively)."""
        try:
            with self.transaction():
                return self._insert(
                    "INSERT INTO users (email, name, password_hash, created_at) VALUES (?, ?, ?, ?)",
                    (email, name, password_hash, _now()),
                    "id",
                )
        except self._integrity_error:
            return None

    def user_row(self, *, user_id: int | None = None, email: str | None = None) -> UserRow | None:
        # E-mail addresses match whatever their case (the schema makes them unique so).
        where, value = ("id = ?", user_id) if user_id is not None else ("lower(email) = lower(?)", email)
        row = self._execute(
            f"SELECT id, email, name, password_hash, created_at, role FROM users WHERE {where}", (value,)
        ).fetchone()
        return _user_row(row) if row else None

    def iter_users(self) -> Iterator[UserRow]:
        for row in self._execute(
            "SELECT id, email, name, password_hash, created_at, role FROM users ORDER BY id"
        ):
            yield _user_row(row)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self.transaction():
            self._execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))

    def save_session(self, token_hash: bytes, user_id: int, expires_at: datetime) -> None:
        with self.transaction():
            self._execute("DELETE FROM sessions WHERE expires_at < ?", (_now(),))
            self._execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                (token_hash, user_id, _now(), expires_at.isoformat(timespec="seconds")),
            )

    def session_user_id(self, token_hash: bytes) -> int | None:
        row = self._execute(
            "SELECT user_id FROM sessions WHERE token_hash = ? AND expires_at >= ?", (token_hash, _now())
        ).fetchone()
        return int(row[0]) if row else None

    def delete_session(self, token_hash: bytes) -> None:
        with self.transaction():
            self._execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def record_login_failure(self, key: str, at: float) -> None:
        with self.transaction():
            self._execute("INSERT INTO login_failures (key, at) VALUES (?, ?)", (key, at))

    def login_failures_since(self, key: str, since: float) -> list[float]:
        rows = self._execute(
            "SELECT at FROM login_failures WHERE key = ? AND at >= ? ORDER BY at", (key, since)
        ).fetchall()
        return [float(row[0]) for row in rows]

    def clear_login_failures(self, key: str, before: float | None = None) -> None:
        with self.transaction():
            if before is None:
                self._execute("DELETE FROM login_failures WHERE key = ?", (key,))
            else:
                self._execute("DELETE FROM login_failures WHERE at < ?", (before,))

    # -- votes and feeds ------------------------------------------------------------------------

    def set_vote(self, user_id: int, pk: int, voted: bool) -> int:
        """Add or withdraw one user's upvote (idempotent); returns the paper's upvote count."""
        with self.transaction():
            if voted:
                self._execute(
                    "INSERT INTO votes (user_id, pk, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    (user_id, pk, _now()),
                )
            else:
                self._execute("DELETE FROM votes WHERE user_id = ? AND pk = ?", (user_id, pk))
            self._bump("vote_sequence")
            return int(self._execute("SELECT count(*) FROM votes WHERE pk = ?", (pk,)).fetchone()[0])

    def vote_sequence(self) -> int:
        """Counts changes of votes (caches of feeds compare it)."""
        return self._meta_int("vote_sequence")

    def vote_counts(self, pks: Sequence[int]) -> dict[int, int]:
        counts: dict[int, int] = {}
        for chunk in _chunks(list(pks)):
            marks = ", ".join("?" * len(chunk))
            counts.update(
                self._execute(
                    f"SELECT pk, count(*) FROM votes WHERE pk IN ({marks}) GROUP BY pk", chunk
                ).fetchall()
            )
        return counts

    def voted_by(self, user_id: int, pks: Sequence[int]) -> set[int]:
        found: set[int] = set()
        for chunk in _chunks(list(pks)):
            marks = ", ".join("?" * len(chunk))
            rows = self._execute(
                f"SELECT pk FROM votes WHERE user_id = ? AND pk IN ({marks})", (user_id, *chunk)
            ).fetchall()
            found.update(row[0] for row in rows)
        return found

    def published_between(
        self, first: date, last: date, *, by_votes: bool, limit: int, offset: int, has_code: bool = False
    ) -> FeedRows:
        """A page of the papers published in [first, last] (with a code link, if `has_code`), and
        how many there are.

        Ordered by upvotes then date (`by_votes`) or by date, newest first; ties by pk, newest first.
        """
        span = (first.isoformat(), last.isoformat())
        where = "published BETWEEN ? AND ?" + (f" AND {_HAS_CODE}" if has_code else "")
        total = self._execute(f"SELECT count(*) FROM papers AS p WHERE {where}", span).fetchone()[0]
        order = "votes DESC, published DESC, pk DESC" if by_votes else "published DESC, pk DESC"
        # Votes counted per paper in a subquery, so the date range is read from its index.
        rows = self._execute(
            "SELECT pk, (SELECT count(*) FROM votes AS v WHERE v.pk = p.pk) AS votes, published "
            f"FROM papers AS p WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            (*span, limit, offset),
        ).fetchall()
        return FeedRows([FeedRow(pk, votes, _day(day)) for pk, votes, day in rows], int(total))

    def published_near(self, first: date, last: date, *, has_code: bool = False) -> NearDates:
        """The nearest publication dates before `first` and after `last` (None where there is none),
        of papers with a code link if `has_code`."""
        also = f" AND {_HAS_CODE}" if has_code else ""
        before = self._execute(
            f"SELECT published FROM papers AS p WHERE published < ?{also} ORDER BY published DESC LIMIT 1",
            (first.isoformat(),),
        ).fetchone()
        after = self._execute(
            f"SELECT published FROM papers AS p WHERE published > ?{also} ORDER BY published LIMIT 1",
            (last.isoformat(),),
        ).fetchone()
        return NearDates(
            _day(before[0]) if before else None,
            _day(after[0]) if after else None,
        )

    def voted_papers(self) -> list[FeedRow]:
        """Every paper with at least one upvote."""
        rows = self._execute(
            "SELECT v.pk, count(*), p.published FROM votes AS v JOIN papers AS p ON p.pk = v.pk "
            "GROUP BY v.pk, p.published"
        ).fetchall()
        return [FeedRow(pk, votes, _day(day)) for pk, votes, day in rows]

    def newest_unvoted(self, limit: int, offset: int) -> list[int]:
        """Papers nobody upvoted, newest first."""
        rows = self._execute(
            "SELECT pk FROM papers WHERE pk NOT IN (SELECT pk FROM votes) "
            "ORDER BY published DESC, pk DESC LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        return [row[0] for row in rows]

    def latest_published(self) -> date | None:
        row = self._execute("SELECT max(published) FROM papers").fetchone()
        return _day(row[0]) if row else None

    def secret(self, name: str, make: Callable[[], str]) -> str:
        """A secret kept in the database (made once, by `make`): every worker signs alike."""
        key = f"secret:{name}"
        existing = self.meta(key)  # a read: this runs for every signed link of a digest run
        if existing is not None:
            return existing
        with self.transaction():
            # The first writer wins; a worker racing it reads the winner's secret.
            self._execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", (key, make()))
            return str(self._execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0])

    def take_lock(self, name: str, owner: str, is_stale: Callable[[str], bool]) -> str | None:
        """Hold the named lock for `owner` (a lock whose holder `is_stale` is taken over); None
        when taken, else the holder that keeps it."""
        key = f"lock:{name}"
        with self.transaction():
            self._lock(key)
            row = self._execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if row and row[0] != owner and not is_stale(str(row[0])):
                return str(row[0])
            self._set_meta(key, owner)
            return None

    def release_lock(self, name: str, owner: str) -> None:
        with self.transaction():
            self._execute("DELETE FROM meta WHERE key = ? AND value = ?", (f"lock:{name}", owner))

    # -- collections ------------------------------------------------------------------------

    def collection_id(self, user_id: int, name: str, *, create: bool = False) -> int | None:
        """The id of a member's collection by name (created when asked and missing)."""
        if create:
            with self.transaction():
                self._execute(
                    "INSERT INTO collections (user_id, name, created_at) VALUES (?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (user_id, name, _now()),
                )
        row = self._execute(
            "SELECT id FROM collections WHERE user_id = ? AND name = ?", (user_id, name)
        ).fetchone()
        return int(row[0]) if row else None

    def collections_of(self, user_id: int) -> list[CollectionSummaryRow]:
        """A member's collections, by name."""
        rows = self._execute(
            "SELECT c.id, c.name, count(s.pk) FROM collections c LEFT JOIN saved_papers s "
            "ON s.collection_id = c.id WHERE c.user_id = ? GROUP BY c.id ORDER BY lower(c.name)",
            (user_id,),
        )
        return [CollectionSummaryRow(collection_id, name, papers) for collection_id, name, papers in rows]

    def delete_collection(self, collection_id: int) -> None:
        with self.transaction():
            self._execute("DELETE FROM collections WHERE id = ?", (collection_id,))

    def save_to_collection(self, collection_id: int, pks: Sequence[int], note: str | None = None) -> int:
        """Save papers (again: keeps the first date; a given note replaces the old one); how many were new."""
        with self.transaction():
            before = self._count_saved(collection_id)
            for pk in pks:
                self._execute(
                    "INSERT INTO saved_papers (collection_id, pk, note, saved_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (collection_id, pk) DO UPDATE SET note = coalesce(?, saved_papers.note)",
                    (collection_id, pk, note or "", _now(), note),
                )
            return self._count_saved(collection_id) - before

    def remove_from_collection(self, collection_id: int, pk: int) -> bool:
        with self.transaction():
            cursor = self._execute(
                "DELETE FROM saved_papers WHERE collection_id = ? AND pk = ?", (collection_id, pk)
            )
            return bool(cursor.rowcount > 0)

    def saved_in(self, collection_id: int) -> list[SavedRow]:
        """A collection's papers, most recently saved first."""
        rows = self._execute(
            "SELECT pk, note, saved_at FROM saved_papers WHERE collection_id = ? "
            "ORDER BY saved_at DESC, pk DESC",
            (collection_id,),
        )
        return [SavedRow(pk, note, _text(saved_at) or "") for pk, note, saved_at in rows]

    def saved_by(self, user_id: int, pks: Sequence[int] | None = None) -> dict[int, list[str]]:
        """pk -> names of the member's collections holding it (of `pks`, or of every saved paper)."""
        found: dict[int, list[str]] = {}
        query = (
            "SELECT s.pk, c.name FROM saved_papers s JOIN collections c ON c.id = s.collection_id "
            "WHERE c.user_id = ?"
        )
        chunks = [None] if pks is None else list(_chunks(list(pks)))
        for chunk in chunks:
            if chunk is None:
                rows = self._execute(query + " ORDER BY c.name", (user_id,)).fetchall()
            else:
                marks = ", ".join("?" * len(chunk))
                rows = self._execute(
                    query + f" AND s.pk IN ({marks}) ORDER BY c.name", (user_id, *chunk)
                ).fetchall()
            for pk, name in rows:
                found.setdefault(pk, []).append(name)
        return found

    def _count_saved(self, collection_id: int) -> int:
        row = self._execute(
            "SELECT count(*) FROM saved_papers WHERE collection_id = ?", (collection_id,)
        ).fetchone()
        return int(row[0])

    # -- subscriptions and digests ----------------------------------------------------------

    def add_subscription(
        self, user_id: int, kind: str, value: str, mode: str, frequency: str, max_papers: int
    ) -> int:
        """Subscribe (or change the frequency, mode and size of the same subscription); its id."""
        with self.transaction():
            self._execute(
                "INSERT INTO subscriptions (user_id, kind, value, mode, frequency, max_papers, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, kind, value) DO UPDATE SET "
                "mode = excluded.mode, frequency = excluded.frequency, max_papers = excluded.max_papers",
                (user_id, kind, value, mode, frequency, max_papers, _now()),
            )
            row = self._execute(
                "SELECT id FROM subscriptions WHERE user_id = ? AND kind = ? AND value = ?",
                (user_id, kind, value),
            ).fetchone()
            return int(row[0])

    def delete_subscription(self, user_id: int, subscription_id: int | None = None) -> int:
        """Delete one of a member's subscriptions (all of them without an id); how many went."""
        with self.transaction():
            if subscription_id is None:
                cursor = self._execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
            else:
                cursor = self._execute(
                    "DELETE FROM subscriptions WHERE user_id = ? AND id = ?", (user_id, subscription_id)
                )
            return int(cursor.rowcount)

    def subscriptions(
        self, *, user_id: int | None = None, frequency: str | None = None
    ) -> list[SubscriptionRow]:
        """Subscriptions (of a member, of a frequency), by member then id."""
        clauses: list[str] = []
        values: list[int | str] = []
        if user_id is not None:
            clauses.append("user_id = ?")
            values.append(user_id)
        if frequency is not None:
            clauses.append("frequency = ?")
            values.append(frequency)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._execute(
            "SELECT id, user_id, kind, value, mode, frequency, max_papers FROM subscriptions "
            f"{where} ORDER BY user_id, id",
            values,
        )
        return [
            SubscriptionRow(sid, user, kind, value, mode, frequency, max_papers)
            for sid, user, kind, value, mode, frequency, max_papers in rows
        ]

    def last_digest_through(self, user_id: int, frequency: str) -> str | None:
        row = self._execute(
            "SELECT max(through) FROM digests WHERE user_id = ? AND frequency = ?", (user_id, frequency)
        ).fetchone()
        return _text(row[0]) if row else None

    def claim_digest(
        self,
        user_id: int,
        frequency: str,
        period: str,
        papers: Sequence[str],
        message_id: str,
        message: bytes,
        through: str,
    ) -> bool:
        """Record the decision to send this digest (False: one was already decided for the period)."""
        with self.transaction():
            cursor = self._execute(
                "INSERT INTO digests (user_id, frequency, period, status, papers, message_id, message, "
                "through, decided_at) VALUES (?, ?, ?, 'sending', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (user_id, frequency, period, json.dumps(list(papers)), message_id, message, through, _now()),
            )
            return bool(cursor.rowcount == 1)

    def digest_status(self, user_id: int, frequency: str, period: str) -> str | None:
        row = self._execute(
            "SELECT status FROM digests WHERE user_id = ? AND frequency = ? AND period = ?",
            (user_id, frequency, period),
        ).fetchone()
        return row[0] if row else None

    def unsent_digests(self) -> list[UnsentDigestRow]:
        """The digests decided but not known to be sent."""
        rows = self._execute(
            "SELECT user_id, frequency, period, message_id, message FROM digests "
            "WHERE status = 'sending' ORDER BY decided_at, user_id"
        )
        return [
            UnsentDigestRow(user, frequency, period, message_id, bytes(message))
            for user, frequency, period, message_id, message in rows
        ]

    def mark_digest_sent(self, user_id: int, frequency: str, period: str) -> None:
        with self.transaction():
            # The message is kept only until it is sent (10,000 digests a day would add ~300 MB).
            self._execute(
                "UPDATE digests SET status = 'sent', sent_at = ?, message = ? "
                "WHERE user_id = ? AND frequency = ? AND period = ?",
                (_now(), b"", user_id, frequency, period),
            )

    def prune_digests(self, through_before: str) -> int:
        """Forget the digests that covered papers up to before this date (ISO); how many."""
        with self.transaction():
            cursor = self._execute(
                "DELETE FROM digests WHERE through < ? AND status = 'sent'", (through_before,)
            )
            return int(cursor.rowcount)

    def digests_of(self, user_id: int) -> list[DigestRow]:
        """A member's digests, newest first."""
        rows = self._execute(
            "SELECT frequency, period, status, papers, sent_at FROM digests WHERE user_id = ? "
            "ORDER BY decided_at DESC",
            (user_id,),
        )
        return [
            DigestRow(
                frequency,
                period,
                status,
                papers if isinstance(papers, str) else json.dumps(papers),
                _text(sent),
            )
            for frequency, period, status, papers, sent in rows
        ]

    # -- code links and results ----------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self._execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self._set_meta(key, value)

    def result_spellings(self) -> list[SpellingRow]:
        """Each (dataset, metric) pair as written, extracted or curated, with its counts of rows."""
        counts: dict[tuple[str, str], list[int]] = {}
        for column, table in ((0, "reported_results"), (1, "curated_results")):
            for dataset, metric, count in self._execute(
                f"SELECT dataset, metric, count(*) FROM {table} GROUP BY dataset, metric"
            ):
                counts.setdefault((dataset, metric), [0, 0])[column] = count
        return [
            SpellingRow(dataset, metric, extracted, curated)
            for (dataset, metric), (extracted, curated) in counts.items()
        ]

    def extracted_results(self, pairs: Sequence[tuple[str, str]]) -> list[ResultRow]:
        """The extracted results of these (dataset, metric)."""
        found: list[ResultRow] = []
        for chunk in _chunks(list(pairs), _MAX_VARIABLES // 2):
            marks = ", ".join("(?, ?)" for _ in chunk)
            rows = self._execute(
                "SELECT pk, dataset, metric, value, evidence, model FROM reported_results "
                f"WHERE (dataset, metric) IN (VALUES {marks})",
                [value for pair in chunk for value in pair],
            )
            found += [
                ResultRow(pk, dataset, metric, value, evidence, model)
                for pk, dataset, metric, value, evidence, model in rows
            ]
        return found

    def curated_results(self, pairs: Sequence[tuple[str, str]]) -> list[CuratedRow]:
        """Curated results of these (dataset, metric) as written, each with its paper's pk if known."""
        found: list[CuratedRow] = []
        for chunk in _chunks(list(pairs), _MAX_VARIABLES // 2):
            marks = ", ".join("(?, ?)" for _ in chunk)
            rows = self._execute(
                "SELECT p.pk, c.arxiv_id, c.paper_title, c.paper_url, c.task, c.dataset, c.metric, c.value, "
                "c.value_text, c.model, c.published FROM curated_results AS c "
                "LEFT JOIN papers AS p ON p.arxiv_id = c.arxiv_id "
                f"WHERE (c.dataset, c.metric) IN (VALUES {marks})",
                [value for pair in chunk for value in pair],
            )
            found += [CuratedRow(row[0], CuratedResult(*row[1:])) for row in rows]
        return found

    def save_curated(
        self, code_links: Sequence[tuple[str, str, bool]], results: Sequence[CuratedResult]
    ) -> CuratedAdded:
        """Add curated (arxiv_id, url, official) links and results (a row again replaces its value);
        the papers they name are marked changed, so that the "has code" filter sees them. Returns
        the rows new to the store."""
        with self.transaction():
            self._lock("papers")
            links_before = self._count("curated_code_links")
            results_before = self._count("curated_results")
            self._executemany(
                "INSERT INTO curated_code_links (arxiv_id, url, official) VALUES (?, ?, ?) "
                "ON CONFLICT (arxiv_id, url) DO UPDATE SET official = CASE WHEN excluded.official > "
                "curated_code_links.official THEN excluded.official ELSE curated_code_links.official END",
                [(arxiv_id, url, int(official)) for arxiv_id, url, official in code_links],
            )
            self._executemany(
                "INSERT INTO curated_results (arxiv_id, paper_title, paper_url, dataset, metric, value, "
                "value_text, model, published) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (paper_title, dataset, metric, model) DO UPDATE SET value = excluded.value, "
                "value_text = excluded.value_text, arxiv_id = excluded.arxiv_id, "
                "paper_url = excluded.paper_url, published = excluded.published",
                [
                    (
                        r.arxiv_id,
                        r.paper_title,
                        r.paper_url,
                        r.dataset,
                        r.metric,
                        r.value,
                        r.value_text,
                        r.model or "",
                        r.published,
                    )
                    for r in results
                ],
            )
            named = sorted(
                {arxiv_id for arxiv_id, _, _ in code_links} | {r.arxiv_id for r in results if r.arxiv_id}
            )
            if named:
                sequence = self._bump("change_sequence")
                for chunk in _chunks(named):
                    self._execute(
                        f"UPDATE papers SET changed = ? WHERE arxiv_id IN ({', '.join('?' * len(chunk))})",
                        (sequence, *chunk),
                    )
            return CuratedAdded(
                links=self._count("curated_code_links") - links_before,
                results=self._count("curated_results") - results_before,
            )

    def curated_code_links(self, arxiv_ids: Sequence[str]) -> dict[str, list[str]]:
        """Curated repositories of these papers, the authors' own first."""
        found: dict[str, list[str]] = {}
        for chunk in _chunks(sorted(set(arxiv_ids))):
            marks = ", ".join("?" * len(chunk))
            for arxiv_id, url in self._execute(
                f"SELECT arxiv_id, url FROM curated_code_links WHERE arxiv_id IN ({marks}) "
                "ORDER BY arxiv_id, official DESC, url",
                chunk,
            ):
                found.setdefault(arxiv_id, []).append(url)
        return found

    def _count(self, table: str) -> int:
        return int(self._execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    # -- harvest state ---------------------------------------------------------------------

    def harvest_resume(self, name: str) -> str | None:
        row = self._execute("SELECT resume FROM harvest_state WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_harvest_resume(self, name: str, resume: str | None) -> None:
        self._execute(
            "INSERT INTO harvest_state (name, resume, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET resume = excluded.resume, updated_at = excluded.updated_at",
            (name, resume, datetime.now(UTC).isoformat(timespec="seconds")),
        )


def _user_row(row: Sequence[Any]) -> UserRow:
    user_id, email, name, password_hash, created_at, role = row
    return UserRow(user_id, email, name, password_hash, _text(created_at) or "", role)


def _chunks(values: list[Any], size: int = _MAX_VARIABLES) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _paper_row(paper: Paper) -> tuple[Any, ...]:
    return (
        paper.id,
        paper.title,
        title_key(paper.title),
        paper.abstract,
        json.dumps(list(paper.authors), ensure_ascii=False),
        json.dumps(list(paper.categories)),
        _iso(paper.published),
        _iso(paper.updated),
        paper.version,
        paper.arxiv_id,
        paper.doi,
        paper.source,
        paper.source_id,
        paper.abs_url,
        paper.pdf_url,
        paper.comment,
        paper.journal_ref,
        json.dumps(list(paper.keywords), ensure_ascii=False),
        paper.title_raw,
        paper.abstract_raw,
        int(paper.code_promised),
    )


def _paper_from_row(row: Sequence[Any]) -> Paper:
    (pid, title, _key, abstract, authors, categories, published, updated, version, arxiv_id, doi, source,
     source_id, abs_url, pdf_url, comment, journal_ref, keywords, title_raw, abstract_raw,
     promised) = row  # fmt: skip
    return Paper(
        id=pid,
        title=title,
        abstract=abstract,
        authors=tuple(_loaded(authors)),
        categories=tuple(_loaded(categories)),
        published=_day(published),
        updated=_day(updated),
        version=version,
        arxiv_id=arxiv_id,
        doi=doi,
        source=source,
        source_id=source_id,
        abs_url=abs_url,
        pdf_url=pdf_url,
        comment=comment,
        journal_ref=journal_ref,
        keywords=tuple(_loaded(keywords)),
        title_raw=title_raw,
        abstract_raw=abstract_raw,
        code_promised=bool(promised),
    )
