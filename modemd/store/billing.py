"""Monthly counting: limits checked and messages added in one transaction, and statistics.

A message belongs to the month of its send time: `send_at` when it was scheduled, else the
time it was accepted (`created_at`). The billing rule of DESIGN.md is written once, here, as
SQL: a message is billed for its parts once the network accepted any of them (every part once
it is `sent` or later; the parts with a message reference while it is still being sent, or
when it failed or was cancelled half-way); a rejected message is never billed.

For the limit, queued messages count too (they will be billed when they go out), so that a
burst of requests can never overshoot the limit; failed and cancelled messages give back the
parts the network never saw.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from modemd.clock import to_iso
from modemd.store.db import Database
from modemd.store.messages import Message, MessageStore, NewMessage, insert_message

MONTH_TIME = "COALESCE(m.send_at, m.created_at)"  # matches the index messages_month
_PARTS_ACCEPTED = (
    "(SELECT COUNT(*) FROM message_parts p"
    " WHERE p.message_id = m.id AND p.message_ref IS NOT NULL)"
)
_BILLED = (
    "CASE WHEN m.status IN ('sent', 'buffered', 'delivered', 'undelivered') THEN m.segments"
    f" ELSE {_PARTS_ACCEPTED} END"
)
_RESERVED = (
    "CASE WHEN m.status = 'rejected' THEN 0"
    f" WHEN m.status IN ('failed', 'cancelled') THEN {_PARTS_ACCEPTED}"
    " ELSE m.segments END"
)


@dataclass(frozen=True)
class Limits:
    """The limits that apply to one new message (None: no limit)."""

    global_limit: int | None
    start: datetime  # the message's month, as UTC instants [start, end)
    end: datetime


@dataclass(frozen=True)
class StatusCount:
    """Messages of one key in one status within a month."""

    key_id: int
    status: str
    messages: int
    billed_messages: int  # messages with at least one billed part
    billed_segments: int
    reserved_segments: int


class BillingStore:
    """Counting queries over messages, and the limit-checked insert."""

    def __init__(self, db: Database, messages: MessageStore):
        self.db = db
        self.messages = messages

    def add_within_limits(
        self, new: NewMessage, now: datetime, limits: Limits,
    ) -> tuple[Message, bool]:
        """MessageStore.add, but stored `rejected` ("monthly_limit") when it does not fit.

        The usage is read and the message inserted in one BEGIN IMMEDIATE transaction, so
        concurrent requests cannot both take the last free parts. A known `reference` returns
        the stored message, whatever the limits say now.
        """
        with self.db.transaction() as conn:
            return self.add_in(conn, new, now, limits)

    def add_many_within_limits(
        self, items: Sequence[tuple[NewMessage, Limits]], now: datetime,
    ) -> list[tuple[Message, bool]]:
        """add_within_limits for each, in order, in ONE transaction: a message counts against
        the limits of the ones after it, exactly as if they had come one by one."""
        with self.db.transaction() as conn:
            return [self.add_in(conn, new, now, limits) for new, limits in items]

    def add_in(
        self, conn: sqlite3.Connection, new: NewMessage, now: datetime, limits: Limits,
    ) -> tuple[Message, bool]:
        """add_within_limits inside the caller's BEGIN IMMEDIATE transaction (a batch)."""
        # One statement for the key's limit and a stored message with the same reference.
        row = conn.execute(
            "SELECT name, monthly_limit, (SELECT id FROM messages WHERE key_id = ?1"
            " AND reference = ?2) AS existing FROM api_keys WHERE id = ?1",
            (new.key_id, new.reference),
        ).fetchone()
        if row is not None and row["existing"] is not None:
            return self.messages.stored(conn, row["existing"]), False
        if new.rejected is not None:  # refused for another reason (opted out): never billed
            return insert_message(conn, new, now), True
        reason = None
        if row is not None and row["monthly_limit"]:
            used = _reserved(conn, limits, new.key_id)
            if used + new.segments > row["monthly_limit"]:
                reason = (f"the monthly limit of key {row['name']!r} is reached: "
                          f"{used} of {row['monthly_limit']} SMS used, "
                          f"this message needs {new.segments}")
        if reason is None and limits.global_limit:
            used = _reserved(conn, limits, None)
            if used + new.segments > limits.global_limit:
                reason = (f"the monthly limit is reached: {used} of "
                          f"{limits.global_limit} SMS used, this message needs "
                          f"{new.segments}")
        if reason is not None:
            new = replace(new, rejected=("monthly_limit", reason))
        return insert_message(conn, new, now), True

    def reserved(self, start: datetime, end: datetime, key_id: int | None = None) -> int:
        """Parts counted against the limit in [start, end): billed or still queued."""
        with self.db.lock:
            return _reserved(self.db.conn, Limits(None, start, end), key_id)

    def month_counts(self, start: datetime, end: datetime) -> list[StatusCount]:
        """Per key and status: messages, billed messages and parts, reserved parts."""
        rows = self.db.query(
            "SELECT key_id, status, COUNT(*) AS n, SUM(billed > 0) AS billed_n,"
            " SUM(billed) AS billed, SUM(reserved) AS reserved FROM ("
            f"  SELECT m.key_id, m.status, {_BILLED} AS billed, {_RESERVED} AS reserved"
            f"  FROM messages m WHERE {MONTH_TIME} >= ? AND {MONTH_TIME} < ?"
            ") GROUP BY key_id, status ORDER BY key_id, status",
            (to_iso(start), to_iso(end)),
        )
        return [StatusCount(r["key_id"], r["status"], r["n"], r["billed_n"] or 0,
                            r["billed"] or 0, r["reserved"] or 0) for r in rows]


def _reserved(conn: sqlite3.Connection, limits: Limits, key_id: int | None) -> int:
    sql = (f"SELECT COALESCE(SUM({_RESERVED}), 0) AS n FROM messages m"
           f" WHERE {MONTH_TIME} >= ? AND {MONTH_TIME} < ?")
    params: list[object] = [to_iso(limits.start), to_iso(limits.end)]
    if key_id is not None:
        sql += " AND m.key_id = ?"
        params.append(key_id)
    return int(conn.execute(sql, params).fetchone()["n"])
