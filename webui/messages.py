"""Gesendete SMS (list with filters and paging, detail) and Neue SMS (form, live counter)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import bottle

from modemd.analysis import analyze, count_label, units_of
from modemd.errors import PhoneNumberError, RecipientBlocked, TextError, ValidationError
from modemd.messaging import Submission
from modemd.phone import normalize_number
from modemd.status import CANCELLABLE, Status
from modemd.store.messages import MessageFilter
from webui.i18n import error_text
from webui.web import NotFound, Redirect, Request, Web

PAGE_SIZE = 50
PREVIEW = 90


def install(web: Web) -> None:
    """Register /messages, /messages/<id>, /send and /send/analyze."""
    ctx = web.ctx

    def key_names() -> dict[int, str]:
        return {k.id: k.name for k in ctx.keys.list()}

    @web.page("GET", "/messages")
    def messages(req: Request) -> str:
        values = {n: req.query(n).strip()[:40] for n in ("status", "to", "from", "until")}
        cursor = req.query("cursor")
        problems: list[str] = []
        flt = MessageFilter(limit=PAGE_SIZE)
        try:
            flt = MessageFilter(
                status=_status(values["status"]),
                to=_number(values["to"], ctx.messages.default_region),
                since=_day_start(values["from"], web),
                until=_day_end(values["until"], web),
                before_id=int(cursor) if cursor.isdigit() and len(cursor) < 18 else None,
                limit=PAGE_SIZE)
        except ValueError as exc:
            problems.append(req.t("bad_filter", what=req.t(str(exc))))
        items = [] if problems else ctx.messages.list(None, flt)
        more = None
        if len(items) == PAGE_SIZE:
            more = "/messages?" + bottle.urlencode(
                {**{k: v for k, v in values.items() if v}, "cursor": str(items[-1].id)})
        return req.render("messages.tpl", active="messages", items=items, values=values,
                          statuses=[s.value for s in Status], problems=problems, more=more,
                          first=bool(cursor), keys=key_names(), preview=_preview)

    @web.page("GET", "/messages/<mid:int>")
    def message(req: Request, mid: int) -> str:
        msg = ctx.messages.get(None, mid)
        if msg is None:
            raise NotFound()
        notice = req.t("sent_notice", id=msg.id) if req.query("notice") == "sent" else ""
        return req.render(
            "message.tpl", active="messages", m=msg, notice=notice,
            keys=key_names(), count=count_label(units_of(msg.text, msg.encoding), msg.segments),
            cancellable=msg.status in CANCELLABLE)

    @web.page("POST", "/messages/<mid:int>/cancel")
    def cancel(req: Request, mid: int) -> str:
        outcome = ctx.messages.cancel(None, mid)
        if outcome == "not_found":
            raise NotFound()
        raise Redirect(f"/messages/{mid}")

    @web.page("GET", "/send")
    def send_form(req: Request) -> str:
        return _form(req, web, {"to": "", "text": "", "send_at": ""}, "")

    @web.page("POST", "/send")
    def send(req: Request) -> str:
        values = {"to": req.form("to").strip(), "text": req.form("text"),
                  "send_at": req.form("send_at").strip()}
        key = web.webui_key()
        if key.revoked:
            return _form(req, web, values, req.t("webui_key_revoked"), 403)
        try:
            send_at = _local_time(values["send_at"], web)
            msg, _ = ctx.messages.submit(key.id, Submission(
                to=values["to"], text=values["text"], send_at=send_at))
        except ValidationError as exc:
            return _form(req, web, values, error_text(exc.code, str(exc), req.lang), 422)
        except RecipientBlocked:
            return _form(req, web, values, error_text("opted_out", "", req.lang), 403)
        if msg.status == "rejected":
            return _form(req, web, values,
                         error_text(msg.error_code or "", msg.error_text or "", req.lang), 429)
        raise Redirect(f"/messages/{msg.id}?notice=sent")

    @web.page("POST", "/send/analyze")
    def analyze_text(req: Request) -> str:
        bottle.response.content_type = "application/json"
        try:
            result = analyze(req.form("text"), national=ctx.messages.national,
                             max_characters=ctx.messages.max_length)
        except TextError as exc:
            bottle.response.status = 422 if exc.code != "empty_text" else 200
            if exc.code == "empty_text":
                return json.dumps({"characters": 0, "units": 0, "segments": 0,
                                   "encoding": "gsm7", "costly": [], "empty": True})
            return json.dumps({"error": {"code": exc.code, "message": str(exc),
                                         "field": "text"}})
        return json.dumps(result.to_json(), ensure_ascii=False)


def _form(req: Request, web: Web, values: dict[str, str], error: str, status: int = 200) -> str:
    return req.render("send.tpl", active="send", values=values, error=error, status=status,
                      tz=web.ctx.timezone, max_length=web.ctx.messages.max_length)


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW else flat[:PREVIEW - 1] + "…"


def _status(value: str) -> str | None:
    if not value:
        return None
    try:
        return Status(value).value
    except ValueError:
        raise ValueError("status") from None


def _number(value: str, region: str) -> str | None:
    if not value:
        return None
    try:
        return normalize_number(value, region)
    except PhoneNumberError:
        raise ValueError("number") from None


def _day(value: str, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(what) from None


def _day_start(value: str, web: Web) -> datetime | None:
    day = _day(value, "from_date")
    return None if day is None else datetime.combine(day, time(), web.tz)


def _day_end(value: str, web: Web) -> datetime | None:
    day = _day(value, "until_date")
    return None if day is None else datetime.combine(day + timedelta(days=1), time(), web.tz)


def _local_time(value: str, web: Web) -> str | None:
    """A datetime-local field ("2026-03-01T09:30") in the practice's zone, as ISO with offset."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError("invalid_time", "send_at is not a time", "send_at") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=web.tz)
    if moment < web.ctx.clock.now() - timedelta(minutes=1):
        raise ValidationError("in_the_past", "send_at is in the past", "send_at")
    return moment.isoformat()
