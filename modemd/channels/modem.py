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
from modemd.channels.quirks import (
    GENERIC,
    STATUS_URCS,
    Quirks,
    is_ready_line,
    match_quirks,
    usb_id_of,
)
from modemd.channels.receive import (
    CNMI_FALLBACKS,
    DEFAULT_SWEEP_INTERVAL,
    InboundHandler,
    Receiver,
    choose_cnmi,
    choose_storage,
    indication_mode,
    readable_storages,
)
from modemd.channels.startup import ModemBusy, StartupTimeout, StepRunner, classify
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
UNUSABLE_RETRY = 30.0  # an unusable modem is tried again from scratch this often
REFRESH_INTERVAL = 60.0
DEFAULT_STARTUP_TIMEOUT = 120.0
DEFAULT_POLL_INTERVAL = 15.0


class ModemState(StrEnum):
    STOPPED = "stopped"
    CONNECTING = "connecting"        # opening the port
    INITIALISING = "initialising"    # running the start-up steps (step, waiting_for say where)
    READY = "ready"
    DISCONNECTED = "disconnected"    # the port is gone; waiting for it to come back
    LOCKED = "locked"                # SIM needs a PIN/PUK we do not have (or it was wrong)
    UNUSABLE = "unusable"            # answered, but start-up failed (reason says why)
    FAILED = "unusable"              # alias kept for callers of the first version


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
        national: tuple[str, ...] = (), national_locking: bool = False,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT, usb_id: str | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ):
        super().__init__()
        self.national = national  # national single shift tables the encoder may use
        self.national_locking = national_locking  # and their locking shift tables
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
        self._csms_modes: set[int] = {0}
        self.cnmi: str | None = None
        # Issue 6: waiting start-up, vendor quirks, negotiated receiving.
        self.startup_timeout = startup_timeout
        self.poll_interval = poll_interval
        self._usb_id = usb_id
        self.quirks: Quirks = GENERIC
        self.step: str | None = None          # the start-up step running (initialising only)
        self.waiting_for: str | None = None   # what that step waits for, if it had to retry
        self.receiving = "stored"             # "stored", "direct", "mixed" or "poll"
        self._boot_ready = threading.Event()  # a boot line announced readiness
        self._runner: StepRunner | None = None
        self._pin_sent = False  # the configured PIN was tried once since the SIM was last ready

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
                national=self.national, locking=self.national_locking,
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
            "step": self.step if self.state is ModemState.INITIALISING else None,
            "waiting_for": (self.waiting_for if self.state is ModemState.INITIALISING
                            else None),
            "family": self.quirks.family,
            "usb_id": self._usb_id,
            "receiving": {"mode": self.receiving, "cnmi": self.cnmi, "csms": self._csms,
                          "storage": self._home_storage, "storages": list(self._storages)},
            "counters": {
                "parts_sent": self.counters.parts_sent,
                "parts_failed": self.counters.parts_failed,
                "connects": self.counters.connects,
                "urcs": self.counters.urcs,
                "startup_retries": self.counters.extra.get("startup_retries", 0),
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
                if self._stop.is_set():
                    return
                unusable = isinstance(exc, AtError) and not isinstance(exc, LinkLost)
                state = ModemState.UNUSABLE if unusable else ModemState.DISCONNECTED
                self._set_state(state, str(exc) if unusable else f"{type(exc).__name__}: {exc}")
                wait = UNUSABLE_RETRY if unusable else delay
                log.info("modem %s: %s; retrying in %.1f s", self.name, exc, wait)
                self._stop.wait(wait)
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
        for prefix in STATUS_URCS:  # chatty status lines never end up inside an answer
            engine.register_urc(prefix)
        self._engine = engine
        engine.start()
        self._boot_ready.clear()
        self.step = self.waiting_for = None
        self._set_state(ModemState.INITIALISING, None)
        runner = StepRunner(timeout=self.startup_timeout, ready=self._boot_ready,
                            stop=self._lost, on_wait=self._on_wait,
                            settle=lambda: self.quirks.settle)
        self._runner = runner
        try:
            for step_name, step in self._startup_steps():
                log.debug("modem %s: start-up step %s", self.name, step_name)
                try:
                    runner.run(step_name, lambda s=step: s(engine))
                except (LinkLost, SimLocked, StartupTimeout):
                    raise
                except AtError as exc:
                    raise AtError(f"start-up step {step_name!r} failed: {exc}") from exc
        finally:
            self._runner = None
        self.step = self.waiting_for = None
        self.counters.connects += 1
        sweep = None if self.receiving != "poll" else min(self._receiver.sweep_interval,
                                                         self.poll_interval)
        self._receiver.attach(engine, csms=self._csms, home=self._home_storage,
                              storages=self._storages, sweep_interval=sweep)
        self._set_state(ModemState.READY, None)
        log.info("modem %s ready: %s %s, %s, signal %s dBm", self.name, self.info.maker,
                 self.info.model, self.info.operator, self.info.dbm)

    def _startup_steps(self):  # type: ignore[no-untyped-def]
        return [
            ("sync", self._step_sync),
            ("echo_off", lambda e: e.command("ATE0", timeout=self.command_timeout)),
            ("verbose_errors", lambda e: self._optional(
                lambda: e.command("AT+CMEE=1", timeout=self.command_timeout))),
            ("identity", self._step_identity),
            ("quirks", self._step_quirks),
            ("sim", self._step_sim),
            ("pdu_mode", lambda e: e.command("AT+CMGF=0", timeout=self.command_timeout)),
            ("message_service", self._step_message_service),
            ("storages", self._step_storages),
            ("indications", self._step_indications),
            ("network", self._step_network),
        ]

    def _step_sync(self, engine: AtEngine) -> None:
        # A modem just plugged in may swallow the first commands (or still be booting, as a
        # Cinterion before ^SYSSTART): the step runner retries timeouts until the deadline.
        engine.command("AT", timeout=min(2.0, self.command_timeout))

    def _step_identity(self, engine: AtEngine) -> None:
        t = self.command_timeout
        info = self.info
        for attr, cmd, alt in (("maker", "AT+CGMI", "AT+GMI"), ("model", "AT+CGMM", "AT+GMM"),
                               ("revision", "AT+CGMR", "AT+GMR"), ("imei", "AT+CGSN", "AT+GSN")):
            value = self._optional(lambda c=cmd: parsers.parse_identity(
                engine.command(c, timeout=t).lines))
            if value is None and attr in ("maker", "model"):  # V.250 names as a fallback
                value = self._optional(lambda c=alt: parsers.parse_identity(
                    engine.command(c, timeout=t).lines))
            setattr(info, attr, value or "")

    def _step_quirks(self, engine: AtEngine) -> None:
        # The family decides only what cannot be negotiated (modemd.channels.quirks).
        if self._usb_id is None:
            self._usb_id = usb_id_of(self.port)
        self.quirks = match_quirks(self.info.maker, self.info.model, self._usb_id)
        log.info("modem %s: %s %s → quirks %r", self.name, self.info.maker, self.info.model,
                 self.quirks.family)
        for cmd in self.quirks.init:
            try:
                engine.command(cmd, timeout=self.command_timeout)
            except LinkLost:
                raise
            except AtError as exc:  # firmwares differ: a refused quirk command is no failure
                log.info("modem %s: %s refused (%s); carrying on", self.name, cmd, exc)

    def _step_sim(self, engine: AtEngine) -> None:
        t = self.command_timeout
        state = self._cpin(engine)
        if state == "SIM PIN":
            if self._pin_sent:
                # The modem still asks after our one try: never a second one (three wrong
                # PINs block the SIM).
                raise SimLocked("the SIM did not accept the configured PIN; not tried again")
            if not self._pin:
                raise SimLocked("the SIM needs a PIN; set modem.pin in the configuration")
            self._pin_sent = True  # before the write: whatever happens, one try only
            try:
                engine.command(f'AT+CPIN="{self._pin}"', timeout=t)
            except LinkLost:
                raise
            except CmeError as exc:
                if exc.code == 16:
                    raise SimLocked("wrong PIN (CME ERROR 16): correct modem.pin; modemd does "
                                    "not try again, three wrong PINs block the SIM") from exc
                if classify(exc) == "fatal":
                    raise SimLocked(f"the SIM refused the configured PIN ({exc})") from exc
                # busy: whether the PIN was taken shows in the next AT+CPIN? (never resent)
            except AtError as exc:
                log.info("modem %s: AT+CPIN answered %s; checking the SIM state", self.name,
                         exc)
            state = self._cpin(engine)
            if state == "SIM PIN":
                raise SimLocked("the SIM did not accept the configured PIN; not tried again")
        if state in ("SIM PUK", "SIM PUK2", "PH-SIM PUK"):
            raise SimLocked(f"the SIM is blocked ({state}): unblock it with the PUK in a phone")
        if state != "READY":
            raise SimLocked(f"the SIM is not ready: {state}")
        self.info.sim = "ready"
        self._pin_sent = False
        self.info.imsi = self._optional(lambda: parsers.parse_identity(
            engine.command("AT+CIMI", timeout=t).lines)) or ""

    def _cpin(self, engine: AtEngine) -> str:
        state = parsers.parse_cpin_read(
            engine.command("AT+CPIN?", timeout=self.command_timeout).lines)
        if state in ("NOT READY", "BUSY", "SIM BUSY", "NOT INSERTED"):
            raise ModemBusy(f"SIM {state.lower()} (+CPIN: {state})")
        return state

    def _step_message_service(self, engine: AtEngine) -> None:
        # With AT+CSMS=1 (phase 2+) a direct +CMT/+CDS must be acknowledged with AT+CNMA
        # (after the commit), otherwise the network delivers it again. Read what is in effect
        # and what could be chosen; the indications step decides.
        t = self.command_timeout
        read = self._optional(lambda: parsers.parse_csms_read(
            engine.command("AT+CSMS?", timeout=t).lines))
        self._csms = read if read is not None else 0
        modes = self._optional(lambda: parsers.parse_csms_test(
            engine.command("AT+CSMS=?", timeout=t).lines))
        self._csms_modes = modes or {self._csms}

    def _step_storages(self, engine: AtEngine) -> None:
        # Which storages exist to be swept, and where new messages go (mem1 = read, mem3 =
        # receive): the family's preferred one among those offered.
        t = self.command_timeout
        test = self._optional(lambda: parsers.parse_cpms_test(
            engine.command("AT+CPMS=?", timeout=t).lines))
        self._storages = readable_storages(test or [])
        if test:
            chosen = choose_storage(test, self.quirks.storages)
            if chosen:
                self._optional(lambda: engine.command(
                    "AT+CPMS=" + ",".join(f'"{m}"' for m in chosen), timeout=t))
        current = self._optional(lambda: parsers.parse_cpms_read(
            engine.command("AT+CPMS?", timeout=t).lines))
        home = current[0][0].upper() if current else "SM"
        self._home_storage = home if home != "SR" else "SM"
        if home == "SR":  # a previous run died while reading reports: select SM again
            self._optional(lambda: engine.command('AT+CPMS="SM"', timeout=t))

    def _step_indications(self, engine: AtEngine) -> None:
        # New messages stored with +CMTI, status reports stored with +CDSI (or else sent
        # directly as +CDS): see receive.choose_cnmi. A direct +CMT/+CDS is acknowledged only
        # after the commit when AT+CSMS=1 is possible, so it is switched on for direct
        # routing. Modems that refuse every setting (or route nothing) are polled: the storage
        # sweep then runs every poll_interval seconds.
        t = self.command_timeout
        ranges = self._optional(lambda: parsers.parse_cnmi_test(
            engine.command("AT+CNMI=?", timeout=t).lines))
        choices = ([choose_cnmi(ranges)] if ranges else []) + list(CNMI_FALLBACKS)
        self.cnmi = None
        for setting in dict.fromkeys(choices):
            values = [int(v) for v in setting.split(",")]
            direct = values[1] in (2, 3) or values[3] == 1
            if direct and self._csms == 0 and 1 in self._csms_modes:
                self._optional(lambda: engine.command("AT+CSMS=1", timeout=t))
            if self._optional(lambda s=setting: engine.command(f"AT+CNMI={s}", timeout=t)):
                self.cnmi = setting
                break
        # Read back what is in effect, so that the receiver acknowledges exactly when needed.
        read = self._optional(lambda: parsers.parse_csms_read(
            engine.command("AT+CSMS?", timeout=t).lines))
        if read is not None:
            self._csms = read
        self.receiving = indication_mode(self.cnmi)
        if self.receiving == "poll":
            log.warning("modem %s: no new-message indications; polling the storages every "
                        "%g s", self.name, min(self._receiver.sweep_interval, self.poll_interval))

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
            self._check_cnmi(engine)
        except LinkLost:
            pass
        except AtError as exc:
            log.debug("modem %s: refresh failed: %s", self.name, exc)
        finally:
            self._busy.release()

    def _check_cnmi(self, engine: AtEngine) -> None:
        # 27.005: when an AT+CNMA does not come in time (phase 2+), the modem sets <mt> and
        # <ds> to 0 by itself. Put the chosen routing back, or new messages go unnoticed.
        if self.cnmi is None or self._csms != 1:
            return
        t = self.command_timeout
        current = self._optional(lambda: parsers.parse_cnmi_read(
            engine.command("AT+CNMI?", timeout=t).lines))
        wanted = [int(v) for v in self.cnmi.split(",")]
        if current is not None and current[1:4:2] != wanted[1:4:2]:
            log.warning("modem %s: AT+CNMI was reset to %s; setting %s again", self.name,
                        current, self.cnmi)
            self._optional(lambda: engine.command(f"AT+CNMI={self.cnmi}", timeout=t))

    # --- events from the engine ----------------------------------------------------------
    def _on_urc(self, urc: Urc) -> None:
        self.counters.urcs += 1
        log.debug("modem %s: URC %s", self.name, urc.name)
        if is_ready_line(urc.line):
            self._boot_ready.set()  # ends a start-up back-off early
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

    def _on_wait(self, step: str, what: str | None) -> None:
        """From the step runner: which step runs and what it waits for (None: not waiting)."""
        if what is not None:
            self.counters.extra["startup_retries"] = (
                self.counters.extra.get("startup_retries", 0) + 1)
        if what is not None and what != self.waiting_for:
            log.info("modem %s: start-up step %s waits: %s", self.name, step, what)
        self.step, self.waiting_for = step, what
        self._changed()

    def _optional(self, call):  # type: ignore[no-untyped-def]
        """Run a query whose failure only leaves a fact unknown (modems differ in what they
        answer). During start-up a "busy" answer is raised so the step is retried, and so is
        an ambiguous one in the step's first seconds (see modemd.channels.startup)."""
        try:
            return call()
        except LinkLost:
            raise
        except AtError as exc:
            runner = self._runner
            if runner is not None:
                kind = classify(exc)
                if kind == "busy" or (kind == "ambiguous" and not isinstance(exc, AtTimeout)
                                      and _is_busy_hint(exc) and not runner.lenient()):
                    raise
            log.debug("modem %s: optional query failed: %s", self.name, exc)
            return None

    def _set_state(self, state: ModemState, reason: str | None) -> None:
        changed = state is not self.state
        self.state = state
        self.reason = reason
        if changed:
            log.info("modem %s: %s%s", self.name, state.value, f" ({reason})" if reason else "")
            self._changed()


def _is_busy_hint(exc: AtError) -> bool:
    """CMS 500 / CME 100 ("unknown error") are what many modems answer while their SMS stack
    starts; a plain ERROR in an optional query is far more often "not supported"."""
    return isinstance(exc, (CmsError, CmeError))


def _optional(call):  # type: ignore[no-untyped-def]
    """Run a query whose failure only leaves a fact unknown (signal, operator: never retried)."""
    try:
        return call()
    except LinkLost:
        raise
    except AtError as exc:
        log.debug("optional query failed: %s", exc)
        return None
