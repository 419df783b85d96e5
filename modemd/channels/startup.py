"""Start-up that waits for the modem instead of failing.

A modem that was just plugged in (or whose SIM is slow) answers `+CME ERROR: 14` (SIM busy),
`+CME ERROR: 515` (please wait), `+CMS ERROR: 314`/`500` or a plain `ERROR` while its SIM or
SMS stack is still initialising, and then announces readiness with a boot line (`RDY`,
`SMS Ready`, `+QIND: SMS DONE`, `^SYSSTART`, `+WIND: 4`, `+PACSP1`, …). `run_step` retries one
named start-up step with back-off until it succeeds, a boot line cuts the wait short, or the
overall start-up deadline passes. What it waits for is reported through a callback, so that
`GET /api/v1/modems` can say it.

Errors are sorted into three kinds (`classify`):
- *busy*: the modem says so (CME 14, 515, CMS 314, `+CPIN: NOT READY`): retried in required
  commands and optional queries alike, until the deadline;
- *ambiguous*: could be "not yet" or "never" (plain ERROR, CMS 500, CME 100, a timeout):
  retried in required commands until the deadline, in optional queries only for the first
  `AMBIGUOUS_WINDOW` seconds of a step (a phone that has no AT+CSMS must not cost minutes);
- anything else fails the step at once.
A wrong PIN is never a retry: see `ModemChannel._step_sim`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from modemd.errors import AtError, AtTimeout, CmeError, CmsError, LinkLost

BUSY_CME = {14: "SIM busy", 515: "please wait, initialising"}
BUSY_CMS = {314: "SIM busy"}
AMBIGUOUS_CMS = {500: "unknown error"}
AMBIGUOUS_CME = {100: "unknown error"}
NOT_INSERTED_CME = {10: "SIM not inserted", 13: "SIM failure"}
AMBIGUOUS_WINDOW = 10.0
BACKOFF_MIN = 0.25
BACKOFF_MAX = 5.0


class ModemBusy(AtError):
    """The modem answered, but is not ready yet (e.g. `+CPIN: NOT READY`)."""


class StartupTimeout(AtError):
    """Start-up did not finish within the configured time."""


def classify(exc: BaseException) -> str:
    """"busy", "ambiguous" or "fatal" for an error met during start-up (see module doc)."""
    if isinstance(exc, LinkLost):
        return "fatal"
    if isinstance(exc, ModemBusy):
        return "busy"
    if isinstance(exc, CmeError):
        if exc.code in BUSY_CME or exc.code in NOT_INSERTED_CME:
            return "busy"  # a SIM is often "not inserted" for a moment after power-on
        return "ambiguous" if exc.code in AMBIGUOUS_CME else "fatal"
    if isinstance(exc, CmsError):
        if exc.code in BUSY_CMS:
            return "busy"
        return "ambiguous" if exc.code in AMBIGUOUS_CMS else "fatal"
    if isinstance(exc, AtTimeout):
        return "ambiguous"
    if isinstance(exc, AtError):
        return "ambiguous"  # plain ERROR / COMMAND NOT SUPPORT
    return "fatal"


def describe(exc: BaseException) -> str:
    """Short text for `waiting_for`: "SIM busy (CME ERROR 14)", "no answer (timeout)"."""
    if isinstance(exc, CmeError):
        text = BUSY_CME.get(exc.code) or NOT_INSERTED_CME.get(exc.code) or exc.text
        return f"{text} (CME ERROR {exc.code})" if text else f"CME ERROR {exc.code}"
    if isinstance(exc, CmsError):
        text = BUSY_CMS.get(exc.code) or AMBIGUOUS_CMS.get(exc.code) or exc.text
        return f"{text} (CMS ERROR {exc.code})" if text else f"CMS ERROR {exc.code}"
    if isinstance(exc, AtTimeout):
        return "no answer (timeout)"
    return str(exc) or type(exc).__name__


class StepRunner:
    """Runs start-up steps against one deadline, waiting between tries.

    `ready` is set (by the URC callback) when a boot line announced readiness: it ends a
    back-off early. `stop` ends every wait. `on_wait(step, what)` is told what the runner
    waits for, `on_wait(step, None)` when a step starts.
    """

    def __init__(self, *, timeout: float, ready: threading.Event, stop: threading.Event,
                 on_wait: Callable[[str, str | None], None],
                 settle: Callable[[], float] = lambda: 0.0) -> None:
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self._ready = ready
        self._stop = stop
        self._on_wait = on_wait
        self._settle = settle
        self.step_started = time.monotonic()

    def lenient(self) -> bool:
        """True once ambiguous errors in optional queries should count as "not supported"."""
        return time.monotonic() - self.step_started >= AMBIGUOUS_WINDOW

    def run(self, name: str, step: Callable[[], None]) -> None:
        """Run `step` until it succeeds; raise its error if fatal or past the deadline."""
        self.step_started = time.monotonic()
        self._on_wait(name, None)
        delay = BACKOFF_MIN
        while True:
            try:
                step()
                return
            except AtError as exc:
                if classify(exc) == "fatal":
                    raise
                what = describe(exc)
                if time.monotonic() + delay > self.deadline:
                    raise StartupTimeout(
                        f"start-up step {name!r} still failing after {self.timeout:g} s: "
                        f"{what}") from exc
                self._on_wait(name, what)
                self._pause(delay)
                delay = min(delay * 2, BACKOFF_MAX)

    def _pause(self, delay: float) -> None:
        if self._ready.wait(delay) and not self._stop.is_set():
            self._ready.clear()
            # A boot line came: the modem says it is ready; give it its settle time.
            self._stop.wait(self._settle())
        if self._stop.is_set():
            raise LinkLost("stopping")
