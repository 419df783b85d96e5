"""What every API route shares: the error object, key authentication, JSON in and out."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import bottle

from modemd.accounting import Accounting
from modemd.channels.base import Channel
from modemd.clock import from_iso
from modemd.errors import ValidationError
from modemd.inbound import InboundService
from modemd.messaging import MessageService
from modemd.optout import OptOutService
from modemd.reminders import ReminderService
from modemd.reports import ReportService
from modemd.store.keys import ApiKey, KeyStore
from modemd.templates import TemplateService

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
    extra: dict[str, Any] = field(default_factory=dict)
    inbound: InboundService | None = None
    reports: ReportService | None = None
    optout: OptOutService | None = None
    templates: TemplateService | None = None
    accounting: Accounting | None = None
    reminders: ReminderService | None = None


class ApiError(Exception):
    """An answer other than 2xx, rendered as the error object."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        self.status, self.code, self.message, self.field = status, code, message, field
        super().__init__(message)


def error_body(status: int, code: str, message: str, field: str | None = None) -> str:
    """Set the status and return the JSON error object."""
    bottle.response.status = status
    bottle.response.content_type = "application/json"
    return json.dumps({"error": {"code": code, "message": message, "field": field}})


class Routes:
    """Decorators binding handlers to a Bottle app with auth, JSON and error mapping."""

    def __init__(self, app: bottle.Bottle, ctx: ApiContext):
        self.app = app
        self.ctx = ctx

    def route(self, method: str, path: str, *, auth: bool = True) -> Callable[..., Any]:
        """Register `fn(key, **url_args)` (or `fn(**url_args)` when auth=False)."""

        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            def wrapped(*args: Any, **kwargs: Any) -> Any:
                bottle.response.set_header("Cache-Control", "no-store")
                try:
                    if auth:
                        result = fn(self.authenticate(), *args, **kwargs)
                    else:
                        result = fn(*args, **kwargs)
                except ApiError as exc:
                    return error_body(exc.status, exc.code, exc.message, exc.field)
                except ValidationError as exc:
                    return error_body(422, exc.code, str(exc), exc.field)
                except Exception:
                    log.exception("API %s %s failed", bottle.request.method,
                                  bottle.request.path)
                    return error_body(500, "internal_error", "internal error; see the daemon log")
                if isinstance(result, str):
                    return result
                bottle.response.content_type = "application/json"
                return json.dumps(result, ensure_ascii=False)

            self.app.route(path, method, wrapped)
            return fn

        return decorate

    def authenticate(self) -> ApiKey:
        """The key of this request, from `Authorization: Bearer` or `X-API-Key`; else 401."""
        header = bottle.request.get_header("Authorization", "")
        plain = header[7:].strip() if header[:7].lower() == "bearer " else ""
        plain = plain or bottle.request.get_header("X-API-Key", "").strip()
        if not plain:
            raise ApiError(401, "unauthorized", "an API key is required "
                           "(Authorization: Bearer <key> or X-API-Key)")
        key = self.ctx.keys.authenticate(plain)
        if key is None:
            raise ApiError(401, "unauthorized", "the API key is unknown or revoked")
        return key


def json_body(limit: int = MAX_BODY) -> dict[str, Any]:
    """The request body as a JSON object; 400/413 with the error object otherwise."""
    length = bottle.request.content_length
    if length > limit:
        raise ApiError(413, "body_too_large", f"the request body exceeds {limit} bytes")
    raw = _read_body(limit + 1)
    if len(raw) > limit:
        raise ApiError(413, "body_too_large", f"the request body exceeds {limit} bytes")
    try:
        data = json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    return data


def _read_body(most: int) -> bytes:
    """At most `most` bytes of the body. Bottle spools bodies over its MEMFILE_MAX to a
    temporary file, so a large allowed body (a batch) is read from the WSGI input directly."""
    if bottle.request.content_length <= bottle.BaseRequest.MEMFILE_MAX:
        return bottle.request.body.read(most)
    return bottle.request.environ["wsgi.input"].read(most)


def reject_unknown(data: dict[str, Any], allowed: set[str] | frozenset[str]) -> None:
    """422 naming the first field the route does not know (a typo must not pass silently)."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ApiError(422, "unknown_field", f"unknown field {unknown[0]!r}", unknown[0])


def time_param(value: str | None, name: str) -> Any:
    """An ISO 8601 query parameter with offset, or None."""
    if not value:
        return None
    try:
        return from_iso(value)
    except ValueError:
        raise ApiError(422, "invalid_time", f"{name} must be ISO 8601 with a UTC offset",
                       name) from None


def cursor_param(value: str | None) -> int | None:
    """A keyset cursor from `next_cursor`."""
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise ApiError(422, "invalid_cursor", "cursor must be a value from next_cursor",
                       "cursor")
    return int(value)


def limit_param(value: str | None, maximum: int = 500, default: int = 50) -> int:
    """A page size between 1 and `maximum`."""
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise ApiError(422, "invalid_limit", f"limit must be 1 to {maximum}", "limit")
    return int(value)


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
