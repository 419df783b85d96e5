"""Status reports as received, the parts they belong to, and the message status they imply."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from modemd.clock import from_iso, to_iso
from modemd.status import Status
from modemd.store.db import Database
from modemd.store.messages import record_history


@dataclass(frozen=True)
class NewReport:
    fingerprint: str
    modem: str
    message_ref: int
    recipient: str
    sc_timestamp: datetime
    discharge_time: datetime
    tp_status: int
    received_at: datetime
    pdu_hex: str


@dataclass(frozen=True)
class StoredReport:
    id: int
    modem: str
    message_ref: int
    recipient: str
    sc_timestamp: datetime
    discharge_time: datetime
    tp_status: int
    received_at: datetime
    message_id: int | None
    seq: int | None


@dataclass(frozen=True)
class CandidatePart:
    """A sent part that a report could belong to."""

    message_id: int
    seq: int
    to: str
    sent_at: datetime
    part_status: str
    message_status: str
    error_code: str | None


class ReportStore:
    """Every read and write of status reports and of what they change."""

    def __init__(self, db: Database):
        self.db = db

    def transaction(self):  # type: ignore[no-untyped-def]
        return self.db.transaction()

    def add(self, r: NewReport) -> int | None:
        """Keep a report; None if the same report (same modem, same PDU) is already kept."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "INSERT INTO status_reports (fingerprint, modem, message_ref, recipient,"
                " sc_timestamp, discharge_time, tp_status, received_at, pdu_hex)"
                " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(fingerprint) DO NOTHING RETURNING id",
                (r.fingerprint, r.modem, r.message_ref, r.recipient, to_iso(r.sc_timestamp),
                 to_iso(r.discharge_time), r.tp_status, to_iso(r.received_at), r.pdu_hex),
            ).fetchone()
            return None if row is None else int(row["id"])

    def add_receipt(self, r: NewReport, remote_id: str) -> int | None:
        """Keep an SMPP delivery receipt (`pdu_hex` holds its text; `message_ref` is -1)."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "INSERT INTO status_reports (fingerprint, modem, message_ref, recipient,"
                " sc_timestamp, discharge_time, tp_status, received_at, pdu_hex, remote_id)"
                " VALUES (?,?,-1,?,?,?,?,?,?,?) ON CONFLICT(fingerprint) DO NOTHING"
                " RETURNING id",
                (r.fingerprint, r.modem, r.recipient, to_iso(r.sc_timestamp),
                 to_iso(r.discharge_time), r.tp_status, to_iso(r.received_at), r.pdu_hex,
                 remote_id),
            ).fetchone()
            return None if row is None else int(row["id"])

    def remote_id_of(self, report_id: int) -> str | None:
        """The provider's message id an SMPP receipt names (None for a modem's report)."""
        rows = self.db.query("SELECT remote_id FROM status_reports WHERE id = ?", (report_id,))
        return rows[0]["remote_id"] if rows else None

    def unmatched_receipts(self, channel: str, remote_id: str) -> list[StoredReport]:
        """SMPP receipts for `remote_id` not yet tied to a part (they overtook the resp)."""
        rows = self.db.query(
            "SELECT * FROM status_reports WHERE message_id IS NULL AND modem = ?"
            " AND remote_id = ? ORDER BY id", (channel, remote_id))
        return [_report(r) for r in rows]

    def part_by_remote_id(self, channel: str, remote_id: str) -> CandidatePart | None:
        """The part the provider accepted under `remote_id`, newest first if ever repeated."""
        rows = self.db.query(
            "SELECT p.message_id, p.seq, p.sent_at, p.status AS part_status, m.to_number,"
            " m.status AS message_status, m.error_code FROM message_parts p"
            " JOIN messages m ON m.id = p.message_id"
            " WHERE p.channel = ? AND p.remote_id = ? AND p.sent_at IS NOT NULL"
            " ORDER BY p.sent_at DESC LIMIT 1", (channel, remote_id))
        if not rows:
            return None
        r = rows[0]
        return CandidatePart(r["message_id"], r["seq"], r["to_number"],
                             from_iso(r["sent_at"]), r["part_status"],  # type: ignore[arg-type]
                             r["message_status"], r["error_code"])

    def get(self, report_id: int) -> StoredReport | None:
        rows = self.db.query("SELECT * FROM status_reports WHERE id = ?", (report_id,))
        return _report(rows[0]) if rows else None

    def unmatched(self, modem: str | None = None, message_ref: int | None = None,
                  received_after: datetime | None = None, limit: int = 500
                  ) -> list[StoredReport]:
        """Reports not (yet) tied to a part, oldest first."""
        where, params = ["message_id IS NULL", "remote_id IS NULL"], []
        if modem is not None:
            where.append("modem = ?")
            params.append(modem)
        if message_ref is not None:
            where.append("message_ref = ?")
            params.append(message_ref)
        if received_after is not None:
            where.append("received_at >= ?")
            params.append(to_iso(received_after))
        rows = self.db.query(
            f"SELECT * FROM status_reports WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
            (*params, limit))
        return [_report(r) for r in rows]

    def list(self, *, matched: bool | None = None, before_id: int | None = None,
             limit: int = 50) -> list[StoredReport]:
        """Reports newest first, optionally only matched or only unmatched ones."""
        where, params = [], []
        if matched is not None:
            where.append("message_id IS NOT NULL" if matched else "message_id IS NULL")
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        sql = "SELECT * FROM status_reports"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self.db.query(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
        return [_report(r) for r in rows]

    def candidates(self, modem: str, message_ref: int) -> list[CandidatePart]:
        """Sent parts with this modem and message reference, newest first."""
        rows = self.db.query(
            "SELECT p.message_id, p.seq, p.sent_at, p.status AS part_status, m.to_number,"
            " m.status AS message_status, m.error_code FROM message_parts p"
            " JOIN messages m ON m.id = p.message_id"
            " WHERE p.channel = ? AND p.message_ref = ? AND p.sent_at IS NOT NULL"
            " ORDER BY p.sent_at DESC, p.message_id DESC",
            (modem, message_ref),
        )
        return [CandidatePart(r["message_id"], r["seq"], r["to_number"],
                              from_iso(r["sent_at"]), r["part_status"],  # type: ignore[arg-type]
                              r["message_status"], r["error_code"]) for r in rows]

    def attach(self, report_id: int, message_id: int, seq: int) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE status_reports SET message_id = ?, seq = ? WHERE id = ?",
                         (message_id, seq, report_id))

    def set_part_status(self, message_id: int, seq: int, status: str, tp_status: int,
                        now: datetime) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE message_parts SET status = ?, tp_status = ?, reported_at = ?"
                " WHERE message_id = ? AND seq = ?",
                (status, tp_status, to_iso(now), message_id, seq))

    def part_statuses(self, message_id: int) -> list[tuple[int, str, int | None]]:
        """(seq, status, tp_status) of every part of a message."""
        rows = self.db.query(
            "SELECT seq, status, tp_status FROM message_parts WHERE message_id = ? ORDER BY seq",
            (message_id,))
        return [(r["seq"], r["status"], r["tp_status"]) for r in rows]

    def message_status(self, message_id: int) -> tuple[str, str | None] | None:
        """(status, error_code) of a message."""
        rows = self.db.query("SELECT status, error_code FROM messages WHERE id = ?",
                             (message_id,))
        return (rows[0]["status"], rows[0]["error_code"]) if rows else None

    def set_message_status(
        self, message_id: int, status: Status, now: datetime, detail: str | None,
        error: tuple[str, str] | None = None, delivered_at: datetime | None = None,
    ) -> None:
        """Move a message to a status the reports imply, with a history entry."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE messages SET status = ?, updated_at = ?,"
                " delivered_at = COALESCE(?, delivered_at),"
                " error_code = CASE WHEN ? THEN ? ELSE error_code END,"
                " error_text = CASE WHEN ? THEN ? ELSE error_text END WHERE id = ?",
                (status.value, to_iso(now), to_iso(delivered_at), error is not None,
                 error[0] if error else None, error is not None, error[1] if error else None,
                 message_id))
            record_history(conn, message_id, status, now, detail)

    def add_history(self, message_id: int, status: str, now: datetime, detail: str) -> None:
        with self.db.transaction() as conn:
            record_history(conn, message_id, status, now, detail)

    def unreported_since(self, sent_before: datetime) -> list[int]:
        """Messages still waiting for a final report that were sent before the time given."""
        rows = self.db.query(
            "SELECT id FROM messages WHERE status IN ('sent', 'buffered') AND sent_at < ?"
            " ORDER BY id", (to_iso(sent_before),))
        return [r["id"] for r in rows]


def _report(r: sqlite3.Row) -> StoredReport:
    return StoredReport(
        id=r["id"], modem=r["modem"], message_ref=r["message_ref"], recipient=r["recipient"],
        sc_timestamp=from_iso(r["sc_timestamp"]),  # type: ignore[arg-type]
        discharge_time=from_iso(r["discharge_time"]),  # type: ignore[arg-type]
        tp_status=r["tp_status"], received_at=from_iso(r["received_at"]),  # type: ignore
        message_id=r["message_id"], seq=r["seq"],
    )
