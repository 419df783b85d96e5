"""A GSM modem as a channel: opens the port, runs the start-up, sends PDUs, reconnects.

The modem's life is an explicit state machine (`ModemState`); start-up is a named, ordered
list of steps written as plain calls. SMS knowledge lives here and in the codec, never in
the AT engine.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from enum import StrEnum

import serial

from modemd.at import parsers
from modemd.at.engine import AtEngine, Urc
from modemd.at.transport import open_port
from modemd.channels.base import Channel, Outbound, PartSent
from modemd.channels.receive import (
    CNMI_FALLBACKS,
    DEFAULT_SWEEP_INTERVAL,
    InboundHandler,
    Receiver,
    choose_cnmi,
    readable_storages,
)
from modemd.errors import (
    AtError,
    AtTimeout,
    ChannelLost,
    CmeError,
    CmsError,
    CodecError,
    LinkLost,
    SendError,
)
from modemd.pdu import encode_submit_parts

log = logging.getLogger("modemd.modem")

RECONNECT_MIN = 0.2
RECONNECT_MAX = 5.0
REFRESH_INTERVAL = 60.0


class ModemState(StrEnum):
    STOPPED = "stopped"
    CONNECTING = "connecting"        # opening the port
    INITIALISING = "initialising"    # running the start-up steps
    READY = "ready"
    DISCONNECTED = "disconnected"    # the port is gone; waiting for it to come back
    LOCKED = "locked"                # SIM needs a PIN/PUK we do not have (or it was wrong)
    FAILED = "failed"                # answered, but unusable (reason says why)


class SimLocked(Exception):
    """The SIM wants a PIN or PUK that the configuration cannot give."""


@dataclass
class ModemInfo:
    """What the start-up learnt about the modem and its network."""

    maker: str = ""
    model: str = ""
    revision: str = ""
    imei: str = ""
    imsi: str = ""
    sim: str = ""
    operator: str | None = None
    registration: str = "unknown"
    rssi: int | None = None
    dbm: int | None = None


@dataclass
class Counters:
    parts_sent: int = 0
    parts_failed: int = 0
    connects: int = 0
    urcs: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class ModemChannel(Channel):
    """One serial GSM modem. Owns the port, its AT engine and a supervisor thread."""

    def __init__(
        self, name: str, port: str, *, baudrate: int = 115200, pin: str = "",
        send_timeout: float = 120.0, command_timeout: float = 10.0, log_content: bool = False,
        sweep_interval: float = DEFAULT_SWEEP_INTERVAL,
        national: tuple[str, ...] = (),
    ):
        super().__init__()
        self.national = national  # national single shift tables the encoder may use
        self.name = name
        self.port = port
        self.baudrate = baudrate
        self._pin = pin
        self.send_timeout = send_timeout
        self.command_timeout = command_timeout
        self._log_content = log_content
        self.state = ModemState.STOPPED
        self.reason: str | None = None
        self.info = ModemInfo()
        self.counters = Counters()
        self._engine: AtEngine | None = None
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._busy = threading.Lock()
        self._thread: threading.Thread | None = None
        self._receiver = Receiver(name, command_timeout=command_timeout,
                                  sweep_interval=sweep_interval)
        # What the receive start-up steps learnt (issue 6 negotiates these per vendor).
        self._csms = 0
        self._home_storage = "SM"
        self._storages: tuple[str, ...] = ("SM",)
        self.cnmi: str | None = None

    def on_inbound(self, handler: InboundHandler) -> None:
        """Publish received PDUs (`InboundPdu`) to `handler`, on this modem's receive thread.

        The slot is deleted (or the direct delivery acknowledged) only after every handler
        returned; a handler that raises leaves the PDU on the modem for the next sweep.
        """
        self._receiver.on_inbound(handler)

    def request_sweep(self) -> None:
        """Read everything stored on the modem now."""
        self._receiver.request_sweep()

    # --- Channel interface ---------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._receiver.start()
        self._thread = threading.Thread(target=self._supervise, name=f"modem-{self.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._lost.set()
        if self._thread:
            self._thread.join(timeout=10)
        self._receiver.stop()
        self._close_engine()
        self._set_state(ModemState.STOPPED, None)

    @property
    def ready(self) -> bool:
        return self.state is ModemState.READY

    def send(self, message: Outbound, on_part_sent: PartSent) -> None:
        engine = self._engine
        if engine is None or not self.ready:
            raise ChannelLost(f"modem {self.name} is {self.state.value}")
        try:
            pdus = encode_submit_parts(
                message.to, message.text, concat_ref=message.concat_ref,
                status_report=message.status_report, validity_minutes=message.validity_minutes,
                national=self.national,
            )
        except CodecError as exc:
            raise SendError("encoding_failed", str(exc), temporary=False) from exc
        with self._busy:
            for pdu in pdus:
                if pdu.part in message.done_parts:
                    continue
                try:
                    answer = engine.command_with_prompt(
                        f"AT+CMGS={pdu.tpdu_length}", pdu.hex, timeout=self.send_timeout,
                        prompt_timeout=self.command_timeout,
                    )
                    mr = parsers.parse_cmgs_write(answer.lines)
                except LinkLost as exc:
                    raise ChannelLost(f"modem {self.name}: {exc}") from exc
                except (CmsError, CmeError) as exc:
                    self.counters.parts_failed += 1
                    kind = "cms" if isinstance(exc, CmsError) else "cme"
                    raise SendError(f"{kind}_{exc.code}", exc.text,
                                    temporary=exc.temporary) from exc
                except AtTimeout as exc:
                    self.counters.parts_failed += 1
                    raise SendError("modem_timeout", str(exc), temporary=True) from exc
                except AtError as exc:
                    self.counters.parts_failed += 1
                    raise SendError("modem_error", str(exc), temporary=True) from exc
                self.counters.parts_sent += 1
                on_part_sent(pdu.part, mr)

    def describe(self) -> dict:
        i = self.info
        return {
            "name": self.name,
            "port": self.port,
            "state": self.state.value,
            "reason": self.reason,
            "signal": {"rssi": i.rssi, "dbm": i.dbm},
            "operator": i.operator,
            "registration": i.registration,
            "sim": i.sim or None,
            "maker": i.maker or None,
            "model": i.model or None,
            "revision": i.revision or None,
            "imei": i.imei or None,
            "counters": {
                "parts_sent": self.counters.parts_sent,
                "parts_failed": self.counters.parts_failed,
                "connects": self.counters.connects,
                "urcs": self.counters.urcs,
                "received": self._receiver.counters.delivered,
                "status_reports": self._receiver.counters.status_reports,
            },
        }

    # --- supervision ---------------------------------------------------------------------
    def _supervise(self) -> None:
        delay = RECONNECT_MIN
        while not self._stop.is_set():
            try:
                self._connect()
            except SimLocked as exc:
                self._close_engine()
                # Never retry a PIN on our own: three wrong tries lock the SIM for good.
                self._set_state(ModemState.LOCKED, str(exc))
                self._stop.wait()
                return
            except (serial.SerialException, OSError, AtError) as exc:
                self._close_engine()
                state = ModemState.FAILED if isinstance(exc, AtError) and not isinstance(
                    exc, LinkLost) else ModemState.DISCONNECTED
                self._set_state(state, f"{type(exc).__name__}: {exc}")
                log.info("modem %s: %s; retrying in %.1f s", self.name, exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, RECONNECT_MAX)
                continue
            delay = RECONNECT_MIN
            # Connected: sleep until the link is lost or it is time to refresh signal data.
            while not self._stop.is_set():
                if self._lost.wait(REFRESH_INTERVAL):
                    break
                self._refresh_if_idle()
            self._close_engine()
            if not self._stop.is_set():
                self._set_state(ModemState.DISCONNECTED, self.reason or "link lost")
                self._stop.wait(RECONNECT_MIN)

    def _connect(self) -> None:
        self._lost.clear()
        self._set_state(ModemState.CONNECTING, None)
        port = open_port(self.port, baudrate=self.baudrate)
        # Whatever the modem said while nobody listened (old answers, URCs) is stale now.
        port.reset_input_buffer()
        engine = AtEngine(port, name=self.name, on_urc=self._on_urc, on_lost=self._on_lost,
                          log_redact=not self._log_content)
        self._engine = engine
        engine.start()
        self._set_state(ModemState.INITIALISING, None)
        for step_name, step in self._startup_steps():
            log.debug("modem %s: start-up step %s", self.name, step_name)
            try:
                step(engine)
            except AtError as exc:
                if isinstance(exc, LinkLost):
                    raise
                raise AtError(f"start-up step {step_name!r} failed: {exc}") from exc
        self.counters.connects += 1
        self._receiver.attach(engine, csms=self._csms, home=self._home_storage,
                              storages=self._storages)
        self._set_state(ModemState.READY, None)
        log.info("modem %s ready: %s %s, %s, signal %s dBm", self.name, self.info.maker,
                 self.info.model, self.info.operator, self.info.dbm)

    def _startup_steps(self):  # type: ignore[no-untyped-def]
        return [
            ("sync", self._step_sync),
            ("echo_off", lambda e: e.command("ATE0", timeout=self.command_timeout)),
            ("verbose_errors", lambda e: e.command("AT+CMEE=1", timeout=self.command_timeout)),
            ("identity", self._step_identity),
            ("sim", self._step_sim),
            ("pdu_mode", lambda e: e.command("AT+CMGF=0", timeout=self.command_timeout)),
            ("message_service", self._step_message_service),
            ("storages", self._step_storages),
            ("indications", self._step_indications),
            ("network", self._step_network),
        ]

    def _step_sync(self, engine: AtEngine) -> None:
        # A modem just plugged in may swallow the first command; three short tries.
        for attempt in range(3):
            try:
                engine.command("AT", timeout=2.0)
                return
            except AtTimeout:
                if attempt == 2:
                    raise

    def _step_identity(self, engine: AtEngine) -> None:
        t = self.command_timeout
        self.info.maker = parsers.parse_identity(engine.command("AT+CGMI", timeout=t).lines)
        self.info.model = parsers.parse_identity(engine.command("AT+CGMM", timeout=t).lines)
        self.info.revision = _optional(lambda: parsers.parse_identity(
            engine.command("AT+CGMR", timeout=t).lines)) or ""
        self.info.imei = _optional(lambda: parsers.parse_identity(
            engine.command("AT+CGSN", timeout=t).lines)) or ""

    def _step_sim(self, engine: AtEngine) -> None:
        t = self.command_timeout
        state = parsers.parse_cpin_read(engine.command("AT+CPIN?", timeout=t).lines)
        if state == "SIM PIN":
            if not self._pin:
                raise SimLocked("the SIM needs a PIN; set modem.pin in the configuration")
            try:
                engine.command(f'AT+CPIN="{self._pin}"', timeout=t)
            except (CmeError, AtError) as exc:
                raise SimLocked(f"the SIM refused the configured PIN ({exc})") from exc
            state = parsers.parse_cpin_read(engine.command("AT+CPIN?", timeout=t).lines)
        if state != "READY":
            raise SimLocked(f"the SIM is not ready: {state}")
        self.info.sim = "ready"
        self.info.imsi = _optional(lambda: parsers.parse_identity(
            engine.command("AT+CIMI", timeout=t).lines)) or ""

    def _step_message_service(self, engine: AtEngine) -> None:
        # Only read: with AT+CSMS=1 (phase 2+) a direct +CMT/+CDS must be acknowledged with
        # AT+CNMA, otherwise the network delivers it again.
        t = self.command_timeout
        answer = _optional(lambda: engine.command("AT+CSMS?", timeout=t))
        self._csms = 0
        if answer is not None:
            for line in answer.lines:
                if line.upper().startswith("+CSMS:"):
                    first = parsers.split_fields(line.split(":", 1)[1])[0].strip()
                    self._csms = 1 if first == "1" else 0

    def _step_storages(self, engine: AtEngine) -> None:
        # Which storages exist to be swept, and which one is read by default (mem1).
        t = self.command_timeout
        test = _optional(lambda: parsers.parse_cpms_test(
            engine.command("AT+CPMS=?", timeout=t).lines))
        self._storages = readable_storages(test or [])
        current = _optional(lambda: parsers.parse_cpms_read(
            engine.command("AT+CPMS?", timeout=t).lines))
        home = current[0][0].upper() if current else "SM"
        self._home_storage = home if home != "SR" else "SM"
        if home == "SR":  # a previous run died while reading reports: select SM again
            _optional(lambda: engine.command('AT+CPMS="SM"', timeout=t))

    def _step_indications(self, engine: AtEngine) -> None:
        # New messages stored with +CMTI, status reports stored with +CDSI (or else sent
        # directly as +CDS): see receive.choose_cnmi. The simulator offers the whole range and
        # gets 2,1,0,2,0. Modems that refuse every setting still send; the periodic storage
        # sweep then finds what arrives.
        t = self.command_timeout
        ranges = _optional(lambda: parsers.parse_cnmi_test(
            engine.command("AT+CNMI=?", timeout=t).lines))
        choices = ([choose_cnmi(ranges)] if ranges else []) + list(CNMI_FALLBACKS)
        self.cnmi = None
        for setting in dict.fromkeys(choices):
            if _optional(lambda s=setting: engine.command(f"AT+CNMI={s}", timeout=t)):
                self.cnmi = setting
                return
        log.warning("modem %s: no AT+CNMI setting accepted; relying on storage sweeps",
                    self.name)

    def _step_network(self, engine: AtEngine) -> None:
        t = self.command_timeout
        _optional(lambda: engine.command("AT+COPS=3,0", timeout=t))
        self._refresh(engine)

    def _refresh(self, engine: AtEngine) -> None:
        t = self.command_timeout
        reg = _optional(
            lambda: parsers.parse_creg_read(engine.command("AT+CREG?", timeout=t).lines))
        if reg is not None:
            self.info.registration = parsers.REG_STATES.get(reg[1], "unknown")
        self.info.operator = _optional(
            lambda: parsers.parse_cops_read(engine.command("AT+COPS?", timeout=t).lines))
        csq = _optional(lambda: parsers.parse_csq_exec(engine.command("AT+CSQ", timeout=t).lines))
        if csq is not None:
            self.info.rssi = csq[0]
            self.info.dbm = parsers.csq_to_dbm(csq[0])

    def _refresh_if_idle(self) -> None:
        engine = self._engine
        if engine is None or not self._busy.acquire(blocking=False):
            return
        try:
            self._refresh(engine)
        except LinkLost:
            pass
        finally:
            self._busy.release()

    # --- events from the engine ----------------------------------------------------------
    def _on_urc(self, urc: Urc) -> None:
        self.counters.urcs += 1
        log.debug("modem %s: URC %s", self.name, urc.name)
        self._receiver.urc(urc)  # only queues: this is the AT reader thread

    def _on_lost(self, exc: Exception) -> None:
        self.reason = f"link lost: {exc}"
        if self.state is ModemState.READY:
            self._set_state(ModemState.DISCONNECTED, self.reason)
        self._lost.set()

    def _close_engine(self) -> None:
        self._receiver.detach()
        engine, self._engine = self._engine, None
        if engine is not None:
            try:
                engine.close()
            except Exception:  # closing a dead port must not stop the reconnect loop
                log.debug("modem %s: error while closing", self.name, exc_info=True)

    def _set_state(self, state: ModemState, reason: str | None) -> None:
        changed = state is not self.state
        self.state = state
        self.reason = reason
        if changed:
            log.info("modem %s: %s%s", self.name, state.value, f" ({reason})" if reason else "")
            self._changed()


def _optional(call):  # type: ignore[no-untyped-def]
    """Run a query whose failure only leaves a fact unknown (modems differ in what they answer)."""
    try:
        return call()
    except (AtTimeout, CmsError, CmeError) as exc:
        log.debug("optional query failed: %s", exc)
        return None
    except LinkLost:
        raise
    except AtError as exc:
        log.debug("optional query failed: %s", exc)
        return None
