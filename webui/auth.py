"""Login, logout and the language switch."""

from __future__ import annotations

import logging
import math

from webui.i18n import LANGS
from webui.web import Redirect, Request, Web, client_ip, local_path

log = logging.getLogger("modemd.webui")

MAX_NAME = 64
MAX_PASSWORD = 1024


def install(web: Web) -> None:
    """Register /login, /logout, /lang and the start page."""

    @web.page("GET", "/")
    def start(req: Request) -> str:
        raise Redirect("/messages")

    @web.page("GET", "/login", auth=False)
    def login_form(req: Request) -> str:
        if req.session.logged_in:
            raise Redirect(local_path(req.query("next"), "/messages"))
        notice = {"out": req.t("logged_out")}.get(req.query("notice"), "")
        return req.render("login.tpl", error="", notice=notice, name="",
                          next=local_path(req.query("next"), "/messages"))

    @web.page("POST", "/login", auth=False)
    def login(req: Request) -> str:
        name = req.form("user").strip()[:MAX_NAME]
        password = req.form("password")[:MAX_PASSWORD]
        target = local_path(req.form("next"), "/messages")
        ip = client_ip()
        wait = web.throttle.locked_for(ip, name)
        if wait > 0:
            log.warning("login refused for %r from %s: locked for %.0f s", name, ip, wait)
            return req.render("login.tpl", status=429, name=name, next=target, notice="",
                              error=req.t("login_locked", seconds=math.ceil(wait)))
        user = web.ctx.users.verify(name, password)  # always: same timing for any input
        if user is None:
            web.throttle.failed(ip, name)
            log.warning("failed login for %r from %s", name, ip)
            return req.render("login.tpl", status=401, name=name, next=target, notice="",
                              error=req.t("login_failed"))
        web.throttle.succeeded(ip, name)
        req.session = web.sessions.login(req.session, user.id, user.name,
                                         web.ctx.users.stamp(user.id))
        log.info("user %s logged in from %s", user.name, ip)
        raise Redirect(target)

    @web.page("POST", "/logout", auth=False)
    def logout(req: Request) -> str:
        if req.session.logged_in:
            log.info("user %s logged out", req.session.user)
        web.sessions.revoke(req.session)
        req.session = web.sessions.new(req.session.lang)
        raise Redirect("/login?notice=out")

    @web.page("POST", "/lang", auth=False)
    def set_language(req: Request) -> str:
        lang = req.form("lang")
        if lang in LANGS:
            req.session = web.sessions.with_lang(req.session, lang)
        raise Redirect(local_path(req.form("back"), "/messages"))
