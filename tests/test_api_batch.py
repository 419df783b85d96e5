"""POST /api/v1/messages/batch: per-item answers, one commit, idempotency, limits, auth, bodies."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

from tests.conftest import Running, gammu_decode

BATCH = "/api/v1/messages/batch"
NUMBER = "+4917612345678"


def stored_rows(run: Running) -> list[tuple]:
    """The messages as a separate connection sees them: what is committed, on disk."""
    conn = sqlite3.connect(run.daemon.config.db_path)
    try:
        return conn.execute("SELECT id, to_number, text, status, reference, error_code"
                            " FROM messages ORDER BY id").fetchall()
    finally:
        conn.close()


def test_mixed_items_each_answered_valid_ones_committed(start_daemon) -> None:
    run = start_daemon(0)
    status, body = run.api.call("POST", BATCH, {"messages": [
        {"to": "0176 1234 5678", "text": "Ihr Termin ist morgen um 9 Uhr."},
        {"to": "12", "text": "zu kurz"},
        {"to": NUMBER},
        "kein Objekt",
        {"to": NUMBER, "text": "Hallo", "colour": "rot"},
        {"to": NUMBER, "text": "x" * 200, "reference": "lang-1"},
        {"to": NUMBER, "text": "später", "send_at": "2099-01-01T09:00:00+01:00"},
        {"to": NUMBER, "text": "   "},
    ]})
    assert status == 200, body
    res = body["results"]
    assert [r["index"] for r in res] == list(range(8))
    assert [r["status"] for r in res] == [201, 422, 422, 422, 422, 201, 422, 422]
    assert res[0]["message"]["to"] == NUMBER and res[0]["message"]["status"] == "pending"
    assert res[1]["error"]["code"] == "invalid_number" and res[1]["error"]["field"] == "to"
    assert res[2]["error"] == {"code": "missing_field", "message": "text is required",
                               "field": "text"}
    assert res[3]["error"]["code"] == "invalid_type"
    assert res[4]["error"]["code"] == "unknown_field" and res[4]["error"]["field"] == "colour"
    assert res[5]["message"]["segments"] == 2 and len(res[5]["message"]["parts"]) == 2
    assert res[6]["error"]["code"] == "too_far_ahead"  # default horizon: schedule.max_days_ahead
    assert res[7]["error"]["code"] == "empty_text"
    rows = stored_rows(run)
    assert [r[0] for r in rows] == [res[0]["message"]["id"], res[5]["message"]["id"]]
    # The answer of an item is what a later GET shows (built, not read back, on the way in).
    for r in (res[0], res[5]):
        assert run.api.message(r["message"]["id"]) == r["message"]


def test_answer_equals_single_post_and_get(start_daemon) -> None:
    run = start_daemon(0)
    _, body = run.api.call("POST", BATCH, {"messages": [
        {"to": NUMBER, "text": "Termin 9:30 €", "reference": "a", "optimize": True,
         "expires_at": "2099-01-01T00:00:00Z"}]})
    batch_msg = body["results"][0]["message"]
    single = run.api.send(NUMBER, "Termin 9:30 €", reference="b", optimize=True,
                          expires_at="2099-01-01T00:00:00Z")
    assert run.api.message(batch_msg["id"]) == batch_msg
    assert run.api.message(single["id"]) == single
    drop = ("id", "reference", "created_at", "history", "concat_ref")
    assert ({k: v for k, v in batch_msg.items() if k not in drop}
            == {k: v for k, v in single.items() if k not in drop})


def test_reference_is_idempotent_per_item(start_daemon) -> None:
    run = start_daemon(0)
    first = run.api.send(NUMBER, "schon da", reference="r-0")
    items = [{"to": NUMBER, "text": "eins", "reference": "r-1"},
             {"to": NUMBER, "text": "eins nochmal", "reference": "r-1"},
             {"to": NUMBER, "text": "anders", "reference": "r-0"}]
    _, body = run.api.call("POST", BATCH, {"messages": items})
    res = body["results"]
    assert [r["status"] for r in res] == [201, 200, 200]
    assert res[1]["message"]["id"] == res[0]["message"]["id"]
    assert res[1]["message"]["text"] == "eins"  # the stored one, not the repeated request
    assert res[2]["message"]["id"] == first["id"]
    # The whole batch again (a retry after a lost answer): nothing new is stored.
    _, again = run.api.call("POST", BATCH, {"messages": items})
    assert [r["status"] for r in again["results"]] == [200, 200, 200]
    assert len(stored_rows(run)) == 2


def test_monthly_limit_crossed_inside_one_batch(start_daemon) -> None:
    run = start_daemon(0, sms={"monthly_limit": 3})
    run.api.send(NUMBER, "vorher")  # 1 of 3 used
    _, body = run.api.call("POST", BATCH, {"messages": [
        {"to": NUMBER, "text": "zwei"},            # 2 of 3
        {"to": NUMBER, "text": "x" * 200},         # 2 parts: would be 4 of 3
        {"to": NUMBER, "text": "drei"},            # 3 of 3
        {"to": NUMBER, "text": "vier"},            # over
    ]})
    res = body["results"]
    assert [r["status"] for r in res] == [201, 429, 201, 429]
    for r in (res[1], res[3]):
        assert r["error"]["code"] == "monthly_limit"
        assert r["message"]["status"] == "rejected"
    assert "2 of 3" in res[1]["error"]["message"] and "3 of 3" in res[3]["error"]["message"]
    status, stats = run.api.call("GET", "/api/v1/stats")
    assert stats["total"]["limit"]["used"] == 3


def test_key_limit_counts_item_by_item(start_daemon) -> None:
    run = start_daemon(0)
    _, plain = run.daemon.keys.create("filiale", datetime.now(UTC), monthly_limit=2)
    status, body = run.api.call("POST", BATCH, {"messages": [
        {"to": NUMBER, "text": f"Nachricht {i}"} for i in range(3)]}, key=plain)
    assert [r["status"] for r in body["results"]] == [201, 201, 429]
    assert "'filiale'" in body["results"][2]["error"]["message"]


def test_opted_out_number_is_refused_and_kept(start_daemon) -> None:
    run = start_daemon(0)
    status, _ = run.api.call("POST", "/api/v1/blocklist", {"number": NUMBER})
    assert status == 201
    _, body = run.api.call("POST", BATCH, {"messages": [
        {"to": "01761 2345678", "text": "Erinnerung"}, {"to": "+4915112345678", "text": "ok"}]})
    res = body["results"]
    assert [r["status"] for r in res] == [403, 201]
    assert res[0]["error"]["code"] == "opted_out" and res[0]["error"]["field"] == "to"
    assert res[0]["message"]["status"] == "rejected"


def test_auth_required_and_nothing_stored(start_daemon) -> None:
    run = start_daemon(0)
    items = {"messages": [{"to": NUMBER, "text": "Hallo"}]}
    status, body = run.api.call("POST", BATCH, items, key="")
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, _ = run.api.call("POST", BATCH, items, key="mdk_" + "x" * 43)
    assert status == 401
    _, plain = run.daemon.keys.create("alt", datetime.now(UTC))
    run.daemon.keys.revoke("alt", datetime.now(UTC))
    status, _ = run.api.call("POST", BATCH, items, key=plain)
    assert status == 401
    assert stored_rows(run) == []


def test_malformed_batches_store_nothing(start_daemon) -> None:
    run = start_daemon(0)
    one = {"to": NUMBER, "text": "Hallo"}
    cases = [
        (b'{"messages": [{"to": "+4917612345678", "text": "Hallo"}', 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_json"),
        (json.dumps({"messages": one}).encode(), 422, "invalid_batch"),
        (json.dumps({"messages": []}).encode(), 422, "invalid_batch"),
        (json.dumps({}).encode(), 422, "invalid_batch"),
        (json.dumps({"messages": [one], "dry_run": True}).encode(), 422, "unknown_field"),
        (json.dumps({"messages": [one] * 1001}).encode(), 422, "invalid_batch"),
    ]
    for raw, want_status, code in cases:
        status, body = run.api.call("POST", BATCH, raw=raw)
        assert (status, body["error"]["code"]) == (want_status, code), raw[:60]
    assert stored_rows(run) == []


def test_body_limit_is_raised_for_the_batch_route_only(start_daemon) -> None:
    run = start_daemon(0)
    items = [{"to": NUMBER, "text": "Ihr Termin ist morgen. " * 6, "reference": f"n-{i}"}
             for i in range(1000)]
    raw = json.dumps({"messages": items}).encode()
    assert 64 * 1024 < len(raw) < 4 * 1024 * 1024
    status, body = run.api.call("POST", BATCH, raw=raw)
    assert status == 200
    assert {r["status"] for r in body["results"]} == {201}
    assert len(stored_rows(run)) == 1000
    # The single-message route keeps its 64 KiB limit.
    status, body = run.api.call("POST", "/api/v1/messages", raw=b" " * (65 * 1024) + b"{}")
    assert status == 413
    # And the batch route has one too.
    huge = json.dumps({"messages": [{"to": NUMBER, "text": "x" * 5000}] * 900}).encode()
    status, body = run.api.call("POST", BATCH, raw=huge)
    assert status == 413 and body["error"]["code"] == "body_too_large"
    assert len(stored_rows(run)) == 1000


def test_batch_messages_are_sent(start_daemon) -> None:
    run = start_daemon(1)
    _, body = run.api.call("POST", BATCH, {"messages": [
        {"to": NUMBER, "text": "Erste Erinnerung"}, {"to": "+4915112345678", "text": "Zweite"}]})
    ids = [r["message"]["id"] for r in body["results"]]
    for mid in ids:
        assert run.api.wait_final(mid)["status"] == "sent"
    texts = sorted(gammu_decode([r.pdu_hex]) for r in run.modems[0].received)
    assert texts == ["Erste Erinnerung", "Zweite"]
