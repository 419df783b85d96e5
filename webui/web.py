"""What every dashboard page shares: the context, sessions, CSRF, security headers, rendering.

Handlers are registered with `Web.page(method, path)`; they get a `Request` (session,
language, translator, time formatter, CSRF token) and return rendered HTML or raise
`Redirect`. Every POST is checked for its CSRF token before the handler runs, and every page
except the login page needs a logged-in session.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import bottle

from modemd.accounting import Accounting
from modemd.channels.base import Channel
from modemd.clock import Clock
from modemd.inbound import InboundService
from modemd.messaging import MessageService
from modemd.reminders import ReminderService
from modemd.store.keys import ApiKey, KeyStore
from modemd.store.users import UserStore
from webui.i18n import LANGS, status_label, time_formatter, translator
from webui.security import SESSION_COOKIE, LoginThrottle, Session, Sessions

log = logging.getLogger("modemd.webui")

HERE = Path(__file__).resolve().parent
TEMPLATES = str(HERE / "templates")
STATIC = HERE / "static"
WEBUI_KEY = "webui"   # the API key that owns messages sent from the dashboard
MAX_FORM = 64 * 1024

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass
class WebContext:
    """What the dashboard may call (built by the daemon)."""

    users: UserStore
    keys: KeyStore
    messages: MessageService
    clock: Clock
    secret: bytes
    timezone: str = "Europe/Berlin"
    channels: Sequence[Channel] = ()
    reminders: ReminderService | None = None
    inbound: InboundService | None = None
    accounting: Accounting | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Redirect(Exception):
    """Answer 303 See Other to a local path."""

    def __init__(self, location: str):
        super().__init__(location)
        self.location = location


class Forbidden(Exception):
    """Answer 403 with the forbidden page."""


class NotFound(Exception):
    """Answer 404 with a small page."""


@dataclass
class Request:
    """One page request as the handlers see it."""

    session: Session
    lang: str
    csrf: str
    web: Web

    @property
    def t(self) -> Callable[..., str]:
        return translator(self.lang)

    def form(self, name: str, default: str = "") -> str:
        """A form field, decoded as UTF-8."""
        value = bottle.request.forms.getunicode(name)
        return default if value is None else value

    def form_list(self, name: str) -> list[str]:
        return [v.encode("latin1").decode("utf-8", "replace")
                for v in bottle.request.forms.getall(name)]

    def query(self, name: str) -> str:
        value = bottle.request.query.getunicode(name)
        return "" if value is None else value

    def render(self, template: str, *, active: str = "", status: int = 200,
               **values: Any) -> str:
        """A template with the shared values (every `{{...}}` in it is HTML-escaped)."""
        bottle.response.status = status
        bottle.response.content_type = "text/html; charset=utf-8"
        return bottle.template(
            template, template_lookup=[TEMPLATES], t=self.t, lang=self.lang,
            fmt=time_formatter(self.web.tz, self.lang),
            label=lambda s: status_label(s, self.lang), csrf=self.csrf,
            user=self.session.user, active=active, path=bottle.request.path, **values)


def local_path(value: str | None, default: str = "/") -> str:
    """`value` if it is a path on this server (no scheme, no //host), else `default`."""
    if (not value or not value.startswith("/") or value.startswith("//")
            or "\\" in value or any(ord(c) < 32 for c in value)):
        return default
    return value


class Web:
    """The dashboard app with its session handling; features add pages through `page`."""

    def __init__(self, ctx: WebContext, *, throttle: LoginThrottle | None = None):
        self.ctx = ctx
        self.app = bottle.Bottle()
        self.sessions = Sessions(ctx.secret)
        self.throttle = throttle or LoginThrottle()
        self.tz = ZoneInfo(ctx.timezone)

    def webui_key(self) -> ApiKey:
        """The "webui" API key that owns messages sent here (made on first use; read each
        time, so revoking it with `modemd key revoke webui` stops sending at once)."""
        return self.ctx.keys.ensure(WEBUI_KEY, self.ctx.clock.now())

    def page(self, method: str, path: str, *, auth: bool = True
             ) -> Callable[[Callable[..., str]], Callable[..., str]]:
        """Register `fn(req, **url_args) -> html` for METHOD PATH."""

        def decorate(fn: Callable[..., str]) -> Callable[..., str]:
            def wrapped(**kwargs: Any) -> Any:
                return self._handle(fn, auth, kwargs)

            self.app.route(path, method, wrapped)
            return fn

        return decorate

    def _handle(self, fn: Callable[..., str], auth: bool, kwargs: dict[str, Any]) -> Any:
        for name, value in SECURITY_HEADERS.items():
            bottle.response.set_header(name, value)
        stored = self.sessions.load(bottle.request.get_cookie(SESSION_COOKIE))
        if stored is not None and stored.logged_in and not self._still_valid(stored):
            # The password changed or the user was removed (by `modemd user …`): the
            # session keeps its id (its CSRF tokens stay valid) but is logged out.
            stored = replace(stored, uid=None, user=None, stamp=None)
        session = stored or self.sessions.new()
        asked = bottle.request.query.get("lang")
        lang = asked if asked in LANGS else session.lang
        req = Request(session, lang, self.sessions.csrf_token(session), self)
        try:
            if bottle.request.method == "POST":
                if bottle.request.content_length > MAX_FORM:
                    return bottle.HTTPResponse("413: the form is too large\n", 413)
                token = bottle.request.forms.get("csrf_token") or \
                    bottle.request.get_header("X-CSRF-Token")
                if stored is None or not self.sessions.check_csrf(stored, token):
                    log.warning("refused %s %s: missing or wrong CSRF token",
                                bottle.request.method, bottle.request.path)
                    raise Forbidden()
            if auth and not session.logged_in:
                target = bottle.request.fullpath if bottle.request.method == "GET" else "/"
                params = {"next": target, **({"lang": asked} if asked in LANGS else {})}
                raise Redirect("/login?" + bottle.urlencode(params))
            body = fn(req, **kwargs)
        except Redirect as r:
            self._set_cookie(req.session)
            res = bottle.response.copy(cls=bottle.HTTPResponse)
            res.status = 303
            res.body = ""
            res.set_header("Location", local_path(r.location))
            return res
        except Forbidden:
            body = req.render("forbidden.tpl", status=403)
        except NotFound:
            body = req.render("notfound.tpl", status=404)
        self._set_cookie(req.session)
        return body

    def _still_valid(self, session: Session) -> bool:
        assert session.uid is not None
        current = self.ctx.users.stamp(session.uid)
        return current is not None and session.stamp is not None and hmac.compare_digest(
            current, session.stamp)

    def _set_cookie(self, session: Session | None) -> None:
        if session is None:
            bottle.response.delete_cookie(SESSION_COOKIE, path="/")
            return
        bottle.response.set_cookie(
            SESSION_COOKIE, self.sessions.dump(session), path="/", httponly=True,
            samesite="strict", secure=bottle.request.environ.get("wsgi.url_scheme") == "https",
            max_age=self.sessions.idle_seconds)


def client_ip() -> str:
    """The peer's address (never a forwarded header a client could invent)."""
    return str(bottle.request.environ.get("REMOTE_ADDR") or "?")
