"""Send windows, lead times and reminder planning: pure functions, Europe/Berlin with DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from modemd.sendwindow import (
    SendWindows,
    local_to_utc,
    parse_lead,
    parse_quiet,
    plan_reminder,
)

BERLIN = ZoneInfo("Europe/Berlin")


def local(y, mo, d, h, mi=0, fold=0) -> datetime:
    """A Berlin wall-clock time as aware UTC."""
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN, fold=fold).astimezone(UTC)


def default() -> SendWindows:
    return SendWindows.from_specs("Europe/Berlin", "20:00-08:00")


@pytest.mark.parametrize("spec, expected", [
    ("20:00-08:00", ((0, 480), (1200, 1440))),
    ("12:00-14:00", ((720, 840),)),
    ("22:00-24:00", ((1320, 1440),)),
    ("21:00-00:00", ((1260, 1440),)),
    ("12:00-13:00, 19:00-07:30", ((0, 450), (720, 780), (1140, 1440))),
    ("all", ((0, 1440),)),
    ("NONE", ()),
    (" 7:05 - 9:00 ", ((425, 540),)),
])
def test_parse_quiet(spec, expected):
    assert parse_quiet(spec) == expected


@pytest.mark.parametrize("bad", ["", "20-08", "25:00-08:00", "08:00-08:00", "00:00-24:00",
                                 "20:00-08:60", "abends", "20:00-08:00,"])
def test_parse_quiet_rejects(bad):
    with pytest.raises(ValueError):
        parse_quiet(bad)


def test_quiet_hours_on_both_sides_of_midnight():
    w = default()
    # Tuesday 2026-06-16: 19:59 open, 20:00 quiet, 23:59 quiet, 00:00 (Wed) quiet, 08:00 open.
    assert w.is_open(local(2026, 6, 16, 19, 59))
    assert not w.is_open(local(2026, 6, 16, 20, 0))
    assert not w.is_open(local(2026, 6, 16, 23, 59))
    assert not w.is_open(local(2026, 6, 17, 0, 0))
    assert not w.is_open(local(2026, 6, 17, 7, 59))
    assert w.is_open(local(2026, 6, 17, 8, 0))
    # before midnight and after midnight both end at 08:00 the next/same morning
    assert w.next_open(local(2026, 6, 16, 21, 30)) == local(2026, 6, 17, 8, 0)
    assert w.next_open(local(2026, 6, 17, 3, 0)) == local(2026, 6, 17, 8, 0)
    assert w.next_open(local(2026, 6, 17, 9, 0)) == local(2026, 6, 17, 9, 0)
    # the last open window before 07:00 is the evening before, one minute before it closes
    assert w.last_open_before(local(2026, 6, 17, 7, 0), local(2026, 6, 16, 12, 0)) == \
        local(2026, 6, 16, 19, 59)
    assert w.last_open_before(local(2026, 6, 17, 7, 0), local(2026, 6, 16, 20, 30)) is None


def test_per_weekday_overrides():
    # Saturday only 09:00-14:00, Sunday closed; 2026-06-20 is a Saturday.
    w = SendWindows.from_specs("Europe/Berlin", "20:00-08:00",
                               {"sat": "14:00-09:00", "sun": "all"})
    assert not w.is_open(local(2026, 6, 20, 8, 30))
    assert w.is_open(local(2026, 6, 20, 9, 0))
    assert not w.is_open(local(2026, 6, 20, 14, 0))
    assert not w.is_open(local(2026, 6, 21, 12, 0))
    # Saturday 15:00 → next open is Monday 08:00 (Sunday closed)
    assert w.next_open(local(2026, 6, 20, 15, 0)) == local(2026, 6, 22, 8, 0)
    # Friday evening 20:00 quiet until Saturday 09:00 (Saturday's own rule)
    assert w.next_open(local(2026, 6, 19, 20, 30)) == local(2026, 6, 20, 9, 0)
    assert SendWindows.from_specs("UTC", "all").next_open(local(2026, 6, 20, 15)) is None


def test_windows_across_dst_changes():
    w = default()
    # Spring forward (2026-03-29): 08:00 local is 06:00 UTC; the night before 07:00 UTC.
    assert w.next_open(local(2026, 3, 29, 1, 0)) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    assert w.next_open(local(2026, 3, 28, 22, 0)) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    # Fall back (2026-10-25): 08:00 local is 07:00 UTC.
    assert w.next_open(local(2026, 10, 25, 2, 30, fold=1)) == \
        datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
    assert not w.is_open(local(2026, 10, 25, 2, 30, fold=0))
    assert not w.is_open(local(2026, 10, 25, 2, 30, fold=1))


def test_local_to_utc_gap_and_fold():
    # 02:30 does not exist on 2026-03-29: read with the winter offset → 03:30 CEST.
    t = local_to_utc(datetime(2026, 3, 29).date(), 150, BERLIN)
    assert t == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert t.astimezone(BERLIN).strftime("%H:%M %Z") == "03:30 CEST"
    # 02:30 exists twice on 2026-10-25: the first one (CEST).
    t = local_to_utc(datetime(2026, 10, 25).date(), 150, BERLIN)
    assert t == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("value, text, minutes", [
    ("24h", "24h", 1440), ("2h", "2h", 120), ("90m", "90m", 90), ("90 min", "90m", 90),
    ("1d", "1d", 1440), (30, "30m", 30), ("2D", "2d", 2880),
])
def test_parse_lead(value, text, minutes):
    lead = parse_lead(value)
    assert lead.text == text and lead.approx == timedelta(minutes=minutes)


@pytest.mark.parametrize("bad", ["0h", "-2h", "2 weeks", "", True, 2.5, None, "401d", 0])
def test_parse_lead_rejects(bad):
    with pytest.raises(ValueError):
        parse_lead(bad)


def test_day_leads_keep_the_wall_clock_across_dst():
    appointment = local(2026, 3, 29, 10, 0)         # the Sunday the clocks go forward
    assert parse_lead("1d").before(appointment, BERLIN) == local(2026, 3, 28, 10, 0)
    assert parse_lead("24h").before(appointment, BERLIN) == local(2026, 3, 28, 9, 0)
    appointment = local(2026, 10, 25, 10, 0)        # the Sunday the clocks go back
    assert parse_lead("1d").before(appointment, BERLIN) == local(2026, 10, 24, 10, 0)
    assert parse_lead("24h").before(appointment, BERLIN) == local(2026, 10, 24, 11, 0)
    # "1d" onto a time that does not exist / exists twice (rules in modemd.sendwindow)
    assert parse_lead("1d").before(local(2026, 3, 30, 2, 30), BERLIN) == \
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC)              # 03:30 CEST
    assert parse_lead("1d").before(local(2026, 10, 26, 2, 30), BERLIN) == \
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC)             # the first 02:30 (CEST)


# --- planning ---------------------------------------------------------------------------


def plan(appointment, leads, now, windows=None, sent=frozenset(), deadline=None):
    return plan_reminder(appointment, [parse_lead(x) for x in leads], now=now,
                         deadline=deadline or appointment, windows=windows or default(),
                         already_sent=sent)


def test_plan_in_open_windows():
    out = plan(local(2026, 6, 18, 15, 0), ["24h", "2h"], local(2026, 6, 15, 9, 0))
    assert [(p.lead, p.at) for p in out] == [
        ("24h", local(2026, 6, 17, 15, 0)), ("2h", local(2026, 6, 18, 13, 0))]
    assert all(p.note is None for p in out)


def test_plan_moves_later_to_the_window_end_if_before_the_appointment():
    # 09:00 appointment, 10h before = 23:00 the evening before → 08:00 that morning.
    (p,) = plan(local(2026, 6, 18, 9, 0), ["10h"], local(2026, 6, 15, 9, 0))
    assert p.at == local(2026, 6, 18, 8, 0) and "window's end" in p.note


def test_plan_moves_earlier_when_the_window_end_is_too_late():
    # 07:30 appointment, 90 min before = 06:00 (quiet); 08:00 is after the appointment →
    # the evening before, one minute before quiet hours start.
    (p,) = plan(local(2026, 6, 18, 7, 30), ["90m"], local(2026, 6, 15, 9, 0))
    assert p.at == local(2026, 6, 17, 19, 59) and "earlier" in p.note


def test_plan_drops_without_an_open_window():
    # Booked at 21:00 for 07:00 next morning: no open minute in between.
    (p,) = plan(local(2026, 6, 18, 7, 0), ["6h"], local(2026, 6, 17, 21, 0))
    assert p.at is None and p.note == "no_send_window"


def test_plan_skips_passed_leads_and_catches_up_once():
    now = local(2026, 6, 18, 10, 0)
    # appointment in 5 h: the 24h reminder has passed, the 2h one is ahead → only 2h.
    out = plan(local(2026, 6, 18, 15, 0), ["24h", "2h"], now)
    assert [(p.lead, p.at) for p in out] == [("2h", local(2026, 6, 18, 13, 0))]
    # appointment in 90 min: both passed → one reminder now (the shortest lead).
    out = plan(local(2026, 6, 18, 11, 30), ["24h", "2h"], now)
    assert [(p.lead, p.at) for p in out] == [("2h", now)]
    # …but not if a reminder for this appointment already went out.
    assert plan(local(2026, 6, 18, 11, 30), ["24h", "2h"], now, sent=frozenset({"24h"})) == []


def test_plan_never_after_the_deadline():
    appointment = local(2026, 6, 18, 15, 0)
    out = plan(appointment, ["24h", "2h"], local(2026, 6, 15, 9, 0),
               deadline=local(2026, 6, 18, 12, 0))
    assert [(p.lead, p.at) for p in out] == [("24h", local(2026, 6, 17, 15, 0)),
                                             ("2h", None)]
