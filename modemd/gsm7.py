"""GSM 03.38 (3GPP TS 23.038 §6.2.1) default alphabet, extension table and septet packing.

Pure functions only. The alphabet is the one every handset understands without national
language shift tables. An opt-in national single shift table (modemd.national) replaces the
extension table, a national locking shift table the basic table, so encode/decode take the
tables to use as parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from modemd.errors import CodecError

ESC = 0x1B
CR = 0x0D

# Index = septet value. Position 0x1B is the escape to the extension table; it is kept in the
# string (as U+001B) only so that indices line up, and is never encoded as a character.
BASIC: str = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(BASIC) == 128

EXTENSION: dict[str, int] = {
    "\x0c": 0x0A,  # form feed (page break)
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}

_BASIC_INDEX: dict[str, int] = {ch: i for i, ch in enumerate(BASIC) if i != ESC}
_EXTENSION_BY_SEPTET: dict[int, str] = {v: k for k, v in EXTENSION.items()}


def char_septets(ch: str) -> int | None:
    """Septets one character needs: 1 (basic table), 2 (extension table) or None (not GSM-7)."""
    if ch in _BASIC_INDEX:
        return 1
    if ch in EXTENSION:
        return 2
    return None


# Every character that is not a one-septet character of the basic table (for fast counting).
_NOT_BASIC = re.compile("[^" + re.escape("".join(_BASIC_INDEX)) + "]")
_NOT_GSM7 = re.compile("[^" + re.escape("".join(_BASIC_INDEX) + "".join(EXTENSION)) + "]")


def is_gsm7(text: str) -> bool:
    """True if every character of `text` is in the default alphabet or its extension table."""
    return _NOT_GSM7.search(text) is None


def count_not_basic(text: str) -> int:
    """How many characters of `text` are not in the basic table (each costs two septets or
    forces UCS-2)."""
    return len(_NOT_BASIC.findall(text))


def encode_septets(
    text: str, extension: Mapping[str, int] = EXTENSION, basic: Mapping[str, int] | None = None,
) -> list[int]:
    """Map `text` to septet values; extension characters become ESC + code.

    `extension` is the table reached through ESC: the default extension table or a national
    single shift table. `basic` (character -> septet) replaces the default alphabet when a
    national locking shift table is in use. Raises CodecError naming the first character that
    has no representation.
    """
    index = _BASIC_INDEX if basic is None else basic
    out: list[int] = []
    for i, ch in enumerate(text):
        basic_code = index.get(ch)
        if basic_code is not None:
            out.append(basic_code)
            continue
        ext = extension.get(ch)
        if ext is None:
            raise CodecError(f"character U+{ord(ch):04X} at index {i} is not in the GSM-7 alphabet")
        out.extend((ESC, ext))
    return out


def decode_septets(
    septets: Sequence[int], extension: Mapping[int, str] | None = None, basic: str = BASIC,
) -> str:
    """Map septet values back to text. Never raises for values 0..127.

    `extension` maps the code after ESC to a character (default: the extension table; a
    national single shift table when the UDH names one). `basic` is the table of single
    septets, indexed by value: the default alphabet or a national locking shift table.

    23.038 §6.2.1.1: an escape followed by a code the extension table does not define is shown
    as the basic-table character of that code; ESC ESC (escape to a further table we do not
    know) and a dangling final ESC are shown as a space.
    """
    by_septet = _EXTENSION_BY_SEPTET if extension is None else extension
    out: list[str] = []
    i = 0
    n = len(septets)
    while i < n:
        s = septets[i] & 0x7F
        if s != ESC:
            out.append(basic[s])
            i += 1
            continue
        if i + 1 >= n:
            out.append(" ")
            break
        nxt = septets[i + 1] & 0x7F
        if nxt == ESC:
            out.append(" ")
        else:
            out.append(by_septet.get(nxt, basic[nxt]))
        i += 2
    return "".join(out)


def pack_septets(septets: Sequence[int], fill_bits: int = 0) -> bytes:
    """Pack septets LSB-first into octets (23.038 §6.1.2.1.1), after `fill_bits` zero bits.

    `fill_bits` (0..6) is the padding after a user data header that lets the first character
    start on a septet boundary. When the last octet would end with exactly 7 unused bits, a
    receiver that derives the character count from the octet count would read a phantom '@'
    (septet 0); 23.038 §6.1.2.3.1 says to fill those bits with CR instead, so we do.
    """
    if not 0 <= fill_bits <= 6:
        raise CodecError(f"fill_bits must be 0..6, not {fill_bits}")
    value = 0
    bits = fill_bits
    for s in septets:
        if not 0 <= s <= 0x7F:
            raise CodecError(f"septet value out of range: {s}")
        value |= s << bits
        bits += 7
    if bits % 8 == 1:
        value |= CR << bits
        bits += 7
    return value.to_bytes((bits + 7) // 8, "little")


def unpack_septets(data: bytes, count: int | None = None, fill_bits: int = 0) -> list[int]:
    """Unpack `count` septets from `data`, skipping `fill_bits` leading padding bits.

    In SMS the character count comes from TP-UDL and is authoritative, so the CR pad of
    §6.1.2.3.1 is never read. When `count` is None (cell-broadcast/USSD style: the count is
    derived from the octet length) a CR in exactly the padding position is stripped.
    Raises CodecError if `data` is too short for `count` septets.
    """
    if not 0 <= fill_bits <= 6:
        raise CodecError(f"fill_bits must be 0..6, not {fill_bits}")
    available = (len(data) * 8 - fill_bits) // 7 if data else 0
    derived = count is None
    if count is None:
        count = max(available, 0)
    if count < 0 or count > available:
        raise CodecError(f"user data holds {available} septets, {count} announced")
    value = int.from_bytes(data, "little") >> fill_bits
    out = [(value >> (7 * i)) & 0x7F for i in range(count)]
    # The pad position: the last septet fills the final octet's top 7 bits exactly.
    if derived and out and out[-1] == CR and (fill_bits + 7 * (count - 1)) % 8 == 1:
        out.pop()
    return out
