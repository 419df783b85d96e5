"""The German e-mails modemd writes to the practice: pure functions, data in, text out.

Times are shown in the practice's time zone (`daemon.timezone`).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from modemd.status import label
from modemd.store.inbound import InboundMessage
from modemd.store.messages import Message

WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
SIGNATURE = "\n-- \nDiese E-Mail wurde automatisch von der SMS-Box (modemd) erstellt.\n"


def local_time(dt: datetime | None, tz: str) -> str:
    """`Dienstag, 14.03.2026, 09:31 Uhr` in the practice's time zone."""
    if dt is None:
        return "unbekannt"
    t = dt.astimezone(ZoneInfo(tz))
    return f"{WEEKDAYS[t.weekday()]}, {t:%d.%m.%Y, %H:%M} Uhr"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in (text or "").splitlines() or [""])


def inbound_mail(msg: InboundMessage, answered: Message | None, tz: str) -> dict[str, str]:
    """Subject and body forwarding one received SMS (with the reminder it answers)."""
    if msg.error is not None:
        return malformed_mail(msg, tz)
    sender = msg.sender or "unbekannt"
    subject = (f"SMS-Antwort von {sender}" if answered is not None
               else f"Neue SMS von {sender}")
    lines = [
        "Guten Tag,",
        "",
        "eine SMS ist eingegangen." if answered is None
        else "ein Patient hat auf eine SMS der Praxis geantwortet.",
        "",
        f"Von:        {sender}",
        f"Empfangen:  {local_time(msg.received_at, tz)}",
        f"Modem:      {msg.modem}",
        "",
        "Text der SMS:",
        _quote(msg.text) if msg.encoding != "8bit" else "(Binärdaten, nicht als Text lesbar)",
    ]
    if not msg.complete:
        lines += ["", f"Achtung: Die SMS ist unvollständig. Nur {msg.parts_received} von "
                      f"{msg.parts_total} Teilen sind angekommen; fehlende Teile sind mit "
                      "„[…]“ markiert."]
    if answered is not None:
        lines += [
            "",
            f"Sie beantwortet die SMS Nr. {answered.id} an {answered.to}, versandt "
            f"{local_time(answered.sent_at, tz)}:",
            _quote(answered.text),
        ]
    else:
        lines += ["", "Eine SMS der Praxis, auf die sie antworten könnte, wurde nicht gefunden."]
    if msg.opt_out:
        lines += ["", "Hinweis: Der Absender hat sich abgemeldet. Die Nummer steht jetzt auf "
                      "der Sperrliste; weitere SMS an sie werden abgelehnt, bis sie aus der "
                      "Sperrliste entfernt wird."]
    lines += ["", f"(Eingang Nr. {msg.id})"]
    return {"subject": subject, "body": "\n".join(lines) + "\n" + SIGNATURE}


def malformed_mail(msg: InboundMessage, tz: str) -> dict[str, str]:
    """Notice of a received PDU that could not be decoded (kept raw)."""
    body = "\n".join([
        "Guten Tag,",
        "",
        f"über das Modem {msg.modem} ist eine SMS eingegangen, die nicht gelesen werden "
        "konnte. Sie ist unverändert gespeichert und geht nicht verloren.",
        "",
        f"Empfangen:  {local_time(msg.received_at, tz)}",
        f"Fehler:     {msg.error}",
        f"Rohdaten:   {msg.raw_pdu}",
        "",
        f"(Eingang Nr. {msg.id})",
    ])
    return {"subject": f"Nicht lesbare SMS empfangen (Modem {msg.modem})",
            "body": body + "\n" + SIGNATURE}


def failure_mail(m: Message, tz: str) -> dict[str, str]:
    """Notice that an outbound message failed or was not delivered."""
    status = label(m.status)
    reason = f"{m.error_text} ({m.error_code})" if m.error_code else "unbekannt"
    lines = [
        "Guten Tag,",
        "",
        f"die SMS Nr. {m.id} an {m.to} hat den Status „{status}“.",
        "",
        f"Empfänger:  {m.to}",
        f"Erstellt:   {local_time(m.created_at, tz)}",
        f"Versandt:   {local_time(m.sent_at, tz) if m.sent_at else 'nicht versandt'}",
        f"Status:     {status}",
        f"Grund:      {reason}",
    ]
    if m.reference:
        lines.append(f"Referenz:   {m.reference}")
    lines += ["", "Text der SMS:", _quote(m.text)]
    return {"subject": f"SMS {status}: Nr. {m.id} an {m.to}",
            "body": "\n".join(lines) + "\n" + SIGNATURE}
