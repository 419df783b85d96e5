"""The AT command engine: one reader thread per port, one command in flight.

The engine deals in lines, final result codes, the ``> `` prompt and URC prefixes that callers
register; it knows nothing about SMS. Bytes from the port are decoded so that no byte can kill
the reader, split into lines, and each line is classified in this order:

1. the body of a pending two-line URC (``+CMT``/``+CDS`` carry their PDU on the next line);
2. the echo of the pending command (echo may be on until ``ATE0``);
3. a final result code of the pending command (``OK``, ``ERROR``, ``+CMS ERROR: …``…);
4. a registered URC — unless its prefix is the pending command's own (``+CREG:`` answers
   ``AT+CREG?``), in which case it is an answer line;
5. an information line of the pending command, or, with nothing pending, a stray line that is
   logged and dropped.

URCs are taken out of the stream before response matching, so a ``+CMTI`` in the middle of an
answer is neither lost nor mistaken for it. After a command times out, the engine drops every
non-URC line up to the next final result code, and the next command waits (``settle_timeout``)
for that late final code before it writes, so a late answer never reaches the next command.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from modemd.at.parsers import parse_error_result
from modemd.errors import AtError, AtTimeout, LinkLost

log = logging.getLogger("modemd.at")

CTRL_Z = "\x1a"
ESC = "\x1b"

# URC prefixes every engine knows. "^" matches any vendor line starting with "^" (Huawei
# ^RSSI, ^BOOT, ^MODE…). +CREG/+CGREG/+CEREG are URCs only when the pending command is not
# AT+CREG… itself (rule 4 in the module docstring).
DEFAULT_URCS: tuple[tuple[str, bool], ...] = (
    ("+CMTI", False),
    ("+CDSI", False),
    ("+CMT", True),
    ("+CDS", True),
    ("+CBM", True),
    ("RING", False),
    ("+CRING", False),
    ("+CLIP", False),
    ("+CUSD", False),
    ("+CREG", False),
    ("+CGREG", False),
    ("+CEREG", False),
    ("NO CARRIER", False),
    ("^", False),
)

# Result codes that end call-control commands only (ATD, ATA, ATO). For any other command
# they are URCs: a caller hanging up makes many modems print NO CARRIER, and that must not
# end an AT+CMGS that is waiting for its "+CMGS: <mr>".
_CALL_FINALS = ("NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE")
_ERROR_FINALS = ("ERROR", "COMMAND NOT SUPPORT", "TOO MANY PARAMETERS")

# Control characters (except CR/LF), DEL and U+FFFD (what undecodable bytes become) are
# line noise: dropped before splitting so garbage cannot glue itself to "OK".
_NOISE = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_EOL = re.compile("[\r\n]")
# A command's own answer prefixes: AT+CREG? → +CREG, AT^SYSINFO → ^SYSINFO, AT$QCSQ → $QCSQ.
_CMD_PREFIX = re.compile(r"^\s*([+^$%#*!@&][A-Z][A-Z0-9_]*)")
_CALL_CONTROL = re.compile(r"^AT[DAO]", re.IGNORECASE)

_REDACT_HEX = re.compile(r"[0-9A-Fa-f]{20,}")
_REDACT_NUMBER = re.compile(r'"\+?[0-9][0-9 ()/-]{2,}"')
_MAX_PARTIAL = 8192  # a line longer than this without CR/LF is garbage, not an answer
_EOF_SPINS = 50  # empty reads in a row that returned at once: the port is at EOF


class Port(Protocol):
    """What the engine needs from a port: a pyserial ``Serial`` opened with a read timeout."""

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> Any: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Urc:
    """An unsolicited result code taken out of the stream.

    ``name`` is the registered prefix that matched (for the catch-all ``^`` prefix, the line's
    own token such as ``^RSSI``), ``line`` the whole first line, ``body`` the second line of a
    two-line URC (None for one-line URCs, or if the second line never came).
    """

    name: str
    line: str
    body: str | None = None


@dataclass(frozen=True)
class Response:
    """A command's answer: its information lines (no echo, no final code, no blank lines)
    and the final result code (``OK``, or ``CONNECT…``)."""

    lines: tuple[str, ...]
    final: str


def redact_line(text: str) -> str:
    """Hide PDUs (≥ 20 hex digits) and quoted phone-number-looking strings for the log."""
    text = _REDACT_HEX.sub("<redacted>", text)
    return _REDACT_NUMBER.sub('"<redacted>"', text)


def command_prefixes(cmd: str) -> frozenset[str]:
    """The answer prefixes a command produces: ``AT+CSQ;+CREG?`` → ``{"+CSQ", "+CREG"}``."""
    body = cmd.strip()
    if body[:2].upper() == "AT":
        body = body[2:]
    out = set()
    for part in body.split(";"):
        m = _CMD_PREFIX.match(part.upper())
        if m:
            out.add(m.group(1))
    return frozenset(out)


def _head(line: str) -> str:
    """The token a line starts with, up to its colon: ``+CREG: 1`` → ``+CREG``."""
    return line.split(":", 1)[0].strip().upper()


def _final_kind(line: str, call_control: bool) -> str | None:
    """"ok", "error" or None for a line that is not a final result code of such a command."""
    up = line.upper()
    if up == "OK" or up == "CONNECT" or up.startswith("CONNECT "):
        return "ok"
    if up in _ERROR_FINALS or up.startswith("+CMS ERROR") or up.startswith("+CME ERROR"):
        return "error"
    if call_control and up in _CALL_FINALS:
        return "error"
    return None


@dataclass
class _Pending:
    """The one command in flight."""

    seq: int
    cmd: str
    prefixes: frozenset[str]
    call_control: bool
    payload: str | None = None  # set once the prompt came and the payload is being written
    expect_prompt: bool = False
    prompt_seen: bool = False
    lines: list[str] = field(default_factory=list)
    final: str | None = None
    error: AtError | None = None

    @property
    def done(self) -> bool:
        return self.final is not None or self.error is not None


class AtEngine:
    """Drives one AT port: a reader thread, one command at a time, URCs routed to a callback.

    ``port`` needs ``read(n) -> bytes`` that blocks for at most a short timeout and may
    return ``b""`` (a pyserial ``Serial(..., timeout=0.2)`` fits), ``write(bytes)`` and
    ``close()``. If the port has ``in_waiting`` it is used as a hint to read more than one
    byte at a time; nothing depends on it.

    ``on_urc`` is called from the reader thread for every URC. Keep it short (hand the URC to
    a queue); it must not call :meth:`command`, which needs the reader. Exceptions it raises
    are logged and swallowed. ``on_lost`` is called once, with the reason, when the port dies
    (not on :meth:`close`). ``urc_body_timeout`` bounds the wait for the second line of a
    two-line URC; ``settle_timeout`` bounds how long a command waits for the late final code
    of a timed-out predecessor before it writes anyway.
    """

    def __init__(
        self,
        port: Port,
        *,
        name: str = "modem",
        on_urc: Callable[[Urc], None] | None = None,
        on_lost: Callable[[Exception], None] | None = None,
        log_redact: bool = True,
        urc_body_timeout: float = 3.0,
        settle_timeout: float = 2.0,
    ) -> None:
        self._port = port
        self.name = name
        self._on_urc = on_urc
        self._on_lost = on_lost
        self._log_redact = log_redact
        self._urc_body_timeout = urc_body_timeout
        self._settle_timeout = settle_timeout
        self._cmd_lock = threading.Lock()  # one command in flight; callers queue here
        self._cond = threading.Condition()  # guards everything below; reader notifies
        self._urcs: dict[str, tuple[str, bool]] = {}  # PREFIX → (prefix as given, two_line)
        self._urc_order: list[tuple[str, str, bool]] = []
        for prefix, two_line in DEFAULT_URCS:
            self.register_urc(prefix, two_line=two_line)
        self._pending: _Pending | None = None
        self._seq = 0
        self._discarding = False  # a command timed out: drop lines up to the next final
        self._discard_call_control = False
        self._urc_wait: tuple[str, str, float] | None = None  # (name, header, deadline)
        self._buf = ""
        self._thread: threading.Thread | None = None
        self._closed = False
        self._dead: LinkLost | None = None
        self._port_closed = False

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the reader thread (one daemon thread for this port)."""
        with self._cond:
            if self._thread is not None:
                raise AtError(f"{self.name}: engine already started")
            if self._closed:
                raise LinkLost(f"{self.name}: engine closed")
            self._thread = threading.Thread(
                target=self._reader, name=f"at-reader-{self.name}", daemon=True
            )
        self._thread.start()
        log.debug("%s: AT reader started", self.name)

    def close(self) -> None:
        """Stop the reader, close the port and fail any waiting command with LinkLost.

        Idempotent; safe to call from any thread, including from ``on_urc``/``on_lost``.
        """
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._fail_pending(LinkLost(f"{self.name}: engine closed"))
            self._cond.notify_all()
        cancel = getattr(self._port, "cancel_read", None)
        if callable(cancel):
            # Wakes a pyserial read at once; a half-dead port may refuse, we close anyway.
            with contextlib.suppress(Exception):
                cancel()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        self._close_port()
        log.debug("%s: AT engine closed", self.name)

    @property
    def alive(self) -> bool:
        """True while the reader runs and the port has not been lost or closed."""
        with self._cond:
            return self._thread is not None and not self._closed and self._dead is None

    def register_urc(self, prefix: str, *, two_line: bool = False) -> None:
        """Route lines starting with ``prefix`` (followed by ``:``, a space or nothing) to
        ``on_urc``. ``two_line`` URCs carry a second line (their body). A prefix ending in a
        non-alphanumeric character (``^``) matches any line that starts with it."""
        prefix = prefix.strip()
        if not prefix:
            raise ValueError("empty URC prefix")
        with self._cond:
            self._urcs[prefix.upper()] = (prefix, two_line)
            # Longest first: "+CMTI" never falls to a shorter prefix, "^RSSI" beats "^".
            self._urc_order = sorted(
                ((key, name, two) for key, (name, two) in self._urcs.items()),
                key=lambda item: -len(item[0]),
            )

    # --- commands ----------------------------------------------------------------------------

    def command(self, cmd: str, *, timeout: float = 10.0) -> Response:
        """Write ``cmd`` + CR and wait for its final result code.

        Raises CmsError/CmeError for ``+CMS ERROR``/``+CME ERROR``, AtError for ``ERROR`` and
        the like, AtTimeout if no final code comes within ``timeout`` seconds, LinkLost if
        the port is gone. Concurrent callers queue; ``timeout`` starts when it is our turn.
        """
        return self._exchange(cmd, None, timeout, 0.0)

    def command_with_prompt(
        self, cmd: str, payload: str, *, timeout: float = 120.0, prompt_timeout: float = 10.0
    ) -> Response:
        """Write ``cmd`` + CR, wait for the ``> `` prompt, write ``payload`` + Ctrl-Z, and wait
        for the final result code (for ``AT+CMGS=<n>``, ``AT+CMGW=<n>``).

        If no prompt comes within ``prompt_timeout``, ESC is written to abort the input and
        AtTimeout raised; an error result instead of the prompt raises that error; no final
        code within ``timeout`` after the payload raises AtTimeout.
        """
        return self._exchange(cmd, payload, timeout, prompt_timeout)

    def _exchange(
        self, cmd: str, payload: str | None, timeout: float, prompt_timeout: float
    ) -> Response:
        # Checked before anything is written: a half-written command cannot be undone.
        for text in (cmd, payload or ""):
            try:
                text.encode("latin-1")
            except UnicodeEncodeError:
                raise AtError(f"{self.name}: command or payload is not 8-bit text") from None
        if "\r" in cmd or (payload is not None and (CTRL_Z in payload or ESC in payload)):
            # CR would end the command early; Ctrl-Z/ESC would end or abort the input.
            raise AtError(f"{self.name}: control character inside command or payload")
        with self._cmd_lock:
            self._settle()
            with self._cond:
                self._check_usable()
                self._seq += 1
                p = _Pending(
                    seq=self._seq,
                    cmd=cmd.strip(),
                    prefixes=command_prefixes(cmd),
                    call_control=bool(_CALL_CONTROL.match(cmd.strip())),
                    expect_prompt=payload is not None,
                )
                # Registered before the bytes go out: an instant answer cannot be missed.
                self._pending = p
            self._debug(">", cmd)
            self._write(cmd + "\r")

            if payload is not None:
                with self._cond:
                    ok = self._cond.wait_for(lambda: p.prompt_seen or p.done, prompt_timeout)
                    if not ok:
                        self._expire(p)
                if not ok:
                    log.warning("%s: no prompt for %s within %.1f s, aborting with ESC",
                                self.name, self._fmt(cmd), prompt_timeout)
                    self._write(ESC)
                    raise AtTimeout(f"{self.name}: no '> ' prompt for {self._fmt(cmd)}")
                if not p.done:
                    with self._cond:
                        p.payload = payload
                    if self._log_redact:
                        log.debug("%s > <payload, %d chars>", self.name, len(payload))
                    else:
                        log.debug("%s > %s<Ctrl-Z>", self.name, payload)
                    self._write(payload + CTRL_Z)

            with self._cond:
                ok = self._cond.wait_for(lambda: p.done, timeout)
                if not ok:
                    self._expire(p)
            if not ok:
                log.warning("%s: %s timed out after %.1f s", self.name, self._fmt(cmd), timeout)
                raise AtTimeout(f"{self.name}: {self._fmt(cmd)} timed out after {timeout:g} s")
            if p.error is not None:
                raise p.error
            if payload is not None and not p.prompt_seen:
                raise AtError(f"{self.name}: {self._fmt(cmd)} ended with {p.final} "
                              "before the prompt")
            assert p.final is not None
            return Response(tuple(p.lines), p.final)

    def _settle(self) -> None:
        """Before writing: if a predecessor timed out, give its late final code a chance to
        arrive (and be dropped) so it cannot be taken for ours."""
        with self._cond:
            if not self._discarding:
                return
            self._cond.wait_for(
                lambda: not self._discarding or self._closed or self._dead is not None,
                self._settle_timeout,
            )
            if self._discarding:
                # The modem never finished the old command (it may have dropped it); waiting
                # longer would only delay us. From here on its lines are ours again.
                log.debug("%s: no late final code after %.1f s, carrying on",
                          self.name, self._settle_timeout)
                self._discarding = False
                # A half line still in the buffer is the dead command's; it must not be
                # completed by our answer's line ending.
                self._buf = ""

    def _expire(self, p: _Pending) -> None:
        """Detach a timed-out command (under the lock): its late lines go nowhere."""
        if self._pending is p:
            self._pending = None
            self._discarding = True
            self._discard_call_control = p.call_control

    def _check_usable(self) -> None:
        if self._dead is not None:
            raise LinkLost(str(self._dead))
        if self._closed:
            raise LinkLost(f"{self.name}: engine closed")
        if self._thread is None:
            raise AtError(f"{self.name}: engine not started")

    def _write(self, text: str) -> None:
        try:
            self._port.write(text.encode("latin-1"))
        except Exception as exc:  # any port failure means the link is gone
            self._lost(exc)
            raise LinkLost(f"{self.name}: write failed: {exc}") from exc

    # --- reader ------------------------------------------------------------------------------

    def _reader(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        spins = 0
        while True:
            with self._cond:
                if self._closed or self._dead is not None:
                    return
            started = time.monotonic()
            try:
                data = self._port.read(self._chunk_size())
            except Exception as exc:  # SerialException, OSError, anything
                if not self._closed:
                    self._lost(exc)
                return
            if not data:
                # pyserial returns b"" on timeout; an empty read that returns at once, over
                # and over, is a port at EOF (e.g. the other end of a pipe went away).
                spins = spins + 1 if time.monotonic() - started < 0.001 else 0
                if spins >= _EOF_SPINS:
                    self._lost(LinkLost(f"{self.name}: port returned EOF"))
                    return
                self._deliver(self._tick())
                continue
            spins = 0
            try:
                self._deliver(self._feed(decoder.decode(data)))
            except Exception:  # a bug here must not kill the reader
                log.exception("%s: error while handling modem input", self.name)

    def _chunk_size(self) -> int:
        try:
            n = int(getattr(self._port, "in_waiting", 0) or 0)
        except Exception:  # only a hint; read() will report a dead port
            n = 0
        return max(1, min(n, 4096))

    def _feed(self, text: str) -> list[Urc]:
        """Split decoded text into lines and handle them; returns URCs to deliver."""
        urcs: list[Urc] = []
        with self._cond:
            self._buf += _NOISE.sub("", text.replace("\t", " "))
            while True:
                m = _EOL.search(self._buf)
                if m is None:
                    break
                line = self._buf[: m.start()].strip()
                self._buf = self._buf[m.end():]
                if line:
                    self._line(line, urcs)
            p = self._pending
            # The prompt has no line ending: look for it in the partial line.
            if (p is not None and p.expect_prompt and not p.prompt_seen
                    and self._buf.strip() == ">"):
                self._debug("<", "> ")
                p.prompt_seen = True
                self._buf = ""
                self._cond.notify_all()
            if len(self._buf) > _MAX_PARTIAL:
                log.debug("%s: dropping %d chars without line end", self.name, len(self._buf))
                self._buf = ""
        urcs.extend(self._tick())
        return urcs

    def _line(self, line: str, urcs: list[Urc]) -> None:
        """Classify one complete, non-blank line (under the lock)."""
        p = self._pending
        if self._urc_wait is not None:
            name, header, _ = self._urc_wait
            self._urc_wait = None
            if (_final_kind(line, True) is None and self._match_urc(line, p) is None
                    and line != ">"):
                self._debug("<", line, body=True)
                urcs.append(Urc(name, header, line))
                return
            log.debug("%s: %s came without its second line", self.name, name)
            urcs.append(Urc(name, header, None))

        if p is not None and p.payload is not None and (
                line.lstrip("> ").strip() == p.payload.strip()):
            log.debug("%s < <echo of the payload>", self.name)  # never its content
            return
        self._debug("<", line)
        if p is not None:
            if line.upper() == p.cmd.upper():
                return  # echo of the command
            kind = _final_kind(line, p.call_control)
            if kind is not None:
                self._complete(p, line, kind)
                return
        match = self._match_urc(line, p)
        if match is not None:
            name, two_line = match
            if two_line:
                self._urc_wait = (name, line, time.monotonic() + self._urc_body_timeout)
            else:
                urcs.append(Urc(name, line, None))
            return
        if p is not None:
            if line == ">":
                if p.expect_prompt and not p.prompt_seen:
                    p.prompt_seen = True
                    self._cond.notify_all()
                return
            p.lines.append(line)
            return
        if self._discarding:
            if _final_kind(line, self._discard_call_control) is not None:
                self._discarding = False
                self._cond.notify_all()
                log.debug("%s: dropped late final code of a timed-out command", self.name)
            else:
                log.debug("%s: dropped late line of a timed-out command", self.name)
            return
        log.debug("%s: dropped unsolicited line (no command pending)", self.name)

    def _match_urc(self, line: str, p: _Pending | None) -> tuple[str, bool] | None:
        head = _head(line)
        if p is not None and head in p.prefixes:
            return None  # the pending command's own answer (AT+CREG? → +CREG: 0,1)
        up = line.upper()
        for key, prefix, two_line in self._urc_order:
            if not up.startswith(key):
                continue
            if key[-1].isalnum():
                rest = up[len(key):]
                if rest and rest[0] not in ": ":
                    continue  # "+CMT" must not match "+CMTI: …"
                return prefix, two_line
            # A catch-all like "^": name the URC by the line's own token (^RSSI, ^BOOT).
            return line.split(":", 1)[0].strip() or prefix, two_line
        return None

    def _complete(self, p: _Pending, line: str, kind: str) -> None:
        if kind == "ok":
            p.final = line
        else:
            p.error = parse_error_result(line)
        if self._pending is p:
            self._pending = None
        self._cond.notify_all()

    def _tick(self) -> list[Urc]:
        """Time-based work: deliver a two-line URC whose second line never came."""
        with self._cond:
            if self._urc_wait is not None and time.monotonic() >= self._urc_wait[2]:
                name, header, _ = self._urc_wait
                self._urc_wait = None
                log.debug("%s: %s second line timed out", self.name, name)
                return [Urc(name, header, None)]
        return []

    def _deliver(self, urcs: list[Urc]) -> None:
        for urc in urcs:
            if self._on_urc is None:
                continue
            try:
                self._on_urc(urc)
            except Exception:  # a caller's bug must not stop the reader
                log.exception("%s: on_urc failed for %s", self.name, urc.name)

    # --- link loss ---------------------------------------------------------------------------

    def _lost(self, exc: Exception) -> None:
        """Mark the link dead once: fail the waiter, tell on_lost, close the port."""
        with self._cond:
            if self._dead is not None or self._closed:
                return
            self._dead = LinkLost(f"{self.name}: link lost: {exc}")
            self._fail_pending(self._dead)
            self._cond.notify_all()
        log.warning("%s: link lost: %s", self.name, exc)
        self._close_port()
        if self._on_lost is not None:
            try:
                self._on_lost(exc)
            except Exception:
                log.exception("%s: on_lost failed", self.name)

    def _fail_pending(self, err: AtError) -> None:
        p = self._pending
        if p is not None and not p.done:
            p.error = err
        self._pending = None

    def _close_port(self) -> None:
        with self._cond:
            if self._port_closed:
                return
            self._port_closed = True
        try:
            self._port.close()
        except Exception:  # closing a dead port may fail; nothing to do
            log.debug("%s: port close failed", self.name, exc_info=True)

    # --- logging -----------------------------------------------------------------------------

    def _fmt(self, text: str) -> str:
        return redact_line(text) if self._log_redact else text

    def _debug(self, direction: str, text: str, *, body: bool = False) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return
        if body and self._log_redact:
            text = f"<{len(text)} chars redacted>"
        log.debug("%s %s %s", self.name, direction, self._fmt(text))
