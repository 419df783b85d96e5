"""Every API route checks its key: enumerated from the app, so a new route cannot forget it."""

from __future__ import annotations

import re

PUBLIC = {"/healthz", "/metrics"}


def test_every_api_route_refuses_a_missing_or_wrong_key(start_daemon):
    run = start_daemon(0)
    api_routes = [r for r in run.daemon.app.routes if r.rule.startswith("/api/")]
    assert len(api_routes) >= 25
    for route in api_routes:
        path = re.sub(r"<[^>]+>", "1", route.rule)
        for key in ("", "mdk_not-a-key"):
            status, body = run.api.call(route.method, path, {} if route.method != "GET"
                                        else None, key=key)
            assert status == 401, (route.method, route.rule, key, status)
            assert body["error"]["code"] == "unauthorized"


def test_public_routes_are_only_health_and_metrics(start_daemon):
    run = start_daemon(0)
    for path in PUBLIC:
        status, _ = run.api.call("GET", path, key="")
        assert status == 200
