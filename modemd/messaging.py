"""Accepting, reading and cancelling outbound messages: the service behind API, UI and CLI."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from modemd.clock import Clock, from_iso
from modemd.errors import PhoneNumberError, RecipientBlocked, TextError, ValidationError
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


class MessageService:
    """Validates requests, commits them and wakes the dispatcher."""

    def __init__(
        self, store: MessageStore, *, default_region: str, max_length: int, clock: Clock,
        on_queued: Callable[[], None] = lambda: None,
        is_blocked: Callable[[str], bool] = lambda _number: False,
    ):
        self.store = store
        self.default_region = default_region
        self.max_length = max_length
        self.clock = clock
        self.on_queued = on_queued
        self.is_blocked = is_blocked

    def submit(self, key_id: int, req: Submission) -> tuple[Message, bool]:
        """Check and commit one message. Returns (message, created); raises ValidationError.

        The message is committed before this returns: an answer means it is on disk.
        """
        if not isinstance(req.to, str):
            raise _missing_or_type("to", req.to, "a phone number as a string")
        if not isinstance(req.text, str):
            raise _missing_or_type("text", req.text, "the message text as a string")
        reference = req.reference
        if reference is not None and (
            not isinstance(reference, str) or not reference or len(reference) > MAX_REFERENCE
        ):
            raise ValidationError("invalid_reference",
                                  f"reference must be a string of 1 to {MAX_REFERENCE} "
                                  "characters", "reference")
        if req.optimize not in (None, False):
            if not isinstance(req.optimize, bool):
                raise ValidationError("invalid_type", "optimize must be true or false",
                                      "optimize")
            raise ValidationError("not_supported", "character optimization is not available "
                                  "in this version yet", "optimize")
        try:
            to = normalize_number(req.to, self.default_region)
        except PhoneNumberError as exc:
            raise ValidationError("invalid_number", str(exc), "to") from None
        if not req.text.strip():
            raise ValidationError("empty_text", "the message text is empty", "text")
        try:
            seg = split_text(req.text, max_characters=self.max_length)
        except TextError as exc:
            raise ValidationError(exc.code, str(exc), "text") from None
        send_at = _parse_send_at(req.send_at)
        blocked = self.is_blocked(to)
        message, created = self.store.add(
            NewMessage(key_id=key_id, to=to, text=req.text, encoding=seg.encoding,
                       segments=seg.segments, reference=reference, send_at=send_at,
                       rejected=OPTED_OUT if blocked else None),
            self.clock.now(),
        )
        if message.status == "rejected" and message.error_code == OPTED_OUT[0]:
            # Kept for the overview, answered as refused (the API maps this to 403).
            raise RecipientBlocked(message.id, to)
        if created:
            self.on_queued()
        return message, created

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
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("invalid_type", "send_at must be an ISO 8601 time", "send_at")
    try:
        return from_iso(value)
    except ValueError:
        raise ValidationError(
            "invalid_time", "send_at must be ISO 8601 with a UTC offset, "
            "e.g. 2026-03-01T09:30:00+01:00", "send_at") from None
