"""Reminders, the planned list and scheduled sends through the HTTP API of a running daemon,
and the real-time end-to-end checks: a scheduled message reaches the simulated modem on time,
also after a restart."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from modemd.clock import to_iso, utcnow
from tests.conftest import wait_until

NUMBER = "+4917612345678"


def in_days(days: float) -> str:
    return to_iso(utcnow() + timedelta(days=days))


def reminder(reference: str = "T-100", **kw) -> dict:
    return {"reference": reference, "to": "0176 12345678", "text": "Erinnerung: Termin",
            "appointment_at": in_days(10), "leads": ["24h", "2h"], **kw}


def test_every_new_route_needs_a_key(start_daemon):
    api = start_daemon(0).api
    for method, path in [("POST", "/api/v1/reminders"), ("GET", "/api/v1/reminders/x"),
                         ("PUT", "/api/v1/reminders/x"), ("DELETE", "/api/v1/reminders/x"),
                         ("GET", "/api/v1/scheduled"), ("POST", "/api/v1/scheduled/delete")]:
        for key in ("", "wrong"):
            status, body = api.call(method, path, {}, key=key)
            assert status == 401 and body["error"]["code"] == "unauthorized", (method, path)


def test_reminder_life_cycle(start_daemon):
    api = start_daemon(0).api
    body = reminder()
    status, r = api.call("POST", "/api/v1/reminders", body)
    assert status == 201, r
    assert r["reference"] == "T-100" and r["to"] == NUMBER and r["status"] == "active"
    assert [(m["lead"], m["status"]) for m in r["messages"]] == [("24h", "scheduled"),
                                                                 ("2h", "scheduled")]
    status, again = api.call("POST", "/api/v1/reminders", body)
    assert status == 200 and again["messages"] == r["messages"]
    status, err = api.call("POST", "/api/v1/reminders", {**body, "appointment_at": in_days(11)})
    assert status == 409 and err["error"]["code"] == "reminder_exists"

    status, got = api.call("GET", "/api/v1/reminders/T-100")
    assert status == 200 and got == r

    moved = {k: v for k, v in body.items() if k != "reference"}
    moved["appointment_at"] = in_days(12)
    status, r2 = api.call("PUT", "/api/v1/reminders/T-100", moved)
    assert status == 200
    assert [m["status"] for m in r2["messages"]] == ["cancelled", "cancelled", "scheduled",
                                                     "scheduled"]
    status, planned = api.call("GET", "/api/v1/scheduled")
    assert status == 200 and planned["next_cursor"] is None
    assert [p["id"] for p in planned["scheduled"]] == [m["id"] for m in r2["messages"][2:]]
    item = planned["scheduled"][0]
    assert item["status"] == "scheduled" and item["due_at"] == r2["messages"][2]["send_at"]
    assert item["expires_at"] == r2["appointment_at"]
    assert item["reminder"] == {"reference": "T-100", "lead": "24h",
                                "appointment_at": r2["appointment_at"]}

    status, gone = api.call("DELETE", "/api/v1/reminders/T-100")
    assert status == 200 and gone["status"] == "cancelled"
    assert {m["status"] for m in gone["messages"]} == {"cancelled"}
    assert api.call("GET", "/api/v1/scheduled")[1]["scheduled"] == []
    assert api.call("DELETE", "/api/v1/reminders/nope")[0] == 404
    assert api.call("GET", "/api/v1/reminders/nope")[0] == 404

    # PUT creates when the reference is new
    status, created = api.call("PUT", "/api/v1/reminders/T-200", moved)
    assert status == 201 and created["reference"] == "T-200"


def test_reminders_belong_to_their_key(start_daemon):
    run = start_daemon(0)
    api = run.api
    assert api.call("POST", "/api/v1/reminders", reminder())[0] == 201
    _, other = run.daemon.keys.create("filiale", utcnow())
    assert api.call("GET", "/api/v1/reminders/T-100", key=other)[0] == 404
    assert api.call("GET", "/api/v1/scheduled", key=other)[1]["scheduled"] == []
    # the same reference is free for another key
    assert api.call("POST", "/api/v1/reminders", reminder(), key=other)[0] == 201


def test_reminder_validation_names_the_field(start_daemon):
    api = start_daemon(0).api
    cases = [
        ({**reminder(), "leads": "24h"}, "leads", "invalid_leads"),
        ({**reminder(), "appointment_at": "morgen"}, "appointment_at", "invalid_time"),
        ({**reminder(), "appointment_at": in_days(-1)}, "appointment_at",
         "appointment_passed"),
        ({**reminder(), "appointment_at": in_days(500)}, "appointment_at", "too_far_ahead"),
        ({**reminder(), "template": "t1", "values": {"name": "Müller"}}, "text",
         "conflicting_fields"),
        ({**reminder(text=None), "template": "gibt-es-nicht"}, "template",
         "unknown_template"),
        ({**reminder(text=None), "values": {"name": "Müller"}}, "values", "unexpected_field"),
        ({**reminder(), "lead": ["2h"]}, "lead", "unknown_field"),
        ({k: v for k, v in reminder().items() if k != "to"}, "to", "missing_field"),
    ]
    for body, field, code in cases:
        status, err = api.call("POST", "/api/v1/reminders", body)
        assert status == 422, (body, err)
        assert (err["error"]["field"], err["error"]["code"]) == (field, code)
    status, err = api.call("PUT", "/api/v1/reminders/A", reminder("B"))
    assert status == 422 and err["error"]["code"] == "reference_mismatch"


def test_send_at_horizon_and_expires_at(start_daemon):
    api = start_daemon(0).api
    status, err = api.call("POST", "/api/v1/messages",
                           {"to": NUMBER, "text": "x", "send_at": in_days(401)})
    assert status == 422 and err["error"]["field"] == "send_at"
    status, err = api.call("POST", "/api/v1/messages",
                           {"to": NUMBER, "text": "x", "send_at": in_days(2),
                            "expires_at": in_days(1)})
    assert status == 422 and err["error"]["field"] == "expires_at"
    msg = api.send(NUMBER, "x", send_at=in_days(2), expires_at=in_days(3))
    assert msg["status"] == "scheduled" and msg["expires_at"] is not None


def test_remove_a_selection_through_the_api(start_daemon):
    run = start_daemon(1)
    api = run.api
    a = api.send(NUMBER, "a", send_at=in_days(1))["id"]
    b = api.send(NUMBER, "b", send_at=in_days(2))["id"]
    c = api.wait_final(api.send(NUMBER, "c")["id"])["id"]
    status, out = api.call("POST", "/api/v1/scheduled/delete", {"ids": [a, b, c, 424242]})
    assert status == 200
    assert out == {"removed": [a, b], "already_sent": [c], "already_final": [],
                   "not_found": [424242]}
    assert api.message(a)["status"] == "cancelled"
    status, out = api.call("POST", "/api/v1/scheduled/delete", {"ids": [a]})
    assert out["already_final"] == [{"id": a, "status": "cancelled"}]
    for bad in ({"ids": []}, {"ids": "1,2"}, {"ids": [1, "2"]}, {"ids": [True]}, {}):
        status, err = api.call("POST", "/api/v1/scheduled/delete", bad)
        assert status == 422 and err["error"]["field"] == "ids", bad


def test_planned_list_pages_by_due_time(start_daemon):
    api = start_daemon(0).api
    ids = [api.send(NUMBER, str(i), send_at=in_days(5 - i))["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        q = "/api/v1/scheduled?limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, page = api.call("GET", q)
        assert status == 200
        seen += [m["id"] for m in page["scheduled"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    assert api.call("GET", "/api/v1/scheduled?cursor=abc")[0] == 422
    status, page = api.call("GET", "/api/v1/scheduled?until=" + in_days(2.5).replace("+", "%2B"))
    assert [m["id"] for m in page["scheduled"]] == [ids[4], ids[3], ids[2]][:2]


# --- real time -----------------------------------------------------------------------------


def test_scheduled_message_reaches_the_modem_between_3_and_4_seconds(start_daemon):
    run = start_daemon(1)
    submitted = time.monotonic()
    send_at = datetime.now(UTC) + timedelta(seconds=3)
    msg = run.api.send(NUMBER, "In drei Sekunden", send_at=to_iso(send_at))
    assert msg["status"] == "scheduled"
    (pdu,) = run.modems[0].wait_for_pdus(1, timeout=20)
    elapsed = pdu.at - submitted
    assert 3.0 <= elapsed <= 4.0, elapsed
    done = run.api.wait_final(msg["id"])
    assert [h["status"] for h in done["history"]] == ["scheduled", "pending", "sending", "sent"]


def test_overdue_message_is_sent_at_once_after_a_restart(start_daemon, tmp_path):
    first = start_daemon(0, data_dir=tmp_path / "keep")
    msg = first.api.send(NUMBER, "Nach dem Neustart",
                         send_at=to_iso(datetime.now(UTC) + timedelta(seconds=1)))
    first.daemon.stop()
    time.sleep(1.2)            # the box is off while the message becomes due
    second = start_daemon(1, data_dir=tmp_path / "keep")
    pdus = second.modems[0].wait_for_pdus(1, timeout=20)
    assert len(pdus) == 1
    row = wait_until(lambda: (m := second.daemon.messages.get(msg["id"])).status == "sent" and m)
    assert [h.status for h in row.history] == ["scheduled", "pending", "sending", "sent"]


def test_a_reminder_goes_out_through_the_modem(start_daemon):
    run = start_daemon(1, sections={"schedule": {"quiet_hours": "none"}})
    appointment = datetime.now(UTC) + timedelta(minutes=2)
    status, r = run.api.call("POST", "/api/v1/reminders", {
        "reference": "now", "to": NUMBER, "text": "Ihr Termin beginnt gleich",
        "appointment_at": to_iso(appointment), "leads": ["119m"], "expires_at": None})
    assert status == 201, r
    # 119 min before an appointment in 2 min has passed: one catch-up reminder, now.
    (m,) = r["messages"]
    assert m["status"] == "pending"
    assert run.modems[0].wait_for_pdus(1, timeout=20)
    wait_until(lambda: run.api.message(m["id"])["status"] == "sent")


def test_reminder_text_from_a_template_with_the_appointment_filled_in(start_daemon):
    api = start_daemon(0).api
    status, _ = api.call("POST", "/api/v1/templates", {
        "name": "kurz", "text": "Hallo {name}, Ihr Termin: {datum} um {uhrzeit} Uhr."})
    assert status == 201
    from zoneinfo import ZoneInfo

    day = (utcnow() + timedelta(days=20)).astimezone(ZoneInfo("Europe/Berlin"))
    local = day.replace(hour=9, minute=30, second=0, microsecond=0)
    body = {**reminder(text=None), "template": "kurz", "values": {"name": "Frau Ek"},
            "appointment_at": local.isoformat(), "leads": ["24h"]}
    del body["text"]
    status, r = api.call("POST", "/api/v1/reminders", body)
    assert status == 201, r
    message = api.message(r["messages"][0]["id"])
    assert message["text"] == f"Hallo Frau Ek, Ihr Termin: {local:%d.%m.%Y} um 09:30 Uhr."
    status, err = api.call("POST", "/api/v1/reminders", {
        **body, "reference": "T-2", "values": {"nmae": "x"}})
    assert status == 422 and err["error"]["field"].startswith("values")


def test_reminder_part_count_uses_the_national_tables_the_modem_sends_with(start_daemon):
    api = start_daemon(0, sms={"national_language_tables": ["tr"]}).api
    text = ("Sayın Ayşe Yılmaz, yarın saat 09:30'da diş hekimi randevunuz var. "
            "Gelemeyecekseniz lütfen bir gün önceden arayın. Teşekkürler!")
    status, analysis = api.call("POST", "/api/v1/analyze", {"text": text})
    assert status == 200 and analysis["encoding"] == "gsm7"
    status, r = api.call("POST", "/api/v1/reminders", {**reminder(), "text": text,
                                                        "leads": ["24h"]})
    assert status == 201, r
    planned = api.message(r["messages"][0]["id"])
    assert planned["segments"] == analysis["segments"] == 1
