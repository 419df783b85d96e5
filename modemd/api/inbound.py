"""Routes for received messages and status reports."""

from __future__ import annotations

from typing import Any

import bottle

from modemd.api.base import ApiError, Routes, cursor_param, limit_param, time_param
from modemd.api.messages import message_json
from modemd.clock import to_iso
from modemd.store.inbound import InboundMessage
from modemd.store.keys import ApiKey
from modemd.store.reports import StoredReport


def install(r: Routes) -> None:
    """Register GET /api/v1/inbound, /api/v1/inbound/{id} and /api/v1/status-reports."""
    ctx = r.ctx

    def inbound_json(key: ApiKey, i: InboundMessage) -> dict[str, Any]:
        answered = None
        if i.in_reply_to is not None:
            m = ctx.messages.get(key.id, i.in_reply_to)
            answered = message_json(m) if m is not None else None
        return {
            "id": i.id, "from": i.sender, "text": i.text,
            "received_at": to_iso(i.received_at), "modem": i.modem, "complete": i.complete,
            "in_reply_to": i.in_reply_to, "in_reply_to_message": answered,
            "encoding": i.encoding, "sc_timestamp": to_iso(i.sc_timestamp),
            "parts": {"received": i.parts_received, "total": i.parts_total},
            "opt_out": i.opt_out, "malformed": i.error is not None,
            "error": i.error, "raw_pdu": i.raw_pdu,
        }

    def service():  # type: ignore[no-untyped-def]
        if ctx.inbound is None:
            raise ApiError(503, "not_available", "receiving is not set up")
        return ctx.inbound

    @r.route("GET", "/api/v1/inbound")
    def list_inbound(key: ApiKey) -> Any:
        q = bottle.request.query
        limit = limit_param(q.get("limit"))
        items = service().list(since=time_param(q.get("since"), "since"),
                               before_id=cursor_param(q.get("cursor")), limit=limit)
        cursor = str(items[-1].id) if len(items) == limit else None
        return {"inbound": [inbound_json(key, i) for i in items], "next_cursor": cursor}

    @r.route("GET", "/api/v1/inbound/<iid>")
    def get_inbound(key: ApiKey, iid: str) -> Any:
        item = service().get(int(iid)) if iid.isdigit() and len(iid) < 18 else None
        if item is None:
            raise ApiError(404, "not_found", f"no received message {iid!r}")
        return inbound_json(key, item)

    @r.route("GET", "/api/v1/status-reports")
    def list_reports(key: ApiKey) -> Any:
        if ctx.reports is None:
            raise ApiError(503, "not_available", "status reports are not set up")
        q = bottle.request.query
        matched_raw = q.get("matched")
        if matched_raw not in (None, "", "true", "false"):
            raise ApiError(422, "invalid_value", "matched must be true or false", "matched")
        matched = None if not matched_raw else matched_raw == "true"
        limit = limit_param(q.get("limit"))
        items = ctx.reports.list(matched=matched, before_id=cursor_param(q.get("cursor")),
                                 limit=limit)
        cursor = str(items[-1].id) if len(items) == limit else None
        return {"status_reports": [report_json(x) for x in items], "next_cursor": cursor}


def report_json(x: StoredReport) -> dict[str, Any]:
    """A kept status report as the API shows it."""
    return {
        "id": x.id, "modem": x.modem, "message_ref": x.message_ref, "recipient": x.recipient,
        "tp_status": x.tp_status, "sc_timestamp": to_iso(x.sc_timestamp),
        "discharge_time": to_iso(x.discharge_time), "received_at": to_iso(x.received_at),
        "message_id": x.message_id, "part": x.seq, "matched": x.message_id is not None,
    }
