"""Status reports: match each to the part it reports on and move the message along.

A report names its modem's message reference (TP-MR), the recipient and the time the service
centre took the part (SCTS). References repeat every 256 sends per modem, so a report is
matched to the part with that modem, reference and recipient whose send time is closest to
the report's SCTS, never simply to the newest or oldest one (`choose_part`). A report that
fits no part (yet: it can overtake the `+CMGS` answer of its own part) is kept unmatched and
tried again when a part with its reference is recorded.

TP-ST (23.040 §9.2.3.15) is kept raw and classified: completed → `delivered`, temporary →
`buffered`, permanent → `undelivered` with the reason. A multipart message is `delivered`
when every part is; one permanent failure makes it `undelivered`. A message with no final
report three days after it was sent becomes `undelivered` (`expire_unreported`).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

import phonenumbers

from modemd.clock import Clock, to_iso
from modemd.events import EventBus, MessageStatusChanged
from modemd.pdu import StatusReport, status_class
from modemd.smpp_codec import Receipt
from modemd.status import Status
from modemd.store.reports import CandidatePart, NewReport, ReportStore, StoredReport

log = logging.getLogger("modemd.reports")

EXPIRY = timedelta(days=3)
# A part is a candidate for reports received up to this long after it was sent…
MAX_REPORT_AGE = timedelta(days=4)
# …and the SC's timestamp of a report lies this close to our own send time of its part.
SCTS_TOLERANCE = timedelta(hours=1)
# A report may overtake the +CMGS answer of its part by this much.
EARLY_REPORT = timedelta(minutes=10)

NO_REPORT = ("no_report", "no final status report within 3 days")

# 23.040 §9.2.3.15 names of the TP-ST values a network actually sends.
TP_ST_TEXT: dict[int, str] = {
    0x00: "received by the SME",
    0x01: "forwarded by the SC, delivery not confirmed",
    0x02: "replaced by the SC",
    0x20: "congestion (SC still trying)",
    0x21: "recipient busy (SC still trying)",
    0x22: "no response from the recipient (SC still trying)",
    0x23: "service rejected (SC still trying)",
    0x24: "quality of service not available (SC still trying)",
    0x25: "error in the recipient's handset (SC still trying)",
    0x40: "remote procedure error",
    0x41: "incompatible destination",
    0x42: "connection rejected by the recipient",
    0x43: "not obtainable",
    0x44: "quality of service not available",
    0x45: "no interworking available",
    0x46: "validity period expired",
    0x47: "deleted by the sender",
    0x48: "deleted by the SC administration",
    0x49: "message does not exist",
    0x60: "congestion (SC gave up)",
    0x61: "recipient busy (SC gave up)",
    0x62: "no response from the recipient (SC gave up)",
    0x63: "service rejected (SC gave up)",
    0x64: "quality of service not available (SC gave up)",
    0x65: "error in the recipient's handset (SC gave up)",
}

_PART_STATUS = {"delivered": "delivered", "temporary": "buffered", "permanent": "undelivered"}
_FINAL_PART = ("delivered", "undelivered")


def tp_st_text(st: int) -> str:
    """A readable reason for a TP-ST value (reserved values by their class)."""
    if st in TP_ST_TEXT:
        return TP_ST_TEXT[st]
    return {"delivered": "completed", "temporary": "temporary error",
            "permanent": "permanent error"}[status_class(st)] + f" (0x{st:02X})"


def same_number(a: str, b: str, region: str) -> bool:
    """Whether two numbers name the same line (one may be national, one international)."""
    if a == b:
        return True
    try:
        pa, pb = phonenumbers.parse(a, region), phonenumbers.parse(b, region)
        return phonenumbers.format_number(pa, phonenumbers.PhoneNumberFormat.E164) == \
            phonenumbers.format_number(pb, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        da, db = re.sub(r"\D", "", a), re.sub(r"\D", "", b)
        return len(da) >= 6 and da[-9:] == db[-9:]


def choose_part(candidates: Sequence[CandidatePart], scts: datetime,
                received_at: datetime) -> CandidatePart | None:
    """The part a report belongs to, among parts with its modem, reference and recipient.

    Only parts sent at most `MAX_REPORT_AGE` before the report arrived (and not after it,
    beyond `EARLY_REPORT`) qualify. Of those, the one sent closest to the report's SCTS wins
    if it is within `SCTS_TOLERANCE`; if the SC's clock is off by more, the newest one. An
    older part that reused the reference 256 sends earlier is thus never chosen for a report
    about the newer part, and a late report about the older part still finds it.
    """
    eligible = [c for c in candidates
                if received_at - MAX_REPORT_AGE <= c.sent_at <= received_at + EARLY_REPORT]
    if not eligible:
        return None
    close = [c for c in eligible if abs(c.sent_at - scts) <= SCTS_TOLERANCE]
    if close:
        return min(close, key=lambda c: abs(c.sent_at - scts))
    return max(eligible, key=lambda c: c.sent_at)


def message_status_from_parts(part_statuses: Sequence[str]) -> Status | None:
    """The status a message's part statuses imply; None if they imply no change from sent."""
    if any(s == "undelivered" for s in part_statuses):
        return Status.UNDELIVERED
    if part_statuses and all(s == "delivered" for s in part_statuses):
        return Status.DELIVERED
    if any(s == "buffered" for s in part_statuses):
        return Status.BUFFERED
    return None


def report_fingerprint(modem: str, pdu_hex: str) -> str:
    """Identity of a report for deduplication: the modem and the TPDU (SMSC field dropped)."""
    text = pdu_hex.strip().upper()
    try:
        tpdu = text[2 + 2 * int(text[:2], 16):]
    except ValueError:
        tpdu = text
    return hashlib.sha256(f"{modem}\n{tpdu}".encode()).hexdigest()


class ReportService:
    """Takes decoded status reports, matches them and updates parts and messages."""

    def __init__(self, store: ReportStore, bus: EventBus, *, clock: Clock,
                 default_region: str = "DE", expiry: timedelta = EXPIRY):
        self.store = store
        self.bus = bus
        self.clock = clock
        self.default_region = default_region
        self.expiry = expiry

    def handle(self, modem: str, report: StatusReport, pdu_hex: str) -> StoredReport | None:
        """Keep and apply one report; a repeat of a kept report is ignored (returns None)."""
        now = self.clock.now()
        with self.store.transaction():
            report_id = self.store.add(NewReport(
                fingerprint=report_fingerprint(modem, pdu_hex), modem=modem,
                message_ref=report.message_ref, recipient=report.recipient,
                sc_timestamp=report.sc_timestamp, discharge_time=report.discharge_time,
                tp_status=report.status, received_at=now, pdu_hex=pdu_hex.strip().upper()))
            if report_id is None:
                log.debug("modem %s: status report for reference %d seen before", modem,
                          report.message_ref)
                return None
            stored = self.store.get(report_id)
            assert stored is not None
            if not self._match(stored):
                log.info("modem %s: status report for reference %d (TP-ST 0x%02X) matches no "
                         "sent part yet; kept unmatched", modem, report.message_ref,
                         report.status)
            return self.store.get(report_id)

    def handle_receipt(self, channel: str, receipt: Receipt, raw: str,
                       recipient: str) -> StoredReport | None:
        """Keep and apply an SMPP delivery receipt; matched by the provider's message id.

        The receipt's state is kept as the TP-ST it stands for (`smpp_codec.STAT_TP_ST`), so
        parts and messages move exactly as with a modem's status report. A repeat (same
        channel, same receipt text) is ignored (returns None).
        """
        now = self.clock.now()
        fingerprint = hashlib.sha256(f"{channel}\nreceipt\n{raw}".encode()).hexdigest()
        with self.store.transaction():
            report_id = self.store.add_receipt(NewReport(
                fingerprint=fingerprint, modem=channel, message_ref=-1, recipient=recipient,
                sc_timestamp=receipt.submit_date or now, discharge_time=receipt.done_date or now,
                tp_status=receipt.tp_status, received_at=now, pdu_hex=raw), receipt.remote_id)
            if report_id is None:
                return None
            stored = self.store.get(report_id)
            assert stored is not None
            part = self.store.part_by_remote_id(channel, receipt.remote_id)
            if part is None:
                log.info("%s: delivery receipt %s (%s) matches no sent part yet; kept "
                         "unmatched", channel, receipt.remote_id, receipt.stat)
                return stored
            self.store.attach(report_id, part.message_id, part.seq)
            self._apply(part, stored)
            return self.store.get(report_id)

    def part_recorded(self, message_id: int, seq: int, modem: str,
                      message_ref: int | str) -> None:
        """A part was just accepted by the network: a report may have overtaken it."""
        if isinstance(message_ref, str):  # an SMPP message id: receipts match it exactly
            with self.store.transaction():
                for report in self.store.unmatched_receipts(modem, message_ref):
                    part = self.store.part_by_remote_id(modem, message_ref)
                    if part is not None:
                        self.store.attach(report.id, part.message_id, part.seq)
                        self._apply(part, report)
            return
        since = self.clock.now() - MAX_REPORT_AGE
        with self.store.transaction():
            for report in self.store.unmatched(modem, message_ref, received_after=since):
                self._match(report)

    def message_sent(self, message_id: int) -> None:
        """All parts are with the network: apply reports that came while it was sending."""
        now = self.clock.now()
        with self.store.transaction():
            statuses = [s for _seq, s, _st in self.store.part_statuses(message_id)]
            target = message_status_from_parts(statuses)
            current = self.store.message_status(message_id)
            if target is None or current is None or current[0] != Status.SENT:
                return
            error = self._error_for(message_id) if target is Status.UNDELIVERED else None
            self.store.set_message_status(
                message_id, target, now, "status reports received while sending",
                error=error, delivered_at=now if target is Status.DELIVERED else None)
            self.bus.publish(MessageStatusChanged(message_id, target.value, now))

    def rematch_recent(self) -> int:
        """Try every unmatched report of the last days again (a safety net); count matches."""
        since = self.clock.now() - MAX_REPORT_AGE
        matched = 0
        with self.store.transaction():
            for report in self.store.unmatched(received_after=since):
                matched += self._match(report)
        return matched

    def expire_unreported(self, now: datetime | None = None) -> int:
        """Messages sent more than 3 days ago with no final report become `undelivered`."""
        now = now or self.clock.now()
        count = 0
        for message_id in self.store.unreported_since(now - self.expiry):
            with self.store.transaction():
                current = self.store.message_status(message_id)
                if current is None or current[0] not in (Status.SENT, Status.BUFFERED):
                    continue
                self.store.set_message_status(message_id, Status.UNDELIVERED, now,
                                              f"{NO_REPORT[0]}: {NO_REPORT[1]}",
                                              error=NO_REPORT)
                self.bus.publish(MessageStatusChanged(message_id, Status.UNDELIVERED.value,
                                                      now, NO_REPORT[1]))
                count += 1
        if count:
            log.info("%d message(s) without a final status report for 3 days: undelivered",
                     count)
        return count

    def list(self, *, matched: bool | None = None, before_id: int | None = None,
             limit: int = 50) -> list[StoredReport]:
        """Kept status reports, newest first (unmatched ones stay visible here)."""
        return self.store.list(matched=matched, before_id=before_id, limit=limit)

    # --- matching and applying -------------------------------------------------------------
    def _match(self, report: StoredReport) -> bool:
        candidates = [c for c in self.store.candidates(report.modem, report.message_ref)
                      if same_number(c.to, report.recipient, self.default_region)]
        part = choose_part(candidates, report.sc_timestamp, report.received_at)
        if part is None:
            return False
        self.store.attach(report.id, part.message_id, part.seq)
        self._apply(part, report)
        return True

    def _apply(self, part: CandidatePart, report: StoredReport) -> None:
        now = self.clock.now()
        st = report.tp_status
        new_part = _PART_STATUS[status_class(st)]
        if not (part.part_status in _FINAL_PART and new_part == "buffered"):
            # A temporary report that arrives after the final one changes nothing.
            self.store.set_part_status(part.message_id, part.seq, new_part, st, now)
        parts = self.store.part_statuses(part.message_id)
        detail = (f"part {part.seq}/{len(parts)}: TP-ST 0x{st:02X} {tp_st_text(st)}; "
                  f"SC time {to_iso(report.sc_timestamp)}, "
                  f"discharge time {to_iso(report.discharge_time)}")
        target = message_status_from_parts([s for _seq, s, _st in parts])
        current = self.store.message_status(part.message_id)
        assert current is not None
        status, error_code = current
        movable = status in (Status.SENT, Status.BUFFERED) or (
            status == Status.UNDELIVERED and error_code == NO_REPORT[0]
            and target in (Status.DELIVERED, Status.UNDELIVERED))
        if target is not None and movable and not (target == status == Status.BUFFERED):
            error = self._error_for(part.message_id) if target is Status.UNDELIVERED else None
            self.store.set_message_status(
                part.message_id, target, now, detail, error=error,
                delivered_at=now if target is Status.DELIVERED else None)
            self.bus.publish(MessageStatusChanged(part.message_id, target.value, now, detail))
        else:
            # The history still records the report (and the network's own timestamps).
            self.store.add_history(part.message_id, status, now, detail)

    def _error_for(self, message_id: int) -> tuple[str, str]:
        for _seq, s, st in self.store.part_statuses(message_id):
            if s == "undelivered" and st is not None:
                return f"tp_st_0x{st:02x}", tp_st_text(st)
        return ("undelivered", "the network reported a permanent failure")
