"""Housekeeping queries run by the scheduler: the retention purge.

(The 3-day status-report rule lives with the status reports: modemd.reports.)

The monthly counter needs no query here: limits count billed parts per calendar month
straight from the messages table, so a new month starts at zero by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from modemd.clock import to_iso
from modemd.store.db import Database


@dataclass(frozen=True)
class PurgeResult:
    messages: int
    reminders: int
    inbound: int = 0
    reports: int = 0
    outbox: int = 0


class HousekeepingStore:
    """Bulk updates that keep the database lawful and its statuses final."""

    def __init__(self, db: Database):
        self.db = db

    def purge(self, now: datetime, retention_days: int) -> PurgeResult:
        """Blank texts and numbers older than the retention period.

        Messages keep their row, status, segments, key, times and error code (so statistics
        and counts survive); only `text` and `to_number` are emptied, and their history
        details are cleared in case a detail ever quoted content. A message still queued or
        being sent is never purged. Reminders are purged once their appointment is older
        than the retention period; the practice's appointment reference is kept.
        Received messages lose text, sender and raw PDUs (their parts and status reports
        their PDUs and numbers); delivered or given-up e-mails and webhook calls in the
        outbox (which quote texts) are deleted. The opt-out block list is kept: a patient's
        "STOP" must outlive the retention period.
        """
        cutoff = to_iso(now - timedelta(days=retention_days))
        with self.db.transaction() as conn:
            ids = [r["id"] for r in conn.execute(
                "UPDATE messages SET text = '', to_number = '', updated_at = ?"
                " WHERE created_at < ? AND status NOT IN ('scheduled', 'pending', 'sending')"
                " AND (text != '' OR to_number != '') RETURNING id",
                (to_iso(now), cutoff)).fetchall()]
            conn.executemany("UPDATE message_history SET detail = NULL WHERE message_id = ?",
                             [(i,) for i in ids])
            reminders = conn.execute(
                "UPDATE reminders SET text = '', to_number = '', updated_at = ?"
                " WHERE appointment_at < ? AND (text != '' OR to_number != '')",
                (to_iso(now), cutoff)).rowcount
            inbound = conn.execute(
                "UPDATE inbound_messages SET text = '', sender = NULL, raw_pdu = NULL"
                " WHERE received_at < ? AND (text != '' OR sender IS NOT NULL"
                " OR raw_pdu IS NOT NULL)", (cutoff,)).rowcount
            conn.execute(
                "UPDATE inbound_parts SET sender = '', pdu_hex = ''"
                " WHERE received_at < ? AND (sender != '' OR pdu_hex != '')", (cutoff,))
            reports = conn.execute(
                "UPDATE status_reports SET recipient = '', pdu_hex = ''"
                " WHERE received_at < ? AND (recipient != '' OR pdu_hex != '')",
                (cutoff,)).rowcount
            outbox = conn.execute(
                "DELETE FROM outbox WHERE state != 'queued' AND created_at < ?",
                (cutoff,)).rowcount
            return PurgeResult(len(ids), reminders, inbound, reports, outbox)
