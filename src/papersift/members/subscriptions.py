"""Subscriptions (a search, an author, a category, a collection, trending) and what each brings
into a member's next digest (`members.digests` composes the message; `members.digest_run` sends)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from papersift.errors import ModelUnavailable, PapersiftError, SubscriptionError
from papersift.members.accounts import User
from papersift.members.collections import Collections
from papersift.members.digests import (
    DEFAULT_MAX_PAPERS,
    FOLLOWED_MAX_PAPERS,
    FREQUENCIES,
    MAX_PAPERS,
    SUBSCRIPTION_KINDS,
    Digest,
    Frequency,
    Subscription,
    SubscriptionKind,
    merge_rankings,
    period_name,
    window,
)
from papersift.records import Paper
from papersift.search.engine import SEARCH_MODES, Searcher, SearchMode
from papersift.search.indexes import Indexes
from papersift.search.query import parse_query
from papersift.search.similar import Similar
from papersift.search.tokens import term_counts, words
from papersift.store import Store

MAX_DIGEST_PAPERS = 50  # the most one digest lists, whatever the subscriptions ask for
# How close in meaning (cosine of all-MiniLM-L6-v2 embeddings) a paper must be to a search for a
# digest to send it for that search. bench/bench_match_threshold.py on SciFact train: at 0.5, 70% of
# (claim, relevant abstract) pairs pass and 0.18% of random ones (3.6 a day of 2,000 papers); at
# 0.4, 87% and 0.83% (17 a day): an inbox wants the first. Collections use it too (unmeasured:
# two abstracts of one topic are usually closer than a query and its answer).
MATCH_COSINE = 0.5


class Subscriptions:
    def __init__(
        self, store: Store, indexes: Indexes, searcher: Searcher, similar: Similar, collections: Collections
    ) -> None:
        self.store = store
        self.indexes = indexes
        self.searcher = searcher
        self.similar = similar
        self.collections = collections

    def subscribe(
        self,
        user: User,
        kind: SubscriptionKind,
        value: str = "",
        *,
        mode: SearchMode = "hybrid",
        frequency: Frequency = "daily",
        max_papers: int = DEFAULT_MAX_PAPERS,
    ) -> Subscription:
        """Subscribe a member to a search, an author, a category, one of their collections (more
        like it) or the trending list; subscribing again to the same changes its settings."""
        if kind not in SUBSCRIPTION_KINDS:
            raise SubscriptionError(f"cannot subscribe to a {kind!r}; choose {', '.join(SUBSCRIPTION_KINDS)}")
        if frequency not in FREQUENCIES:
            raise SubscriptionError(f"a digest is daily or weekly, not {frequency!r}")
        if mode not in SEARCH_MODES:
            raise SubscriptionError(f"unknown search mode {mode!r}")
        if not 1 <= max_papers <= MAX_PAPERS:
            raise SubscriptionError(f"a subscription brings 1 to {MAX_PAPERS} papers, not {max_papers}")
        value = " ".join(value.split()) if kind != "trending" else ""
        if kind == "query":
            if not parse_query(value).has_text and not parse_query(value).meaning_text.strip():
                raise SubscriptionError("a search subscription needs words to look for")
            if len(value) > 2000:
                raise SubscriptionError("a search subscription has at most 2,000 characters")
        elif kind == "author" and not words(value):
            raise SubscriptionError("an author subscription needs a name")
        elif kind == "category" and not value:
            raise SubscriptionError("a category subscription needs a category (cs.LG, cs, ...)")
        elif kind == "collection":
            self.collections.collection_id(user, value)  # must exist
        subscription_id = self.store.add_subscription(user.id, kind, value, mode, frequency, max_papers)
        return next(s for s in self.subscriptions(user) if s.id == subscription_id)

    def unsubscribe(
        self, user: User, subscription_id: int | None = None, *, frequency: Frequency | None = None
    ) -> int:
        """Drop one subscription (by id), those of a frequency, or all of them; how many went."""
        if subscription_id is not None:
            return self.store.delete_subscription(user.id, subscription_id)
        gone = 0
        for subscription in self.subscriptions(user):
            if frequency is None or subscription.frequency == frequency:
                gone += self.store.delete_subscription(user.id, subscription.id)
        return gone

    def subscriptions(self, user: User) -> list[Subscription]:
        return [
            Subscription(row.id, row.kind, row.value, row.mode, row.frequency, row.max_papers)
            for row in self.store.subscriptions(user_id=user.id)
        ]

    def digest(self, user: User, day: date | None = None, frequency: Frequency = "daily") -> Digest:
        """What the member's next digest of this frequency for `day` holds (nothing is recorded)."""
        day = day or date.today()
        subscriptions = [s for s in self.subscriptions(user) if s.frequency == frequency]
        through = self.store.last_digest_through(user.id, frequency)
        since, day = window(day, frequency, date.fromisoformat(through) if through else None)
        rankings = [
            (s, self.subscription_papers(user, s, since + timedelta(days=1), day)) for s in subscriptions
        ]
        if frequency == "daily":
            rankings += self.followed_papers(user, since, day)
        entries = merge_rankings(rankings, MAX_DIGEST_PAPERS)
        return Digest(user.email, user.name, frequency, period_name(day, frequency), since, day, entries)

    def followed_papers(self, user: User, since: date, day: date) -> list[tuple[Subscription, list[Paper]]]:
        """For each public collection the member follows, the papers added to it after `since`
        up to the end of `day`, the newest first."""
        found: list[tuple[Subscription, list[Paper]]] = []
        after, until = (since + timedelta(days=1)).isoformat(), (day + timedelta(days=1)).isoformat()
        for collection_id in self.store.followed_collections(user.id):
            shown = self.store.collection_row(collection_id)
            pks = self.store.saved_between(collection_id, after, until)
            if shown is None or not pks:
                continue
            papers = self.store.papers_by_pk(pks)
            name = f"“{shown.name}” by {shown.owner}"
            subscription = Subscription(-collection_id, "followed", name, "", "daily", FOLLOWED_MAX_PAPERS)
            found.append((subscription, [papers[pk] for pk in pks if pk in papers]))
        return found

    def subscription_papers(
        self, user: User, subscription: Subscription, first: date, last: date
    ) -> list[Paper]:
        """The papers published from `first` to `last` that a subscription brings, best first."""
        limit = subscription.max_papers
        if subscription.kind in ("author", "category"):
            is_author = subscription.kind == "author"
            found = self.searcher.search(
                "",
                mode="keyword",
                limit=limit,
                date_from=first,
                date_to=last,
                snippets=False,
                author=subscription.value if is_author else None,
                category=None if is_author else subscription.value,
            )
            return [hit.paper for hit in found]
        if subscription.kind == "trending":
            rows, _total = self.store.published_between(first, last, by_votes=True, limit=limit, offset=0)
            papers = self.store.papers_by_pk([row.pk for row in rows])
            return [papers[row.pk] for row in rows]
        if subscription.kind == "collection":
            collection_id = self.store.collection_id(user.id, subscription.value)
            seeds = [saved.pk for saved in self.store.saved_in(collection_id)] if collection_id else []
            rows, _total = self.store.published_between(
                first, last, by_votes=False, limit=1_000_000, offset=0
            )
            if not seeds or not rows:
                return []
            try:
                hits = self.similar.more_like_pks(seeds, limit, np.array([row.pk for row in rows]))
            except (ModelUnavailable, PapersiftError):  # no model, or a saved paper not embedded yet
                return []
            return [hit.paper for hit in hits if hit.score >= MATCH_COSINE]
        mode: SearchMode = subscription.mode if subscription.mode in SEARCH_MODES else "hybrid"
        return self.query_matches(subscription.value, mode, first, last, limit)

    def query_matches(self, text: str, mode: SearchMode, first: date, last: date, limit: int) -> list[Paper]:
        """Papers that a search subscription really matches, not just the best of any day: with
        every word of the query (keyword), close in meaning (semantic: cosine >= MATCH_COSINE), or
        either (hybrid)."""
        found = self.searcher.search(
            text, mode=mode, limit=limit * 3, date_from=first, date_to=last, snippets=False
        )
        query = found.query
        terms = query.highlight_terms
        closeness: dict[int, float] = {}
        semantic = self.indexes.semantic(required=False) if mode != "keyword" else None
        if semantic is not None and query.meaning_text.strip():
            vector = semantic.embed_query(query.meaning_text)
            pks = self.store.pks_of([hit.paper.id for hit in found])
            vectors = semantic.vectors_of(list(pks.values()))
            closeness = {pk: float(vectors[pk] @ vector) for pk in pks.values() if pk in vectors}
            by_id = {paper_id: closeness.get(pk, 0.0) for paper_id, pk in pks.items()}
        matches = []
        for hit in found:
            has_words = (
                bool(terms) and terms <= term_counts(f"{hit.paper.title} {hit.paper.abstract}")[0].keys()
            )
            close = bool(closeness) and by_id.get(hit.paper.id, 0.0) >= MATCH_COSINE
            if (
                (mode == "keyword" and has_words)
                or (mode == "semantic" and close)
                or (mode == "hybrid" and (has_words or close))
            ):
                matches.append(hit.paper)
        return matches[:limit]
