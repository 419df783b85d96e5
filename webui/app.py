"""The web dashboard for the reception desk: login, sent and planned SMS, a send form with a
live counter, replies, statistics and modems. German by default, English on request.

Pages are thin: they call the services the API uses (messaging, reminders, inbound,
accounting) and render Bottle SimpleTemplates, which HTML-escape every `{{value}}`.
"""

from __future__ import annotations

import bottle

from webui import auth, info, messages, scheduled
from webui.security import LoginThrottle
from webui.web import SECURITY_HEADERS, STATIC, Web, WebContext

__all__ = ["WebContext", "create_webui"]

FEATURES = [auth, messages, scheduled, info]


def create_webui(ctx: WebContext, *, throttle: LoginThrottle | None = None) -> bottle.Bottle:
    """The dashboard app; the daemon merges it into the root app (routes carry full paths)."""
    web = Web(ctx, throttle=throttle)
    for feature in FEATURES:
        feature.install(web)

    @web.app.get("/static/<name:re:[a-z0-9_-]+\\.(?:css|js|svg)>")
    def static(name: str) -> bottle.HTTPResponse:
        res = bottle.static_file(name, root=str(STATIC))
        for header, value in SECURITY_HEADERS.items():
            if header != "Cache-Control":
                res.set_header(header, value)
        res.set_header("Cache-Control", "no-cache")
        return res

    return web.app
