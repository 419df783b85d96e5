"""Phone numbers: whatever a practice's software sends, stored as E.164."""

from __future__ import annotations

import functools
import re

import phonenumbers

from modemd.errors import PhoneNumberError

# Separators people type into patient records; anything else (letters above all) is refused
# rather than guessed, because phonenumbers would turn vanity letters into digits.
_ALLOWED = re.compile(r"^\+?[0-9 ()./\-]+$")


def normalize_number(raw: str, default_region: str) -> str:
    """Return `raw` as E.164 (`+4917612345678`).

    Accepts `+49…`, `0049…` and national `0…` numbers (the latter with `default_region`).
    Raises PhoneNumberError naming the problem when phonenumbers does not call it valid.
    """
    if not isinstance(raw, str) or not raw.strip():
        raise PhoneNumberError("the recipient number is empty")
    return _normalize(raw.strip(), default_region)


# A practice writes to the same patients again and again, and parsing costs ~0.1 ms: valid
# numbers are remembered (a pure function of its arguments; refusals raise and are not kept).
@functools.lru_cache(maxsize=16384)
def _normalize(text: str, default_region: str) -> str:
    if not _ALLOWED.match(text):
        raise PhoneNumberError(f"{text!r} contains characters that are not part of a number")
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneNumberError(f"{text!r} is not a phone number ({exc})") from None
    if not phonenumbers.is_valid_number(parsed):
        raise PhoneNumberError(f"{text!r} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_number(e164: str) -> str:
    """A number shortened for logs: `+49176******78`."""
    if len(e164) <= 7:
        return "*" * len(e164)
    return e164[:6] + "*" * (len(e164) - 8) + e164[-2:]
