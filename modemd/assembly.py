"""Reassembly of received multipart SMS: pure functions over decoded parts.

Part, assembly and storage are three things: a part is one decoded SMS-DELIVER
(`InboundPart`), this module groups parts by (sender, concatenation reference, total) and
decides whether a new part fits a group (refusing duplicates and out-of-range sequence
numbers), and the store (`modemd.store.inbound`) keeps the parts on disk until their group
is complete or expires.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from modemd.pdu import Deliver

MISSING_PART = "[…]"  # stands where a part of an incomplete message never arrived


@dataclass(frozen=True)
class InboundPart:
    """One received SMS-DELIVER, reduced to what assembly needs."""

    sender: str
    ref: int | None  # concatenation reference; None for a message in one part
    ref_bits: int
    total: int
    seq: int
    encoding: str  # "gsm7" | "ucs2" | "8bit"
    text: str
    raw: bytes  # user data after the UDH (see pdu.UserData.raw)
    sc_timestamp: datetime

    @property
    def single(self) -> bool:
        return self.ref is None or self.total <= 1


GroupKey = tuple[str, int, int, int]
"""(sender, reference bits, reference, total): parts with the same key belong together."""


class Verdict(StrEnum):
    ACCEPT = "accept"
    DUPLICATE = "duplicate"        # the same part again (re-read, retransmission)
    CONFLICT = "conflict"          # same seq, other content: a new message reusing the ref
    OUT_OF_RANGE = "out_of_range"  # seq 0 or past the total


def part_from_deliver(d: Deliver) -> InboundPart:
    """The assembler's view of a decoded SMS-DELIVER."""
    c = d.user_data.concat
    if c is None:
        return InboundPart(d.sender, None, 8, 1, 1, d.user_data.encoding, d.user_data.text,
                           d.user_data.raw, d.timestamp)
    return InboundPart(d.sender, c.ref, c.ref_bits, c.total, c.seq, d.user_data.encoding,
                       d.user_data.text, d.user_data.raw, d.timestamp)


def group_key(part: InboundPart) -> GroupKey | None:
    """The group a part belongs to; None for a message in one part."""
    if part.single:
        return None
    assert part.ref is not None
    return (part.sender, part.ref_bits, part.ref, part.total)


def offer(group: Sequence[InboundPart], part: InboundPart) -> Verdict:
    """May `part` join the parts already in its group?"""
    if not 1 <= part.seq <= part.total:
        return Verdict.OUT_OF_RANGE
    for p in group:
        if p.seq == part.seq:
            same = p.raw == part.raw and p.encoding == part.encoding
            return Verdict.DUPLICATE if same else Verdict.CONFLICT
    return Verdict.ACCEPT


def is_complete(group: Sequence[InboundPart]) -> bool:
    """Whether every sequence number from 1 to the total is present."""
    if not group:
        return False
    total = group[0].total
    return {p.seq for p in group} == set(range(1, total + 1))


def join(group: Sequence[InboundPart]) -> str:
    """The text of a group in sequence order, `MISSING_PART` where a part is absent.

    Consecutive UCS-2 parts are joined as UTF-16 octets before decoding, so an emoji whose
    surrogate pair a sender split across two parts comes out whole.
    """
    if not group:
        return ""
    by_seq = {p.seq: p for p in group}
    total = max(group[0].total, max(by_seq))
    out: list[str] = []
    utf16 = b""
    for seq in range(1, total + 1):
        p = by_seq.get(seq)
        if p is not None and p.encoding == "ucs2":
            utf16 += p.raw[: len(p.raw) - len(p.raw) % 2]
            continue
        if utf16:
            out.append(utf16.decode("utf-16-be", errors="replace"))
            utf16 = b""
        out.append(MISSING_PART if p is None else p.text)
    if utf16:
        out.append(utf16.decode("utf-16-be", errors="replace"))
    return "".join(out)


def encoding_of(group: Sequence[InboundPart]) -> str:
    """One word for the group's encoding: the parts' own, or "mixed"."""
    kinds = {p.encoding for p in group}
    return kinds.pop() if len(kinds) == 1 else "mixed"
