"""Papers as a page shows them: each with what members made of it, and the front page's papers.

A list of papers on a page (a search, a day, a collection, the paper page's neighbours) shows
each paper as a card: its upvotes, its comments and, to a signed-in member, whether they upvoted
it and which of their collections hold it. `Cards.cards` answers that for a whole list with one
store query per kind of count, so a face never decorates a list by hand.

The front page lists the papers members curated once they curate, and every new paper before
(`Cards.front_page`): decided here, once, for the pages and the API alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING

from papersift.catalog import Catalog
from papersift.records import FeedSort, FrontPage, Paper, PaperCard, Period, User
from papersift.store import Store

if TYPE_CHECKING:
    from papersift.feeds.daily import Feeds
    from papersift.members.curation import Curation


class Cards:
    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        feeds: Callable[[], Feeds],
        curation: Callable[[], Curation],
    ) -> None:
        # The feeds and the curation are built when the front page first needs them.
        self.store = store
        self.catalog = catalog
        self._feeds = feeds
        self._curation = curation

    def cards(self, papers: Iterable[Paper], member: User | None = None) -> list[PaperCard]:
        """A card for each paper, in order: upvotes and comments, and with a `member` their upvote
        and the collections of theirs holding it (a paper the library lacks counts nothing)."""
        shown = list(papers)
        pks = self.catalog.pks_of(paper.id for paper in shown) if shown else {}
        known = list(dict.fromkeys(pks.values()))
        votes = self.store.vote_counts(known) if known else {}
        comments = self.store.comment_counts(known) if known else {}
        upvoted = self.store.voted_by(member.id, known) if member and known else set()
        saved = self.store.saved_by(member.id, known) if member and known else {}
        cards = []
        for paper in shown:
            pk = pks.get(paper.id)
            if pk is None:
                cards.append(PaperCard(paper, 0, 0))
                continue
            cards.append(
                PaperCard(
                    paper,
                    votes.get(pk, 0),
                    comments.get(pk, 0),
                    pk in upvoted,
                    tuple(saved.get(pk, ())),
                )
            )
        return cards

    def front_page(
        self,
        day: date | None = None,
        *,
        period: Period = "day",
        sort: FeedSort = "trending",
        limit: int = 50,
        offset: int = 0,
        has_code: bool = False,
        every_paper: bool = False,
        include_pending: bool = False,
    ) -> FrontPage:
        """The papers of a day (or its week or month; default: the newest). Once members curate,
        the entries they listed: a day ranked (`sort` "trending") as its page shows it, with the
        days around it (and, with `include_pending`, the entries waiting for a curator); other
        periods and orders as a list (`sort` "date": newest submission first). Before members
        curate, or with `every_paper`, every paper published then: a page of `Feeds.daily`."""
        if every_paper or not self._curation().has_lists():
            feed = self._feeds().daily(
                day, period=period, sort=sort, limit=limit, offset=offset, has_code=has_code
            )
            return FrontPage(feed=feed)
        curation = self._curation()
        if period == "day" and sort == "trending":
            listed = curation.day(day, include_pending=include_pending)
            return FrontPage(day=listed, entries=listed.entries)
        return FrontPage(entries=curation.listed(day, period, newest_first=sort == "date"))
