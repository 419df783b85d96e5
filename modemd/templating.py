"""Message templates: placeholder syntax, checking and rendering.

Placeholders are written in curly braces with a German name, as practice staff write them:
`{name}`, `{datum}`, `{uhrzeit}`, `{praxis}`, `{telefon}`, `{link}`. A literal brace is
written twice (`{{`, `}}`). Anything else in braces is an unknown placeholder and refused with
its name, so a typo never reaches a patient as "{nmae}".

Pure: no store, no configuration; the defaults for `{praxis}`, `{telefon}` and `{link}` are
passed in by the template service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from modemd.errors import ValidationError

PLACEHOLDERS: dict[str, str] = {
    "name": "Name der Patientin / des Patienten",
    "datum": "Datum des Termins (2025-08-19 wird zu 19.08.2025)",
    "uhrzeit": "Uhrzeit des Termins, z. B. 16:30",
    "praxis": "Name der Praxis (Vorgabe: practice.name)",
    "telefon": "Telefonnummer der Praxis (Vorgabe: practice.phone)",
    "link": "Link zur Online-Terminbuchung (Vorgabe: practice.booking_link)",
}

# The values the counts of templates are computed with when a template is shown, and the
# values behind the counts of the starter set in docs/templates.md.
SAMPLE_VALUES: dict[str, str] = {
    "name": "Erika Mustermann",
    "datum": "19.08.2025",
    "uhrzeit": "16:30",
    "praxis": "Zahnarztpraxis Dr. Beispiel",
    "telefon": "030 1234567",
    "link": "https://praxis-beispiel.de/termin",
}

MAX_VALUE_LENGTH = 200
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def placeholders_in(text: str, field: str = "text") -> list[str]:
    """The placeholders `text` uses, in order of first use.

    Raises ValidationError "unknown_placeholder" (naming it) or "invalid_template" (a single
    brace) with `field`.
    """
    found: list[str] = []
    for m in _TOKEN.finditer(text):
        token = m.group(0)
        if token in ("{{", "}}"):
            continue
        if m.group(1) is None:
            raise ValidationError(
                "invalid_template", f"a single {token!r} at position {m.start()}: write "
                f"{token * 2!r} for the character itself", field)
        name = m.group(1)
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise ValidationError(
                "unknown_placeholder", f"unknown placeholder {{{name}}}; known: {known}", field)
        if name not in found:
            found.append(name)
    return found


def check_values(values: object, field: str = "values") -> dict[str, str]:
    """Request values as a clean {placeholder: text}; ValidationError naming the bad one."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ValidationError("invalid_type", "values must be an object like "
                              '{"name": "Erika Mustermann", "datum": "2025-08-19"}', field)
    out: dict[str, str] = {}
    for key, value in values.items():
        where = f"{field}.{key}"
        if key not in PLACEHOLDERS:
            known = ", ".join(PLACEHOLDERS)
            raise ValidationError("unknown_placeholder",
                                  f"unknown placeholder {key!r}; known: {known}", where)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError("invalid_type", f"{where} must be a string", where)
        text = str(value).strip()
        if len(text) > MAX_VALUE_LENGTH or any(ord(c) < 0x20 for c in text):
            raise ValidationError("invalid_value", f"{where} must be one line of at most "
                                  f"{MAX_VALUE_LENGTH} characters", where)
        out[key] = _format(key, text)
    return out


def render(text: str, values: Mapping[str, str], field: str = "values") -> str:
    """`text` with its placeholders filled from `values` (already checked).

    Raises ValidationError "missing_value" naming the first placeholder without a value.
    """
    placeholders_in(text, "template")

    def fill(m: re.Match[str]) -> str:
        token = m.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = m.group(1)
        value = values.get(name, "")
        if not value:
            raise ValidationError("missing_value", f"the template needs a value for {{{name}}}",
                                  f"{field}.{name}")
        return value

    return _TOKEN.sub(fill, text)


def _format(key: str, value: str) -> str:
    if key == "datum" and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value).strftime("%d.%m.%Y")
        except ValueError:
            return value
    return value
