"""Moments in time as the app stores, logs and shows them.

Stored moments are UTC; SQLite hands them back without a time zone, so every reader goes
through ``as_utc``. The board writes them as ISO 8601 in UTC; pages show them in the
election's own time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored moment as an aware UTC datetime (SQLite hands back naive ones)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def in_zone(moment: datetime | None, timezone: str) -> datetime | None:
    """A stored moment in the named time zone, for display."""
    aware = as_utc(moment)
    return aware.astimezone(ZoneInfo(timezone)) if aware else None


def iso_utc(moment: datetime) -> str:
    """A moment as the board writes it: ISO 8601 in UTC to the second, ``...Z``."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
