"""E-mail to the practice: every received SMS forwarded, failures reported, via an outbox.

Mails are rendered when their event happens (`modemd.mailtexts`, German) and queued in the
persistent outbox in the same transaction as the event, then sent by one worker over SMTP
(STARTTLS, TLS or plain, with an optional login). If the mail server is down, the worker
retries with exponential backoff (from `smtp.retry_backoff`, up to 10 minutes) for three
days: every mail arrives once the server is back. A mail is marked sent right after the
server accepted it; each carries a stable Message-ID so a server can spot a duplicate should
the daemon die between the two.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from modemd.clock import Clock
from modemd.config import ForwardConfig, SmtpConfig
from modemd.events import Event, InboundReceived, MessageStatusChanged
from modemd.mailtexts import failure_mail, inbound_mail
from modemd.outbox import OutboxWorker
from modemd.status import Status
from modemd.store.inbound import InboundStore
from modemd.store.messages import MessageStore
from modemd.store.outbox import OutboxItem, OutboxStore

log = logging.getLogger("modemd.mailer")

MAX_BACKOFF = 600.0
_FAILURES = (Status.FAILED, Status.UNDELIVERED)


def send_mail(smtp: SmtpConfig, to: list[str], subject: str, body: str,
              message_id: str) -> None:
    """Deliver one mail over SMTP as configured; raises on any failure."""
    msg = EmailMessage()
    msg["From"] = smtp.from_
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    # Certificates are always verified; an in-house server with its own CA is trusted
    # through smtp.ca_file, never by switching verification off.
    context = ssl.create_default_context(cafile=smtp.ca_file or None)
    client: smtplib.SMTP
    if smtp.security == "tls":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(msg)


class Mailer:
    """Queues mails for events and owns the worker that sends them."""

    def __init__(self, outbox: OutboxStore, inbound: InboundStore, messages: MessageStore,
                 smtp: SmtpConfig, forward: ForwardConfig, *, clock: Clock, timezone: str):
        self.inbound = inbound
        self.messages = messages
        self.smtp = smtp
        self.forward = forward
        self.clock = clock
        self.timezone = timezone
        self.enabled = bool(smtp.host and forward.to)
        self.worker = OutboxWorker(outbox, "mail", self._deliver, clock=clock,
                                   backoff=smtp.retry_backoff, max_backoff=MAX_BACKOFF)

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop()

    def on_event(self, event: Event) -> None:
        """Queue the mail an event asks for (runs inside the publisher's transaction)."""
        if not self.enabled:
            return
        if isinstance(event, InboundReceived):
            msg = self.inbound.get(event.inbound_id)
            if msg is None:
                return
            answered = self.messages.get(msg.in_reply_to) if msg.in_reply_to else None
            self._queue(inbound_mail(msg, answered, self.timezone), f"inbound:{msg.id}")
        elif isinstance(event, MessageStatusChanged):
            if not self.forward.notify_failures or event.status not in _FAILURES:
                return
            m = self.messages.get(event.message_id)
            if m is not None:
                self._queue(failure_mail(m, self.timezone), f"failure:{m.id}")

    def _queue(self, mail: dict[str, str], key: str) -> None:
        self.worker.queue({"to": list(self.forward.to), **mail}, key)

    def _deliver(self, item: OutboxItem) -> None:
        p = item.payload
        domain = self.smtp.from_.rsplit("@", 1)[-1].strip(" >") or "modemd"
        stamp = item.created_at.strftime("%Y%m%d%H%M%S")
        send_mail(self.smtp, p["to"], p["subject"], p["body"],
                  f"<modemd.{item.id}.{stamp}@{domain}>")
