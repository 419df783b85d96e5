"""The simulated modem's transport: a pty, one serving thread, latency, faults, recording.

One thread per modem serves the pty master with poll(), woken through a pipe for calls from
other threads (fault injection, URCs, unplug) so that every descriptor and the command state
are touched by that thread only. A real modem handles one command at a time: after a command
its answer is scheduled `latency` seconds ahead and further input stays buffered until then.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import queue
import random
import select
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from modemd.sim.commands import ModemCore
from modemd.sim.profiles import get_profile
from modemd.sim.pty import PtyPort
from modemd.sim.state import Identity, Reply

log = logging.getLogger("modemd.sim")
T = TypeVar("T")

_MAX_LINE = 1024  # real modems drop command lines beyond a few hundred characters
_MAX_PDU = 1024  # hex digits kept after the prompt; a longer PDU is refused with 304
_MAX_BUFFER = 64 * 1024  # unread output beyond this is dropped, as a USB modem's buffer would
_EIO_PAUSE = 0.05  # seconds to wait before polling a master that reported EIO/HUP again


@dataclass(frozen=True)
class ReceivedPdu:
    """A PDU the simulated network accepted (answered with +CMGS)."""

    pdu_hex: str
    length: int  # the <n> of AT+CMGS
    message_ref: int
    at: float  # time.monotonic() when +CMGS was answered


class SimulatedModem:
    """A GSM modem on a real tty: 27.005/27.007 in PDU mode, with faults on request."""

    def __init__(self, path: str | Path, *, latency: float = 0.0,
                 imei: str = "356938035643809", imsi: str = "262011234567890",
                 operator: str = "Telekom.de", own_number: str = "+4915112345678",
                 profile: str = "generic", seed: int | None = None, pin: str | None = None,
                 first_message_ref: int = 0, command_latency: float = 0.0,
                 pdu_log: bool | str | Path = True, boot_seconds: float | None = None,
                 force_chatter: bool = False) -> None:
        """Configure a modem whose tty will appear at `path` once started.

        `pin` locks the SIM until AT+CPIN gives it; `first_message_ref` is the TP-MR of the
        first accepted PDU; `command_latency` delays answers to every other command;
        `pdu_log` is the JSON-lines file of received PDUs (True: `<path>.pdus.jsonl`,
        False: none). `profile` names the modem family played (modemd.sim.profiles);
        `boot_seconds` overrides how long its SIM/SMS stack stays busy after power-on;
        `force_chatter` keeps its status URCs coming inside answers even after the command
        that should switch them off (a firmware that ignores it).
        """
        self.path = Path(path)
        self.name = self.path.name
        self.profile = get_profile(profile)
        identity = Identity(imei=imei, imsi=imsi, operator=operator, own_number=own_number)
        self._core = ModemCore(self.profile, identity, pin=pin,
                               first_message_ref=first_message_ref)
        self._core.force_chatter = force_chatter
        self._boot_seconds = (self.profile.boot_seconds if boot_seconds is None
                              else boot_seconds)
        self._boot_until: float | None = None
        self._port = PtyPort(self.path)
        self._latency = latency
        self._command_latency = command_latency
        self._rng = random.Random(seed)
        if pdu_log is True:
            self.pdu_log: Path | None = self.path.with_name(f"{self.name}.pdus.jsonl")
        else:
            self.pdu_log = Path(pdu_log) if pdu_log else None
        # Owned by the serving thread.
        self._inbuf = bytearray()
        self._outbuf = bytearray()
        self._scheduled: deque[tuple[float, Callable[[], bytes]]] = deque()
        self._pdu_length: int | None = None
        self._pdu_buf = bytearray()
        self._pdu_echo = False
        self._master_paused_until = 0.0
        # Shared with other threads.
        self._faults = threading.Lock()
        self._fail_next: deque[int] = deque()
        self._fail_at: dict[int, int] = {}
        self._sends = 0
        self._send_urcs: list[tuple[str, str | None]] = []
        self._garbage_next: deque[bytes] = deque()
        self._garbage_rate = 0.0
        self._hang = 0
        self._hang_prefix = ""
        self._recorded = threading.Condition()
        self._received: list[ReceivedPdu] = []
        self._commands: list[str] = []
        self._calls: queue.SimpleQueue[tuple[Callable[[], object], Future[object]]] = (
            queue.SimpleQueue())
        self._wake_r = self._wake_w = -1
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._plug_timer: threading.Timer | None = None
        # Orders stop() against a plug timer firing, so no pty is reopened after stop().
        self._life = threading.Lock()

    # --- life cycle
    def start(self) -> None:
        """Create the pty, publish it at `path` and start serving it."""
        if self._thread is not None:
            raise RuntimeError(f"{self.name}: already started")
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._stopping = False
        self._do_plug()
        self._thread = threading.Thread(target=self._serve, name=f"sim-{self.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close the pty and remove the symlink. Safe to call twice."""
        with self._life:
            self._cancel_plug_timer()
            thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping = True
            self._wake()
            thread.join(timeout=5)
        self._run_pending_calls()
        self._port.close()
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._wake_r = self._wake_w = -1

    def __enter__(self) -> SimulatedModem:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def plugged(self) -> bool:
        """Whether the tty currently exists."""
        return self._port.is_open

    # --- recording
    @property
    def received(self) -> list[ReceivedPdu]:
        """Every PDU accepted so far, in order."""
        with self._recorded:
            return list(self._received)

    @property
    def commands(self) -> list[str]:
        """Every AT command line received, in order (PDU text after the prompt excluded)."""
        with self._recorded:
            return list(self._commands)

    def wait_for_pdus(self, n: int, timeout: float) -> list[ReceivedPdu]:
        """Block until at least `n` PDUs were accepted; TimeoutError if not within `timeout`."""
        with self._recorded:
            if not self._recorded.wait_for(lambda: len(self._received) >= n, timeout):
                raise TimeoutError(f"{self.name}: {len(self._received)} of {n} PDUs "
                                   f"after {timeout} s")
            return list(self._received)

    def wait_for_command(self, prefix: str, timeout: float, count: int = 1) -> list[str]:
        """Block until `count` command lines starting with `prefix` (any case) arrived.

        Returns all command lines so far; TimeoutError if they do not come in time.
        """
        prefix = prefix.upper()

        def seen() -> bool:
            return sum(c.upper().startswith(prefix) for c in self._commands) >= count

        with self._recorded:
            if not self._recorded.wait_for(seen, timeout):
                raise TimeoutError(f"{self.name}: no {count}× {prefix} after {timeout} s")
            return list(self._commands)

    def stored(self, storage: str = "SM") -> dict[int, str]:
        """The PDUs in a message storage by index (a copy)."""
        return self._call(lambda: {i: m.pdu_hex
                                   for i, m in self._core.storage[storage.upper()].items()})

    # --- fault injection
    def fail_next_sends(self, code: int, count: int = 1) -> None:
        """The next `count` valid AT+CMGS submissions answer "+CMS ERROR: code"."""
        with self._faults:
            self._fail_next.extend([code] * count)

    def fail_send_number(self, k: int, code: int) -> None:
        """The k-th valid AT+CMGS submission from now (1-based) answers "+CMS ERROR: code"."""
        with self._faults:
            self._fail_at[self._sends + k] = code

    def inject_urc_during_send(self, urc: str, body: str | None = None) -> None:
        """The next AT+CMGS emits this URC after the PDU and before its answer."""
        with self._faults:
            self._send_urcs.append((urc, body))

    def emit_urc(self, line: str, body: str | None = None) -> None:
        """Write an unsolicited result code now (with its PDU line for +CMT/+CDS)."""
        self._call(lambda: self._write_urcs([(line, body)]))

    def garbage_next_answer(self, data: bytes = b"\xff\x00\xfe") -> None:
        """Put `data` in front of the next answer."""
        with self._faults:
            self._garbage_next.append(data)

    def garbage_rate(self, p: float) -> None:
        """Put a random garbage byte in front of each answer with probability `p`."""
        with self._faults:
            self._garbage_rate = p

    def hang_next(self, count: int = 1, prefix: str = "") -> None:
        """Swallow the next `count` command lines (starting with `prefix`, if given): no echo,
        no answer, no effect."""
        with self._faults:
            self._hang += count
            self._hang_prefix = prefix.upper()

    def set_latency(self, seconds: float) -> None:
        """Time between the end of a PDU and the answer to AT+CMGS."""
        self._latency = seconds

    def set_signal(self, rssi: int, ber: int = 99) -> None:
        """What AT+CSQ reports from now on."""
        self._core.rssi, self._core.ber = rssi, ber

    def unplug(self, duration: float | None = None) -> None:
        """The tty goes away (and comes back after `duration` seconds, if given).

        The daemon's open port sees a hang-up; the modem powers up with default settings.
        """
        self._cancel_plug_timer()
        self._call(self._do_unplug)
        if duration is not None:
            timer = threading.Timer(duration, self._timed_plug)
            timer.daemon = True
            self._plug_timer = timer
            timer.start()

    def plug(self) -> None:
        """A new pty pair appears at the same path (no-op when already plugged)."""
        if self._thread is None:
            raise RuntimeError(f"{self.name}: not started")
        self._cancel_plug_timer()
        self._call(self._do_plug)

    # --- arriving messages
    def require_acknowledgement(self) -> None:
        """Act as if AT+CSMS=1 (phase 2+) were set: a +CMT/+CDS then waits for AT+CNMA.

        modemd only reads AT+CSMS at start-up; tests use this to check the acknowledgement.
        A power cycle (unplug) resets it, as on a real modem.
        """
        def set_csms() -> None:
            self._core.settings.csms = 1
        self._call(set_csms)

    @property
    def unacknowledged(self) -> int:
        """Direct deliveries (+CMT/+CDS) still waiting for AT+CNMA (with AT+CSMS=1)."""
        return self._call(lambda: self._core.unacked)

    def deliver_stored(self, pdu_hex: str, storage: str | None = None) -> int | None:
        """An SMS-DELIVER arrives from the network, routed as AT+CNMI says.

        Stored in `storage` (default: the receive storage <mem3> that AT+CPMS chose), with
        +CMTI if <mt> is 1 or 3, and its index returned; with
        <mt>=2 it is written as +CMT with the PDU instead, not stored, and None returned.
        """
        def deliver() -> int | None:
            index, urcs = self._core.deliver(pdu_hex, storage)
            self._write_urcs(urcs)
            return index
        return self._call(deliver)

    def deliver_status_report(self, pdu_hex: str) -> int | None:
        """An SMS-STATUS-REPORT arrives: +CDS (<ds>=1, returns None) or stored in SR."""
        def deliver() -> int | None:
            index, urcs = self._core.status_report(pdu_hex)
            self._write_urcs(urcs)
            return index
        return self._call(deliver)

    # --- cross-thread plumbing
    def _call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the serving thread (directly if there is none) and return its result."""
        thread = self._thread
        if thread is None or not thread.is_alive() or threading.current_thread() is thread:
            return fn()
        future: Future[object] = Future()
        self._calls.put((fn, future))
        self._wake()
        return future.result(timeout=10)  # type: ignore[return-value]

    def _run_pending_calls(self) -> None:
        while True:
            try:
                fn, future = self._calls.get_nowait()
            except queue.Empty:
                return
            try:
                future.set_result(fn())
            except Exception as exc:  # handed to the caller, never kills the thread
                future.set_exception(exc)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # a full pipe wakes the thread just as well
            os.write(self._wake_w, b"x")

    def _cancel_plug_timer(self) -> None:
        timer, self._plug_timer = self._plug_timer, None
        if timer is not None:
            timer.cancel()

    def _timed_plug(self) -> None:
        with self._life:
            self._plug_timer = None
            if self._thread is not None:
                self._call(self._do_plug)

    def _do_plug(self) -> None:
        if self._port.is_open:
            return
        self._port.open()
        log.info("%s: plugged in at %s → %s", self.name, self.path, self._port.slave_name)
        for line in self.profile.boot_urcs:
            self._outbuf += self._core.frame_urc(line)
        if self._boot_seconds > 0:
            self._core.booting = True
            self._boot_until = time.monotonic() + self._boot_seconds
        else:
            self._end_boot()
        self._flush()

    def _end_boot(self) -> None:
        self._core.booting = False
        self._boot_until = None
        for line in self.profile.ready_urcs:
            self._outbuf += self._core.frame_urc(line)

    @property
    def chatter_sent(self) -> int:
        """Status lines slipped into answers so far."""
        return self._call(lambda: self._core.chatter_sent)

    def _do_unplug(self) -> None:
        # The unplug falls between bytes: what the modem already sent reaches the host first.
        self._flush()
        self._port.drain(timeout=1.0)
        self._port.close()
        self._inbuf.clear()
        self._outbuf.clear()
        self._scheduled.clear()  # an answer still due is lost with the tty, as on a real one
        self._pdu_length = None
        self._pdu_buf.clear()
        self._core.power_on()
        self._boot_until = None
        log.info("%s: unplugged", self.name)

    # --- serving thread
    def _serve(self) -> None:
        while not self._stopping:
            try:
                self._serve_once()
            except Exception:  # never die on a bug triggered by input; log and carry on
                log.exception("%s: simulator error", self.name)
                time.sleep(0.01)

    def _serve_once(self) -> None:
        self._pump()
        now = time.monotonic()
        poller = select.poll()
        poller.register(self._wake_r, select.POLLIN)
        master = self._port.master
        timeout: float | None = None
        if master is not None:
            if now < self._master_paused_until:
                timeout = self._master_paused_until - now
            else:
                poller.register(master, select.POLLIN | (select.POLLOUT if self._outbuf else 0))
        if self._scheduled:
            due = max(0.0, self._scheduled[0][0] - now)
            timeout = due if timeout is None else min(timeout, due)
        if self._boot_until is not None:
            due = max(0.0, self._boot_until - now)
            timeout = due if timeout is None else min(timeout, due)
        events = poller.poll(None if timeout is None else timeout * 1000 + 1)
        for fd, mask in events:
            if fd == self._wake_r:
                with contextlib.suppress(OSError):
                    os.read(self._wake_r, 4096)
                self._run_pending_calls()
            elif fd == master and master == self._port.master:
                if mask & (select.POLLIN | select.POLLHUP | select.POLLERR):
                    self._read(master)
                if mask & select.POLLOUT:
                    self._flush()

    def _read(self, master: int) -> None:
        try:
            data = os.read(master, 4096)
        except BlockingIOError:
            return
        except OSError as exc:
            # EIO: no slave open. Cannot happen while we hold the slave, but never spin on it.
            if exc.errno != errno.EIO:
                log.warning("%s: read error %s", self.name, exc)
            data = b""
        if not data:
            self._master_paused_until = time.monotonic() + _EIO_PAUSE
            return
        self._inbuf += data
        if len(self._inbuf) > _MAX_BUFFER:
            del self._inbuf[:-_MAX_BUFFER]

    def _flush(self) -> None:
        master = self._port.master
        if master is None:
            self._outbuf.clear()
            return
        if len(self._outbuf) > _MAX_BUFFER:
            del self._outbuf[:-_MAX_BUFFER]
        while self._outbuf:
            try:
                written = os.write(master, self._outbuf)
            except (BlockingIOError, InterruptedError):
                return  # nobody reads; POLLOUT tells us when to go on
            except OSError as exc:
                # Lost like bytes on a broken link; keeping them would retry (and spin) forever.
                log.warning("%s: write error %s", self.name, exc)
                self._outbuf.clear()
                return
            del self._outbuf[:written]

    def _pump(self) -> None:
        """Release due answers, then handle buffered input while no answer is pending."""
        if self._boot_until is not None and time.monotonic() >= self._boot_until:
            self._end_boot()
        while self._port.is_open:
            now = time.monotonic()
            while self._scheduled and self._scheduled[0][0] <= now:
                _, produce = self._scheduled.popleft()
                self._emit_answer(produce())
            if self._scheduled or not self._step():
                break
        self._flush()

    def _answer(self, produce: Callable[[], bytes], delay: float) -> None:
        if delay <= 0 and not self._scheduled:
            self._emit_answer(produce())
        else:
            start = self._scheduled[-1][0] if self._scheduled else time.monotonic()
            self._scheduled.append((start + max(delay, 0.0), produce))

    def _emit_answer(self, data: bytes) -> None:
        with self._faults:
            garbage = self._garbage_next.popleft() if self._garbage_next else b""
            if self._garbage_rate and self._rng.random() < self._garbage_rate:
                # Bytes no AT line contains, so they can only ever be noise.
                garbage += bytes([self._rng.choice([0x00, *range(0x80, 0x100)])])
        self._outbuf += garbage + data

    def _write_urcs(self, urcs: list[tuple[str, str | None]]) -> None:
        if not self._port.is_open:
            return
        for line, body in urcs:
            self._outbuf += self._core.frame_urc(line, body)
        self._flush()

    def _step(self) -> bool:
        """Handle one command line or the end of a PDU; False when the input has no more."""
        if self._pdu_length is not None:
            return self._step_pdu()
        end = self._inbuf.find(b"\r")
        if end < 0:
            if len(self._inbuf) > _MAX_LINE:
                self._inbuf.clear()
            return False
        raw = bytes(self._inbuf[:end])
        del self._inbuf[:end + 1]
        self._handle_line(raw)
        return True

    def _handle_line(self, raw: bytes) -> None:
        # Stray LFs (from CR LF line ends) and noise before "AT" are ignored, as modems do.
        text = raw.replace(b"\n", b"").decode("latin-1")
        start = text.upper().find("AT")
        if start < 0:
            return
        line = text[start:].rstrip()
        with self._recorded:
            self._commands.append(line)
            self._recorded.notify_all()
        with self._faults:
            if self._hang and line.upper().startswith(self._hang_prefix):
                self._hang -= 1
                log.debug("%s: hanging on %s", self.name, line)
                return
        core = self._core
        if core.booting and self.profile.silent_while_booting:
            log.debug("%s: booting, no answer to %s", self.name, line)
            return
        if core.settings.echo:
            self._outbuf += line.encode("latin-1") + b"\r"
        try:
            reply = core.execute(line)
        except Exception:
            log.exception("%s: command %r failed", self.name, line)
            reply = Reply(final="ERROR")
        if reply.prompt_length is not None:
            self._pdu_length = reply.prompt_length
            self._pdu_buf.clear()
            self._pdu_echo = core.settings.echo and self.profile.echo_pdu
            prompt = self.profile.prompt
            self._answer(lambda: prompt, self._command_latency)
        else:
            self._answer(lambda: core.frame(reply), self._command_latency)

    def _step_pdu(self) -> bool:
        ends = [i for i in (self._inbuf.find(b"\x1a"), self._inbuf.find(b"\x1b")) if i >= 0]
        end = min(ends) if ends else len(self._inbuf)
        chunk = bytes(self._inbuf[:end])
        if self._pdu_echo:
            self._outbuf += chunk
        if len(self._pdu_buf) < _MAX_PDU:
            self._pdu_buf += chunk[:_MAX_PDU + 1 - len(self._pdu_buf)]
        if not ends:
            self._inbuf.clear()
            return False
        terminator = self._inbuf[end]
        del self._inbuf[:end + 1]
        length, self._pdu_length = self._pdu_length, None
        text = "".join(self._pdu_buf.decode("latin-1").split())
        self._pdu_buf.clear()
        if terminator == 0x1B:
            esc = self.profile.esc_answer
            if esc is not None:
                self._answer(lambda: self._core.frame(Reply(final=esc)), 0)
            return True
        assert length is not None
        self._submit(length, text)
        return True

    def _submit(self, length: int, pdu: str) -> None:
        core = self._core
        code = core.pdu_error(length, pdu)
        with self._faults:
            urcs, self._send_urcs = self._send_urcs, []
            if code is None:  # only valid PDUs reach the network, and its faults
                self._sends += 1
                code = self._fail_at.pop(self._sends, None)
                if code is None and self._fail_next:
                    code = self._fail_next.popleft()
                delay = self._latency
            else:
                delay = 0.0  # the modem refuses a malformed PDU at once
        self._write_urcs(urcs)
        if code is not None:
            final = core.cms(code)
            self._answer(lambda: core.frame(Reply(final=final)), delay)
            return

        def accepted() -> bytes:
            mr = core.take_message_ref()
            self._record(ReceivedPdu(pdu, length, mr, time.monotonic()))
            return core.frame(Reply(lines=[self.profile.cmgs_answer.format(mr=mr)]))

        self._answer(accepted, delay)

    def _record(self, pdu: ReceivedPdu) -> None:
        with self._recorded:
            self._received.append(pdu)
            self._recorded.notify_all()
        if self.pdu_log is None:
            return
        entry = {"modem": self.name, "pdu": pdu.pdu_hex, "length": pdu.length,
                 "mr": pdu.message_ref, "t": datetime.now(UTC).isoformat()}
        try:
            with self.pdu_log.open("a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")
        except OSError as exc:
            log.warning("%s: cannot append to %s: %s", self.name, self.pdu_log, exc)
