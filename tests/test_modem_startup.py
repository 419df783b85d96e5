"""What a user sees while a modem starts, when its SIM is locked and when it is unusable."""

from __future__ import annotations

import time
from pathlib import Path

from modemd.simulator import SimulatedModem
from tests.conftest import wait_until


def sim_at(tmp_path: Path, **kw) -> SimulatedModem:
    (tmp_path / "tty").mkdir(exist_ok=True)
    sim = SimulatedModem(tmp_path / "tty" / "gsm0", **kw)
    sim.start()
    return sim


def modem_info(api) -> dict:
    status, body = api.call("GET", "/api/v1/modems")
    assert status == 200
    return body["modems"][0]


def test_api_says_what_a_starting_modem_waits_for(start_daemon, tmp_path: Path):
    sim = sim_at(tmp_path, profile="simcom-2g", boot_seconds=2.5)
    run = start_daemon(modems=[sim], wait_ready=False)
    info = wait_until(lambda: (i := modem_info(run.api))["waiting_for"] and i, timeout=20)
    assert info["state"] == "initialising"
    assert info["step"] == "pdu_mode"  # SIM800: SMS commands fail until "SMS Ready"
    assert info["waiting_for"] == "unknown error (CMS ERROR 500)"
    assert info["reason"] is None
    info = wait_until(lambda: (i := modem_info(run.api))["state"] == "ready" and i, timeout=10)
    assert info["step"] is None and info["waiting_for"] is None
    assert info["counters"]["startup_retries"] >= 2
    # The boot line "SMS Ready" ended the back-off: no AT+CMGF=0 long after it.
    assert run.api.wait_final(run.api.send("+4917612345678", "Hallo")["id"])["status"] == "sent"


def test_busy_sim_is_waited_for_without_resending_anything_else(start_daemon, tmp_path):
    sim = sim_at(tmp_path, profile="huawei-3g", boot_seconds=1.0)
    run = start_daemon(modems=[sim], wait_ready=False)
    info = wait_until(lambda: (i := modem_info(run.api))["waiting_for"] and i, timeout=20)
    assert (info["step"], info["waiting_for"]) == ("sim", "SIM busy (CME ERROR 14)")
    wait_until(lambda: run.daemon.channels[0].ready, timeout=10)
    assert sim.commands.count("AT+CGMI") == 1  # only the failing step was repeated


def test_startup_that_never_finishes_makes_the_modem_unusable(start_daemon, tmp_path):
    sim = sim_at(tmp_path, profile="quectel", boot_seconds=60)
    run = start_daemon(modems=[sim], wait_ready=False, modem={"startup_timeout": 1.0})
    info = wait_until(lambda: (i := modem_info(run.api))["state"] == "unusable" and i,
                      timeout=10)
    assert "still failing after 1 s" in info["reason"]
    assert "CMS ERROR 500" in info["reason"]
    assert info["waiting_for"] is None
    status, health = run.api.call("GET", "/healthz")
    assert status in (200, 503)  # health reflects it, but never crashes


def test_wrong_pin_locks_and_is_never_retried(start_daemon, tmp_path):
    sim = sim_at(tmp_path, pin="1234")
    run = start_daemon(modems=[sim], wait_ready=False, modem={"pin": "4321"})
    info = wait_until(lambda: (i := modem_info(run.api))["state"] == "locked" and i, timeout=10)
    assert "wrong PIN" in info["reason"] and "4321" not in info["reason"]
    sim.unplug(duration=0.1)  # even a reconnect does not try again
    time.sleep(0.6)
    assert [c for c in sim.commands if c.startswith("AT+CPIN=")] == ['AT+CPIN="4321"']
    assert modem_info(run.api)["state"] == "locked"


def test_missing_pin_locks_with_a_hint(start_daemon, tmp_path):
    sim = sim_at(tmp_path, pin="1234")
    run = start_daemon(modems=[sim], wait_ready=False)
    info = wait_until(lambda: (i := modem_info(run.api))["state"] == "locked" and i, timeout=10)
    assert "modem.pin" in info["reason"]
    assert not any(c.startswith("AT+CPIN=") for c in sim.commands)


def test_right_pin_while_the_sim_is_busy(start_daemon, tmp_path):
    sim = sim_at(tmp_path, pin="1234", profile="ublox", boot_seconds=0.8)
    run = start_daemon(modems=[sim], modem={"pin": "1234"})
    assert run.daemon.channels[0].ready
    assert [c for c in sim.commands if c.startswith("AT+CPIN=")] == ['AT+CPIN="1234"']
