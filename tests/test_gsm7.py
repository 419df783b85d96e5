"""GSM 03.38 alphabet and septet packing (3GPP TS 23.038 §6.1.2, §6.2.1)."""

from __future__ import annotations

import pytest

from modemd.errors import CodecError
from modemd.gsm7 import (
    BASIC,
    ESC,
    EXTENSION,
    char_septets,
    decode_septets,
    encode_septets,
    is_gsm7,
    pack_septets,
    unpack_septets,
)


@pytest.mark.parametrize(
    ("text", "fill", "packed"),
    [
        ("hellohello", 0, "E8329BFD4697D9EC37"),  # the dreamfabric/23.040 example
        ("hello", 0, "E8329BFD06"),
        ("A", 0, "41"),
        ("", 0, ""),
        # 7 septets leave 7 spare bits: 23.038 §6.1.2.3.1 pads them with CR, not zeros
        ("1234567", 0, "31D98C56B3DD1A"),
        ("12345678", 0, "31D98C56B3DD70"),
        # one fill bit after a 6-octet concatenation UDH
        ("hello", 1, "D06536FB0D"),
        # 6 fill bits: the first septet starts in bit 6 of the first octet
        ("A", 6, "4010"),
    ],
)
def test_pack_vectors(text: str, fill: int, packed: str) -> None:
    septets = encode_septets(text)
    assert pack_septets(septets, fill).hex().upper() == packed
    assert unpack_septets(bytes.fromhex(packed), len(septets), fill) == septets


def test_cr_pad_with_fill_bits() -> None:
    # fill 1 + 7 septets * 7 = 50 bits: 6 spare bits, no pad; fill 2 + 7*... : pad when bits%8==1
    packed = pack_septets([0x41] * 1, fill_bits=2)  # 9 bits -> 7 spare bits -> CR pad
    assert packed == bytes([0x41 << 2 & 0xFF, (0x41 >> 6) | (0x0D << 1)])


def test_unpack_derived_count_strips_cr_pad_only_in_pad_position() -> None:
    assert decode_septets(unpack_septets(pack_septets(encode_septets("1234567")))) == "1234567"
    # a real CR that ends the text is kept when it is not in the pad position
    assert decode_septets(unpack_septets(pack_septets(encode_septets("12\r")))) == "12\r"
    # zero pad bits read back as '@' when the count is derived; that is why we pad with CR
    zero_padded = bytes.fromhex("31D98C56B3DD00")
    assert decode_septets(unpack_septets(zero_padded)) == "1234567@"


def test_unpack_rejects_short_data() -> None:
    with pytest.raises(CodecError):
        unpack_septets(bytes.fromhex("E832"), 5)
    with pytest.raises(CodecError):
        unpack_septets(b"\x00", 1, fill_bits=7)


def test_pack_rejects_bad_input() -> None:
    with pytest.raises(CodecError):
        pack_septets([128])
    with pytest.raises(CodecError):
        pack_septets([1], fill_bits=7)


def test_tables() -> None:
    assert len(BASIC) == 128
    assert BASIC[ESC] == "\x1b"
    assert len(set(BASIC)) == 128
    assert set(EXTENSION) == set("\x0c^{}\\[~]|€")
    assert BASIC[0x00] == "@" and BASIC[0x11] == "_" and BASIC[0x24] == "¤"
    assert BASIC[0x7F] == "à" and BASIC[0x40] == "¡" and BASIC[0x60] == "¿"


@pytest.mark.parametrize("septet", [i for i in range(128) if i != ESC])
def test_every_basic_char_round_trips(septet: int) -> None:
    ch = BASIC[septet]
    assert char_septets(ch) == 1
    assert encode_septets(ch) == [septet]
    assert decode_septets([septet]) == ch
    for fill in range(7):
        packed = pack_septets([septet] * 3, fill)
        assert unpack_septets(packed, 3, fill) == [septet] * 3


@pytest.mark.parametrize(("ch", "code"), sorted(EXTENSION.items()))
def test_every_extension_char_round_trips(ch: str, code: int) -> None:
    assert char_septets(ch) == 2
    assert encode_septets(ch) == [ESC, code]
    assert decode_septets([ESC, code]) == ch
    assert decode_septets(unpack_septets(pack_septets([ESC, code]), 2)) == ch


def test_full_alphabet_string_round_trips() -> None:
    text = "".join(ch for i, ch in enumerate(BASIC) if i != ESC) + "".join(EXTENSION)
    assert is_gsm7(text)
    septets = encode_septets(text)
    assert len(septets) == 127 + 2 * len(EXTENSION)
    assert decode_septets(unpack_septets(pack_septets(septets, 3), len(septets), 3)) == text


@pytest.mark.parametrize("ch", ["\x1b", "ç", "á", "😀", "Ł", "\x00", "`"])
def test_non_gsm_chars(ch: str) -> None:
    assert char_septets(ch) is None
    assert not is_gsm7("abc" + ch)
    with pytest.raises(CodecError):
        encode_septets("abc" + ch)


def test_german_letters_are_basic() -> None:
    assert is_gsm7("äöüÄÖÜß")
    assert len(encode_septets("äöüÄÖÜß")) == 7


@pytest.mark.parametrize(
    ("septets", "text"),
    [
        ([ESC, 0x41], "A"),  # unknown extension code: the basic-table character (23.038 §6.2.1.1)
        ([ESC, ESC], " "),  # escape to an unknown further table: a space
        ([0x41, ESC], "A "),  # dangling escape
        ([ESC, 0x65, ESC, 0x00], "€@"),
    ],
)
def test_decode_unknown_escapes(septets: list[int], text: str) -> None:
    assert decode_septets(septets) == text


def test_decode_never_raises() -> None:
    for a in range(128):
        for b in range(0, 128, 7):
            assert isinstance(decode_septets([a, b, ESC, a]), str)
