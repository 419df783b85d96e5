"""The HTTP API: authentication, the error object, validation, idempotency, listing, cancel."""

from __future__ import annotations

import pytest

NUMBER = "+4917612345678"


@pytest.fixture
def api(start_daemon):
    return start_daemon(0).api  # no modems: everything stays queued


def _error(body: dict, code: str, field: str | None = None) -> None:
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["error"]["field"] == field


@pytest.mark.parametrize("key", ["", "mdk_wrong", "Bearer"])
def test_every_route_needs_a_valid_key(api, key):
    for method, path in [("GET", "/api/v1/messages"), ("POST", "/api/v1/messages"),
                         ("GET", "/api/v1/messages/1"), ("DELETE", "/api/v1/messages/1"),
                         ("GET", "/api/v1/key-check"), ("GET", "/api/v1/modems")]:
        status, body = api.call(method, path, {"to": NUMBER, "text": "x"}, key=key)
        assert status == 401, (method, path)
        _error(body, "unauthorized")


def test_x_api_key_header_and_key_check(api):
    status, body = api.call("GET", "/api/v1/key-check", key="",
                            headers={"X-API-Key": api.key})
    assert (status, body) == (200, {"ok": True, "key": "test1"})


def test_post_returns_the_committed_message(api):
    status, body = api.call("POST", "/api/v1/messages",
                            {"to": "0176 12345678", "text": "Ihr Termin ist morgen um 9 Uhr."})
    assert status == 201
    assert body["to"] == NUMBER
    assert body["status"] == "pending"
    assert body["encoding"] == "gsm7" and body["segments"] == 1
    assert body["created_at"].endswith("Z")
    assert [h["status"] for h in body["history"]] == ["pending"]
    assert api.message(body["id"]) == body


@pytest.mark.parametrize("payload,status,code,field", [
    ({"text": "x"}, 422, "missing_field", "to"),
    ({"to": NUMBER}, 422, "missing_field", "text"),
    ({"to": NUMBER, "text": 5}, 422, "invalid_type", "text"),
    ({"to": "12", "text": "x"}, 422, "invalid_number", "to"),
    ({"to": "0176-CALL-ME", "text": "x"}, 422, "invalid_number", "to"),
    ({"to": NUMBER, "text": "   "}, 422, "empty_text", "text"),
    ({"to": NUMBER, "text": "a" * 601}, 422, "text_too_long", "text"),
    ({"to": NUMBER, "text": "x", "send_at": "morgen"}, 422, "invalid_time", "send_at"),
    ({"to": NUMBER, "text": "x", "send_at": "2026-01-01T10:00:00"}, 422, "invalid_time",
     "send_at"),
    ({"to": NUMBER, "text": "x", "colour": "red"}, 422, "unknown_field", "colour"),
    ({"to": NUMBER, "text": "x", "reference": ""}, 422, "invalid_reference", "reference"),
])
def test_invalid_requests_are_refused_and_not_stored(api, payload, status, code, field):
    got, body = api.call("POST", "/api/v1/messages", payload)
    assert got == status
    _error(body, code, field)
    assert api.call("GET", "/api/v1/messages")[1]["messages"] == []


def test_600_characters_are_accepted(api):
    body = api.send(NUMBER, "a" * 600)
    assert body["segments"] == 4


def test_malformed_bodies(api):
    status, body = api.call("POST", "/api/v1/messages", raw=b"{not json")
    assert status == 400
    _error(body, "invalid_json")
    status, body = api.call("POST", "/api/v1/messages", raw=b"[1, 2]")
    assert status == 400
    status, body = api.call("POST", "/api/v1/messages", raw=b"\xff\xfe")
    assert status == 400
    status, body = api.call("POST", "/api/v1/messages", raw=b"x" * (70 * 1024))
    assert status == 413
    _error(body, "body_too_large")


def test_reference_makes_post_idempotent(api):
    first = api.call("POST", "/api/v1/messages", {"to": NUMBER, "text": "A", "reference": "t1"})
    again = api.call("POST", "/api/v1/messages", {"to": NUMBER, "text": "A", "reference": "t1"})
    assert first[0] == 201 and again[0] == 200
    assert first[1]["id"] == again[1]["id"]
    assert len(api.call("GET", "/api/v1/messages")[1]["messages"]) == 1


def test_a_retried_reference_answers_with_the_stored_message_even_if_now_invalid(api):
    first = api.call("POST", "/api/v1/messages", {"to": NUMBER, "text": "A", "reference": "t2"})
    retry = api.call("POST", "/api/v1/messages", {"to": "12", "text": "", "reference": "t2"})
    assert first[0] == 201 and retry == (200, first[1])


def test_unknown_ids_and_routes(api):
    for path in ["/api/v1/messages/999", "/api/v1/messages/abc", "/api/v1/nothing"]:
        status, body = api.call("GET", path)
        assert status == 404
        _error(body, "not_found")
    status, body = api.call("PUT", "/api/v1/messages")
    assert status == 405
    _error(body, "method_not_allowed")


def test_messages_of_another_key_are_invisible(start_daemon):
    running = start_daemon(0)
    from modemd.clock import utcnow

    _, other = running.daemon.keys.create("filiale", utcnow())
    mine = running.api.send(NUMBER, "nur für mich")
    status, _ = running.api.call("GET", f"/api/v1/messages/{mine['id']}", key=other)
    assert status == 404
    status, _ = running.api.call("DELETE", f"/api/v1/messages/{mine['id']}", key=other)
    assert status == 404


def test_list_filters_and_cursor(api):
    ids = [api.send(NUMBER if i % 2 else "+4915112345678", f"Nachricht {i}")["id"]
           for i in range(7)]
    status, page1 = api.call("GET", "/api/v1/messages?limit=3")
    assert status == 200
    assert [m["id"] for m in page1["messages"]] == ids[::-1][:3]
    status, page2 = api.call("GET", f"/api/v1/messages?limit=3&cursor={page1['next_cursor']}")
    assert [m["id"] for m in page2["messages"]] == ids[::-1][3:6]
    status, page3 = api.call("GET", f"/api/v1/messages?limit=3&cursor={page2['next_cursor']}")
    assert [m["id"] for m in page3["messages"]] == ids[:1] and page3["next_cursor"] is None
    status, only = api.call("GET", "/api/v1/messages?to=%2B4917612345678")
    assert {m["to"] for m in only["messages"]} == {NUMBER} and len(only["messages"]) == 3
    status, body = api.call("GET", "/api/v1/messages?status=nonsense")
    assert status == 422
    _error(body, "invalid_status", "status")
    status, body = api.call("GET", "/api/v1/messages?limit=0")
    _error(body, "invalid_limit", "limit")
    status, body = api.call("GET", "/api/v1/messages?since=2020-01-01T00:00:00Z&status=pending")
    assert len(body["messages"]) == 7


def test_cancel_pending_message(api):
    msg = api.send(NUMBER, "Bitte absagen")
    status, body = api.call("DELETE", f"/api/v1/messages/{msg['id']}")
    assert status == 200 and body["status"] == "cancelled"
    status, body = api.call("DELETE", f"/api/v1/messages/{msg['id']}")
    assert status == 409
    _error(body, "not_cancellable")


def test_health_and_metrics_need_no_key(api):
    api.send(NUMBER, "x")
    status, body = api.call("GET", "/healthz", key="")
    assert status == 200 and body["ok"] is True
    status, text = api.call("GET", "/metrics", key="")
    assert status == 200
    assert 'modemd_messages{status="pending"} 1' in text


def test_web_ui_start_page_is_german_by_default(api):
    # Without a session the dashboard answers with its login page (see test_webui_*.py).
    status, text = api.call("GET", "/", key="")
    assert status == 200 and "<h1>Anmelden</h1>" in text and 'lang="de"' in text
    status, text = api.call("GET", "/?lang=en", key="")
    assert status == 200 and "<h1>Log in</h1>" in text and 'lang="en"' in text
