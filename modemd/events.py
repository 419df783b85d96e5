"""Events services publish to each other: a message changed status, a message was received.

Publishers call `EventBus.publish` inside the transaction that made the change, so a
subscriber that queues follow-up work (an e-mail, a webhook call) commits together with the
change or not at all. Subscribers must therefore only write to the store and return quickly;
an exception in one is logged and never reaches the publisher.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger("modemd.events")


@dataclass(frozen=True)
class MessageStatusChanged:
    """An outbound message moved to `status` (sent, buffered, delivered, undelivered…)."""

    message_id: int
    status: str
    at: datetime
    detail: str | None = None


@dataclass(frozen=True)
class InboundReceived:
    """A received message was committed (`malformed`: kept raw, its PDU was unreadable)."""

    inbound_id: int
    at: datetime
    malformed: bool = False


Event = MessageStatusChanged | InboundReceived


class EventBus:
    """Synchronous publish/subscribe between services."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[Event], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, fn: Callable[[Event], None]) -> None:
        with self._lock:
            self._subscribers.append(fn)

    def publish(self, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for fn in subscribers:
            try:
                fn(event)
            except Exception:  # one subscriber's bug must not undo the publisher's work
                log.exception("event subscriber failed for %s", type(event).__name__)
