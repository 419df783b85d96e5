"""The scheduler: releases scheduled messages at their time and runs the housekeeping jobs.

APScheduler 3.11 is only the timer. The database says what is due: `run_due(now)` reads it,
decides (release, move out of quiet hours, drop), writes the outcome in one transaction, wakes
the dispatcher and arms one "next" timer job for the earliest moment anything changes. Every
change of the plan calls `rearm()`. Tests call `run_due(now)` directly with a ManualClock.

A safety tick re-runs `run_due` every minute, so a clock step or a lost timer can delay a
message by at most that long; on an idle box it costs one indexed query a minute.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from modemd.clock import Clock, utcnow
from modemd.sendwindow import SendWindows
from modemd.store.housekeeping import HousekeepingStore
from modemd.store.schedule import Decision, DueMessage, ScheduleStore

log = logging.getLogger("modemd.scheduler")

# A message released more than this after its time was overdue (the daemon was not running):
# quiet hours are then checked against the moment of release, not the planned time.
LATE_AFTER = timedelta(seconds=60)
BATCH = 500                   # released per transaction; workers claim in between
SAFETY_TICK = 60.0            # seconds
PURGE_AT = (3, 30)            # local time of the daily retention purge (exists on DST days)


@dataclass(frozen=True)
class RunResult:
    released: int = 0
    deferred: int = 0
    dropped: int = 0
    expired: int = 0


class Scheduler:
    """Owns the timer thread; everything it decides is read from and written to the store."""

    def __init__(
        self, store: ScheduleStore, housekeeping: HousekeepingStore, windows: SendWindows, *,
        clock: Clock | None = None, on_released: Callable[[], None] = lambda: None,
        retention_days: int = 60, messages_keep_quiet_hours: bool = False,
    ):
        self.store = store
        self.housekeeping_store = housekeeping
        self.windows = windows
        self.clock = clock or Clock()
        self.on_released = on_released
        self.retention_days = retention_days
        self.messages_keep_quiet_hours = messages_keep_quiet_hours
        self._month_hooks: list[Callable[[datetime], None]] = []
        self._interval_jobs: list[tuple[str, float, Callable[[], object]]] = []
        self._run_lock = threading.Lock()
        self._arm_lock = threading.Lock()
        self._timer: BackgroundScheduler | None = None
        self._armed: str | None = None
        self._arms = 0

    # --- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Catch up (overdue messages, housekeeping missed while off), then start the timer."""
        # APScheduler logs every job run at INFO; the scheduler logs what matters itself.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        now = self.clock.now()
        self.run_housekeeping(now)
        timer = BackgroundScheduler(
            timezone=UTC, executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        tz = self.windows.tz
        timer.add_job(self._tick, IntervalTrigger(seconds=SAFETY_TICK), id="tick")
        for name, seconds, fn in self._interval_jobs:
            timer.add_job(self._guarded(name, fn), IntervalTrigger(seconds=seconds), id=name)
        timer.add_job(self._purge, CronTrigger(hour=PURGE_AT[0], minute=PURGE_AT[1],
                                               timezone=tz), id="purge")
        timer.add_job(self._month_start, CronTrigger(day=1, hour=0, minute=0, timezone=tz),
                      id="month")
        timer.start()
        self._timer = timer
        self.run_due(now)

    def stop(self) -> None:
        """Stop the timer (waits for a run in progress)."""
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.shutdown(wait=True)

    def add_interval_job(self, name: str, seconds: float, fn: Callable[[], object]) -> None:
        """Run `fn()` every `seconds` on the timer (first run one interval after start); other
        services' periodic work, e.g. the 3-day status-report rule. Call before start()."""
        self._interval_jobs.append((name, seconds, fn))

    def on_month_start(self, hook: Callable[[datetime], None]) -> None:
        """Call `hook(now)` at 00:00 local on the 1st of every month (for a feature that keeps
        a stored monthly counter; counting from the messages table needs none)."""
        self._month_hooks.append(hook)

    # --- the timer's work ------------------------------------------------------------------
    def run_due(self, now: datetime) -> RunResult:
        """Expire, release, move or drop whatever is due at `now`; re-arm the timer."""
        with self._run_lock:
            expired = len(self.store.expire(now))
            totals = {"release": 0, "defer": 0, "drop": 0, "opted_out": 0}
            while True:
                due = self.store.due(now, BATCH)
                if not due:
                    break
                # Each batch is stamped when it is written: a burst of thousands shows in the
                # history when each part of it really became claimable.
                stamp = max(now, self.clock.now())
                counts = self.store.settle(stamp, [self._decide(m, stamp) for m in due])
                for k, v in counts.items():
                    totals[k] += v
                if len(due) < BATCH or not any(counts.values()):
                    break
            result = RunResult(totals["release"], totals["defer"],
                               totals["drop"] + totals["opted_out"], expired)
            if result.released:
                self.on_released()
            if any((result.deferred, result.dropped, result.expired)) or result.released > 1:
                log.info("scheduler: %d released, %d moved out of quiet hours, %d dropped "
                         "(no send window), %d expired", result.released, result.deferred,
                         result.dropped, result.expired)
        self.rearm()
        return result

    def _decide(self, m: DueMessage, now: datetime) -> Decision:
        if m.blocked:
            return Decision(m.id, "opted_out")
        late = now - m.due_at > LATE_AFTER
        if m.reminder or self.messages_keep_quiet_hours:
            check = now if late else m.due_at
            if not self.windows.is_open(check):
                later = self.windows.next_open(now)
                if later is not None and (m.expires_at is None or later < m.expires_at):
                    return Decision(m.id, "defer", later,
                                    f"quiet hours: moved to {self._local(later)}")
                return Decision(m.id, "drop", detail="quiet hours until after its expiry")
        if late:
            return Decision(m.id, "release",
                            detail=f"overdue since {self._local(m.due_at)}; released now")
        return Decision(m.id, "release", detail="due")

    def rearm(self) -> None:
        """Point the timer at the next moment something is due (call after any plan change)."""
        timer = self._timer
        if timer is None:
            return
        with self._arm_lock:
            wake = self.store.next_wake()
            if self._armed is not None:
                # Gone already if it ran (a date job removes itself): nothing to do then.
                with contextlib.suppress(JobLookupError):
                    timer.remove_job(self._armed)
                self._armed = None
            if wake is None:
                return
            # The timer runs on the real clock: translate the distance from our clock's now.
            delay = max(timedelta(0), wake - self.clock.now())
            self._arms += 1
            # A fresh id per arm: APScheduler removes a finished date job by its id, which
            # must never hit the job armed while it was running.
            job_id = f"due-{self._arms}"
            try:
                timer.add_job(self._fire, DateTrigger(utcnow() + delay), id=job_id)
            except Exception:  # the timer is shutting down
                return
            self._armed = job_id

    def _fire(self) -> None:
        try:
            self.run_due(self.clock.now())
        except Exception:
            log.exception("scheduler: run failed; trying again at the next tick")

    def _tick(self) -> None:
        self._fire()

    # --- housekeeping ----------------------------------------------------------------------
    def run_housekeeping(self, now: datetime) -> None:
        """The retention purge (also run once at start-up: the box may have been off)."""
        self._purge(now)

    @staticmethod
    def _guarded(name: str, fn: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except Exception:
                log.exception("housekeeping job %s failed", name)

        return run

    def _purge(self, now: datetime | None = None) -> None:
        try:
            done = self.housekeeping_store.purge(now or self.clock.now(), self.retention_days)
            if any((done.messages, done.reminders, done.inbound, done.reports, done.outbox)):
                log.info("housekeeping: purged texts and numbers older than %d days: %d sent "
                         "and %d received message(s), %d reminder(s), %d status report(s), "
                         "%d outbox item(s)", self.retention_days, done.messages, done.inbound,
                         done.reminders, done.reports, done.outbox)
        except Exception:
            log.exception("housekeeping: retention purge failed")

    def _month_start(self) -> None:
        now = self.clock.now()
        for hook in self._month_hooks:
            try:
                hook(now)
            except Exception:
                log.exception("housekeeping: month-start hook failed")

    def _local(self, at: datetime) -> str:
        return at.astimezone(self.windows.tz).strftime("%Y-%m-%d %H:%M %Z")
