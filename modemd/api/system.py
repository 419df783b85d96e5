"""Routes about the box itself: key check, modems, health, metrics."""

from __future__ import annotations

from typing import Any

import bottle

from modemd.api.base import Routes
from modemd.store.keys import ApiKey


def install(r: Routes) -> None:
    """Register the system routes (health and metrics answer without a key)."""
    ctx = r.ctx

    @r.route("GET", "/api/v1/key-check")
    def key_check(key: ApiKey) -> Any:
        return {"ok": True, "key": key.name}

    @r.route("GET", "/api/v1/modems")
    def modems(key: ApiKey) -> Any:
        return {"modems": [c.describe() for c in ctx.channels]}

    @r.route("GET", "/healthz", auth=False)
    def healthz() -> Any:
        health = ctx.health()
        if not health.get("ok"):
            bottle.response.status = 503
        return health

    @r.app.get("/metrics")
    def metrics() -> Any:
        bottle.response.content_type = "text/plain; version=0.0.4; charset=utf-8"
        return ctx.metrics()
