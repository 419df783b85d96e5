"""Status reports end to end: API → modem (simulated, real pty) → report → message status."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from modemd.clock import ManualClock
from modemd.pdu import encode_status_report
from modemd.sim.sms import tpdu_length
from modemd.simulator import SimulatedModem
from tests.conftest import wait_until

NUMBER = "+4917612345678"
LONG = "Guten Tag, dies ist eine Terminerinnerung Ihrer Zahnarztpraxis am Markt. " * 5


def report(mr: int, st: int = 0x00, to: str = NUMBER, scts: datetime | None = None) -> str:
    scts = scts or datetime.now(UTC)
    return encode_status_report(mr, to, scts, scts + timedelta(seconds=5), st)


def wait_status(api, mid: int, status: str, timeout: float = 10.0) -> dict:
    return wait_until(lambda: (m := api.message(mid))["status"] == status and m, timeout)


def refs(msg: dict) -> list[int]:
    return [p["message_ref"] for p in msg["parts"]]


def test_single_message_delivered_via_stored_report(start_daemon):
    run = start_daemon(1)
    sim = run.modems[0]
    assert any(c.startswith("AT+CNMI=2,1,0,2,0") for c in sim.commands)
    msg = run.api.wait_final(run.api.send(NUMBER, "Erinnerung: morgen 9 Uhr")["id"])
    assert msg["status"] == "sent"
    scts = datetime(2026, 3, 13, 17, 0, 5, tzinfo=UTC)
    index = sim.deliver_status_report(report(refs(msg)[0], 0x00, scts=scts))
    assert index is not None  # stored in SR, indicated with +CDSI
    done = wait_status(run.api, msg["id"], "delivered")
    assert done["delivered_at"] is not None
    detail = done["history"][-1]["detail"]
    assert "TP-ST 0x00" in detail and "2026-03-13T17:00:05.000Z" in detail
    assert "2026-03-13T17:00:10.000Z" in detail  # the discharge time
    wait_until(lambda: sim.stored("SR") == {})  # deleted only after the commit


def test_buffered_then_delivered_and_permanent_failure(start_daemon):
    run = start_daemon(1)
    sim = run.modems[0]
    a = run.api.wait_final(run.api.send(NUMBER, "Nachricht A")["id"])
    b = run.api.wait_final(run.api.send(NUMBER, "Nachricht B")["id"])
    sim.deliver_status_report(report(refs(a)[0], 0x21))  # recipient busy, SC still trying
    wait_status(run.api, a["id"], "buffered")
    sim.deliver_status_report(report(refs(a)[0], 0x00))
    done = wait_status(run.api, a["id"], "delivered")
    assert [h["status"] for h in done["history"]][-2:] == ["buffered", "delivered"]
    sim.deliver_status_report(report(refs(b)[0], 0x41))  # incompatible destination
    failed = wait_status(run.api, b["id"], "undelivered")
    assert failed["error"] == {"code": "tp_st_0x41", "text": "incompatible destination"}


def test_multipart_reports_direct_and_stored_split_across_reads(start_daemon):
    run = start_daemon(1)
    sim = run.modems[0]
    msg = run.api.wait_final(run.api.send(NUMBER, LONG)["id"])
    assert msg["segments"] == 3
    r1, r2, r3 = refs(msg)
    # Part 1: a direct +CDS whose header and PDU arrive in separate reads.
    pdu = report(r1)
    sim.emit_urc(f"+CDS: {tpdu_length(pdu)}")
    time.sleep(0.3)
    sim.emit_urc(pdu)
    wait_until(lambda: run.api.message(msg["id"])["parts"][0]["status"] == "delivered")
    # Part 3: stored in SR (+CDSI). Part 2 still missing: the message stays sent.
    sim.deliver_status_report(report(r3))
    wait_until(lambda: run.api.message(msg["id"])["parts"][2]["status"] == "delivered")
    assert run.api.message(msg["id"])["status"] == "sent"
    # Part 2 arrives stored in the SMS storage (some modems put reports there).
    sim.deliver_stored(report(r2), "SM")
    done = wait_status(run.api, msg["id"], "delivered")
    assert [p["status"] for p in done["parts"]] == ["delivered"] * 3


def test_permanent_failure_of_one_part_makes_the_message_undelivered(start_daemon):
    run = start_daemon(1)
    sim = run.modems[0]
    msg = run.api.wait_final(run.api.send(NUMBER, LONG)["id"])
    r1, r2, _r3 = refs(msg)
    sim.deliver_status_report(report(r1))
    sim.deliver_status_report(report(r2, 0x46))  # validity period expired
    done = wait_status(run.api, msg["id"], "undelivered")
    assert done["error"]["code"] == "tp_st_0x46"


def test_report_arrives_before_the_cmgs_answer(start_daemon, tmp_path):
    sim = SimulatedModem(tmp_path / "gsm0", first_message_ref=42, latency=0.2)
    sim.start()
    run = start_daemon(modems=[sim])
    pdu = report(42)
    sim.inject_urc_during_send(f"+CDS: {tpdu_length(pdu)}", pdu)
    msg = run.api.send(NUMBER, "Bericht vor der Antwort")
    done = wait_status(run.api, msg["id"], "delivered")
    assert refs(done) == [42]
    assert [h["status"] for h in done["history"]][-2:] == ["sent", "delivered"]


def test_reference_wrapping_past_255(start_daemon, tmp_path):
    sim = SimulatedModem(tmp_path / "gsm0", first_message_ref=254)
    sim.start()
    run = start_daemon(modems=[sim])
    msg = run.api.wait_final(run.api.send(NUMBER, LONG)["id"])
    assert refs(msg) == [254, 255, 0]
    for mr in (0, 255, 254):
        sim.deliver_status_report(report(mr))
    wait_status(run.api, msg["id"], "delivered")


def test_never_matched_to_an_older_part_with_the_same_reference(start_daemon, tmp_path):
    clock = ManualClock(datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    data = tmp_path / "data"
    first = SimulatedModem(tmp_path / "gsm0", first_message_ref=250)
    first.start()
    run1 = start_daemon(modems=[first], data_dir=data, clock=clock)
    old = run1.api.wait_final(run1.api.send(NUMBER, "Alte Nachricht")["id"])
    sent_old = clock.now()
    run1.daemon.stop()
    first.stop()
    # A day later the modem counts from 250 again (e.g. after a power cycle): same reference.
    clock.advance(timedelta(days=1))
    second = SimulatedModem(tmp_path / "gsm0", first_message_ref=250)
    second.start()
    run2 = start_daemon(modems=[second], data_dir=data, clock=clock)
    run2.api.key = run1.api.key  # the old message belongs to the first key
    new = run2.api.wait_final(run2.api.send(NUMBER, "Neue Nachricht")["id"])
    assert refs(old) == refs(new) == [250]
    second.deliver_status_report(report(250, scts=clock.now()))
    wait_status(run2.api, new["id"], "delivered")
    assert run2.api.message(old["id"])["status"] == "sent"
    # A late report about the old part (its SC time says so) still finds the old one.
    second.deliver_status_report(report(250, scts=sent_old))
    wait_status(run2.api, old["id"], "delivered")


def test_unmatched_report_is_kept_and_visible(start_daemon):
    run = start_daemon(1)
    sim = run.modems[0]
    sim.deliver_status_report(report(99, to="+4915199999999"))
    status, body = wait_until(lambda: (r := run.api.call(
        "GET", "/api/v1/status-reports?matched=false"))[1]["status_reports"] and r)
    assert status == 200
    [item] = body["status_reports"]
    assert item["message_ref"] == 99 and item["matched"] is False and item["tp_status"] == 0
    # Garbage in the SR storage is not fatal either; sending still works.
    sim.deliver_status_report("0006FF")
    msg = run.api.wait_final(run.api.send(NUMBER, "Geht noch")["id"])
    assert msg["status"] == "sent"


def test_three_day_expiry_with_a_manual_clock(start_daemon):
    clock = ManualClock(datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    run = start_daemon(1, clock=clock)
    early = run.api.wait_final(run.api.send(NUMBER, "Früh")["id"])
    clock.advance(timedelta(days=1))
    late = run.api.wait_final(run.api.send(NUMBER, "Spät")["id"])
    clock.advance(timedelta(days=2, seconds=1))
    assert run.daemon.reports.expire_unreported() == 1
    expired = run.api.message(early["id"])
    assert expired["status"] == "undelivered"
    assert expired["error"]["code"] == "no_report"
    assert run.api.message(late["id"])["status"] == "sent"
    # A delivery report that still comes later corrects the expiry.
    run.modems[0].deliver_status_report(report(refs(expired)[0], scts=clock.now()
                                               - timedelta(days=3)))
    wait_status(run.api, early["id"], "delivered")
