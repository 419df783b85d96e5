"""Webhooks: status changes and received messages pushed to a URL as signed JSON.

Each event becomes one POST whose body is queued in the persistent outbox (in the same
transaction as the event) and retried with exponential backoff until the receiver answers
2xx (for three days at most). The receiver checks
`X-Modemd-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with webhook.secret>`;
the body carries the event time and a delivery id, so a replayed call is recognisable, and
`X-Modemd-Timestamp` tells when this attempt was made.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

from modemd.clock import Clock, to_iso
from modemd.config import WebhookConfig
from modemd.events import Event, InboundReceived, MessageStatusChanged
from modemd.outbox import OutboxWorker
from modemd.status import label
from modemd.store.inbound import InboundStore
from modemd.store.messages import MessageStore
from modemd.store.outbox import OutboxItem, OutboxStore

log = logging.getLogger("modemd.webhooks")

MAX_BACKOFF = 600.0
SIGNATURE_HEADER = "X-Modemd-Signature"
TIMESTAMP_HEADER = "X-Modemd-Timestamp"


def sign(secret: str, body: bytes) -> str:
    """The signature header value for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookService:
    """Queues webhook calls for events and owns the worker that makes them."""

    def __init__(self, outbox: OutboxStore, inbound: InboundStore, messages: MessageStore,
                 config: WebhookConfig, *, clock: Clock):
        self.inbound = inbound
        self.messages = messages
        self.config = config
        self.clock = clock
        self.enabled = bool(config.url)
        self.worker = OutboxWorker(outbox, "webhook", self._deliver, clock=clock,
                                   backoff=config.retry_backoff, max_backoff=MAX_BACKOFF)

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop()

    def on_event(self, event: Event) -> None:
        """Queue the call an event asks for (runs inside the publisher's transaction)."""
        if not self.enabled:
            return
        body: dict[str, Any] | None = None
        key = ""
        if isinstance(event, MessageStatusChanged) and "message.status" in self.config.events:
            m = self.messages.get(event.message_id)
            if m is not None:
                key = f"status:{m.id}:{event.status}"
                body = {"event": "message.status", "occurred_at": to_iso(event.at),
                        "message": {
                            "id": m.id, "to": m.to, "status": event.status,
                            "status_label": label(event.status), "reference": m.reference,
                            "segments": m.segments, "channel": m.channel,
                            "sent_at": to_iso(m.sent_at), "delivered_at": to_iso(m.delivered_at),
                            "error": ({"code": m.error_code, "text": m.error_text}
                                      if m.error_code else None),
                            "detail": event.detail}}
        elif isinstance(event, InboundReceived) and "inbound.received" in self.config.events:
            i = self.inbound.get(event.inbound_id)
            if i is not None:
                key = f"inbound:{i.id}"
                body = {"event": "inbound.received", "occurred_at": to_iso(event.at),
                        "inbound": {
                            "id": i.id, "from": i.sender, "text": i.text,
                            "received_at": to_iso(i.received_at), "modem": i.modem,
                            "complete": i.complete, "in_reply_to": i.in_reply_to,
                            "opt_out": i.opt_out, "error": i.error, "raw_pdu": i.raw_pdu}}
        if body is None:
            return
        body["delivery"] = key
        self.worker.queue(
            {"body": json.dumps(body, ensure_ascii=False, separators=(",", ":"))}, key)

    def _deliver(self, item: OutboxItem) -> None:
        data = item.payload["body"].encode("utf-8")
        event = json.loads(data)["event"]
        req = urllib.request.Request(self.config.url, data=data, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "modemd-webhook",
            "X-Modemd-Event": event,
            "X-Modemd-Delivery": str(item.id),
            TIMESTAMP_HEADER: str(int(time.time())),
            SIGNATURE_HEADER: sign(self.config.secret, data),
        })
        try:
            with urllib.request.urlopen(req, timeout=self.config.timeout) as resp:
                status = resp.status
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"HTTP {exc.code} from the webhook receiver") from None
        if not 200 <= status < 300:
            raise RuntimeError(f"HTTP {status} from the webhook receiver")
