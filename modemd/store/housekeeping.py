"""Housekeeping queries run by the scheduler: the retention purge and the 3-day report rule.

The monthly counter needs no query here: limits count billed parts per calendar month
straight from the messages table, so a new month starts at zero by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from modemd.clock import to_iso
from modemd.status import Status
from modemd.store.db import Database
from modemd.store.messages import record_history

NO_REPORT_TEXT = "no final status report within 3 days"


@dataclass(frozen=True)
class PurgeResult:
    messages: int
    reminders: int


class HousekeepingStore:
    """Bulk updates that keep the database lawful and its statuses final."""

    def __init__(self, db: Database):
        self.db = db

    def expire_reports(self, now: datetime, after: timedelta = timedelta(days=3)) -> list[int]:
        """Messages `sent`/`buffered` for longer than `after` without a final report become
        `undelivered` with reason `no_final_report`; their ids."""
        cutoff = to_iso(now - after)
        with self.db.transaction() as conn:
            ids = [r["id"] for r in conn.execute(
                "UPDATE messages SET status = 'undelivered', error_code = 'no_final_report',"
                " error_text = ?, updated_at = ?"
                " WHERE status IN ('sent', 'buffered') AND sent_at < ? RETURNING id",
                (NO_REPORT_TEXT, to_iso(now), cutoff)).fetchall()]
            for mid in ids:
                record_history(conn, mid, Status.UNDELIVERED, now,
                               f"no_final_report: {NO_REPORT_TEXT}")
            return ids

    def purge(self, now: datetime, retention_days: int) -> PurgeResult:
        """Blank texts and numbers older than the retention period.

        Messages keep their row, status, segments, key, times and error code (so statistics
        and counts survive); only `text` and `to_number` are emptied, and their history
        details are cleared in case a detail ever quoted content. A message still queued or
        being sent is never purged. Reminders are purged once their appointment is older
        than the retention period; the practice's appointment reference is kept.
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
            return PurgeResult(len(ids), reminders)
