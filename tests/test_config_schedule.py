"""The `[schedule]` section: quiet hours per weekday and the planning horizon."""

from __future__ import annotations

import pytest

from modemd.config import ScheduleConfig, parse_config, redacted
from modemd.errors import ConfigError
from modemd.sendwindow import SendWindows


def problems_of(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return info.value.problems


def test_defaults():
    cfg = parse_config({})
    assert cfg.schedule == ScheduleConfig()
    assert cfg.schedule.quiet_hours == "20:00-08:00" and cfg.schedule.max_days_ahead == 400
    assert cfg.schedule.days == {} and cfg.schedule.quiet_hours_for_messages is False


def test_per_weekday_overrides():
    cfg = parse_config({"schedule": {"quiet_hours": "19:00-07:30", "quiet_hours_sat":
                                     "14:00-09:00", "quiet_hours_sun": "all",
                                     "max_days_ahead": 30, "quiet_hours_for_messages": True}})
    assert cfg.schedule.days == {"sat": "14:00-09:00", "sun": "all"}
    w = SendWindows.from_specs(cfg.daemon.timezone, cfg.schedule.quiet_hours, cfg.schedule.days)
    assert w.quiet[0] == ((0, 450), (1140, 1440))
    assert w.quiet[5] == ((0, 540), (840, 1440)) and w.quiet[6] == ((0, 1440),)
    assert parse_config(redacted(cfg)) == cfg


def test_problems_name_the_key():
    problems = problems_of({"schedule": {
        "quiet_hours": "20-8", "quiet_hours_sat": 14, "quiet_hours_sa": "all",
        "max_days_ahead": 0, "quiet_hours_for_messages": "yes"}})
    joined = "\n".join(problems)
    assert 'schedule.quiet_hours: expected "HH:MM-HH:MM"' in joined
    assert "schedule.quiet_hours_sat: expected a string, got 14" in joined
    assert 'schedule.quiet_hours_sa: unknown key (did you mean "quiet_hours_sat"?)' in joined
    assert "schedule.max_days_ahead: expected an integer from 1 to 3660, got 0" in joined
    assert "schedule.quiet_hours_for_messages: expected a boolean" in joined
    assert len(problems) == 5


def test_unknown_section_hint_and_misplaced_key():
    assert problems_of({"shedule": {}}) == ['shedule: unknown section (did you mean "schedule"?)']
    assert problems_of({"daemon": {"quiet_hours": "none"}}) == [
        "daemon.quiet_hours: unknown key (it belongs in [schedule])"]
