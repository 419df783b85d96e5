"""AtEngine through fake transports and one real pty; no private state is touched."""

from __future__ import annotations

import logging
import os
import queue
import select
import threading
import time
from collections.abc import Callable

import pytest
import serial

from modemd.at.engine import AtEngine, Response, Urc
from modemd.errors import AtError, AtTimeout, CmeError, CmsError, LinkLost

PDU = "07919471060040340409D0C7F7FBCC2E03000081101291548040044F2A5C0E"

# --- fakes -----------------------------------------------------------------------------------


class FakePort:
    """A port backed by a thread-safe byte buffer.

    ``read(n)`` blocks up to ``timeout`` for data and returns at most ``n`` bytes, so without
    ``chunked`` the engine (which reads ``in_waiting`` or 1) sees one byte at a time.
    """

    def __init__(self, *, timeout: float = 0.02, chunked: bool = False):
        self.timeout = timeout
        self.chunked = chunked
        self._buf = bytearray()
        self._cond = threading.Condition()
        self.written = bytearray()
        self.writes: list[bytes] = []
        self.closed = False
        self.read_error: Exception | None = None
        self.write_error: Exception | None = None
        self.on_write: Callable[[bytes], None] | None = None

    @property
    def in_waiting(self) -> int:
        with self._cond:
            return len(self._buf) if self.chunked else 0

    def feed(self, data: bytes) -> None:
        with self._cond:
            self._buf += data
            self._cond.notify_all()

    def fail(self, exc: Exception) -> None:
        with self._cond:
            self.read_error = exc
            self._cond.notify_all()

    def read(self, n: int = 1) -> bytes:
        with self._cond:
            self._cond.wait_for(lambda: self._buf or self.read_error or self.closed,
                                self.timeout)
            if self.read_error is not None:
                raise self.read_error
            if self.closed:
                raise OSError("port closed")
            out = bytes(self._buf[:n])
            del self._buf[:n]
            return out

    def write(self, data: bytes) -> int:
        if self.write_error is not None:
            raise self.write_error
        with self._cond:
            self.written += data
            self.writes.append(bytes(data))
        if self.on_write is not None:
            self.on_write(bytes(data))
        return len(data)

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


Reply = bytes | float | Callable[[], None]  # bytes to send, seconds to pause, or a hook


class FakeModem:
    """Answers writes on a FakePort from a script, in order, on its own thread.

    ``on(cmd, *replies)`` scripts the answer to a command (each use consumes one script entry
    if several are queued for the same command); ``payload`` and ``esc`` are keys for the
    data written after a prompt and for ESC. ``instant=True`` feeds the answer inside
    ``write()`` itself, before the engine's write call returns.
    """

    def __init__(self, port: FakePort, *, echo: bool = False, instant: bool = False):
        self.port = port
        self.echo = echo
        self.instant = instant
        self.script: dict[str, list[tuple[Reply, ...]]] = {}
        self.received: list[str] = []
        self._q: queue.Queue[Reply | None] = queue.Queue()
        port.on_write = self._on_write
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def on(self, key: str, *replies: Reply) -> None:
        self.script.setdefault(key, []).append(replies)

    def send(self, *items: Reply) -> None:
        for item in items:
            self._q.put(item)

    def _on_write(self, data: bytes) -> None:
        text = data.decode("latin-1")
        if text == "\x1b":
            key = "esc"
        elif text.endswith("\x1a"):
            key = "payload"
        else:
            key = text.rstrip("\r")
        self.received.append(key if key != "payload" else text[:-1])
        entries = self.script.get(key)
        replies: tuple[Reply, ...] = entries.pop(0) if entries else ()
        if self.echo and key not in ("esc",):
            replies = (data.rstrip(b"\x1a"),) + replies
        if self.instant:
            for item in replies:
                assert isinstance(item, bytes)
                self.port.feed(item)
            return
        self.send(*replies)

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            if isinstance(item, float):
                time.sleep(item)
            elif callable(item):
                item()
            else:
                self.port.feed(item)

    def stop(self) -> None:
        self._q.put(None)


def wait_until(pred: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


class Urcs:
    """Collects URCs delivered by the engine; wait() for a count."""

    def __init__(self) -> None:
        self.items: list[Urc] = []
        self._cond = threading.Condition()

    def __call__(self, urc: Urc) -> None:
        with self._cond:
            self.items.append(urc)
            self._cond.notify_all()

    def wait(self, n: int, timeout: float = 2.0) -> list[Urc]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.items) >= n, timeout), self.items
            return list(self.items)


@pytest.fixture
def rig():
    """(engine, port, modem, urcs, lost) with a one-byte-at-a-time port."""
    made: list[tuple[AtEngine, FakeModem]] = []

    def make(*, chunked: bool = False, echo: bool = False, instant: bool = False, **kw):
        port = FakePort(chunked=chunked)
        modem = FakeModem(port, echo=echo, instant=instant)
        urcs = Urcs()
        lost: list[Exception] = []
        kw.setdefault("settle_timeout", 0.5)
        engine = AtEngine(port, name="gsm7", on_urc=urcs, on_lost=lost.append, **kw)
        engine.start()
        made.append((engine, modem))
        return engine, port, modem, urcs, lost

    yield make
    for engine, modem in made:
        engine.close()
        modem.stop()


# --- basics ----------------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True])
def test_command_returns_info_lines_and_final(rig, chunked):
    engine, port, modem, _, _ = rig(chunked=chunked)
    modem.on("AT+CSQ", b"\r\n+CSQ: 21,99\r\n\r\nOK\r\n")
    assert engine.command("AT+CSQ", timeout=1) == Response(("+CSQ: 21,99",), "OK")
    assert bytes(port.written) == b"AT+CSQ\r"
    assert engine.alive


def test_answer_fed_inside_write_is_not_missed(rig):
    # The waiter is registered before the bytes go out: an answer that is already in the
    # port when write() returns must reach the command.
    engine, _, modem, _, _ = rig(instant=True)
    for _ in range(20):
        modem.on("AT", b"\r\nOK\r\n")
        assert engine.command("AT", timeout=1).final == "OK"


def test_slow_bytes_with_pauses(rig):
    engine, _, modem, _, _ = rig()
    modem.on("AT+CGMI", b"\r\nQuec", 0.05, b"tel\r", 0.05, b"\n\r\nO", 0.05, b"K\r\n")
    assert engine.command("AT+CGMI", timeout=1).lines == ("Quectel",)


def test_echo_is_ignored(rig):
    engine, _, modem, _, _ = rig(echo=True)
    modem.on("ATI", b"\r\nQuectel\r\nEC25\r\nRevision: EC25EFAR06A06M4G\r\n\r\nOK\r\n")
    modem.on("ATE0", b"\r\nOK\r\n")
    assert engine.command("ATI", timeout=1).lines == (
        "Quectel", "EC25", "Revision: EC25EFAR06A06M4G")
    assert engine.command("ATE0", timeout=1).lines == ()


def test_bare_cr_line_endings(rig):
    engine, _, modem, _, _ = rig()
    modem.on("AT+CGMM", b"\rSIM800 R14.18\r\rOK\r")
    assert engine.command("AT+CGMM", timeout=1).lines == ("SIM800 R14.18",)


def test_garbage_bytes_do_not_kill_the_reader(rig):
    engine, port, modem, _, _ = rig()
    # NULs, 0xFF, a truncated UTF-8 sequence and a lone continuation byte.
    junk = b"\x00\xff\xfe\xc3\xe2\x82\x00\x80"
    modem.on("AT+CSQ", junk + b"\r\n+CSQ: 1\xff4,99\r\n" + junk + b"\r\nO\x00K\r\n")
    assert engine.command("AT+CSQ", timeout=1).lines == ("+CSQ: 14,99",)
    port.feed(b"\xff" * 100 + b"\x00" * 100)
    modem.on("AT", b"\r\nOK\r\n")
    assert engine.command("AT", timeout=1).final == "OK"
    assert engine.alive


def test_utf8_split_across_reads_survives(rig):
    engine, _, modem, _, _ = rig()
    modem.on("AT+COPS?", '\r\n+COPS: 0,0,"Tele Ü",7\r\nOK\r\n'.encode())
    assert engine.command("AT+COPS?", timeout=1).lines == ('+COPS: 0,0,"Tele Ü",7',)


def test_connect_is_a_final_code(rig):
    engine, _, modem, _, _ = rig()
    modem.on("ATD*99#", b"\r\nCONNECT 150000000\r\n")
    assert engine.command("ATD*99#", timeout=1).final == "CONNECT 150000000"


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "cls", "code", "text"),
    [
        (b"+CMS ERROR: 500", CmsError, 500, "CMS ERROR 500"),
        (b"+CMS ERROR: 38", CmsError, 38, "CMS ERROR 38"),
        (b"+CMS ERROR: SMSC address unknown", CmsError, 330, "SMSC address unknown"),
        (b"+CME ERROR: 10", CmeError, 10, "CME ERROR 10"),
        (b"+CME ERROR: SIM busy", CmeError, 14, "SIM busy"),
        (b"+CME ERROR: \"sim   not inserted\"", CmeError, 10, "sim   not inserted"),
        (b"+CME ERROR: flux capacitor", CmeError, -1, "flux capacitor"),
    ],
)
def test_cms_cme_errors_numeric_and_textual(rig, reply, cls, code, text):
    engine, _, modem, _, _ = rig()
    modem.on("AT+CPIN?", b"\r\n" + reply + b"\r\n")
    with pytest.raises(cls) as info:
        engine.command("AT+CPIN?", timeout=1)
    assert (info.value.code, info.value.text) == (code, text)


@pytest.mark.parametrize("final", [b"ERROR", b"COMMAND NOT SUPPORT", b"TOO MANY PARAMETERS"])
def test_plain_errors(rig, final):
    engine, _, modem, _, _ = rig()
    modem.on("AT+FOO", b"\r\n" + final + b"\r\n")
    with pytest.raises(AtError) as info:
        engine.command("AT+FOO", timeout=1)
    assert type(info.value) is AtError
    modem.on("AT", b"\r\nOK\r\n")
    assert engine.command("AT", timeout=1).final == "OK"


def test_no_carrier_ends_a_dial_command(rig):
    engine, _, modem, urcs, _ = rig()
    modem.on("ATD+4930123;", b"\r\nNO CARRIER\r\n")
    with pytest.raises(AtError, match="NO CARRIER"):
        engine.command("ATD+4930123;", timeout=1)
    assert urcs.items == []


def test_no_carrier_during_other_command_is_a_urc(rig):
    # A caller hanging up during AT+CMGS must not end it: the message reference still comes.
    engine, _, modem, urcs, _ = rig()
    modem.on("AT+CSQ", b"\r\nRING\r\n\r\nNO CARRIER\r\n\r\n+CSQ: 5,99\r\n\r\nOK\r\n")
    assert engine.command("AT+CSQ", timeout=1).lines == ("+CSQ: 5,99",)
    assert [u.name for u in urcs.wait(2)] == ["RING", "NO CARRIER"]


def test_unsendable_text_is_refused_before_writing(rig):
    engine, port, _, _, _ = rig()
    with pytest.raises(AtError):
        engine.command("AT+CUSD=1,\"\u20ac\"", timeout=0.2)
    with pytest.raises(AtError):
        engine.command("AT\rAT+CFUN=0", timeout=0.2)
    with pytest.raises(AtError):
        engine.command_with_prompt("AT+CMGS=23", "00\x1a11", timeout=0.2, prompt_timeout=0.2)
    assert bytes(port.written) == b""


# --- URCs ------------------------------------------------------------------------------------


def test_cmti_in_the_middle_of_a_response(rig):
    engine, _, modem, urcs, _ = rig()
    modem.on("AT+CPMS?", b'\r\n+CPMS: "SM",3,30,', 0.05, b'\r\n+CMTI: "SM",4\r\n',
             b'"SM",3,30\r\n\r\n+CMTI: "SM",5\r\nOK\r\n')
    resp = engine.command("AT+CPMS?", timeout=1)
    # The URC split the answer line in two; both halves stay answer lines, the URC is gone.
    assert resp.lines == ('+CPMS: "SM",3,30,', '"SM",3,30')
    assert urcs.wait(2) == [Urc("+CMTI", '+CMTI: "SM",4', None),
                            Urc("+CMTI", '+CMTI: "SM",5', None)]


def test_pdu_listing_with_urcs_interleaved(rig):
    engine, _, modem, urcs, _ = rig(chunked=True)
    modem.on("AT+CMGL=4", b"\r\n+CMGL: 1,1,,23\r\n" + PDU.encode() + b"\r\n"
             b'+CMTI: "SM",3\r\n+CMGL: 2,0,,23\r\n' + PDU.encode() + b"\r\n\r\nOK\r\n")
    resp = engine.command("AT+CMGL=4", timeout=1)
    assert resp.lines == ("+CMGL: 1,1,,23", PDU, "+CMGL: 2,0,,23", PDU)
    assert urcs.wait(1)[0].name == "+CMTI"


def test_two_line_urc_body_arrives_later_while_command_pending(rig):
    engine, _, modem, urcs, _ = rig(chunked=True)
    modem.on("AT+CSQ", b"\r\n+CMT: ,23\r\n", 0.2, PDU.encode() + b"\r\n",
             b"\r\n+CSQ: 12,99\r\n\r\nOK\r\n")
    resp = engine.command("AT+CSQ", timeout=1)
    assert resp.lines == ("+CSQ: 12,99",)
    assert urcs.wait(1) == [Urc("+CMT", "+CMT: ,23", PDU)]


def test_two_line_urc_split_across_chunks_when_idle(rig):
    engine, _, modem, urcs, _ = rig()
    modem.send(b"\r\n+CDS: 25\r\n", 0.1, PDU[:10].encode(), 0.1, PDU[10:].encode() + b"\r\n")
    assert urcs.wait(1) == [Urc("+CDS", "+CDS: 25", PDU)]


def test_two_line_urc_without_body_times_out_to_none(rig):
    engine, _, modem, urcs, _ = rig(urc_body_timeout=0.2)
    modem.send(b"\r\n+CMT: ,23\r\n")
    assert urcs.wait(1) == [Urc("+CMT", "+CMT: ,23", None)]
    modem.on("AT", b"\r\nOK\r\n")
    assert engine.command("AT", timeout=1).final == "OK"


def test_final_code_is_never_taken_as_a_urc_body(rig):
    engine, _, modem, urcs, _ = rig()
    modem.on("AT+CSQ", b"\r\n+CSQ: 3,99\r\n\r\n+CMT: ,23\r\n\r\nOK\r\n")
    assert engine.command("AT+CSQ", timeout=1).lines == ("+CSQ: 3,99",)
    assert urcs.wait(1) == [Urc("+CMT", "+CMT: ,23", None)]


def test_cmt_prefix_does_not_swallow_cmti(rig):
    engine, _, modem, urcs, _ = rig()
    modem.send(b'\r\n+CMTI: "ME",1\r\n+CDSI: "SR",2\r\n')
    assert [(u.name, u.body) for u in urcs.wait(2)] == [("+CMTI", None), ("+CDSI", None)]


def test_own_prefix_is_an_answer_other_prefixes_are_urcs(rig):
    engine, _, modem, urcs, _ = rig()
    modem.on("AT+CREG?", b"\r\n+CREG: 2,1,\"1A2B\",\"00C1\",7\r\n\r\nOK\r\n")
    modem.on("AT+CSQ", b"\r\n+CREG: 5\r\n+CSQ: 20,99\r\nOK\r\n")
    assert engine.command("AT+CREG?", timeout=1).lines == ('+CREG: 2,1,"1A2B","00C1",7',)
    assert engine.command("AT+CSQ", timeout=1).lines == ("+CSQ: 20,99",)
    assert urcs.wait(1) == [Urc("+CREG", "+CREG: 5", None)]


def test_vendor_caret_lines(rig):
    engine, _, modem, urcs, _ = rig()
    modem.on("AT^SYSINFO", b"\r\n^RSSI:14\r\n^SYSINFO:2,3,0,5,1,,4\r\n\r\nOK\r\n")
    assert engine.command("AT^SYSINFO", timeout=1).lines == ("^SYSINFO:2,3,0,5,1,,4",)
    modem.send(b"\r\n^SYSINFO:2,3,0,5,1\r\n^BOOT:12,0,0,0,72\r\n")
    assert [(u.name, u.line) for u in urcs.wait(3)] == [
        ("^RSSI", "^RSSI:14"),
        ("^SYSINFO", "^SYSINFO:2,3,0,5,1"),
        ("^BOOT", "^BOOT:12,0,0,0,72"),
    ]


def test_registered_urcs_with_spaces_and_without_colon(rig):
    engine, _, modem, urcs, _ = rig()
    for prefix in ("+QIND", "RDY", "SMS Ready"):
        engine.register_urc(prefix)
    modem.on("AT", b"\r\nRDY\r\n+QIND: SMS DONE\r\nSMS Ready\r\nRDYX\r\nOK\r\n")
    assert engine.command("AT", timeout=1).lines == ("RDYX",)
    assert [u.name for u in urcs.wait(3)] == ["RDY", "+QIND", "SMS Ready"]


def test_on_urc_exception_is_swallowed(rig, caplog):
    port = FakePort()
    modem = FakeModem(port)
    seen: list[Urc] = []

    def bad(urc: Urc) -> None:
        seen.append(urc)
        raise RuntimeError("boom")

    engine = AtEngine(port, name="gsm9", on_urc=bad)
    engine.start()
    try:
        modem.on("AT", b"\r\nRING\r\nOK\r\n")
        with caplog.at_level(logging.ERROR, logger="modemd.at"):
            assert engine.command("AT", timeout=1).final == "OK"
            modem.on("AT", b"\r\nRING\r\nOK\r\n")
            assert engine.command("AT", timeout=1).final == "OK"
        assert len(seen) == 2
        assert engine.alive
        assert any("gsm9" in r.getMessage() for r in caplog.records)
    finally:
        engine.close()
        modem.stop()


# --- prompt ----------------------------------------------------------------------------------


@pytest.mark.parametrize("prompt", [b"\r\n> ", b"> ", b">"])
def test_prompt_with_and_without_line_break(rig, prompt):
    engine, port, modem, _, _ = rig()
    modem.on("AT+CMGS=23", prompt)
    modem.on("payload", b"\r\n+CMGS: 42\r\n\r\nOK\r\n")
    resp = engine.command_with_prompt("AT+CMGS=23", PDU, timeout=1, prompt_timeout=1)
    assert resp == Response(("+CMGS: 42",), "OK")
    assert port.writes == [b"AT+CMGS=23\r", PDU.encode() + b"\x1a"]


def test_prompt_with_echo_on_and_urc_before_prompt(rig):
    engine, _, modem, urcs, _ = rig(echo=True)
    modem.on("AT+CMGS=23", b'\r\n+CMTI: "SM",9\r\n> ')
    modem.on("payload", 0.05, b"\r\n+CMGS: 7\r\n\r\nOK\r\n")
    resp = engine.command_with_prompt("AT+CMGS=23", PDU, timeout=1, prompt_timeout=1)
    assert resp.lines == ("+CMGS: 7",)
    assert urcs.wait(1)[0].line == '+CMTI: "SM",9'


def test_payload_is_not_written_before_the_prompt(rig):
    engine, port, modem, _, _ = rig()
    modem.on("AT+CMGS=23", 0.3, b"\r\n> ")
    modem.on("payload", b"\r\n+CMGS: 1\r\nOK\r\n")
    t = threading.Thread(
        target=engine.command_with_prompt, args=("AT+CMGS=23", PDU),
        kwargs={"timeout": 2, "prompt_timeout": 2})
    t.start()
    time.sleep(0.15)
    assert port.writes == [b"AT+CMGS=23\r"]
    t.join(2)
    assert port.writes[1] == PDU.encode() + b"\x1a"


def test_prompt_timeout_writes_esc_and_next_command_is_clean(rig):
    engine, port, modem, _, _ = rig()
    modem.on("AT+CMGS=23")  # silence
    modem.on("esc", b"\r\n> ", 0.05, b"\r\nOK\r\n")  # the late prompt, then the abort's OK
    modem.on("AT+CSQ", b"\r\n+CSQ: 9,99\r\nOK\r\n")
    with pytest.raises(AtTimeout):
        engine.command_with_prompt("AT+CMGS=23", PDU, timeout=1, prompt_timeout=0.2)
    assert port.writes == [b"AT+CMGS=23\r", b"\x1b"]
    assert engine.command("AT+CSQ", timeout=1).lines == ("+CSQ: 9,99",)


def test_error_instead_of_prompt(rig):
    engine, port, modem, _, _ = rig()
    modem.on("AT+CMGS=23", b"\r\n+CMS ERROR: 304\r\n")
    with pytest.raises(CmsError) as info:
        engine.command_with_prompt("AT+CMGS=23", PDU, timeout=1, prompt_timeout=1)
    assert info.value.code == 304
    assert port.writes == [b"AT+CMGS=23\r"]


def test_final_timeout_after_payload(rig):
    engine, _, modem, _, _ = rig()
    modem.on("AT+CMGS=23", b"> ")
    with pytest.raises(AtTimeout):
        engine.command_with_prompt("AT+CMGS=23", PDU, timeout=0.2, prompt_timeout=1)


def test_cms_error_after_payload(rig):
    engine, _, modem, _, _ = rig()
    modem.on("AT+CMGS=23", b"\r\n> ")
    modem.on("payload", b"\r\n+CMS ERROR: 38\r\n")
    with pytest.raises(CmsError) as info:
        engine.command_with_prompt("AT+CMGS=23", PDU, timeout=1, prompt_timeout=1)
    assert info.value.code == 38 and info.value.temporary


# --- timeouts and late answers ---------------------------------------------------------------


def test_late_answer_before_next_command_is_dropped(rig):
    engine, _, modem, _, _ = rig()
    modem.on("AT+COPS=?", 0.3, b'\r\n+COPS: (2,"Telekom.de","TDG","26201",7)\r\n\r\nOK\r\n')
    modem.on("AT+CSQ", b"\r\n+CSQ: 17,99\r\n\r\nOK\r\n")
    with pytest.raises(AtTimeout):
        engine.command("AT+COPS=?", timeout=0.1)
    time.sleep(0.4)  # the late answer has fully arrived
    assert engine.command("AT+CSQ", timeout=1) == Response(("+CSQ: 17,99",), "OK")


def test_late_answer_racing_the_next_command_is_dropped(rig):
    # The next command is issued at once; the late answer (lines, then its OK) arrives in
    # pieces afterwards. The next command must get only its own answer.
    engine, port, modem, _, _ = rig(settle_timeout=1.0)
    modem.on("AT+CPMS?", 0.15, b'\r\n+CPMS: "SM",1,30', 0.1, b'\r\n\r\nOK\r\n')
    modem.on("AT+CSQ", b"\r\n+CSQ: 17,99\r\n\r\nOK\r\n")
    with pytest.raises(AtTimeout):
        engine.command("AT+CPMS?", timeout=0.1)
    assert engine.command("AT+CSQ", timeout=1) == Response(("+CSQ: 17,99",), "OK")


def test_late_error_final_is_dropped_too(rig):
    engine, _, modem, _, _ = rig()
    modem.on("AT+CMGR=1", 0.25, b"\r\n+CMS ERROR: 321\r\n")
    modem.on("AT", b"\r\nOK\r\n")
    with pytest.raises(AtTimeout):
        engine.command("AT+CMGR=1", timeout=0.1)
    assert engine.command("AT", timeout=1).final == "OK"


def test_command_that_never_answers_does_not_block_forever(rig):
    engine, _, modem, _, _ = rig(settle_timeout=0.2)
    modem.on("AT+HANG")  # the modem swallowed it
    modem.on("AT", b"\r\nOK\r\n")
    with pytest.raises(AtTimeout):
        engine.command("AT+HANG", timeout=0.1)
    started = time.monotonic()
    assert engine.command("AT", timeout=1).final == "OK"
    assert time.monotonic() - started < 0.6


def test_urcs_still_flow_while_discarding(rig):
    engine, _, modem, urcs, _ = rig()
    modem.on("AT+CSQ", 0.2, b'\r\n+CMTI: "SM",1\r\n+CSQ: 1,1\r\nOK\r\n')
    with pytest.raises(AtTimeout):
        engine.command("AT+CSQ", timeout=0.1)
    assert urcs.wait(1)[0].line == '+CMTI: "SM",1'


# --- concurrency -----------------------------------------------------------------------------


def test_concurrent_callers_queue_one_in_flight(rig):
    engine, port, modem, _, _ = rig(chunked=True)
    state = {"outstanding": 0, "max": 0}
    lock = threading.Lock()
    inner = port.on_write

    def on_write(data: bytes) -> None:
        with lock:
            state["outstanding"] += 1
            state["max"] = max(state["max"], state["outstanding"])
        inner(data)

    def answered() -> None:
        with lock:
            state["outstanding"] -= 1

    port.on_write = on_write
    n = 8
    for i in range(n):
        # The answer's final code goes out last; only then may the next command be written.
        modem.on(f"AT+X{i}", 0.02, f"\r\n+X{i}: {i}\r\n".encode(), answered, b"OK\r\n")
    results: dict[int, Response] = {}

    def call(i: int) -> None:
        results[i] = engine.command(f"AT+X{i}", timeout=2)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert {i: r.lines for i, r in results.items()} == {i: (f"+X{i}: {i}",) for i in range(n)}
    assert len(port.writes) == n
    assert state["max"] == 1


# --- link loss -------------------------------------------------------------------------------


def test_read_error_fails_waiter_and_calls_on_lost_once(rig):
    engine, port, modem, _, lost = rig()
    modem.on("AT+CSQ", 0.1)  # no answer: the port dies instead
    err = OSError(5, "Input/output error")
    threading.Timer(0.1, port.fail, args=(err,)).start()
    with pytest.raises(LinkLost):
        engine.command("AT+CSQ", timeout=2)
    wait_until(lambda: len(lost) == 1)
    assert lost == [err]
    assert not engine.alive
    assert port.closed
    with pytest.raises(LinkLost):
        engine.command("AT", timeout=1)
    engine.close()
    engine.close()
    assert lost == [err]


def test_serial_exception_counts_as_link_lost(rig):
    engine, port, _, _, lost = rig()
    port.fail(serial.SerialException("device reports readiness to read but returned no data"))
    wait_until(lambda: len(lost) == 1)
    assert not engine.alive
    assert len(lost) == 1 and isinstance(lost[0], serial.SerialException)


def test_write_error_is_link_lost(rig):
    engine, port, _, _, lost = rig()
    port.write_error = OSError(19, "No such device")
    with pytest.raises(LinkLost):
        engine.command("AT", timeout=1)
    assert lost == [port.write_error]
    assert not engine.alive


class EofPort(FakePort):
    """A port whose read returns b"" at once, like a pipe whose writer has gone."""

    def read(self, n: int = 1) -> bytes:
        return b""


def test_persistent_eof_is_link_lost():
    lost: list[Exception] = []
    engine = AtEngine(EofPort(), on_lost=lost.append)
    engine.start()
    with pytest.raises(LinkLost):
        engine.command("AT", timeout=2)
    wait_until(lambda: len(lost) == 1)
    assert not engine.alive
    engine.close()


def test_close_fails_the_waiter_and_is_idempotent(rig):
    engine, port, modem, _, lost = rig()
    modem.on("AT+COPS=?")  # never answers
    errors: list[Exception] = []

    def call() -> None:
        try:
            engine.command("AT+COPS=?", timeout=5)
        except Exception as exc:
            errors.append(exc)

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.1)
    engine.close()
    t.join(1)
    assert len(errors) == 1 and isinstance(errors[0], LinkLost)
    assert port.closed and not engine.alive and lost == []
    engine.close()


def test_command_before_start_is_refused():
    engine = AtEngine(FakePort())
    assert not engine.alive
    with pytest.raises(AtError):
        engine.command("AT", timeout=0.1)


# --- logging ---------------------------------------------------------------------------------


def test_transcript_is_debug_only_and_redacted(rig, caplog):
    engine, _, modem, urcs, _ = rig()
    modem.on("AT+CMGS=23", b"> ")
    modem.on("payload", b'\r\n+CMT: "+491701234567",23\r\n' + PDU.encode()
             + b"\r\n+CMGS: 3\r\nOK\r\n")
    with caplog.at_level(logging.DEBUG, logger="modemd.at"):
        engine.command_with_prompt("AT+CMGS=23", PDU, timeout=1, prompt_timeout=1)
        urcs.wait(1)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "AT+CMGS=23" in text and "+CMGS: 3" in text
    assert PDU not in text and "491701234567" not in text
    assert all("gsm7" in r.getMessage() for r in caplog.records)
    assert all(r.levelno == logging.DEBUG for r in caplog.records)


def test_transcript_unredacted_when_asked(rig, caplog):
    engine, _, modem, _, _ = rig(log_redact=False)
    modem.on("AT+CMGR=1", b"\r\n+CMGR: 0,,23\r\n" + PDU.encode() + b"\r\nOK\r\n")
    with caplog.at_level(logging.DEBUG, logger="modemd.at"):
        assert engine.command("AT+CMGR=1", timeout=1).lines[1] == PDU
    assert PDU in "\n".join(r.getMessage() for r in caplog.records)


# --- a real tty ------------------------------------------------------------------------------


def _pty_responder(master: int, stop: threading.Event) -> None:
    """A tiny scripted modem on the master side of a pty."""
    buf = b""
    answers = {
        b"ATE0": b"ATE0\r\r\nOK\r\n",
        b"AT+CSQ": b'\r\n+CMTI: "SM",2\r\n\r\n+CSQ: 23,99\r\n\r\nOK\r\n',
        b"AT+CMGS=23": b"\r\n> ",
    }
    while not stop.is_set():
        ready, _, _ = select.select([master], [], [], 0.05)
        if not ready:
            continue
        try:
            buf += os.read(master, 1024)
        except OSError:
            return
        while True:
            if b"\x1a" in buf:
                _, buf = buf.split(b"\x1a", 1)
                os.write(master, b"\r\n+CMGS: 77\r\n\r\nOK\r\n")
                continue
            if b"\r" not in buf:
                break
            cmd, buf = buf.split(b"\r", 1)
            os.write(master, answers.get(cmd.strip(), b"\r\nERROR\r\n"))


def test_real_pty():
    master, slave = os.openpty()
    name = os.ttyname(slave)
    port = serial.Serial(name, baudrate=115200, timeout=0.05)
    os.close(slave)  # pyserial holds its own descriptor
    stop = threading.Event()
    responder = threading.Thread(target=_pty_responder, args=(master, stop), daemon=True)
    responder.start()
    urcs = Urcs()
    lost: list[Exception] = []
    engine = AtEngine(port, name="pty0", on_urc=urcs, on_lost=lost.append)
    engine.start()
    try:
        assert engine.command("ATE0", timeout=2).final == "OK"
        assert engine.command("AT+CSQ", timeout=2).lines == ("+CSQ: 23,99",)
        assert urcs.wait(1)[0] == Urc("+CMTI", '+CMTI: "SM",2', None)
        resp = engine.command_with_prompt("AT+CMGS=23", PDU, timeout=2, prompt_timeout=2)
        assert resp.lines == ("+CMGS: 77",)
        with pytest.raises(AtError):
            engine.command("AT+NOPE", timeout=2)
        # Unplug: the master side goes away; the reader sees EIO and reports it once.
        stop.set()
        responder.join(1)
        os.close(master)
        wait_until(lambda: len(lost) == 1)
        assert not engine.alive
        time.sleep(0.1)
        assert len(lost) == 1
        with pytest.raises(LinkLost):
            engine.command("AT", timeout=1)
    finally:
        engine.close()
