"""The scheduler's side of the queue: what is due, releasing it, expiry, the planned list.

A `scheduled` message waits here until the scheduler releases it to `pending` (history row
"pending" at the moment of release); only then can the dispatcher claim it. The database is
the source of truth for what is due: the timer only says when to look.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from modemd.clock import from_iso, to_iso
from modemd.status import Status
from modemd.store.db import Database
from modemd.store.messages import Message, MessageStore, mark_expired, record_history

# Statuses that mean "handed to the network" (or on its way there right now).
_SENT = frozenset({Status.SENDING, Status.SENT, Status.BUFFERED, Status.DELIVERED,
                   Status.UNDELIVERED})


@dataclass(frozen=True)
class DueMessage:
    """A scheduled message whose time has come."""

    id: int
    due_at: datetime
    expires_at: datetime | None
    reminder: bool          # planned for an appointment reminder (always keeps quiet hours)
    blocked: bool = False   # the number opted out (STOP) after the message was planned


@dataclass(frozen=True)
class Decision:
    """What the scheduler decided for one due message."""

    id: int
    action: str                       # "release", "defer" (new due_at), "drop", "opted_out"
    due_at: datetime | None = None    # for "defer"
    detail: str | None = None


@dataclass(frozen=True)
class ReminderLink:
    """The reminder a planned message belongs to."""

    reference: str
    lead: str
    appointment_at: datetime


@dataclass(frozen=True)
class PlannedItem:
    message: Message
    reminder: ReminderLink | None


@dataclass(frozen=True)
class Removal:
    """The answer to "remove this selection": which ids ended up where."""

    removed: tuple[int, ...]
    already_sent: tuple[int, ...]
    already_final: tuple[tuple[int, str], ...]   # (id, status): cancelled, failed, rejected
    not_found: tuple[int, ...]


NO_WINDOW_TEXT = "no send window left before the appointment"
OPTED_OUT_TEXT = "the recipient opted out (STOP) after the message was planned"


class ScheduleStore:
    """Every query of the scheduler and of the planned-messages list."""

    def __init__(self, db: Database):
        self.db = db
        self.messages = MessageStore(db)

    # --- the timer's side ------------------------------------------------------------------
    def due(self, now: datetime, limit: int = 2000) -> list[DueMessage]:
        """Scheduled messages with due_at <= now, earliest first (at most `limit`)."""
        rows = self.db.query(
            "SELECT m.id, m.due_at, m.expires_at, rm.reminder_id IS NOT NULL AS reminder,"
            " b.number IS NOT NULL AS blocked"
            " FROM messages m LEFT JOIN reminder_messages rm ON rm.message_id = m.id"
            " LEFT JOIN blocklist b ON b.number = m.to_number"
            " WHERE m.status = 'scheduled' AND m.due_at <= ? ORDER BY m.due_at, m.id LIMIT ?",
            (to_iso(now), limit),
        )
        return [DueMessage(r["id"], from_iso(r["due_at"]),  # type: ignore[arg-type]
                           from_iso(r["expires_at"]), bool(r["reminder"]), bool(r["blocked"]))
                for r in rows]

    def settle(self, now: datetime, decisions: list[Decision]) -> dict[str, int]:
        """Apply decisions in one transaction; a message no longer `scheduled` (cancelled in
        the meantime) is left alone. Returns how many were released, deferred, dropped."""
        counts = {"release": 0, "defer": 0, "drop": 0, "opted_out": 0}
        with self.db.transaction() as conn:
            for d in decisions:
                if d.action == "release":
                    done = _move(conn, d.id, now, "status = 'pending'", (), Status.PENDING,
                                 d.detail)
                elif d.action == "defer":
                    done = _move(conn, d.id, now, "due_at = ?", (to_iso(d.due_at),),
                                 Status.SCHEDULED, d.detail)
                elif d.action == "drop":
                    done = _move(conn, d.id, now, "status = 'cancelled',"
                                 " error_code = 'no_send_window', error_text = ?",
                                 (NO_WINDOW_TEXT,), Status.CANCELLED,
                                 f"no_send_window: {d.detail or NO_WINDOW_TEXT}")
                elif d.action == "opted_out":
                    done = _move(conn, d.id, now, "status = 'cancelled',"
                                 " error_code = 'opted_out', error_text = ?",
                                 (OPTED_OUT_TEXT,), Status.CANCELLED,
                                 f"opted_out: {OPTED_OUT_TEXT}")
                else:
                    raise ValueError(f"unknown action {d.action!r}")
                counts[d.action] += done
        return counts

    def expire(self, now: datetime) -> list[int]:
        """Queued messages past their `expires_at` become `failed` (expired); their ids."""
        with self.db.transaction() as conn:
            ids = [r["id"] for r in conn.execute(
                "SELECT id FROM messages WHERE expires_at IS NOT NULL"
                " AND status IN ('scheduled', 'pending') AND expires_at <= ?",
                (to_iso(now),)).fetchall()]
            return [i for i in ids if mark_expired(conn, i, now)]

    def next_wake(self) -> datetime | None:
        """The earliest moment something changes: a scheduled message's time or an expiry."""
        due = self.db.query(
            "SELECT MIN(due_at) AS t FROM messages WHERE status = 'scheduled'")[0]["t"]
        exp = self.db.query(
            "SELECT MIN(expires_at) AS t FROM messages WHERE expires_at IS NOT NULL"
            " AND status IN ('scheduled', 'pending')")[0]["t"]
        times = [t for t in (due, exp) if t]
        return from_iso(min(times)) if times else None

    # --- the planned list ------------------------------------------------------------------
    def planned(
        self, key_id: int | None, *, since: datetime | None = None,
        until: datetime | None = None, after: tuple[datetime, int] | None = None,
        limit: int = 50,
    ) -> list[PlannedItem]:
        """Scheduled messages by due time (keyset cursor `after` = (due_at, id) of the last)."""
        where, params = ["m.status = 'scheduled'"], []
        if key_id is not None:
            where.append("m.key_id = ?")
            params.append(key_id)
        if since is not None:
            where.append("m.due_at >= ?")
            params.append(to_iso(since))
        if until is not None:
            where.append("m.due_at < ?")
            params.append(to_iso(until))
        if after is not None:
            where.append("(m.due_at, m.id) > (?, ?)")
            params += [to_iso(after[0]), after[1]]
        sql = ("SELECT m.id, r.reference, rm.lead, rm.appointment_at FROM messages m"
               " LEFT JOIN reminder_messages rm ON rm.message_id = m.id"
               " LEFT JOIN reminders r ON r.id = rm.reminder_id"
               f" WHERE {' AND '.join(where)} ORDER BY m.due_at, m.id LIMIT ?")
        params.append(limit)
        with self.db.lock:
            out = []
            for r in self.db.conn.execute(sql, params).fetchall():
                link = None
                if r["reference"] is not None:
                    link = ReminderLink(r["reference"], r["lead"],
                                        from_iso(r["appointment_at"]))  # type: ignore[arg-type]
                out.append(PlannedItem(self.messages.get(r["id"]),  # type: ignore[arg-type]
                                       link))
            return out

    def remove(self, key_id: int | None, ids: list[int], now: datetime) -> Removal:
        """Cancel a selection in one transaction: every id is either removed now or reported
        as already sent, already final or not found (another key's message is not found)."""
        removed, sent, final, missing = [], [], [], []
        with self.db.transaction() as conn:
            for mid in dict.fromkeys(ids):
                row = conn.execute("SELECT key_id, status FROM messages WHERE id = ?",
                                   (mid,)).fetchone()
                if row is None or (key_id is not None and row["key_id"] != key_id):
                    missing.append(mid)
                elif row["status"] in (Status.SCHEDULED, Status.PENDING):
                    conn.execute(
                        "UPDATE messages SET status = 'cancelled', updated_at = ? WHERE id = ?",
                        (to_iso(now), mid))
                    record_history(conn, mid, Status.CANCELLED, now, "removed from the plan")
                    removed.append(mid)
                elif row["status"] in _SENT:
                    sent.append(mid)
                else:
                    final.append((mid, row["status"]))
        return Removal(tuple(removed), tuple(sent), tuple(final), tuple(missing))


def _move(conn: sqlite3.Connection, message_id: int, now: datetime, assignment: str,
          params: tuple, status: Status, detail: str | None) -> int:
    cur = conn.execute(
        f"UPDATE messages SET {assignment}, updated_at = ? WHERE id = ? AND status = 'scheduled'",
        (*params, to_iso(now), message_id),
    )
    if cur.rowcount:
        record_history(conn, message_id, status, now, detail)
    return cur.rowcount
