"""National language single shift tables (3GPP TS 23.038 §6.2.1.2.2 and Annex A.2).

A single shift table replaces the default extension table for one message: the receiving phone
learns which one from the "National Language Single Shift" information element (IEI 0x24,
23.040 §9.2.3.24.15) in the user data header, and every `ESC <code>` pair is then read from
the national table. The basic table (the 128 default characters) stays the same. modemd never
sends locking shift tables (IEI 0x25): a phone that ignores the IE still shows every basic
character right, and only the shifted ones wrong.

Each national table below repeats the default extension characters (form feed, `^ { } \\ [ ~ ]
| €`) at their usual codes and adds the language's letters. Written from 23.038 Annex A.2.1
(Turkish), A.2.2 (Spanish) and A.2.3 (Portuguese), code by code.
"""

from __future__ import annotations

from dataclasses import dataclass

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
