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
        described = [c.describe() for c in ctx.channels]
        return {"modems": [d for d in described if d.get("type") != "smpp"]}

    @r.route("GET", "/api/v1/channels")
    def channels(key: ApiKey) -> Any:
        # Every way to the network: the modems (as in /api/v1/modems) and the SMPP upstream.
        out = []
        for c in ctx.channels:
            d = c.describe()
            out.append({"type": "modem", **d} if "type" not in d else d)
        return {"channels": out}

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
