"""National language shift tables (3GPP TS 23.038 §6.2.1.2, Annex A.2 and A.3).

A single shift table replaces the default extension table for one message: the receiving phone
learns which one from the "National Language Single Shift" information element (IEI 0x24,
23.040 §9.2.3.24.15) in the user data header, and every `ESC <code>` pair is then read from
the national table. The basic table (the 128 default characters) stays the same: a phone
that ignores the IE still shows every basic character right, and only the shifted ones wrong.

A locking shift table (Annex A.3) replaces the basic table itself, for the whole message; the
"National Language Locking Shift" IE (IEI 0x25, 23.040 §9.2.3.24.16) names it. Turkish and
Portuguese letters then cost one septet each, but a phone that ignores the IE shows every
character whose code differs from the default alphabet wrong. modemd sends them only when
`sms.national_locking` is on (modemd.segments); Spanish has none (A.3.2 is void).

Each national table below repeats the default extension characters (form feed, `^ { } \\ [ ~ ]
| €`) at their usual codes and adds the language's letters. Written from 23.038 Annex A.2.1
(Turkish), A.2.2 (Spanish) and A.2.3 (Portuguese), code by code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from modemd.gsm7 import EXTENSION


@dataclass(frozen=True)
class ShiftTable:
    """One national language single shift table."""

    code: str  # "tr", "es", "pt": the name used in the configuration and the API
    nli: int  # National Language Identifier (23.038 §6.2.1.2.4)
    name: str
    chars: dict[str, int]  # character -> septet after ESC

    @property
    def by_septet(self) -> dict[int, str]:
        """Septet after ESC -> character (for decoding)."""
        return {v: k for k, v in self.chars.items()}


# Annex A.2.1: Turkish National Language Single Shift Table.
_TURKISH_LETTERS = {
    "Ğ": 0x47, "İ": 0x49, "Ş": 0x53, "ç": 0x63, "ğ": 0x67, "ı": 0x69, "ş": 0x73,
}
# Annex A.2.2: Spanish National Language Single Shift Table.
_SPANISH_LETTERS = {
    "ç": 0x09, "Á": 0x41, "Í": 0x49, "Ó": 0x4F, "Ú": 0x55,
    "á": 0x61, "í": 0x69, "ó": 0x6F, "ú": 0x75,
}
# Annex A.2.3: Portuguese National Language Single Shift Table. The Greek capitals at
# 0x12-0x19 are in the basic table too, where they cost one septet; the encoder prefers that.
_PORTUGUESE_LETTERS = {
    "ê": 0x05, "ç": 0x09, "Ô": 0x0B, "ô": 0x0C, "Á": 0x0E, "á": 0x0F,
    "Φ": 0x12, "Γ": 0x13, "Ω": 0x15, "Π": 0x16, "Ψ": 0x17, "Σ": 0x18, "Θ": 0x19,
    "Ê": 0x1F, "À": 0x41, "Í": 0x49, "Ó": 0x4F, "Ú": 0x55, "Ã": 0x5B, "Õ": 0x5C,
    "Â": 0x61, "í": 0x69, "ó": 0x6F, "ú": 0x75, "ã": 0x7B, "õ": 0x7C, "â": 0x7F,
}

TABLES: dict[str, ShiftTable] = {
    "tr": ShiftTable("tr", 1, "Turkish", {**EXTENSION, **_TURKISH_LETTERS}),
    "es": ShiftTable("es", 2, "Spanish", {**EXTENSION, **_SPANISH_LETTERS}),
    "pt": ShiftTable("pt", 3, "Portuguese", {**EXTENSION, **_PORTUGUESE_LETTERS}),
}
BY_NLI: dict[int, ShiftTable] = {t.nli: t for t in TABLES.values()}

IEI_SINGLE_SHIFT = 0x24
IEI_LOCKING_SHIFT = 0x25


@dataclass(frozen=True)
class LockingTable:
    """One national language locking shift table: a complete replacement basic table."""

    code: str  # "tr", "pt"
    nli: int
    name: str
    septets: str  # index = septet value; index 0x1B is the escape (kept as U+001B)

    @cached_property
    def chars(self) -> dict[str, int]:
        """Character -> septet (the escape position excluded)."""
        return {ch: i for i, ch in enumerate(self.septets) if i != _ESC}


_ESC = 0x1B

# Annex A.3.1: Turkish National Language Locking Shift Table, column by column (each string
# is one column of the spec's table: 16 codes, 0x00-0x0F, 0x10-0x1F, ...). It is the default
# alphabet with eight codes changed: 0x04 € (for è), 0x07 ı (ì), 0x0B Ğ (Ø), 0x0C ğ (ø),
# 0x1C Ş (Æ), 0x1D ş (æ), 0x40 İ (¡), 0x60 ç (¿).
_TURKISH_LOCKING = (
    "@£$¥€éùıòÇ\nĞğ\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bŞşßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "İABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "çabcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# Annex A.3.3: Portuguese National Language Locking Shift Table. Changed against the default
# alphabet: 0x04 ê, 0x06 ú, 0x07 í, 0x08 ó, 0x09 ç, 0x0B Ô, 0x0C ô, 0x0E Á, 0x0F á, 0x12 ª,
# 0x13 Ç, 0x14 À, 0x15 ∞, 0x16 ^, 0x17 backslash, 0x18 €, 0x19 Ó, 0x1A |, 0x1C Â, 0x1D â, 0x1E Ê,
# 0x24 º, 0x40 Í, 0x5B Ã, 0x5C Õ, 0x5D Ú, 0x60 ~, 0x7B ã, 0x7C õ, 0x7D ` (grave accent). It
# has no Greek capitals besides Δ; the Portuguese single shift table carries them.
_PORTUGUESE_LOCKING = (
    "@£$¥êéúíóç\nÔô\rÁá"
    "Δ_ªÇÀ∞^\\€Ó|\x1bÂâÊÉ"
    " !\"#º%&'()*+,-./"
    "0123456789:;<=>?"
    "ÍABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÃÕÚÜ§"
    "~abcdefghijklmno"
    "pqrstuvwxyzãõ`üà"
)

LOCKING_TABLES: dict[str, LockingTable] = {
    "tr": LockingTable("tr", 1, "Turkish", _TURKISH_LOCKING),
    "pt": LockingTable("pt", 3, "Portuguese", _PORTUGUESE_LOCKING),
}
LOCKING_BY_NLI: dict[int, LockingTable] = {t.nli: t for t in LOCKING_TABLES.values()}
for _table in LOCKING_TABLES.values():
    assert len(_table.septets) == 128 and _table.septets[_ESC] == "\x1b", _table.code
