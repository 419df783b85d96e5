"""Received PDUs → committed inbound messages (and status reports to the report service).

Registered as the handler of every modem (`ModemChannel.on_inbound`): it runs on the modem's
receive thread and returns only once the PDU is committed, so the channel deletes the slot
after the commit and never before. What happens to one PDU:

- undecodable: kept raw as an inbound message with the decoder's error, reported (log,
  e-mail, webhook) and never fatal;
- SMS-STATUS-REPORT: handed to `ReportService`;
- SMS-DELIVER: kept as a part (a fingerprint of sender, SC time, coding and user data makes a
  re-read of the same slot and a network retransmission the same part); a single part is a
  message at once, a multipart one when its group is complete (`modemd.assembly`), or after
  `incomplete_after` with what arrived, marked incomplete.

Each message is linked to the outbound message it most likely answers (the last one sent to
that number within `reply_window`) and checked for an opt-out keyword.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from modemd.assembly import (
    InboundPart,
    Verdict,
    encoding_of,
    group_key,
    is_complete,
    join,
    offer,
    part_from_deliver,
)
from modemd.channels.receive import InboundPdu
from modemd.clock import Clock, to_iso
from modemd.errors import CodecError, PhoneNumberError
from modemd.events import EventBus, InboundReceived
from modemd.optout import OptOutService
from modemd.pdu import Deliver, StatusReport, decode_pdu
from modemd.phone import mask_number, normalize_number
from modemd.reports import ReportService
from modemd.store.inbound import (
    InboundMessage,
    InboundStore,
    NewInbound,
    OpenGroup,
    StoredPart,
)

log = logging.getLogger("modemd.inbound")

DEFAULT_REPLY_WINDOW = timedelta(days=7)
DEFAULT_INCOMPLETE_AFTER = timedelta(hours=1)


def part_fingerprint(modem: str, part: InboundPart, dcs: int) -> str:
    """Identity of a received part: the same PDU read twice or sent twice is one part."""
    text = "\n".join([modem, part.sender, to_iso(part.sc_timestamp) or "", str(dcs),
                      f"{part.ref_bits}:{part.ref}:{part.total}:{part.seq}", part.raw.hex()])
    return hashlib.sha256(text.encode()).hexdigest()


class InboundService:
    """Decodes, deduplicates, assembles, links and commits received SMS."""

    def __init__(
        self, store: InboundStore, reports: ReportService, optout: OptOutService,
        bus: EventBus, *, clock: Clock, default_region: str = "DE",
        reply_window: timedelta = DEFAULT_REPLY_WINDOW,
        incomplete_after: timedelta = DEFAULT_INCOMPLETE_AFTER, log_content: bool = False,
    ):
        self.store = store
        self.reports = reports
        self.optout = optout
        self.bus = bus
        self.clock = clock
        self.default_region = default_region
        self.reply_window = reply_window
        self.incomplete_after = incomplete_after
        self.log_content = log_content

    # --- the channel's handler -------------------------------------------------------------
    def handle(self, pdu: InboundPdu) -> None:
        """Commit one received PDU. Raises only if the store fails (the PDU then stays)."""
        try:
            decoded = decode_pdu(pdu.pdu_hex)
        except CodecError as exc:
            self._malformed(pdu, str(exc))
            return
        if isinstance(decoded, StatusReport):
            self.reports.handle(pdu.channel, decoded, pdu.pdu_hex)
        elif isinstance(decoded, Deliver):
            self._deliver(pdu, decoded)
        else:  # pragma: no cover - decode_pdu("mt") returns only the two above
            self._malformed(pdu, f"unexpected PDU type {type(decoded).__name__}")

    # --- reading -----------------------------------------------------------------------------
    def list(self, *, since: datetime | None = None, before_id: int | None = None,
             limit: int = 50) -> list[InboundMessage]:
        """Received messages, newest first."""
        return self.store.list(since=since, before_id=before_id, limit=limit)

    def get(self, inbound_id: int) -> InboundMessage | None:
        return self.store.get(inbound_id)

    # --- timers ----------------------------------------------------------------------------
    def expire_incomplete(self) -> int:
        """Deliver multipart messages whose parts did not all arrive in time, as incomplete."""
        cutoff = self.clock.now() - self.incomplete_after
        count = 0
        for group in self.store.expired_groups(cutoff):
            with self.store.transaction():
                stored = self.store.open_parts(group.modem, group.sender, group.ref_bits,
                                               group.ref, group.total)
                if stored:
                    self._commit(group.modem, group.sender, stored,
                                 [self._part(p) for p in stored])
                    count += 1
        return count

    # --- internals -------------------------------------------------------------------------
    def _sender(self, raw: str) -> str:
        if any(c.isalpha() for c in raw):
            return raw  # an alphanumeric sender name
        try:
            return normalize_number(raw, self.default_region)
        except PhoneNumberError:
            return raw

    def _part(self, stored: StoredPart) -> InboundPart:
        decoded = decode_pdu(stored.pdu_hex)
        assert isinstance(decoded, Deliver)
        part = part_from_deliver(decoded)
        return InboundPart(self._sender(part.sender), part.ref, part.ref_bits, part.total,
                           part.seq, part.encoding, part.text, part.raw, part.sc_timestamp)

    def _deliver(self, pdu: InboundPdu, d: Deliver) -> None:
        now = self.clock.now()
        raw_part = part_from_deliver(d)
        sender = self._sender(raw_part.sender)
        part = InboundPart(sender, raw_part.ref, raw_part.ref_bits, raw_part.total,
                           raw_part.seq, raw_part.encoding, raw_part.text, raw_part.raw,
                           raw_part.sc_timestamp)
        fingerprint = part_fingerprint(pdu.channel, part, d.dcs)
        key = group_key(part)
        with self.store.transaction():
            if key is None:
                part_id = self.store.add_part(fingerprint, pdu.channel, sender, pdu.pdu_hex, now)
                if part_id is None:
                    log.debug("modem %s: received PDU seen before; ignored", pdu.channel)
                    return
                stored = StoredPart(part_id, pdu.pdu_hex, now)
                self._commit(pdu.channel, sender, [stored], [part])
                return
            group = (part.ref_bits, part.ref or 0, part.total, part.seq)
            part_id = self.store.add_part(fingerprint, pdu.channel, sender, pdu.pdu_hex, now,
                                          group=group)
            if part_id is None:
                log.debug("modem %s: received part seen before; ignored", pdu.channel)
                return
            og = OpenGroup(pdu.channel, sender, part.ref_bits, part.ref or 0, part.total, now)
            others = [p for p in self._open(og) if p.id != part_id]
            verdict = offer([self._part(p) for p in others], part)
            if verdict is Verdict.DUPLICATE:
                self.store.drop_part(part_id)
                return
            if verdict is Verdict.CONFLICT:
                # The sender reused the reference for a new message before the old one was
                # complete: the old one is delivered as it is, the new one starts afresh.
                self._commit(pdu.channel, sender, others, [self._part(p) for p in others])
                others = []
            members = [*others, StoredPart(part_id, pdu.pdu_hex, now)]
            parts = [*[self._part(p) for p in others], part]
            if is_complete(parts):
                self._commit(pdu.channel, sender, members, parts)
            else:
                log.info("modem %s: part %d/%d from %s kept until the rest arrives",
                         pdu.channel, part.seq, part.total, self._who(sender))

    def _open(self, g: OpenGroup) -> list[StoredPart]:
        return self.store.open_parts(g.modem, g.sender, g.ref_bits, g.ref, g.total)

    def _commit(self, modem: str, sender: str, stored: list[StoredPart],
                parts: list[InboundPart]) -> int:
        now = self.clock.now()
        ordered = sorted(zip(parts, stored, strict=True), key=lambda ps: ps[0].seq)
        parts = [p for p, _s in ordered]
        complete = parts[0].single or is_complete(parts)
        encoding = encoding_of(parts)
        raw = " ".join(s.pdu_hex for _p, s in ordered) if "8bit" in {
            p.encoding for p in parts} else None
        in_reply_to = None
        if sender.startswith("+"):
            in_reply_to = self.store.last_outbound_to(sender, now - self.reply_window)
        text = join(parts)
        inbound_id = self.store.add_message(NewInbound(
            modem=modem, sender=sender, text=text, encoding=encoding, received_at=now,
            sc_timestamp=min(p.sc_timestamp for p in parts),
            parts_total=parts[0].total, parts_received=len(parts), complete=complete,
            in_reply_to=in_reply_to, raw_pdu=raw), [s.id for _p, s in ordered])
        if self.optout.check_reply(sender, text, inbound_id):
            self.store.mark_opt_out(inbound_id)
        log.info("modem %s: message %d received from %s (%d of %d parts%s)%s", modem,
                 inbound_id, self._who(sender), len(parts), parts[0].total,
                 "" if complete else ", incomplete",
                 f": {text!r}" if self.log_content else "")
        self.bus.publish(InboundReceived(inbound_id, now))
        return inbound_id

    def _malformed(self, pdu: InboundPdu, error: str) -> None:
        now = self.clock.now()
        fingerprint = hashlib.sha256(
            f"raw\n{pdu.channel}\n{pdu.pdu_hex.strip().upper()}".encode()).hexdigest()
        with self.store.transaction():
            part_id = self.store.add_part(fingerprint, pdu.channel, "", pdu.pdu_hex, now)
            if part_id is None:
                return
            inbound_id = self.store.add_message(NewInbound(
                modem=pdu.channel, sender=None, text="", encoding=None, received_at=now,
                complete=False, raw_pdu=pdu.pdu_hex.strip(), error=error), [part_id])
            log.warning("modem %s: undecodable PDU kept raw as inbound message %d: %s",
                        pdu.channel, inbound_id, error)
            self.bus.publish(InboundReceived(inbound_id, now, malformed=True))

    def _who(self, sender: str) -> str:
        return sender if self.log_content or not sender.startswith("+") else mask_number(sender)
