"""`POST /api/v1/messages/batch`: many messages in one request and one commit.

Meant for the practice software's nightly reminder run: one HTTP round trip and one
transaction (one fsync) for up to MAX_BATCH messages, where single requests cost one of each
per message. Every item is checked on its own and answered on its own, with the same status
and object `POST /api/v1/messages` would give it; the batch answer itself is 200 once the
body is a well-formed batch. See docs/api-batch.md.
"""

from __future__ import annotations

from typing import Any

from modemd.api.base import ApiError, Routes, json_body, reject_unknown
from modemd.api.messages import SEND_FIELDS, message_json
from modemd.errors import ValidationError
from modemd.messaging import Submission
from modemd.store.keys import ApiKey
from modemd.store.messages import Message

MAX_BATCH = 1000
MAX_BATCH_BODY = 4 * 1024 * 1024  # 1,000 items of the longest texts, JSON-escaped, fit


def install(r: Routes) -> None:
    """Register the batch route."""
    ctx = r.ctx

    @r.route("POST", "/api/v1/messages/batch")
    def post_batch(key: ApiKey) -> Any:
        data = json_body(MAX_BATCH_BODY)
        reject_unknown(data, {"messages"})
        items = data.get("messages")
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
            raise ApiError(422, "invalid_batch", f"messages must be a list of 1 to {MAX_BATCH}"
                           " message objects", "messages")
        results: list[dict[str, Any] | None] = [None] * len(items)
        todo: list[tuple[int, Submission]] = []
        for index, item in enumerate(items):
            try:
                todo.append((index, _submission(item)))
            except ValidationError as exc:
                results[index] = _refused(index, exc)
        outcomes = ctx.messages.submit_many(key.id, [s for _, s in todo]) if todo else []
        for (index, _), outcome in zip(todo, outcomes, strict=True):
            if isinstance(outcome, ValidationError):
                results[index] = _refused(index, outcome)
            else:
                results[index] = _stored(index, *outcome)
        return {"results": results}


def _submission(item: object) -> Submission:
    if not isinstance(item, dict):
        raise ValidationError("invalid_type", "each item must be a message object", None)
    unknown = sorted(set(item) - SEND_FIELDS)
    if unknown:
        raise ValidationError("unknown_field", f"unknown field {unknown[0]!r}", unknown[0])
    return Submission(
        to=item.get("to"), text=item.get("text"), reference=item.get("reference"),
        send_at=item.get("send_at"), optimize=item.get("optimize"),
        template=item.get("template"), values=item.get("values"),
        expires_at=item.get("expires_at"))


def _refused(index: int, exc: ValidationError) -> dict[str, Any]:
    return {"index": index, "status": 422,
            "error": {"code": exc.code, "message": str(exc), "field": exc.field}}


def _stored(index: int, message: Message, created: bool) -> dict[str, Any]:
    """The answer `POST /api/v1/messages` gives for this message, as a batch result."""
    result: dict[str, Any] = {"index": index, "status": 201 if created else 200,
                              "message": message_json(message)}
    if message.status == "rejected" and message.error_code == "opted_out":
        result.update(status=403, error={
            "code": "opted_out", "field": "to",
            "message": f"the recipient opted out; message {message.id} was kept as rejected"})
    elif message.status == "rejected" and message.error_code == "monthly_limit":
        result.update(status=429, error={
            "code": "monthly_limit", "field": None,
            "message": f"{message.error_text}; message {message.id} is kept as rejected and "
                       "will not be sent"})
    return result
