"""Routes for outbound messages: send, read, list, cancel."""

from __future__ import annotations

from typing import Any

import bottle

from modemd.analysis import count_label, units_of
from modemd.api.base import (
    ApiError,
    Routes,
    cursor_param,
    json_body,
    limit_param,
    reject_unknown,
    time_param,
)
from modemd.clock import to_iso
from modemd.errors import PhoneNumberError, RecipientBlocked
from modemd.messaging import MAX_LIST, Submission
from modemd.phone import normalize_number
from modemd.status import Status, label
from modemd.store.keys import ApiKey
from modemd.store.messages import Message, MessageFilter

# The fields of a message to send (POST /api/v1/messages and each item of a batch).
SEND_FIELDS = frozenset({"to", "text", "send_at", "reference", "optimize", "template", "values",
                         "expires_at"})


def message_json(m: Message) -> dict[str, Any]:
    """The message object of DESIGN.md (plus its parts, one per PDU)."""
    units = m.units if m.units is not None else units_of(m.text, m.encoding)
    return {
        "id": m.id,
        "to": m.to,
        "text": m.text,
        "status": m.status,
        "status_label": label(m.status),
        "encoding": m.encoding,
        "segments": m.segments,
        "units": units,
        "count": count_label(units, m.segments),
        "reference": m.reference,
        "created_at": to_iso(m.created_at),
        "send_at": to_iso(m.send_at),
        "expires_at": to_iso(m.expires_at),
        "sent_at": to_iso(m.sent_at),
        "delivered_at": to_iso(m.delivered_at),
        "channel": m.channel,
        "error": {"code": m.error_code, "text": m.error_text} if m.error_code else None,
        "parts": [
            {"seq": p.seq, "status": p.status, "channel": p.channel,
             "message_ref": p.message_ref, "sent_at": to_iso(p.sent_at),
             **({"remote_id": p.remote_id} if p.remote_id is not None else {})}
            for p in m.parts
        ],
        "history": [
            {"status": h.status, "at": to_iso(h.at), "detail": h.detail} for h in m.history
        ],
    }


def install(r: Routes) -> None:
    """Register the message routes."""
    ctx = r.ctx

    def message_id(raw: str) -> int:
        if not raw.isdigit() or len(raw) > 18:
            raise ApiError(404, "not_found", f"no message {raw!r}")
        return int(raw)

    @r.route("POST", "/api/v1/messages")
    def post_message(key: ApiKey) -> Any:
        data = json_body()
        reject_unknown(data, SEND_FIELDS)
        try:
            msg, created = ctx.messages.submit(key.id, Submission(
                to=data.get("to"), text=data.get("text"), reference=data.get("reference"),
                send_at=data.get("send_at"), optimize=data.get("optimize"),
                template=data.get("template"), values=data.get("values"),
                expires_at=data.get("expires_at")))
        except RecipientBlocked as exc:
            raise ApiError(403, "opted_out", f"the recipient opted out; message "
                           f"{exc.message_id} was kept as rejected", "to") from None
        if created:
            bottle.response.set_header("Location", f"/api/v1/messages/{msg.id}")
        if msg.status == "rejected" and msg.error_code == "monthly_limit":
            # Kept for the overview (and the same answer for a repeated reference).
            raise ApiError(429, "monthly_limit", f"{msg.error_text}; message {msg.id} is kept "
                           "as rejected and will not be sent")
        bottle.response.status = 201 if created else 200
        return message_json(msg)

    @r.route("GET", "/api/v1/messages/<mid>")
    def get_message(key: ApiKey, mid: str) -> Any:
        msg = ctx.messages.get(key.id, message_id(mid))
        if msg is None:
            raise ApiError(404, "not_found", f"no message {mid}")
        return message_json(msg)

    @r.route("DELETE", "/api/v1/messages/<mid>")
    def delete_message(key: ApiKey, mid: str) -> Any:
        outcome = ctx.messages.cancel(key.id, message_id(mid))
        if outcome == "not_found":
            raise ApiError(404, "not_found", f"no message {mid}")
        if outcome is not None:
            raise ApiError(409, "not_cancellable",
                           f"message {mid} is {outcome} and can no longer be cancelled")
        return message_json(ctx.messages.get(key.id, int(mid)))  # type: ignore[arg-type]

    @r.route("GET", "/api/v1/messages")
    def list_messages(key: ApiKey) -> Any:
        q = bottle.request.query
        flt = MessageFilter(
            status=_status_param(q.get("status")),
            to=_number_param(q.get("to")),
            since=time_param(q.get("since"), "since"),
            until=time_param(q.get("until"), "until"),
            before_id=cursor_param(q.get("cursor")),
            limit=limit_param(q.get("limit"), MAX_LIST),
        )
        items = ctx.messages.list(key.id, flt)
        cursor = str(items[-1].id) if len(items) == flt.limit else None
        return {"messages": [message_json(m) for m in items], "next_cursor": cursor}


def _status_param(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return Status(value).value
    except ValueError:
        raise ApiError(422, "invalid_status", f"unknown status {value!r}", "status") from None


def _number_param(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return normalize_number(value, "DE" if not value.startswith("+") else "ZZ")
    except PhoneNumberError as exc:
        raise ApiError(422, "invalid_number", str(exc), "to") from None
