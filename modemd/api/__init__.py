"""The LAN HTTP API (`/api/v1`): thin handlers that validate, call one service, answer JSON.

Each module registers the routes of one feature; `create_api` lists them.
"""

from __future__ import annotations

import bottle

from modemd.api import (
    analyze,
    batch,
    blocklist,
    inbound,
    messages,
    reminders,
    stats,
    system,
    templates,
)
from modemd.api.base import ApiContext, ApiError, Routes, install_error_handlers
from modemd.api.messages import message_json

__all__ = ["ApiContext", "ApiError", "create_api", "install_error_handlers", "message_json"]

FEATURES = [messages, system, analyze, templates, stats, inbound, blocklist, reminders, batch]


def create_api(ctx: ApiContext) -> bottle.Bottle:
    """The API as a Bottle app; merge it into the root app (routes carry their full paths)."""
    app = bottle.Bottle(catchall=True)
    routes = Routes(app, ctx)
    for feature in FEATURES:
        feature.install(routes)
    return app
