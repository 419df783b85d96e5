"""SMPP 3.4 wire rules for SMS, without I/O: submit_sm parts, receipts, MO short messages.

Encoding choice (documented in docs/smpp.md): a GSM-7 part goes out with data_coding 0 (the
SMSC's default alphabet) and its `short_message` holds the *unpacked* septets, one octet per
septet (extension characters as ESC + code), after the UDH octets. That is what SMPP 3.4
§5.2.19 means by the SMSC default alphabet; packing is the SMSC's job on the radio side. A
UCS-2 part has data_coding 8 and UTF-16BE octets. Every part of a multipart message carries
a UDH with an 8-bit concatenation IE (esm_class 0x40, UDHI), plus the national language IEs
when a national table is used, exactly as the modem channel splits it
(`modemd.segments.split_text`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from modemd.gsm7 import EXTENSION, decode_septets, encode_septets
from modemd.national import IEI_LOCKING_SHIFT, IEI_SINGLE_SHIFT, LOCKING_TABLES, TABLES
from modemd.pdu import Concat
from modemd.segments import DEFAULT_MAX_CHARACTERS, split_text

ESM_UDHI = 0x40
ESM_RECEIPT = 0x04  # esm_class message type bits 2-5: SMSC delivery receipt
DC_DEFAULT = 0x00
DC_UCS2 = 0x08

# Receipt `stat:` → a TP-ST value (23.040 §9.2.3.15) so receipts flow through the same
# report logic as a modem's status reports: completed / temporary / permanent.
STAT_TP_ST: dict[str, int] = {
    "DELIVRD": 0x00,  # received by the SME
    "ENROUTE": 0x20,  # still trying → buffered
    "ACCEPTED": 0x20,
    "UNKNOWN": 0x20,
    "UNDELIV": 0x43,  # not obtainable → undelivered
    "EXPIRED": 0x46,  # validity period expired
    "DELETED": 0x48,  # deleted by the SC administration
    "REJECTD": 0x63,  # service rejected (SC gave up)
}
# message_state TLV values (SMPP 3.4 §5.2.28) by name.
MESSAGE_STATE = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV",
                 6: "ACCEPTED", 7: "UNKNOWN", 8: "REJECTD"}


@dataclass(frozen=True)
class SmppPart:
    """One submit_sm's payload."""

    seq: int
    total: int
    short_message: bytes
    data_coding: int
    esm_class: int


def submit_parts(text: str, *, concat_ref: int, national: Sequence[str] = (),
                 locking: bool = False,
                 max_characters: int = DEFAULT_MAX_CHARACTERS) -> list[SmppPart]:
    """The submit_sm payloads for `text`, split as the modem channel splits it."""
    seg = split_text(text, max_characters, national, locking)
    ies = b""
    if seg.language:
        ies += bytes([IEI_SINGLE_SHIFT, 1, TABLES[seg.language].nli])
    if seg.locking:
        ies += bytes([IEI_LOCKING_SHIFT, 1, LOCKING_TABLES[seg.locking].nli])
    parts: list[SmppPart] = []
    for seq, chunk in enumerate(seg.parts, start=1):
        body = ies
        if seg.segments > 1:
            body = bytes([0x00, 3, concat_ref & 0xFF, seg.segments, seq]) + ies
        udh = bytes([len(body)]) + body if body else b""
        if seg.encoding == "gsm7":
            extension = TABLES[seg.language].chars if seg.language else EXTENSION
            basic = LOCKING_TABLES[seg.locking].chars if seg.locking else None
            payload, dc = bytes(encode_septets(chunk, extension, basic)), DC_DEFAULT
        else:
            payload, dc = chunk.encode("utf-16-be"), DC_UCS2
        parts.append(SmppPart(seq, seg.segments, udh + payload, dc, ESM_UDHI if udh else 0))
    return parts


def decode_short_message(data: bytes, data_coding: int, udhi: bool
                         ) -> tuple[str, Concat | None, str]:
    """(text, concatenation IE or None, encoding) of a received short_message."""
    concat = None
    if udhi and data:
        udhl = data[0]
        udh, data = data[1:1 + udhl], data[1 + udhl:]
        i = 0
        while i + 2 <= len(udh):
            iei, length = udh[i], udh[i + 1]
            value = udh[i + 2:i + 2 + length]
            if iei == 0x00 and length == 3:
                concat = Concat(value[0], value[1], value[2], 8)
            elif iei == 0x08 and length == 4:
                concat = Concat(int.from_bytes(value[:2], "big"), value[2], value[3], 16)
            i += 2 + length
    coding = data_coding & 0x0F if data_coding < 0x10 else data_coding
    if coding == DC_UCS2:
        return data.decode("utf-16-be", errors="replace"), concat, "ucs2"
    if coding in (0x03, 0x01):  # Latin-1 / IA5 (ASCII)
        return data.decode("latin-1"), concat, "gsm7"
    return decode_septets([b & 0x7F for b in data]), concat, "gsm7"


@dataclass(frozen=True)
class Receipt:
    """An SMSC delivery receipt, from its text and/or its TLVs."""

    remote_id: str
    stat: str
    err: str | None
    submit_date: datetime | None
    done_date: datetime | None

    @property
    def tp_status(self) -> int:
        """The TP-ST value the receipt stands for (unknown states count as temporary)."""
        return STAT_TP_ST.get(self.stat, 0x20)


_FIELD = re.compile(r"(id|sub|dlvrd|submit date|done date|stat|err|text):\s?(\S*)", re.I)


def _receipt_date(value: str | None) -> datetime | None:
    """YYMMDDhhmm[ss] as UTC (the SMSC's local time is unknown; only used as a hint)."""
    if not value or not value.isdigit() or len(value) not in (10, 12):
        return None
    try:
        return datetime.strptime(value, "%y%m%d%H%M%S" if len(value) == 12 else "%y%m%d%H%M"
                                 ).replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_receipt(text: str, receipted_id: str | None = None,
                  message_state: int | None = None) -> Receipt | None:
    """A receipt from the SMPP 3.4 Appendix B text; the TLVs win where present.

    None when neither the text nor the TLVs name a message id and a state.
    """
    fields = {k.lower(): v for k, v in _FIELD.findall(text)}
    remote_id = receipted_id or fields.get("id")
    stat = MESSAGE_STATE.get(message_state or 0) or fields.get("stat", "").upper()
    if not remote_id or not stat:
        return None
    return Receipt(remote_id, stat, fields.get("err"), _receipt_date(fields.get("submit date")),
                   _receipt_date(fields.get("done date")))

