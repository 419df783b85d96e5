"""Outbound messages, their parts and status history: the queue of the dispatcher."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from modemd.clock import from_iso, to_iso
from modemd.status import CANCELLABLE, QUEUED, Status
from modemd.store.db import Database

_QUEUED_SQL = "(" + ", ".join(f"'{s.value}'" for s in sorted(QUEUED)) + ")"
_CANCELLABLE_SQL = "(" + ", ".join(f"'{s.value}'" for s in sorted(CANCELLABLE)) + ")"


@dataclass(frozen=True)
class NewMessage:
    """What the API hands over once a request is valid."""

    key_id: int
    to: str
    text: str
    encoding: str
    segments: int
    reference: str | None = None
    send_at: datetime | None = None
    rejected: tuple[str, str] | None = None   # (code, text): stored as `rejected`, never sent
    expires_at: datetime | None = None        # not sent by then: `failed`, reason `expired`
    units: int | None = None                  # billed units as segmented (see Segmentation)


@dataclass(frozen=True)
class Part:
    seq: int
    status: str
    channel: str | None
    message_ref: int | None
    sent_at: datetime | None
    remote_id: str | None = None  # the SMPP provider's message id (SMPP parts only)

    @property
    def accepted(self) -> bool:
        """Whether the network already accepted this part (it is never sent again)."""
        return self.message_ref is not None or self.remote_id is not None


@dataclass(frozen=True)
class HistoryEntry:
    status: str
    at: datetime
    detail: str | None


@dataclass(frozen=True)
class Message:
    id: int
    key_id: int
    reference: str | None
    to: str
    text: str
    encoding: str
    segments: int
    concat_ref: int
    status: str
    created_at: datetime
    send_at: datetime | None
    due_at: datetime
    attempts: int
    channel: str | None
    pinned_channel: str | None
    sent_at: datetime | None
    delivered_at: datetime | None
    error_code: str | None
    error_text: str | None
    parts: tuple[Part, ...] = ()
    history: tuple[HistoryEntry, ...] = field(default=())
    expires_at: datetime | None = None
    units: int | None = None  # None for messages stored before units were recorded


@dataclass(frozen=True)
class MessageFilter:
    status: str | None = None
    to: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None      # keyset cursor: newest first
    limit: int = 50


class MessageStore:
    """Every read and write of outbound messages."""

    def __init__(self, db: Database):
        self.db = db

    # --- accepting -------------------------------------------------------------------------
    def add(self, new: NewMessage, now: datetime) -> tuple[Message, bool]:
        """Commit a new message; with a known `reference` return the stored one instead.

        Returns (message, created). The concatenation reference is derived from the id, so
        a resumed message reuses it and the handset still joins its parts.
        """
        with self.db.transaction() as conn:
            if new.reference is not None:
                row = conn.execute(
                    "SELECT id FROM messages WHERE key_id = ? AND reference = ?",
                    (new.key_id, new.reference),
                ).fetchone()
                if row is not None:
                    return self._get(conn, row["id"]), False
            return insert_message(conn, new, now), True

    def add_many(self, news: Sequence[NewMessage], now: datetime) -> list[tuple[Message, bool]]:
        """`add` for each, all in one transaction (one commit for a batch)."""
        with self.db.transaction():
            return [self.add(new, now) for new in news]

    def stored(self, conn: sqlite3.Connection, message_id: int) -> Message:
        """Inside a transaction of another store module: one message as stored."""
        return self._get(conn, message_id)

    # --- reading ---------------------------------------------------------------------------
    def get(self, message_id: int, key_id: int | None = None) -> Message | None:
        """One message with parts and history; None if absent or owned by another key."""
        with self.db.lock:
            row = self.db.conn.execute(
                "SELECT key_id FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            if row is None or (key_id is not None and row["key_id"] != key_id):
                return None
            return self._get(self.db.conn, message_id)

    def by_reference(self, key_id: int, reference: str) -> Message | None:
        """The message this key already sent under `reference`, if any."""
        with self.db.lock:
            row = self.db.conn.execute(
                "SELECT id FROM messages WHERE key_id = ? AND reference = ?",
                (key_id, reference),
            ).fetchone()
            return self._get(self.db.conn, row["id"]) if row else None

    def list(self, flt: MessageFilter, key_id: int | None = None) -> list[Message]:
        """Messages newest first, filtered; parts and history included."""
        where, params = [], []
        if key_id is not None:
            where.append("key_id = ?")
            params.append(key_id)
        if flt.status:
            where.append("status = ?")
            params.append(flt.status)
        if flt.to:
            where.append("to_number = ?")
            params.append(flt.to)
        if flt.since:
            where.append("created_at >= ?")
            params.append(to_iso(flt.since))
        if flt.until:
            where.append("created_at < ?")
            params.append(to_iso(flt.until))
        if flt.before_id is not None:
            where.append("id < ?")
            params.append(flt.before_id)
        sql = "SELECT id FROM messages"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(flt.limit)
        with self.db.lock:
            ids = [r["id"] for r in self.db.conn.execute(sql, params).fetchall()]
            return [self._get(self.db.conn, i) for i in ids]

    def count_by_status(self) -> dict[str, int]:
        """How many messages are in each status (for metrics and the dashboard)."""
        rows = self.db.query("SELECT status, COUNT(*) AS n FROM messages GROUP BY status")
        return {r["status"]: r["n"] for r in rows}

    # --- the dispatcher's side -------------------------------------------------------------
    def claim(self, channel: str, now: datetime,
              min_wait: timedelta | None = None) -> Message | None:
        """Atomically take the next due `pending` message for `channel`, mark it `sending`.

        Inside one BEGIN IMMEDIATE: two workers can never take the same message. A message
        whose first parts went out through one modem is pinned to it, so the handset sees all
        parts from the same sender and can join them. `scheduled` messages are not taken
        here: the scheduler releases them to `pending` at their time. A message past its
        `expires_at` is never returned: it becomes `failed` (expired) in this transaction.
        With `min_wait` only a message due for at least that long is taken (the SMPP
        fallback: it takes what the modems left waiting).
        """
        due_by = now - min_wait if min_wait else now
        with self.db.transaction() as conn:
            while True:
                row = conn.execute(
                    "SELECT id, expires_at FROM messages"
                    " WHERE status = 'pending' AND due_at <= ?"
                    "  AND (pinned_channel IS NULL OR pinned_channel = ?)"
                    " ORDER BY due_at, id LIMIT 1",
                    (to_iso(due_by), channel),
                ).fetchone()
                if row is None:
                    return None
                if row["expires_at"] is not None and row["expires_at"] <= to_iso(now):
                    mark_expired(conn, row["id"], now)
                    continue
                conn.execute(
                    "UPDATE messages SET status = 'sending', channel = ?, updated_at = ?"
                    " WHERE id = ?", (channel, to_iso(now), row["id"]),
                )
                record_history(conn, row["id"], Status.SENDING, now, f"channel {channel}")
                return self._get(conn, row["id"])

    def next_due(self, channel: str, min_wait: timedelta | None = None) -> datetime | None:
        """When the earliest pending message for `channel` becomes due (None: none waiting).

        With `min_wait`: when it has been due for that long (see `claim`). Scheduled messages
        are the scheduler's: it wakes the dispatcher when it releases them.
        """
        rows = self.db.query(
            "SELECT MIN(due_at) AS due FROM messages WHERE status = 'pending'"
            " AND (pinned_channel IS NULL OR pinned_channel = ?)",
            (channel,),
        )
        due = from_iso(rows[0]["due"]) if rows and rows[0]["due"] else None
        return due + min_wait if due is not None and min_wait else due

    def record_part_sent(
        self, message_id: int, seq: int, channel: str, message_ref: int | str, now: datetime
    ) -> None:
        """Store a part's reference the moment the network accepted it.

        An int is a modem's TP-MR; a str is an SMPP provider's message id (`remote_id`).
        """
        ref, remote = (None, message_ref) if isinstance(message_ref, str) else (message_ref, None)
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE message_parts SET status = 'sent', channel = ?, message_ref = ?,"
                " remote_id = ?, sent_at = ? WHERE message_id = ? AND seq = ?",
                (channel, ref, remote, to_iso(now), message_id, seq),
            )
            conn.execute(
                "UPDATE messages SET pinned_channel = ?, updated_at = ? WHERE id = ?",
                (channel, to_iso(now), message_id),
            )

    def mark_sent(self, message_id: int, now: datetime) -> None:
        """Every part is with the network."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE messages SET status = 'sent', sent_at = ?, error_code = NULL,"
                " error_text = NULL, updated_at = ? WHERE id = ?",
                (to_iso(now), to_iso(now), message_id),
            )
            record_history(conn, message_id, Status.SENT, now, None)

    def requeue(
        self, message_id: int, now: datetime, due: datetime, detail: str,
        error: tuple[str, str] | None = None, count_attempt: bool = True,
    ) -> None:
        """Back to `pending` (a retry after `due`, or a modem that went away)."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE messages SET status = 'pending', due_at = ?,"
                " attempts = attempts + ?, error_code = COALESCE(?, error_code),"
                " error_text = COALESCE(?, error_text), updated_at = ? WHERE id = ?",
                (to_iso(due), 1 if count_attempt else 0, error[0] if error else None,
                 error[1] if error else None, to_iso(now), message_id),
            )
            record_history(conn, message_id, Status.PENDING, now, detail)

    def mark_failed(self, message_id: int, now: datetime, code: str, text: str) -> None:
        """The message will never reach the network; keep the modem's reason."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE messages SET status = 'failed', error_code = ?, error_text = ?,"
                " attempts = attempts + 1, updated_at = ? WHERE id = ?",
                (code, text, to_iso(now), message_id),
            )
            record_history(conn, message_id, Status.FAILED, now, f"{code}: {text}")

    def cancel(self, message_id: int, key_id: int | None, now: datetime) -> str | None:
        """Cancel a queued message.

        Returns None when it was cancelled now, "not_found", or the status that prevents it.
        """
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT key_id, status FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            if row is None or (key_id is not None and row["key_id"] != key_id):
                return "not_found"
            cur = conn.execute(
                "UPDATE messages SET status = 'cancelled', updated_at = ?"
                f" WHERE id = ? AND status IN {_CANCELLABLE_SQL}",
                (to_iso(now), message_id),
            )
            if cur.rowcount == 0:
                return row["status"]
            record_history(conn, message_id, Status.CANCELLED, now, "cancelled by request")
            return None

    def recover_interrupted(self, now: datetime) -> int:
        """After a crash: messages left in `sending` go back to the queue, parts kept."""
        with self.db.transaction() as conn:
            ids = [r["id"] for r in conn.execute(
                "SELECT id FROM messages WHERE status = 'sending'").fetchall()]
            for message_id in ids:
                conn.execute(
                    "UPDATE messages SET status = 'pending', due_at = ?, updated_at = ?"
                    " WHERE id = ?", (to_iso(now), to_iso(now), message_id),
                )
                record_history(conn, message_id, Status.PENDING, now, "resumed after restart")
            return len(ids)

    def unpin_unknown_channels(self, channels: set[str], now: datetime) -> int:
        """Release messages pinned to a modem that is no longer configured."""
        with self.db.transaction() as conn:
            rows = conn.execute(
                f"SELECT id, pinned_channel FROM messages WHERE status IN {_QUEUED_SQL}"
                " AND pinned_channel IS NOT NULL").fetchall()
            released = [r["id"] for r in rows if r["pinned_channel"] not in channels]
            for message_id in released:
                conn.execute(
                    "UPDATE messages SET pinned_channel = NULL, updated_at = ? WHERE id = ?",
                    (to_iso(now), message_id),
                )
            return len(released)

    # --- helpers ---------------------------------------------------------------------------
    def _get(self, conn: sqlite3.Connection, message_id: int) -> Message:
        r = conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        parts = tuple(
            Part(p["seq"], p["status"], p["channel"], p["message_ref"], from_iso(p["sent_at"]),
                 p["remote_id"])
            for p in conn.execute(
                "SELECT * FROM message_parts WHERE message_id = ? ORDER BY seq", (message_id,)
            )
        )
        history = tuple(
            HistoryEntry(h["status"], from_iso(h["at"]), h["detail"])  # type: ignore[arg-type]
            for h in conn.execute(
                "SELECT status, at, detail FROM message_history WHERE message_id = ?"
                " ORDER BY id", (message_id,)
            )
        )
        return Message(
            id=r["id"], key_id=r["key_id"], reference=r["reference"], to=r["to_number"],
            text=r["text"], encoding=r["encoding"], segments=r["segments"],
            concat_ref=r["concat_ref"], status=r["status"],
            created_at=from_iso(r["created_at"]),  # type: ignore[arg-type]
            send_at=from_iso(r["send_at"]), due_at=from_iso(r["due_at"]),  # type: ignore[arg-type]
            attempts=r["attempts"], channel=r["channel"], pinned_channel=r["pinned_channel"],
            sent_at=from_iso(r["sent_at"]), delivered_at=from_iso(r["delivered_at"]),
            error_code=r["error_code"], error_text=r["error_text"],
            parts=parts, history=history, expires_at=from_iso(r["expires_at"]),
            units=r["units"],
        )


_INSERT = (
    "INSERT INTO messages (id, key_id, reference, to_number, text, encoding, segments,"
    " concat_ref, status, created_at, send_at, due_at, error_code, error_text, updated_at,"
    " expires_at, units) SELECT n, ?, ?, ?, ?, ?, ?, n % 256, ?, ?, ?, ?, ?, ?, ?, ?, ?"
    " FROM (SELECT COALESCE(MAX(id), 0) + 1 AS n FROM messages)"
)


def insert_message(conn: sqlite3.Connection, new: NewMessage, now: datetime) -> Message:
    """Inside a transaction: store `new` (no reference check) and return it as stored.

    The id is chosen in the INSERT itself (what SQLite would pick: the highest + 1) so the
    concatenation reference (id % 256) needs no second statement; the returned Message is
    built from the inserted values instead of being read back.
    """
    scheduled = new.send_at is not None and new.send_at > now
    status = Status.SCHEDULED if scheduled else Status.PENDING
    if new.rejected is not None:
        status = Status.REJECTED
    due = new.send_at if scheduled else now
    code, text = new.rejected or (None, None)
    created = to_iso(now)
    cur = conn.execute(_INSERT, (
        new.key_id, new.reference, new.to, new.text, new.encoding, new.segments,
        status.value, created, to_iso(new.send_at), to_iso(due), code, text, created,
        to_iso(new.expires_at), new.units))
    message_id = cur.lastrowid
    assert message_id is not None
    if new.segments == 1:
        conn.execute("INSERT INTO message_parts (message_id, seq) VALUES (?, 1)", (message_id,))
    else:
        conn.executemany(
            "INSERT INTO message_parts (message_id, seq) VALUES (?, ?)",
            [(message_id, seq) for seq in range(1, new.segments + 1)],
        )
    detail = f"{code}: {text}" if code else None
    record_history(conn, message_id, status, now, detail)
    # The stored times are millisecond-precise: the returned Message carries the same.
    stored_now = from_iso(created)
    assert stored_now is not None
    return Message(
        id=message_id, key_id=new.key_id, reference=new.reference, to=new.to, text=new.text,
        encoding=new.encoding, segments=new.segments, concat_ref=message_id % 256,
        status=status.value, created_at=stored_now, send_at=_ms(new.send_at),
        due_at=stored_now if due is now else _ms(due),  # type: ignore[arg-type]
        attempts=0, channel=None, pinned_channel=None, sent_at=None, delivered_at=None,
        error_code=code, error_text=text,
        parts=tuple(Part(seq, "pending", None, None, None)
                    for seq in range(1, new.segments + 1)),
        history=(HistoryEntry(status.value, stored_now, detail),),
        expires_at=_ms(new.expires_at), units=new.units,
    )


def _ms(dt: datetime | None) -> datetime | None:
    """`dt` as it reads back from the database (UTC, whole milliseconds)."""
    return from_iso(to_iso(dt))


EXPIRED_TEXT = "not sent before its expiry time"


def mark_expired(conn: sqlite3.Connection, message_id: int, now: datetime) -> bool:
    """Inside a transaction: a queued message past `expires_at` becomes `failed` (expired)."""
    cur = conn.execute(
        "UPDATE messages SET status = 'failed', error_code = 'expired', error_text = ?,"
        f" updated_at = ? WHERE id = ? AND status IN {_QUEUED_SQL}",
        (EXPIRED_TEXT, to_iso(now), message_id),
    )
    if cur.rowcount:
        record_history(conn, message_id, Status.FAILED, now, f"expired: {EXPIRED_TEXT}")
    return bool(cur.rowcount)


def record_history(
    conn: sqlite3.Connection, message_id: int, status: Status | str, at: datetime,
    detail: str | None,
) -> None:
    """Inside a transaction: append one status-history row (any store module may call it)."""
    conn.execute(
        "INSERT INTO message_history (message_id, status, at, detail) VALUES (?, ?, ?, ?)",
        (message_id, str(status), to_iso(at), detail),
    )
