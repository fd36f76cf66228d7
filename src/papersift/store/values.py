"""Values as the backends give them back, made alike: SQLite keeps dates and times as ISO text,
PostgreSQL gives `date` and `datetime` objects (and JSON already parsed)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any


def now_text() -> str:
    """The time now, as every table stores it (UTC, to the second)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def as_day(value: str | date | None) -> date | None:
    """A stored date: ISO text (SQLite) or a date (PostgreSQL)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value) if value else None


def as_list(value: str | list[Any]) -> list[Any]:
    """A stored JSON list: text (SQLite) or already parsed (PostgreSQL's jsonb)."""
    return json.loads(value) if isinstance(value, str) else value


def as_text(value: str | date | None) -> str | None:
    """A stored date or time as ISO text, as SQLite keeps it (times to the second)."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value
