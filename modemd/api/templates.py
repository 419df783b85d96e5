"""Routes for message templates: list, read, create, replace, delete."""

from __future__ import annotations

from typing import Any

import bottle

from modemd.api.base import ApiError, Routes, cursor_param, json_body, limit_param, reject_unknown
from modemd.clock import to_iso
from modemd.store.keys import ApiKey
from modemd.store.templates import NameTaken, Template
from modemd.templating import PLACEHOLDERS

_FIELDS = {"name", "text", "description"}


def install(r: Routes) -> None:
    """Register the template routes."""
    ctx = r.ctx

    def as_json(t: Template) -> dict[str, Any]:
        c = ctx.templates.counted(t)
        a = c.analysis
        return {
            "id": t.id,
            "name": t.name,
            "description": t.description,
            "text": t.text,
            "placeholders": list(c.placeholders),
            "sample_text": c.sample_text,
            "sample": None if a is None else {
                "encoding": a.encoding, "characters": a.characters, "units": a.units,
                "segments": a.segments, "count": a.to_json()["count"],
            },
            "created_at": to_iso(t.created_at),
            "updated_at": to_iso(t.updated_at),
        }

    def template_id(raw: str) -> int:
        if not raw.isdigit() or len(raw) > 18:
            raise ApiError(404, "not_found", f"no template {raw!r}")
        return int(raw)

    @r.route("GET", "/api/v1/templates")
    def list_templates(key: ApiKey) -> Any:
        q = bottle.request.query
        limit = limit_param(q.get("limit"), 500)
        items = ctx.templates.list(cursor_param(q.get("cursor")), limit)
        cursor = str(items[-1].id) if len(items) == limit else None
        return {"templates": [as_json(t) for t in items], "next_cursor": cursor,
                "placeholders": PLACEHOLDERS}

    @r.route("GET", "/api/v1/templates/<tid>")
    def get_template(key: ApiKey, tid: str) -> Any:
        t = ctx.templates.get(template_id(tid))
        if t is None:
            raise ApiError(404, "not_found", f"no template {tid}")
        return as_json(t)

    @r.route("POST", "/api/v1/templates")
    def post_template(key: ApiKey) -> Any:
        data = json_body()
        reject_unknown(data, _FIELDS)
        try:
            t = ctx.templates.create(data)
        except NameTaken:
            raise ApiError(409, "name_taken", f"a template named {data['name']!r} exists "
                           "already", "name") from None
        bottle.response.status = 201
        bottle.response.set_header("Location", f"/api/v1/templates/{t.id}")
        return as_json(t)

    @r.route("PUT", "/api/v1/templates/<tid>")
    def put_template(key: ApiKey, tid: str) -> Any:
        number = template_id(tid)
        data = json_body()
        reject_unknown(data, _FIELDS)
        if ctx.templates.get(number) is None:
            raise ApiError(404, "not_found", f"no template {tid}")
        try:
            t = ctx.templates.update(number, data)
        except NameTaken:
            raise ApiError(409, "name_taken", f"a template named {data['name']!r} exists "
                           "already", "name") from None
        if t is None:
            raise ApiError(404, "not_found", f"no template {tid}")
        return as_json(t)

    @r.route("DELETE", "/api/v1/templates/<tid>")
    def delete_template(key: ApiKey, tid: str) -> Any:
        t = ctx.templates.delete(template_id(tid))
        if t is None:
            raise ApiError(404, "not_found", f"no template {tid}")
        return as_json(t)
