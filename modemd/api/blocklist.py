"""Routes for the opt-out block list."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import bottle

from modemd.api.base import ApiError, Routes, json_body, reject_unknown
from modemd.clock import to_iso
from modemd.store.blocklist import BlockedNumber
from modemd.store.keys import ApiKey


def entry_json(e: BlockedNumber) -> dict[str, Any]:
    return {"number": e.number, "added_at": to_iso(e.added_at), "source": e.source,
            "inbound_id": e.inbound_id}


def install(r: Routes) -> None:
    """Register GET/POST /api/v1/blocklist and DELETE /api/v1/blocklist/{number}."""
    ctx = r.ctx

    def service():  # type: ignore[no-untyped-def]
        if ctx.optout is None:
            raise ApiError(503, "not_available", "the block list is not set up")
        return ctx.optout

    @r.route("GET", "/api/v1/blocklist")
    def list_blocked(key: ApiKey) -> Any:
        return {"blocklist": [entry_json(e) for e in service().list()], "next_cursor": None}

    @r.route("POST", "/api/v1/blocklist")
    def add_blocked(key: ApiKey) -> Any:
        data = json_body()
        reject_unknown(data, {"number"})
        entry, created = service().block(data.get("number"), "api")
        bottle.response.status = 201 if created else 200
        return entry_json(entry)

    @r.route("DELETE", "/api/v1/blocklist/<number>")
    def remove_blocked(key: ApiKey, number: str) -> Any:
        raw = unquote(number)
        if not service().unblock(raw):
            raise ApiError(404, "not_found", f"{raw} is not on the block list", "number")
        return {"ok": True, "number": raw}
