"""Text analysis: boundaries, costly characters, agreement with libGammu, API and CLI."""

from __future__ import annotations

import json
import random

import gammu
import pytest

from modemd.analysis import analyze
from modemd.cli import main
from modemd.errors import TextError
from modemd.gsm7 import BASIC, EXTENSION

EMOJI = "😀"


def test_159_160_161() -> None:
    a = analyze("a" * 159)
    assert (a.encoding, a.units, a.segments, a.remaining, a.segment_ends) == \
        ("gsm7", 159, 1, 1, (159,))
    a = analyze("a" * 160)
    assert (a.segments, a.remaining, a.segment_ends) == (1, 0, (160,))
    a = analyze("a" * 161)
    assert (a.segments, a.remaining, a.segment_ends) == (2, 153 * 2 - 161, (153, 161))
    assert a.costly == () and a.optimized_text == "a" * 161 and a.optimized_segments == 2


def test_extension_character_at_position_153_moves_to_part_two() -> None:
    # The 153rd character (index 152) is €: ESC + code would need septets 153 and 154, so
    # the escape pair is not split and part 1 ends one septet short.
    text = "a" * 152 + "€" + "b" * 10
    a = analyze(text)
    assert a.units == 164 and a.segments == 2
    assert a.segment_ends == (152, 163)
    assert a.remaining == 153 - 12
    (c,) = a.costly
    assert (c.char, c.index, c.kind, c.replacement) == ("€", 152, "extension", None)
    assert c.saving == 0  # 163 septets need two parts either way


def test_extension_character_that_tips_the_message_over() -> None:
    a = analyze("a" * 159 + "€")  # 161 septets
    assert a.segments == 2
    assert a.costly[0].saving == 1  # as a plain character it would fit one SMS


def test_emoji_at_unit_67_moves_to_part_two() -> None:
    text = "ä" * 66 + "€" + EMOJI + "b" * 10  # € is one UTF-16 unit in UCS-2
    a = analyze(text)
    assert a.encoding == "ucs2"
    # units 1-67 hold 66 ä and €; the emoji (units 68-69) starts part two.
    assert a.segment_ends == (67, 78) and a.units == 79
    text = "ä" * 66 + EMOJI + "b" * 10  # the emoji would take units 67 and 68
    a = analyze(text)
    assert a.segment_ends == (66, 77) and a.segments == 2 and a.remaining == 67 - 12
    (c,) = a.costly
    assert (c.char, c.index, c.kind, c.replacement) == (EMOJI, 66, "ucs2", None)
    assert c.saving == 1  # without it the text is GSM-7: 77 septets, one SMS


def test_600_is_fine_and_601_is_too_long() -> None:
    assert analyze("a" * 600).segments == 4
    with pytest.raises(TextError) as exc:
        analyze("a" * 601)
    assert exc.value.code == "text_too_long"


def test_costly_characters_and_optimized_text() -> None:
    text = "Ihr Termin am 19.08. – bitte „pünktlich“ sein. " * 2
    a = analyze(text)
    assert a.encoding == "ucs2" and a.segments == 2
    kinds = {(c.char, c.kind, c.replacement) for c in a.costly}
    assert kinds == {("–", "ucs2", "-"), ("„", "ucs2", '"'), ("“", "ucs2", '"')}
    assert [c.index for c in a.costly] == [i for i, ch in enumerate(text) if ch in "–„“"]
    assert all(c.saving == 1 for c in a.costly)  # together they force UCS-2: 2 SMS -> 1
    assert a.optimized_text == text.replace("–", "-").replace("„", '"').replace("“", '"')
    assert a.optimized_segments == 1


def test_character_without_equivalent_keeps_the_message_ucs2() -> None:
    a = analyze("Kontrolle bei 37 °C – bis morgen")
    assert a.optimized_text == "Kontrolle bei 37 °C – bis morgen"
    assert {c.char: c.replacement for c in a.costly} == {"°": None, "–": "-"}


def test_national_table_saving_is_reported() -> None:
    text = "Sayın Şükrü Yılmaz, randevunuz yarın saat 10:00'da. İptal için arayın. " * 2
    off = analyze(text)
    on = analyze(text, national=["tr"])
    assert off.encoding == "ucs2" and off.national_language is None
    assert on.encoding == "gsm7" and on.national_language == "tr"
    assert on.national_saving == off.segments - on.segments > 0
    assert {c.kind for c in on.costly} == {"national"}


# --- agreement with libGammu's own encoder ----------------------------------------------
_BASIC = [c for c in BASIC if c != "\x1b"]
_OTHER = list("ąčęŞşãõ°αЖ中„“–…’") + [EMOJI, "👍", "🦷"]


def _generated(n: int) -> list[str]:
    rng = random.Random(20260301)
    texts = []
    for i in range(n):
        length = rng.randint(1, 600)
        pool = _BASIC + list(EXTENSION) * (3 if i % 4 == 1 else 0)
        chars = [rng.choice(pool) for _ in range(length)]
        if i % 4 >= 2:  # UCS-2: a few non-GSM characters, emoji among them
            for _ in range(rng.randint(1, 12)):
                chars[rng.randrange(length)] = rng.choice(_OTHER)
        texts.append("".join(chars))
    # and the boundaries
    texts += ["a" * n for n in (159, 160, 161, 306, 307, 459, 460, 600)]
    texts += ["a" * 152 + "€" + "b" * 10, "ä" * 66 + EMOJI + "b" * 67, "€" * 81]
    return texts


def test_segments_agree_with_libgammu() -> None:
    texts = _generated(300)
    for text in texts:
        a = analyze(text)
        parts = gammu.EncodeSMS({"Class": -1, "Unicode": a.encoding == "ucs2", "Entries": [
            {"ID": "ConcatenatedTextLong", "Buffer": text}]})
        lengths = [len(p["Text"]) for p in parts]
        ours = [e - s for s, e in zip((0, *a.segment_ends[:-1]), a.segment_ends, strict=True)]
        assert (len(parts), lengths) == (a.segments, ours), repr(text[:40])


# --- API and CLI ------------------------------------------------------------------------
DESIGN_FIELDS = {"encoding", "characters", "units", "segments", "remaining", "segment_ends",
                 "costly", "optimized_text", "optimized_segments"}


@pytest.fixture
def api(start_daemon):
    return start_daemon(0, sms={"national_language_tables": ["tr"]}).api


def test_api_analyze(api) -> None:
    status, body = api.call("POST", "/api/v1/analyze", {"text": "Termin – morgen 9 Uhr"})
    assert status == 200
    assert set(body) >= DESIGN_FIELDS
    assert body["encoding"] == "ucs2" and body["segments"] == 1
    assert body["costly"] == [{"char": "–", "index": 7, "kind": "ucs2", "saving": 0,
                               "replacement": "-"}]
    assert body["optimized_text"] == "Termin - morgen 9 Uhr"
    assert body["count"] == "[21 Zeichen | 1 SMS]"


def test_api_analyze_uses_the_configured_national_tables(api) -> None:
    text = "Sayın Şükrü Yılmaz, randevunuz yarın saat 10:00'da. İptal için arayın. " * 2
    status, body = api.call("POST", "/api/v1/analyze", {"text": text})
    assert status == 200 and body["national_language"] == "tr" and body["national_saving"] > 0


@pytest.mark.parametrize(("payload", "code"), [
    ({"text": "a" * 601}, "text_too_long"),
    ({"text": ""}, "empty_text"),
    ({}, "missing_field"),
    ({"text": 5}, "invalid_type"),
])
def test_api_analyze_errors(api, payload: dict, code: str) -> None:
    status, body = api.call("POST", "/api/v1/analyze", payload)
    assert status == 422
    assert body["error"]["code"] == code and body["error"]["field"] == "text"


def test_api_analyze_600_characters(api) -> None:
    status, body = api.call("POST", "/api/v1/analyze", {"text": "a" * 600})
    assert status == 200 and body["segments"] == 4 and body["remaining"] == 12


def test_api_analyze_needs_a_key(api) -> None:
    status, body = api.call("POST", "/api/v1/analyze", {"text": "x"}, key="")
    assert status == 401 and body["error"]["code"] == "unauthorized"


def test_cli_analyze(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MODEMD_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("")
    assert main(["analyze", "Hallo „Erika“, bis morgen…"]) == 0
    out = capsys.readouterr().out
    assert "[26 Zeichen | 1 SMS]" in out and "U+201E" in out
    assert 'Optimized (1 SMS): Hallo "Erika", bis morgen...' in out
    assert main(["analyze", "--json", "a" * 161]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["segments"] == 2 and body["segment_ends"] == [153, 161]
    assert main(["analyze", "a" * 601]) == 2
    assert "text_too_long" in capsys.readouterr().err
