"""Opt-out: a patient who answers STOP (or another keyword) gets no more messages.

The keyword must be the first word of the reply (any case, punctuation ignored): "Stopp",
"STOP bitte", "abmelden." all count, "Bitte nicht stoppen" does not. The number goes on the
block list; messages submitted to it later are kept as `rejected` with reason `opted_out`
until the practice removes the number (API or CLI).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from modemd.clock import Clock
from modemd.errors import PhoneNumberError, ValidationError
from modemd.phone import mask_number, normalize_number
from modemd.store.blocklist import BlockedNumber, BlocklistStore

log = logging.getLogger("modemd.optout")

DEFAULT_KEYWORDS = ("STOP", "STOPP", "ABMELDEN")
_FIRST_WORD = re.compile(r"[^\W\d_]+")


def opt_out_keyword(text: str, keywords: Iterable[str]) -> str | None:
    """The keyword `text` starts with (upper case), or None."""
    m = _FIRST_WORD.search(text or "")
    if m is None or text[: m.start()].strip(" \t\r\n\"'„“«»*-.!"):
        return None
    word = m.group(0).upper()
    return word if word in {k.upper() for k in keywords} else None


class OptOutService:
    """The block list as the rest of modemd sees it."""

    def __init__(self, store: BlocklistStore, *, clock: Clock, default_region: str = "DE",
                 keywords: Iterable[str] = DEFAULT_KEYWORDS):
        self.store = store
        self.clock = clock
        self.default_region = default_region
        self.keywords = tuple(k.upper() for k in keywords)

    def is_blocked(self, number: str) -> bool:
        """Whether messages to this E.164 number are refused."""
        return self.store.contains(number)

    def check_reply(self, sender: str, text: str, inbound_id: int) -> bool:
        """Block `sender` if `text` is an opt-out; True if it is."""
        if not sender.startswith("+") or opt_out_keyword(text, self.keywords) is None:
            return False
        if self.store.add(sender, self.clock.now(), "keyword", inbound_id):
            log.info("%s opted out (message %d); number blocked", mask_number(sender),
                     inbound_id)
        return True

    def block(self, raw_number: object, source: str) -> tuple[BlockedNumber, bool]:
        """Block a number by hand; (entry, created)."""
        number = self._number(raw_number)
        created = self.store.add(number, self.clock.now(), source)
        entry = self.store.get(number)
        assert entry is not None
        return entry, created

    def unblock(self, raw_number: object) -> bool:
        """Remove a number from the block list; False if it was not on it."""
        return self.store.remove(self._number(raw_number))

    def list(self) -> list[BlockedNumber]:
        return self.store.list()

    def _number(self, raw: object) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise ValidationError("missing_field", "number is required", "number")
        try:
            return normalize_number(raw, self.default_region)
        except PhoneNumberError as exc:
            raise ValidationError("invalid_number", str(exc), "number") from None
