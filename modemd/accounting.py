"""Monthly limits and statistics: the service behind the 429 and `GET /api/v1/stats`.

Months are calendar months in the configured time zone (`daemon.timezone`). A message counts
in the month of its send time (`send_at` if scheduled, else when it was accepted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from modemd.billing import CostModel, month_of, month_window
from modemd.clock import Clock, to_iso
from modemd.status import Status
from modemd.store.billing import BillingStore, Limits, StatusCount
from modemd.store.keys import KeyStore
from modemd.store.messages import Message, NewMessage

_QUEUED = {Status.SCHEDULED.value, Status.PENDING.value, Status.SENDING.value}


@dataclass
class _Tally:
    messages: int = 0
    sent: int = 0
    delivered: int = 0
    undelivered: int = 0
    failed: int = 0
    rejected: int = 0
    cancelled: int = 0
    queued: int = 0
    segments: int = 0
    reserved: int = 0

    def add(self, c: StatusCount) -> None:
        self.messages += c.messages
        self.sent += c.billed_messages
        self.segments += c.billed_segments
        self.reserved += c.reserved_segments
        if c.status in ("delivered", "undelivered", "failed", "rejected", "cancelled"):
            setattr(self, c.status, getattr(self, c.status) + c.messages)
        elif c.status in _QUEUED:
            self.queued += c.messages


class Accounting:
    """Checks the monthly limits when a message is accepted, and counts a month."""

    def __init__(
        self, billing: BillingStore, keys: KeyStore, *, timezone: str, monthly_limit: int,
        cost: CostModel, clock: Clock,
    ):
        self.billing = billing
        self.keys = keys
        self.tz = ZoneInfo(timezone)
        self.monthly_limit = monthly_limit or None
        self.cost = cost
        self.clock = clock

    def accept(self, new: NewMessage, now: datetime) -> tuple[Message, bool]:
        """Store `new`, as `rejected` ("monthly_limit") when it does not fit its month."""
        return self.billing.add_within_limits(new, now, self._limits(new, now))

    def accept_many(
        self, news: Sequence[NewMessage], now: datetime,
    ) -> list[tuple[Message, bool]]:
        """`accept` for each, in order, in one transaction (a batch)."""
        return self.billing.add_many_within_limits([(n, self._limits(n, now)) for n in news], now)

    def _limits(self, new: NewMessage, now: datetime) -> Limits:
        when = new.send_at if new.send_at is not None and new.send_at > now else now
        start, end = month_window(month_of(when, self.tz), self.tz)
        return Limits(self.monthly_limit, start, end)

    def current_month(self) -> str:
        """This month ("YYYY-MM") in the configured time zone."""
        return month_of(self.clock.now(), self.tz)

    def stats(self, month: str) -> dict[str, Any]:
        """The month's numbers per key and in total (ValueError for a bad month)."""
        start, end = month_window(month, self.tz)
        counts = self.billing.month_counts(start, end)
        total = _Tally()
        per_key: dict[int, _Tally] = {}
        for c in counts:
            total.add(c)
            per_key.setdefault(c.key_id, _Tally()).add(c)
        keys = {k.id: k for k in self.keys.list()}
        for k in keys.values():
            if not k.revoked:
                per_key.setdefault(k.id, _Tally())
        billing: dict[str, Any] = {"model": self.cost.model, "currency": self.cost.currency}
        if self.cost.model == "package":
            billing.update(package_size=self.cost.package_size,
                           package_price=self.cost.package_price,
                           packages=self.cost.packages(total.segments))
        else:
            billing["price_per_sms"] = self.cost.price_per_sms
        return {
            "month": month,
            "timezone": self.tz.key,
            "from": to_iso(start),
            "until": to_iso(end),
            "billing": billing,
            "total": self._json(total, self.cost.cost(total.segments), self.monthly_limit),
            "keys": [
                {"key": keys[kid].name if kid in keys else f"#{kid}",
                 **self._json(t, self.cost.share(t.segments, total.segments),
                              keys[kid].monthly_limit if kid in keys else None)}
                for kid, t in sorted(per_key.items(), key=lambda kv: _name(keys, kv[0]))
            ],
        }

    @staticmethod
    def _json(t: _Tally, cost: Any, limit: int | None) -> dict[str, Any]:
        return {
            "messages": t.messages, "sent": t.sent, "delivered": t.delivered,
            "undelivered": t.undelivered, "failed": t.failed, "rejected": t.rejected,
            "cancelled": t.cancelled, "queued": t.queued, "segments": t.segments,
            "cost": float(cost),
            "limit": {"monthly_limit": limit, "used": t.reserved,
                      "remaining": None if limit is None else max(limit - t.reserved, 0)},
        }


def _name(keys: dict, key_id: int) -> str:
    return keys[key_id].name if key_id in keys else f"#{key_id}"
