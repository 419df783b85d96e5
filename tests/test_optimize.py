"""Character optimization: the table, its documentation and the never-worse rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modemd.gsm7 import BASIC, EXTENSION, char_septets, is_gsm7
from modemd.optimize import REPLACEMENTS, optimize
from modemd.segments import national_costs, split_text

DOC = Path(__file__).parent.parent / "docs" / "optimization.md"
_ROW = re.compile(r"^\| U\+([0-9A-F]{4,6}) \| .*? \| .*? \| (.+?) \|$", re.M)


def _doc_replacement(cell: str) -> str:
    words = {"space": " ", "line break": "\n", "(removed)": ""}
    if cell in words:
        return words[cell]
    m = re.fullmatch(r"``? ?(.+?) ?``?", cell)
    assert m, cell
    return m.group(1)


def test_docs_publish_exactly_the_code_table() -> None:
    documented = {chr(int(cp, 16)): _doc_replacement(cell)
                  for cp, cell in _ROW.findall(DOC.read_text(encoding="utf-8"))}
    assert documented == REPLACEMENTS


def test_table_maps_costly_characters_to_plain_ones() -> None:
    for ch, replacement in REPLACEMENTS.items():
        assert char_septets(ch) is None, f"U+{ord(ch):04X} is GSM already"
        assert all(c in BASIC and c != "\x1b" for c in replacement), repr(replacement)
    # Characters that carry meaning without an equivalent are not in the table.
    for ch in "😀°αЖ中€":
        assert ch not in REPLACEMENTS


@pytest.mark.parametrize(("text", "expected"), [
    ("Bitte „pünktlich“ kommen – danke…", 'Bitte "pünktlich" kommen - danke...'),
    ("Dr.\u00a0Beispiel’s Praxis", "Dr. Beispiel's Praxis"),
    ("• Termin\u2028• Karte", "- Termin\n- Karte"),
    ("Zoë und François", "Zoe und Francois"),
    ("Kosten: 20 € – bar", "Kosten: 20 € - bar"),  # € stays (extension table, meaning)
])
def test_examples(text: str, expected: str) -> None:
    assert optimize(text) == expected
    assert is_gsm7(expected)


def test_nothing_is_replaced_when_ucs2_remains() -> None:
    text = "Bis morgen – wir freuen uns 😀"
    assert optimize(text) == text


def test_never_grows_even_when_replacements_are_longer() -> None:
    text = "…" * 70  # one UCS-2 SMS; 210 septets would be two
    assert optimize(text) == text


def test_result_stays_within_the_length_limit() -> None:
    text = "…" * 300  # 900 characters after replacement
    assert optimize(text, max_characters=600) == text


def test_national_letters_are_kept_when_that_costs_nothing() -> None:
    text = "Şükrü, randevunuz yarın – lütfen gelin"
    assert optimize(text, national=["tr"]) == "Şükrü, randevunuz yarın - lütfen gelin"
    assert optimize(text) == "Sükrü, randevunuz yarin - lütfen gelin"


_ALPHABET = st.sampled_from(
    sorted(set(BASIC) - {"\x1b"} | set(EXTENSION) | set(REPLACEMENTS)
           | set("😀°αЖ中ŞşãõáÁ")))
_TEXTS = st.lists(_ALPHABET, min_size=1, max_size=600).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.sampled_from([(), ("tr",), ("tr", "es", "pt")]))
def test_property_never_grows_never_changes_gsm7(text: str, national: tuple[str, ...]) -> None:
    result = optimize(text, national=national)
    before = split_text(text, national=national)
    if is_gsm7(text):
        assert result == text
    after = split_text(result, national=national)
    assert after.segments <= before.segments
    assert len(result) <= 600
    if result != text:  # only ever changed to something that needs no UCS-2
        assert is_gsm7(result) or any(national_costs(result, c) for c in national)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(sorted(set(BASIC) - {"\x1b"} | set(EXTENSION))),
                min_size=1, max_size=600).map("".join))
def test_property_gsm7_texts_are_never_touched(text: str) -> None:
    assert optimize(text) == text
    assert optimize(text, national=("tr", "es", "pt")) == text
