"""The feeds of papers: a day's (week's, month's) papers by votes or date, and trending papers."""

from __future__ import annotations

from datetime import date
from typing import Literal

from papersift.feeds.periods import Period, period_span, trending_score
from papersift.records import FeedItem, FeedPage
from papersift.store import Store


class Feeds:
    def __init__(self, store: Store) -> None:
        self.store = store

    def latest_day(self) -> date | None:
        """The newest publication date in the library (the daily feed opens there)."""
        return self.store.latest_published()

    def daily(
        self,
        day: date | None = None,
        *,
        period: Period = "day",
        sort: Literal["trending", "date"] = "trending",
        limit: int = 50,
        offset: int = 0,
        has_code: bool = False,
    ) -> FeedPage:
        """Papers published on a day (or in its week or month): most upvoted first, or newest;
        with `has_code`, only those with a code repository."""
        day = day or self.latest_day() or date.today()
        first, last = period_span(day, period)
        rows, total = self.store.published_between(
            first,
            last,
            by_votes=sort == "trending",
            limit=max(0, limit),
            offset=max(0, offset),
            has_code=has_code,
        )
        papers = self.store.papers_by_pk([row.pk for row in rows])
        before, after = self.store.published_near(first, last, has_code=has_code)
        items = [FeedItem(papers[row.pk], row.votes) for row in rows]
        return FeedPage(items, first, last, period, sort, total, before, after)

    def trending(self, limit: int = 50, offset: int = 0, *, today: date | None = None) -> list[FeedItem]:
        """Upvoted papers by `feeds.trending_score` (votes decayed by age), then the newest others."""
        today = today or date.today()
        voted = sorted(
            self.store.voted_papers(),
            key=lambda row: (
                -trending_score(row.votes, row.published, today),
                -row.votes,
                -(row.published or date.min).toordinal(),
            ),
        )
        ranked = [(row.pk, row.votes) for row in voted[offset : offset + limit]]
        if len(ranked) < limit:
            rest_offset = max(0, offset - len(voted))
            ranked += [(pk, 0) for pk in self.store.newest_unvoted(limit - len(ranked), rest_offset)]
        papers = self.store.papers_by_pk([pk for pk, _ in ranked])
        return [FeedItem(papers[pk], votes) for pk, votes in ranked]
