"""Receiving on a modem: URCs and storage sweeps turned into `InboundPdu` events.

The AT engine hands URCs (`+CMTI`, `+CDSI`, `+CMT`, `+CDS`) to `Receiver.urc` on its reader
thread; that only parses the line and queues a job, because a command sent from the reader
thread could never get its answer. One worker thread per modem then reads the slot
(`AT+CMGR`), publishes the PDU to the registered handlers (the services, which commit it) and
only after every handler returned deletes the slot (`AT+CMGD`) or acknowledges a direct
delivery (`AT+CNMA`, when `AT+CSMS=1` is in effect). A handler that raises leaves the slot in
place: the next sweep offers it again.

Modems drop indications now and then (and nothing is indicated while modemd is down), so the
worker also sweeps every readable storage with `AT+CMGL=4` once the modem is ready and then
every `sweep_interval` seconds (5 minutes by default). Commands share the modem's one AT
engine with sending: the engine keeps one command in flight, so a read waits for a running
`AT+CMGS` to finish and never breaks it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from modemd.at import parsers
from modemd.at.engine import AtEngine, Urc
from modemd.errors import AtError, LinkLost

log = logging.getLogger("modemd.receive")

DEFAULT_SWEEP_INTERVAL = 300.0
# Preferred AT+CNMI values per parameter (mode, mt, bm, ds, bfr): buffer indications while
# the link is busy (2), new messages stored with +CMTI (1), no cell broadcasts (0), status
# reports stored with +CDSI (2) or else sent directly as +CDS (1), flush buffered
# indications on setting (0).
_CNMI_PREFERENCES: tuple[tuple[int, ...], ...] = ((2, 1, 3), (1, 3, 2), (0,), (2, 1), (0, 1))
CNMI_FALLBACKS = ("2,1,0,2,0", "2,1,0,1,0", "1,1,0,1,0", "1,1,0,0,0")
_READABLE = ("SM", "ME", "SR", "MT")


@dataclass(frozen=True)
class InboundPdu:
    """A PDU the modem received, published up to the services.

    `kind` is "deliver" (an SMS-DELIVER, or something undecodable) or "status_report";
    `storage` and `index` name the slot it was read from (None for a direct +CMT/+CDS).
    """

    channel: str
    pdu_hex: str
    kind: str
    storage: str | None
    index: int | None


InboundHandler = Callable[[InboundPdu], None]


def pdu_kind(pdu_hex: str) -> str:
    """"status_report" if the PDU's TP-MTI says so, else "deliver" (malformed included)."""
    try:
        smsc_len = int(pdu_hex[:2], 16)
        first = int(pdu_hex[2 + 2 * smsc_len: 4 + 2 * smsc_len], 16)
    except ValueError:
        return "deliver"
    return "status_report" if first & 0x03 == 0b10 else "deliver"


def choose_cnmi(ranges: list[set[int]]) -> str:
    """The AT+CNMI setting to use, given what `AT+CNMI=?` allows (parse_cnmi_test)."""
    values = []
    for i, prefs in enumerate(_CNMI_PREFERENCES):
        allowed = ranges[i] if i < len(ranges) else set()
        chosen = next((v for v in prefs if v in allowed), None)
        if chosen is None:
            chosen = 0 if (not allowed or 0 in allowed) else min(allowed)
        values.append(chosen)
    return ",".join(map(str, values))


def readable_storages(cpms_test: list[list[str]]) -> tuple[str, ...]:
    """Storages to sweep, from `AT+CPMS=?`: SM, ME and SR where offered for reading.

    "MT" (SM and ME together) is swept only when neither SM nor ME can be chosen alone.
    """
    offered = [m.upper() for m in (cpms_test[0] if cpms_test else [])]
    chosen = [m for m in ("SM", "ME", "SR") if m in offered]
    if "MT" in offered and not ({"SM", "ME"} & set(chosen)):
        chosen.insert(0, "MT")
    return tuple(chosen) or ("SM",)


def choose_storage(cpms_test: list[list[str]], preferred: tuple[str, ...]) -> tuple[str, ...]:
    """AT+CPMS=… values: the first preferred storage offered for reading (and receiving).

    `cpms_test` is parse_cpms_test's answer. mem2 and mem3 get the same storage where they
    offer it, else their first one; () when no preferred storage can be read.
    """
    groups = [[m.upper() for m in g] for g in cpms_test]
    pick = next((m for m in preferred if m in groups[0] and (
        len(groups) < 3 or m in groups[2])), None)
    if pick is None:
        return ()
    return tuple(pick if pick in g or not g else g[0] for g in groups[:3])


def indication_mode(cnmi: str | None) -> str:
    """How new messages and reports are learnt with this AT+CNMI setting.

    "stored" (+CMTI/+CDSI), "direct" (+CMT and +CDS), "mixed" (one of each) or "poll"
    (no new-message indication at all: the storage sweep is the main path).
    """
    if cnmi is None:
        return "poll"
    values = [int(v) for v in cnmi.split(",")]
    mt = values[1] if len(values) > 1 else 0
    ds = values[3] if len(values) > 3 else 0
    if mt == 0:
        return "poll"
    if mt in (2, 3) and ds == 1:
        return "direct"
    if mt in (2, 3) or ds == 1:
        return "mixed"
    return "stored"


@dataclass
class ReceiveCounters:
    delivered: int = 0        # SMS-DELIVER PDUs handed to the services
    status_reports: int = 0   # SMS-STATUS-REPORT PDUs handed to the services
    sweeps: int = 0
    handler_failures: int = 0


class Receiver:
    """The receiving side of one modem: a job queue and the worker that empties it."""

    def __init__(self, name: str, *, command_timeout: float = 10.0,
                 sweep_interval: float = DEFAULT_SWEEP_INTERVAL):
        self.name = name
        self.command_timeout = command_timeout
        self.sweep_interval = sweep_interval
        self.counters = ReceiveCounters()
        self._handlers: list[InboundHandler] = []
        self._jobs: queue.Queue[tuple] = queue.Queue()
        self._lock = threading.Lock()
        self._engine: AtEngine | None = None
        self._csms = 0
        self._home = "SM"           # mem1 to return to after reading another storage
        self._mem1: str | None = None
        self._storages: tuple[str, ...] = ("SM",)
        self._thread: threading.Thread | None = None
        self._next_sweep: float | None = None
        self._interval = sweep_interval

    def on_inbound(self, handler: InboundHandler) -> None:
        """Publish every received PDU to `handler` (called on the receive thread)."""
        with self._lock:
            self._handlers.append(handler)

    # --- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"receive-{self.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._jobs.put(("stop",))
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def attach(self, engine: AtEngine, *, csms: int, home: str,
               storages: Iterable[str], sweep_interval: float | None = None) -> None:
        """The modem is ready on `engine`: read from it, starting with a full sweep.

        `sweep_interval` overrides the configured one for this connection (a modem that
        indicates nothing is polled more often).
        """
        with self._lock:
            self._interval = sweep_interval or self.sweep_interval
            self._engine = engine
            self._csms = csms
            self._home = home
            self._mem1 = home
            self._storages = tuple(storages)
        self._jobs.put(("sweep",))

    def detach(self) -> None:
        """The engine is gone; queued slot reads wait for the sweep after the reconnect."""
        with self._lock:
            self._engine = None
            self._next_sweep = None

    def request_sweep(self) -> None:
        """Sweep every storage now (also done at start-up and every `sweep_interval`)."""
        self._jobs.put(("sweep",))

    # --- from the reader thread ----------------------------------------------------------
    def urc(self, urc: Urc) -> None:
        """Queue the work a URC asks for. Runs on the AT reader thread: never a command."""
        try:
            if urc.name == "+CMTI":
                storage, index = parsers.parse_cmti(urc.line)
                self._jobs.put(("slot", storage.upper(), index))
            elif urc.name == "+CDSI":
                storage, index = parsers.parse_cdsi(urc.line)
                self._jobs.put(("slot", storage.upper(), index))
            elif urc.name in ("+CMT", "+CDS"):
                if urc.body is None:
                    log.warning("modem %s: %s without its PDU line", self.name, urc.name)
                    return
                self._jobs.put(("direct", urc.body.strip()))
        except AtError as exc:
            log.warning("modem %s: unreadable %s: %s", self.name, urc.name, exc)

    # --- the worker ----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            timeout = None
            if self._next_sweep is not None:
                timeout = max(0.0, self._next_sweep - time.monotonic())
            try:
                job = self._jobs.get(timeout=timeout)
            except queue.Empty:
                job = ("sweep",)
            if job[0] == "stop":
                return
            engine = self._engine
            if engine is None:
                continue  # not connected: the sweep after the reconnect finds stored PDUs
            try:
                if job[0] == "sweep":
                    self._sweep(engine)
                elif job[0] == "slot":
                    self._read_slot(engine, job[1], job[2])
                elif job[0] == "direct":
                    self._direct(engine, job[1])
            except LinkLost as exc:
                log.info("modem %s: link lost while receiving: %s", self.name, exc)
            except AtError as exc:
                log.warning("modem %s: receiving failed: %s", self.name, exc)
            except Exception:
                log.exception("modem %s: receive worker error", self.name)

    def _publish(self, pdu: InboundPdu) -> bool:
        """Hand `pdu` to every handler; True only if all returned (so the PDU may go)."""
        with self._lock:
            handlers = list(self._handlers)
        if not handlers:
            return False
        for handler in handlers:
            try:
                handler(pdu)
            except Exception:
                self.counters.handler_failures += 1
                log.exception("modem %s: inbound handler failed; the PDU stays on the modem",
                              self.name)
                return False
        if pdu.kind == "status_report":
            self.counters.status_reports += 1
        else:
            self.counters.delivered += 1
        return True

    def _select(self, engine: AtEngine, storage: str) -> None:
        if self._mem1 != storage:
            engine.command(f'AT+CPMS="{storage}"', timeout=self.command_timeout)
            self._mem1 = storage

    def _go_home(self, engine: AtEngine) -> None:
        try:
            self._select(engine, self._home)
        except LinkLost:
            raise
        except AtError as exc:
            log.warning("modem %s: cannot select storage %s again: %s", self.name, self._home,
                        exc)
            self._mem1 = None

    def _read_slot(self, engine: AtEngine, storage: str, index: int) -> None:
        try:
            self._select(engine, storage)
            answer = engine.command(f"AT+CMGR={index}", timeout=self.command_timeout)
            try:
                _stat, pdu = parsers.parse_cmgr_write(answer.lines)
            except AtError:
                # Not a PDU line after the header: hand it up anyway, so that it is kept and
                # reported as malformed instead of sitting in the slot unseen. No header at
                # all: an empty slot (read and deleted before, e.g. by a sweep).
                pdu = _raw_after_header(answer.lines, "+CMGR")
            if not pdu:
                return
            if self._publish(InboundPdu(self.name, pdu, pdu_kind(pdu), storage, index)):
                engine.command(f"AT+CMGD={index}", timeout=self.command_timeout)
        finally:
            if storage != self._home:
                self._go_home(engine)

    def _direct(self, engine: AtEngine, pdu: str) -> None:
        kind = pdu_kind(pdu)
        if self._publish(InboundPdu(self.name, pdu, kind, None, None)) and self._csms == 1:
            # Phase 2+: the network waits for this; without it, it sends the PDU again.
            engine.command("AT+CNMA", timeout=self.command_timeout)

    def _sweep(self, engine: AtEngine) -> None:
        self.counters.sweeps += 1
        try:
            for storage in self._storages:
                try:
                    self._select(engine, storage)
                except LinkLost:
                    raise
                except AtError as exc:
                    log.debug("modem %s: cannot select %s: %s", self.name, storage, exc)
                    continue
                answer = engine.command("AT+CMGL=4", timeout=self.command_timeout * 3)
                for index, pdu in _cmgl_entries(answer.lines):
                    if not pdu:
                        continue
                    info = InboundPdu(self.name, pdu, pdu_kind(pdu), storage, index)
                    if self._publish(info):
                        engine.command(f"AT+CMGD={index}", timeout=self.command_timeout)
        finally:
            self._next_sweep = time.monotonic() + self._interval
            self._go_home(engine)


def _raw_after_header(lines: Iterable[str], prefix: str) -> str:
    """The line after the first `prefix` header, whatever it holds ("" if none)."""
    lines = list(lines)
    for i, line in enumerate(lines[:-1]):
        if line.upper().startswith(prefix + ":"):
            return lines[i + 1].strip()
    return ""


def _cmgl_entries(lines: Iterable[str]) -> list[tuple[int, str]]:
    """(index, PDU line) pairs of an AT+CMGL answer; one bad PDU line spoils only itself."""
    try:
        return [(index, pdu) for index, _stat, pdu in parsers.parse_cmgl_exec(list(lines))]
    except AtError:
        pass
    out: list[tuple[int, str]] = []
    lines = list(lines)
    for i, line in enumerate(lines):
        if not line.upper().startswith("+CMGL:"):
            continue
        head = parsers.split_fields(line.split(":", 1)[1])
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if head and head[0].strip().isdigit() and not nxt.upper().startswith("+CMGL:"):
            out.append((int(head[0]), nxt))
    return out

