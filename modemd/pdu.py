"""SMS PDUs (3GPP TS 23.040 §9.2): SMS-SUBMIT, SMS-DELIVER and SMS-STATUS-REPORT.

Pure: hex or bytes in, frozen dataclasses out, CodecError for anything malformed. Every PDU
this module writes starts with an empty SMSC field ("00") so that the modem uses the SMSC
stored on its SIM.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from modemd.errors import CodecError
from modemd.gsm7 import (
    BASIC,
    EXTENSION,
    decode_septets,
    encode_septets,
    is_gsm7,
    pack_septets,
    unpack_septets,
)
from modemd.national import (
    BY_NLI,
    IEI_LOCKING_SHIFT,
    IEI_SINGLE_SHIFT,
    LOCKING_BY_NLI,
    LOCKING_TABLES,
    TABLES,
)
from modemd.segments import DEFAULT_MAX_CHARACTERS, split_text

# TP-MTI values (23.040 §9.2.3.1), by direction.
_MTI_DELIVER = 0b00
_MTI_SUBMIT = 0b01
_MTI_STATUS_REPORT = 0b10

# First-octet flags.
_RP = 0x80
_UDHI = 0x40
_SRR = 0x20  # TP-SRR in SUBMIT, TP-SRI in DELIVER, TP-SRQ in STATUS-REPORT
_MMS = 0x04  # TP-MMS in DELIVER/STATUS-REPORT: set = no more messages waiting
_VPF_RELATIVE = 0x10

_IEI_CONCAT_8 = 0x00
_IEI_CONCAT_16 = 0x08

_TOA_INTERNATIONAL = 0x91
_TOA_UNKNOWN = 0x81
_TOA_ALPHANUMERIC = 0xD0  # TON 101 (alphanumeric), NPI 0000

_MAX_UD_OCTETS = 140
_BCD_DIGITS = "0123456789*#abc"

# 23.040 §9.2.3.12.1: the longest relative validity period, 63 weeks.
MAX_VALIDITY_MINUTES = 63 * 7 * 24 * 60


@dataclass(frozen=True)
class Concat:
    """A concatenation IE: 8-bit (IE 0x00) or 16-bit (IE 0x08) reference, 1-based seq."""

    ref: int
    total: int
    seq: int
    ref_bits: int = 8


@dataclass(frozen=True)
class SubmitPdu:
    """One SMS-SUBMIT ready for AT+CMGS=<tpdu_length>, then `hex` and Ctrl-Z."""

    hex: str
    tpdu_length: int
    part: int
    total: int


@dataclass(frozen=True)
class UserData:
    """Decoded TP-UD.

    `raw` is the user data octets after the UDH in every encoding: the 8-bit payload, the UTF-16
    octets (so an assembler can rejoin a surrogate pair a sender split across parts), or the
    packed septets (fill bits included). 8-bit and compressed data (23.042, which no handset we
    meet sends) have encoding "8bit" and an empty `text`.
    """

    text: str
    encoding: str  # "gsm7" | "ucs2" | "8bit"
    concat: Concat | None
    raw: bytes
    language: str | None = None  # national single shift table named by IE 0x24 ("tr", …)
    locking_language: str | None = None  # national locking shift table named by IE 0x25


@dataclass(frozen=True)
class Submit:
    """A decoded SMS-SUBMIT (mobile originated)."""

    smsc: str | None
    to: str
    message_ref: int
    status_report: bool
    validity_minutes: int | None
    dcs: int
    user_data: UserData


@dataclass(frozen=True)
class Deliver:
    """A decoded SMS-DELIVER (a received message or message part)."""

    smsc: str | None
    sender: str
    timestamp: datetime
    dcs: int
    user_data: UserData
    more_messages: bool


@dataclass(frozen=True)
class StatusReport:
    """A decoded SMS-STATUS-REPORT; `status` is the raw TP-ST (see status_class)."""

    smsc: str | None
    message_ref: int
    recipient: str
    sc_timestamp: datetime
    discharge_time: datetime
    status: int


def status_class(st: int) -> str:
    """Classify a TP-ST value (23.040 §9.2.3.15): delivered, temporary or permanent.

    0x00-0x1F: transaction completed; 0x20-0x3F: the SC is still trying; everything else
    (0x40-0x7F, and reserved values above) means the SC has given up.
    """
    if 0x00 <= st <= 0x1F:
        return "delivered"
    if 0x20 <= st <= 0x3F:
        return "temporary"
    return "permanent"


# --------------------------------------------------------------------------- encoding


def _encode_number(number: str) -> bytes:
    """TP-DA/TP-OA for a digit string: length in digits, TOA, swapped BCD."""
    international = number.startswith("+")
    digits = number[1:] if international else number
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > 20:
        raise CodecError(f"not a phone number: {number!r}")
    toa = _TOA_INTERNATIONAL if international else _TOA_UNKNOWN
    padded = digits + ("F" if len(digits) % 2 else "")
    swapped = "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))
    return bytes([len(digits), toa]) + bytes.fromhex(swapped)


def _encode_alphanumeric(name: str) -> bytes:
    """An alphanumeric TP-OA: GSM-7 packed, length in semi-octets actually used."""
    try:
        septets = encode_septets(name)
    except CodecError as exc:
        raise CodecError(f"alphanumeric sender is not GSM-7: {name!r}") from exc
    if not septets or len(septets) > 11:
        raise CodecError(f"alphanumeric sender must be 1..11 septets: {name!r}")
    packed = _pack_plain(septets)
    return bytes([math.ceil(len(septets) * 7 / 4), _TOA_ALPHANUMERIC]) + packed


def _pack_plain(septets: list[int]) -> bytes:
    # Addresses carry their own length, so no CR padding (which could add an octet) applies.
    value = 0
    for i, s in enumerate(septets):
        value |= s << (7 * i)
    return value.to_bytes(math.ceil(len(septets) * 7 / 8), "little")


def _encode_address(address: str) -> bytes:
    if address.startswith("+") or (address.isascii() and address.isdigit()):
        return _encode_number(address)
    return _encode_alphanumeric(address)


def encode_validity(minutes: int) -> int:
    """Relative TP-VP octet (23.040 §9.2.3.12.1) for `minutes`, rounded up to the next
    representable period. Raises CodecError below 0 or above 63 weeks."""
    if minutes < 0 or minutes > MAX_VALIDITY_MINUTES:
        raise CodecError(f"validity period out of range: {minutes} minutes")
    if minutes <= 12 * 60:
        return max(math.ceil(minutes / 5) - 1, 0)
    if minutes <= 24 * 60:
        return 143 + math.ceil((minutes - 12 * 60) / 30)
    if minutes <= 30 * 24 * 60:
        return 166 + math.ceil(minutes / (24 * 60))
    return 192 + math.ceil(minutes / (7 * 24 * 60))


def decode_validity(vp: int) -> int:
    """Minutes of a relative TP-VP octet (23.040 §9.2.3.12.1)."""
    if vp <= 143:
        return (vp + 1) * 5
    if vp <= 167:
        return 12 * 60 + (vp - 143) * 30
    if vp <= 196:
        return (vp - 166) * 24 * 60
    return (vp - 192) * 7 * 24 * 60


def _bcd(value: int) -> int:
    """Two decimal digits, semi-octet swapped (units digit in the high nibble)."""
    return (value % 10) << 4 | (value // 10)


def _encode_timestamp(ts: datetime) -> bytes:
    """TP-SCTS/TP-DT (23.040 §9.2.3.11): 6 swapped BCD octets and a quarter-hour offset."""
    offset = ts.utcoffset()
    if offset is None:
        raise CodecError("timestamp must be timezone-aware")
    if not 2000 <= ts.year <= 2099:
        raise CodecError(f"timestamp year out of range: {ts.year}")
    quarters, rest = divmod(int(offset.total_seconds()), 15 * 60)
    if rest:
        raise CodecError(f"timezone offset is not a multiple of 15 minutes: {offset}")
    sign = 0x08 if quarters < 0 else 0
    quarters = abs(quarters)
    if quarters > 79:
        raise CodecError(f"timezone offset out of range: {offset}")
    fields = (ts.year - 2000, ts.month, ts.day, ts.hour, ts.minute, ts.second)
    return bytes(_bcd(v) for v in fields) + bytes([_bcd(quarters) | sign])


def _concat_ie(concat: Concat) -> bytes:
    if concat.ref_bits == 8:
        if not 0 <= concat.ref <= 0xFF:
            raise CodecError(f"8-bit concatenation reference out of range: {concat.ref}")
        ie = bytes([_IEI_CONCAT_8, 3, concat.ref])
    elif concat.ref_bits == 16:
        if not 0 <= concat.ref <= 0xFFFF:
            raise CodecError(f"16-bit concatenation reference out of range: {concat.ref}")
        ie = bytes([_IEI_CONCAT_16, 4]) + concat.ref.to_bytes(2, "big")
    else:
        raise CodecError(f"ref_bits must be 8 or 16, not {concat.ref_bits}")
    if not 1 <= concat.seq <= concat.total <= 255:
        raise CodecError(f"bad concatenation part {concat.seq} of {concat.total}")
    return ie + bytes([concat.total, concat.seq])


def _shift_ies(single: str | None, locking: str | None) -> bytes:
    """The National Language Single Shift and Locking Shift IEs (23.040 §9.2.3.24.15/16)
    for the tables named, in that order; nothing for None."""
    out = b""
    for code, tables, iei, what in ((single, TABLES, IEI_SINGLE_SHIFT, "national language"),
                                    (locking, LOCKING_TABLES, IEI_LOCKING_SHIFT,
                                     "national locking shift")):
        if code is None:
            continue
        table = tables.get(code)
        if table is None:
            raise CodecError(f"unknown {what} table: {code!r}")
        out += bytes([iei, 1, table.nli])
    return out


def _udh(*ies: bytes) -> bytes:
    """UDHL + the information elements, or nothing when there are none."""
    body = b"".join(ies)
    return bytes([len(body)]) + body if body else b""


def _encode_user_data(
    text: str, encoding: str, udh: bytes, language: str | None = None,
    locking: str | None = None,
) -> tuple[int, bytes]:
    """(DCS, TP-UDL + TP-UD) for one part; CodecError if it does not fit 140 octets."""
    if encoding == "gsm7":
        extension = TABLES[language].chars if language else EXTENSION
        basic = LOCKING_TABLES[locking].chars if locking else None
        septets = encode_septets(text, extension, basic)
        header_septets = math.ceil(len(udh) * 8 / 7)
        fill = header_septets * 7 - len(udh) * 8
        body = udh + pack_septets(septets, fill)
        udl = header_septets + len(septets)
        dcs = 0x00
        if udl > 160:
            raise CodecError(f"GSM-7 part too long: {udl} septets")
    elif encoding == "ucs2":
        try:
            body = udh + text.encode("utf-16-be")
        except UnicodeEncodeError as exc:
            raise CodecError(f"text cannot be encoded as UTF-16: {exc.reason}") from None
        udl = len(body)
        dcs = 0x08
    else:
        raise CodecError(f"unknown encoding: {encoding!r}")
    if len(body) > _MAX_UD_OCTETS:
        raise CodecError(f"user data too long: {len(body)} octets")
    return dcs, bytes([udl]) + body


def encode_submit_parts(
    to: str,
    text: str,
    *,
    concat_ref: int,
    status_report: bool = True,
    validity_minutes: int | None = 4320,
    message_ref: int = 0,
    max_characters: int = DEFAULT_MAX_CHARACTERS,
    national: Sequence[str] = (),
    locking: bool = False,
) -> list[SubmitPdu]:
    """SMS-SUBMIT PDUs for `text` to `to` ("+E.164" or a national digit string).

    The text is split by segments.split_text (TextError for empty/too long texts); parts of a
    multipart message carry an 8-bit concatenation IE with reference `concat_ref & 0xFF`.
    `national` enables national single shift tables, `locking` also their locking shift
    tables (see segments.split_text); every part carries the IE of each table used (0x24
    single shift, 0x25 locking shift, in that order after the concatenation IE).
    """
    seg = split_text(text, max_characters, national, locking)
    if seg.segments > 255:
        raise CodecError(f"{seg.segments} parts do not fit an 8-bit concatenation IE")
    if not 0 <= message_ref <= 0xFF:
        raise CodecError(f"message reference out of range: {message_ref}")
    first = _MTI_SUBMIT
    vp = b""
    if validity_minutes is not None:
        first |= _VPF_RELATIVE
        vp = bytes([encode_validity(validity_minutes)])
    if status_report:
        first |= _SRR
    address = _encode_number(to)
    shift = _shift_ies(seg.language, seg.locking)
    pdus: list[SubmitPdu] = []
    for seq, part in enumerate(seg.parts, start=1):
        concat = b""
        if seg.segments > 1:
            concat = _concat_ie(Concat(concat_ref & 0xFF, seg.segments, seq))
        udh = _udh(concat, shift)
        fo = first | (_UDHI if udh else 0)
        dcs, ud = _encode_user_data(part, seg.encoding, udh, seg.language, seg.locking)
        tpdu = bytes([fo, message_ref]) + address + bytes([0x00, dcs]) + vp + ud
        pdus.append(SubmitPdu("00" + tpdu.hex().upper(), len(tpdu), seq, seg.segments))
    return pdus


def encode_deliver(
    sender: str,
    text: str,
    timestamp: datetime,
    *,
    concat: Concat | None = None,
    encoding: str | None = None,
    language: str | None = None,
    locking: str | None = None,
) -> str:
    """One SMS-DELIVER as hex with an empty SMSC field ("00"), as a network would deliver it.

    `sender` is "+E.164", a national digit string or an alphanumeric name (up to 11 GSM-7
    characters). `encoding` is "gsm7" or "ucs2" (default: gsm7 when the text allows).
    `language` names a national single shift table, `locking` a national locking shift table
    for a GSM-7 text. The text must fit one part (with `concat`'s UDH if given); otherwise
    CodecError.
    """
    if encoding is None:
        encoding = "gsm7" if is_gsm7(text) or language or locking else "ucs2"
    udh = _udh(_concat_ie(concat) if concat is not None else b"",
               _shift_ies(language, locking))
    dcs, ud = _encode_user_data(text, encoding, udh, language, locking)
    fo = _MTI_DELIVER | _MMS | (_UDHI if udh else 0)
    tpdu = bytes([fo]) + _encode_address(sender) + bytes([0x00, dcs])
    tpdu += _encode_timestamp(timestamp) + ud
    return "00" + tpdu.hex().upper()


def encode_status_report(
    message_ref: int,
    recipient: str,
    sc_timestamp: datetime,
    discharge_time: datetime,
    status: int,
) -> str:
    """One SMS-STATUS-REPORT as hex with an empty SMSC field ("00")."""
    if not 0 <= message_ref <= 0xFF:
        raise CodecError(f"message reference out of range: {message_ref}")
    if not 0 <= status <= 0xFF:
        raise CodecError(f"status out of range: {status}")
    tpdu = bytes([_MTI_STATUS_REPORT | _MMS, message_ref]) + _encode_number(recipient)
    tpdu += _encode_timestamp(sc_timestamp) + _encode_timestamp(discharge_time)
    tpdu += bytes([status])
    return "00" + tpdu.hex().upper()


# --------------------------------------------------------------------------- decoding


class _Reader:
    """Bounds-checked cursor: running off the end is a CodecError, never an IndexError."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def octet(self, what: str) -> int:
        return self.take(1, what)[0]

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise CodecError(f"PDU too short: {what} needs {n} octets at offset {self.pos}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def rest(self) -> bytes:
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk


def _to_bytes(hex_or_bytes: str | bytes) -> bytes:
    if isinstance(hex_or_bytes, bytes | bytearray | memoryview):
        return bytes(hex_or_bytes)
    if not isinstance(hex_or_bytes, str):
        raise CodecError(f"PDU must be hex text or bytes, not {type(hex_or_bytes).__name__}")
    try:
        return bytes.fromhex("".join(hex_or_bytes.split()))
    except ValueError as exc:
        raise CodecError(f"PDU is not valid hex: {exc}") from None


def _bcd_digits(data: bytes, count: int | None = None) -> str:
    """Swapped semi-octets to digits; an F nibble ends the number."""
    out: list[str] = []
    for octet in data:
        for nibble in (octet & 0x0F, octet >> 4):
            if nibble == 0x0F:
                return "".join(out)
            out.append(_BCD_DIGITS[nibble])
    return "".join(out[:count] if count is not None else out)


def _format_number(toa: int, digits: str) -> str:
    ton = (toa >> 4) & 0x07
    return "+" + digits if ton == 1 and digits else digits


def _read_smsc(r: _Reader) -> str | None:
    length = r.octet("SMSC length")
    if length == 0:
        return None
    body = r.take(length, "SMSC address")
    toa, digits = body[0], body[1:]
    if (toa >> 4) & 0x07 == 5:
        return decode_septets(unpack_septets(digits, len(digits) * 8 // 7))
    return _format_number(toa, _bcd_digits(digits)) or None


def _read_address(r: _Reader, what: str) -> str:
    """TP-OA/TP-DA/TP-RA (23.040 §9.1.2.5): length in semi-octets, TOA, value."""
    semi_octets = r.octet(f"{what} length")
    toa = r.octet(f"{what} type")
    body = r.take((semi_octets + 1) // 2, what)
    if (toa >> 4) & 0x07 == 5:
        # Alphanumeric: GSM-7 packed; the length counts the semi-octets actually used.
        return decode_septets(unpack_septets(body, semi_octets * 4 // 7))
    return _format_number(toa, _bcd_digits(body, semi_octets))


def _read_timestamp(r: _Reader, what: str) -> datetime:
    raw = r.take(7, what)
    fields: list[int] = []
    for octet in raw[:6]:
        lo, hi = octet & 0x0F, octet >> 4
        if lo > 9 or hi > 9:
            raise CodecError(f"{what}: not a BCD octet: {octet:02X}")
        fields.append(lo * 10 + hi)
    tz = raw[6]
    tens, units = tz & 0x07, tz >> 4
    if units > 9:
        raise CodecError(f"{what}: bad timezone octet {tz:02X}")
    quarters = tens * 10 + units
    offset = timedelta(minutes=15 * quarters) * (-1 if tz & 0x08 else 1)
    year, month, day, hour, minute, second = fields
    # 23.040 gives no century; every timestamp a network sends today is in 20YY.
    try:
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError as exc:
        raise CodecError(f"{what}: invalid date: {exc}") from None


def _dcs_alphabet(dcs: int) -> tuple[str, bool]:
    """(alphabet, compressed) for a TP-DCS octet (23.038 §4)."""
    group = dcs >> 4
    if group <= 0b0111:
        # General data coding (00xx) and automatic deletion (01xx): bit 5 = compressed,
        # bits 3-2 = alphabet; the reserved alphabet 11 is read as GSM-7 (§4, "reserved").
        alphabet = {0: "gsm7", 1: "8bit", 2: "ucs2", 3: "gsm7"}[(dcs >> 2) & 0x03]
        return alphabet, bool(dcs & 0x20)
    if group in (0b1100, 0b1101):  # message waiting indication, discard/store, GSM-7
        return "gsm7", False
    if group == 0b1110:  # message waiting indication, store, UCS-2
        return "ucs2", False
    if group == 0b1111:  # data coding/message class: bit 2 selects 8-bit data
        return ("8bit" if dcs & 0x04 else "gsm7"), False
    # 1000..1011 are reserved coding groups: 23.038 §4 says assume the GSM-7 default alphabet.
    return "gsm7", False


def _parse_udh(udh: bytes) -> tuple[Concat | None, str | None, str | None]:
    """The concatenation IE and the national single and locking shift tables named in a UDH."""
    concat: Concat | None = None
    language: str | None = None
    locking: str | None = None
    i = 0
    while i < len(udh):
        if i + 2 > len(udh):
            raise CodecError("UDH: truncated information element")
        iei, length = udh[i], udh[i + 1]
        data = udh[i + 2 : i + 2 + length]
        if len(data) != length:
            raise CodecError(f"UDH: IE {iei:02X} runs past the header")
        i += 2 + length
        if iei == IEI_SINGLE_SHIFT and length == 1:
            # An NLI we have no table for keeps the default extension table (23.038 §6.2.1.2.4
            # leaves the reaction to the receiver; the basic characters stay right either way).
            table = BY_NLI.get(data[0])
            language = table.code if table else None
            continue
        if iei == IEI_LOCKING_SHIFT and length == 1:
            # An NLI without a table here keeps the default alphabet, as above.
            locking_table = LOCKING_BY_NLI.get(data[0])
            locking = locking_table.code if locking_table else None
            continue
        if iei == _IEI_CONCAT_8 and length == 3:
            ref, total, seq, bits = data[0], data[1], data[2], 8
        elif iei == _IEI_CONCAT_16 and length == 4:
            ref, total, seq, bits = int.from_bytes(data[:2], "big"), data[2], data[3], 16
        else:
            continue  # other IEs (ports, EMS formatting, ...) do not change the text
        # 23.040 §9.2.3.24.1: a zero total/sequence or a sequence past the total means the
        # whole IE is to be ignored.
        if total >= 1 and 1 <= seq <= total:
            concat = Concat(ref, total, seq, bits)
    return concat, language, locking


def _read_user_data(r: _Reader, dcs: int, udhi: bool) -> UserData:
    alphabet, compressed = _dcs_alphabet(dcs)
    udl = r.octet("TP-UDL")
    ud = r.rest()
    udh = b""
    if udhi:
        if not ud:
            raise CodecError("UDHI set but no user data")
        udhl = ud[0]
        if 1 + udhl > len(ud):
            raise CodecError("UDH runs past the user data")
        udh = ud[1 : 1 + udhl]
    concat, language, locking = _parse_udh(udh) if udhi else (None, None, None)
    header_octets = len(udh) + 1 if udhi else 0

    if alphabet == "gsm7" and not compressed:
        header_septets = math.ceil(header_octets * 8 / 7)
        if udl < header_septets:
            raise CodecError(f"TP-UDL {udl} is shorter than the {header_septets}-septet UDH")
        fill = header_septets * 7 - header_octets * 8
        body = ud[header_octets:]
        septets = unpack_septets(body, udl - header_septets, fill)
        raw = body[: math.ceil((fill + 7 * len(septets)) / 8)]
        shift = TABLES[language].by_septet if language else None
        basic = LOCKING_TABLES[locking].septets if locking else BASIC
        return UserData(decode_septets(septets, shift, basic), "gsm7", concat, raw, language,
                        locking)

    if udl > len(ud):
        raise CodecError(f"TP-UDL {udl} exceeds the {len(ud)} octets present")
    if udl < header_octets:
        raise CodecError(f"TP-UDL {udl} is shorter than the UDH")
    raw = ud[header_octets:udl]
    if alphabet == "ucs2" and not compressed:
        # Drop a stray odd octet (some phones send one); decode as UTF-16 so emoji survive.
        # A surrogate split across parts cannot decode here; it becomes U+FFFD and the
        # assembler can rebuild it from `raw`.
        text = raw[: len(raw) - len(raw) % 2].decode("utf-16-be", errors="replace")
        return UserData(text, "ucs2", concat, raw)
    # 8-bit data and compressed text (23.042, not implemented by handsets we meet): no text.
    return UserData("", "8bit", concat, raw)


def decode_pdu(
    hex_or_bytes: str | bytes, *, direction: str = "mt"
) -> Submit | Deliver | StatusReport:
    """Decode a PDU that starts with the SMSC field (as in +CMGL/+CMGR/+CMT/+CDS).

    direction "mt": received by the modem (SMS-DELIVER or SMS-STATUS-REPORT);
    direction "mo": sent from the modem (SMS-SUBMIT). Anything malformed is a CodecError.
    """
    if direction not in ("mt", "mo"):
        raise CodecError(f"direction must be 'mt' or 'mo', not {direction!r}")
    r = _Reader(_to_bytes(hex_or_bytes))
    smsc = _read_smsc(r)
    fo = r.octet("first octet")
    mti = fo & 0x03
    if direction == "mt" and mti == _MTI_DELIVER:
        sender = _read_address(r, "TP-OA")
        r.octet("TP-PID")
        dcs = r.octet("TP-DCS")
        ts = _read_timestamp(r, "TP-SCTS")
        ud = _read_user_data(r, dcs, bool(fo & _UDHI))
        return Deliver(smsc, sender, ts, dcs, ud, more_messages=not fo & _MMS)
    if direction == "mt" and mti == _MTI_STATUS_REPORT:
        mr = r.octet("TP-MR")
        recipient = _read_address(r, "TP-RA")
        scts = _read_timestamp(r, "TP-SCTS")
        dt = _read_timestamp(r, "TP-DT")
        st = r.octet("TP-ST")
        # TP-PI and optional PID/DCS/UD may follow; nothing in them matters to modemd.
        return StatusReport(smsc, mr, recipient, scts, dt, st)
    if direction == "mo" and mti == _MTI_SUBMIT:
        mr = r.octet("TP-MR")
        to = _read_address(r, "TP-DA")
        r.octet("TP-PID")
        dcs = r.octet("TP-DCS")
        vpf = (fo >> 3) & 0x03
        validity: int | None = None
        if vpf == 0b10:
            validity = decode_validity(r.octet("TP-VP"))
        elif vpf in (0b01, 0b11):
            # Enhanced or absolute format: 7 octets; an absolute time has no length in
            # minutes without a clock, so it is reported as None.
            r.take(7, "TP-VP")
        ud = _read_user_data(r, dcs, bool(fo & _UDHI))
        return Submit(smsc, to, mr, bool(fo & _SRR), validity, dcs, ud)
    raise CodecError(f"unsupported TP-MTI {mti:02b} for direction {direction!r}")
