"""What is sent when cost features are on: optimized texts and national tables, end to end."""

from __future__ import annotations

from modemd.pdu import decode_pdu

from .conftest import gammu_decode

NUMBER = "+4917612345678"
TYPOGRAPHIC = "Ihr Termin am 19.08. um 16:30 Uhr – bitte „pünktlich“ sein… " * 2


def test_optimize_per_request_sends_the_optimized_text(start_daemon) -> None:
    run = start_daemon(1)
    plain = TYPOGRAPHIC.replace("–", "-").replace("„", '"').replace("“", '"') \
        .replace("…", "...")
    m = run.api.send(NUMBER, TYPOGRAPHIC, optimize=True)
    assert m["text"] == plain  # the answer shows the text actually sent
    assert (m["encoding"], m["segments"]) == ("gsm7", 1)
    assert run.api.wait_final(m["id"])["status"] == "sent"
    (pdu,) = run.modems[0].wait_for_pdus(1, timeout=20)
    assert gammu_decode([pdu.pdu_hex]) == plain

    unchanged = run.api.send(NUMBER, TYPOGRAPHIC)  # off by default
    assert unchanged["text"] == TYPOGRAPHIC
    assert (unchanged["encoding"], unchanged["segments"]) == ("ucs2", 2)


def test_optimize_setting_and_per_request_override(start_daemon) -> None:
    run = start_daemon(0, sms={"optimize_characters": True})
    assert run.api.send(NUMBER, "Bis morgen – Ihre Praxis")["text"] == "Bis morgen - Ihre Praxis"
    assert run.api.send(NUMBER, "Bis morgen – Ihre Praxis", optimize=False)["text"] == \
        "Bis morgen – Ihre Praxis"
    status, body = run.api.call("POST", "/api/v1/messages",
                                {"to": NUMBER, "text": "x", "optimize": "ja"})
    assert status == 422 and body["error"]["field"] == "optimize"


def test_national_table_end_to_end(start_daemon) -> None:
    text = "Sayın Şükrü Yılmaz, randevunuz yarın saat 10:00'da. İptal için arayın. " * 2
    run = start_daemon(1, sms={"national_language_tables": ["tr"]})
    m = run.api.send(NUMBER, text)
    assert (m["encoding"], m["segments"]) == ("gsm7", 2)  # UCS-2 would need 3
    assert run.api.wait_final(m["id"])["status"] == "sent"
    received = run.modems[0].wait_for_pdus(2, timeout=20)
    parts = [decode_pdu(r.pdu_hex, direction="mo").user_data for r in received]
    assert all(p.language == "tr" and p.encoding == "gsm7" for p in parts)
    assert "".join(p.text for p in parts) == text
