"""Periodic service work on one thread: the 3-day report expiry, incomplete inbound
messages, a second chance for unmatched status reports.

A plain timer thread that sleeps on an Event between runs; the jobs themselves are
functions of the services, tested on their own with a ManualClock. (The scheduler of a later
version can take these jobs over unchanged.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("modemd.housekeeping")


@dataclass(frozen=True)
class Job:
    name: str
    interval: float  # seconds
    run: Callable[[], object]


class Housekeeping:
    """Runs each job every `interval` seconds (first run one interval after start)."""

    def __init__(self, jobs: list[Job]):
        self.jobs = jobs
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="housekeeping", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        due = {job.name: time.monotonic() + job.interval for job in self.jobs}
        while self.jobs:
            wait = max(0.0, min(due.values()) - time.monotonic())
            if self._stop.wait(wait):
                return
            now = time.monotonic()
            for job in self.jobs:
                if due[job.name] > now:
                    continue
                due[job.name] = now + job.interval
                try:
                    job.run()
                except Exception:
                    log.exception("housekeeping job %s failed", job.name)
