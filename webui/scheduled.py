"""Geplante SMS: the planned messages with checkboxes and "Auswahl entfernen"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import bottle

from modemd.errors import ValidationError
from modemd.reminders import MAX_REMOVE
from webui.web import NotFound, Redirect, Request, Web

PAGE_SIZE = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def install(web: Web) -> None:
    """Register /scheduled and /scheduled/remove."""
    ctx = web.ctx

    @web.page("GET", "/scheduled")
    def scheduled(req: Request) -> str:
        if ctx.reminders is None:
            raise NotFound()
        after = _cursor(req.query("cursor"))
        items = ctx.reminders.planned(None, since=None, until=None, after=after,
                                      limit=PAGE_SIZE)
        more = None
        if len(items) == PAGE_SIZE:
            last = items[-1].message
            ms = (last.due_at - _EPOCH) // timedelta(milliseconds=1)
            more = "/scheduled?" + bottle.urlencode({"cursor": f"{ms}.{last.id}"})
        notices, warnings = [], []
        removed, skipped = req.query("removed"), req.query("skipped")
        if removed.isdigit():
            notices.append(req.t("removed_notice", n=int(removed)))
        if skipped.isdigit() and int(skipped):
            warnings.append(req.t("not_removed_notice", n=int(skipped)))
        if req.query("none") == "1":
            warnings.append(req.t("nothing_selected"))
        keys = {k.id: k.name for k in ctx.keys.list()}
        return req.render("scheduled.tpl", active="scheduled", items=items, more=more,
                          notices=notices, warnings=warnings, keys=keys)

    @web.page("POST", "/scheduled/remove")
    def remove(req: Request) -> str:
        if ctx.reminders is None:
            raise NotFound()
        ids = [int(v) for v in req.form_list("id")[:MAX_REMOVE]
               if v.isdigit() and 0 < len(v) < 18]
        if not ids:
            raise Redirect("/scheduled?none=1")
        try:
            outcome = ctx.reminders.remove(None, ids)
        except ValidationError:
            raise Redirect("/scheduled?none=1") from None
        skipped = len(outcome.already_sent) + len(outcome.already_final) + len(
            outcome.not_found)
        raise Redirect("/scheduled?" + bottle.urlencode(
            {"removed": len(outcome.removed), "skipped": skipped}))


def _cursor(value: str) -> tuple[datetime, int] | None:
    ms, _, mid = value.partition(".")
    if not (ms.isdigit() and mid.isdigit() and len(ms) <= 15 and len(mid) <= 18):
        return None
    return _EPOCH + timedelta(milliseconds=int(ms)), int(mid)
