"""SMS PDUs (3GPP TS 23.040): tables of real PDUs, round trips, validity, fuzzing.

Most vectors come from public test suites with independently known results: the 3GPP/
dreamfabric "hellohello" example, the diafaan alphanumeric example, and ModemManager's
src/tests/test-sms-part-3gpp.c (PDUs captured from real networks and its PDU creator tests).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modemd.errors import CodecError
from modemd.pdu import (
    MAX_VALIDITY_MINUTES,
    Concat,
    Deliver,
    StatusReport,
    Submit,
    decode_pdu,
    decode_validity,
    encode_deliver,
    encode_status_report,
    encode_submit_parts,
    encode_validity,
    status_class,
)


def tz(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


# --------------------------------------------------------------------------- real PDUs

DELIVERS = [
    pytest.param(
        "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37",
        "+27381000015", "27838890001",
        # 23.040 has no century; like smspdudecoder we read YY as 20YY (libGammu says 2089)
        datetime(2099, 3, 29, 15, 16, 59, tzinfo=tz(120)),
        0x00, "gsm7", "hellohello", None, False,
        id="dreamfabric-hellohello",
    ),
    pytest.param(
        "0791448720003023240DD0E474D81C0EBB010000111011315214000BE474D81C0EBB5DE3771B",
        "+447802000332", "diafaan",
        datetime(2011, 1, 11, 13, 25, 41, tzinfo=UTC),
        0x00, "gsm7", "diafaan.com", None, False,
        id="alphanumeric-sender",
    ),
    pytest.param(
        "07919730071111F10414D04937BD2C7797E9D3E614000811309291024061080442043504410442",
        "+79037011111", "InternetSMS",
        datetime(2011, 3, 29, 19, 20, 4, tzinfo=tz(240)),
        0x08, "ucs2", "тест", None, False,
        id="mm-pdu2-ucs2-alnum",
    ),
    pytest.param(
        "07912143658709F1040B918100551512F20000111010214365000AE8329BFD4697D9EC37",
        "+12345678901", "+18005551212",
        datetime(2011, 1, 1, 12, 34, 56, tzinfo=UTC),
        0x00, "gsm7", "hellohello", None, False,
        id="mm-pdu3",
    ),
    pytest.param(
        "07912143658709F1000B818100551512F20000111010214365000AE8329BFD4697D9EC37",
        "+12345678901", "18005551212",
        datetime(2011, 1, 1, 12, 34, 56, tzinfo=UTC),
        0x00, "gsm7", "hellohello", None, True,
        id="mm-pdu3-national-more-messages",
    ),
    pytest.param(
        "07912143658709F1040B918100551512F20004111010214365000AE8329BFD4697D9EC37DE",
        "+12345678901", "+18005551212",
        datetime(2011, 1, 1, 12, 34, 56, tzinfo=UTC),
        0x04, "8bit", "", None, False,
        id="mm-pdu3-8bit",
    ),
    pytest.param(
        "07912143658709F1040B918100551512F200F4111010214365000AE8329BFD4697D9EC37DE",
        "+12345678901", "+18005551212",
        datetime(2011, 1, 1, 12, 34, 56, tzinfo=UTC),
        0xF4, "8bit", "", None, False,
        id="mm-dcs-f4-8bit",
    ),
    pytest.param(
        "07913306091093F0040485810000F111604231805180A049B7F90D9A1AA5A01668F8769BD3E4B29B"
        "9E2EB359A03FC85D06A9C3ED707A0EA2CBC3EE79BB4CA7CBCBA05643617DA7C76990FD4D979741EE77"
        "DD5E0ED741ED371D442E83E0E1F9BC0CD281E677D9B84C06C1DF7539E85C9097E520FB9B2E2F83C6EF"
        "369C5E064D8D52D0BC2E07DDEF77D7DC2C7799E5A0771D040FCB41F402BB0047BFDD6550B80ECAD966",
        "+33609001390", "1800",
        datetime(2011, 6, 24, 13, 8, 15, tzinfo=tz(120)),
        0xF1, "gsm7",
        "Info SFR - Confidentiel, à ne jamais transmettre -\r\nVoici votre nouveau mot de "
        "passe : sw2ced pour gérer votre compte SFR sur www.sfr.fr ou par téléphone au 963",
        None, False,
        id="mm-dcs-f1-160-septets",
    ),
    pytest.param(
        "07911356131313F64004850120390011609232239180A006080400100201D7327BFD6EB340E232"
        "1BF46E83EA7790F59D1E97DBE1341B442F83C465763D3DA797E56537C81D0ECB41AB59CC1693C1"
        "6031D96C064241E5656838AF03A96230982A269BCD462917C8FA4E8FCBED709A0D7ABBE9F6B0FB"
        "5C7683D27350984D4FABC9A0B33C4C4FCF5D20EBFB2D079DCB62793DBD06D9C36E50FB2D4E97D9"
        "A0B49B5E96BBCB",
        "+31653131316", "1002",
        datetime(2011, 6, 29, 23, 32, 19, tzinfo=tz(120)),
        0x00, "gsm7",
        "Welkom, bel om uw Voicemail te beluisteren naar +31612001233 (PrePay: *100*1233#)."
        " Voicemail ontvangen is altijd gratis. Voor gebruik van mobiel interne",
        Concat(ref=0x0010, total=2, seq=1, ref_bits=16), True,
        id="mm-kpn-16bit-concat",
    ),
    pytest.param(
        "07912160130320F5440B916171056429F5000021405291650569A00500034C0201A9E8F41C949E"
        "83C2207B599E07B1DFEE33885E9ED341E4F23C7D7697C920FA1B54C697E5E3F4BC0C6AD7D9F434"
        "081E96D341E3303C2C4EB3D3F4BC0B94A483E6E8779D4D06CDD1EF3BA80E0785E7A0B7BB0C6A97"
        "E7F3F0B9CC02B9DF7450780EA2DFDF2C50780EA2A3CBA0BA9B5C96B3F369F71954768FDFE4B4FB"
        "0C9297E1F2F2BCECA6CF41",
        "+12063130025", "+16175046925",
        datetime(2012, 4, 25, 19, 56, 50, tzinfo=tz(-240)),
        0x00, "gsm7",
        "This is a very long test designed to exercise multi part capability. It should "
        "show up as one message, not as two, as the underlying encoding represents ",
        Concat(ref=0x4C, total=2, seq=1), False,
        id="mm-multipart-1",
    ),
    pytest.param(
        "07912160130320F6440B916171056429F5000021405291651569320500034C0202E9E8301D4447"
        "9741F0B09C3E0785E56590BCCC0ED3CB6410FD0D7ABBCBA0B0FB4D4797E52E10",
        "+12063130026", "+16175046925",
        datetime(2012, 4, 25, 19, 56, 51, tzinfo=tz(-240)),
        0x00, "gsm7", "that the parts are related to one another. ",
        Concat(ref=0x4C, total=2, seq=2), False,
        id="mm-multipart-2",
    ),
]

MM_PDU1 = (
    "07912104442961F4040B916171957291F800001120821105050A6AC8B2BC7C9A83C220F6DB7D2ECB41ED"
    "F27C1E3E97411BDE06754FD3D1A0F9BB5D0695F1F4B29B5C2683C6E8B03C3CA697E5F34D6AE303D1D1F2"
    "F7DD0D4ABB59A0797D8C0685E7A00028EC26832A960B28EC2683BE6050780EBA97D96C17"
)


@pytest.mark.parametrize(
    ("pdu", "smsc", "sender", "timestamp", "dcs", "encoding", "text", "concat", "more"),
    DELIVERS,
)
def test_deliver_table(
    pdu: str, smsc: str, sender: str, timestamp: datetime, dcs: int, encoding: str,
    text: str, concat: Concat | None, more: bool,
) -> None:
    msg = decode_pdu(pdu)
    assert isinstance(msg, Deliver)
    assert msg.smsc == smsc
    assert msg.sender == sender
    assert msg.timestamp == timestamp
    assert msg.timestamp.utcoffset() == timestamp.utcoffset()
    assert msg.dcs == dcs
    assert msg.user_data.encoding == encoding
    assert msg.user_data.text == text
    assert msg.user_data.concat == concat
    assert msg.more_messages is more


def test_deliver_with_extension_chars_and_negative_timezone() -> None:
    # ModemManager pdu1: a real T-Mobile US message with escapes and SCTS offset -05:00
    msg = decode_pdu(MM_PDU1)
    assert isinstance(msg, Deliver)
    assert msg.smsc == "+12404492164"
    assert msg.sender == "+16175927198"
    assert msg.timestamp == datetime(2011, 2, 28, 11, 50, 50, tzinfo=tz(-300))
    assert msg.user_data.text == (
        "Here's a longer message [{with some extended characters}] "
        "thrown in, such as £ and ΩΠΨ and §¿ as well."
    )


def test_8bit_keeps_raw_octets() -> None:
    msg = decode_pdu(DELIVERS[5].values[0])
    assert isinstance(msg, Deliver)
    assert msg.user_data.raw == bytes.fromhex("E8329BFD4697D9EC37DE")


@pytest.mark.parametrize(
    ("pdu", "smsc", "ref", "recipient", "scts", "dt", "st", "klass"),
    [
        pytest.param(
            "07914356060013F1065A098136397339F7219011700463802190117004638030",
            "+34656000311", 0x5A, "639337937",
            datetime(2012, 9, 11, 7, 40, 36, tzinfo=tz(120)),
            datetime(2012, 9, 11, 7, 40, 36, tzinfo=tz(120)),
            0x30, "temporary",
            id="mm-status-report",
        ),
        pytest.param(
            "0006D60B911326880736F4111011719551401110117195714000",
            None, 0xD6, "+31628870634",
            datetime(2011, 1, 11, 17, 59, 15, tzinfo=tz(60)),
            datetime(2011, 1, 11, 17, 59, 17, tzinfo=tz(60)),
            0x00, "delivered",
            id="delivered",
        ),
    ],
)
def test_status_report_table(
    pdu: str, smsc: str | None, ref: int, recipient: str, scts: datetime, dt: datetime,
    st: int, klass: str,
) -> None:
    msg = decode_pdu(pdu)
    assert isinstance(msg, StatusReport)
    assert (msg.smsc, msg.message_ref, msg.recipient, msg.status) == (smsc, ref, recipient, st)
    assert (msg.sc_timestamp, msg.discharge_time) == (scts, dt)
    assert status_class(msg.status) == klass


def test_status_report_with_trailing_parameter_indicator() -> None:
    pdu = "0006D60B911326880736F4111011719551401110117195714000" + "00"
    msg = decode_pdu(pdu)
    assert isinstance(msg, StatusReport) and msg.status == 0


def test_submit_decode_stored_by_modem() -> None:
    # ModemManager "stored by us": a SUBMIT read back from modem storage
    msg = decode_pdu(
        "002100098136397339F70008224F60597D4F60597D4F60597D4F60597D4F60597D4F60597D4F60597D"
        "4F60597D4F60",
        direction="mo",
    )
    assert isinstance(msg, Submit)
    assert msg.smsc is None and msg.to == "639337937"
    assert msg.status_report and msg.validity_minutes is None and msg.dcs == 0x08
    assert msg.user_data.text == "你好你好你好你好你好你好你好你好你"


# ModemManager's PDU creator vectors: no status report, relative validity 5 minutes or none.
@pytest.mark.parametrize(
    ("to", "text", "validity", "expected"),
    [
        (
            "+15555551234", "Hi there...Tue 17th Jan 2012 05:30.18 pm (GMT+1) ΔΔΔΔΔ", 5,
            "0011000B915155551532F400000036C834888E2ECBCB2E978B5A2F8362373A1AA40CBB41325"
            "84C0682D57433982B8603C1DB20D4B1495DC552200804028100",
        ),
        (
            "+15556661234", "This is really cool ΔΔΔΔΔ", None,
            "0001000B915155661632F400001954747A0E4ACF41F27298CDCE83C6EF371B0481402010",
        ),
        (
            "+15556661234", "This is really cool ΔΔΔΔΔ", 5,
            "0011000B915155661632F40000001954747A0E4ACF41F27298CDCE83C6EF371B0481402010",
        ),
        (
            "+15555551234", "Да здравствует король, детка!", 5,
            "0011000B915155551532F40008003A041404300020043704340440043004320441044204320443"
            "043504420020043A043E0440043E043B044C002C0020043404350442043A04300021",
        ),
    ],
)
def test_submit_encode_vectors(to: str, text: str, validity: int | None, expected: str) -> None:
    [pdu] = encode_submit_parts(
        to, text, concat_ref=0, status_report=False, validity_minutes=validity
    )
    assert pdu.hex == expected
    assert pdu.tpdu_length == len(expected) // 2 - 1
    assert (pdu.part, pdu.total) == (1, 1)


def test_submit_defaults() -> None:
    [pdu] = encode_submit_parts("+4917612345678", "Termin morgen 9:00", concat_ref=7)
    # SMSC 00, first octet 0x31 = SUBMIT | VPF relative | SRR, MR 0, 13 digits international,
    # PID 00, DCS 00, VP A9 (3 days)
    assert pdu.hex.startswith("0031000D91947116325476F80000A9")
    msg = decode_pdu(pdu.hex, direction="mo")
    assert isinstance(msg, Submit)
    assert msg.status_report and msg.validity_minutes == 4320 and msg.message_ref == 0
    assert msg.user_data.concat is None


@pytest.mark.parametrize(
    ("to", "toa", "decoded"),
    [
        ("+4917612345678", "91", "+4917612345678"),
        ("017612345678", "81", "017612345678"),
        ("1800", "81", "1800"),
        ("+1", "91", "+1"),
    ],
)
def test_numbers(to: str, toa: str, decoded: str) -> None:
    [pdu] = encode_submit_parts(to, "x", concat_ref=0)
    digits = to.lstrip("+")
    assert pdu.hex[6:10] == f"{len(digits):02X}{toa}"
    msg = decode_pdu(pdu.hex, direction="mo")
    assert isinstance(msg, Submit) and msg.to == decoded


@pytest.mark.parametrize("to", ["", "+", "+49 176", "0176-123", "abc", "+" + "1" * 21, "١٢٣"])
def test_bad_numbers(to: str) -> None:
    with pytest.raises(CodecError):
        encode_submit_parts(to, "x", concat_ref=0)


def test_multipart_submit_structure() -> None:
    text = "a" * 152 + "€" + "b" * 200
    pdus = encode_submit_parts("+4917612345678", text, concat_ref=0x1FF, message_ref=3)
    assert [(p.part, p.total) for p in pdus] == [(1, 3), (2, 3), (3, 3)]
    decoded = [decode_pdu(p.hex, direction="mo") for p in pdus]
    assert all(isinstance(m, Submit) for m in decoded)
    texts = [m.user_data.text for m in decoded]  # type: ignore[union-attr]
    assert texts == ["a" * 152, "€" + "b" * 151, "b" * 49]
    for i, m in enumerate(decoded, start=1):
        assert m.user_data.concat == Concat(ref=0xFF, total=3, seq=i)  # type: ignore[union-attr]
        assert m.message_ref == 3  # type: ignore[union-attr]
    # first octet has UDHI; UDH 05 00 03 FF 03 01 right after TP-UDL
    assert pdus[0].hex[2:4] == "71"
    assert "050003FF0301" in pdus[0].hex
    assert max(p.tpdu_length for p in pdus) <= 140 + 23


def test_ucs2_multipart_keeps_emoji_whole() -> None:
    text = "ç" * 66 + "😀" + "ç" * 10
    pdus = encode_submit_parts("+4917612345678", text, concat_ref=1)
    texts = [decode_pdu(p.hex, direction="mo").user_data.text for p in pdus]
    assert texts == ["ç" * 66, "😀" + "ç" * 10]


@pytest.mark.parametrize(
    ("minutes", "vp"),
    [
        (0, 0), (1, 0), (5, 0), (6, 1), (10, 1), (720, 143),
        (721, 144), (750, 144), (751, 145), (1440, 167),
        (1441, 168), (2880, 168), (2881, 169), (4320, 169), (43200, 196),
        (43201, 197), (50400, 197), (50401, 198), (MAX_VALIDITY_MINUTES, 255),
    ],
)
def test_validity_encoding_rounds_up(minutes: int, vp: int) -> None:
    assert encode_validity(minutes) == vp
    assert decode_validity(vp) >= minutes


def test_validity_every_octet_round_trips() -> None:
    values = [decode_validity(vp) for vp in range(256)]
    assert values == sorted(values) and len(set(values)) == 256
    assert all(encode_validity(m) == vp for vp, m in enumerate(values))


@pytest.mark.parametrize("minutes", [-1, MAX_VALIDITY_MINUTES + 1])
def test_validity_out_of_range(minutes: int) -> None:
    with pytest.raises(CodecError):
        encode_validity(minutes)


@pytest.mark.parametrize(("validity", "decoded"), [(None, None), (60, 60), (4320, 4320), (7, 10)])
def test_submit_validity_round_trip(validity: int | None, decoded: int | None) -> None:
    [pdu] = encode_submit_parts("+491", "x", concat_ref=0, validity_minutes=validity)
    msg = decode_pdu(pdu.hex, direction="mo")
    assert isinstance(msg, Submit) and msg.validity_minutes == decoded


def test_submit_text_rules_apply() -> None:
    from modemd.errors import TextError

    with pytest.raises(TextError):
        encode_submit_parts("+491", "", concat_ref=0)
    with pytest.raises(TextError):
        encode_submit_parts("+491", "x" * 601, concat_ref=0)
    assert len(encode_submit_parts("+491", "x" * 601, concat_ref=0, max_characters=700)) == 4


# --------------------------------------------------------------------------- round trips

TS = datetime(2024, 3, 5, 14, 7, 9, tzinfo=tz(60))


@pytest.mark.parametrize(
    ("sender", "text", "concat", "encoding", "expected_encoding"),
    [
        ("+4917612345678", "Ja, ich komme. Grüße", None, None, "gsm7"),
        ("017612345678", "1234567", None, None, "gsm7"),  # CR pad position
        ("Praxis", "Bitte zurückrufen {€}", None, None, "gsm7"),
        ("PraxisDrXYZ", "hi", None, None, "gsm7"),  # 11-character alphanumeric sender
        ("+4917612345678", "Danke 😀", None, None, "ucs2"),
        ("+4917612345678", "plain", None, "ucs2", "ucs2"),
        ("+4917612345678", "x" * 153, Concat(5, 2, 1), None, "gsm7"),
        ("+4917612345678", "x" * 152, Concat(0xBEEF, 3, 3, ref_bits=16), None, "gsm7"),
        ("+4917612345678", "ç" * 67, Concat(5, 2, 2), None, "ucs2"),
        ("+4917612345678", "ç" * 66, Concat(65535, 2, 2, ref_bits=16), None, "ucs2"),
        ("+4917612345678", "", None, None, "gsm7"),
    ],
)
def test_deliver_round_trip(
    sender: str, text: str, concat: Concat | None, encoding: str | None, expected_encoding: str,
) -> None:
    pdu = encode_deliver(sender, text, TS, concat=concat, encoding=encoding)
    assert pdu.startswith("00")
    msg = decode_pdu(pdu)
    assert isinstance(msg, Deliver)
    assert (msg.smsc, msg.sender, msg.timestamp, msg.more_messages) == (None, sender, TS, False)
    assert msg.user_data.text == text
    assert msg.user_data.encoding == expected_encoding
    assert msg.user_data.concat == concat


@pytest.mark.parametrize(
    ("text", "concat"),
    [("x" * 161, None), ("x" * 154, Concat(1, 2, 1)), ("x" * 153, Concat(1, 2, 1, 16)),
     ("ç" * 71, None), ("ç" * 68, Concat(1, 2, 1)), ("ç" * 67, Concat(1, 2, 1, 16))],
)
def test_deliver_too_long(text: str, concat: Concat | None) -> None:
    with pytest.raises(CodecError):
        encode_deliver("+491", text, TS, concat=concat)


@pytest.mark.parametrize(
    ("kwargs", "ts"),
    [
        ({"concat": Concat(256, 2, 1)}, TS),
        ({"concat": Concat(1, 2, 3)}, TS),
        ({"concat": Concat(1, 2, 1, ref_bits=12)}, TS),
        ({"encoding": "latin1"}, TS),
        ({}, datetime(2024, 1, 1)),  # naive
        ({}, datetime(2024, 1, 1, tzinfo=tz(7))),  # not a quarter hour
        ({"encoding": "gsm7"}, TS),  # text is not GSM-7
    ],
)
def test_deliver_encode_errors(kwargs: dict, ts: datetime) -> None:
    with pytest.raises(CodecError):
        encode_deliver("+491", "ç", ts, **kwargs)


def test_deliver_lone_surrogate_is_codec_error() -> None:
    with pytest.raises(CodecError):
        encode_deliver("+491", "a\ud800", TS)


@pytest.mark.parametrize("offset", [0, 60, 120, -300, -15, 19 * 60 + 45, -(19 * 60 + 45)])
def test_status_report_round_trip(offset: int) -> None:
    scts = datetime(2024, 12, 31, 23, 59, 58, tzinfo=tz(offset))
    dt = datetime(2025, 1, 1, 0, 0, 1, tzinfo=tz(offset))
    for st_value in (0x00, 0x20, 0x45, 0x60):
        pdu = encode_status_report(200, "+4917612345678", scts, dt, st_value)
        msg = decode_pdu(pdu)
        assert msg == StatusReport(None, 200, "+4917612345678", scts, dt, st_value)


@pytest.mark.parametrize(
    ("st_value", "klass"),
    [(0x00, "delivered"), (0x02, "delivered"), (0x1F, "delivered"), (0x20, "temporary"),
     (0x30, "temporary"), (0x3F, "temporary"), (0x40, "permanent"), (0x45, "permanent"),
     (0x60, "permanent"), (0x7F, "permanent"), (0x80, "permanent"), (0xFF, "permanent")],
)
def test_status_class(st_value: int, klass: str) -> None:
    assert status_class(st_value) == klass


# --------------------------------------------------------------------------- DCS and UDH

def deliver_with(dcs: int, ud: str, fo: int = 0x04) -> str:
    """A DELIVER from +491 at TS with the given DCS and raw TP-UDL+TP-UD hex."""
    return f"00{fo:02X}039119F100{dcs:02X}42305041709040" + ud


@pytest.mark.parametrize(
    ("dcs", "encoding"),
    [
        (0x00, "gsm7"), (0x04, "8bit"), (0x08, "ucs2"), (0x0C, "gsm7"),  # 0x0C reserved
        (0x10, "gsm7"), (0x11, "gsm7"), (0x14, "8bit"), (0x18, "ucs2"),  # message classes
        (0x20, "8bit"), (0x28, "8bit"),  # compressed: not decodable, kept raw
        (0x40, "gsm7"), (0x48, "ucs2"),  # automatic deletion group
        (0x80, "gsm7"), (0xB4, "gsm7"),  # reserved groups: 23.038 says assume GSM-7
        (0xC0, "gsm7"), (0xD8, "gsm7"), (0xE0, "ucs2"), (0xEB, "ucs2"),  # MWI groups
        (0xF0, "gsm7"), (0xF3, "gsm7"), (0xF4, "8bit"), (0xF7, "8bit"),
    ],
)
def test_dcs_groups(dcs: int, encoding: str) -> None:
    ud = {"gsm7": "05E8329BFD06", "ucs2": "0A00680065006C006C006F", "8bit": "0568656C6C6F"}
    msg = decode_pdu(deliver_with(dcs, ud[encoding]))
    assert isinstance(msg, Deliver)
    assert msg.user_data.encoding == encoding
    assert msg.user_data.text == ("" if encoding == "8bit" else "hello")
    if encoding == "8bit":
        assert msg.user_data.raw == b"hello"


def test_ucs2_odd_octet_count_is_tolerated() -> None:
    msg = decode_pdu(deliver_with(0x08, "0B00680065006C006C006F21"))
    assert msg.user_data.text == "hello"  # type: ignore[union-attr]


def test_ucs2_lone_surrogate_is_replaced_raw_kept() -> None:
    msg = decode_pdu(deliver_with(0x08, "04D83D0041"))
    assert msg.user_data.text == "\ufffdA"  # type: ignore[union-attr]
    assert msg.user_data.raw == bytes.fromhex("D83D0041")  # type: ignore[union-attr]


def test_udh_other_ies_are_skipped() -> None:
    # UDH: application port IE 05 (4 octets) then 8-bit concat; UDHL 0B = 12 octets,
    # GSM-7 header = 14 septets (12*8=96 bits -> 98 bits, 2 fill bits), text "hi"
    from modemd.gsm7 import encode_septets, pack_septets

    body = pack_septets(encode_septets("hi"), 2).hex().upper()
    msg = decode_pdu(deliver_with(0x00, "10" + "0B" + "050415811581" + "0003090201" + body, 0x44))
    assert msg.user_data.text == "hi"  # type: ignore[union-attr]
    assert msg.user_data.concat == Concat(9, 2, 1)  # type: ignore[union-attr]


@pytest.mark.parametrize("ie", ["0003090200", "0003090000", "0003090203"])
def test_invalid_concat_ie_is_ignored(ie: str) -> None:
    # 23.040 §9.2.3.24.1: seq 0, total 0 or seq > total -> ignore the IE
    msg = decode_pdu(deliver_with(0x08, "0A" + "05" + ie + "00680069", 0x44))
    assert msg.user_data.concat is None  # type: ignore[union-attr]
    assert msg.user_data.text == "hi"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "pdu",
    [
        "",
        "00",
        "zz",
        "0",
        "07912104442961",  # SMSC runs out
        deliver_with(0x00, "0BE8329BFD4697D9EC37"),  # UDL 11 septets, only 10 present
        deliver_with(0x08, "0C0068"),  # UCS-2 UDL past the end
        deliver_with(0x00, "08" + "07" + "000309", 0x44),  # UDH longer than the UD
        deliver_with(0x00, "08" + "04" + "00050102", 0x44),  # IE runs past the UDH
        deliver_with(0x00, "03" + "05" + "0003090201", 0x44),  # UDL shorter than the UDH
        "00" + "04039119F10000" + "4A305041709040" + "00",  # nibble A in SCTS year
        "00" + "04039119F10000" + "42135041709040" + "00",  # month 31
        "00" + "03" + "00039119F10000",  # MTI 11 reserved
        "00" + "01000391",  # SUBMIT seen as MT
    ],
)
def test_malformed_is_codec_error(pdu: str) -> None:
    with pytest.raises(CodecError):
        decode_pdu(pdu)


def test_direction_must_be_known() -> None:
    with pytest.raises(CodecError):
        decode_pdu("0006D60B911326880736F4111011719551401110117195714000", direction="in")
    with pytest.raises(CodecError):
        decode_pdu("0006D60B911326880736F4111011719551401110117195714000", direction="mo")


def test_accepts_bytes_and_whitespace() -> None:
    hex_pdu = "0006D60B911326880736F4111011719551401110117195714000"
    assert decode_pdu(bytes.fromhex(hex_pdu)) == decode_pdu(" ".join(hex_pdu[i : i + 2]
                                                              for i in range(0, 52, 2)))


# --------------------------------------------------------------------------- fuzz

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=200), direction=st.sampled_from(["mt", "mo"]))
def test_fuzz_random_bytes(data: bytes, direction: str) -> None:
    try:
        result = decode_pdu(data, direction=direction)
    except CodecError:
        return
    assert isinstance(result, Submit | Deliver | StatusReport)


VALID = [p.values[0] for p in DELIVERS] + [
    "0006D60B911326880736F4111011719551401110117195714000",
    encode_deliver("Praxis", "Hallo {x}", TS),
]


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from(VALID),
    edits=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4),
    cut=st.integers(0, 400),
)
def test_fuzz_mutated_pdus(base: str, edits: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(bytes.fromhex("".join(base.split())))
    for pos, value in edits:
        data[pos % len(data)] = value
    data = data[: max(cut, 1)]
    for direction in ("mt", "mo"):
        with contextlib.suppress(CodecError):
            decode_pdu(bytes(data), direction=direction)
