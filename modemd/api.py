"""The LAN HTTP API (`/api/v1`): thin handlers that validate, call one service, answer JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import bottle

from modemd.channels.base import Channel
from modemd.clock import from_iso, to_iso
from modemd.errors import PhoneNumberError, ValidationError
from modemd.messaging import MAX_LIST, MessageService, Submission
from modemd.phone import normalize_number
from modemd.status import Status, label
from modemd.store.keys import ApiKey, KeyStore
from modemd.store.messages import Message, MessageFilter

log = logging.getLogger("modemd.api")

MAX_BODY = 64 * 1024


@dataclass
class ApiContext:
    """What the API handlers may call (built by the daemon)."""

    keys: KeyStore
    messages: MessageService
    channels: list[Channel]
    metrics: Callable[[], str]
    health: Callable[[], dict]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        self.status, self.code, self.message, self.field = status, code, message, field
        super().__init__(message)


def message_json(m: Message) -> dict[str, Any]:
    """The message object of DESIGN.md (plus its parts, one per PDU)."""
    return {
        "id": m.id,
        "to": m.to,
        "text": m.text,
        "status": m.status,
        "status_label": label(m.status),
        "encoding": m.encoding,
        "segments": m.segments,
        "reference": m.reference,
        "created_at": to_iso(m.created_at),
        "send_at": to_iso(m.send_at),
        "sent_at": to_iso(m.sent_at),
        "delivered_at": to_iso(m.delivered_at),
        "channel": m.channel,
        "error": {"code": m.error_code, "text": m.error_text} if m.error_code else None,
        "parts": [
            {"seq": p.seq, "status": p.status, "channel": p.channel,
             "message_ref": p.message_ref, "sent_at": to_iso(p.sent_at)}
            for p in m.parts
        ],
        "history": [
            {"status": h.status, "at": to_iso(h.at), "detail": h.detail} for h in m.history
        ],
    }


def create_api(ctx: ApiContext) -> bottle.Bottle:
    """The API as a Bottle app; mount it at the root (its routes carry their full paths)."""
    app = bottle.Bottle(catchall=True)

    def error_body(status: int, code: str, message: str, field: str | None = None) -> str:
        bottle.response.status = status
        bottle.response.content_type = "application/json"
        return json.dumps({"error": {"code": code, "message": message, "field": field}})

    def handler(fn: Callable[..., Any], auth: bool = True) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            bottle.response.set_header("Cache-Control", "no-store")
            try:
                key = authenticate() if auth else None
                result = fn(key, *args, **kwargs) if auth else fn(*args, **kwargs)
            except ApiError as exc:
                return error_body(exc.status, exc.code, exc.message, exc.field)
            except ValidationError as exc:
                return error_body(422, exc.code, str(exc), exc.field)
            except Exception:
                log.exception("API %s %s failed", bottle.request.method, bottle.request.path)
                return error_body(500, "internal_error", "internal error; see the daemon log")
            if isinstance(result, str):
                return result
            bottle.response.content_type = "application/json"
            return json.dumps(result, ensure_ascii=False)
        return wrapped

    def authenticate() -> ApiKey:
        header = bottle.request.get_header("Authorization", "")
        plain = header[7:].strip() if header[:7].lower() == "bearer " else ""
        plain = plain or bottle.request.get_header("X-API-Key", "").strip()
        if not plain:
            raise ApiError(401, "unauthorized", "an API key is required "
                           "(Authorization: Bearer <key> or X-API-Key)")
        key = ctx.keys.authenticate(plain)
        if key is None:
            raise ApiError(401, "unauthorized", "the API key is unknown or revoked")
        return key

    def body() -> dict[str, Any]:
        length = bottle.request.content_length
        if length > MAX_BODY:
            raise ApiError(413, "body_too_large", f"the request body exceeds {MAX_BODY} bytes")
        raw = bottle.request.body.read(MAX_BODY + 1)
        try:
            data = json.loads(raw.decode("utf-8") or "null")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_json", "the body must be a JSON object")
        return data

    def message_id(raw: str) -> int:
        if not raw.isdigit() or len(raw) > 18:
            raise ApiError(404, "not_found", f"no message {raw!r}")
        return int(raw)

    # --- routes ------------------------------------------------------------------------------
    @app.post("/api/v1/messages")
    @handler
    def post_message(key: ApiKey) -> Any:
        data = body()
        allowed = {"to", "text", "send_at", "reference", "optimize"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ApiError(422, "unknown_field", f"unknown field {unknown[0]!r}", unknown[0])
        msg, created = ctx.messages.submit(key.id, Submission(
            to=data.get("to"), text=data.get("text"), reference=data.get("reference"),
            send_at=data.get("send_at"), optimize=data.get("optimize")))
        bottle.response.status = 201 if created else 200
        if created:
            bottle.response.set_header("Location", f"/api/v1/messages/{msg.id}")
        return message_json(msg)

    @app.get("/api/v1/messages/<mid>")
    @handler
    def get_message(key: ApiKey, mid: str) -> Any:
        msg = ctx.messages.get(key.id, message_id(mid))
        if msg is None:
            raise ApiError(404, "not_found", f"no message {mid}")
        return message_json(msg)

    @app.delete("/api/v1/messages/<mid>")
    @handler
    def delete_message(key: ApiKey, mid: str) -> Any:
        outcome = ctx.messages.cancel(key.id, message_id(mid))
        if outcome == "not_found":
            raise ApiError(404, "not_found", f"no message {mid}")
        if outcome is not None:
            raise ApiError(409, "not_cancellable",
                           f"message {mid} is {outcome} and can no longer be cancelled")
        return message_json(ctx.messages.get(key.id, int(mid)))  # type: ignore[arg-type]

    @app.get("/api/v1/messages")
    @handler
    def list_messages(key: ApiKey) -> Any:
        q = bottle.request.query
        flt = MessageFilter(
            status=_status_param(q.get("status")),
            to=_number_param(q.get("to")),
            since=_time_param(q.get("since"), "since"),
            until=_time_param(q.get("until"), "until"),
            before_id=_cursor_param(q.get("cursor")),
            limit=_limit_param(q.get("limit")),
        )
        items = ctx.messages.list(key.id, flt)
        cursor = str(items[-1].id) if len(items) == flt.limit else None
        return {"messages": [message_json(m) for m in items], "next_cursor": cursor}

    @app.get("/api/v1/key-check")
    @handler
    def key_check(key: ApiKey) -> Any:
        return {"ok": True, "key": key.name}

    @app.get("/api/v1/modems")
    @handler
    def modems(key: ApiKey) -> Any:
        return {"modems": [c.describe() for c in ctx.channels]}

    @app.get("/healthz")
    @lambda fn: handler(fn, auth=False)
    def healthz() -> Any:
        health = ctx.health()
        if not health.get("ok"):
            bottle.response.status = 503
        return health

    @app.get("/metrics")
    def metrics() -> Any:
        bottle.response.content_type = "text/plain; version=0.0.4; charset=utf-8"
        return ctx.metrics()

    return app


def install_error_handlers(app: bottle.Bottle) -> None:
    """404/405/500 as the JSON error object under /api and /healthz, plain text elsewhere."""

    def answer(status: int, code: str, message: str) -> str:
        bottle.response.status = status
        if bottle.request.path.startswith(("/api/", "/healthz")):
            bottle.response.content_type = "application/json"
            return json.dumps({"error": {"code": code, "message": message, "field": None}})
        bottle.response.content_type = "text/plain; charset=utf-8"
        return f"{status}: {message}\n"

    @app.error(404)
    def not_found(_err: Any) -> str:
        return answer(404, "not_found", f"no route {bottle.request.path}")

    @app.error(405)
    def not_allowed(_err: Any) -> str:
        return answer(405, "method_not_allowed",
                      f"{bottle.request.method} is not allowed on {bottle.request.path}")

    @app.error(500)
    def server_error(_err: Any) -> str:
        return answer(500, "internal_error", "internal error; see the daemon log")


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


def _time_param(value: str | None, name: str) -> Any:
    if not value:
        return None
    try:
        return from_iso(value)
    except ValueError:
        raise ApiError(422, "invalid_time", f"{name} must be ISO 8601 with a UTC offset",
                       name) from None


def _cursor_param(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise ApiError(422, "invalid_cursor", "cursor must be a value from next_cursor",
                       "cursor")
    return int(value)


def _limit_param(value: str | None) -> int:
    if not value:
        return 50
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIST:
        raise ApiError(422, "invalid_limit", f"limit must be 1 to {MAX_LIST}", "limit")
    return int(value)
