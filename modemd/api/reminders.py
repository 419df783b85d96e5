"""Routes for appointment reminders and the list of planned messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import bottle

from modemd.api.base import ApiError, Routes, json_body, limit_param, reject_unknown, time_param
from modemd.api.messages import message_json
from modemd.clock import to_iso
from modemd.errors import ValidationError
from modemd.messaging import MAX_LIST
from modemd.reminders import FIELDS, ReminderService, check_reference
from modemd.store.keys import ApiKey
from modemd.store.reminders import Reminder
from modemd.store.schedule import PlannedItem

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def reminder_json(r: Reminder) -> dict[str, Any]:
    """The reminder object: the request as stored and the messages planned for it."""
    return {
        "reference": r.reference,
        "to": r.to,
        "appointment_at": to_iso(r.appointment_at),
        "leads": list(r.leads),
        "text": r.text,
        "expires_at": to_iso(r.expires_at),
        "status": r.status,
        "created_at": to_iso(r.created_at),
        "updated_at": to_iso(r.updated_at),
        "messages": [
            {"id": m.message_id, "lead": m.lead, "appointment_at": to_iso(m.appointment_at),
             "status": m.status, "send_at": to_iso(m.due_at), "sent_at": to_iso(m.sent_at),
             "error": m.error_code}
            for m in r.messages
        ],
    }


def planned_json(item: PlannedItem) -> dict[str, Any]:
    """A planned message: the message object plus when it is due and its reminder, if any."""
    out = message_json(item.message)
    out["due_at"] = to_iso(item.message.due_at)
    link = item.reminder
    out["reminder"] = None if link is None else {
        "reference": link.reference, "lead": link.lead,
        "appointment_at": to_iso(link.appointment_at)}
    return out


def install(r: Routes) -> None:
    """Register the reminder and planned-message routes."""
    ctx = r.ctx

    def service() -> ReminderService:
        if ctx.reminders is None:
            raise ApiError(503, "unavailable", "reminders are not available")
        return ctx.reminders

    def reference_of(raw: str) -> str:
        try:
            return check_reference(raw)
        except Exception:
            raise ApiError(404, "not_found", "no such reminder") from None

    @r.route("POST", "/api/v1/reminders")
    def post_reminder(key: ApiKey) -> Any:
        data = json_body()
        reject_unknown(data, FIELDS)
        reminder, outcome = _save(service(), key.id, data.get("reference"), data, True)
        if outcome == "exists":
            raise ApiError(409, "reminder_exists",
                           f"a different reminder {reminder.reference!r} exists; change it "
                           "with PUT /api/v1/reminders/{reference}", "reference")
        bottle.response.status = 201 if outcome == "created" else 200
        bottle.response.set_header("Location", f"/api/v1/reminders/{reminder.reference}")
        return reminder_json(reminder)

    @r.route("GET", "/api/v1/reminders/<reference>")
    def get_reminder(key: ApiKey, reference: str) -> Any:
        reminder = service().get(key.id, reference_of(reference))
        if reminder is None:
            raise ApiError(404, "not_found", "no such reminder")
        return reminder_json(reminder)

    @r.route("PUT", "/api/v1/reminders/<reference>")
    def put_reminder(key: ApiKey, reference: str) -> Any:
        data = json_body()
        reject_unknown(data, FIELDS)
        if data.get("reference") not in (None, reference):
            raise ApiError(422, "reference_mismatch",
                           "the body's reference differs from the one in the path", "reference")
        reminder, outcome = _save(service(), key.id, reference, data, False)
        bottle.response.status = 201 if outcome == "created" else 200
        return reminder_json(reminder)

    @r.route("DELETE", "/api/v1/reminders/<reference>")
    def delete_reminder(key: ApiKey, reference: str) -> Any:
        reminder = service().cancel(key.id, reference_of(reference))
        if reminder is None:
            raise ApiError(404, "not_found", "no such reminder")
        return reminder_json(reminder)

    @r.route("GET", "/api/v1/scheduled")
    def list_scheduled(key: ApiKey) -> Any:
        q = bottle.request.query
        limit = limit_param(q.get("limit"), MAX_LIST)
        items = service().planned(
            key.id, since=time_param(q.get("since"), "since"),
            until=time_param(q.get("until"), "until"), after=_cursor(q.get("cursor")),
            limit=limit)
        cursor = None
        if len(items) == limit:
            last = items[-1].message
            cursor = f"{(last.due_at - _EPOCH) // timedelta(milliseconds=1)}.{last.id}"
        return {"scheduled": [planned_json(i) for i in items], "next_cursor": cursor}

    @r.route("POST", "/api/v1/scheduled/delete")
    def delete_selection(key: ApiKey) -> Any:
        data = json_body()
        reject_unknown(data, {"ids"})
        outcome = service().remove(key.id, data.get("ids"))
        return {
            "removed": list(outcome.removed),
            "already_sent": list(outcome.already_sent),
            "already_final": [{"id": i, "status": s} for i, s in outcome.already_final],
            "not_found": list(outcome.not_found),
        }


def _save(svc: ReminderService, key_id: int, reference: object, data: dict,
          create_only: bool) -> tuple[Reminder, str]:
    try:
        return svc.save(key_id, reference, data, create_only=create_only)
    except ValidationError as exc:
        if exc.code == "opted_out":  # as for messages: refused, not invalid
            raise ApiError(403, "opted_out", str(exc), "to") from None
        raise


def _cursor(value: str | None) -> tuple[datetime, int] | None:
    if not value:
        return None
    ms, _, mid = value.partition(".")
    if not (ms.isdigit() and mid.isdigit() and len(ms) <= 15 and len(mid) <= 18):
        raise ApiError(422, "invalid_cursor", "cursor must be a value from next_cursor",
                       "cursor")
    return _EPOCH + timedelta(milliseconds=int(ms)), int(mid)
