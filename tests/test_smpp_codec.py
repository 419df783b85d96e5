"""SMPP wire rules without I/O: parts, receipts, received short messages."""

from modemd.smpp_codec import decode_short_message, parse_receipt, submit_parts


def test_gsm7_parts_are_unpacked_septets_with_udh():
    parts = submit_parts("€" + "a" * 160, concat_ref=300)
    assert [p.esm_class for p in parts] == [0x40, 0x40]
    assert parts[0].short_message[:6] == bytes([5, 0, 3, 300 & 0xFF, 2, 1])
    assert parts[0].short_message[6:8] == bytes([0x1B, 0x65])  # € = ESC + 0x65, unpacked
    assert decode_short_message(parts[1].short_message, 0, True)[0] == "a" * 9


def test_receipt_from_text_and_from_tlvs():
    r = parse_receipt("id:ABC123 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201"
                      " stat:UNDELIV err:001 text:Hallo")
    assert r is not None and (r.remote_id, r.stat, r.tp_status) == ("ABC123", "UNDELIV", 0x43)
    r = parse_receipt("", receipted_id="ABC124", message_state=2)
    assert r is not None and (r.remote_id, r.stat, r.tp_status) == ("ABC124", "DELIVRD", 0)
    assert parse_receipt("no receipt here") is None
