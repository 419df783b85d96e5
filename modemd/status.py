"""Message statuses (DESIGN.md) with their German labels and the allowed moves between them."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    SCHEDULED = "scheduled"
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    BUFFERED = "buffered"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


LABELS_DE: dict[Status, str] = {
    Status.SCHEDULED: "geplant",
    Status.PENDING: "ausstehend",
    Status.SENDING: "noch kein Status",
    Status.SENT: "versandt",
    Status.BUFFERED: "gepuffert",
    Status.DELIVERED: "zugestellt",
    Status.UNDELIVERED: "nicht ausgeliefert",
    Status.FAILED: "fehlgeschlagen",
    Status.CANCELLED: "entfernt",
    Status.REJECTED: "abgelehnt",
}

LABELS_EN: dict[Status, str] = {s: s.value for s in Status}

# Statuses a message can still leave towards the network; cancelling is possible only here.
CANCELLABLE = frozenset({Status.SCHEDULED, Status.PENDING})
# Waiting in the queue for a channel.
QUEUED = frozenset({Status.SCHEDULED, Status.PENDING})
# Nothing will change any more (except the retention purge).
FINAL = frozenset({
    Status.DELIVERED, Status.UNDELIVERED, Status.FAILED, Status.CANCELLED, Status.REJECTED,
})


def label(status: str, lang: str = "de") -> str:
    """The user-facing label of a status in `lang` ("de" or "en")."""
    s = Status(status)
    return (LABELS_DE if lang == "de" else LABELS_EN)[s]
