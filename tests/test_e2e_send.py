"""End to end through real ttys: API → SQLite → dispatcher → AT engine → simulated modem.

Every PDU the simulator accepted is decoded with libGammu (python-gammu), not our codec.
"""

from __future__ import annotations

import collections

import gammu

from tests.conftest import gammu_decode

NUMBER = "+4917612345678"
GERMAN_300 = (
    "Guten Tag Frau Müller, wir möchten Sie an Ihren Termin in unserer Praxis erinnern: "
    "Dienstag, 14. März um 9:30 Uhr bei Dr. Schröder. Bitte bringen Sie Ihre "
    "Versichertenkarte und den Bonusheft mit. Falls Sie verhindert sind, sagen Sie bitte "
    "mindestens 24 Stunden vorher ab. Vielen Dank, Ihr Praxisteam Zahnärzte am Markt."
)


def pdus_of(modems, message: dict) -> list[str]:
    """The PDUs the simulators accepted for `message`, matched by message reference."""
    refs = {(p["channel"], p["message_ref"]) for p in message["parts"]}
    found = [r.pdu_hex for m in modems for r in m.received if (m.name, r.message_ref) in refs]
    return found


def test_single_gsm7_message(start_daemon):
    run = start_daemon(1)
    msg = run.api.send("0176 12345678", "Erinnerung: Termin morgen 10:00 Uhr.")
    done = run.api.wait_final(msg["id"])
    assert done["status"] == "sent"
    assert done["channel"] == "gsm0"
    assert [h["status"] for h in done["history"]] == ["pending", "sending", "sent"]
    pdus = pdus_of(run.modems, done)
    assert len(pdus) == 1
    decoded = gammu.DecodePDU(bytes.fromhex(pdus[0]), SMSC=True)
    assert decoded["Number"] == NUMBER
    assert gammu_decode(pdus) == "Erinnerung: Termin morgen 10:00 Uhr."


def test_multipart_german_text_and_emoji_text(start_daemon):
    run = start_daemon(1)
    long_msg = run.api.send(NUMBER, GERMAN_300)
    emoji_msg = run.api.send(NUMBER, "Bis morgen 😀 " * 6)
    for msg, encoding in [(long_msg, "gsm7"), (emoji_msg, "ucs2")]:
        done = run.api.wait_final(msg["id"])
        assert done["status"] == "sent" and done["encoding"] == encoding
        assert len(done["parts"]) == done["segments"] >= 2
        assert all(p["message_ref"] is not None for p in done["parts"])
        assert gammu_decode(pdus_of(run.modems, done)) == msg["text"]


def test_extension_character_on_a_part_boundary(start_daemon):
    run = start_daemon(1)
    text = "a" * 152 + "€" + "b" * 20 + "[Termin]"  # € would straddle septets 153/154
    done = run.api.wait_final(run.api.send(NUMBER, text)["id"])
    assert done["segments"] == 2
    pdus = pdus_of(run.modems, done)
    first = gammu.DecodePDU(bytes.fromhex(pdus[0]), SMSC=True)["Text"]
    assert first == "a" * 152  # the escape pair moved whole into part 2
    assert gammu_decode(pdus) == text


def test_emoji_on_a_ucs2_part_boundary(start_daemon):
    run = start_daemon(1)
    text = "x" * 66 + "😀" + "Zahnarzt " * 5  # the surrogate pair would straddle unit 67
    done = run.api.wait_final(run.api.send(NUMBER, text)["id"])
    pdus = pdus_of(run.modems, done)
    first = gammu.DecodePDU(bytes.fromhex(pdus[0]), SMSC=True)["Text"]
    assert first == "x" * 66
    assert gammu_decode(pdus) == text


def test_two_modems_share_the_queue_and_never_send_twice(start_daemon):
    run = start_daemon(2, latency=0.01)
    sent = [run.api.send(NUMBER, f"Nachricht Nummer {i:03d}") for i in range(40)]
    finals = [run.api.wait_final(m["id"]) for m in sent]
    assert {m["status"] for m in finals} == {"sent"}
    texts = [gammu_decode([r.pdu_hex]) for m in run.modems for r in m.received]
    assert sorted(texts) == sorted(m["text"] for m in sent)  # each exactly once
    assert {m["channel"] for m in finals} == {"gsm0", "gsm1"}


def test_temporary_cms_error_on_part_2_of_3_resends_only_part_2(start_daemon):
    run = start_daemon(1)
    run.modems[0].fail_send_number(2, 500)  # +CMS ERROR: 500 (unknown error): temporary
    text = "Teil " * 80  # 400 GSM-7 characters: 3 parts
    done = run.api.wait_final(run.api.send(NUMBER, text)["id"])
    assert done["status"] == "sent" and done["segments"] == 3
    accepted = run.modems[0].received
    assert len(accepted) == 3  # part 1 once, part 2 after the retry, part 3
    seqs = [gammu.DecodePDU(bytes.fromhex(r.pdu_hex), SMSC=True)["UDH"]["PartNumber"]
            for r in accepted]
    assert seqs == [1, 2, 3]
    assert gammu_decode([r.pdu_hex for r in accepted]) == text
    details = [h["detail"] or "" for h in done["history"]]
    assert any("cms_500" in d for d in details)


def test_permanent_cms_error_fails_the_message_but_not_the_queue(start_daemon):
    run = start_daemon(1)
    run.modems[0].fail_next_sends(21)  # RP cause 21: short message transfer rejected
    bad = run.api.send(NUMBER, "wird abgelehnt")
    good = run.api.send(NUMBER, "geht durch")
    bad_final = run.api.wait_final(bad["id"])
    assert bad_final["status"] == "failed"
    assert bad_final["error"]["code"] == "cms_21"
    assert run.api.wait_final(good["id"])["status"] == "sent"


def test_urc_during_cmgs_and_a_garbage_byte(start_daemon):
    run = start_daemon(1)
    run.modems[0].inject_urc_during_send('+CMTI: "SM",3')
    run.modems[0].garbage_next_answer(b"\xff")
    a = run.api.wait_final(run.api.send(NUMBER, "mit URC")["id"])
    b = run.api.wait_final(run.api.send(NUMBER, "nach Müll")["id"])
    assert a["status"] == b["status"] == "sent"
    assert gammu_decode(pdus_of(run.modems, a)) == "mit URC"
    assert gammu_decode(pdus_of(run.modems, b)) == "nach Müll"


def test_unplug_in_the_middle_of_a_batch(start_daemon):
    run = start_daemon(1, latency=0.02)
    sim = run.modems[0]
    sent = [run.api.send(NUMBER, f"Batch {i:02d} " + "x" * 200) for i in range(12)]  # 2 parts
    sim.wait_for_pdus(5, timeout=10)
    sim.unplug(duration=0.5)
    finals = [run.api.wait_final(m["id"], timeout=30) for m in sent]
    assert {m["status"] for m in finals} == {"sent"}
    # Every part reached the network exactly once.
    seen = collections.Counter()
    for r in sim.received:
        d = gammu.DecodePDU(bytes.fromhex(r.pdu_hex), SMSC=True)
        seen[(d["UDH"]["ID8bit"], d["UDH"]["PartNumber"])] += 1
    assert len(seen) == 24 and set(seen.values()) == {1}
    assert sorted(gammu_decode(pdus_of([sim], m)) for m in finals) == sorted(
        m["text"] for m in sent)
    modem = run.api.call("GET", "/api/v1/modems")[1]["modems"][0]
    assert modem["state"] == "ready" and modem["counters"]["connects"] >= 2


def test_modems_route_reports_identity_and_signal(start_daemon):
    run = start_daemon(1)
    status, body = run.api.call("GET", "/api/v1/modems")
    assert status == 200
    m = body["modems"][0]
    assert m["name"] == "gsm0" and m["state"] == "ready"
    assert m["operator"] and m["signal"]["dbm"] is not None
    assert m["registration"] in ("home", "roaming")


def test_temporary_errors_are_retried_then_the_message_fails(start_daemon):
    run = start_daemon(1, sms={"retry_attempts": 3})
    run.modems[0].fail_next_sends(500, count=3)
    done = run.api.wait_final(run.api.send(NUMBER, "klappt nie")["id"])
    assert done["status"] == "failed"
    assert done["error"] == {"code": "cms_500", "text": done["error"]["text"]}
    statuses = [h["status"] for h in done["history"]]
    assert statuses == ["pending", "sending", "pending", "sending", "pending", "sending",
                        "failed"]
    assert run.modems[0].received == []
    # The modem is fine afterwards.
    assert run.api.wait_final(run.api.send(NUMBER, "jetzt")["id"])["status"] == "sent"


def test_a_modem_that_hangs_does_not_take_the_daemon_down(start_daemon):
    run = start_daemon(1, modem={"send_timeout": 0.5, "command_timeout": 0.5})
    sim = run.modems[0]
    sim.hang_next(1, "AT+CMGS")  # the AT+CMGS gets no answer at all
    done = run.api.wait_final(run.api.send(NUMBER, "nach dem Hänger")["id"])
    assert done["status"] == "sent"
    assert any("modem_timeout" in (h["detail"] or "") for h in done["history"])
    assert len(sim.received) == 1
