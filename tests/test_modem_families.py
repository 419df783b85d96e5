"""Transcript tests: the daemon against every simulated modem family.

Each family's simulator profile (modemd/sim/profiles.py) plays what its AT manual and public
captures show: identity strings, boot lines, busy answers while the SIM/SMS stack starts,
chatty status URCs slipped into answers (kept coming here even after the quirk command that
should stop them), its prompt, its +CMGS/+CMGR dialect, CNMI ranges, storages and index base.
For each, the daemon must start, send a multipart message, receive an SMS and take the
status reports of every part.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modemd.channels.quirks import match_quirks
from modemd.pdu import encode_deliver, encode_status_report
from modemd.sim.profiles import PROFILES
from modemd.simulator import SimulatedModem
from tests.conftest import gammu_decode, wait_until

FAMILIES = sorted(n for n in PROFILES if n != "generic")
NUMBER = "+4917612345678"
LONG = ("Praxis Dr. Weber: Ihr Termin zur Kontrolle ist am Dienstag, 17.03., um 9:30 Uhr. "
        "Bitte bringen Sie Ihre Versichertenkarte mit. Absagen bitte bis 24 Stunden vorher "
        "telefonisch. Danke!")


def start_family(start_daemon, tmp_path: Path, profile: str, **sim_kw):
    (tmp_path / "tty").mkdir(exist_ok=True)
    sim = SimulatedModem(tmp_path / "tty" / "gsm0", profile=profile, force_chatter=True,
                         first_message_ref=254, **sim_kw)
    sim.start()
    return start_daemon(modems=[sim], modem={"poll_interval": 0.3})


@pytest.mark.parametrize("profile", FAMILIES)
def test_family_starts_sends_receives_and_reports(start_daemon, tmp_path: Path, profile: str):
    run = start_family(start_daemon, tmp_path, profile)
    sim, channel, api = run.modems[0], run.daemon.channels[0], run.api
    p = sim.profile

    # Start-up: the family was recognised, its quirk commands sent, busy answers waited out.
    assert channel.quirks == match_quirks(p.manufacturer, p.model)
    assert channel.quirks.family == profile
    for cmd in channel.quirks.init:
        assert cmd in sim.commands
    status, body = api.call("GET", "/api/v1/modems")
    assert status == 200
    info = body["modems"][0]
    assert info["state"] == "ready" and info["family"] == profile
    assert info["waiting_for"] is None and info["step"] is None
    if p.boot_seconds:
        assert info["counters"]["startup_retries"] > 0
    assert info["receiving"]["mode"] == ("poll" if p.cnmi_ranges is None else
                                         info["receiving"]["mode"])

    # A multipart send, with status lines arriving inside the answers.
    msg = api.wait_final(api.send(NUMBER, LONG)["id"])
    assert msg["status"] == "sent", msg
    pdus = [r.pdu_hex for r in sim.received]
    assert len(pdus) == msg["segments"] >= 2
    assert gammu_decode(pdus) == LONG

    # An inbound message, from wherever the modem stores it (index base as it counts).
    sent_at = datetime(2026, 3, 14, 9, 31, 5, tzinfo=UTC)
    sim.deliver_stored(encode_deliver(NUMBER, "Ja, ich komme. Danke!", sent_at))

    def inbound():
        status, body = api.call("GET", "/api/v1/inbound")
        return body["inbound"] if status == 200 and body["inbound"] else None

    items = wait_until(inbound, timeout=10)
    assert items[0]["text"] == "Ja, ich komme. Danke!"
    assert items[0]["in_reply_to"] == msg["id"]
    for mem in p.mem1:
        if mem != "SR":
            wait_until(lambda m=mem: sim.stored(m) == {}, timeout=20)

    # Status reports of every part (wrapped message references 254, 255).
    refs = [part["message_ref"] for part in msg["parts"]]
    assert refs[:2] == [254, 255]
    for mr in refs:
        now = datetime.now(UTC)
        sim.deliver_status_report(encode_status_report(mr, NUMBER, now,
                                                       now + timedelta(seconds=3), 0x00))
    done = wait_until(lambda: (m := api.message(msg["id"]))["status"] == "delivered" and m,
                      timeout=10)
    assert done["delivered_at"] is not None
    wait_until(lambda: sim.stored("SR") == {}, timeout=20)
    if channel._csms == 1:  # phase 2+: every direct delivery was acknowledged
        assert sim.unacknowledged == 0

    # The chatter really came, and never disturbed anything.
    assert sim.chatter_sent > 0
