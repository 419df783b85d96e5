"""The starter set of German templates, seeded once into a new database.

Written for modemd: short enough that a reminder with typical values fits one SMS (160 GSM-7
characters), only GSM 03.38 characters (no typographic quotes or dashes), and every fact a
patient needs to act (when, where, how to cancel). Recalls carry the booking link and may need
two SMS; docs/templates.md lists each with its count for the sample values.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StarterTemplate:
    name: str
    description: str
    text: str


STARTERS: tuple[StarterTemplate, ...] = (
    StarterTemplate(
        "erinnerung-kurz", "Terminerinnerung, knapp",
        "Erinnerung: {name}, Ihr Termin ist am {datum} um {uhrzeit} Uhr. "
        "Absagen bitte unter {telefon}. {praxis}",
    ),
    StarterTemplate(
        "erinnerung-freundlich", "Terminerinnerung mit Gruß",
        "Guten Tag {name}, wir erwarten Sie am {datum} um {uhrzeit} Uhr. "
        "Verhindert? Bitte kurz anrufen: {telefon}. {praxis}",
    ),
    StarterTemplate(
        "erinnerung-morgen", "Erinnerung am Vortag",
        "Hallo {name}, morgen um {uhrzeit} Uhr ist Ihr Termin bei uns. "
        "Passt es nicht, sagen Sie bitte ab: {telefon}. {praxis}",
    ),
    StarterTemplate(
        "bestaetigung", "Bestätigung eines neu vereinbarten Termins",
        "Terminbestätigung für {name}: {datum}, {uhrzeit} Uhr. "
        "Fragen oder Absage unter {telefon}. Ihre {praxis}",
    ),
    StarterTemplate(
        "erinnerung-karte", "Erinnerung mit Hinweis auf die Versichertenkarte",
        "{name}, Ihr Termin: {datum}, {uhrzeit} Uhr. Bitte bringen Sie Ihre "
        "Versichertenkarte mit. Absage unter {telefon}. {praxis}",
    ),
    StarterTemplate(
        "recall-online", "Recall mit Link zur Online-Buchung",
        "Hallo {name}, Ihre nächste Vorsorge ist fällig. Buchen Sie Ihren Termin online "
        "unter {link} oder rufen Sie uns an: {telefon}. {praxis}",
    ),
    StarterTemplate(
        "recall-telefon", "Recall ohne Online-Buchung",
        "Hallo {name}, es ist wieder Zeit für Ihre Kontrolle. Bitte vereinbaren Sie "
        "einen Termin unter {telefon}. Ihre {praxis}",
    ),
    StarterTemplate(
        "recall-prophylaxe", "Recall zur professionellen Zahnreinigung",
        "{name}, Ihre letzte Zahnreinigung ist ein halbes Jahr her. Ihren nächsten Termin "
        "buchen Sie unter {link} oder per Telefon: {telefon}. {praxis}",
    ),
)
