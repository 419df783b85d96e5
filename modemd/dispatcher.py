"""The dispatcher: one worker per channel takes the next due message and sends it.

No polling: a worker sleeps on a condition that is notified when a message is accepted or a
channel changes state, with a timeout only for the earliest future due time of a `pending`
message (a retry). Scheduled messages are the scheduler's: it moves them to `pending` at their
time and notifies the workers. The next message is claimed the moment the previous one is
done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from modemd.channels.base import Channel, Outbound
from modemd.clock import Clock
from modemd.errors import ChannelLost, SendError
from modemd.phone import mask_number
from modemd.store.messages import Message, MessageStore

log = logging.getLogger("modemd.dispatcher")

MAX_BACKOFF = 900.0


class Dispatcher:
    """Moves messages from the queue to the channels; owns one worker thread per channel."""

    def __init__(
        self, store: MessageStore, channels: list[Channel], *, clock: Clock | None = None,
        status_reports: bool = True, validity_minutes: int | None = 4320,
        retry_attempts: int = 5, retry_backoff: float = 5.0, log_content: bool = False,
        fallback: dict[str, float] | None = None,
    ):
        self.store = store
        self.channels = channels
        self.clock = clock or Clock()
        self.status_reports = status_reports
        self.validity_minutes = validity_minutes
        self.retry_attempts = retry_attempts
        self.retry_backoff = retry_backoff
        self.log_content = log_content
        # Fallback channels (the SMPP upstream in `fallback` mode) by name → seconds: while
        # another channel is ready they only take messages due for at least that long.
        self.fallback = dict(fallback or {})
        self._cond = threading.Condition()
        self._generation = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []
        # Listeners told after each commit: (message_id, seq, channel, reference) when a
        # part was accepted, (message_id, status) when a message became sent or failed.
        self._part_listeners: list[Callable[[int, int, str, int | str], None]] = []
        self._status_listeners: list[Callable[[int, str], None]] = []
        for channel in channels:
            channel.on_change(lambda _c: self.notify())

    def start(self) -> None:
        """Start one worker per channel."""
        self._stopping = False
        for channel in self.channels:
            t = threading.Thread(target=self._work, args=(channel,), daemon=True,
                                 name=f"dispatch-{channel.name}")
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        """Stop the workers after the message each is sending right now."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for t in self._threads:
            t.join(timeout=30)
        self._threads.clear()

    def on_part_sent(self, fn: Callable[[int, int, str, int | str], None]) -> None:
        """Call `fn(message_id, seq, channel, message_ref)` after a part was recorded."""
        self._part_listeners.append(fn)

    def on_status(self, fn: Callable[[int, str], None]) -> None:
        """Call `fn(message_id, status)` after a message was marked sent or failed."""
        self._status_listeners.append(fn)

    def _tell(self, listeners: list, *args: object) -> None:
        for fn in listeners:
            try:
                fn(*args)
            except Exception:  # a listener's bug must not stop the queue
                log.exception("dispatcher listener failed")

    def notify(self) -> None:
        """Something changed (a message was queued, a channel became ready): wake the workers."""
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    # --- the worker ------------------------------------------------------------------------
    def _work(self, channel: Channel) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                generation = self._generation
            message = None
            timeout: float | None = None
            if channel.ready:
                try:
                    min_wait = self._min_wait(channel)
                    message = self.store.claim(channel.name, self.clock.now(), min_wait)
                    if message is None:
                        due = self.store.next_due(channel.name, min_wait)
                        if due is not None:
                            timeout = max(0.0, (due - self.clock.now()).total_seconds())
                except Exception:
                    log.exception("dispatcher %s: store error; retrying in 1 s", channel.name)
                    timeout = 1.0
            if message is not None:
                try:
                    self._send(channel, message)
                except Exception:
                    # The store failed while recording the outcome; the message stays in
                    # `sending` and is resumed at the next start. Keep the worker alive.
                    log.exception("dispatcher %s: could not record message %d", channel.name,
                                  message.id)
                    with self._cond:
                        self._cond.wait(1.0)
                continue
            with self._cond:
                if self._generation == generation and not self._stopping:
                    # A claimable message due "now" but not yet visible can only differ by
                    # clock skew between store and worker; never spin on it.
                    self._cond.wait(None if timeout is None else max(timeout, 0.01))

    def _min_wait(self, channel: Channel) -> timedelta | None:
        """How long a message must have been due before `channel` may take it (fallback)."""
        seconds = self.fallback.get(channel.name)
        if seconds is None:
            return None
        if any(c.ready for c in self.channels if c.name not in self.fallback):
            return timedelta(seconds=seconds)
        return None

    def _retry_or_fail(self, msg: Message, exc: SendError, who: str) -> None:
        attempts = msg.attempts + 1
        now = self.clock.now()
        if exc.temporary and attempts < self.retry_attempts:
            delay = min(self.retry_backoff * 2 ** (attempts - 1), MAX_BACKOFF)
            log.info("message %d to %s: %s (attempt %d); retry in %.0f s",
                     msg.id, who, exc, attempts, delay)
            self.store.requeue(msg.id, now, now + timedelta(seconds=delay),
                               f"{exc.code}: {exc.text}; retry {attempts}",
                               error=(exc.code, exc.text))
            self.notify()
        else:
            log.warning("message %d to %s failed: %s", msg.id, who, exc)
            # One transaction: the status and what listeners queue for it (the failure mail,
            # the webhook) are committed together, so a crash cannot keep one without the other.
            with self.store.db.transaction():
                self.store.mark_failed(msg.id, now, exc.code, exc.text)
                self._tell(self._status_listeners, msg.id, "failed")

    def _send(self, channel: Channel, msg: Message) -> None:
        done = frozenset(p.seq for p in msg.parts if p.accepted)
        outbound = Outbound(
            id=msg.id, to=msg.to, text=msg.text, concat_ref=msg.concat_ref,
            status_report=self.status_reports, validity_minutes=self.validity_minutes,
            done_parts=done,
        )
        who = msg.to if self.log_content else mask_number(msg.to)

        def part_sent(seq: int, ref: int | str) -> None:
            self.store.record_part_sent(msg.id, seq, channel.name, ref, self.clock.now())
            self._tell(self._part_listeners, msg.id, seq, channel.name, ref)

        try:
            channel.send(outbound, part_sent)
        except ChannelLost as exc:
            log.warning("message %d: %s; back to the queue", msg.id, exc.text)
            self.store.requeue(msg.id, self.clock.now(), self.clock.now(),
                               f"{channel.name} lost: {exc.text}", count_attempt=False)
            self.notify()
        except SendError as exc:
            self._retry_or_fail(msg, exc, who)
        except Exception as exc:
            # A bug must not stop the queue: this message is retried like a temporary error
            # (and fails after the last attempt); the others go on.
            log.exception("message %d: unexpected error", msg.id)
            self._retry_or_fail(msg, SendError("internal_error", str(exc), temporary=True), who)
        else:
            with self.store.db.transaction():
                self.store.mark_sent(msg.id, self.clock.now())
                self._tell(self._status_listeners, msg.id, "sent")
            log.info("message %d to %s sent via %s (%d parts)", msg.id, who, channel.name,
                     msg.segments)
