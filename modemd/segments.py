"""The text rules: encoding choice, counting and splitting a message into SMS parts.

- GSM-7 when every character is in the GSM 03.38 default alphabet or its extension table:
  160 septets fit one SMS; extension characters cost two septets (ESC + code).
- Otherwise UCS-2 (really UTF-16, so emoji survive as surrogate pairs): 70 UTF-16 code units
  fit one SMS.
- A longer message is split into parts that each carry a concatenation user data header.
  modemd always uses the 8-bit reference form (IE 0x00): UDHL + IEI + IEDL + ref + total + seq
  is 6 octets of the 140, leaving 134 octets = 153 septets (after one fill bit) or 67 UTF-16
  units. The 16-bit form (IE 0x08) would cost one more octet, i.e. one septet/unit less per
  part, for nothing: 256 references are plenty when they only need to be unique per recipient
  over the few days a network keeps parts.
- An escape pair and a surrogate pair are never split across parts: a character that does not
  fit whole moves to the next part and the current part stays one unit short.
"""

from __future__ import annotations

from dataclasses import dataclass

from modemd.errors import TextError
from modemd.gsm7 import char_septets, is_gsm7

GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67
DEFAULT_MAX_CHARACTERS = 600


@dataclass(frozen=True)
class Segmentation:
    """How a text is encoded and split; see the module docstring for the rules."""

    encoding: str  # "gsm7" | "ucs2"
    characters: int  # Unicode code points in the text
    units: int  # GSM-7 septets (extension chars count 2) or UTF-16 code units
    parts: tuple[str, ...]  # the text of each SMS part, in order
    segment_ends: tuple[int, ...]  # per part: code-point index (exclusive) where it ends
    remaining: int  # units still free in the last part

    @property
    def segments(self) -> int:
        """Number of SMS parts (each billed as one SMS)."""
        return len(self.parts)


def _ucs2_units(ch: str) -> int:
    cp = ord(ch)
    if 0xD800 <= cp <= 0xDFFF:
        # A lone surrogate has no UTF-16 encoding; it can only come from broken input.
        raise TextError("invalid_text", f"text contains an unpaired surrogate U+{cp:04X}")
    return 2 if cp > 0xFFFF else 1


def split_text(text: str, max_characters: int = DEFAULT_MAX_CHARACTERS) -> Segmentation:
    """Choose the encoding of `text` and split it into SMS parts.

    Raises TextError "empty_text" for an empty text, "text_too_long" for more than
    `max_characters` code points, "invalid_text" for an unpaired surrogate.
    """
    if not text:
        raise TextError("empty_text", "the text is empty")
    if len(text) > max_characters:
        raise TextError(
            "text_too_long",
            f"the text has {len(text)} characters, at most {max_characters} are allowed",
        )
    if is_gsm7(text):
        encoding, single, per_part = "gsm7", GSM7_SINGLE, GSM7_PART
        costs = [char_septets(ch) or 0 for ch in text]
    else:
        encoding, single, per_part = "ucs2", UCS2_SINGLE, UCS2_PART
        costs = [_ucs2_units(ch) for ch in text]
    units = sum(costs)
    if units <= single:
        return Segmentation(encoding, len(text), units, (text,), (len(text),), single - units)

    parts: list[str] = []
    ends: list[int] = []
    start = 0
    used = 0
    for i, cost in enumerate(costs):
        if used + cost > per_part:
            parts.append(text[start:i])
            ends.append(i)
            start, used = i, 0
        used += cost
    parts.append(text[start:])
    ends.append(len(text))
    return Segmentation(encoding, len(text), units, tuple(parts), tuple(ends), per_part - used)
