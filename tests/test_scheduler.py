"""The scheduler and reminders on a real database with a ManualClock: no sleeping.

"Handed to the dispatcher" is checked the way the dispatcher sees it: `MessageStore.claim`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from modemd.clock import ManualClock, to_iso
from modemd.messaging import MessageService, Submission
from modemd.reminders import ReminderService
from modemd.scheduler import Scheduler
from modemd.sendwindow import SendWindows
from modemd.store import Database, KeyStore, MessageStore, NewMessage
from modemd.store.blocklist import BlocklistStore
from modemd.store.housekeeping import HousekeepingStore
from modemd.store.inbound import InboundStore, NewInbound
from modemd.store.reminders import ReminderStore
from modemd.store.schedule import Decision, ScheduleStore

BERLIN = ZoneInfo("Europe/Berlin")
NUMBER = "+4917612345678"


def local(y, mo, d, h, mi=0, fold=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN, fold=fold).astimezone(UTC)


@dataclass
class Env:
    db: Database
    clock: ManualClock
    key_id: int
    windows: SendWindows
    messages: MessageStore = field(init=False)
    schedule: ScheduleStore = field(init=False)
    scheduler: Scheduler = field(init=False)
    service: MessageService = field(init=False)
    reminders: ReminderService = field(init=False)
    released_calls: int = 0
    keep_quiet: bool = False

    def __post_init__(self) -> None:
        self.messages = MessageStore(self.db)
        self.schedule = ScheduleStore(self.db)
        self.scheduler = Scheduler(
            self.schedule, HousekeepingStore(self.db), self.windows, clock=self.clock,
            on_released=self._released, messages_keep_quiet_hours=self.keep_quiet)
        self.service = MessageService(self.messages, default_region="DE", max_length=600,
                                      clock=self.clock, max_days_ahead=400)
        self.reminders = ReminderService(
            ReminderStore(self.db), self.schedule, self.windows, clock=self.clock,
            default_region="DE", max_length=600, max_days_ahead=400)

    def _released(self) -> None:
        self.released_calls += 1

    def at(self, t: datetime) -> None:
        self.clock._now = t  # tests jump to absolute instants

    def send(self, **kw) -> int:
        msg, _ = self.service.submit(self.key_id, Submission(to=NUMBER, text="Hallo", **kw))
        return msg.id

    def tick(self) -> list[int]:
        """What the timer and a worker would do now: release, then claim and send all."""
        now = self.clock.now()
        self.scheduler.run_due(now)
        sent = []
        while (m := self.messages.claim("gsm0", now)) is not None:
            self.messages.mark_sent(m.id, now)
            sent.append(m.id)
        return sent

    def status(self, mid: int) -> str:
        return self.messages.get(mid).status


def make_env(tmp_path, start: datetime, windows: SendWindows | None = None, **kw) -> Env:
    db = Database(tmp_path / "m.sqlite3")
    key, _ = KeyStore(db).create("praxis", start)
    return Env(db, ManualClock(start), key.id,
               windows or SendWindows.from_specs("Europe/Berlin", "20:00-08:00"), **kw)


@pytest.fixture
def env(tmp_path):
    e = make_env(tmp_path, local(2026, 6, 15, 9, 0))
    yield e
    e.db.close()


# --- scheduled messages -------------------------------------------------------------------


def test_on_time_firing(env):
    due = env.clock.now() + timedelta(minutes=10)
    mid = env.send(send_at=to_iso(due))
    assert env.status(mid) == "scheduled"
    assert env.schedule.next_wake() == due
    env.at(due - timedelta(milliseconds=1))
    assert env.tick() == [] and env.released_calls == 0
    env.at(due)
    assert env.tick() == [mid]
    assert env.released_calls == 1
    history = [(h.status, h.at, h.detail) for h in env.messages.get(mid).history]
    assert history[:2] == [("scheduled", env.clock.now() - timedelta(minutes=10), None),
                           ("pending", due, "due")]
    assert [h[0] for h in history] == ["scheduled", "pending", "sending", "sent"]
    assert env.schedule.next_wake() is None


def test_send_at_in_the_past_is_sent_now_and_horizon_is_enforced(env):
    mid = env.send(send_at=to_iso(env.clock.now() - timedelta(hours=1)))
    assert env.status(mid) == "pending"
    assert env.tick() == [mid]
    with pytest.raises(Exception, match="400 days"):
        env.send(send_at=to_iso(env.clock.now() + timedelta(days=401)))
    assert env.status(env.send(send_at=to_iso(env.clock.now() + timedelta(days=399)))) == \
        "scheduled"


def test_restart_with_due_and_overdue_messages(tmp_path):
    start = local(2026, 6, 15, 9, 0)
    env = make_env(tmp_path, start)
    overdue = env.send(send_at=to_iso(start + timedelta(minutes=5)))
    just_due = env.send(send_at=to_iso(start + timedelta(hours=2) - timedelta(seconds=20)))
    future = env.send(send_at=to_iso(start + timedelta(hours=3)))
    # an overdue reminder: the box was off over its time
    r, _ = env.reminders.save(env.key_id, "T-1", {
        "to": NUMBER, "text": "Termin", "appointment_at": to_iso(local(2026, 6, 16, 10, 0)),
        "leads": ["24h"]}, create_only=True)
    env.db.close()

    # modemd was off from 09:00 to 11:00; a new process opens the same database.
    db = Database(tmp_path / "m.sqlite3")
    env2 = Env(db, ManualClock(start + timedelta(hours=2)), env.key_id, env.windows)
    env2.scheduler.start()          # catches up at once, then arms the timer
    try:
        assert env2.released_calls == 1
        for mid in (overdue, just_due, r.messages[0].message_id):
            assert env2.status(mid) == "pending"
        assert "overdue since 2026-06-15 09:05" in env2.messages.get(overdue).history[1].detail
        assert env2.messages.get(just_due).history[1].detail == "due"
        assert env2.status(future) == "scheduled"
        assert env2.schedule.next_wake() == start + timedelta(hours=3)
        assert sorted(env2.tick()) == sorted([overdue, just_due, r.messages[0].message_id])
    finally:
        env2.scheduler.stop()
        db.close()


def test_overdue_reminders_after_a_night_off_keep_quiet_hours(env):
    env.at(local(2026, 6, 15, 18, 0))
    body = {"to": NUMBER, "text": "Termin", "leads": ["2h"]}
    r1, _ = env.reminders.save(env.key_id, "late-morning",
                               {**body, "appointment_at": to_iso(local(2026, 6, 16, 11, 0))},
                               create_only=True)   # due 09:00: fine
    r2, _ = env.reminders.save(env.key_id, "evening",
                               {**body, "appointment_at": to_iso(local(2026, 6, 15, 21, 0))},
                               create_only=True)   # due 19:00
    r3, _ = env.reminders.save(env.key_id, "early",
                               {**body, "appointment_at": to_iso(local(2026, 6, 16, 7, 45))},
                               create_only=True)   # 05:45 quiet → 19:59 the evening before
    assert r3.messages[0].due_at == local(2026, 6, 15, 19, 59)
    plain = env.send(send_at=to_iso(local(2026, 6, 15, 19, 30)))
    # the box was off from 18:00 until 03:00
    env.at(local(2026, 6, 16, 3, 0))
    env.tick()
    m1, m2, m3 = (r.messages[0].message_id for r in (r1, r2, r3))
    assert env.status(m2) == "failed"                       # its appointment has passed
    assert env.messages.get(m2).error_code == "expired"
    assert env.status(m3) == "cancelled"                    # 08:00 is after 07:45
    assert env.messages.get(m3).error_code == "no_send_window"
    assert env.status(m1) == "scheduled"                    # not yet due
    assert env.status(plain) == "sent"                      # the practice's explicit time
    env.at(local(2026, 6, 16, 9, 0))
    assert env.tick() == [m1]


def test_quiet_hours_for_plain_messages_when_configured(tmp_path):
    env = make_env(tmp_path, local(2026, 6, 15, 9, 0), keep_quiet=True)
    mid = env.send(send_at=to_iso(local(2026, 6, 15, 22, 0)))
    env.at(local(2026, 6, 15, 22, 0))
    assert env.tick() == []
    assert env.messages.get(mid).due_at == local(2026, 6, 16, 8, 0)
    env.at(local(2026, 6, 16, 8, 0))
    assert env.tick() == [mid]
    env.db.close()


def test_expires_at(env):
    now = env.clock.now()
    pending = env.send(expires_at=to_iso(now + timedelta(minutes=5)))
    scheduled = env.send(send_at=to_iso(now + timedelta(minutes=10)),
                         expires_at=to_iso(now + timedelta(minutes=11)))
    assert env.schedule.next_wake() == now + timedelta(minutes=5)
    # no modem for 6 minutes: the claim itself refuses the stale message
    env.at(now + timedelta(minutes=6))
    assert env.messages.claim("gsm0", env.clock.now()) is None
    m = env.messages.get(pending)
    assert (m.status, m.error_code) == ("failed", "expired")
    assert m.history[-1].detail.startswith("expired")
    # the timer fails a scheduled one that could not go out in time
    env.at(now + timedelta(minutes=12))
    env.scheduler.run_due(env.clock.now())
    assert env.messages.get(scheduled).error_code == "expired"
    assert env.tick() == []
    with pytest.raises(Exception, match="expires_at"):
        env.send(expires_at=to_iso(env.clock.now() - timedelta(seconds=1)))


def test_expiry_also_stops_a_retry(env):
    now = env.clock.now()
    mid = env.send(expires_at=to_iso(now + timedelta(minutes=1)))
    m = env.messages.claim("gsm0", now)
    env.messages.requeue(m.id, now, now + timedelta(minutes=2), "retry", error=("x", "y"))
    env.at(now + timedelta(minutes=2))
    assert env.tick() == []
    assert env.messages.get(mid).error_code == "expired"


def test_a_cancelled_message_is_not_released(env):
    due = env.clock.now() + timedelta(minutes=1)
    mid = env.send(send_at=to_iso(due))
    found = env.schedule.due(due)
    env.messages.cancel(mid, env.key_id, due)    # the practice removes it meanwhile
    assert env.schedule.settle(due, [Decision(m.id, "release") for m in found])["release"] == 0
    assert env.status(mid) == "cancelled"


# --- daylight saving time -------------------------------------------------------------------


def run_night(env: Env, start: datetime, hours: int, step=timedelta(minutes=5)):
    sent: dict[int, list[datetime]] = {}
    t = start
    while t <= start + timedelta(hours=hours):
        env.at(t)
        for mid in env.tick():
            sent.setdefault(mid, []).append(t)
        t += step
    return sent


@pytest.mark.parametrize("night, appointment, plain_at, expected_utc", [
    # autumn: 02:30 exists twice; the reminder ("1d" before 02:30) goes at the first one
    ("fall", local(2026, 10, 26, 2, 30), "2026-10-25T02:30:00+01:00",
     datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    # spring: 02:30 does not exist; the reminder goes at 03:30 CEST (01:30 UTC)
    ("spring", local(2026, 3, 30, 2, 30), "2026-03-29T02:30:00+01:00",
     datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
])
def test_dst_nights_neither_skip_nor_double(tmp_path, night, appointment, plain_at,
                                            expected_utc):
    start = expected_utc - timedelta(hours=4)
    env = make_env(tmp_path, start - timedelta(days=2),
                   windows=SendWindows.from_specs("Europe/Berlin", "none"))
    r, _ = env.reminders.save(env.key_id, f"dst-{night}", {
        "to": NUMBER, "text": "Termin", "appointment_at": to_iso(appointment),
        "leads": ["1d"]}, create_only=True)
    reminder_msg = r.messages[0].message_id
    assert r.messages[0].due_at == expected_utc
    plain = env.send(send_at=plain_at)
    sent = run_night(env, start, hours=8)
    assert sent[reminder_msg] == [expected_utc]
    assert len(sent[plain]) == 1
    assert sent[plain][0] - datetime.fromisoformat(plain_at) < timedelta(minutes=5)
    env.db.close()


def test_quiet_hours_end_on_dst_mornings(tmp_path):
    # With default quiet hours, a reminder due in the night moves to 08:00 local on both
    # change days (06:00 UTC in spring after the change, 07:00 UTC in autumn).
    for day, utc_hour in ((datetime(2026, 3, 29), 6), (datetime(2026, 10, 25), 7)):
        env = make_env(tmp_path / str(utc_hour), datetime(2026, 1, 1, tzinfo=UTC))
        appointment = datetime(day.year, day.month, day.day, 11, 0, tzinfo=BERLIN)
        r, _ = env.reminders.save(env.key_id, "x", {
            "to": NUMBER, "text": "Termin", "appointment_at": appointment.isoformat(),
            "leads": ["9h"]}, create_only=True)
        assert r.messages[0].due_at == datetime(day.year, day.month, day.day, utc_hour,
                                                tzinfo=UTC)
        env.db.close()


# --- reminders -------------------------------------------------------------------------------


def body(appointment: datetime, **kw) -> dict:
    return {"to": "0176 12345678", "text": "Erinnerung an Ihren Termin",
            "appointment_at": to_iso(appointment), "leads": ["24h", "2h"], **kw}


def planned(r) -> list[tuple[str, str, datetime]]:
    return [(m.lead, m.status, m.due_at) for m in r.messages]


def test_replanning_and_cancelling_an_appointment(env):
    appt = local(2026, 6, 18, 15, 0)
    r, outcome = env.reminders.save(env.key_id, "A-17", body(appt), create_only=True)
    assert outcome == "created"
    assert planned(r) == [("24h", "scheduled", appt - timedelta(hours=24)),
                          ("2h", "scheduled", appt - timedelta(hours=2))]
    # the same request again changes nothing; a different POST is refused
    again, outcome = env.reminders.save(env.key_id, "A-17", body(appt), create_only=True)
    assert outcome == "unchanged" and planned(again) == planned(r)
    _, outcome = env.reminders.save(env.key_id, "A-17", body(appt, text="x"), create_only=True)
    assert outcome == "exists"

    # the 24h reminder goes out
    env.at(appt - timedelta(hours=24))
    first = r.messages[0].message_id
    assert env.tick() == [first]

    # text changed, same time: the sent lead is not sent again, the 2h one is re-planned
    r, outcome = env.reminders.save(env.key_id, "A-17", body(appt, text="Neu"),
                                    create_only=False)
    assert outcome == "updated"
    assert planned(r) == [("24h", "sent", appt - timedelta(hours=24)),
                          ("2h", "cancelled", appt - timedelta(hours=2)),
                          ("2h", "scheduled", appt - timedelta(hours=2))]
    assert env.messages.get(r.messages[2].message_id).text == "Neu"

    # moved by two days: the patient must learn the new time, both leads planned anew
    moved = appt + timedelta(days=2)
    r, _ = env.reminders.save(env.key_id, "A-17", body(moved), create_only=False)
    assert [(x[0], x[1]) for x in planned(r)] == [
        ("24h", "sent"), ("2h", "cancelled"), ("2h", "cancelled"), ("24h", "scheduled"),
        ("2h", "scheduled")]
    assert env.messages.get(first).status == "sent"      # never touched

    # cancelled: nothing unsent remains, nothing else goes out
    r = env.reminders.cancel(env.key_id, "A-17")
    assert r.status == "cancelled"
    assert [m.status for m in r.messages] == ["sent"] + ["cancelled"] * 4
    sent = run_night(env, env.clock.now(), hours=24 * 4, step=timedelta(hours=1))
    assert sent == {}
    assert env.reminders.cancel(env.key_id, "nope") is None


def test_a_reminder_is_never_sent_after_the_appointment_started(env):
    appt = local(2026, 6, 15, 12, 0)
    r, _ = env.reminders.save(env.key_id, "B-1", body(appt, leads=["2h"]), create_only=True)
    mid = r.messages[0].message_id
    env.at(appt - timedelta(hours=2))
    env.scheduler.run_due(env.clock.now())
    assert env.status(mid) == "pending"
    # no modem ready until the appointment has begun
    env.at(appt)
    assert env.messages.claim("gsm0", env.clock.now()) is None
    assert env.messages.get(mid).error_code == "expired"


def test_reminder_validation(env):
    appt = local(2026, 6, 18, 15, 0)
    cases = [
        (body(appt, leads=[]), "leads"),
        (body(appt, leads=["2w"]), "leads"),
        (body(appt, leads=["2h", "2h"]), "leads"),
        (body(appt, to="123"), "to"),
        (body(appt, text=" "), "text"),
        (body(appt, template="erinnerung"), "text"),  # text and template together
        ({**body(appt), "text": None, "template": "erinnerung"}, "template"),  # no templates
        (body(env.clock.now() - timedelta(minutes=1)), "appointment_at"),
        (body(env.clock.now() + timedelta(days=401)), "appointment_at"),
        ({**body(appt), "appointment_at": "2026-06-18 15:00"}, "appointment_at"),
        (body(appt, expires_at="2020-01-01T00:00:00Z"), "expires_at"),
    ]
    for data, fieldname in cases:
        with pytest.raises(Exception) as info:
            env.reminders.save(env.key_id, "V", data, create_only=True)
        assert getattr(info.value, "field", None) == fieldname, (data, info.value)
    for ref in (None, "", "a/b", "x" * 129):
        with pytest.raises(Exception) as info:
            env.reminders.save(env.key_id, ref, body(appt), create_only=True)
        assert info.value.field == "reference"


def test_reminder_dropped_for_lack_of_a_window_is_kept_as_cancelled(env):
    env.at(local(2026, 6, 15, 21, 0))
    r, _ = env.reminders.save(env.key_id, "C", body(local(2026, 6, 16, 7, 0), leads=["6h"]),
                              create_only=True)
    m = env.messages.get(r.messages[0].message_id)
    assert (m.status, m.error_code) == ("cancelled", "no_send_window")


# --- the planned list and removing a selection ----------------------------------------------


def test_remove_a_selection(env):
    now = env.clock.now()
    a = env.send(send_at=to_iso(now + timedelta(hours=1)))
    b = env.send(send_at=to_iso(now + timedelta(hours=2)))
    c = env.send()
    d = env.send(send_at=to_iso(now + timedelta(hours=3)))
    env.messages.cancel(d, env.key_id, now)
    assert env.tick() == [c]
    other, _ = KeyStore(env.db).create("filiale", now)
    out = env.schedule.remove(other.id, [a], now)
    assert out.not_found == (a,) and env.status(a) == "scheduled"
    out = env.schedule.remove(env.key_id, [a, b, c, d, 999, a], now)
    assert out.removed == (a, b)
    assert out.already_sent == (c,)
    assert out.already_final == ((d, "cancelled"),)
    assert out.not_found == (999,)
    assert env.status(a) == env.status(b) == "cancelled"
    assert env.schedule.planned(env.key_id) == []


def test_planned_list_by_due_time_with_cursor(env):
    now = env.clock.now()
    ids = [env.send(send_at=to_iso(now + timedelta(minutes=m))) for m in (30, 10, 20, 10)]
    env.send()  # pending: not in the plan
    page = env.schedule.planned(env.key_id, limit=3)
    assert [i.message.id for i in page] == [ids[1], ids[3], ids[2]]
    last = page[-1].message
    rest = env.schedule.planned(env.key_id, after=(last.due_at, last.id), limit=3)
    assert [i.message.id for i in rest] == [ids[0]]


# --- housekeeping ------------------------------------------------------------------------------


def test_retention_purge_keeps_statistics(env):
    now = env.clock.now()
    old = now - timedelta(days=61)
    msgs = MessageStore(env.db)
    sent_old, _ = msgs.add(NewMessage(env.key_id, NUMBER, "Befund liegt vor", "gsm7", 2), old)
    claimed = msgs.claim("gsm0", old)
    msgs.mark_sent(claimed.id, old)
    queued_old, _ = msgs.add(NewMessage(env.key_id, NUMBER, "später", "gsm7", 1,
                                        send_at=now + timedelta(days=5)), old)
    recent, _ = msgs.add(NewMessage(env.key_id, NUMBER, "neu", "gsm7", 1), now)
    env.at(old)
    env.reminders.save(env.key_id, "R-old", body(old + timedelta(hours=12)),
                       create_only=True)
    env.at(now)
    counts_before = msgs.count_by_status()
    housekeeping = HousekeepingStore(env.db)
    result = housekeeping.purge(now, 60)
    m = msgs.get(sent_old.id)
    assert (m.text, m.to) == ("", "")
    assert (m.status, m.segments, m.key_id, m.sent_at) == ("sent", 2, env.key_id, old)
    assert all(h.detail is None for h in m.history)
    assert msgs.get(queued_old.id).text == "später"      # still planned: never purged
    assert msgs.get(recent.id).text == "neu"
    assert msgs.count_by_status() == counts_before
    rem = ReminderStore(env.db).get(env.key_id, "R-old")
    assert (rem.text, rem.to, rem.reference) == ("", "", "R-old")
    assert result.messages >= 1 and result.reminders == 1
    assert housekeeping.purge(now, 60).messages == 0


def test_purge_covers_received_messages(env):
    now = env.clock.now()
    inbound = InboundStore(env.db)
    old_id = inbound.add_message(NewInbound(modem="gsm0", sender=NUMBER, text="Ja, passt",
                                            encoding="gsm7",
                                            received_at=now - timedelta(days=61)), [])
    new_id = inbound.add_message(NewInbound(modem="gsm0", sender=NUMBER, text="Danke",
                                            encoding="gsm7", received_at=now), [])
    result = HousekeepingStore(env.db).purge(now, 60)
    assert result.inbound == 1
    old = inbound.get(old_id)
    assert (old.text, old.sender, old.received_at) == ("", None, now - timedelta(days=61))
    assert inbound.get(new_id).text == "Danke"


def test_a_patient_who_opted_out_after_planning_gets_nothing(env):
    appt = local(2026, 6, 18, 15, 0)
    r, _ = env.reminders.save(env.key_id, "O-1", body(appt), create_only=True)
    BlocklistStore(env.db).add(NUMBER, env.clock.now(), "keyword")
    env.at(appt - timedelta(hours=24))
    assert env.tick() == []
    m = env.messages.get(r.messages[0].message_id)
    assert (m.status, m.error_code) == ("cancelled", "opted_out")
    # and new reminders for the number are refused
    blocked = ReminderService(
        ReminderStore(env.db), env.schedule, env.windows, clock=env.clock,
        default_region="DE", max_length=600, max_days_ahead=400,
        is_blocked=BlocklistStore(env.db).contains)
    with pytest.raises(Exception) as info:
        blocked.save(env.key_id, "O-2", body(appt), create_only=True)
    assert (info.value.code, info.value.field) == ("opted_out", "to")
