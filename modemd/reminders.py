"""Appointment reminders and the list of planned messages: the service behind their API.

The practice software names an appointment (its own reference, the patient's number, the
time, the text) and lead times; this service validates the request, plans one message per
lead time in the practice's time zone and send windows (see modemd.sendwindow) and hands the
plan to the store, which writes it atomically. The text is given as `text`, or as a
`template` with its `values`; `{datum}` and `{uhrzeit}` default to the appointment's local
date and time, so a reminder template needs only the patient's name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from modemd.clock import Clock, from_iso
from modemd.errors import PhoneNumberError, TextError, ValidationError
from modemd.phone import normalize_number
from modemd.segments import split_text
from modemd.sendwindow import Lead, SendWindows, parse_lead, plan_reminder
from modemd.store.reminders import Reminder, ReminderSpec, ReminderStore
from modemd.store.schedule import PlannedItem, Removal, ScheduleStore

log = logging.getLogger("modemd.reminders")

MAX_REFERENCE = 128
MAX_LEADS = 5
MAX_REMOVE = 500
FIELDS = {"reference", "to", "appointment_at", "leads", "text", "expires_at", "template",
          "values"}


class ReminderService:
    """Create, re-plan and cancel reminders; list and remove planned messages."""

    def __init__(
        self, reminders: ReminderStore, schedule: ScheduleStore, windows: SendWindows, *,
        clock: Clock, default_region: str, max_length: int, max_days_ahead: int,
        on_planned: Callable[[], None] = lambda: None,
        is_blocked: Callable[[str], bool] = lambda _number: False,
        render: Callable[[object, object], str] | None = None,
        national: tuple[str, ...] = (), national_locking: bool = False,
    ):
        self.reminders = reminders
        self.schedule = schedule
        self.windows = windows
        self.clock = clock
        self.default_region = default_region
        self.max_length = max_length
        self.max_days_ahead = max_days_ahead
        self.on_planned = on_planned
        self.is_blocked = is_blocked
        self.render = render
        # The same tables the modem channel encodes with, so the planned part count is the
        # one that is sent (and billed).
        self.national = national
        self.national_locking = national_locking

    # --- reminders ---------------------------------------------------------------------------
    def save(self, key_id: int, reference: object, body: dict, *, create_only: bool
             ) -> tuple[Reminder, str]:
        """Validate and plan. Outcome as ReminderStore.save ("created", "updated",
        "unchanged", "exists"); raises ValidationError naming the field."""
        ref = check_reference(reference)
        now = self.clock.now()
        spec, leads = self._spec(body, now)
        if self.is_blocked(spec.to):
            raise ValidationError("opted_out", "the recipient opted out (STOP); remove the "
                                  "number from the block list to send again", "to")

        def planner(already_sent: frozenset[str]) -> list:
            return plan_reminder(spec.appointment_at, leads, now=now, deadline=spec.deadline,
                                 windows=self.windows, already_sent=already_sent)

        reminder, outcome = self.reminders.save(key_id, ref, spec, now, planner,
                                                create_only=create_only)
        if outcome in ("created", "updated"):
            log.info("reminder %s (key %d) %s: %d message(s) planned", ref, key_id, outcome,
                     sum(1 for m in reminder.messages if m.status in ("scheduled", "pending")))
            self.on_planned()
        return reminder, outcome

    def get(self, key_id: int, reference: str) -> Reminder | None:
        return self.reminders.get(key_id, reference)

    def cancel(self, key_id: int, reference: str) -> Reminder | None:
        """Cancel the unsent messages of an appointment; None if there is no such reminder."""
        reminder = self.reminders.cancel(key_id, reference, self.clock.now())
        if reminder is not None:
            log.info("reminder %s (key %d) cancelled", reference, key_id)
        return reminder

    # --- the planned list --------------------------------------------------------------------
    def planned(self, key_id: int | None, *, since: datetime | None, until: datetime | None,
                after: tuple[datetime, int] | None, limit: int) -> list[PlannedItem]:
        return self.schedule.planned(key_id, since=since, until=until, after=after,
                                     limit=limit)

    def remove(self, key_id: int | None, ids: object) -> Removal:
        """Remove a selection of planned messages atomically ("Auswahl entfernen"); key_id
        None: of any key (the dashboard)."""
        if not isinstance(ids, list) or not ids:
            raise ValidationError("invalid_ids", "ids must be a non-empty list of message ids",
                                  "ids")
        if len(ids) > MAX_REMOVE:
            raise ValidationError("too_many_ids", f"at most {MAX_REMOVE} ids at once", "ids")
        if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
            raise ValidationError("invalid_ids", "every id must be a positive integer", "ids")
        return self.schedule.remove(key_id, ids, self.clock.now())

    # --- validation ----------------------------------------------------------------------------
    def _spec(self, body: dict, now: datetime) -> tuple[ReminderSpec, list[Lead]]:
        to = body.get("to")
        appointment = parse_time(body.get("appointment_at"), "appointment_at", required=True)
        assert appointment is not None
        text = self._text(body, appointment)
        if not isinstance(to, str):
            raise _missing_or_type("to", to, "a phone number as a string")
        try:
            number = normalize_number(to, self.default_region)
        except PhoneNumberError as exc:
            raise ValidationError("invalid_number", str(exc), "to") from None
        if not isinstance(text, str):
            raise _missing_or_type("text", text, "the reminder text as a string")
        if not text.strip():
            raise ValidationError("empty_text", "the reminder text is empty", "text")
        try:
            seg = split_text(text, self.max_length, self.national, self.national_locking)
        except TextError as exc:
            raise ValidationError(exc.code, str(exc), "text") from None
        if appointment <= now:
            raise ValidationError("appointment_passed", "the appointment has already started",
                                  "appointment_at")
        if appointment > now + timedelta(days=self.max_days_ahead):
            raise ValidationError("too_far_ahead", "the appointment is more than "
                                  f"{self.max_days_ahead} days ahead", "appointment_at")
        expires = parse_time(body.get("expires_at"), "expires_at")
        if expires is not None and expires <= now:
            raise ValidationError("already_expired", "expires_at is in the past", "expires_at")
        leads = _leads(body.get("leads"))
        spec = ReminderSpec(to=number, appointment_at=appointment,
                            leads=tuple(lead.text for lead in leads), text=text,
                            encoding=seg.encoding, segments=seg.segments, expires_at=expires,
                            units=seg.units)
        return spec, leads

    def _text(self, body: dict, appointment: datetime) -> object:
        """The reminder's text: `text` as given, or its template filled in."""
        template, values = body.get("template"), body.get("values")
        if template is None:
            if values is not None:
                raise ValidationError("unexpected_field", "values belong to a template",
                                      "values")
            return body.get("text")
        if body.get("text") is not None:
            raise ValidationError("conflicting_fields", "give either text or template, not both",
                                  "text")
        if self.render is None:
            raise ValidationError("not_supported", "templates are not available", "template")
        if values is not None and not isinstance(values, dict):
            raise ValidationError("invalid_type", "values must be an object", "values")
        local = appointment.astimezone(self.windows.tz)
        filled = {"datum": local.strftime("%d.%m.%Y"), "uhrzeit": local.strftime("%H:%M"),
                  **(values or {})}
        return self.render(template, filled)


def check_reference(value: object) -> str:
    """The practice's appointment reference: 1 to 128 printable characters."""
    if value is None:
        raise ValidationError("missing_field", "reference is required", "reference")
    if (not isinstance(value, str) or not value.strip() or len(value) > MAX_REFERENCE
            or not value.isprintable() or "/" in value):
        raise ValidationError("invalid_reference", f"reference must be 1 to {MAX_REFERENCE} "
                              "printable characters without '/'", "reference")
    return value


def parse_time(value: object, field: str, *, required: bool = False) -> datetime | None:
    """An ISO 8601 time with offset (stored as UTC)."""
    if value is None:
        if required:
            raise ValidationError("missing_field", f"{field} is required", field)
        return None
    if not isinstance(value, str):
        raise ValidationError("invalid_type", f"{field} must be an ISO 8601 time", field)
    try:
        return from_iso(value)
    except ValueError:
        raise ValidationError("invalid_time", f"{field} must be ISO 8601 with a UTC offset, "
                              "e.g. 2026-03-01T09:30:00+01:00", field) from None


def _leads(value: object) -> list[Lead]:
    if value is None:
        raise ValidationError("missing_field", "leads is required, e.g. [\"24h\", \"2h\"]",
                              "leads")
    if not isinstance(value, list) or not value:
        raise ValidationError("invalid_leads", "leads must be a non-empty list such as "
                              "[\"24h\", \"2h\"]", "leads")
    if len(value) > MAX_LEADS:
        raise ValidationError("invalid_leads", f"at most {MAX_LEADS} lead times", "leads")
    leads = []
    for item in value:
        try:
            leads.append(parse_lead(item))
        except ValueError as exc:
            raise ValidationError("invalid_leads", str(exc), "leads") from None
    texts = [lead.text for lead in leads]
    if len(set(texts)) != len(texts):
        raise ValidationError("invalid_leads", "a lead time is listed twice", "leads")
    return sorted(leads, key=lambda lead: lead.approx, reverse=True)


def _missing_or_type(field: str, value: object, what: str) -> ValidationError:
    if value is None:
        return ValidationError("missing_field", f"{field} is required", field)
    return ValidationError("invalid_type", f"{field} must be {what}", field)
