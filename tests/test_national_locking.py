"""National language locking shift tables (23.038 Annex A.3) and their IE 0x25 (23.040
§9.2.3.24.16), opt-in through `sms.national_locking`.

libGammu (python-gammu) knows no national tables: it reads a locking-shift message with the
default alphabet, i.e. exactly as a phone without the table would show it. So the text is
checked against vectors computed by hand from the spec, and libGammu confirms what it can: the
UDH bytes, the septet count and that every septet sits where 23.040 puts it (its text equals
our septets read through the default alphabet).
"""

from __future__ import annotations

from datetime import UTC, datetime

import gammu
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modemd.analysis import analyze
from modemd.config import ConfigError, parse_config
from modemd.gsm7 import BASIC, EXTENSION, encode_septets
from modemd.national import LOCKING_BY_NLI, LOCKING_TABLES, TABLES
from modemd.pdu import decode_pdu, encode_deliver, encode_submit_parts
from modemd.segments import (
    BOTH_SHIFTS_PART,
    BOTH_SHIFTS_SINGLE,
    GSM7_PART,
    GSM7_SINGLE,
    NATIONAL_PART,
    NATIONAL_SINGLE,
    gsm7_septets_left,
    split_text,
)

TO = "+4917612345678"
DA = "0D91947116325476F8"  # TP-DA of TO
TS = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)

# A realistic Turkish appointment reminder of exactly 155 characters, 12 of them Turkish
# letters outside the default alphabet (ı ş ğ): 155 septets with the locking table.
REMINDER = ("Sayın Ayşe Yılmaz, diş hekimi randevunuz 14 Mart Perşembe saat 10:30'da. "
            "Gelemeyecekseniz lütfen 0212 555 12 34 numarasını arayın. Sağlıklı günler dileriz!")
PORTUGUESE = ("Olá João, a sua consulta no consultório dentário é amanhã às 10h30. Se não puder "
              "vir, ligue-nos até às 18h. Obrigado e até amanhã! Clínica Sorriso, Lisboa")


# --- the tables, code by code from Annex A.3 ---------------------------------------------
# Every code where the locking table differs from the default alphabet, hand-copied from
# 23.038 A.3.1 / A.3.3; every other code (the escape 0x1B included) is the default character.
TURKISH_CHANGES = {0x04: "€", 0x07: "ı", 0x0B: "Ğ", 0x0C: "ğ", 0x1C: "Ş", 0x1D: "ş",
                   0x40: "İ", 0x60: "ç"}
PORTUGUESE_CHANGES = {
    0x04: "ê", 0x06: "ú", 0x07: "í", 0x08: "ó", 0x09: "ç", 0x0B: "Ô", 0x0C: "ô", 0x0E: "Á",
    0x0F: "á", 0x12: "ª", 0x13: "Ç", 0x14: "À", 0x15: "∞", 0x16: "^", 0x17: "\\", 0x18: "€",
    0x19: "Ó", 0x1A: "|", 0x1C: "Â", 0x1D: "â", 0x1E: "Ê", 0x24: "º", 0x40: "Í", 0x5B: "Ã",
    0x5C: "Õ", 0x5D: "Ú", 0x60: "~", 0x7B: "ã", 0x7C: "õ", 0x7D: "`",
}


@pytest.mark.parametrize(("code", "nli", "changes"), [
    ("tr", 1, TURKISH_CHANGES), ("pt", 3, PORTUGUESE_CHANGES),
])
def test_tables_follow_annex_a3(code: str, nli: int, changes: dict[int, str]) -> None:
    table = LOCKING_TABLES[code]
    assert table.nli == nli and LOCKING_BY_NLI[nli] is table
    assert len(table.septets) == 128
    assert len(set(table.septets)) == 128  # 128 distinct entries
    assert len(table.chars) == 127  # every code but the escape maps back to itself
    for septet in range(128):
        assert table.septets[septet] == changes.get(septet, BASIC[septet]), hex(septet)
    for septet, ch in changes.items():
        assert table.chars[ch] == septet


def test_spot_checks_against_the_spec_layout() -> None:
    # A few positions read off the printed tables (column b7b6b5, row b4..b1).
    tr = LOCKING_TABLES["tr"].septets
    assert (tr[0x00], tr[0x09], tr[0x0B], tr[0x0C], tr[0x1F], tr[0x24], tr[0x5F], tr[0x7F]) \
        == ("@", "Ç", "Ğ", "ğ", "É", "¤", "§", "à")
    pt = LOCKING_TABLES["pt"].septets
    assert (pt[0x05], pt[0x10], pt[0x11], pt[0x1F], pt[0x5E], pt[0x7E]) \
        == ("é", "Δ", "_", "É", "Ü", "ü")
    assert "es" not in LOCKING_TABLES  # A.3.2 is void


# --- header sizes -----------------------------------------------------------------------
def test_septets_left_follow_from_the_udh_length() -> None:
    # UDHL + IEs, rounded up to whole septets (fill bits): 4 octets -> 5 septets, 7 -> 8,
    # 6 -> 7, 9 -> 11, 12 -> 14.
    assert (GSM7_SINGLE, GSM7_PART) == (160, 153)
    assert (NATIONAL_SINGLE, NATIONAL_PART) == (155, 149)
    assert (BOTH_SHIFTS_SINGLE, BOTH_SHIFTS_PART) == (152, 146)
    assert [gsm7_septets_left(n) for n in (0, 3, 5, 6, 8, 11)] == [160, 155, 153, 152, 149, 146]


def test_locking_limits() -> None:
    base = "ş" * 60 + "a" * 95  # 155 septets with the Turkish locking table, 215 without
    one = split_text(base, national=["tr"], locking=True)
    assert (one.segments, one.locking, one.language, one.remaining) == (1, "tr", None, 0)
    two = split_text(base + "a" * 100, national=["tr"], locking=True)  # 255 septets (315)
    assert (two.segments, two.locking) == (2, "tr")
    assert two.segment_ends == (NATIONAL_PART, 255)  # 149 septets in the first part


def test_locking_with_single_shift_limits() -> None:
    # Turkish locking + Portuguese single shift: "á" exists only through ESC (2 septets).
    base = "ş" * 40 + "á" * 2 + "a" * 108  # 40 + 4 + 108 = 152 septets
    one = split_text(base, national=["tr", "pt"], locking=True)
    assert (one.segments, one.locking, one.language, one.units) == (1, "tr", "pt", 152)
    two = split_text(base + "a", national=["tr", "pt"], locking=True)
    assert (two.locking, two.language, two.segments) == ("tr", "pt", 2)
    assert sum(1 if ch != "á" else 2 for ch in two.parts[0]) == BOTH_SHIFTS_PART


# --- choosing ---------------------------------------------------------------------------
def test_reminder_fits_one_sms_only_with_locking() -> None:
    assert len(REMINDER) == 155
    assert (split_text(REMINDER).encoding, split_text(REMINDER).segments) == ("ucs2", 3)
    single = split_text(REMINDER, national=["tr"])
    assert (single.language, single.locking, single.segments) == ("tr", None, 2)
    locked = split_text(REMINDER, national=["tr"], locking=True)
    assert (locked.encoding, locked.locking, locked.language) == ("gsm7", "tr", None)
    assert (locked.segments, locked.units, locked.remaining) == (1, 155, 0)


def test_locking_is_opt_in_and_needs_the_language() -> None:
    assert split_text(REMINDER, national=["tr"]).locking is None
    assert split_text(REMINDER, national=["es"], locking=True).locking is None  # no table
    assert split_text(PORTUGUESE, national=["pt"], locking=True).locking == "pt"


def test_ties_prefer_the_safer_choice() -> None:
    assert split_text("Termin [morgen]", national=["tr"], locking=True).locking is None
    # 1 SMS in UCS-2 as well: UCS-2 wins.
    assert split_text("Sayın Ayşe", national=["tr"], locking=True).encoding == "ucs2"
    # 160 characters: single shift 2 parts, locking 2 parts -> single shift.
    text = REMINDER[:150] + "aaaaaaaaaa"
    assert split_text(text, national=["tr"], locking=True).locking is None


def test_analysis_reports_the_locking_table() -> None:
    a = analyze(REMINDER, national=["tr"], locking=True)
    assert (a.segments, a.national_locking_language, a.national_language) == (1, "tr", None)
    assert a.national_saving == 2 and a.costly == ()  # Turkish letters cost one septet
    body = a.to_json()
    assert body["national_locking_language"] == "tr" and body["count"] == "[155 Zeichen | 1 SMS]"
    assert analyze(REMINDER, national=["tr"]).to_json()["national_locking_language"] is None


# --- hand-computed PDU vectors ----------------------------------------------------------
# 1) Locking IE alone: UDH 03 25 01 01 = 4 octets = 32 bits, 3 fill bits, text from septet 5.
#    "ş" = 0x1D (0011101): octet 11101|000 = E8, then bits 5-6 = 00 -> 00. UDL 5 + 1 = 6.
# 2) Locking + single shift: UDH 06 24 01 01 25 01 01 = 7 octets = 56 bits = 8 septets, no
#    fill. "Şı{" = 1C, 07, ESC 28 (the Turkish single shift table repeats "{" at 0x28):
#    0x1C | 1<<7 = 9C; 0x07>>1 | (0x1B & 3)<<6 = C3; 0x1B>>2 | (0x28 & 7)<<5 = 06; 0x28>>3 = 05.
#    UDL 8 + 4 = 12.
# 3) Concatenation + both: UDH 0B 00 03 42 02 01 24 01 01 25 01 01 = 12 octets = 96 bits,
#    14 septets = 98 bits: 2 fill bits. "ğ|" = 0C, ESC 40: 0x0C<<2 = 30; 0x1B<<1 = 36; 40.
#    UDL 14 + 3 = 17.
VECTORS = [
    ("ş", None, None, "06" "03250101" "E800"),
    ("Şı{", "tr", None, "0C" "06240101250101" "9CC30605"),
    ("ğ|", "tr", (0x42, 2, 1), "11" "0B" "0003420201" "240101" "250101" "303640"),
]


@pytest.mark.parametrize(("text", "single", "concat", "ud"), VECTORS)
def test_decode_hand_computed_submit(text: str, single: str | None, concat: tuple | None,
                                     ud: str) -> None:
    decoded = decode_pdu("00" + "41" + "00" + DA + "00" + "00" + ud, direction="mo")
    data = decoded.user_data
    assert (data.text, data.encoding) == (text, "gsm7")
    assert (data.locking_language, data.language) == ("tr", single)
    if concat:
        assert (data.concat.ref, data.concat.total, data.concat.seq) == concat


@pytest.mark.parametrize(("text", "single", "concat", "ud"), VECTORS[:2])
def test_encode_deliver_matches_hand_computed(text: str, single: str | None, concat: None,
                                              ud: str) -> None:
    pdu = encode_deliver(TO, text, TS, language=single, locking="tr")
    assert pdu.endswith(ud)
    back = decode_pdu(pdu).user_data
    assert (back.text, back.language, back.locking_language) == (text, single, "tr")


def test_ie_order_does_not_matter_when_decoding() -> None:
    ud = "0C" "06250101240101" "9CC30605"  # 0x25 before 0x24
    data = decode_pdu("00" "41" "00" + DA + "0000" + ud, direction="mo").user_data
    assert (data.text, data.language, data.locking_language) == ("Şı{", "tr", "tr")


def test_unknown_locking_nli_keeps_the_default_alphabet() -> None:
    ud = "06" "03250109" "E800"  # NLI 9: no table here
    data = decode_pdu("00" "41" "00" + DA + "0000" + ud, direction="mo").user_data
    assert data.locking_language is None and data.text == BASIC[0x1D]


def test_reminder_submit_header_and_length() -> None:
    (pdu,) = encode_submit_parts(TO, REMINDER, concat_ref=1, national=["tr"], locking=True)
    raw = bytes.fromhex(pdu.hex)
    # SMSC 00, FO 71 (SUBMIT|VPF relative|SRR|UDHI), MR, DA, PID, DCS 00, VP, then UDL.
    header = bytes.fromhex("00" "71" "00" + DA + "00" "00" "A9")
    assert raw.startswith(header)
    udl, ud = raw[len(header)], raw[len(header) + 1:]
    assert udl == 5 + 155 == 160
    assert ud[:4] == bytes([3, 0x25, 1, 1])
    assert len(ud) == 140  # 4 header octets + ceil((3 fill + 155 * 7) / 8) = 136
    data = decode_pdu(pdu.hex, direction="mo").user_data
    assert (data.text, data.locking_language, data.language) == (REMINDER, "tr", None)


# --- libGammu cross-check ---------------------------------------------------------------
def _as_default_alphabet(septets: list[int]) -> str:
    """What libGammu (and a phone without the table) reads from our septets."""
    out: list[str] = []
    ext = {v: k for k, v in EXTENSION.items()}
    i = 0
    while i < len(septets):
        if septets[i] == 0x1B:
            code = septets[i + 1]
            out.append(ext[code] if code in ext else "¹" + BASIC[code])
            i += 2
        else:
            out.append(BASIC[septets[i]])
            i += 1
    return "".join(out)


@pytest.mark.parametrize(("text", "national"), [
    (REMINDER, ["tr"]),
    (REMINDER + " " + REMINDER[:142], ["tr"]),
    (PORTUGUESE, ["pt"]),
    (PORTUGUESE + " " + PORTUGUESE[:143], ["pt"]),
    ("ş" * 60 + "á" * 40 + " [ok]", ["tr", "pt"]),  # locking tr + single pt, 2 parts
])
def test_libgammu_sees_our_header_and_septets(text: str, national: list[str]) -> None:
    seg = split_text(text, national=national, locking=True)
    assert seg.locking is not None
    pdus = encode_submit_parts(TO, text, concat_ref=0x42, national=national, locking=True)
    assert len(pdus) == seg.segments
    ies = b""
    if seg.language:
        ies += bytes([0x24, 1, TABLES[seg.language].nli])
    ies += bytes([0x25, 1, LOCKING_TABLES[seg.locking].nli])
    for seq, (pdu, part) in enumerate(zip(pdus, seg.parts, strict=True), start=1):
        g = gammu.DecodePDU(bytes.fromhex(pdu.hex), SMSC=True)
        concat = bytes([0, 3, 0x42, len(pdus), seq]) if len(pdus) > 1 else b""
        assert g["UDH"]["Text"] == bytes([len(concat + ies)]) + concat + ies
        single = TABLES[seg.language].chars if seg.language else EXTENSION
        septets = encode_septets(part, single, LOCKING_TABLES[seg.locking].chars)
        assert g["Length"] == len(septets)
        expected = _as_default_alphabet(septets)
        # libGammu may append stale bytes after the text (DESIGN.md quirks): compare the
        # text it decoded from the announced septets.
        assert g["Text"][:len(expected)] == expected
        ours = decode_pdu(pdu.hex, direction="mo").user_data
        assert (ours.text, ours.locking_language, ours.language) == (part, seg.locking,
                                                                    seg.language)


# --- round trips ------------------------------------------------------------------------
def _alphabet(code: str) -> list[str]:
    """Everything the locking and single shift tables of `code` (and the default) can carry."""
    return sorted((set(LOCKING_TABLES[code].chars) | set(TABLES[code].chars) | set(BASIC)
                  | set(EXTENSION)) - {"\x1b"})


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["tr", "pt"]), st.data())
def test_round_trip_property(code: str, data: st.DataObject) -> None:
    # Random texts over one language's alphabets: depending on the draw they go out plain,
    # with a single shift table, with the locking table, with both, or as UCS-2.
    text = data.draw(st.lists(st.sampled_from(_alphabet(code)), min_size=1, max_size=400)
                     .map("".join))
    national = ["tr", "es", "pt"]
    seg = split_text(text, national=national, locking=True)
    pdus = encode_submit_parts(TO, text, concat_ref=9, national=national, locking=True)
    assert len(pdus) == seg.segments
    decoded = [decode_pdu(p.hex, direction="mo").user_data for p in pdus]
    assert all((d.language, d.locking_language) == (seg.language, seg.locking)
               for d in decoded)
    assert "".join(d.text for d in decoded) == text
    assert all(d.text == part for d, part in zip(decoded, seg.parts, strict=True))
    # Never worse than without locking, and a locking table only when it saves a part.
    without = split_text(text, national=national)
    assert seg.segments <= without.segments
    if seg.locking is not None:
        assert seg.segments < without.segments


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["tr", "pt"]), st.data())
def test_every_locking_character_round_trips(code: str, data: st.DataObject) -> None:
    alphabet = sorted(set(LOCKING_TABLES[code].chars) | set(TABLES[code].chars))
    text = data.draw(st.lists(st.sampled_from(alphabet), min_size=1, max_size=70).map("".join))
    pdu = encode_deliver(TO, text, TS, language=code, locking=code)
    back = decode_pdu(pdu).user_data
    assert (back.text, back.language, back.locking_language) == (text, code, code)


# --- configuration ----------------------------------------------------------------------
def test_config_key() -> None:
    assert parse_config({}).sms.national_locking is False
    cfg = parse_config({"sms": {"national_language_tables": ["tr"], "national_locking": True}})
    assert cfg.sms.national_locking is True
    with pytest.raises(ConfigError, match="sms.national_locking"):
        parse_config({"sms": {"national_locking": "ja"}})


# --- end to end through the simulated modem ----------------------------------------------
def test_end_to_end_locking_send(start_daemon) -> None:
    run = start_daemon(1, sms={"national_language_tables": ["tr"], "national_locking": True})
    status, body = run.api.call("POST", "/api/v1/analyze", {"text": REMINDER})
    assert status == 200
    assert (body["segments"], body["national_locking_language"], body["national_language"]) \
        == (1, "tr", None)
    m = run.api.send(TO, REMINDER)
    assert (m["encoding"], m["segments"]) == ("gsm7", 1)
    # The count shown is the one the locking table gives (each letter one septet).
    assert m["units"] == body["units"] == len(REMINDER)
    assert m["count"] == f"[{len(REMINDER)} Zeichen | 1 SMS]"
    assert run.api.wait_final(m["id"])["status"] == "sent"
    (received,) = run.modems[0].wait_for_pdus(1, timeout=20)
    data = decode_pdu(received.pdu_hex, direction="mo").user_data
    assert (data.text, data.locking_language, data.language) == (REMINDER, "tr", None)

    long = REMINDER + " " + REMINDER[:142]  # 298 septets: 2 parts (single shift 3, UCS-2 5)
    m2 = run.api.send(TO, long)
    assert (m2["encoding"], m2["segments"]) == ("gsm7", 2)
    assert run.api.wait_final(m2["id"])["status"] == "sent"
    parts = run.modems[0].wait_for_pdus(3, timeout=20)[1:]
    decoded = [decode_pdu(r.pdu_hex, direction="mo").user_data for r in parts]
    assert [d.concat.seq for d in decoded] == [1, 2]
    assert all(d.locking_language == "tr" for d in decoded)
    assert "".join(d.text for d in decoded) == long


def test_end_to_end_locking_off_by_default(start_daemon) -> None:
    run = start_daemon(0, sms={"national_language_tables": ["tr"]})
    status, body = run.api.call("POST", "/api/v1/analyze", {"text": REMINDER})
    assert status == 200 and body["national_locking_language"] is None
    assert (body["segments"], body["national_language"]) == (2, "tr")
