"""National language single shift tables (23.038 §6.2.1.2, Annex A.2) and their IE 0x24.

libGammu (1.42, through python-gammu) has no national language tables: it reports a UDH with
IE 0x24 as "UserUDH" and shows each `ESC <code>` pair as '¹' followed by the basic-table
character of <code>. So the text is checked here against vectors computed by hand from the
spec, and libGammu is used for what it can judge: that the header, the fill bits and every
septet sit where 23.040 puts them (its view must equal ours with each shifted letter written
as '¹' + basic character).
"""

from __future__ import annotations

from datetime import UTC, datetime

import gammu
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modemd.gsm7 import BASIC
from modemd.national import TABLES
from modemd.pdu import decode_pdu, encode_deliver, encode_submit_parts
from modemd.segments import NATIONAL_PART, NATIONAL_SINGLE, split_text

TO = "+4917612345678"
DA = "0D91947116325476F8"  # TP-DA of TO: 13 digits, international, swapped BCD
TS = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


# --- the tables, code by code from Annex A.2 ---------------------------------------------
@pytest.mark.parametrize(("code", "nli", "letters"), [
    ("tr", 1, {0x47: "Ğ", 0x49: "İ", 0x53: "Ş", 0x63: "ç", 0x67: "ğ", 0x69: "ı", 0x73: "ş"}),
    ("es", 2, {0x09: "ç", 0x41: "Á", 0x49: "Í", 0x4F: "Ó", 0x55: "Ú", 0x61: "á", 0x69: "í",
               0x6F: "ó", 0x75: "ú"}),
    ("pt", 3, {0x05: "ê", 0x09: "ç", 0x0B: "Ô", 0x0C: "ô", 0x0E: "Á", 0x0F: "á", 0x1F: "Ê",
               0x41: "À", 0x49: "Í", 0x4F: "Ó", 0x55: "Ú", 0x5B: "Ã", 0x5C: "Õ", 0x61: "Â",
               0x69: "í", 0x6F: "ó", 0x75: "ú", 0x7B: "ã", 0x7C: "õ", 0x7F: "â"}),
])
def test_tables_follow_annex_a2(code: str, nli: int, letters: dict[int, str]) -> None:
    table = TABLES[code]
    assert table.nli == nli
    for septet, ch in letters.items():
        assert table.chars[ch] == septet
    # The default extension characters keep their codes in every national table.
    for ch, septet in {"\x0c": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C,
                       "~": 0x3D, "]": 0x3E, "|": 0x40, "€": 0x65}.items():
        assert table.chars[ch] == septet


# --- hand-computed vectors --------------------------------------------------------------
# UDH 03 24 01 <nli> is 4 octets = 32 bits; the text starts at septet 5 (bit 35), after 3
# fill bits. ESC (0011011) then the code; 17 bits end one bit into an octet, so the last 7
# bits carry CR (23.038 §6.1.2.3.1). E.g. Turkish ş = ESC 0x73:
#   octet 4: ESC bits 0-4 << 3        = 11011000 = D8
#   octet 5: ESC bits 5-6, 0x73 bits 0-5 = 110011|00 = CC
#   octet 6: 0x73 bit 6, CR << 1      = 0001101|1 = 1B
VECTORS = [
    ("tr", "ş", "07032401" "01D8CC1B"),
    ("es", "á", "07032401" "02D8841B"),  # 0x61: 100001|00 = 84
    ("pt", "ã", "07032401" "03D8EC1B"),  # 0x7B: 111011|00 = EC
]


@pytest.mark.parametrize(("code", "text", "ud"), VECTORS)
def test_decode_hand_computed_submit(code: str, text: str, ud: str) -> None:
    pdu = "00" + "41" + "00" + DA + "00" + "00" + ud  # SUBMIT with UDHI, no TP-VP
    decoded = decode_pdu(pdu, direction="mo")
    assert decoded.user_data.text == text
    assert decoded.user_data.language == code
    assert decoded.user_data.encoding == "gsm7"


@pytest.mark.parametrize(("code", "text", "ud"), VECTORS)
def test_encode_deliver_matches_hand_computed(code: str, text: str, ud: str) -> None:
    pdu = encode_deliver(TO, text, TS, language=code)
    assert pdu.endswith(ud)
    back = decode_pdu(pdu)
    assert (back.user_data.text, back.user_data.language) == (text, code)


def test_unknown_nli_falls_back_to_the_default_extension_table() -> None:
    ud = "07032401" "09D8CC1B"  # NLI 9 (a table modemd does not have): ESC 0x73 is not known
    decoded = decode_pdu("00" + "41" + "00" + DA + "0000" + ud, direction="mo")
    assert decoded.user_data.language is None
    assert decoded.user_data.text == BASIC[0x73]  # 23.038 §6.2.1.1: show the basic character


# --- choosing and splitting -------------------------------------------------------------
TURKISH = "Sayın Şükrü Yılmaz, randevunuz yarın saat 10:00'da. İptal için lütfen arayın. "


def test_national_only_when_enabled() -> None:
    text = TURKISH * 2
    assert split_text(text).encoding == "ucs2"
    seg = split_text(text, national=["tr"])
    assert (seg.encoding, seg.language) == ("gsm7", "tr")
    assert seg.segments < split_text(text).segments


def test_limits_with_the_shift_header() -> None:
    # 155 septets in a single SMS, 149 per part: the 3-octet IE costs 5 resp. 6 septets.
    base = "ş" + "a" * 152  # 154 septets
    assert split_text(base + "a", national=["tr"]).segments == 1  # 155
    seg = split_text(base + "aa", national=["tr"])  # 156
    assert seg.segments == 2 and seg.language == "tr"
    assert seg.segment_ends == (NATIONAL_PART - 1, 155)  # ş=2 + 147 a = 149 septets
    assert NATIONAL_SINGLE == 155 and NATIONAL_PART == 149


def test_tie_with_ucs2_stays_ucs2() -> None:
    assert split_text("ş", national=["tr"]).language is None  # 1 SMS either way


def test_text_outside_every_table_stays_ucs2() -> None:
    seg = split_text("Şükrü 😀 " * 10, national=["tr", "es", "pt"])
    assert seg.encoding == "ucs2" and seg.language is None


def test_best_table_wins() -> None:
    text = "Olá João, a sua consulta é amanhã às 10h. Não se esqueça! " * 2
    seg = split_text(text, national=["tr", "es", "pt"])
    assert seg.language == "pt"  # ã and õ are only in the Portuguese table


# --- SMS-SUBMIT parts through libGammu ----------------------------------------------------
def _as_libgammu_shows(text: str, code: str) -> str:
    table = TABLES[code].chars
    return "".join(ch if ch in BASIC else "¹" + BASIC[table[ch]] for ch in text)


@pytest.mark.parametrize(("code", "text"), [
    ("tr", TURKISH * 2),
    ("tr", TURKISH * 4),
    ("es", "Hola, su cita en la clínica es mañana a las 10. Llámenos si no puede venir. " * 2),
    ("pt", "Olá João, a sua consulta é amanhã às 10h. Não se esqueça! " * 3),
])
def test_submit_parts_carry_ie_0x24(code: str, text: str) -> None:
    pdus = encode_submit_parts(TO, text, concat_ref=0x42, national=[code])
    seg = split_text(text, national=[code])
    assert len(pdus) == seg.segments > 1
    nli = TABLES[code].nli
    for seq, (pdu, part) in enumerate(zip(pdus, seg.parts, strict=True), start=1):
        ours = decode_pdu(pdu.hex, direction="mo").user_data
        assert (ours.text, ours.language, ours.concat.seq) == (part, code, seq)
        g = gammu.DecodePDU(bytes.fromhex(pdu.hex), SMSC=True)
        assert g["UDH"]["Text"] == bytes([8, 0, 3, 0x42, len(pdus), seq, 0x24, 1, nli])
        assert g["Text"] == _as_libgammu_shows(part, code)
    assert "".join(decode_pdu(p.hex, direction="mo").user_data.text for p in pdus) == text


def test_single_part_carries_only_the_shift_ie() -> None:
    text = TURKISH[:75]
    (pdu,) = encode_submit_parts(TO, text, concat_ref=1, national=["tr"])
    g = gammu.DecodePDU(bytes.fromhex(pdu.hex), SMSC=True)
    assert g["UDH"]["Text"] == bytes([3, 0x24, 1, 1])
    assert g["Text"] == _as_libgammu_shows(text, "tr")


def test_without_national_the_pdus_are_unchanged() -> None:
    text = "Termin am 19.08. um 16:30 Uhr"
    assert encode_submit_parts(TO, text, concat_ref=3, national=["tr"]) == \
        encode_submit_parts(TO, text, concat_ref=3)


_LETTERS = st.sampled_from(sorted(set(TABLES["tr"].chars) | set(TABLES["pt"].chars)
                                  | set("abcdefgh ,.äöü")))


@settings(max_examples=150, deadline=None)
@given(st.lists(_LETTERS, min_size=1, max_size=400).map("".join))
def test_round_trip_property(text: str) -> None:
    national = ["tr", "es", "pt"]
    seg = split_text(text, national=national)
    pdus = encode_submit_parts(TO, text, concat_ref=9, national=national)
    assert len(pdus) == seg.segments
    decoded = [decode_pdu(p.hex, direction="mo").user_data for p in pdus]
    assert all(d.language == seg.language for d in decoded)
    if seg.encoding == "gsm7":
        assert "".join(d.text for d in decoded) == text
    for p in pdus:
        assert p.tpdu_length <= 140 + 28  # header + 140 octets of user data at most
