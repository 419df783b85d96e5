"""The simulated modem, driven through pyserial on its real tty path."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from modemd.simulator import SimulatedModem, run_simulate_cli, start_modems

# SMS-SUBMIT to +49174321547 ("hellohello" 7-bit), no SMSC address: 20 octets, TPDU 19.
PDU = "0011000B919471234567F80000AA05E8329BFD06"
PDU_LEN = 19
# An SMS-DELIVER with an SMSC address, as a modem stores it.
DELIVER = "07919471060040340404D0E474D81C0E830000915011913402800AE8329BFD4697D9EC37"
FINAL = re.compile(rb"\r\n(OK|ERROR|\+CM[ES] ERROR: [^\r]*)\r\n$")


def read_until(port: serial.Serial, done: re.Pattern[bytes] | bytes,
               timeout: float = 3.0) -> bytes:
    """Read until the data ends with `done` (bytes) or matches it (pattern)."""
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        buf += port.read(port.in_waiting or 1)
        if buf.endswith(done) if isinstance(done, bytes) else done.search(buf):
            return buf
    raise AssertionError(f"no {done!r} within {timeout} s, got {buf!r}")


def at(port: serial.Serial, command: str) -> bytes:
    """Send one command line and return everything up to its final result code."""
    port.write(command.encode() + b"\r")
    return read_until(port, FINAL)


def send_pdu(port: serial.Serial, pdu: str = PDU, length: int = PDU_LEN) -> bytes:
    """A whole AT+CMGS exchange; returns what followed the prompt."""
    port.write(f"AT+CMGS={length}\r".encode())
    read_until(port, b"\r\n> ")
    port.write(pdu.encode() + b"\x1a")
    return read_until(port, FINAL)


@pytest.fixture
def modem(tmp_path: Path) -> Iterator[SimulatedModem]:
    m = SimulatedModem(tmp_path / "gsm0", seed=1)
    m.start()
    yield m
    m.stop()


def open_port(m: SimulatedModem) -> serial.Serial:
    return serial.Serial(str(m.path), 115200, timeout=0.2)


@pytest.fixture
def port(modem: SimulatedModem) -> Iterator[serial.Serial]:
    p = open_port(modem)
    at(p, "ATE0")
    yield p
    p.close()


# --- start-up exchange
def test_echo_is_on_at_start_until_ate0(modem: SimulatedModem) -> None:
    p = open_port(modem)
    assert at(p, "AT") == b"AT\r\r\nOK\r\n"
    assert at(p, "ATE0") == b"ATE0\r\r\nOK\r\n"  # echoed with the old setting
    assert at(p, "AT") == b"\r\nOK\r\n"
    assert at(p, "ATE1") == b"\r\nOK\r\n"
    assert at(p, "AT") == b"AT\r\r\nOK\r\n"
    p.close()


def test_atz_restores_echo_and_crlf_line_ends_work(port: serial.Serial) -> None:
    assert at(port, "AT+CMEE=1") == b"\r\nOK\r\n"
    port.write(b"ATZ\r\n")  # a CR LF line end: the LF is ignored
    assert read_until(port, FINAL) == b"\r\nOK\r\n"
    assert at(port, "AT+CMEE?") == b"AT+CMEE?\r\r\n+CMEE: 0\r\n\r\nOK\r\n"


def test_numeric_result_codes_with_atv0(port: serial.Serial) -> None:
    port.write(b"ATV0\r")
    assert read_until(port, b"0\r") == b"0\r"
    port.write(b"AT+CSQ\r")
    assert read_until(port, b"0\r") == b"+CSQ: 21,99\r\n0\r"


@pytest.mark.parametrize(("command", "answer"), [
    ("AT+CGMI", "modemd"),
    ("AT+CGMM", "Simulated GSM modem"),
    ("AT+CGSN", "356938035643809"),
    ("AT+CIMI", "262011234567890"),
    ("AT+CNUM", '+CNUM: "","+4915112345678",145'),
    ("AT+CSQ", "+CSQ: 21,99"),
    ("AT+CREG?", "+CREG: 0,1"),
    ("AT+CGREG?", "+CGREG: 0,1"),
    ("AT+COPS?", '+COPS: 0,0,"Telekom.de",7'),
    ("AT+CSCA?", '+CSCA: "+491710760000",145'),
    ("AT+CMGF?", "+CMGF: 0"),
    ("AT+CPMS?", '+CPMS: "SM",0,30,"SM",0,30,"SM",0,30'),
    ("AT+CNMI?", "+CNMI: 0,0,0,0,0"),
    ("AT+CSMS?", "+CSMS: 0,1,1,1"),
])
def test_information_commands(port: serial.Serial, command: str, answer: str) -> None:
    assert at(port, command) == f"\r\n{answer}\r\n\r\nOK\r\n".encode()


def test_write_commands_change_what_is_read(port: serial.Serial) -> None:
    assert at(port, "AT+COPS=3,2") == b"\r\nOK\r\n"
    assert b'+COPS: 0,2,"26201",7' in at(port, "AT+COPS?")
    assert at(port, 'AT+CPMS="ME","ME","ME"') == b"\r\n+CPMS: 0,100,0,100,0,100\r\n\r\nOK\r\n"
    assert at(port, "AT+CNMI=2,1,0,2,0") == b"\r\nOK\r\n"
    assert b"+CNMI: 2,1,0,2,0" in at(port, "AT+CNMI?")
    assert at(port, "AT+CSMS=1") == b"\r\n+CSMS: 1,1,1\r\n\r\nOK\r\n"
    assert at(port, "AT+CNMA") == b"\r\nOK\r\n"
    assert at(port, "AT+CSMS=0") == b"\r\n+CSMS: 1,1,1\r\n\r\nOK\r\n"
    assert at(port, "AT+CNMA") == b"\r\n+CMS ERROR: 340\r\n"


def test_unknown_commands_and_noise(port: serial.Serial) -> None:
    assert at(port, "at+csq") == b"\r\n+CSQ: 21,99\r\n\r\nOK\r\n"  # any case
    assert at(port, "AT+NOPE") == b"\r\nERROR\r\n"
    assert at(port, "ATD5551234") == b"\r\nERROR\r\n"
    # Bytes without "AT", invalid UTF-8 and an overlong line get no answer and do no harm.
    port.write(b"hello\r\xff\xfe\x00\r" + b"A" * 5000)
    assert at(port, "\rAT") == b"\r\nOK\r\n"


def test_random_bytes_never_kill_the_modem(modem: SimulatedModem, port: serial.Serial,
                                           caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(5)
    alphabet = b"AT+CMGS=?\r\n\x1a\x1b0123456789,\"\xff\x00"
    for _ in range(20):
        port.write(bytes(rng.choice(alphabet) for _ in range(500)))
    port.write(b"\x1b\rATZ\r")
    time.sleep(0.1)
    port.reset_input_buffer()
    assert at(port, "ATE0").endswith(b"\r\nOK\r\n")
    assert at(port, "AT") == b"\r\nOK\r\n"
    assert not [r for r in caplog.records if r.name == "modemd.sim" and r.levelno >= 40]


# --- errors and the SIM
@pytest.mark.parametrize(("cmee", "answer"), [
    (0, b"\r\nERROR\r\n"),
    (1, b"\r\n+CME ERROR: 11\r\n"),
    (2, b"\r\n+CME ERROR: SIM PIN required\r\n"),
])
def test_cmee_modes(tmp_path: Path, cmee: int, answer: bytes) -> None:
    with SimulatedModem(tmp_path / "gsm0", pin="1234") as m:
        p = open_port(m)
        at(p, "ATE0")
        assert at(p, f"AT+CMEE={cmee}") == b"\r\nOK\r\n"
        assert at(p, "AT+CMEE?") == f"\r\n+CMEE: {cmee}\r\n\r\nOK\r\n".encode()
        assert at(p, "AT+CIMI") == answer
        p.close()


def test_pin_unlocks_the_sim(tmp_path: Path) -> None:
    with SimulatedModem(tmp_path / "gsm0", pin="1234") as m:
        p = open_port(m)
        at(p, "ATE0")
        at(p, "AT+CMEE=1")
        assert at(p, "AT+CPIN?") == b"\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
        assert at(p, "AT+CREG?") == b"\r\n+CREG: 0,0\r\n\r\nOK\r\n"
        assert at(p, "AT+CMGS=19") == b"\r\n+CMS ERROR: 311\r\n"
        assert at(p, 'AT+CPIN="0000"') == b"\r\n+CME ERROR: 16\r\n"
        assert at(p, 'AT+CPIN="1234"') == b"\r\nOK\r\n"
        assert at(p, "AT+CPIN?") == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"
        assert at(p, "AT+CREG?") == b"\r\n+CREG: 0,1\r\n\r\nOK\r\n"
        p.close()


# --- sending
def test_cmgs_records_the_pdu(modem: SimulatedModem, port: serial.Serial) -> None:
    port.write(f"AT+CMGS={PDU_LEN}\r".encode())
    assert read_until(port, b"> ") == b"\r\n> "  # no line end after the prompt
    port.write(PDU.encode() + b"\x1a")
    assert read_until(port, FINAL) == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    assert send_pdu(port) == b"\r\n+CMGS: 1\r\n\r\nOK\r\n"
    first, second = modem.wait_for_pdus(2, timeout=20)
    assert (first.pdu_hex, first.length, first.message_ref) == (PDU, PDU_LEN, 0)
    assert second.message_ref == 1 and second.at >= first.at
    assert "AT+CMGS=19" in modem.commands


def test_pdu_with_smsc_and_echo(modem: SimulatedModem) -> None:
    p = open_port(modem)  # echo still on: the PDU is echoed as typed
    pdu = "07919471060040F0" + PDU[2:]
    p.write(f"AT+CMGS={PDU_LEN}\r".encode())
    assert read_until(p, b"> ") == f"AT+CMGS={PDU_LEN}\r\r\n> ".encode()
    p.write(pdu.encode() + b"\x1a")
    assert read_until(p, FINAL) == pdu.encode() + b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    assert modem.received[0].pdu_hex == pdu
    p.close()


@pytest.mark.parametrize(("pdu", "length"), [
    (PDU, PDU_LEN + 1),  # <n> does not match
    (PDU, PDU_LEN - 1),
    (PDU[:-1], PDU_LEN),  # half an octet
    (PDU[:-2] + "XY", PDU_LEN),  # not hex
    ("FF" + PDU[2:], PDU_LEN),  # SMSC length beyond the PDU
])
def test_malformed_pdu_is_refused_with_304(modem: SimulatedModem, port: serial.Serial,
                                           pdu: str, length: int) -> None:
    assert send_pdu(port, pdu, length) == b"\r\n+CMS ERROR: 304\r\n"
    assert modem.received == []
    assert send_pdu(port) == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"  # no reference was used up


def test_esc_aborts_the_prompt(modem: SimulatedModem, port: serial.Serial) -> None:
    port.write(b"AT+CMGS=19\r")
    read_until(port, b"> ")
    port.write(PDU[:10].encode() + b"\x1b")
    assert read_until(port, FINAL) == b"\r\nOK\r\n"
    assert modem.received == []
    assert at(port, "AT") == b"\r\nOK\r\n"


def test_text_mode_send_is_refused(port: serial.Serial) -> None:
    assert at(port, "AT+CMGF=1") == b"\r\nOK\r\n"
    assert at(port, 'AT+CMGS="+49174321547"') == b"\r\nERROR\r\n"


def test_message_reference_wraps(tmp_path: Path) -> None:
    with SimulatedModem(tmp_path / "gsm0", first_message_ref=254) as m:
        p = open_port(m)
        at(p, "ATE0")
        answers = [send_pdu(p) for _ in range(3)]
        assert answers == [f"\r\n+CMGS: {mr}\r\n\r\nOK\r\n".encode() for mr in (254, 255, 0)]
        assert [r.message_ref for r in m.wait_for_pdus(3, 1)] == [254, 255, 0]
        p.close()


def test_pdu_log_is_json_lines(modem: SimulatedModem, port: serial.Serial) -> None:
    send_pdu(port)
    send_pdu(port)
    modem.wait_for_pdus(2, 1)
    assert modem.pdu_log == modem.path.with_name("gsm0.pdus.jsonl")
    entries = [json.loads(line) for line in modem.pdu_log.read_text().splitlines()]
    assert [(e["modem"], e["pdu"], e["length"], e["mr"]) for e in entries] == [
        ("gsm0", PDU, PDU_LEN, 0), ("gsm0", PDU, PDU_LEN, 1)]
    assert entries[0]["t"].endswith("+00:00")


# --- latency
def test_latency_delays_the_answer_and_buffers_input(modem: SimulatedModem,
                                                     port: serial.Serial) -> None:
    modem.set_latency(0.3)
    port.write(f"AT+CMGS={PDU_LEN}\r".encode())
    read_until(port, b"> ")
    started = time.monotonic()
    # The next command arrives while the modem is still "sending": it waits its turn.
    port.write(PDU.encode() + b"\x1aAT+CSQ\r")
    both = read_until(port, b"\r\n+CSQ: 21,99\r\n\r\nOK\r\n")
    assert time.monotonic() - started >= 0.28
    assert both == b"\r\n+CMGS: 0\r\n\r\nOK\r\n\r\n+CSQ: 21,99\r\n\r\nOK\r\n"


def test_urc_while_the_answer_is_pending(modem: SimulatedModem, port: serial.Serial) -> None:
    modem.set_latency(0.5)
    port.write(f"AT+CMGS={PDU_LEN}\r".encode())
    read_until(port, b"> ")
    port.write(PDU.encode() + b"\x1a")
    time.sleep(0.1)  # let the PDU reach the modem; its answer is still 0.4 s away
    modem.emit_urc('+CDSI: "SR",1')
    assert read_until(port, FINAL) == b'\r\n+CDSI: "SR",1\r\n\r\n+CMGS: 0\r\n\r\nOK\r\n'


# --- faults
def test_fail_next_sends(modem: SimulatedModem, port: serial.Serial) -> None:
    modem.fail_next_sends(500, count=2)
    assert send_pdu(port) == b"\r\n+CMS ERROR: 500\r\n"
    assert send_pdu(port) == b"\r\n+CMS ERROR: 500\r\n"
    assert send_pdu(port) == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"  # failures use no reference
    assert len(modem.received) == 1


def test_fail_send_number(modem: SimulatedModem, port: serial.Serial) -> None:
    modem.fail_send_number(2, 42)
    answers = [send_pdu(port) for _ in range(3)]
    assert answers == [b"\r\n+CMGS: 0\r\n\r\nOK\r\n", b"\r\n+CMS ERROR: 42\r\n",
                       b"\r\n+CMGS: 1\r\n\r\nOK\r\n"]


def test_urc_during_send(modem: SimulatedModem, port: serial.Serial) -> None:
    modem.set_latency(0.05)
    modem.inject_urc_during_send('+CMTI: "SM",3')
    assert send_pdu(port) == b'\r\n+CMTI: "SM",3\r\n\r\n+CMGS: 0\r\n\r\nOK\r\n'
    assert send_pdu(port) == b"\r\n+CMGS: 1\r\n\r\nOK\r\n"  # only the next one


def test_emit_urc_with_a_pdu_line(modem: SimulatedModem, port: serial.Serial) -> None:
    modem.emit_urc("RING")
    assert read_until(port, b"RING\r\n") == b"\r\nRING\r\n"
    modem.emit_urc("+CDS: 25", "0006D60B911326880736F4111011719551401110117195714000")
    assert read_until(port, b"4000\r\n") == (
        b"\r\n+CDS: 25\r\n0006D60B911326880736F4111011719551401110117195714000\r\n")


def test_garbage_next_answer(modem: SimulatedModem, port: serial.Serial) -> None:
    modem.garbage_next_answer()
    assert at(port, "AT") == b"\xff\x00\xfe\r\nOK\r\n"
    assert at(port, "AT") == b"\r\nOK\r\n"


def test_garbage_rate_is_seeded(tmp_path: Path) -> None:
    def answers(seed: int) -> list[bytes]:
        with SimulatedModem(tmp_path / "gsm0", seed=seed) as m:
            p = open_port(m)
            at(p, "ATE0")
            m.garbage_rate(0.5)
            got = [at(p, "AT") for _ in range(12)]
            p.close()
            return got

    first = answers(7)
    assert first == answers(7)
    noisy = [a for a in first if a != b"\r\nOK\r\n"]
    assert 0 < len(noisy) < 12
    assert all(len(a) == 7 and (a[0] == 0 or a[0] >= 0x80) for a in noisy)


def test_hang_next(modem: SimulatedModem, port: serial.Serial) -> None:
    modem.hang_next()
    port.write(b"AT+CSQ\r")
    assert port.read(100) == b""  # nothing within the 0.2 s read timeout
    assert at(port, "AT") == b"\r\nOK\r\n"
    assert modem.commands[-2:] == ["AT+CSQ", "AT"]


# --- the tty comes and goes
def test_unplug_and_plug(modem: SimulatedModem, port: serial.Serial) -> None:
    modem.unplug()
    assert not modem.path.exists() and not os.path.lexists(modem.path)
    with pytest.raises(serial.SerialException):
        port.read(10)
        port.write(b"AT\r")
    with pytest.raises(serial.SerialException):
        open_port(modem)
    modem.plug()
    assert os.path.islink(modem.path) and os.path.exists(modem.path)
    p = open_port(modem)
    assert at(p, "AT") == b"AT\r\r\nOK\r\n"  # powered up again: echo is back on
    p.close()


def test_unplug_during_send_loses_the_answer(modem: SimulatedModem,
                                             port: serial.Serial) -> None:
    modem.set_latency(5)
    port.write(f"AT+CMGS={PDU_LEN}\r".encode())
    read_until(port, b"> ")
    port.write(PDU.encode() + b"\x1a")
    modem.unplug(duration=0.1)
    deadline = time.monotonic() + 2
    while not modem.path.exists():
        assert time.monotonic() < deadline, "the tty did not come back"
        time.sleep(0.01)
    modem.set_latency(0)
    p = open_port(modem)
    at(p, "ATE0")
    assert send_pdu(p) == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    assert [r.message_ref for r in modem.received] == [0]
    p.close()


def test_reopening_the_port_keeps_working(modem: SimulatedModem) -> None:
    for _ in range(3):
        p = open_port(modem)
        assert at(p, "AT+CSQ").endswith(b"\r\n+CSQ: 21,99\r\n\r\nOK\r\n")
        p.close()


# --- storage
def test_stored_message_cmti_cmgr_cmgl_cmgd(modem: SimulatedModem, port: serial.Serial) -> None:
    at(port, "AT+CNMI=2,1,0,0,0")
    assert modem.deliver_stored(DELIVER) == 1
    assert read_until(port, b",1\r\n") == b'\r\n+CMTI: "SM",1\r\n'
    assert at(port, "AT+CMGR=1") == f"\r\n+CMGR: 0,,28\r\n{DELIVER}\r\n\r\nOK\r\n".encode()
    assert at(port, "AT+CMGL=4") == f"\r\n+CMGL: 1,1,,28\r\n{DELIVER}\r\n\r\nOK\r\n".encode()
    assert at(port, "AT+CMGL=0") == b"\r\nOK\r\n"
    assert at(port, "AT+CMGR=2") == b"\r\nOK\r\n"
    assert at(port, "AT+CMGR=31") == b"\r\n+CMS ERROR: 321\r\n"
    assert at(port, "AT+CMGD=1") == b"\r\nOK\r\n"
    assert modem.stored("SM") == {}


def test_direct_delivery_with_cmt(modem: SimulatedModem, port: serial.Serial) -> None:
    at(port, "AT+CNMI=2,2,0,1,0")
    assert modem.deliver_stored(DELIVER) is None
    expected = f"\r\n+CMT: ,28\r\n{DELIVER}\r\n".encode()
    assert read_until(port, DELIVER.encode() + b"\r\n") == expected
    assert modem.stored("SM") == {}


def test_status_reports_direct_or_stored(modem: SimulatedModem, port: serial.Serial) -> None:
    report = "0006D60B911326880736F4111011719551401110117195714000"
    at(port, "AT+CNMI=2,1,0,1,0")
    assert modem.deliver_status_report(report) is None
    assert read_until(port, b"4000\r\n") == f"\r\n+CDS: 25\r\n{report}\r\n".encode()
    at(port, "AT+CNMI=2,1,0,2,0")
    assert modem.deliver_status_report(report) == 1
    assert read_until(port, b",1\r\n") == b'\r\n+CDSI: "SR",1\r\n'
    assert modem.stored("SR") == {1: report}


# --- life cycle, bank, CLI
def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_stop_cleans_up(tmp_path: Path) -> None:
    before = _open_fds()
    m = SimulatedModem(tmp_path / "gsm0")
    m.start()
    assert m.path.exists()
    m.stop()
    m.stop()
    assert not os.path.lexists(m.path)
    assert _open_fds() == before
    assert not any(t.name == "sim-gsm0" for t in __import__("threading").enumerate())


def test_stop_before_a_timed_plug(tmp_path: Path) -> None:
    m = SimulatedModem(tmp_path / "gsm0")
    m.start()
    m.unplug(duration=0.05)
    m.stop()
    time.sleep(0.1)
    assert not os.path.lexists(m.path)
    with pytest.raises(RuntimeError):
        m.plug()


def test_start_modems(tmp_path: Path) -> None:
    modems = start_modems(tmp_path / "ttys", 3, latency=0.0)
    try:
        assert [m.path for m in modems] == [tmp_path / "ttys" / f"gsm{i}" for i in range(3)]
        assert len({os.readlink(m.path) for m in modems}) == 3
    finally:
        for m in modems:
            m.stop()


def test_unknown_profile_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_simulate_cli(tmp_path, 1, 0.0, "nokia-3310") == 2
    assert "unknown modem profile" in capsys.readouterr().err


def test_simulate_cli_runs_until_sigterm(tmp_path: Path) -> None:
    code = ("import sys; from modemd.simulator import run_simulate_cli; "
            f"sys.exit(run_simulate_cli({str(tmp_path)!r}, 2, 0.0, 'generic'))")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(2)]  # type: ignore[union-attr]
        assert lines == [f"gsm{i} → {tmp_path}/gsm{i}\n" for i in range(2)]
        with serial.Serial(str(tmp_path / "gsm1"), 115200, timeout=0.2) as p:
            at(p, "ATE0")
            assert send_pdu(p) == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
        entry = json.loads((tmp_path / "gsm1.pdus.jsonl").read_text())
        assert (entry["modem"], entry["pdu"]) == ("gsm1", PDU)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    assert not os.path.lexists(tmp_path / "gsm0")
