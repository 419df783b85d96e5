"""Appointment reminders and the messages planned for them.

A reminder is the practice software's appointment (its own `reference`, unique per key); each
of its lead times becomes an ordinary scheduled message, linked in `reminder_messages`.
Re-planning cancels the unsent ones and plans anew in the same transaction; messages already
handed to the network are never touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from modemd.clock import from_iso, to_iso
from modemd.sendwindow import PlannedSend
from modemd.status import Status
from modemd.store.db import Database
from modemd.store.messages import Message, MessageStore, NewMessage, record_history
from modemd.store.schedule import NO_WINDOW_TEXT

# Linked messages in these statuses count as "this lead was sent" (never re-planned or touched).
_SENT_SQL = "('sending', 'sent', 'buffered', 'delivered', 'undelivered')"

ACTIVE = "active"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class ReminderSpec:
    """A valid reminder request."""

    to: str
    appointment_at: datetime
    leads: tuple[str, ...]
    text: str
    encoding: str
    segments: int
    expires_at: datetime | None = None
    units: int | None = None

    @property
    def deadline(self) -> datetime:
        """No reminder message may go out at or after this instant."""
        if self.expires_at is not None and self.expires_at < self.appointment_at:
            return self.expires_at
        return self.appointment_at


@dataclass(frozen=True)
class ReminderMessage:
    message_id: int
    lead: str
    appointment_at: datetime
    status: str
    due_at: datetime
    sent_at: datetime | None
    error_code: str | None


@dataclass(frozen=True)
class Reminder:
    id: int
    key_id: int
    reference: str
    to: str
    appointment_at: datetime
    leads: tuple[str, ...]
    text: str
    expires_at: datetime | None
    status: str
    created_at: datetime
    updated_at: datetime
    messages: tuple[ReminderMessage, ...]


# Given the leads already sent for this appointment time, the sends to plan.
Planner = Callable[[frozenset[str]], list[PlannedSend]]
# How a planned message is stored: MessageStore.add, or the accounting's add within limits.
Add = Callable[[NewMessage, datetime], tuple[Message, bool]]


class ReminderStore:
    """Every read and write of reminders."""

    def __init__(self, db: Database, add: Add | None = None):
        self.db = db
        self.messages = MessageStore(db)
        self.add: Add = add or self.messages.add

    def get(self, key_id: int, reference: str) -> Reminder | None:
        with self.db.lock:
            row = self.db.conn.execute(
                "SELECT * FROM reminders WHERE key_id = ? AND reference = ?",
                (key_id, reference)).fetchone()
            return None if row is None else self._load(row)

    def save(
        self, key_id: int, reference: str, spec: ReminderSpec, now: datetime,
        planner: Planner, *, create_only: bool = False,
    ) -> tuple[Reminder, str]:
        """Create or re-plan a reminder atomically.

        Returns (reminder, outcome): "created", "updated", "unchanged" (the same request
        again: nothing re-planned) or, with `create_only`, "exists" when the stored reminder
        differs (nothing changed).
        """
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM reminders WHERE key_id = ? AND reference = ?",
                               (key_id, reference)).fetchone()
            if row is not None:
                same = row["status"] == ACTIVE and _row_spec(row) == _spec_tuple(spec)
                if same:
                    return self._load(row), "unchanged"
                if create_only:
                    return self._load(row), "exists"
                reminder_id = row["id"]
                sent = frozenset(r["lead"] for r in conn.execute(
                    "SELECT rm.lead FROM reminder_messages rm JOIN messages m"
                    " ON m.id = rm.message_id WHERE rm.reminder_id = ?"
                    f" AND rm.appointment_at = ? AND m.status IN {_SENT_SQL}",
                    (reminder_id, to_iso(spec.appointment_at))).fetchall())
                self._cancel_unsent(reminder_id, now, "reminder re-planned")
                conn.execute(
                    "UPDATE reminders SET to_number = ?, appointment_at = ?, leads = ?,"
                    " text = ?, expires_at = ?, status = 'active', updated_at = ?"
                    " WHERE id = ?",
                    (spec.to, to_iso(spec.appointment_at), json.dumps(spec.leads), spec.text,
                     to_iso(spec.expires_at), to_iso(now), reminder_id))
                outcome = "updated"
            else:
                sent = frozenset()
                reminder_id = conn.execute(
                    "INSERT INTO reminders (key_id, reference, to_number, appointment_at, leads,"
                    " text, expires_at, status, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)",
                    (key_id, reference, spec.to, to_iso(spec.appointment_at),
                     json.dumps(spec.leads), spec.text, to_iso(spec.expires_at), to_iso(now),
                     to_iso(now))).lastrowid
                outcome = "created"
            for plan in planner(sent):
                self._plan_message(conn, reminder_id, key_id, reference, spec, plan, now)
            row = conn.execute("SELECT * FROM reminders WHERE id = ?", (reminder_id,)).fetchone()
            return self._load(row), outcome

    def cancel(self, key_id: int, reference: str, now: datetime) -> Reminder | None:
        """The appointment is off: cancel the unsent messages, keep the record."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT id FROM reminders WHERE key_id = ? AND reference = ?",
                               (key_id, reference)).fetchone()
            if row is None:
                return None
            self._cancel_unsent(row["id"], now, "reminder cancelled")
            conn.execute("UPDATE reminders SET status = 'cancelled', updated_at = ? WHERE id = ?",
                         (to_iso(now), row["id"]))
            return self._load(conn.execute("SELECT * FROM reminders WHERE id = ?",
                                           (row["id"],)).fetchone())

    # --- helpers ---------------------------------------------------------------------------
    def _cancel_unsent(self, reminder_id: int, now: datetime, detail: str) -> None:
        conn = self.db.conn
        ids = [r["message_id"] for r in conn.execute(
            "SELECT rm.message_id FROM reminder_messages rm JOIN messages m"
            " ON m.id = rm.message_id WHERE rm.reminder_id = ?"
            " AND m.status IN ('scheduled', 'pending')", (reminder_id,)).fetchall()]
        for mid in ids:
            conn.execute("UPDATE messages SET status = 'cancelled', updated_at = ? WHERE id = ?",
                         (to_iso(now), mid))
            record_history(conn, mid, Status.CANCELLED, now, detail)

    def _plan_message(self, conn, reminder_id: int, key_id: int, reference: str,
                      spec: ReminderSpec, plan: PlannedSend, now: datetime) -> None:
        send_at = plan.at or plan.nominal
        message, _ = self.add(NewMessage(
            key_id=key_id, to=spec.to, text=spec.text, encoding=spec.encoding,
            segments=spec.segments, send_at=send_at, expires_at=spec.deadline,
            units=spec.units), now)
        conn.execute(
            "INSERT INTO reminder_messages (message_id, reminder_id, lead, appointment_at)"
            " VALUES (?, ?, ?, ?)",
            (message.id, reminder_id, plan.lead, to_iso(spec.appointment_at)))
        detail = f"reminder {reference}: {plan.lead} before the appointment"
        if plan.at is not None and plan.note:
            detail += f"; {plan.note}"
        conn.execute("UPDATE message_history SET detail = ? WHERE message_id = ?",
                     (detail, message.id))
        if plan.at is None and message.status != "rejected":
            conn.execute(
                "UPDATE messages SET status = 'cancelled', error_code = 'no_send_window',"
                " error_text = ?, updated_at = ? WHERE id = ?",
                (NO_WINDOW_TEXT, to_iso(now), message.id))
            record_history(conn, message.id, Status.CANCELLED, now,
                           f"no_send_window: {NO_WINDOW_TEXT}")

    def _load(self, row) -> Reminder:
        msgs = tuple(
            ReminderMessage(
                r["id"], r["lead"], from_iso(r["appointment_at"]),  # type: ignore[arg-type]
                r["status"], from_iso(r["due_at"]), from_iso(r["sent_at"]),  # type: ignore[arg-type]
                r["error_code"])
            for r in self.db.conn.execute(
                "SELECT m.id, rm.lead, rm.appointment_at, m.status, m.due_at, m.sent_at,"
                " m.error_code FROM reminder_messages rm JOIN messages m"
                " ON m.id = rm.message_id WHERE rm.reminder_id = ? ORDER BY m.id",
                (row["id"],)).fetchall())
        return Reminder(
            id=row["id"], key_id=row["key_id"], reference=row["reference"],
            to=row["to_number"],
            appointment_at=from_iso(row["appointment_at"]),  # type: ignore[arg-type]
            leads=tuple(json.loads(row["leads"])), text=row["text"],
            expires_at=from_iso(row["expires_at"]), status=row["status"],
            created_at=from_iso(row["created_at"]),  # type: ignore[arg-type]
            updated_at=from_iso(row["updated_at"]),  # type: ignore[arg-type]
            messages=msgs)


def _spec_tuple(spec: ReminderSpec) -> tuple:
    return (spec.to, to_iso(spec.appointment_at), list(spec.leads), spec.text,
            to_iso(spec.expires_at))


def _row_spec(row) -> tuple:
    return (row["to_number"], row["appointment_at"], json.loads(row["leads"]), row["text"],
            row["expires_at"])
