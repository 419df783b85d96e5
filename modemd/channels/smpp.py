"""The SMPP upstream channel: an SMPP 3.4 ESME (transceiver) on smpplib.

One I/O thread owns the connection: it connects and binds (reconnecting with a doubling
backoff), then reads every PDU the SMSC sends — submit_sm_resp, deliver_sm (receipts and
mobile-originated messages), enquire_link — and sends an enquire_link whenever the link was
quiet for `enquire_link_seconds`. The dispatcher's worker calls `send`, which writes submit_sm
PDUs (a window of up to `window` in flight) and waits for their responses, which the I/O
thread hands over. Writes from both threads go through one lock.

`ready` is true only while bound. A lost connection fails every submit_sm in flight with
ChannelLost (the message goes back to the queue; parts already accepted are never re-sent).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.smpp

from modemd.channels.base import Channel, Outbound, PartSent
from modemd.channels.receive import InboundHandler, InboundPdu
from modemd.errors import ChannelLost, CodecError, SendError
from modemd.pdu import encode_deliver
from modemd.smpp_codec import (
    ESM_RECEIPT,
    ESM_UDHI,
    Receipt,
    SmppPart,
    decode_short_message,
    parse_receipt,
    submit_parts,
)

log = logging.getLogger("modemd.smpp")
# smpplib logs every connect/disconnect at INFO/WARNING on its own; our log says what matters.
logging.getLogger("modemd.smpp.wire").setLevel(logging.ERROR)

ReceiptHandler = Callable[[str, Receipt, str, str], None]
"""(channel, receipt, raw text, recipient) → commit it (the report service)."""

# command_status values a later attempt may overcome: the SMSC is busy, not the message bad.
TEMPORARY_STATUS = {
    smpplib.consts.SMPP_ESME_RTHROTTLED, smpplib.consts.SMPP_ESME_RMSGQFUL,
    smpplib.consts.SMPP_ESME_RSYSERR, smpplib.consts.SMPP_ESME_RSUBMITFAIL,
    0x64,  # ESME_RX_T_APPN: temporary application error
}
_STATUS_NAMES = {v: k[len("SMPP_"):] for k, v in vars(smpplib.consts).items()
                 if k.startswith("SMPP_ESME_R") and isinstance(v, int)}


def status_error(status: int) -> SendError:
    """The SendError for a non-zero command_status of a submit_sm_resp."""
    name = _STATUS_NAMES.get(status, f"0x{status:08X}")
    text = smpplib.consts.DESCRIPTIONS.get(status, "unknown SMPP error")
    return SendError(f"smpp_{name.lower()}", f"{text} (command_status 0x{status:08X})",
                     temporary=status in TEMPORARY_STATUS)


def source_address(source: str) -> tuple[str, int, int]:
    """(source_addr, TON, NPI): a name is alphanumeric (TON 5), "+digits" international."""
    if not source:
        return "", 0, 0
    if source.startswith("+") and source[1:].isdigit():
        return source[1:], 1, 1
    if source.isdigit():
        return source, 0, 1
    return source, 5, 0


def validity_period(minutes: int | None) -> str:
    """The SMPP relative time format (§7.1.1): "YYMMDDhhmmss000R"."""
    if not minutes:
        return ""
    days, rest = divmod(min(minutes, 99 * 1440), 1440)
    return f"0000{days:02d}{rest // 60:02d}{rest % 60:02d}00000R"


class _Sequence:
    """Thread-safe sequence numbers (smpplib's generator is not)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._current = 0

    @property
    def sequence(self) -> int:
        return self._current

    def next_sequence(self) -> int:
        with self._lock:
            self._current = next(self._counter) % 0x7FFFFFFF or 1
            return self._current


class _Client(smpplib.client.Client):
    """smpplib's client with one lock around writes (the worker and the reader both send)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.send_lock = threading.Lock()
        self.last_command: str | None = None
        self.last_sequence = 0

    def read_pdu(self) -> object:
        pdu = super().read_pdu()
        # read_once() swallows an `unbind` from the SMSC: remember it to answer and drop.
        self.last_command, self.last_sequence = pdu.command, pdu.sequence
        return pdu

    def send_pdu(self, p: object) -> bool:
        with self.send_lock:
            return super().send_pdu(p)


@dataclass
class _Pending:
    """One submit_sm waiting for its response."""

    part: SmppPart
    done: threading.Event = field(default_factory=threading.Event)
    status: int | None = None
    message_id: str | None = None
    lost: str | None = None


class SmppChannel(Channel):
    """An SMPP upstream provider as a channel named "smpp"."""

    def __init__(
        self, name: str, host: str, port: int, *, system_id: str, password: str,
        system_type: str = "", source_addr: str = "", window: int = 1,
        enquire_link_seconds: float = 30.0, reconnect_max_seconds: float = 60.0,
        submit_timeout: float = 30.0, national: tuple[str, ...] = (),
        national_locking: bool = False, mode: str = "primary", log_content: bool = False,
    ):
        super().__init__()
        self.name = name
        self.host, self.port = host, port
        self.system_id, self._password, self.system_type = system_id, password, system_type
        self.source_addr = source_addr
        self.window = max(1, window)
        self.enquire_link_seconds = enquire_link_seconds or 30.0
        self.reconnect_max_seconds = reconnect_max_seconds
        self.submit_timeout = submit_timeout
        self.national, self.national_locking = national, national_locking
        self.mode = mode
        self.log_content = log_content
        self._lock = threading.Lock()
        self._client: _Client | None = None
        self._bound = False
        self._pending: dict[int, _Pending] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = "stopped"
        self._error: str | None = None
        self._bound_since: datetime | None = None
        self._inbound: list[InboundHandler] = []
        self._receipts: list[ReceiptHandler] = []
        self.counters = {"parts_sent": 0, "errors": 0, "receipts": 0, "inbound": 0,
                         "connects": 0}

    # --- wiring ----------------------------------------------------------------------------
    def on_inbound(self, handler: InboundHandler) -> None:
        """Mobile-originated messages, as an SMS-DELIVER PDU named after this channel."""
        self._inbound.append(handler)

    def on_receipt(self, handler: ReceiptHandler) -> None:
        """Delivery receipts (deliver_sm with esm_class 0x04)."""
        self._receipts.append(handler)

    # --- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._state = "connecting"
        self._thread = threading.Thread(target=self._run, name=f"smpp-{self.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        client = self._client
        if client is not None and self._bound:
            with contextlib.suppress(Exception):
                client.send_pdu(smpplib.smpp.make_pdu("unbind", client=client))
        self._drop("channel stopped")
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._state = "stopped"

    @property
    def ready(self) -> bool:
        return self._bound and not self._stop.is_set()

    def describe(self) -> dict:
        return {
            "name": self.name, "type": "smpp", "mode": self.mode, "state": self._state,
            "ready": self.ready, "host": self.host, "port": self.port,
            "system_id": self.system_id, "source_addr": self.source_addr,
            "window": self.window, "in_flight": len(self._pending),
            "bound_since": self._bound_since.isoformat() if self._bound_since else None,
            "error": self._error, "counters": dict(self.counters),
        }

    # --- the I/O thread --------------------------------------------------------------------
    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                self._connect()
                backoff = 1.0
                self._read_loop()
            except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError,
                    OSError) as exc:
                if not self._stop.is_set():
                    self._error = str(exc) or type(exc).__name__
                    log.warning("smpp %s: %s; reconnecting in %.0f s", self.name,
                                self._error, backoff)
            except Exception:
                log.exception("smpp %s: unexpected error; reconnecting", self.name)
            self._drop("connection lost")
            if self._stop.wait(backoff):
                return
            self._state = "connecting"
            backoff = min(backoff * 2, max(self.reconnect_max_seconds, 1.0))

    def _connect(self) -> None:
        client = _Client(self.host, self.port, timeout=10,
                         sequence_generator=_Sequence(), allow_unknown_opt_params=True,
                         logger_name="modemd.smpp.wire")
        client.set_message_sent_handler(self._submit_resp)
        client.set_message_received_handler(self._deliver_sm)
        client.set_error_pdu_handler(lambda pdu: None)  # submit errors: _submit_resp
        self._client = client
        client.connect()
        resp = client.bind_transceiver(system_id=self.system_id, password=self._password,
                                       system_type=self.system_type)
        if resp is not None and resp.is_error():
            raise smpplib.exceptions.PDUError(f"bind refused: {status_error(resp.status).text}")
        assert client._socket is not None
        client._socket.settimeout(self.enquire_link_seconds)
        with self._lock:
            self._bound = True
        self._state, self._error = "bound", None
        self._bound_since = datetime.now(UTC)
        self.counters["connects"] += 1
        log.info("smpp %s: bound to %s:%d as %s", self.name, self.host, self.port,
                 self.system_id)
        self._changed()

    def _read_loop(self) -> None:
        client = self._client
        assert client is not None
        last_rx = time.monotonic()
        while not self._stop.is_set():
            try:
                client.read_once(auto_send_enquire_link=False)
                last_rx = time.monotonic()
                if client.last_command == "unbind":
                    resp = smpplib.smpp.make_pdu("unbind_resp", client=client)
                    resp.sequence = client.last_sequence
                    with contextlib.suppress(Exception):
                        client.send_pdu(resp)
                    raise smpplib.exceptions.ConnectionError("unbound by the SMSC")
            except TimeoutError:
                if time.monotonic() - last_rx > 2.5 * self.enquire_link_seconds:
                    raise smpplib.exceptions.ConnectionError("no answer to enquire_link") from None
                client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=client))

    def _drop(self, why: str) -> None:
        with self._lock:
            was_bound, self._bound = self._bound, False
            client, self._client = self._client, None
            pending, self._pending = self._pending, {}
        for p in pending.values():
            p.lost = why
            p.done.set()
        if client is not None:
            with contextlib.suppress(Exception):
                if client._socket is not None:
                    client._socket.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(Exception):
                client.disconnect()
        if self._state != "stopped":
            self._state = "disconnected" if not self._stop.is_set() else "stopped"
        if was_bound:
            self._bound_since = None
            self._changed()

    def _submit_resp(self, pdu: object) -> None:
        seq = pdu.sequence  # type: ignore[attr-defined]
        with self._lock:
            pending = self._pending.pop(seq, None)
        if pending is None:
            log.warning("smpp %s: submit_sm_resp for unknown sequence %d", self.name, seq)
            return
        pending.status = int(pdu.status)  # type: ignore[attr-defined]
        raw_id = getattr(pdu, "message_id", None)
        if isinstance(raw_id, bytes):
            raw_id = raw_id.decode("ascii", "replace")
        pending.message_id = raw_id or None
        pending.done.set()

    def _deliver_sm(self, pdu: object) -> int:
        """A deliver_sm: a receipt or an MO message. The returned status answers it."""
        esm = int(getattr(pdu, "esm_class", 0) or 0)
        data = getattr(pdu, "short_message", b"") or b""
        payload = getattr(pdu, "message_payload", None)
        if not data and payload:
            data = payload
        if isinstance(data, str):
            data = data.encode("latin-1")
        source = _text(getattr(pdu, "source_addr", b""))
        ton = int(getattr(pdu, "source_addr_ton", 0) or 0)
        sender = f"+{source}" if ton == 1 and source.isdigit() else source
        try:
            if esm & 0x3C == ESM_RECEIPT:
                raw = data.decode("latin-1")
                state = getattr(pdu, "message_state", None)
                receipt = parse_receipt(raw, _text(getattr(pdu, "receipted_message_id", b""))
                                        or None, int(state) if state else None)
                if receipt is None:
                    log.warning("smpp %s: unreadable delivery receipt ignored", self.name)
                    return smpplib.consts.SMPP_ESME_ROK
                self.counters["receipts"] += 1
                for handler in self._receipts:
                    handler(self.name, receipt, raw, sender)
                return smpplib.consts.SMPP_ESME_ROK
            text, concat, encoding = decode_short_message(
                data, int(getattr(pdu, "data_coding", 0) or 0), bool(esm & ESM_UDHI))
            pdu_hex = encode_deliver(sender or "unknown", text, datetime.now(UTC),
                                     concat=concat, encoding=encoding)
            self.counters["inbound"] += 1
            for inbound in self._inbound:
                inbound(InboundPdu(self.name, pdu_hex, "deliver", None, None))
            return smpplib.consts.SMPP_ESME_ROK
        except CodecError as exc:
            log.warning("smpp %s: deliver_sm not readable (%s); refused", self.name, exc)
            return 0x00000045  # ESME_RSUBMITFAIL-like refusal: the SMSC may retry
        except Exception:
            # Not committed: refuse it so the SMSC delivers it again later.
            log.exception("smpp %s: could not commit a deliver_sm; refused", self.name)
            return smpplib.consts.SMPP_ESME_RSYSERR

    # --- sending (the dispatcher's worker thread) ------------------------------------------
    def send(self, message: Outbound, on_part_sent: PartSent) -> None:
        parts = [p for p in submit_parts(message.text, concat_ref=message.concat_ref,
                                         national=self.national,
                                         locking=self.national_locking)
                 if p.seq not in message.done_parts]
        source, s_ton, s_npi = source_address(self.source_addr)
        dest = message.to[1:] if message.to.startswith("+") else message.to
        d_ton = 1 if message.to.startswith("+") else 0
        common = dict(
            source_addr_ton=s_ton, source_addr_npi=s_npi, source_addr=source,
            dest_addr_ton=d_ton, dest_addr_npi=1, destination_addr=dest,
            registered_delivery=1 if message.status_report else 0,
            validity_period=validity_period(message.validity_minutes),
        )
        inflight: deque[_Pending] = deque()
        first_error: SendError | None = None
        for part in parts:
            while len(inflight) >= self.window:
                first_error = self._finish(inflight.popleft(), on_part_sent) or first_error
            if first_error is not None:
                break
            inflight.append(self._submit(part, common))
        while inflight:
            error = self._finish(inflight.popleft(), on_part_sent)
            first_error = first_error or error
        if first_error is not None:
            self.counters["errors"] += 1
            raise first_error

    def _submit(self, part: SmppPart, common: dict) -> _Pending:
        with self._lock:
            client = self._client
            if client is None or not self._bound:
                raise ChannelLost("SMPP connection not bound")
            pdu = smpplib.smpp.make_pdu(
                "submit_sm", client=client, short_message=part.short_message,
                data_coding=part.data_coding, esm_class=part.esm_class, **common)
            pending = _Pending(part)
            self._pending[pdu.sequence] = pending
        try:
            client.send_pdu(pdu)
        except (smpplib.exceptions.ConnectionError, OSError) as exc:
            self._drop(f"write failed: {exc}")
            raise ChannelLost("SMPP connection lost while sending") from None
        return pending

    def _finish(self, pending: _Pending, on_part_sent: PartSent) -> SendError | None:
        """Wait for one submit_sm_resp; report an accepted part, return an error."""
        if not pending.done.wait(self.submit_timeout):
            # No answer: the link is not trustworthy. Reconnect; the part counts as not sent.
            self._drop("no submit_sm_resp in time")
            return ChannelLost("no submit_sm_resp in time")
        if pending.lost is not None:
            return ChannelLost(f"SMPP {pending.lost}")
        if pending.status:
            return status_error(pending.status)
        self.counters["parts_sent"] += 1
        on_part_sent(pending.part.seq, pending.message_id or "")
        return None


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return "" if value is None else str(value)
