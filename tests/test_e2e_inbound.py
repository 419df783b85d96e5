"""Receiving end to end: simulated network → modem (real pty) → SQLite → API, replies, opt-out.

Multipart PDUs come from libGammu (python-gammu can encode SMS-DELIVER as well as SUBMIT:
`gammu.EncodePDU(sms, "Deliver")`), so assembly is checked against an independent encoder.
"""

from __future__ import annotations

from datetime import UTC, datetime

import gammu

from modemd import cli
from modemd.gsm7 import is_gsm7
from modemd.pdu import encode_deliver
from modemd.sim.sms import tpdu_length
from tests.conftest import Api, wait_until

NUMBER = "+4917612345678"
EMOJI_TEXT = "Danke 😀 ich komme gerne zum Termin 🦷 am Dienstag! " * 3


def gammu_deliver_parts(text: str, sender: str = NUMBER) -> list[str]:
    """SMS-DELIVER PDUs (hex, with SMSC) of `text`, encoded by libGammu, not by us."""
    entries = [{"ID": "ConcatenatedTextLong", "Buffer": text}]
    parts = gammu.EncodeSMS({"Class": -1, "Unicode": not is_gsm7(text), "Entries": entries})
    out = []
    for part in parts:
        sms = dict(part)
        sms["Number"] = sender
        sms["SMSC"] = {"Location": 0, "Number": "+491710760000", "Format": "Text",
                       "Validity": "NA", "Class": -1, "Name": "", "DefaultNumber": ""}
        sms["Type"] = "Deliver"
        sms["DateTime"] = datetime(2026, 3, 14, 9, 31, 5)
        out.append(gammu.EncodePDU(sms, "Deliver").hex().upper())
    return out


def inbound(api: Api) -> list[dict]:
    status, body = api.call("GET", "/api/v1/inbound")
    assert status == 200, body
    return body["inbound"]


def test_multipart_ucs2_emoji_out_of_order_with_a_restart_arrives_once(start_daemon, tmp_path):
    pdus = gammu_deliver_parts(EMOJI_TEXT)
    assert len(pdus) == 3
    run = start_daemon(1, data_dir=tmp_path / "data")
    sim = run.modems[0]
    sim.deliver_stored(pdus[2])
    sim.deliver_stored(pdus[0])
    wait_until(lambda: sim.stored("SM") == {})  # both parts committed, then deleted
    assert inbound(run.api) == []
    key = run.api.key
    run.daemon.stop()
    # While modemd is down, part 2 arrives and is stored (the +CMTI goes unheard)…
    sim.deliver_stored(pdus[1])
    # …and the network repeats part 1, which must not count twice.
    sim.deliver_stored(pdus[0])
    run2 = start_daemon(modems=[sim], data_dir=tmp_path / "data")
    run2.api.key = key
    [item] = wait_until(lambda: inbound(run2.api))
    assert item["text"] == EMOJI_TEXT
    assert item["from"] == NUMBER and item["complete"] is True and item["modem"] == "gsm0"
    assert item["parts"] == {"received": 3, "total": 3}
    wait_until(lambda: sim.stored("SM") == {})
    sim.deliver_stored(pdus[1])  # a late retransmission of a part of a finished message
    wait_until(lambda: sim.stored("SM") == {})
    assert len(inbound(run2.api)) == 1


def test_gammu_pdus_decode_to_the_same_text(start_daemon):
    run = start_daemon(1)
    # No "~" in UCS-2 texts: libGammu writes it as U+0001 there (and reads U+0001 back as
    # "~"); smspdudecoder and 23.038 agree with us. In GSM-7 (escape 0x1B 0x3D) it is fine.
    texts = ["Ja, ich komme.", "Grüße aus Köln: ÄÖÜß € [x] {y} | ^ \\", "a~b {c} € [d]",
             "Absage 😢 wegen Krankheit, bitte neuen Termin. " * 2, "x" * 300]
    for text in texts:
        for pdu in gammu_deliver_parts(text):
            run.modems[0].deliver_stored(pdu)
    items = wait_until(lambda: len(got := inbound(run.api)) == len(texts) and got)
    assert sorted(i["text"] for i in items) == sorted(texts)


def test_malformed_pdu_is_kept_raw_and_reported(start_daemon):
    run = start_daemon(1)
    sim = run.modems[0]
    truncated = encode_deliver(NUMBER, "Hallo", datetime(2026, 3, 14, tzinfo=UTC))[:20]
    sim.deliver_stored(truncated)
    sim.deliver_stored("NICHT HEX")
    sim.emit_urc("+CMT: ,3", "000400")
    items = wait_until(lambda: len(got := inbound(run.api)) == 3 and got)
    assert all(i["malformed"] and i["error"] and i["raw_pdu"] for i in items)
    assert {i["raw_pdu"] for i in items} == {truncated, "NICHT HEX", "000400"}
    wait_until(lambda: sim.stored("SM") == {})
    # Not fatal: the next message arrives as usual.
    sim.deliver_stored(encode_deliver(NUMBER, "Noch da?", datetime(2026, 3, 14, tzinfo=UTC)))
    wait_until(lambda: inbound(run.api)[0]["text"] == "Noch da?")


def test_8bit_and_odd_coding_schemes_do_not_crash(start_daemon):
    run = start_daemon(1)
    base = encode_deliver(NUMBER, "Hallo", datetime(2026, 3, 14, tzinfo=UTC))
    dcs_at = 2 + 2 + 4 + 14 + 2  # SMSC, first octet, address (13 digits), PID
    eight_bit = base[:dcs_at] + "F4" + base[dcs_at + 2:]
    reserved = base[:dcs_at] + "84" + base[dcs_at + 2:]  # reserved group: read as GSM-7
    run.modems[0].deliver_stored(eight_bit)
    run.modems[0].deliver_stored(reserved)
    items = wait_until(lambda: len(got := inbound(run.api)) == 2 and got)
    by_encoding = {i["encoding"]: i for i in items}
    assert by_encoding["8bit"]["raw_pdu"] == eight_bit and by_encoding["8bit"]["text"] == ""
    assert by_encoding["gsm7"]["text"] == "Hallo"


def test_direct_delivery_is_acknowledged_after_the_commit(start_daemon):
    run = start_daemon(1, wait_ready=False)
    sim = run.modems[0]
    sim.require_acknowledgement()
    run.daemon.channels[0].stop()  # restart the channel so that it reads AT+CSMS again
    run.daemon.channels[0].start()
    wait_until(lambda: run.daemon.channels[0].ready)
    for i, pdu in enumerate([encode_deliver(NUMBER, "Direkt", datetime(2026, 3, 14,
                                                                        tzinfo=UTC))] * 2):
        sim.emit_urc(f"+CMT: ,{tpdu_length(pdu)}", pdu)
        wait_until(lambda i=i: sim.commands.count("AT+CNMA") == i + 1)
    assert sim.unacknowledged == 0
    assert [i["text"] for i in inbound(run.api)] == ["Direkt"]  # the repeat is the same SMS


def test_reply_linked_to_the_last_message_sent_to_that_number(start_daemon):
    run = start_daemon(1)
    run.api.wait_final(run.api.send(NUMBER, "Erste Erinnerung")["id"])
    last = run.api.wait_final(run.api.send("0176 12345678", "Zweite Erinnerung")["id"])
    run.api.wait_final(run.api.send("+4915112345678", "An jemand anderen")["id"])
    national = "017612345678"  # the network may show the sender nationally
    run.modems[0].deliver_stored(encode_deliver(national, "Ja, passt.",
                                                datetime(2026, 3, 14, tzinfo=UTC)))
    run.modems[0].deliver_stored(encode_deliver("+4930123456", "Wer ist da?",
                                                datetime(2026, 3, 14, tzinfo=UTC)))
    items = wait_until(lambda: len(got := inbound(run.api)) == 2 and got)
    by_from = {i["from"]: i for i in items}
    reply = by_from[NUMBER]
    assert set(reply) >= {"id", "from", "text", "received_at", "modem", "complete",
                          "in_reply_to"}
    assert reply["in_reply_to"] == last["id"]
    assert reply["in_reply_to_message"]["text"] == "Zweite Erinnerung"
    assert by_from["+4930123456"]["in_reply_to"] is None


def test_opt_out_blocks_until_removed_by_api_and_cli(start_daemon, tmp_path):
    run = start_daemon(1)
    run.api.wait_final(run.api.send(NUMBER, "Erinnerung")["id"])
    run.modems[0].deliver_stored(encode_deliver(NUMBER, "Stopp!",
                                                datetime(2026, 3, 14, tzinfo=UTC)))
    wait_until(lambda: inbound(run.api) and inbound(run.api)[0]["opt_out"])
    status, body = run.api.call("GET", "/api/v1/blocklist")
    assert body["blocklist"][0]["number"] == NUMBER and body["blocklist"][0]["source"] == "keyword"
    status, body = run.api.call("POST", "/api/v1/messages", {"to": NUMBER, "text": "Hallo"})
    assert status == 403 and body["error"]["code"] == "opted_out" and body["error"]["field"] == "to"
    status, body = run.api.call("GET", "/api/v1/messages?status=rejected")
    [rejected] = body["messages"]
    assert rejected["error"]["code"] == "opted_out" and rejected["to"] == NUMBER
    status, _ = run.api.call("DELETE", f"/api/v1/blocklist/{NUMBER}")
    assert status == 200
    assert run.api.call("DELETE", f"/api/v1/blocklist/{NUMBER}")[0] == 404
    assert run.api.send(NUMBER, "Wieder erlaubt")["status"] in ("pending", "sending")
    # The CLI works on the same table.
    config = tmp_path / "modemd.toml"
    config.write_text(f'[daemon]\ndata_dir = "{run.daemon.config.daemon.data_dir}"\n')
    assert cli.main(["blocklist", "add", "0176 12345678", "--config", str(config)]) == 0
    assert run.api.call("POST", "/api/v1/messages", {"to": NUMBER, "text": "x"})[0] == 403
    assert cli.main(["blocklist", "remove", NUMBER, "--config", str(config)]) == 0
    assert cli.main(["blocklist", "remove", NUMBER, "--config", str(config)]) == 2


def test_inbound_routes_need_a_key(start_daemon):
    run = start_daemon(0)
    for path in ("/api/v1/inbound", "/api/v1/inbound/1", "/api/v1/status-reports",
                 "/api/v1/blocklist"):
        status, body = run.api.call("GET", path, key="")
        assert status == 401 and body["error"]["code"] == "unauthorized"
    status, body = run.api.call("POST", "/api/v1/blocklist", {"number": "kein"})
    assert status == 422 and body["error"]["field"] == "number"


def test_reading_while_a_send_is_in_flight_breaks_neither(start_daemon):
    run = start_daemon(1, latency=0.3)
    sim = run.modems[0]
    msgs = [run.api.send(NUMBER, f"Erinnerung {i}") for i in range(3)]
    for i in range(3):
        sim.deliver_stored(encode_deliver(NUMBER, f"Antwort {i}",
                                          datetime(2026, 3, 14, 9, i, tzinfo=UTC)))
    assert all(run.api.wait_final(m["id"])["status"] == "sent" for m in msgs)
    items = wait_until(lambda: len(got := inbound(run.api)) == 3 and got)
    assert sorted(i["text"] for i in items) == ["Antwort 0", "Antwort 1", "Antwort 2"]
