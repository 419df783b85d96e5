"""Vendor dialects through the parsers and the engine: one table per answer, as the families
write them (see docs/modems.md), status URCs included."""

from __future__ import annotations

import pytest

from modemd.at import parsers
from modemd.at.engine import AtEngine
from modemd.channels.quirks import STATUS_URCS
from tests.test_at_engine import FakeModem, FakePort, Urcs, wait_until


@pytest.mark.parametrize(("lines", "expected"), [
    (["+CSMS: 0,1,1,1"], 0),
    (["+CSMS: 1,1,1,1"], 1),
    (["^RSSI:17", "+CSMS:  1 , 1,1,1"], 1),
    (['+CSMS: "1",1,1,1'], 1),
])
def test_parse_csms_read(lines, expected):
    assert parsers.parse_csms_read(lines) == expected


@pytest.mark.parametrize(("lines", "expected"), [
    (["+CSMS: (0,1)"], {0, 1}), (["+CSMS: (0-1)"], {0, 1}), (["+CSMS: (0)"], {0}),
    (["+ZUSIMR:2", "+CSMS: 0,1"], {0}),
])
def test_parse_csms_test(lines, expected):
    assert parsers.parse_csms_test(lines) == expected


@pytest.mark.parametrize(("lines", "expected"), [
    (["+CNMI: 2,1,0,2,0"], [2, 1, 0, 2, 0]),
    (["+CNMI: 0,0"], [0, 0, 0, 0, 0]),
    (["+CNMI: 2,1,0,1,1", "^MODE:5,4"], [2, 1, 0, 1, 1]),
])
def test_parse_cnmi_read(lines, expected):
    assert parsers.parse_cnmi_read(lines) == expected


@pytest.mark.parametrize(("lines", "expected"), [
    (["+CNMI: (0-2),(0-3),(0,2),(0,1),(0,1)"], [{0, 1, 2}, {0, 1, 2, 3}, {0, 2}, {0, 1}, {0, 1}]),
    (["+CNMI: (0,1,2,3),(0,1,2,3),(0,2,3),(0,1,2),(1)"],                 # Cinterion: bfr 1 only
     [{0, 1, 2, 3}, {0, 1, 2, 3}, {0, 2, 3}, {0, 1, 2}, {1}]),
    (["+CNMI: (0-2), (0-3), (0,2), (0-2), (0,1)"],                       # spaces
     [{0, 1, 2}, {0, 1, 2, 3}, {0, 2}, {0, 1, 2}, {0, 1}]),
])
def test_cnmi_ranges_of_the_families(lines, expected):
    assert parsers.parse_cnmi_test(lines) == expected


@pytest.mark.parametrize(("lines", "expected"), [
    (['+CGMI: "Nokia"'], "Nokia"),                                      # prefixed and quoted
    (["MULTIBAND  900E  1800 "], "MULTIBAND 900E 1800"),                # Wavecom padding
    (["  Quectel  "], "Quectel"),
    (["Manufacturer: SIMCOM INCORPORATED"], "Manufacturer: SIMCOM INCORPORATED"),
])
def test_identity_strings(lines, expected):
    assert parsers.parse_identity(lines) == expected


@pytest.mark.parametrize(("lines", "expected"), [
    (['+CMGS: 12,"26/03/14,09:30:05+04"'], 12),                        # <mr>,<scts>
    (["+CMGS:7"], 7), (["+CMGS: 255 "], 255),
    (["^RSSI:17", "+CMGS: 3"], 3),
])
def test_cmgs_answers(lines, expected):
    assert parsers.parse_cmgs_write(lines) == expected


PDU = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07"


@pytest.mark.parametrize(("lines", "expected"), [
    (["+CMGR: ,,23", PDU], None),                                       # no <stat> (phones)
    (["+CMGR: 0,,23", "+ZUSIMR:2", PDU], 0),                            # a URC in between
])
def test_cmgr_stat_dialects(lines, expected):
    stat, pdu = parsers.parse_cmgr_write(lines)
    assert stat == expected and pdu.startswith("0791")


@pytest.mark.parametrize(("line", "expected"), [
    ('+CMTI: "ME",0', ("ME", 0)),          # index base 0
    ("+CMTI: SM, 3", ("SM", 3)),           # unquoted, spaced
    ('+CMTI: "MT",12', ("MT", 12)),
])
def test_cmti_dialects(line, expected):
    assert parsers.parse_cmti(line) == expected


@pytest.mark.parametrize(("lines", "expected"), [
    (['+CPMS: "SM",0,30,"SM",0,30,"SM",0,30'], [("SM", 0, 30)] * 3),
    (["+CPMS: SM, 1, 50, ME, 0, 255, MT, 1, 305"], [("SM", 1, 50), ("ME", 0, 255), ("MT", 1, 305)]),
    (['+CPMS: "ME_P",3,50'], [("ME_P", 3, 50)]),
])
def test_cpms_read_dialects(lines, expected):
    assert parsers.parse_cpms_read(lines) == expected


def test_status_urcs_of_every_family_never_end_up_in_an_answer():
    port = FakePort()
    modem = FakeModem(port)
    urcs = Urcs()
    engine = AtEngine(port, name="gsm0", on_urc=urcs, settle_timeout=0.3)
    for prefix in STATUS_URCS:
        engine.register_urc(prefix)
    engine.start()
    chatter = [b"\r\n+ZUSIMR:2\r\n", b'\r\n+QIND: "csq",20,99\r\n', b"\r\n^RSSI:17\r\n",
               b"\r\n+CIEV: 2,3\r\n", b"\r\n#QSS: 1\r\n", b"\r\n+WIND: 10,\"SM\",1\r\n",
               b"\r\n+CSQ: 17,99\r\n", b"\r\nSMS Ready\r\n", b"\r\n+PACSP1\r\n",
               b'\r\n*PSUTTZ: 2026,3,14,9,30,5,"+4",0\r\n']
    try:
        modem.on("AT+CGMI", b"\r\nhuawei\r\n", *chatter, b"\r\nOK\r\n")
        assert engine.command("AT+CGMI", timeout=2).lines == ("huawei",)
        got = urcs.wait(len(chatter))
        assert [u.name for u in got][:3] == ["+ZUSIMR", "+QIND", "^RSSI"]
        # The command's own prefix is its answer, not a URC.
        modem.on("AT+CSQ", b"\r\n+CSQ: 21,99\r\n", b"\r\n+ZUSIMR:2\r\n", b"\r\nOK\r\n")
        assert parsers.parse_csq_exec(engine.command("AT+CSQ", timeout=2).lines) == (21, 99)
        # A prompt without a line break, with a status line before it.
        modem.on("AT+CMGS=23", b"\r\n^RSSI:18\r\n", b"> ")
        modem.on("payload", b"\r\n+CIEV: 2,4\r\n", b"\r\n+CMGS: 9,\"26/03/14,09:30:05+04\"\r\n",
                 b"\r\nOK\r\n")
        answer = engine.command_with_prompt("AT+CMGS=23", "00" * 24, timeout=2,
                                            prompt_timeout=2)
        assert parsers.parse_cmgs_write(answer.lines) == 9
        wait_until(lambda: len(urcs.items) >= len(chatter) + 3)
    finally:
        engine.close()
        modem.stop()
