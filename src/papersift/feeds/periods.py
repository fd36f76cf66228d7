"""Feeds of papers: the periods of the daily feed and the trending score. Pure functions.

Trending (`trending_score`): a paper's upvotes decayed by its age, as Hacker News ranks stories:

    score = upvotes / (age_in_days + 2) ** GRAVITY

`+ 2` keeps a paper of today from dividing by almost nothing; GRAVITY 1.5 halves a paper's
standing in about two days when it is new and more slowly later, so a paper needs more and more
votes to stay on top as it ages. Papers nobody upvoted are not trending: they follow all voted
papers, newest first, so a new library's trending page still shows something useful.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from papersift.records import PERIODS as PERIODS
from papersift.records import Period as Period

GRAVITY = 1.5


def trending_score(upvotes: int, published: date | None, today: date) -> float:
    if upvotes <= 0:
        return 0.0
    age = max(0, (today - published).days) if published else 365
    return float(upvotes / (age + 2) ** GRAVITY)


def period_span(day: date, period: Period) -> tuple[date, date]:
    """The first and last day of the day, ISO week (Monday to Sunday) or month holding `day`."""
    if period == "day":
        return day, day
    if period == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
