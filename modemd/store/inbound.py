"""Received messages and the parts they are built from (kept on disk until assembled)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from modemd.clock import from_iso, to_iso
from modemd.store.db import Database

_REPLY_STATUSES = "('sent', 'buffered', 'delivered', 'undelivered')"


@dataclass(frozen=True)
class NewInbound:
    """A received message ready to be committed."""

    modem: str
    sender: str | None
    text: str
    encoding: str | None
    received_at: datetime
    sc_timestamp: datetime | None = None
    parts_total: int = 1
    parts_received: int = 1
    complete: bool = True
    in_reply_to: int | None = None
    raw_pdu: str | None = None    # kept when the text cannot be shown (malformed, 8-bit)
    error: str | None = None      # why a PDU could not be decoded


@dataclass(frozen=True)
class InboundMessage:
    id: int
    modem: str
    sender: str | None
    text: str
    encoding: str | None
    received_at: datetime
    sc_timestamp: datetime | None
    parts_total: int
    parts_received: int
    complete: bool
    in_reply_to: int | None
    opt_out: bool
    raw_pdu: str | None
    error: str | None


@dataclass(frozen=True)
class StoredPart:
    id: int
    pdu_hex: str
    received_at: datetime


@dataclass(frozen=True)
class OpenGroup:
    """An incomplete multipart message waiting for parts."""

    modem: str
    sender: str
    ref_bits: int
    ref: int
    total: int
    first_received_at: datetime


class InboundStore:
    """Every read and write of received messages and their parts."""

    def __init__(self, db: Database):
        self.db = db

    def transaction(self):  # type: ignore[no-untyped-def]
        """The database transaction (re-entrant), for services that write several things."""
        return self.db.transaction()

    # --- parts -----------------------------------------------------------------------------
    def add_part(
        self, fingerprint: str, modem: str, sender: str, pdu_hex: str, now: datetime,
        group: tuple[int, int, int, int] | None = None,
    ) -> int | None:
        """Keep one received PDU; None if a PDU with this fingerprint is already kept.

        `group` is (ref_bits, ref, total, seq) for a part of a multipart message.
        """
        bits, ref, total, seq = group if group else (None, None, None, None)
        with self.db.transaction() as conn:
            row = conn.execute(
                "INSERT INTO inbound_parts (fingerprint, modem, sender, concat_ref, concat_total,"
                " concat_seq, ref_bits, pdu_hex, received_at) VALUES (?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(fingerprint) DO NOTHING RETURNING id",
                (fingerprint, modem, sender, ref, total, seq, bits, pdu_hex, to_iso(now)),
            ).fetchone()
            return None if row is None else int(row["id"])

    def open_parts(
        self, modem: str, sender: str, ref_bits: int, ref: int, total: int
    ) -> list[StoredPart]:
        """The parts of one group not yet assembled, oldest first."""
        rows = self.db.query(
            "SELECT id, pdu_hex, received_at FROM inbound_parts WHERE message_id IS NULL"
            " AND modem = ? AND sender = ? AND ref_bits = ? AND concat_ref = ?"
            " AND concat_total = ? ORDER BY id",
            (modem, sender, ref_bits, ref, total),
        )
        return [StoredPart(r["id"], r["pdu_hex"], from_iso(r["received_at"]))  # type: ignore
                for r in rows]

    def drop_part(self, part_id: int) -> None:
        """Forget a kept part that turned out to be refused by the assembler."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM inbound_parts WHERE id = ?", (part_id,))

    def expired_groups(self, received_before: datetime) -> list[OpenGroup]:
        """Incomplete groups whose first part arrived before `received_before`."""
        rows = self.db.query(
            "SELECT modem, sender, ref_bits, concat_ref, concat_total,"
            " MIN(received_at) AS first FROM inbound_parts WHERE message_id IS NULL"
            " AND concat_ref IS NOT NULL"
            " GROUP BY modem, sender, ref_bits, concat_ref, concat_total"
            " HAVING MIN(received_at) < ?",
            (to_iso(received_before),),
        )
        return [OpenGroup(r["modem"], r["sender"], r["ref_bits"], r["concat_ref"],
                          r["concat_total"], from_iso(r["first"]))  # type: ignore[arg-type]
                for r in rows]

    # --- messages --------------------------------------------------------------------------
    def add_message(self, new: NewInbound, part_ids: list[int]) -> int:
        """Commit a received message and tie its parts to it."""
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO inbound_messages (modem, sender, text, encoding, received_at,"
                " sc_timestamp, parts_total, parts_received, complete, in_reply_to, raw_pdu,"
                " error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (new.modem, new.sender, new.text, new.encoding, to_iso(new.received_at),
                 to_iso(new.sc_timestamp), new.parts_total, new.parts_received,
                 int(new.complete), new.in_reply_to, new.raw_pdu, new.error),
            )
            message_id = int(cur.lastrowid)  # type: ignore[arg-type]
            conn.executemany("UPDATE inbound_parts SET message_id = ? WHERE id = ?",
                             [(message_id, pid) for pid in part_ids])
            return message_id

    def mark_opt_out(self, inbound_id: int) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE inbound_messages SET opt_out = 1 WHERE id = ?", (inbound_id,))

    def get(self, inbound_id: int) -> InboundMessage | None:
        rows = self.db.query("SELECT * FROM inbound_messages WHERE id = ?", (inbound_id,))
        return _message(rows[0]) if rows else None

    def list(
        self, *, since: datetime | None = None, before_id: int | None = None, limit: int = 50
    ) -> list[InboundMessage]:
        """Received messages, newest first (keyset cursor on the id)."""
        where, params = [], []
        if since is not None:
            where.append("received_at >= ?")
            params.append(to_iso(since))
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        sql = "SELECT * FROM inbound_messages"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        return [_message(r) for r in self.db.query(sql, tuple(params))]

    def last_outbound_to(self, number: str, sent_after: datetime) -> int | None:
        """The id of the newest message handed to the network for `number` since then."""
        rows = self.db.query(
            "SELECT id FROM messages WHERE to_number = ? AND sent_at IS NOT NULL"
            f" AND sent_at >= ? AND status IN {_REPLY_STATUSES}"
            " ORDER BY sent_at DESC, id DESC LIMIT 1",
            (number, to_iso(sent_after)),
        )
        return int(rows[0]["id"]) if rows else None


def _message(r: sqlite3.Row) -> InboundMessage:
    return InboundMessage(
        id=r["id"], modem=r["modem"], sender=r["sender"], text=r["text"],
        encoding=r["encoding"], received_at=from_iso(r["received_at"]),  # type: ignore[arg-type]
        sc_timestamp=from_iso(r["sc_timestamp"]), parts_total=r["parts_total"],
        parts_received=r["parts_received"], complete=bool(r["complete"]),
        in_reply_to=r["in_reply_to"], opt_out=bool(r["opt_out"]), raw_pdu=r["raw_pdu"],
        error=r["error"],
    )
