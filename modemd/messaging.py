"""Accepting, reading and cancelling outbound messages: the service behind API, UI and CLI."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from modemd.clock import Clock, from_iso
from modemd.errors import PhoneNumberError, RecipientBlocked, TextError, ValidationError
from modemd.optimize import optimize
from modemd.phone import normalize_number
from modemd.segments import split_text
from modemd.store.messages import Message, MessageFilter, MessageStore, NewMessage

log = logging.getLogger("modemd.messaging")

MAX_REFERENCE = 128
OPTED_OUT = ("opted_out", "the recipient opted out (STOP); remove the number from the "
             "block list to send to it again")
MAX_LIST = 500


@dataclass(frozen=True)
class Submission:
    """A send request as it arrives, not yet checked."""

    to: object
    text: object
    reference: object = None
    send_at: object = None
    optimize: object = None
    template: object = None
    values: object = None
    expires_at: object = None


class Renderer(Protocol):
    """What the service needs from templates (modemd.templates.TemplateService)."""

    def render(self, ref: object, values: object) -> str: ...


Accept = Callable[[NewMessage, datetime], tuple[Message, bool]]
AcceptMany = Callable[[Sequence[NewMessage], datetime], list[tuple[Message, bool]]]
Outcome = tuple[Message, bool] | ValidationError  # one item of a batch: stored, or refused


class MessageService:
    """Validates requests, commits them and wakes the dispatcher.

    `accept` stores a valid message (default: MessageStore.add; the daemon passes
    Accounting.accept, which applies the monthly limits); `accept_many` stores several in one
    transaction (default: MessageStore.add_many; the daemon passes Accounting.accept_many).
    `optimize_characters` is the default of a request's `optimize`; `national` the national
    single shift tables the channels encode with (and `national_locking` whether their
    locking shift tables may be used too), so the part count stored here is the one that is
    sent.
    """

    def __init__(
        self, store: MessageStore, *, default_region: str, max_length: int, clock: Clock,
        on_queued: Callable[[], None] = lambda: None, accept: Accept | None = None,
        accept_many: AcceptMany | None = None,
        optimize_characters: bool = False, national: Sequence[str] = (),
        national_locking: bool = False,
        templates: Renderer | None = None,
        is_blocked: Callable[[str], bool] = lambda _number: False,
        max_days_ahead: int | None = None, on_planned: Callable[[], None] = lambda: None,
    ):
        self.store = store
        self.default_region = default_region
        self.max_length = max_length
        self.clock = clock
        self.on_queued = on_queued
        self.is_blocked = is_blocked
        self.accept: Accept = accept or store.add
        self.accept_many: AcceptMany = accept_many or (
            store.add_many if accept is None else
            (lambda news, now: [self.accept(n, now) for n in news]))
        self.optimize_characters = optimize_characters
        self.national = tuple(national)
        self.national_locking = national_locking
        self.templates = templates
        self.max_days_ahead = max_days_ahead   # horizon for send_at (None: no limit)
        self.on_planned = on_planned           # a scheduled or expiring message was added

    def submit(self, key_id: int, req: Submission) -> tuple[Message, bool]:
        """Check and commit one message. Returns (message, created); raises ValidationError.

        The message is committed before this returns: an answer means it is on disk.
        A `reference` this key used before answers with that message, whatever the request
        says now (a retry after a lost answer must not fail because a template changed).
        Raises RecipientBlocked when the number opted out (the message is kept as rejected).
        """
        if isinstance(req.reference, str) and req.reference:
            known = self.store.by_reference(key_id, req.reference)
            if known is not None:
                if known.status == "rejected" and known.error_code == OPTED_OUT[0]:
                    raise RecipientBlocked(known.id, known.to)
                return known, False
        now = self.clock.now()
        message, created = self.accept(self._check(key_id, req, now), now)
        if message.status == "rejected" and message.error_code == OPTED_OUT[0]:
            # Kept for the overview, answered as refused (the API maps this to 403).
            raise RecipientBlocked(message.id, message.to)
        self._wake([(message, created)])
        return message, created

    def submit_many(self, key_id: int, reqs: Sequence[Submission]) -> list[Outcome]:
        """Check every request on its own, commit all valid ones in ONE transaction.

        Returns one outcome per request, in order: (message, created) or the ValidationError
        that refused it. A stored message may be `rejected` (opted out, monthly limit) like
        with `submit`; limits are counted item by item inside the transaction. Everything is
        committed before this returns.
        """
        now = self.clock.now()
        checked: list[NewMessage | ValidationError] = []
        for req in reqs:
            try:
                checked.append(self._check(key_id, req, now))
            except ValidationError as exc:
                checked.append(exc)
        valid = [c for c in checked if isinstance(c, NewMessage)]
        stored = iter(self.accept_many(valid, now) if valid else [])
        outcomes: list[Outcome] = [
            c if isinstance(c, ValidationError) else next(stored) for c in checked]
        self._wake([o for o in outcomes if not isinstance(o, ValidationError)])
        return outcomes

    def _wake(self, stored: list[tuple[Message, bool]]) -> None:
        """Tell the dispatcher (and the scheduler) about newly queued messages."""
        queued = [m for m, created in stored if created and m.status != "rejected"]
        if any(m.status == "scheduled" or m.expires_at is not None for m in queued):
            self.on_planned()
        if queued:
            self.on_queued()

    def _check(self, key_id: int, req: Submission, now: datetime) -> NewMessage:
        """The message a request asks for, or ValidationError naming the field."""
        if not isinstance(req.to, str):
            raise _missing_or_type("to", req.to, "a phone number as a string")
        text_field = "text"
        if req.template is not None:
            if req.text is not None:
                raise ValidationError("conflicting_fields",
                                      "give either text or template, not both", "text")
            if self.templates is None:
                raise ValidationError("not_supported", "templates are not available",
                                      "template")
            text: object = self.templates.render(req.template, req.values)
            text_field = "values"
        elif req.values is not None:
            raise ValidationError("unexpected_field", "values belong to a template",
                                  "values")
        else:
            text = req.text
        if not isinstance(text, str):
            raise _missing_or_type("text", text, "the message text as a string")
        reference = req.reference
        if reference is not None and (
            not isinstance(reference, str) or not reference or len(reference) > MAX_REFERENCE
        ):
            raise ValidationError("invalid_reference",
                                  f"reference must be a string of 1 to {MAX_REFERENCE} "
                                  "characters", "reference")
        if req.optimize is not None and not isinstance(req.optimize, bool):
            raise ValidationError("invalid_type", "optimize must be true or false", "optimize")
        do_optimize = self.optimize_characters if req.optimize is None else req.optimize
        try:
            to = normalize_number(req.to, self.default_region)
        except PhoneNumberError as exc:
            raise ValidationError("invalid_number", str(exc), "to") from None
        if not text.strip():
            raise ValidationError("empty_text", "the message text is empty", text_field)
        try:
            if do_optimize:
                split_text(text, self.max_length)  # the length rule applies to what was sent
                # The optimized text is what is stored and sent, and what the answer shows.
                text = optimize(text, national=self.national, max_characters=self.max_length,
                                locking=self.national_locking)
            seg = split_text(text, self.max_length, self.national, self.national_locking)
        except TextError as exc:
            raise ValidationError(exc.code, str(exc), text_field) from None
        send_at = _parse_send_at(req.send_at)
        expires_at = _parse_time(req.expires_at, "expires_at")
        if (send_at is not None and self.max_days_ahead is not None
                and send_at > now + timedelta(days=self.max_days_ahead)):
            raise ValidationError("too_far_ahead", "send_at is more than "
                                  f"{self.max_days_ahead} days ahead", "send_at")
        if expires_at is not None and (expires_at <= now or
                                       (send_at is not None and expires_at <= send_at)):
            raise ValidationError("already_expired", "expires_at must be after now and after "
                                  "send_at", "expires_at")
        blocked = self.is_blocked(to)
        return NewMessage(key_id=key_id, to=to, text=text, encoding=seg.encoding,
                          segments=seg.segments, reference=reference, send_at=send_at,
                          rejected=OPTED_OUT if blocked else None, expires_at=expires_at,
                          units=seg.units)

    def get(self, key_id: int | None, message_id: int) -> Message | None:
        """A message of this key (any key when key_id is None)."""
        return self.store.get(message_id, key_id)

    def list(self, key_id: int | None, flt: MessageFilter) -> list[Message]:
        """A page of messages, newest first."""
        return self.store.list(flt, key_id)

    def cancel(self, key_id: int | None, message_id: int) -> str | None:
        """Cancel if still queued: None if done, "not_found", or the status that prevents it."""
        return self.store.cancel(message_id, key_id, self.clock.now())


def _missing_or_type(field: str, value: object, what: str) -> ValidationError:
    if value is None:
        return ValidationError("missing_field", f"{field} is required", field)
    return ValidationError("invalid_type", f"{field} must be {what}", field)


def _parse_send_at(value: object) -> datetime | None:
    return _parse_time(value, "send_at")


def _parse_time(value: object, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("invalid_type", f"{field} must be an ISO 8601 time", field)
    try:
        return from_iso(value)
    except ValueError:
        raise ValidationError(
            "invalid_time", f"{field} must be ISO 8601 with a UTC offset, "
            "e.g. 2026-03-01T09:30:00+01:00", field) from None
