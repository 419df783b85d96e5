"""Send windows: quiet hours per weekday, lead times and reminder planning in local time.

Pure domain: no store, no clock (callers pass `now`), no logging. Every instant is an aware UTC
datetime; local wall-clock time is used only to read the practice's rules ("no SMS between
20:00 and 08:00", "one day before at the same time").

Daylight saving time, decided once here:
- a local time that does not exist (02:30 on the night the clocks go forward) is read with the
  offset before the change, which lands on the same distance after the gap: 02:30 → 03:30;
- a local time that exists twice (02:30 on the night the clocks go back) means the first one;
- planned instants are stored in UTC, so the repeated hour can neither skip nor double a send.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
# When a reminder has to move earlier, it goes out this long before its open window closes.
EARLIER_MARGIN = timedelta(minutes=1)

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_LEAD = re.compile(r"^\s*(\d{1,5})\s*(m|min|h|d)\s*$")
MAX_LEAD = timedelta(days=400)

Interval = tuple[int, int]  # [start, end) in minutes after local midnight, end <= 1440


def parse_quiet(spec: str) -> tuple[Interval, ...]:
    """Read a quiet-hours spec of one day into sorted, merged minute ranges; ValueError if bad.

    `"20:00-08:00"` (wrapping: before 08:00 and from 20:00), `"12:00-14:00"` (lunch),
    several joined by commas, `"all"` (the whole day is quiet) or `"none"` (no quiet time).
    """
    text = spec.strip().lower()
    if text == "all":
        return ((0, DAY_MINUTES),)
    if text == "none":
        return ()
    ranges: list[Interval] = []
    for piece in text.split(","):
        m = _RANGE.match(piece)
        if not m:
            raise ValueError(f"{piece.strip()!r} is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"{piece.strip()!r} is not a time of day")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if start == end or (start == 0 and end == DAY_MINUTES):
            raise ValueError(f"{piece.strip()!r} is empty or the whole day; write \"all\" "
                             "or \"none\"")
        if start < end:
            ranges.append((start, end))
        else:  # wraps midnight: both ends of this calendar day
            ranges += [(0, end), (start, DAY_MINUTES)] if end else [(start, DAY_MINUTES)]
    return _merge(sorted(ranges))


def _merge(ranges: list[Interval]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    for a, b in ranges:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def local_to_utc(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """The instant of local wall-clock `minutes` after midnight on `day` (rules above)."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minutes)
    return naive.replace(tzinfo=tz, fold=0).astimezone(UTC)


@dataclass(frozen=True)
class SendWindows:
    """When reminders may go out: the complement of each weekday's quiet hours, in `tz`."""

    tz: ZoneInfo
    quiet: tuple[tuple[Interval, ...], ...]  # Monday first, 7 entries

    @classmethod
    def from_specs(cls, timezone: str, default: str, days: dict[str, str] | None = None
                   ) -> SendWindows:
        """Build from config text: `default` for every day, `days` ("sat" → spec) override."""
        days = days or {}
        quiet = tuple(parse_quiet(days.get(d) or default) for d in WEEKDAYS)
        return cls(ZoneInfo(timezone), quiet)

    @classmethod
    def always_open(cls, timezone: str = "UTC") -> SendWindows:
        return cls(ZoneInfo(timezone), ((),) * 7)

    # --- open intervals in UTC -------------------------------------------------------------
    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The open stretches overlapping [start, end), in UTC, merged and clipped."""
        first = start.astimezone(self.tz).date() - timedelta(days=1)
        last = end.astimezone(self.tz).date() + timedelta(days=1)
        out: list[tuple[datetime, datetime]] = []
        day = first
        while day <= last:
            cursor = 0
            for a, b in (*self.quiet[day.weekday()], (DAY_MINUTES, DAY_MINUTES)):
                if a > cursor:
                    lo = local_to_utc(day, cursor, self.tz)
                    hi = local_to_utc(day, a, self.tz)
                    lo, hi = max(lo, start), min(hi, end)
                    if lo < hi:
                        if out and lo <= out[-1][1]:
                            out[-1] = (out[-1][0], max(out[-1][1], hi))
                        else:
                            out.append((lo, hi))
                cursor = max(cursor, b)
            day += timedelta(days=1)
        return out

    def is_open(self, at: datetime) -> bool:
        """May a reminder go out at this instant?"""
        return any(a <= at < b for a, b in self.open_intervals(at, at + timedelta(seconds=1)))

    def next_open(self, at: datetime, horizon: timedelta = timedelta(days=8)) -> datetime | None:
        """The first open instant at or after `at` (None: every day is quiet)."""
        spans = self.open_intervals(at, at + horizon)
        return spans[0][0] if spans else None

    def last_open_before(self, deadline: datetime, not_before: datetime) -> datetime | None:
        """A send time late in the last open window ending by `deadline`, not before
        `not_before`: the window's end minus EARLIER_MARGIN (its start if it is shorter)."""
        if deadline <= not_before:
            return None
        spans = self.open_intervals(not_before, deadline)
        if not spans:
            return None
        a, b = spans[-1]
        return max(a, b - EARLIER_MARGIN)


# --- lead times ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lead:
    """How long before the appointment a reminder goes out: minutes, hours or calendar days."""

    amount: int
    unit: str  # "m", "h" or "d"

    @property
    def text(self) -> str:
        return f"{self.amount}{self.unit}"

    @property
    def approx(self) -> timedelta:
        return timedelta(minutes=self.amount * {"m": 1, "h": 60, "d": DAY_MINUTES}[self.unit])

    def before(self, appointment: datetime, tz: ZoneInfo) -> datetime:
        """The nominal send time. "h"/"m" are elapsed time; "d" is the same local wall-clock
        time that many days earlier (so "1d" before 10:00 is 10:00 the day before, also
        across a daylight-saving change)."""
        if self.unit != "d":
            return appointment - self.approx
        local = appointment.astimezone(tz).replace(tzinfo=None) - timedelta(days=self.amount)
        return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def parse_lead(value: object) -> Lead:
    """`"24h"`, `"2h"`, `"90m"`, `"1d"` or an integer number of minutes; ValueError if bad."""
    if isinstance(value, bool):
        raise ValueError("a lead time is a string like \"24h\" or a number of minutes")
    if isinstance(value, int):
        lead = Lead(value, "m")
    elif isinstance(value, str) and (m := _LEAD.match(value.lower())):
        unit = "m" if m.group(2) == "min" else m.group(2)
        lead = Lead(int(m.group(1)), unit)
    else:
        raise ValueError(f"{value!r} is not a lead time like \"24h\", \"90m\", \"1d\" or "
                         "a number of minutes")
    if lead.amount <= 0 or lead.approx > MAX_LEAD:
        raise ValueError(f"a lead time must be more than 0 and at most {MAX_LEAD.days} days")
    return lead


# --- planning ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedSend:
    """One lead of a reminder: when it goes out, or why it cannot (`at` is None)."""

    lead: str
    nominal: datetime
    at: datetime | None
    note: str | None = None   # why `at` differs from `nominal`, for the message history


def fit_window(t: datetime, now: datetime, deadline: datetime, windows: SendWindows
               ) -> tuple[datetime | None, str | None]:
    """Move `t` out of quiet hours: later to the window's end if that is before `deadline`,
    else earlier into the last open window (not before `now`), else (None, reason)."""
    if t >= deadline:
        return None, "no_send_window"
    if windows.is_open(t):
        return t, None
    later = windows.next_open(t)
    if later is not None and later < deadline:
        return later, "moved out of quiet hours to the window's end"
    earlier = windows.last_open_before(min(t, deadline), now)
    if earlier is not None:
        return earlier, "moved earlier into the last open window before the appointment"
    return None, "no_send_window"


def plan_reminder(
    appointment: datetime, leads: list[Lead], *, now: datetime, deadline: datetime,
    windows: SendWindows, already_sent: frozenset[str] = frozenset(),
) -> list[PlannedSend]:
    """Plan one send per lead time.

    A lead already sent for this appointment is not planned again. Leads whose time has
    passed are skipped while a later one is still ahead; if every lead has passed and none
    was sent, one reminder (the shortest lead) goes out now, so the patient hears once.
    """
    open_leads = [lead for lead in leads if lead.text not in already_sent]
    nominal = {lead.text: lead.before(appointment, windows.tz) for lead in open_leads}
    future = [lead for lead in open_leads if nominal[lead.text] > now]
    targets: list[tuple[Lead, datetime, str | None]] = [
        (lead, nominal[lead.text], None) for lead in future
    ]
    if not future and open_leads and not already_sent:
        shortest = min(open_leads, key=lambda lead: lead.approx)
        targets = [(shortest, now, "its time had passed when it was planned; sent now")]
    out = []
    for lead, t, note in sorted(targets, key=lambda x: x[1]):
        at, why = fit_window(t, now, deadline, windows)
        out.append(PlannedSend(lead.text, nominal[lead.text], at, why or note))
    return out
