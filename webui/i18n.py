"""The dashboard's texts in German (default) and English, and how times and numbers are shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from modemd.status import label

LANGS = ("de", "en")

# key: (German, English)
TEXTS: dict[str, tuple[str, str]] = {
    "app": ("SMS-Box", "SMS box"),
    "login": ("Anmelden", "Log in"),
    "logout": ("Abmelden", "Log out"),
    "user": ("Benutzername", "User name"),
    "password": ("Passwort", "Password"),
    "login_failed": ("Anmeldung fehlgeschlagen: Benutzername oder Passwort falsch.",
                     "Login failed: wrong user name or password."),
    "login_locked": ("Zu viele Fehlversuche. Bitte in {seconds} Sekunden erneut versuchen.",
                     "Too many failed attempts. Please try again in {seconds} seconds."),
    "login_hint": ("Benutzer legt die IT mit „modemd user add NAME“ an.",
                   "Your IT creates users with “modemd user add NAME”."),
    "logged_out": ("Sie wurden abgemeldet.", "You have been logged out."),
    "session_expired": ("Bitte melden Sie sich an.", "Please log in."),
    "language": ("Sprache", "Language"),
    "nav_messages": ("Gesendete SMS", "Sent SMS"),
    "nav_scheduled": ("Geplante SMS", "Scheduled SMS"),
    "nav_send": ("Neue SMS", "New SMS"),
    "nav_replies": ("Antworten", "Replies"),
    "nav_stats": ("Statistik", "Statistics"),
    "nav_modems": ("Modems", "Modems"),
    "forbidden_title": ("Zugriff verweigert", "Forbidden"),
    "forbidden_csrf": ("Das Formular ist abgelaufen oder stammt nicht von dieser Seite. "
                       "Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.",
                       "The form has expired or did not come from this page. Please reload "
                       "the page and try again."),
    "not_found": ("Nicht gefunden.", "Not found."),
    "back": ("Zurück", "Back"),
    # message list
    "status": ("Status", "Status"),
    "all": ("alle", "all"),
    "number": ("Rufnummer", "Number"),
    "to": ("Empfänger", "Recipient"),
    "from_date": ("von", "from"),
    "until_date": ("bis", "until"),
    "filter": ("Filtern", "Filter"),
    "reset": ("Zurücksetzen", "Reset"),
    "created": ("Erstellt", "Created"),
    "text": ("Text", "Text"),
    "sms_count": ("SMS", "SMS"),
    "key": ("Absender (Schlüssel)", "Sender (key)"),
    "next_page": ("Ältere", "Older"),
    "first_page": ("Neueste", "Newest"),
    "no_messages": ("Keine Nachrichten gefunden.", "No messages found."),
    "details": ("Details", "Details"),
    "bad_filter": ("Ungültiger Filter: {what}", "Invalid filter: {what}"),
    # detail
    "message": ("Nachricht", "Message"),
    "encoding": ("Kodierung", "Encoding"),
    "reference": ("Referenz", "Reference"),
    "send_at": ("Sendezeit", "Send time"),
    "sent_at": ("Versandt", "Sent"),
    "delivered_at": ("Zugestellt", "Delivered"),
    "channel": ("Kanal", "Channel"),
    "error": ("Fehler", "Error"),
    "parts": ("Teile", "Parts"),
    "part": ("Teil", "Part"),
    "message_ref": ("Referenz im Netz", "Network reference"),
    "history": ("Verlauf", "History"),
    "time": ("Zeit", "Time"),
    "detail": ("Hinweis", "Detail"),
    "cancel_message": ("SMS entfernen", "Remove SMS"),
    "sent_notice": ("Die SMS wurde angenommen (Nr. {id}).",
                    "The SMS was accepted (no. {id})."),
    # scheduled
    "due_at": ("Geplant für", "Due at"),
    "appointment": ("Termin", "Appointment"),
    "remove_selection": ("Auswahl entfernen", "Remove selection"),
    "select_all": ("Alle auswählen", "Select all"),
    "no_scheduled": ("Keine geplanten SMS.", "No scheduled SMS."),
    "removed_notice": ("{n} SMS entfernt.", "{n} SMS removed."),
    "not_removed_notice": ("{n} SMS konnten nicht entfernt werden (bereits versandt oder "
                           "abgeschlossen).",
                           "{n} SMS could not be removed (already sent or finished)."),
    "nothing_selected": ("Keine SMS ausgewählt.", "No SMS selected."),
    # send
    "send": ("Senden", "Send"),
    "send_later": ("Später senden (optional)", "Send later (optional)"),
    "send_later_hint": ("leer = sofort; Ortszeit {tz}", "empty = now; local time {tz}"),
    "characters": ("Zeichen", "characters"),
    "counter_idle": ("0 Zeichen · 0 SMS", "0 characters · 0 SMS"),
    "counter_ucs2": ("Unicode", "Unicode"),
    "counter_too_long": ("zu lang", "too long"),
    "costly": ("Teure Zeichen", "Costly characters"),
    "to_hint": ("z. B. 0171 1234567 oder +49 171 1234567",
                "e.g. 0171 1234567 or +49 171 1234567"),
    "webui_key_hint": ("SMS aus dem Dashboard erscheinen in der Statistik unter „webui“.",
                       "SMS from the dashboard appear in the statistics as “webui”."),
    "webui_key_revoked": ("Senden aus dem Dashboard ist abgeschaltet (Schlüssel „webui“ "
                          "widerrufen).",
                          "Sending from the dashboard is switched off (key “webui” revoked)."),
    # replies
    "received_at": ("Empfangen", "Received"),
    "sender": ("Absender", "Sender"),
    "in_reply_to": ("Antwort auf", "In reply to"),
    "modem": ("Modem", "Modem"),
    "no_replies": ("Keine empfangenen SMS.", "No received SMS."),
    "incomplete": ("unvollständig", "incomplete"),
    "opt_out": ("Abmeldung (STOP)", "Opt-out (STOP)"),
    "malformed": ("nicht lesbar", "unreadable"),
    # stats
    "month": ("Monat", "Month"),
    "show": ("Anzeigen", "Show"),
    "total": ("Gesamt", "Total"),
    "messages": ("Nachrichten", "Messages"),
    "segments": ("Abgerechnete SMS", "Billed SMS"),
    "delivered": ("zugestellt", "delivered"),
    "undelivered": ("nicht ausgeliefert", "undelivered"),
    "failed": ("fehlgeschlagen", "failed"),
    "rejected": ("abgelehnt", "rejected"),
    "cancelled": ("entfernt", "removed"),
    "queued": ("in Warteschlange", "queued"),
    "sent": ("versandt", "sent"),
    "cost": ("Kosten", "Cost"),
    "limit": ("Limit", "Limit"),
    "remaining": ("verbleibend", "remaining"),
    "no_limit": ("kein Limit", "no limit"),
    "billing_per_sms": ("Abrechnung: {price} {currency} pro SMS",
                        "Billing: {price} {currency} per SMS"),
    "billing_package": ("Abrechnung: Pakete zu {size} SMS für {price} {currency}; "
                        "diesen Monat {packages} Paket(e)",
                        "Billing: packages of {size} SMS for {price} {currency}; "
                        "{packages} package(s) this month"),
    "bad_month": ("Ungültiger Monat.", "Invalid month."),
    # modems
    "name": ("Name", "Name"),
    "state": ("Zustand", "State"),
    "step": ("Schritt", "Step"),
    "waiting_for": ("wartet auf", "waiting for"),
    "signal": ("Signal", "Signal"),
    "operator": ("Netz", "Operator"),
    "registration": ("Registrierung", "Registration"),
    "family": ("Modell-Familie", "Family"),
    "port": ("Anschluss", "Port"),
    "counters": ("Zähler", "Counters"),
    "parts_sent": ("gesendete Teile", "parts sent"),
    "parts_failed": ("fehlgeschlagene Teile", "parts failed"),
    "received": ("empfangen", "received"),
    "status_reports": ("Statusberichte", "status reports"),
    "connects": ("Verbindungen", "connects"),
    "mstate_stopped": ("angehalten", "stopped"),
    "mstate_connecting": ("verbindet", "connecting"),
    "mstate_initialising": ("startet", "initialising"),
    "mstate_ready": ("bereit", "ready"),
    "mstate_disconnected": ("getrennt", "disconnected"),
    "mstate_locked": ("SIM gesperrt", "SIM locked"),
    "mstate_unusable": ("nicht nutzbar", "unusable"),
    "mstate_bound": ("verbunden", "bound"),
    "smpp_title": ("SMPP-Anbieter", "SMPP provider"),
    "smpp_mode": ("Betriebsart", "mode"),
    "smpp_mode_fallback": ("Ausweichweg", "fallback"),
    "smpp_mode_primary": ("gleichrangig", "primary"),
    "smpp_server": ("Server", "server"),
    "smpp_sender": ("Absender", "sender"),
    "smpp_bound_since": ("verbunden seit", "bound since"),
    "smpp_in_flight": ("in Übergabe", "in flight"),
    "smpp_error": ("letzter Fehler", "last error"),
    "errors": ("Fehler", "errors"),
    "receipts": ("Zustellberichte", "delivery receipts"),
    "inbound": ("empfangene SMS", "received SMS"),
    "no_modems": ("Keine Modems konfiguriert.", "No modems configured."),
    "reason": ("Grund", "Reason"),
}

# Validation error codes of the services, in the users' words (fallback: the service's text).
ERRORS: dict[str, tuple[str, str]] = {
    "invalid_number": ("Die Rufnummer ist ungültig.", "The number is not valid."),
    "missing_field": ("Bitte füllen Sie alle Pflichtfelder aus.",
                      "Please fill in all required fields."),
    "empty_text": ("Der Text ist leer.", "The text is empty."),
    "text_too_long": ("Der Text ist zu lang.", "The text is too long."),
    "too_far_ahead": ("Die Sendezeit liegt zu weit in der Zukunft.",
                      "The send time is too far ahead."),
    "invalid_time": ("Die Sendezeit ist ungültig.", "The send time is not valid."),
    "monthly_limit": ("Das monatliche SMS-Limit ist erreicht; die SMS wird nicht versandt.",
                      "The monthly SMS limit is reached; the SMS will not be sent."),
    "opted_out": ("Der Empfänger hat SMS abbestellt (STOP); die SMS wird nicht versandt.",
                  "The recipient opted out (STOP); the SMS will not be sent."),
    "in_the_past": ("Die Sendezeit liegt in der Vergangenheit.", "The send time is in the past."),
}


def translator(lang: str) -> Callable[..., str]:
    """`t(key, **values)` for one language; an unknown key shows as itself (easy to spot)."""
    index = 1 if lang == "en" else 0

    def t(key: str, **values: object) -> str:
        pair = TEXTS.get(key)
        text = pair[index] if pair else key
        return text.format(**values) if values else text

    return t


def error_text(code: str, fallback: str, lang: str) -> str:
    """A service error in the user's language."""
    pair = ERRORS.get(code)
    return pair[1 if lang == "en" else 0] if pair else fallback


def status_label(status: str, lang: str) -> str:
    """The status label of DESIGN.md (German) or the status name (English)."""
    try:
        return label(status, lang)
    except ValueError:
        return status


def time_formatter(tz: ZoneInfo, lang: str) -> Callable[[datetime | None], str]:
    """Times in the practice's time zone: 24.12.2026 09:30 (de) or 2026-12-24 09:30 (en)."""
    pattern = "%Y-%m-%d %H:%M" if lang == "en" else "%d.%m.%Y %H:%M"

    def fmt(value: datetime | None) -> str:
        return "" if value is None else value.astimezone(tz).strftime(pattern)

    return fmt


def money(value: float, lang: str) -> str:
    """2 decimals, with a decimal comma in German."""
    text = f"{value:,.2f}"
    if lang == "de":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text
