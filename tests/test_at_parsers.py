"""Table tests of the AT answer parsers, with dialects of several modem makers."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modemd.at import parsers as p
from modemd.errors import AtError, CmeError, CmsError

PDU = "07919471060040340409D0C7F7FBCC2E03000081101291548040044F2A5C0E"
URC = '+CMTI: "SM",7'  # mixed into answers: every parser must skip it


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["+CMGS: 12"], 12),
        (["+CMGS:12"], 12),
        (['+CMGS: 12,"24/01/01,12:00:00+04"'], 12),  # SIMCom with SCTS
        (["+CMGS: 255,00"], 255),  # with ackpdu
        ([URC, "+CMGS:   0  "], 0),
    ],
)
def test_parse_cmgs_write(lines, expected):
    assert p.parse_cmgs_write(lines) == expected


@pytest.mark.parametrize("lines", [[], ["OK"], ["+CMGS: x"], ["+CMGS: 300"], ["+CMGS:"]])
def test_parse_cmgs_write_bad(lines):
    with pytest.raises(AtError):
        p.parse_cmgs_write(lines)


def test_parse_cmgw_write():
    assert p.parse_cmgw_write(["+CMGW: 4"]) == 4


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["+CSQ: 21,99"], (21, 99)),
        (["+CSQ:21,99"], (21, 99)),
        (["+CSQ: 31, 0"], (31, 0)),
        ([URC, "+CSQ: 99,99"], (99, 99)),
        (["+CSQ: 14,99,1"], (14, 99)),  # trailing vendor field
    ],
)
def test_parse_csq_exec(lines, expected):
    assert p.parse_csq_exec(lines) == expected


@pytest.mark.parametrize("lines", [["+CSQ: 21"], ["+CSQ: a,b"], ["+CESQ: 1,2"]])
def test_parse_csq_exec_bad(lines):
    with pytest.raises(AtError):
        p.parse_csq_exec(lines)


@pytest.mark.parametrize(
    ("rssi", "dbm"),
    [(0, -113), (1, -111), (2, -109), (15, -83), (30, -53), (31, -51), (99, None), (-1, None),
     (32, None), (100, None)],
)
def test_csq_to_dbm(rssi, dbm):
    assert p.csq_to_dbm(rssi) == dbm


@pytest.mark.parametrize(
    ("lines", "prefix", "expected"),
    [
        (["+CREG: 0,1"], "+CREG", (0, 1)),
        (["+CREG: 2,1,\"1A2B\",\"00C1\",7"], "+CREG", (2, 1)),
        (["+CREG: 2,5,\"1a2b\",\"0C1F2A03\",7"], "+CREG", (2, 5)),  # Quectel roaming, LTE
        (["+CREG: 1, 2"], "+CREG", (1, 2)),
        (["+CREG: 1"], "+CREG", (-1, 1)),  # URC shape answered to the read form
        (["+CREG: 1,\"1A2B\",\"00C1\""], "+CREG", (-1, 1)),
        ([URC, "+CGREG: 0,4"], "+CGREG", (0, 4)),
        (["+CEREG: 2,1,\"1A2B\",\"01A2D003\",7,,,\"00000000\",\"00000110\""], "+CEREG", (2, 1)),
        (["+CREG: 0,1", "+CGREG: 0,3"], "+CGREG", (0, 3)),
    ],
)
def test_parse_reg_read(lines, prefix, expected):
    assert p.parse_reg_read(lines, prefix) == expected


def test_reg_shortcuts_and_states():
    assert p.parse_creg_read(["+CREG: 0,5"]) == (0, 5)
    assert p.parse_cgreg_read(["+CGREG: 0,1"]) == (0, 1)
    assert p.parse_cereg_read(["+CEREG: 0,2"]) == (0, 2)
    assert p.REG_STATES[1] == "home" and p.REG_STATES[5] == "roaming"
    assert p.REG_STATES[3] == "denied" and p.REG_STATES[6] == "home_sms_only"
    assert all(i in p.REG_STATES for i in range(11))


@pytest.mark.parametrize("lines", [["+CREG: x,1"], ["+CREG:"], ["+CGREG: 0,1"], []])
def test_parse_creg_read_bad(lines):
    with pytest.raises(AtError):
        p.parse_creg_read(lines)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (['+COPS: 0,0,"Telekom.de",7'], "Telekom.de"),
        (['+COPS: 0,0,"vodafone.de"'], "vodafone.de"),  # Wavecom, no AcT
        (['+COPS: 0,2,"26201",7'], "26201"),
        (['+COPS: 1,0,"o2 - de",2'], "o2 - de"),
        (['+COPS: 0,0,"T-Mobile, D",7'], "T-Mobile, D"),  # comma inside the quotes
        (["+COPS: 0"], None),
        (['+COPS: 0,0,""'], None),
        (['+COPS: 0,0,"Telekom.de",7,1'], "Telekom.de"),  # trailing vendor field
        ([URC, '+COPS:0,1,"TDG",7'], "TDG"),
    ],
)
def test_parse_cops_read(lines, expected):
    assert p.parse_cops_read(lines) == expected


@pytest.mark.parametrize("lines", [["+COPS: x"], ["+COPS?"], []])
def test_parse_cops_read_bad(lines):
    with pytest.raises(AtError):
        p.parse_cops_read(lines)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["+CPIN: READY"], "READY"),
        (["+CPIN:READY"], "READY"),
        (["+CPIN: SIM PIN"], "SIM PIN"),
        (["+CPIN: SIM PUK"], "SIM PUK"),
        (['+CPIN: "READY"'], "READY"),  # Telit quotes
        (["+CPIN:  sim  pin2 "], "SIM PIN2"),
        (["READY"], "READY"),  # some Huawei firmwares drop the prefix
        ([URC, "+CPIN: PH-SIM PIN"], "PH-SIM PIN"),
    ],
)
def test_parse_cpin_read(lines, expected):
    assert p.parse_cpin_read(lines) == expected


@pytest.mark.parametrize("lines", [[], ["+CPIN:"], ["+CPIN: \"\""], ["OK"]])
def test_parse_cpin_read_bad(lines):
    with pytest.raises(AtError):
        p.parse_cpin_read(lines)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (['+CPMS: "SM",3,30,"SM",3,30,"SM",3,30'],
         [("SM", 3, 30), ("SM", 3, 30), ("SM", 3, 30)]),
        (['+CPMS: "ME",0,23,"ME",0,23,"ME",0,23'],  # Huawei
         [("ME", 0, 23)] * 3),
        (['+CPMS: "SM_P",0,50,"SM_P",0,50,"SM_P",0,50'],  # SIMCom
         [("SM_P", 0, 50)] * 3),
        (["+CPMS: SM,1,20,SM,1,20"], [("SM", 1, 20), ("SM", 1, 20)]),  # unquoted, two mems
        (['+CPMS: "MT", 5, 255, "MT", 5, 255, "MT", 5, 255'], [("MT", 5, 255)] * 3),
        ([URC, '+CPMS: "SM",1,10,'], [("SM", 1, 10)]),  # trailing comma
    ],
)
def test_parse_cpms_read(lines, expected):
    assert p.parse_cpms_read(lines) == expected


@pytest.mark.parametrize(
    "lines", [['+CPMS: "SM",3'], ["+CPMS: 3,30,3,30,3,30"], ['+CPMS: "SM",x,30'], []])
def test_parse_cpms_read_bad(lines):
    with pytest.raises(AtError):
        p.parse_cpms_read(lines)


def test_parse_cpms_write():
    assert p.parse_cpms_write(["+CPMS: 3,30,3,30,3,30"]) == [(3, 30)] * 3
    assert p.parse_cpms_write(["+CPMS: 0, 50,0,50"]) == [(0, 50)] * 2
    with pytest.raises(AtError):
        p.parse_cpms_write(["+CPMS: 3,30,3"])


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (['+CPMS: ("SM","ME"),("SM","ME"),("SM")'], [["SM", "ME"], ["SM", "ME"], ["SM"]]),
        (['+CPMS: ("ME","MT","SM","SR"),("ME","MT","SM","SR"),("ME","MT","SM","SR")'],
         [["ME", "MT", "SM", "SR"]] * 3),  # Quectel
        (['+CPMS: ("SM","ME","SM_P","ME_P","MT"),("SM","ME","SM_P","ME_P","MT"),'
          '("SM","ME","SM_P","ME_P","MT")'], [["SM", "ME", "SM_P", "ME_P", "MT"]] * 3),
        (["+CPMS: (SM,ME), (SM,ME), (SM)"], [["SM", "ME"], ["SM", "ME"], ["SM"]]),
        (['+CPMS: "SM","SM","SM"'], [["SM"], ["SM"], ["SM"]]),  # no parentheses
    ],
)
def test_parse_cpms_test(lines, expected):
    assert p.parse_cpms_test(lines) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(0-2),(0,1)", [{0, 1, 2}, {0, 1}]),
        ("(0-2), (0 , 1)", [{0, 1, 2}, {0, 1}]),
        ("(0-3),1,()", [{0, 1, 2, 3}, {1}, set()]),
        ("(0,2-3,5)", [{0, 2, 3, 5}]),
        ("", []),
    ],
)
def test_parse_range_list(text, expected):
    assert p.parse_range_list(text) == expected


@pytest.mark.parametrize("text", ["(a-b)", "(3-1)", "(0-999999)", "(x)"])
def test_parse_range_list_bad(text):
    with pytest.raises(AtError):
        p.parse_range_list(text)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)"], [{0, 1, 2}, {0, 1, 2, 3}, {0, 2}, {0, 1, 2},
                                                    {0, 1}]),
        (["+CNMI: (0,1,2),(0,1,2,3),(0,2),(0,1,2),(0,1)"],  # Huawei lists values
         [{0, 1, 2}, {0, 1, 2, 3}, {0, 2}, {0, 1, 2}, {0, 1}]),
        (["+CNMI: (0-3),(0-3),(0-3),(0-2),(0-1)"],  # Telit
         [{0, 1, 2, 3}] * 3 + [{0, 1, 2}, {0, 1}]),
        (["+CNMI: (0-2),(0-3),(0,2),(0-2),(0-1),(0-1)"],  # Quectel sixth field
         [{0, 1, 2}, {0, 1, 2, 3}, {0, 2}, {0, 1, 2}, {0, 1}, {0, 1}]),
        ([URC, "+CNMI:(2),(1),(0),(2),(0)"], [{2}, {1}, {0}, {2}, {0}]),
    ],
)
def test_parse_cnmi_test(lines, expected):
    assert p.parse_cnmi_test(lines) == expected


def test_parse_cmgf_test():
    assert p.parse_cmgf_test(["+CMGF: (0-1)"]) == {0, 1}
    assert p.parse_cmgf_test(["+CMGF: (0,1)"]) == {0, 1}


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([], []),
        (["+CMGL: 1,0,,23", PDU], [(1, 0, PDU)]),
        (["+CMGL: 1,0,,23", PDU, "+CMGL: 4,1,,23", PDU.lower()],
         [(1, 0, PDU), (4, 1, PDU.lower())]),
        (['+CMGL: 2,1,"Anna, Praxis",23', PDU], [(2, 1, PDU)]),  # alpha with comma
        (["+CMGL: 0, 1, , 23", PDU, URC], [(0, 1, PDU)]),  # spaces, URC after
        ([URC, "+CMGL: 3,2,,23", PDU], [(3, 2, PDU)]),
    ],
)
def test_parse_cmgl_exec(lines, expected):
    assert p.parse_cmgl_exec(lines) == expected


@pytest.mark.parametrize(
    "lines",
    [
        ["+CMGL: 1,0,,23"],  # header without PDU
        ["+CMGL: 1,0,,23", "+CMGL: 2,0,,23", PDU],
        ["+CMGL: 1,0,,23", "HELLO WORLD"],  # text, not a PDU
        ["+CMGL: 1,0,,23", "ABC"],  # odd number of hex digits
        ["+CMGL: x,0,,23", PDU],
        ["+CMGL: 1", PDU],
    ],
)
def test_parse_cmgl_exec_bad(lines):
    with pytest.raises(AtError):
        p.parse_cmgl_exec(lines)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["+CMGR: 0,,23", PDU], (0, PDU)),
        (['+CMGR: 1,"",23', PDU], (1, PDU)),  # Wavecom quotes the empty alpha
        (["+CMGR: ,,23", PDU], (None, PDU)),
        (["+CMGR: 23", PDU], (None, PDU)),
        ([URC, "+CMGR: 2,,23", PDU], (2, PDU)),
        (["+CMGR: 0,,0"], (0, "")),  # empty slot (SIMCom)
    ],
)
def test_parse_cmgr_write(lines, expected):
    assert p.parse_cmgr_write(lines) == expected


@pytest.mark.parametrize("lines", [[], ["OK"], ["+CMGR: 0,,23"], ["+CMGR: x,,23", PDU]])
def test_parse_cmgr_write_bad(lines):
    with pytest.raises(AtError):
        p.parse_cmgr_write(lines)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('+CMTI: "SM",3', ("SM", 3)),
        ("+CMTI: SM,3", ("SM", 3)),
        ('+CMTI:"ME",0', ("ME", 0)),
        ('+CMTI: "MT", 12', ("MT", 12)),
        ('+CMTI: "SM",3,"extra"', ("SM", 3)),
    ],
)
def test_parse_cmti(line, expected):
    assert p.parse_cmti(line) == expected


def test_parse_cdsi():
    assert p.parse_cdsi('+CDSI: "SR",2') == ("SR", 2)
    assert p.parse_cdsi("+CDSI: ME, 5") == ("ME", 5)


@pytest.mark.parametrize(
    "line", ["+CMTI: 3", '+CMTI: "SM",x', "+CDSI: x", "RING", '+CMTI: "",3', "+CMTI:"])
def test_parse_cmti_bad(line):
    with pytest.raises(AtError):
        p.parse_cdsi(line) if line.startswith("+CDSI") else p.parse_cmti(line)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("+CMT: ,23", 23),
        ("+CMT:,23", 23),
        ('+CMT: "",23', 23),
        ('+CMT: "Anna, Praxis",23', 23),
        ("+CMT: 23", 23),  # no alpha field at all
        ('+CMT: "+491701234567","","24/01/01,12:00:00+04"', None),  # text mode
    ],
)
def test_parse_cmt_header(line, expected):
    assert p.parse_cmt_header(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("+CDS: 25", 25),
        ("+CDS:25", 25),
        ('+CDS: 6,46,"+491701234567",145,"24/01/01,12:00:00+04","24/01/01,12:00:05+04",0',
         None),  # text mode
    ],
)
def test_parse_cds_header(line, expected):
    assert p.parse_cds_header(line) == expected


@pytest.mark.parametrize("line", ["+CMT: ,x", "+CMTI: ,23", "+CDS: x", "+CMT"])
def test_parse_cmt_cds_header_bad(line):
    with pytest.raises(AtError):
        p.parse_cds_header(line) if line.startswith("+CDS") else p.parse_cmt_header(line)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Quectel"], "Quectel"),
        (['+CGMI: "Quectel"'], "Quectel"),
        (["+CGMI: huawei"], "huawei"),
        (["SIMCOM INCORPORATED", "SIM800 R14.18"], "SIMCOM INCORPORATED SIM800 R14.18"),
        (["Revision: EC25EFAR06A06M4G"], "Revision: EC25EFAR06A06M4G"),
        (["+CGSN: \"867962041234567\""], "867962041234567"),
        (["  Telit  ", " LE910C1-EUX  "], "Telit LE910C1-EUX"),
        (["+GMM: MC7455"], "MC7455"),  # Sierra answers AT+GMM like this
        (['"WAVECOM MODEM"'], "WAVECOM MODEM"),
        (["262011234567890"], "262011234567890"),
    ],
)
def test_parse_identity(lines, expected):
    assert p.parse_identity(lines) == expected


@pytest.mark.parametrize("lines", [[], [""], ["+CGMI: "], ['""']])
def test_parse_identity_bad(lines):
    with pytest.raises(AtError):
        p.parse_identity(lines)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (['+CSCA: "+491710760000",145'], "+491710760000"),
        (['+CSCA: "0049171076000",129'], "0049171076000"),
        (['+CSCA: "",129'], None),
        (["+CSCA: ,"], None),
        (['+CSCA: "002B003400390031003700310030003700360030003000300030",145'],
         "+491710760000"),  # UCS2 character set
        ([URC, "+CSCA: +491770610000, 145"], "+491770610000"),
    ],
)
def test_parse_csca_read(lines, expected):
    assert p.parse_csca_read(lines) == expected


@pytest.mark.parametrize("lines", [[], ['+CSCA: "hello",145']])
def test_parse_csca_read_bad(lines):
    with pytest.raises(AtError):
        p.parse_csca_read(lines)


@pytest.mark.parametrize(
    ("line", "cls", "code", "text"),
    [
        ("+CMS ERROR: 500", p.CmsError, 500, "CMS ERROR 500"),
        ("+CMS ERROR:304", CmsError, 304, "CMS ERROR 304"),
        ("+CMS ERROR: SMSC address unknown", CmsError, 330, "SMSC address unknown"),
        ("+CMS ERROR: (U)SIM busy", CmsError, 314, "(U)SIM busy"),
        ("+CME ERROR: 10", CmeError, 10, "CME ERROR 10"),
        ("+CME ERROR: SIM PIN required", CmeError, 11, "SIM PIN required"),
        ("+CME ERROR: operation not allowed", CmeError, 3, "operation not allowed"),
        ("+CME ERROR: ready to sail", CmeError, -1, "ready to sail"),
    ],
)
def test_parse_error_result(line, cls, code, text):
    err = p.parse_error_result(line)
    assert type(err) is cls
    assert (err.code, err.text) == (code, text)


@pytest.mark.parametrize("line", ["ERROR", "COMMAND NOT SUPPORT", "NO CARRIER"])
def test_parse_error_result_plain(line):
    err = p.parse_error_result(line)
    assert type(err) is AtError and str(err) == line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('0, "a,b" ,(1,2)', ["0", "a,b", "(1,2)"]),
        ("", [""]),
        (',,"x', ["", "", "x"]),  # unbalanced quote: tolerated, not a crash
        ('"(",1', ["(", "1"]),
    ],
)
def test_split_fields(text, expected):
    assert p.split_fields(text) == expected


# Any junk either parses or raises AtError: never IndexError/ValueError/TypeError.
JUNK = ["", ":", ",", '"', "+CSQ", "+CSQ:", "+CSQ: ,", "+CMGS: ,,,", "+CPMS: (", "+CNMI: ((",
        "+CNMI: (-)", "+CNMI: (1-)", "+CMGL: ,", "+CMGR:", "+COPS: ,,", "+CREG: ,",
        "+CPIN", "+CSCA:", '+CSCA: "', "\x00\xff", "+CMTI: ,", "+CMT:", "+CDS:",
        "+CMGL: 1,0,,23", "+CREG: 1,", "+CPMS: ,,"]
PARSERS = [p.parse_cmgs_write, p.parse_cmgw_write, p.parse_csq_exec, p.parse_creg_read,
           p.parse_cops_read, p.parse_cpin_read, p.parse_cpms_read, p.parse_cpms_write,
           p.parse_cpms_test, p.parse_cnmi_test, p.parse_cmgf_test, p.parse_cmgl_exec,
           p.parse_cmgr_write, p.parse_identity, p.parse_csca_read]
LINE_PARSERS = [p.parse_cmti, p.parse_cdsi, p.parse_cmt_header, p.parse_cds_header]


def _only_at_error(junk: str) -> None:
    for parse in PARSERS:
        with contextlib.suppress(AtError):
            parse([junk, junk])
    for parse_line in LINE_PARSERS:
        with contextlib.suppress(AtError):
            parse_line(junk)
    with contextlib.suppress(AtError):
        p.parse_range_list(junk)
    with contextlib.suppress(AtError):
        p.parse_reg_read([junk], "+CEREG")
    assert isinstance(p.parse_error_result(junk), AtError)


@pytest.mark.parametrize("junk", JUNK)
def test_junk_raises_at_error_only(junk):
    _only_at_error(junk)


PREFIXES = ["+CMGS: ", "+CSQ: ", "+CREG: ", "+CEREG: ", "+COPS: ", "+CPIN: ", "+CPMS: ",
            "+CNMI: ", "+CMGF: ", "+CMGL: ", "+CMGR: ", "+CSCA: ", "+CMTI: ", "+CDSI: ",
            "+CMT: ", "+CDS: ", "+CMS ERROR: ", "+CME ERROR: ", ""]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PREFIXES),
       st.text(alphabet=st.sampled_from('0123456789,"()- :+ABCx\x00\xff'), max_size=30))
def test_fuzz_parsers_raise_only_at_error(prefix, rest):
    _only_at_error(prefix + rest)
