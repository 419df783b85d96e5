"""Read-only pages: Antworten (received SMS), Statistik (per month) and Modems."""

from __future__ import annotations

import re
from datetime import date

import bottle

from webui.i18n import money
from webui.web import NotFound, Request, Web

PAGE_SIZE = 50
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def install(web: Web) -> None:
    """Register /replies, /stats and /modems."""
    ctx = web.ctx

    @web.page("GET", "/replies")
    def replies(req: Request) -> str:
        if ctx.inbound is None:
            raise NotFound()
        cursor = req.query("cursor")
        before = int(cursor) if cursor.isdigit() and len(cursor) < 18 else None
        items = ctx.inbound.list(before_id=before, limit=PAGE_SIZE)
        answered = {}
        for item in items:
            if item.in_reply_to is not None and item.in_reply_to not in answered:
                answered[item.in_reply_to] = ctx.messages.get(None, item.in_reply_to)
        more = None
        if len(items) == PAGE_SIZE:
            more = "/replies?" + bottle.urlencode({"cursor": str(items[-1].id)})
        return req.render("replies.tpl", active="replies", items=items, answered=answered,
                          more=more)

    @web.page("GET", "/stats")
    def stats(req: Request) -> str:
        if ctx.accounting is None:
            raise NotFound()
        current = ctx.accounting.current_month()
        month = req.query("month") or current
        error = ""
        if not _MONTH.match(month):
            error, month = req.t("bad_month"), current
        data = ctx.accounting.stats(month)
        return req.render("stats.tpl", active="stats", data=data, month=month, error=error,
                          months=_recent_months(current, 24),
                          money=lambda v: money(v, req.lang))

    @web.page("GET", "/modems")
    def modems(req: Request) -> str:
        described = [c.describe() for c in ctx.channels]
        return req.render("modems.tpl", active="modems",
                          modems=[d for d in described if d.get("type") != "smpp"],
                          upstream=[d for d in described if d.get("type") == "smpp"])


def _recent_months(current: str, n: int) -> list[str]:
    """`current` and the n-1 months before it, newest first ("YYYY-MM")."""
    year, month = (int(x) for x in current.split("-"))
    out = []
    day = date(year, month, 1)
    for _ in range(n):
        out.append(day.strftime("%Y-%m"))
        day = date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)
    return out
