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
- Opt-in national single shift tables (modemd.national): a text that is not GSM-7 but fits
  the basic table plus one enabled national table is sent as GSM-7 with a 3-octet "single
  shift" IE (0x24) in every part. That header costs 5 septets in a single SMS (UDHL + IE =
  4 octets: 155 septets left) and 11 with the concatenation IE (9 octets: 149 left). A
  national table is used only when it needs fewer parts than UCS-2; on a tie UCS-2 wins,
  because every phone shows it right.
- Opt-in national locking shift tables (Turkish, Portuguese; `locking=True`): the table
  replaces the basic alphabet, so the language's letters cost one septet; its IE (0x25) is
  3 octets like the single shift IE, and both may be present (a locking table for the letters
  plus a single shift table for rarer ones). The septets left follow from the header length
  (gsm7_septets_left): one IE 155 / 149 per part, both 152 / 146. Locking combinations are
  tried for the enabled languages that have a locking table, each alone and with every
  enabled single shift table, and one is used only when it needs fewer parts than every
  safer choice (UCS-2, then a single shift table): a phone that ignores IE 0x25 shows the
  whole message wrong, not just a few letters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from modemd.errors import TextError
from modemd.gsm7 import EXTENSION, char_septets, count_not_basic, is_gsm7
from modemd.national import LOCKING_TABLES, TABLES

CONCAT_IE_OCTETS = 5  # IEI 0x00, length 3, reference, total, sequence
SHIFT_IE_OCTETS = 3  # IEI 0x24 or 0x25, length 1, National Language Identifier


def gsm7_septets_left(ie_octets: int) -> int:
    """Septets of text that fit one SMS whose UDH holds `ie_octets` octets of IEs (0: no UDH).

    The UDH (UDHL octet + IEs) is followed by fill bits up to the next septet boundary
    (23.040 §9.2.3.24), so it takes ceil(octets * 8 / 7) of the 160 septets.
    """
    if ie_octets == 0:
        return 160
    return 160 - -(-(1 + ie_octets) * 8 // 7)


GSM7_SINGLE = gsm7_septets_left(0)  # 160
GSM7_PART = gsm7_septets_left(CONCAT_IE_OCTETS)  # 153
UCS2_SINGLE = 70
UCS2_PART = 67
NATIONAL_SINGLE = gsm7_septets_left(SHIFT_IE_OCTETS)  # 155
NATIONAL_PART = gsm7_septets_left(CONCAT_IE_OCTETS + SHIFT_IE_OCTETS)  # 149
BOTH_SHIFTS_SINGLE = gsm7_septets_left(2 * SHIFT_IE_OCTETS)  # 152
BOTH_SHIFTS_PART = gsm7_septets_left(CONCAT_IE_OCTETS + 2 * SHIFT_IE_OCTETS)  # 146
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
    language: str | None = None  # national single shift table ("tr", "es", "pt"), if any
    locking: str | None = None  # national locking shift table ("tr", "pt"), if any

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


def split_text(
    text: str, max_characters: int = DEFAULT_MAX_CHARACTERS, national: Sequence[str] = (),
    locking: bool = False,
) -> Segmentation:
    """Choose the encoding of `text` and split it into SMS parts.

    `national` lists the national single shift tables that may be used ("tr", "es", "pt";
    none by default); `locking` also allows the locking shift tables of those languages
    ("tr", "pt"), alone or with a single shift table. Raises TextError "empty_text" for an
    empty text, "text_too_long" for more than `max_characters` code points, "invalid_text"
    for an unpaired surrogate.
    """
    if not text:
        raise TextError("empty_text", "the text is empty")
    if len(text) > max_characters:
        raise TextError(
            "text_too_long",
            f"the text has {len(text)} characters, at most {max_characters} are allowed",
        )
    if is_gsm7(text):
        if count_not_basic(text) == 0:  # the common case: one septet per character
            if len(text) <= GSM7_SINGLE:
                return Segmentation("gsm7", len(text), len(text), (text,), (len(text),),
                                    GSM7_SINGLE - len(text), None)
            return _split(text, "gsm7", [1] * len(text), GSM7_SINGLE, GSM7_PART, None)
        costs = [char_septets(ch) or 0 for ch in text]
        return _split(text, "gsm7", costs, GSM7_SINGLE, GSM7_PART, None)
    best = _split(text, "ucs2", [_ucs2_units(ch) for ch in text], UCS2_SINGLE, UCS2_PART, None)
    for code in national:
        costs_or_none = national_costs(text, code)
        if costs_or_none is None:
            continue
        seg = _split(text, "gsm7", costs_or_none, NATIONAL_SINGLE, NATIONAL_PART, code)
        if seg.segments < best.segments:
            best = seg
    if not locking:
        return best
    for lock in (code for code in national if code in LOCKING_TABLES):
        # Locking alone first: on a tie the shorter header and the default extension table win.
        for single in (None, *national):
            costs_or_none = gsm7_costs(text, single=single, locking=lock)
            if costs_or_none is None:
                continue
            ies = SHIFT_IE_OCTETS * (2 if single else 1)
            seg = _split(text, "gsm7", costs_or_none, gsm7_septets_left(ies),
                         gsm7_septets_left(CONCAT_IE_OCTETS + ies), single, lock)
            if seg.segments < best.segments:
                best = seg
    return best


def national_costs(text: str, code: str) -> list[int] | None:
    """Septets per character with national table `code`, or None if a character is missing.

    Basic-table characters cost 1, characters of the national table 2 (ESC + code).
    """
    return gsm7_costs(text, single=code)


def gsm7_costs(
    text: str, *, single: str | None = None, locking: str | None = None,
) -> list[int] | None:
    """Septets per character with the given shift tables, or None if a character is missing.

    `locking` names the locking shift table used as the basic table (default: the GSM 03.38
    alphabet), `single` the single shift table reached through ESC (default: the extension
    table). Basic characters cost 1, shifted ones 2 (ESC + code).
    """
    extension = TABLES[single].chars if single else EXTENSION
    if locking is None:
        costs: list[int] = []
        for ch in text:
            if char_septets(ch) == 1:
                costs.append(1)
            elif ch in extension:
                costs.append(2)
            else:
                return None
        return costs
    basic = LOCKING_TABLES[locking].chars
    costs = []
    for ch in text:
        if ch in basic:
            costs.append(1)
        elif ch in extension:
            costs.append(2)
        else:
            return None
    return costs


def _split(
    text: str, encoding: str, costs: list[int], single: int, per_part: int,
    language: str | None, locking: str | None = None,
) -> Segmentation:
    units = sum(costs)
    if units <= single:
        return Segmentation(encoding, len(text), units, (text,), (len(text),), single - units,
                            language, locking)

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
    return Segmentation(encoding, len(text), units, tuple(parts), tuple(ends), per_part - used,
                        language, locking)
