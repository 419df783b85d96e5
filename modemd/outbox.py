"""A worker that delivers queued outbox items (e-mails, webhook calls) with backoff.

Items live in the database (`modemd.store.outbox`), so nothing queued is lost when the daemon
or the remote side is down. The worker sleeps on a condition until an item is queued or the
next retry is due (no polling); a failed attempt is retried after `backoff` seconds, doubling
up to `max_backoff`, until `give_up_after` has passed since the item was queued.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from modemd.clock import Clock
from modemd.store.outbox import OutboxItem, OutboxStore

log = logging.getLogger("modemd.outbox")

DEFAULT_GIVE_UP = timedelta(days=3)


class OutboxWorker:
    """One thread delivering the outbox items of one kind, oldest due first."""

    def __init__(
        self, store: OutboxStore, kind: str, deliver: Callable[[OutboxItem], None], *,
        clock: Clock, backoff: float = 30.0, max_backoff: float = 600.0,
        give_up_after: timedelta = DEFAULT_GIVE_UP,
    ):
        self.store = store
        self.kind = kind
        self.deliver = deliver
        self.clock = clock
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.give_up_after = give_up_after
        self._cond = threading.Condition()
        self._generation = 0
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"outbox-{self.kind}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def queue(self, payload: dict, dedupe_key: str) -> None:
        """Add an item of this worker's kind (once per `dedupe_key`) and wake the worker.

        Runs inside the caller's transaction when there is one, so the item is committed
        with the event that asked for it.
        """
        if self.store.add(self.kind, payload, self.clock.now(), dedupe_key=dedupe_key) \
                is not None:
            self.notify()

    def notify(self) -> None:
        """An item was queued: look now."""
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                generation = self._generation
            timeout: float | None
            try:
                item = self.store.next_due(self.kind, self.clock.now())
                if item is not None:
                    self._attempt(item)
                    continue
                due = self.store.next_attempt_at(self.kind)
                timeout = (None if due is None
                           else max(0.01, (due - self.clock.now()).total_seconds()))
            except Exception:
                log.exception("outbox %s: store error; retrying in 5 s", self.kind)
                timeout = 5.0
            with self._cond:
                if self._generation == generation and not self._stopping:
                    self._cond.wait(timeout)

    def _attempt(self, item: OutboxItem) -> None:
        try:
            self.deliver(item)
        except Exception as exc:
            now = self.clock.now()
            reason = f"{type(exc).__name__}: {exc}"
            if now - item.created_at >= self.give_up_after:
                log.error("outbox %s: item %d given up after %d attempts: %s", self.kind,
                          item.id, item.attempts + 1, reason)
                self.store.mark_failed(item.id, now, reason)
                return
            delay = min(self.backoff * 2 ** item.attempts, self.max_backoff)
            log.warning("outbox %s: item %d failed (attempt %d): %s; retry in %.1f s",
                        self.kind, item.id, item.attempts + 1, reason, delay)
            self.store.mark_retry(item.id, now + timedelta(seconds=delay), reason)
            return
        self.store.mark_sent(item.id, self.clock.now())
        log.info("outbox %s: item %d delivered", self.kind, item.id)
