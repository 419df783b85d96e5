"""Character optimization ("Zeichenoptimierung"): costly characters replaced by plain ones.

One character outside GSM 03.38 turns a whole message into UCS-2 (70 instead of 160 characters
per SMS). Most such characters in practice texts are typographic variants that a word
processor or the practice software put in: curly quotes, dashes, the ellipsis, non-breaking
spaces, bullets, and accented letters that have a plain equivalent. REPLACEMENTS maps each of
them to GSM 03.38 basic-table characters with the same meaning; docs/optimization.md
publishes the full list (a test keeps the two equal).

Characters that carry meaning without an equivalent (emoji, the degree sign, Greek or Cyrillic
letters, …) are not in the table. Rules of `optimize`:

- a text that is already GSM-7 is returned unchanged (extension characters such as € carry
  meaning and stay; they cost two septets, not the encoding);
- the replacements are applied only when the result needs no UCS-2 at all (GSM-7, or a
  national single or locking shift table when enabled; on a tie in parts
  segments.split_text may still send that as UCS-2) and needs no more SMS parts than the
  original;
  otherwise the original text is kept whole, so optimization never grows a message and never
  changes one it cannot make cheaper;
- with national tables enabled, letters of an enabled table (Turkish ş, Spanish ó, …) are
  kept when that costs no more SMS than replacing them: names stay as written;
- the result must stay within the length limit.
"""

from __future__ import annotations

from collections.abc import Container, Sequence

from modemd.errors import TextError
from modemd.gsm7 import is_gsm7
from modemd.national import LOCKING_TABLES, TABLES
from modemd.segments import DEFAULT_MAX_CHARACTERS, gsm7_costs, split_text


def _same(chars: str, replacement: str) -> dict[str, str]:
    return {ch: replacement for ch in chars}


# Character -> replacement (basic-table characters only; "" removes the character).
REPLACEMENTS: dict[str, str] = {
    # quotation marks and apostrophes
    **_same("\u2018\u2019\u201a\u201b\u2032\u2035\u02bb\u02bc\u00b4\u0060\u2039\u203a", "'"),
    **_same("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb", '"'),
    # hyphens, dashes and the minus sign
    **_same("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    # ellipsis and other punctuation with a plain spelling
    "\u2026": "...",
    "\u2044": "/",
    "\u00d7": "x",
    "\u00bd": "1/2",
    "\u00bc": "1/4",
    "\u00be": "3/4",
    "\u00a9": "(c)",
    "\u00ae": "(R)",
    "\u2122": "TM",
    # spaces, tabs and line separators
    **_same("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
            "\u202f\u205f\u3000\t", " "),
    **_same("\u2028\u2029", "\n"),
    # invisible characters: zero-width space, word joiner, byte order mark, soft hyphen
    **_same("\u200b\u2060\ufeff\u00ad", ""),
    # bullets and list markers
    **_same("\u2022\u2023\u2043\u25e6\u25aa\u25cf\u00b7", "-"),
    # accented letters outside GSM 03.38 with a plain equivalent
    **_same("áâãāăą", "a"),
    **_same("ÁÀÂÃĀĂĄ", "A"),
    **_same("çćčĉċ", "c"),
    **_same("ĆČĈĊ", "C"),
    **_same("ďđ", "d"),
    **_same("ĎĐ", "D"),
    **_same("êëēĕėęě", "e"),
    **_same("ÈÊËĒĔĖĘĚ", "E"),
    **_same("ğĝġģ", "g"),
    **_same("ĞĜĠĢ", "G"),
    **_same("ĥ", "h"),
    **_same("Ĥ", "H"),
    **_same("íîïīĭįı", "i"),
    **_same("ÍÌÎÏĪĬĮİ", "I"),
    **_same("ĵ", "j"),
    **_same("Ĵ", "J"),
    **_same("ķ", "k"),
    **_same("Ķ", "K"),
    **_same("ĺļľł", "l"),
    **_same("ĹĻĽŁ", "L"),
    **_same("ńņň", "n"),
    **_same("ŃŅŇ", "N"),
    **_same("óôõōŏő", "o"),
    **_same("ÓÒÔÕŌŎŐ", "O"),
    **_same("ŕŗř", "r"),
    **_same("ŔŖŘ", "R"),
    **_same("śŝşšș", "s"),
    **_same("ŚŜŞŠȘ", "S"),
    **_same("ţťțŧ", "t"),
    **_same("ŢŤȚŦ", "T"),
    **_same("úûũūŭůűų", "u"),
    **_same("ÚÙÛŨŪŬŮŰŲ", "U"),
    **_same("ŵ", "w"),
    **_same("Ŵ", "W"),
    **_same("ýÿŷ", "y"),
    **_same("ÝŸŶ", "Y"),
    **_same("źżž", "z"),
    **_same("ŹŻŽ", "Z"),
    "œ": "oe",
    "Œ": "OE",
}


def replace_all(text: str, keep: Container[str] = ()) -> str:
    """Every character of the table replaced, except those in `keep` (no further rules)."""
    return "".join(ch if ch in keep else REPLACEMENTS.get(ch, ch) for ch in text)


def optimize(
    text: str, *, national: Sequence[str] = (), max_characters: int = DEFAULT_MAX_CHARACTERS,
    locking: bool = False,
) -> str:
    """The text to send with character optimization on (see the module docstring).

    Returns `text` itself when optimization cannot make it cheaper without UCS-2.
    """
    if not text or is_gsm7(text):
        return text
    try:
        before = split_text(text, len(text), national, locking).segments
    except TextError:
        return text
    # Candidates in order of preference: keep an enabled national table's letters (with
    # locking on, those of its locking and single shift tables), then replace everything the
    # table knows.
    candidates = [replace_all(text, LOCKING_TABLES[code].chars.keys() | TABLES[code].chars)
                  for code in national if locking and code in LOCKING_TABLES]
    candidates += [replace_all(text, TABLES[code].chars) for code in national]
    candidates.append(replace_all(text))
    best, best_segments = text, before + 1
    for candidate in candidates:
        if candidate == text or not candidate or len(candidate) > max_characters:
            continue
        if not (is_gsm7(candidate) or _fits_a_table(candidate, national, locking)):
            continue
        segments = split_text(candidate, len(candidate), national, locking).segments
        if segments < best_segments:
            best, best_segments = candidate, segments
    return best


def _fits_a_table(text: str, national: Sequence[str], locking: bool) -> bool:
    """Whether `text` is GSM-7 with one of the enabled national tables (no UCS-2 needed)."""
    singles: list[str | None] = [None, *national]
    for code in national:
        if gsm7_costs(text, single=code) is not None:
            return True
        if locking and code in LOCKING_TABLES and any(
                gsm7_costs(text, single=s, locking=code) is not None for s in singles):
            return True
    return False
