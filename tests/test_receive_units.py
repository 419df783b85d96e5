"""Pure parts of receiving: assembly, report matching, AT+CNMI choice, opt-out keywords;
and the inbound service on a real database for incomplete groups (ManualClock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modemd.assembly import (
    MISSING_PART,
    InboundPart,
    Verdict,
    is_complete,
    join,
    offer,
)
from modemd.channels.receive import InboundPdu, choose_cnmi, pdu_kind, readable_storages
from modemd.clock import ManualClock
from modemd.events import EventBus
from modemd.inbound import InboundService
from modemd.optout import OptOutService, opt_out_keyword
from modemd.pdu import Concat, encode_deliver, encode_status_report
from modemd.reports import ReportService, choose_part, message_status_from_parts
from modemd.status import Status
from modemd.store import Database
from modemd.store.blocklist import BlocklistStore
from modemd.store.inbound import InboundStore
from modemd.store.reports import CandidatePart, ReportStore

T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def part(seq: int, raw: bytes, total: int = 2, encoding: str = "ucs2") -> InboundPart:
    return InboundPart("+4917612345678", 7, 8, total, seq, encoding, "", raw, T0)


def test_join_rebuilds_an_emoji_split_across_parts():
    utf16 = "Hallo 😀".encode("utf-16-be")
    a, b = part(1, utf16[:-2]), part(2, utf16[-2:])  # the surrogate pair is split
    assert join([b, a]) == "Hallo 😀"
    assert is_complete([a, b]) and not is_complete([a])
    assert join([b]) == MISSING_PART + "\ufffd"


def test_offer_refuses_duplicates_out_of_range_and_flags_conflicts():
    a = part(1, b"\x00a")
    assert offer([a], part(1, b"\x00a")) is Verdict.DUPLICATE
    assert offer([a], part(1, b"\x00b")) is Verdict.CONFLICT
    assert offer([a], part(3, b"\x00c")) is Verdict.OUT_OF_RANGE
    assert offer([a], part(0, b"\x00c")) is Verdict.OUT_OF_RANGE
    assert offer([a], part(2, b"\x00c")) is Verdict.ACCEPT


def cand(mid: int, sent_at: datetime) -> CandidatePart:
    return CandidatePart(mid, 1, "+4917612345678", sent_at, "sent", "sent", None)


def test_choose_part_never_takes_an_older_part_with_a_wrapped_reference():
    old, new = cand(1, T0), cand(2, T0 + timedelta(hours=20))
    now = T0 + timedelta(hours=20, minutes=1)
    assert choose_part([new, old], T0 + timedelta(hours=20), now) is new
    assert choose_part([new, old], T0 + timedelta(seconds=3), now) is old
    assert choose_part([old], T0, T0 + timedelta(days=5)) is None  # too old to be reported
    # The SC clock is far off: the newest part wins.
    assert choose_part([new, old], T0 - timedelta(days=30), now) is new


def test_message_status_from_parts():
    assert message_status_from_parts(["delivered", "delivered"]) is Status.DELIVERED
    assert message_status_from_parts(["delivered", "sent"]) is None
    assert message_status_from_parts(["buffered", "delivered"]) is Status.BUFFERED
    assert message_status_from_parts(["delivered", "undelivered"]) is Status.UNDELIVERED


@pytest.mark.parametrize("ranges, expected", [
    ([{0, 1, 2, 3}, {0, 1, 2, 3}, {0, 2, 3}, {0, 1, 2}, {0, 1}], "2,1,0,2,0"),
    ([{0, 1, 2}, {0, 1, 2, 3}, {0, 2}, {0, 1}, {0, 1}], "2,1,0,1,0"),
    ([{1}, {1}, {0}, {0}, {1}], "1,1,0,0,1"),
])
def test_choose_cnmi(ranges, expected):
    assert choose_cnmi(ranges) == expected


def test_storages_and_pdu_kind():
    assert readable_storages([["SM", "ME", "SR"], ["SM"]]) == ("SM", "ME", "SR")
    assert readable_storages([["MT", "SR"]]) == ("MT", "SR")
    assert pdu_kind(encode_status_report(1, "+4917612345678", T0, T0, 0)) == "status_report"
    assert pdu_kind(encode_deliver("+4917612345678", "x", T0)) == "deliver"
    assert pdu_kind("zz") == "deliver"


@pytest.mark.parametrize("text, hit", [
    ("STOP", "STOP"), ("stopp!", "STOPP"), ("  Abmelden.", "ABMELDEN"), ("Stop bitte", "STOP"),
    ("„Stop“", "STOP"), ("Bitte nicht stoppen", None), ("Stoppuhr", None), ("", None),
    ("ok STOP", None),
])
def test_opt_out_keyword(text, hit):
    assert opt_out_keyword(text, ("STOP", "STOPP", "ABMELDEN")) == hit


def test_incomplete_group_delivered_after_the_timeout(tmp_path):
    db = Database(tmp_path / "m.sqlite3")
    clock = ManualClock(T0)
    bus = EventBus()
    received = []
    bus.subscribe(received.append)
    service = InboundService(
        InboundStore(db), ReportService(ReportStore(db), bus, clock=clock),
        OptOutService(BlocklistStore(db), clock=clock), bus, clock=clock,
        incomplete_after=timedelta(minutes=60))
    pdus = [encode_deliver("+4917612345678", text, T0, concat=Concat(200, 3, seq))
            for seq, text in ((1, "Teil eins "), (3, " Teil drei"))]
    for i, pdu in enumerate(pdus):
        service.handle(InboundPdu("gsm0", pdu, "deliver", "SM", i + 1))
        service.handle(InboundPdu("gsm0", pdu, "deliver", "SM", i + 1))  # re-read: ignored
    clock.advance(timedelta(minutes=59))
    assert service.expire_incomplete() == 0 and service.list() == []
    clock.advance(timedelta(minutes=2))
    assert service.expire_incomplete() == 1
    [msg] = service.list()
    assert msg.text == f"Teil eins {MISSING_PART} Teil drei"
    assert not msg.complete and (msg.parts_received, msg.parts_total) == (2, 3)
    assert len(received) == 1
    db.close()
