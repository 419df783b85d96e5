"""What a text costs: encoding, parts, where they end, and which characters make it dear.

Pure domain code behind `POST /api/v1/analyze` and `modemd analyze`. Every count comes from
segments.split_text, the same function that splits messages for sending, so the analysis
cannot disagree with what is sent.

A costly character is one of:
- "extension": in the GSM 03.38 extension table (€ [ ] { } \\ ^ ~ | and form feed): it counts
  as two septets;
- "national": a letter of the national single shift table the text is sent with: it counts as
  two septets, and the table's header costs a few septets per part (letters of a national
  locking shift table cost one septet and are not costly);
- "ucs2": not in GSM 03.38 (nor in an enabled national table): it forces the whole message
  into UCS-2, 70 instead of 160 characters per SMS.

`saving` is how many SMS the message needs less if the character were a plain one-septet
character. One UCS-2 character alone rarely changes the encoding when there are others, so for
"ucs2" characters the saving is that of the message without any of them: the same number for
each, because only all of them together decide the encoding. `replacement` is what character
optimization would put instead (None: there is no plain equivalent, the character stays).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from modemd.gsm7 import EXTENSION, char_septets, count_not_basic
from modemd.optimize import REPLACEMENTS, optimize
from modemd.segments import DEFAULT_MAX_CHARACTERS, Segmentation, gsm7_costs, split_text

_PLAIN = "a"  # a one-septet stand-in for "this character, made cheap"


@dataclass(frozen=True)
class CostlyChar:
    """One character that costs more than a plain GSM-7 character."""

    char: str
    index: int  # position in the text, in characters (code points), from 0
    kind: str  # "extension" | "national" | "ucs2"
    saving: int  # SMS parts saved if it were a plain character (see the module docstring)
    replacement: str | None  # what optimization would use, or None


@dataclass(frozen=True)
class Analysis:
    """The answer of `analyze` (field names are the API's; see DESIGN.md)."""

    encoding: str  # "gsm7" | "ucs2"
    characters: int  # code points
    units: int  # septets (GSM-7, extension and national characters count two) or UTF-16 units
    segments: int
    remaining: int  # units still free in the last part
    segment_ends: tuple[int, ...]  # per part: character index (exclusive) where it ends
    costly: tuple[CostlyChar, ...]
    optimized_text: str
    optimized_segments: int
    national_language: str | None  # the national single shift table used, if any
    national_saving: int  # parts saved by the national table(s) compared with none
    national_locking_language: str | None = None  # the national locking shift table used

    def to_json(self) -> dict[str, Any]:
        """The JSON object of `POST /api/v1/analyze`."""
        return {
            "encoding": self.encoding,
            "characters": self.characters,
            "units": self.units,
            "segments": self.segments,
            "remaining": self.remaining,
            "segment_ends": list(self.segment_ends),
            "costly": [
                {"char": c.char, "index": c.index, "kind": c.kind, "saving": c.saving,
                 "replacement": c.replacement}
                for c in self.costly
            ],
            "optimized_text": self.optimized_text,
            "optimized_segments": self.optimized_segments,
            "national_language": self.national_language,
            "national_saving": self.national_saving,
            "national_locking_language": self.national_locking_language,
            "count": count_label(self.units, self.segments),
        }


def count_label(units: int, segments: int) -> str:
    """The count as practices know it from their SMS provider: "[142 Zeichen | 1 SMS]"."""
    return f"[{units} Zeichen | {segments} SMS]"


def units_of(text: str, encoding: str) -> int:
    """Billed units of a stored text: septets for "gsm7" (extension and national characters
    count two), UTF-16 code units for "ucs2"."""
    if encoding == "gsm7":
        return len(text) + count_not_basic(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def analyze(
    text: str, *, national: Sequence[str] = (),
    max_characters: int = DEFAULT_MAX_CHARACTERS, locking: bool = False,
) -> Analysis:
    """Analyse `text` as modemd would send it (with the national tables in `national`, and
    their locking shift tables if `locking`).

    Raises TextError ("empty_text", "text_too_long", "invalid_text") like split_text.
    """
    seg = split_text(text, max_characters, national, locking)
    costly = _costly(text, seg, national, max_characters, locking)
    optimized = optimize(text, national=national, max_characters=max_characters,
                         locking=locking)
    optimized_segments = (
        seg.segments if optimized == text
        else split_text(optimized, max_characters, national, locking).segments
    )
    national_saving = 0
    if seg.language is not None or seg.locking is not None:
        national_saving = split_text(text, max_characters).segments - seg.segments
    return Analysis(
        encoding=seg.encoding, characters=seg.characters, units=seg.units,
        segments=seg.segments, remaining=seg.remaining, segment_ends=seg.segment_ends,
        costly=costly, optimized_text=optimized, optimized_segments=optimized_segments,
        national_language=seg.language, national_saving=national_saving,
        national_locking_language=seg.locking,
    )


def _costly(
    text: str, seg: Segmentation, national: Sequence[str], max_characters: int, locking: bool,
) -> tuple[CostlyChar, ...]:
    def segments_of(variant: str) -> int:
        return split_text(variant, max_characters, national, locking).segments

    out: list[CostlyChar] = []
    if seg.encoding == "ucs2":
        forcing = [i for i, ch in enumerate(text) if char_septets(ch) is None]
        plain = "".join(_PLAIN if char_septets(ch) is None else ch for ch in text)
        saving = max(seg.segments - segments_of(plain), 0)
        for i in forcing:
            out.append(CostlyChar(text[i], i, "ucs2", saving, REPLACEMENTS.get(text[i])))
        return tuple(out)
    costs = gsm7_costs(text, single=seg.language, locking=seg.locking) or []
    for i, (ch, cost) in enumerate(zip(text, costs, strict=True)):
        if cost == 1:
            continue
        kind = "extension" if ch in EXTENSION else "national"
        saving = max(seg.segments - segments_of(text[:i] + _PLAIN + text[i + 1:]), 0)
        out.append(CostlyChar(ch, i, kind, saving, REPLACEMENTS.get(ch)))
    return tuple(out)
