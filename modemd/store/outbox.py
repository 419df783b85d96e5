"""The persistent outbox: e-mails and webhook calls waiting to be delivered, with retries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modemd.clock import from_iso, to_iso
from modemd.store.db import Database


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str                 # "mail" | "webhook"
    payload: dict[str, Any]
    created_at: datetime
    attempts: int
    next_attempt_at: datetime
    state: str                # "queued" | "sent" | "failed"
    last_error: str | None


class OutboxStore:
    """Every read and write of the outbox."""

    def __init__(self, db: Database):
        self.db = db

    def add(self, kind: str, payload: dict[str, Any], now: datetime,
            dedupe_key: str | None = None) -> int | None:
        """Queue an item; None when an item with the same `dedupe_key` was queued before."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "INSERT INTO outbox (kind, dedupe_key, payload, created_at, next_attempt_at)"
                " VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING RETURNING id",
                (kind, dedupe_key, json.dumps(payload, ensure_ascii=False), to_iso(now),
                 to_iso(now))).fetchone()
            return None if row is None else int(row["id"])

    def next_due(self, kind: str, now: datetime) -> OutboxItem | None:
        """The oldest queued item of `kind` whose attempt is due."""
        rows = self.db.query(
            "SELECT * FROM outbox WHERE kind = ? AND state = 'queued' AND next_attempt_at <= ?"
            " ORDER BY next_attempt_at, id LIMIT 1", (kind, to_iso(now)))
        return _item(rows[0]) if rows else None

    def next_attempt_at(self, kind: str) -> datetime | None:
        """When the earliest queued item of `kind` is due (None: nothing queued)."""
        rows = self.db.query(
            "SELECT MIN(next_attempt_at) AS due FROM outbox WHERE kind = ? AND state = 'queued'",
            (kind,))
        return from_iso(rows[0]["due"]) if rows and rows[0]["due"] else None

    def mark_sent(self, item_id: int, now: datetime) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE outbox SET state = 'sent', done_at = ?, attempts = attempts + 1,"
                         " last_error = NULL WHERE id = ?", (to_iso(now), item_id))

    def mark_retry(self, item_id: int, due: datetime, error: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?,"
                         " last_error = ? WHERE id = ?", (to_iso(due), error[:500], item_id))

    def mark_failed(self, item_id: int, now: datetime, error: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE outbox SET state = 'failed', done_at = ?, attempts = attempts + 1,"
                         " last_error = ? WHERE id = ?", (to_iso(now), error[:500], item_id))

    def list(self, kind: str | None = None, limit: int = 100) -> list[OutboxItem]:
        """Items newest first (for the operator and tests)."""
        if kind is None:
            rows = self.db.query("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self.db.query("SELECT * FROM outbox WHERE kind = ? ORDER BY id DESC LIMIT ?",
                                 (kind, limit))
        return [_item(r) for r in rows]

    def counts(self) -> dict[tuple[str, str], int]:
        """How many items per (kind, state), for metrics."""
        rows = self.db.query("SELECT kind, state, COUNT(*) AS n FROM outbox GROUP BY kind, state")
        return {(r["kind"], r["state"]): r["n"] for r in rows}


def _item(r) -> OutboxItem:  # type: ignore[no-untyped-def]
    return OutboxItem(
        id=r["id"], kind=r["kind"], payload=json.loads(r["payload"]),
        created_at=from_iso(r["created_at"]), attempts=r["attempts"],  # type: ignore[arg-type]
        next_attempt_at=from_iso(r["next_attempt_at"]), state=r["state"],  # type: ignore
        last_error=r["last_error"],
    )
