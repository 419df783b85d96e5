"""The opt-out block list: numbers that asked not to get messages any more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from modemd.clock import from_iso, to_iso
from modemd.store.db import Database


@dataclass(frozen=True)
class BlockedNumber:
    number: str           # E.164
    added_at: datetime
    source: str           # "keyword" (the patient sent STOP…), "api" or "cli"
    inbound_id: int | None


class BlocklistStore:
    """Every read and write of the block list."""

    def __init__(self, db: Database):
        self.db = db

    def add(self, number: str, now: datetime, source: str,
            inbound_id: int | None = None) -> bool:
        """Block `number`; False if it was blocked already (the first entry is kept)."""
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO blocklist (number, added_at, source, inbound_id) VALUES (?,?,?,?)"
                " ON CONFLICT(number) DO NOTHING",
                (number, to_iso(now), source, inbound_id))
            return cur.rowcount > 0

    def remove(self, number: str) -> bool:
        """Unblock `number`; False if it was not blocked."""
        with self.db.transaction() as conn:
            return conn.execute("DELETE FROM blocklist WHERE number = ?", (number,)).rowcount > 0

    def contains(self, number: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM blocklist WHERE number = ?", (number,)))

    def get(self, number: str) -> BlockedNumber | None:
        rows = self.db.query("SELECT * FROM blocklist WHERE number = ?", (number,))
        return _entry(rows[0]) if rows else None

    def list(self) -> list[BlockedNumber]:
        """Every blocked number, newest first."""
        rows = self.db.query("SELECT * FROM blocklist ORDER BY added_at DESC, number")
        return [_entry(r) for r in rows]


def _entry(r) -> BlockedNumber:  # type: ignore[no-untyped-def]
    return BlockedNumber(r["number"], from_iso(r["added_at"]), r["source"],  # type: ignore
                         r["inbound_id"])
