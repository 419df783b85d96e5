"""The text rules of DESIGN.md: encoding, counting, splitting."""

from __future__ import annotations

import pytest

from modemd.errors import TextError
from modemd.segments import Segmentation, split_text

EMOJI = "😀"  # outside the BMP: two UTF-16 units


def check_invariants(seg: Segmentation, text: str) -> None:
    assert "".join(seg.parts) == text
    assert seg.segments == len(seg.parts) == len(seg.segment_ends)
    assert seg.segment_ends[-1] == len(text)
    start = 0
    for part, end in zip(seg.parts, seg.segment_ends, strict=True):
        assert text[start:end] == part and part
        start = end


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments", "remaining"),
    [
        ("a", "gsm7", 1, 1, 159),
        ("a" * 159, "gsm7", 159, 1, 1),
        ("a" * 160, "gsm7", 160, 1, 0),
        ("a" * 161, "gsm7", 161, 2, 153 * 2 - 161),
        ("a" * 306, "gsm7", 306, 2, 0),
        ("a" * 307, "gsm7", 307, 3, 152),
        ("a" * 600, "gsm7", 600, 4, 153 * 4 - 600),
        ("€" * 80, "gsm7", 160, 1, 0),
        ("€" * 81, "gsm7", 162, 2, 153 - 10),  # 76 € fill part 1 (152 septets), 5 € go on
        ("ç" * 70, "ucs2", 70, 1, 0),
        ("ç" * 71, "ucs2", 71, 2, 67 * 2 - 71),
        ("ç" * 134, "ucs2", 134, 2, 0),
        ("ç" * 135, "ucs2", 135, 3, 66),
        (EMOJI * 35, "ucs2", 70, 1, 0),
        (EMOJI * 36, "ucs2", 72, 2, 67 - 6),  # 33 emoji (66 units) in part 1, 3 in part 2
        ("Grüße aus der Praxis", "gsm7", 20, 1, 140),
    ],
    ids=lambda v: repr(v)[:20] if isinstance(v, str) else None,
)
def test_counts(text: str, encoding: str, units: int, segments: int, remaining: int) -> None:
    seg = split_text(text)
    check_invariants(seg, text)
    assert (seg.encoding, seg.units, seg.segments, seg.remaining) == (
        encoding, units, segments, remaining,
    )
    assert seg.characters == len(text)


def test_161_splits_at_153() -> None:
    seg = split_text("a" * 161)
    assert seg.segment_ends == (153, 161)
    assert seg.parts == ("a" * 153, "a" * 8)


def test_307_splits_into_three() -> None:
    assert split_text("b" * 307).segment_ends == (153, 306, 307)


def test_extension_char_at_part_boundary_moves_whole() -> None:
    # 152 basic septets, then '€' would need septets 153 and 154: it must not be split
    text = "a" * 152 + "€" + "b" * 10
    seg = split_text(text)
    check_invariants(seg, text)
    assert seg.parts[0] == "a" * 152
    assert seg.parts[1] == "€" + "b" * 10
    assert seg.segment_ends == (152, 163)
    assert seg.units == 152 + 2 + 10
    assert seg.remaining == 153 - 12


def test_extension_char_fitting_exactly_stays() -> None:
    text = "a" * 151 + "€" + "b" * 10
    seg = split_text(text)
    assert seg.segment_ends == (152, 162)
    assert seg.remaining == 153 - 10


def test_emoji_at_unit_67_moves_whole() -> None:
    # 66 units, then an emoji that would occupy units 67 and 68
    text = "ç" * 66 + EMOJI + "ç" * 5
    seg = split_text(text)
    check_invariants(seg, text)
    assert seg.encoding == "ucs2"
    assert seg.parts == ("ç" * 66, EMOJI + "ç" * 5)
    assert seg.segment_ends == (66, 72)
    assert seg.units == 66 + 2 + 5
    assert seg.remaining == 67 - 7


def test_single_non_gsm_char_makes_everything_ucs2() -> None:
    seg = split_text("a" * 100 + "ç")
    assert seg.encoding == "ucs2"
    assert seg.units == 101
    assert seg.segments == 2
    assert seg.segment_ends == (67, 101)


def test_600_ok_601_too_long() -> None:
    assert split_text("x" * 600).characters == 600
    with pytest.raises(TextError) as err:
        split_text("x" * 601)
    assert err.value.code == "text_too_long"
    assert "601" in str(err.value) and "600" in str(err.value)


def test_limit_counts_code_points_not_units() -> None:
    seg = split_text(EMOJI * 600)
    assert seg.characters == 600 and seg.units == 1200


def test_custom_limit() -> None:
    with pytest.raises(TextError) as err:
        split_text("x" * 11, max_characters=10)
    assert err.value.code == "text_too_long"
    assert split_text("x" * 1000, max_characters=1000).segments == 7


def test_empty() -> None:
    with pytest.raises(TextError) as err:
        split_text("")
    assert err.value.code == "empty_text"


def test_lone_surrogate_is_a_text_error() -> None:
    with pytest.raises(TextError) as err:
        split_text("abc\ud83d")
    assert err.value.code == "invalid_text"


def test_segmentation_is_frozen() -> None:
    seg = split_text("hi")
    with pytest.raises(AttributeError):
        seg.units = 3  # type: ignore[misc]
