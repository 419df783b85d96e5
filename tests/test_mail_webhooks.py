"""E-mail to a real SMTP server (aiosmtpd) and webhooks to a real HTTP server, both started here."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import ssl
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from modemd.pdu import encode_deliver, encode_status_report
from tests.conftest import free_port, wait_until

NUMBER = "+4917612345678"


class Inbox:
    """aiosmtpd handler keeping every mail it accepted."""

    def __init__(self) -> None:
        self.mails: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.mails.append(email.message_from_bytes(envelope.content,
                                                   policy=email.policy.default))
        return "250 OK"


def smtp_server(port: int, inbox: Inbox, **kw) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kw)
    controller.start()
    return controller


def mail_config(port: int, **smtp) -> dict:
    return {"smtp": {"host": "127.0.0.1", "port": port, "security": "none",
                     "from": "SMS-Box <sms@praxis.example>", "retry_backoff": 0.2, **smtp},
            "forward": {"to": ["empfang@praxis.example"]}}


def test_reply_forwarded_by_mail_with_context_and_login(start_daemon):
    port = free_port()
    inbox = Inbox()

    def auth(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and data.login == b"box" and data.password == b"pw"
        return AuthResult(success=ok)

    controller = smtp_server(port, inbox, authenticator=auth, auth_require_tls=False)
    try:
        run = start_daemon(1, extra=mail_config(port, username="box", password="pw"))
        sent = run.api.wait_final(run.api.send(NUMBER, "Erinnerung: Dienstag 9:30 Uhr")["id"])
        run.modems[0].deliver_stored(encode_deliver(NUMBER, "Ja, ich komme 😀",
                                                    datetime(2026, 3, 14, tzinfo=UTC)))
        wait_until(lambda: inbox.mails)
        mail = inbox.mails[0]
        assert mail["Subject"] == f"SMS-Antwort von {NUMBER}"
        assert mail["To"] == "empfang@praxis.example"
        body = mail.get_content()
        assert NUMBER in body and "> Ja, ich komme 😀" in body
        assert f"SMS Nr. {sent['id']}" in body and "> Erinnerung: Dienstag 9:30 Uhr" in body
        assert " Uhr" in body  # local time in the practice's zone
        # A permanent failure report sends a failure notice.
        run.modems[0].deliver_status_report(encode_status_report(
            sent["parts"][0]["message_ref"], NUMBER, datetime.now(UTC), datetime.now(UTC), 0x43))
        wait_until(lambda: len(inbox.mails) == 2)
        notice = inbox.mails[1]
        assert notice["Subject"] == f"SMS nicht ausgeliefert: Nr. {sent['id']} an {NUMBER}"
        assert "not obtainable" in notice.get_content()
    finally:
        controller.stop()


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_over_verified_tls_with_login(start_daemon, tmp_path, security):
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    port = free_port()
    inbox = Inbox()
    logins = []

    def auth(server, session, envelope, mechanism, data):
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        logins.append((encrypted, data.login))
        return AuthResult(success=data.login == b"box" and data.password == b"pw")

    tls = ({"tls_context": server_ctx, "require_starttls": True} if security == "starttls"
           else {"ssl_context": server_ctx, "auth_require_tls": False})
    controller = smtp_server(port, inbox, authenticator=auth, **tls)
    try:
        run = start_daemon(1, extra=mail_config(
            port, security=security, username="box", password="pw",
            ca_file=str(tmp_path / "ca.pem")))
        run.modems[0].deliver_stored(encode_deliver(NUMBER, "Über TLS",
                                                    datetime(2026, 3, 14, tzinfo=UTC)))
        wait_until(lambda: inbox.mails)
        assert "> Über TLS" in inbox.mails[0].get_content()
        assert logins == [(True, b"box")]  # the password only ever travelled encrypted
    finally:
        controller.stop()


def test_mail_to_an_untrusted_certificate_is_not_sent(start_daemon, tmp_path):
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    port = free_port()
    inbox = Inbox()
    controller = smtp_server(port, inbox, tls_context=server_ctx, require_starttls=True)
    try:
        run = start_daemon(1, extra=mail_config(port, security="starttls"))
        run.modems[0].deliver_stored(encode_deliver(NUMBER, "geheim",
                                                    datetime(2026, 3, 14, tzinfo=UTC)))
        wait_until(lambda: any(r["attempts"] >= 1 for r in run.daemon.db.query(
            "SELECT attempts FROM outbox WHERE kind = 'mail'")))
        assert inbox.mails == []
        row = run.daemon.db.query("SELECT state, last_error FROM outbox WHERE kind = 'mail'")[0]
        assert row["state"] == "queued" and "CERTIFICATE_VERIFY_FAILED" in row["last_error"]
    finally:
        controller.stop()


def test_mail_server_down_first_then_up_nothing_lost_nothing_twice(start_daemon):
    port = free_port()
    run = start_daemon(1, extra=mail_config(port))
    for i in range(3):
        run.modems[0].deliver_stored(encode_deliver(NUMBER, f"Antwort {i}",
                                                    datetime(2026, 3, 14, 9, i, tzinfo=UTC)))
    wait_until(lambda: sum(i.attempts for i in run.daemon.outbox.list("mail")) >= 6)
    assert all(i.state == "queued" for i in run.daemon.outbox.list("mail"))
    inbox = Inbox()
    controller = smtp_server(port, inbox)
    try:
        wait_until(lambda: len(inbox.mails) == 3, timeout=20)
        time.sleep(1.0)  # retries keep running: nothing may arrive twice
        assert sorted(m.get_content().split("> ")[1].splitlines()[0] for m in inbox.mails) == [
            "Antwort 0", "Antwort 1", "Antwort 2"]
        assert len({m["Message-ID"] for m in inbox.mails}) == 3
        assert {i.state for i in run.daemon.outbox.list("mail")} == {"sent"}
    finally:
        controller.stop()


class Hook(BaseHTTPRequestHandler):
    calls: list[tuple[dict, bytes]] = []
    fail_first = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Hook.fail_first > 0:
            Hook.fail_first -= 1
            self.send_response(503)
        else:
            Hook.calls.append((dict(self.headers), body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_webhooks_signed_and_retried(start_daemon):
    Hook.calls, Hook.fail_first = [], 2
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/modemd"
        run = start_daemon(1, extra={"webhook": {"url": url, "secret": "geheim",
                                                 "retry_backoff": 0.1}})
        sent = run.api.wait_final(run.api.send(NUMBER, "Erinnerung")["id"])
        run.modems[0].deliver_stored(encode_deliver(NUMBER, "Ok", datetime(2026, 3, 14,
                                                                            tzinfo=UTC)))
        wait_until(lambda: len(Hook.calls) == 2)
        events = {}
        for headers, body in Hook.calls:
            expected = "sha256=" + hmac.new(b"geheim", body, hashlib.sha256).hexdigest()
            assert headers["X-Modemd-Signature"] == expected
            assert headers["X-Modemd-Timestamp"].isdigit()
            data = json.loads(body)
            events[data["event"]] = data
        assert events["message.status"]["message"]["id"] == sent["id"]
        assert events["message.status"]["message"]["status"] == "sent"
        assert events["inbound.received"]["inbound"]["text"] == "Ok"
        assert events["inbound.received"]["inbound"]["in_reply_to"] == sent["id"]
        assert all(i.state == "sent" for i in run.daemon.outbox.list("webhook"))
    finally:
        server.shutdown()
