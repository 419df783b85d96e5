"""The web dashboard. For now a start page without patient data; login, the message
overview and settings arrive with the dashboard issue (see README, "Not built yet")."""

from __future__ import annotations

import html

import bottle

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>modemd</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto;">
<h1>modemd</h1>
<p>{lead}</p>
<p>{api}: <code>/api/v1</code> &middot; <a href="/healthz">/healthz</a></p>
</body></html>"""

_TEXTS = {
    "de": ("Die SMS-Box läuft. Das Dashboard mit Anmeldung folgt in einer späteren Version.",
           "Schnittstelle für die Praxissoftware"),
    "en": ("The SMS box is running. The dashboard with login follows in a later version.",
           "API for the practice software"),
}


def create_webui() -> bottle.Bottle:
    """The dashboard app; mounted at `/` by the daemon."""
    app = bottle.Bottle()

    @app.get("/")
    def index() -> str:
        lang = "en" if bottle.request.query.get("lang") == "en" else "de"
        lead, api = _TEXTS[lang]
        bottle.response.set_header("Content-Security-Policy", "default-src 'self'")
        bottle.response.set_header("X-Frame-Options", "DENY")
        bottle.response.set_header("X-Content-Type-Options", "nosniff")
        return _PAGE.format(lang=lang, lead=html.escape(lead), api=html.escape(api))

    return app
