"""The waiting start-up: error classes, back-off, boot lines, deadline."""

from __future__ import annotations

import threading
import time

import pytest

from modemd.channels.startup import (
    ModemBusy,
    StartupTimeout,
    StepRunner,
    classify,
    describe,
)
from modemd.errors import AtError, AtTimeout, CmeError, CmsError, LinkLost


@pytest.mark.parametrize(("exc", "kind", "text"), [
    (CmeError(14), "busy", "SIM busy (CME ERROR 14)"),
    (CmeError(515), "busy", "please wait, initialising (CME ERROR 515)"),
    (CmeError(10), "busy", "SIM not inserted (CME ERROR 10)"),
    (CmsError(314), "busy", "SIM busy (CMS ERROR 314)"),
    (CmsError(500), "ambiguous", "unknown error (CMS ERROR 500)"),
    (AtError("ERROR"), "ambiguous", "ERROR"),
    (AtTimeout("x"), "ambiguous", "no answer (timeout)"),
    (ModemBusy("SIM not ready (+CPIN: NOT READY)"), "busy", "SIM not ready (+CPIN: NOT READY)"),
    (CmeError(16), "fatal", None),
    (CmsError(303), "fatal", None),
    (LinkLost("gone"), "fatal", None),
])
def test_classify_and_describe(exc, kind, text) -> None:
    assert classify(exc) == kind
    if text is not None:
        assert describe(exc) == text


def runner(timeout: float = 5.0, **kw):
    waits: list[tuple[str, str | None]] = []
    ready, stop = threading.Event(), threading.Event()
    r = StepRunner(timeout=timeout, ready=ready, stop=stop,
                   on_wait=lambda s, w: waits.append((s, w)), **kw)
    return r, waits, ready, stop


def test_busy_step_is_retried_until_it_succeeds() -> None:
    r, waits, _, _ = runner()
    answers = [CmeError(14), CmsError(500), None]

    def step() -> None:
        exc = answers.pop(0)
        if exc:
            raise exc

    r.run("sim", step)
    assert waits == [("sim", None), ("sim", "SIM busy (CME ERROR 14)"),
                     ("sim", "unknown error (CMS ERROR 500)")]


def test_fatal_error_is_not_retried() -> None:
    r, _, _, _ = runner()
    calls = []

    def step() -> None:
        calls.append(1)
        raise CmsError(303)

    with pytest.raises(CmsError):
        r.run("indications", step)
    assert calls == [1]


def test_deadline_gives_startup_timeout_naming_step_and_cause() -> None:
    r, _, _, _ = runner(timeout=0.6)
    with pytest.raises(StartupTimeout, match=r"'sim' still failing.*SIM busy \(CME ERROR 14\)"):
        r.run("sim", lambda: (_ for _ in ()).throw(CmeError(14)))


def test_boot_line_cuts_the_back_off_short_then_settles() -> None:
    r, _, ready, _ = runner(settle=lambda: 0.1)
    tries = []

    def step() -> None:
        tries.append(time.monotonic())
        if len(tries) < 4:
            if len(tries) == 3:
                ready.set()  # e.g. "SMS Ready" arrived
            raise CmsError(500)

    start = time.monotonic()
    r.run("storages", step)
    # back-offs 0.25 + 0.5, then the boot line ends the 1 s wait at once (plus 0.1 s settle)
    assert tries[3] - tries[2] < 0.5
    assert time.monotonic() - start < 1.5


def test_stop_ends_the_wait() -> None:
    r, _, _, stop = runner()
    threading.Timer(0.1, stop.set).start()
    with pytest.raises(LinkLost):
        r.run("sim", lambda: (_ for _ in ()).throw(CmeError(14)))
