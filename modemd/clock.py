"""Time in one place: UTC datetimes, their ISO 8601 text form, and a clock tests can drive."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def to_iso(dt: datetime | None) -> str | None:
    """Fixed-width ISO 8601 UTC text (`2026-11-21T23:40:00.123Z`): sorts like the time it names."""
    if dt is None:
        return None
    # isoformat truncates to milliseconds like the format always did; it is 4x strftime's speed.
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def from_iso(text: str | None) -> datetime | None:
    """Parse what `to_iso` wrote (and any ISO 8601 text with an offset) into aware UTC."""
    if text is None:
        return None
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return dt.astimezone(UTC)


class Clock:
    """Wall-clock source handed to services, so tests can replace it with `ManualClock`."""

    def now(self) -> datetime:
        return utcnow()


class ManualClock(Clock):
    """A clock that only moves when told to (tests of backoff, expiry and schedules)."""

    def __init__(self, start: datetime | None = None):
        self._now = start or utcnow()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta
