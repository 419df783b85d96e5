"""The dashboard's defences without a browser: CSRF with plain urllib, cookies, headers,
sessions, the login throttle and the signing secret."""

from __future__ import annotations

import http.cookiejar
import re
import stat
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from modemd.clock import utcnow
from tests.conftest import Running
from webui.security import SECRET_FILE, LoginThrottle, Sessions, load_or_create_secret

USER, PASSWORD = "empfang", "richtig-geheim-42"
NUMBER = "+491711234567"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


class Client:
    """A cookie-keeping HTTP client that does not follow redirects."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, method: str, path: str, form: dict | list | None = None,
                headers: dict | None = None) -> tuple[int, dict, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers=headers or {})
        try:
            with self.opener.open(req, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode(errors="replace")

    def token(self, path: str) -> str:
        status, _, body = self.request("GET", path)
        assert status == 200, (path, status)
        return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)  # type: ignore[union-attr]

    def login(self, password: str = PASSWORD) -> None:
        status, headers, _ = self.request("POST", "/login", {
            "csrf_token": self.token("/login"), "user": USER, "password": password,
            "next": "/messages"})
        assert status == 303 and headers["Location"] == "/messages"


@pytest.fixture
def box(start_daemon) -> Running:
    run = start_daemon(1)
    run.daemon.users.add(USER, PASSWORD, utcnow())
    return run


def _planned(box: Running, n: int) -> list[int]:
    later = (utcnow() + timedelta(days=1)).isoformat()
    return [box.api.send(NUMBER, f"Erinnerung {i}", send_at=later)["id"] for i in range(n)]


def test_state_changing_posts_need_the_sessions_csrf_token(box: Running):
    ids = _planned(box, 2)
    anonymous = Client(box.daemon.url)
    status, _, body = anonymous.request("POST", "/scheduled/remove", [("id", ids[0])])
    assert status == 403 and "Zugriff verweigert" in body
    status, _, _ = anonymous.request("POST", "/send", {"to": NUMBER, "text": "x"})
    assert status == 403

    staff = Client(box.daemon.url)
    staff.login()
    for token in (None, "", "forged", anonymous.token("/login")):  # another session's token
        form = [("id", ids[0])] + ([("csrf_token", token)] if token is not None else [])
        status, _, _ = staff.request("POST", "/scheduled/remove", form)
        assert status == 403, token
        status, _, _ = staff.request("POST", "/send", {"to": NUMBER, "text": "Hallo",
                                                      "csrf_token": token or ""})
        assert status == 403, token
    assert [box.api.message(i)["status"] for i in ids] == ["scheduled", "scheduled"]
    assert len(box.daemon.message_service.list(None, _all())) == 2   # nothing sent either

    # The right token works (so the refusals above were about the token).
    status, headers, _ = staff.request(
        "POST", "/scheduled/remove", [("id", ids[0]), ("csrf_token", staff.token("/scheduled"))])
    assert status == 303 and headers["Location"] == "/scheduled?removed=1&skipped=0"
    assert [box.api.message(i)["status"] for i in ids] == ["cancelled", "scheduled"]


def test_get_never_changes_state(box: Running):
    ids = _planned(box, 1)
    staff = Client(box.daemon.url)
    staff.login()
    for path in (f"/scheduled/remove?id={ids[0]}", f"/messages/{ids[0]}/cancel", "/logout"):
        status, _, _ = staff.request("GET", path)
        assert status == 405, path
    assert box.api.message(ids[0])["status"] == "scheduled"
    assert staff.request("GET", "/messages")[0] == 200   # still logged in


def test_a_form_post_without_a_session_cannot_log_in(box: Running):
    client = Client(box.daemon.url)
    status, _, _ = client.request("POST", "/login", {"user": USER, "password": PASSWORD})
    assert status == 403
    assert client.request("GET", "/messages")[0] == 303


def test_cookie_flags_and_security_headers(box: Running):
    client = Client(box.daemon.url)
    status, headers, body = client.request("GET", "/login")
    assert status == 200
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Secure" not in cookie  # plain http on the LAN; set when served over https
    assert "Max-Age=43200" in cookie
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "<script>" not in body and " style=" not in body and " on" not in body.replace(
        " one", "")
    status, headers, _ = client.request("GET", "/static/counter.js")
    assert status == 200 and headers["X-Content-Type-Options"] == "nosniff"
    assert client.request("GET", "/static/../app.py")[0] == 404


def test_logout_revokes_the_session_cookie(box: Running):
    staff = Client(box.daemon.url)
    staff.login()
    old = [c for c in staff.jar if c.name == "modemd_session"][0].value
    token = staff.token("/messages")
    status, headers, _ = staff.request("POST", "/logout", {"csrf_token": token})
    assert status == 303 and headers["Location"] == "/login?notice=out"
    replay = Client(box.daemon.url)
    status, headers, _ = replay.request("GET", "/messages",
                                        headers={"Cookie": f"modemd_session={old}"})
    assert status == 303 and headers["Location"].startswith("/login")


def test_the_analysis_route_needs_a_login_and_counts_like_the_api(box: Running):
    anonymous = Client(box.daemon.url)
    status, headers, _ = anonymous.request("POST", "/send/analyze", {
        "text": "Hallo", "csrf_token": anonymous.token("/login")})
    assert status == 303 and headers["Location"].startswith("/login")
    staff = Client(box.daemon.url)
    staff.login()
    token = staff.token("/send")
    status, _, body = staff.request("POST", "/send/analyze",
                                    {"text": "a" * 161, "csrf_token": token})
    assert status == 200 and '"segments": 2' in body and '"units": 161' in body
    status, _, body = staff.request("POST", "/send/analyze",
                                    {"text": "a" * 1000, "csrf_token": token})
    assert status == 422 and "text_too_long" in body


def test_sending_from_the_form_stops_when_the_webui_key_is_revoked(box: Running):
    staff = Client(box.daemon.url)
    staff.login()
    status, headers, _ = staff.request("POST", "/send", {
        "to": NUMBER, "text": "Hallo", "csrf_token": staff.token("/send")})
    assert status == 303 and headers["Location"].endswith("?notice=sent")
    assert box.daemon.keys.revoke("webui", utcnow())
    status, _, body = staff.request("POST", "/send", {
        "to": NUMBER, "text": "Noch eine", "csrf_token": staff.token("/send")})
    assert status == 403 and "abgeschaltet" in body
    assert len(box.daemon.message_service.list(None, _all())) == 1


def test_the_throttle_locks_after_five_failures_and_unlocks_after_a_minute():
    now = [1000.0]
    throttle = LoginThrottle(now=lambda: now[0])
    for _ in range(4):
        throttle.failed("10.0.0.5", "anna")
    assert throttle.locked_for("10.0.0.5", "anna") == 0
    throttle.failed("10.0.0.5", "anna")
    assert throttle.locked_for("10.0.0.5", "anna") == 60
    assert throttle.locked_for("10.0.0.9", "ANNA") == 60    # the name, from anywhere
    assert throttle.locked_for("10.0.0.5", "bernd") == 60   # the address, for any name
    assert throttle.locked_for("10.0.0.9", "bernd") == 0
    now[0] += 61
    assert throttle.locked_for("10.0.0.5", "anna") == 0
    for _ in range(4):
        throttle.failed("10.0.0.5", "anna")
    throttle.succeeded("10.0.0.5", "anna")
    throttle.failed("10.0.0.5", "anna")
    assert throttle.locked_for("10.0.0.5", "anna") == 0


def test_sessions_refuse_tampering_other_secrets_and_idle_ones():
    sessions = Sessions(b"k" * 64)
    s = sessions.login(sessions.new(), 7, "anna")
    cookie = sessions.dump(s)
    assert sessions.load(cookie) == s
    assert sessions.load(cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB")) is None
    assert Sessions(b"x" * 64).load(cookie) is None
    assert Sessions(b"k" * 64, idle_seconds=-1).load(cookie) is None
    token = sessions.csrf_token(s)
    assert sessions.check_csrf(s, token)
    assert not sessions.check_csrf(sessions.new(), token)
    assert not sessions.check_csrf(s, Sessions(b"x" * 64).csrf_token(s))
    sessions.revoke(s)
    assert sessions.load(cookie) is None


def test_the_secret_is_made_once_with_mode_0600(tmp_path: Path):
    first = load_or_create_secret(tmp_path)
    assert len(first) == 64
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600
    assert load_or_create_secret(tmp_path) == first


def _all():  # type: ignore[no-untyped-def]
    from modemd.store.messages import MessageFilter

    return MessageFilter(limit=100)


def test_message_list_filters_and_pages(box: Running):
    later = _planned(box, 52)
    box.api.wait_final(box.api.send("+491719999999", "Sofort")["id"])
    staff = Client(box.daemon.url)
    staff.login()

    def rows(path: str) -> tuple[list[int], str]:
        status, _, body = staff.request("GET", path)
        assert status == 200, path
        return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', body)], body

    ids, body = rows("/messages")
    assert len(ids) == 50 and ids == sorted(ids, reverse=True)
    older = re.search(r'href="(/messages\?cursor=\d+)" id="older"', body).group(1)  # type: ignore[union-attr]
    rest, body = rows(older.replace("&amp;", "&"))
    assert len(rest) == 3 and 'id="older"' not in body
    assert sorted(ids + rest) == sorted([*later, max(later) + 1])
    assert rows("/messages?status=sent")[0] == [max(later) + 1]
    assert rows("/messages?to=0171+9999999")[0] == [max(later) + 1]
    assert len(rows("/messages?status=scheduled&to=%2B491711234567")[0]) == 50
    today = utcnow().date()
    assert rows(f"/messages?from={today + timedelta(days=2)}")[0] == []
    assert len(rows(f"/messages?until={today + timedelta(days=1)}")[0]) == 50
    ids, body = rows("/messages?status=bogus")
    assert ids == [] and "Ungültiger Filter: Status" in body
    assert staff.request("GET", "/messages/99999")[0] == 404


def test_a_new_password_or_a_removed_user_ends_open_sessions(box: Running):
    client = Client(box.daemon.url)
    client.login()
    assert client.request("GET", "/messages")[0] == 200
    box.daemon.users.set_password(USER, "ein ganz anderes Passwort")
    status, headers, _ = client.request("GET", "/messages")
    assert status == 303 and headers["Location"].startswith("/login")

    client.login("ein ganz anderes Passwort")  # the new password works, then the removal
    assert client.request("GET", "/messages")[0] == 200
    assert box.daemon.users.remove(USER)
    status, headers, _ = client.request("GET", "/messages")
    assert status == 303 and headers["Location"].startswith("/login")
