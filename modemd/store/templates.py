"""Message templates, shared by every key of the practice, and the first-run seeding."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from modemd.clock import from_iso, to_iso
from modemd.store.db import Database


@dataclass(frozen=True)
class Template:
    id: int
    name: str
    text: str
    description: str
    created_at: datetime
    updated_at: datetime


class NameTaken(Exception):
    """Another template already has this name (names are compared without case)."""


class TemplateStore:
    """Every read and write of templates."""

    def __init__(self, db: Database):
        self.db = db

    def list(self, after_id: int | None = None, limit: int = 50) -> list[Template]:
        """Templates in order of creation, after the keyset cursor `after_id`."""
        rows = self.db.query(
            "SELECT * FROM templates WHERE id > ? ORDER BY id LIMIT ?", (after_id or 0, limit))
        return [_template(r) for r in rows]

    def get(self, template_id: int) -> Template | None:
        rows = self.db.query("SELECT * FROM templates WHERE id = ?", (template_id,))
        return _template(rows[0]) if rows else None

    def by_name(self, name: str) -> Template | None:
        rows = self.db.query("SELECT * FROM templates WHERE name = ?", (name,))
        return _template(rows[0]) if rows else None

    def add(self, name: str, text: str, description: str, now: datetime) -> Template:
        """Store a new template; NameTaken if the name is in use."""
        with self.db.transaction() as conn:
            try:
                cur = conn.execute(
                    "INSERT INTO templates (name, text, description, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?)", (name, text, description, to_iso(now), to_iso(now)))
            except sqlite3.IntegrityError:
                raise NameTaken(name) from None
            return _template(conn.execute(
                "SELECT * FROM templates WHERE id = ?", (cur.lastrowid,)).fetchone())

    def update(
        self, template_id: int, name: str, text: str, description: str, now: datetime,
    ) -> Template | None:
        """Replace a template's fields; None if it does not exist, NameTaken on a clash."""
        with self.db.transaction() as conn:
            try:
                cur = conn.execute(
                    "UPDATE templates SET name = ?, text = ?, description = ?, updated_at = ?"
                    " WHERE id = ?", (name, text, description, to_iso(now), template_id))
            except sqlite3.IntegrityError:
                raise NameTaken(name) from None
            if cur.rowcount == 0:
                return None
            return _template(conn.execute(
                "SELECT * FROM templates WHERE id = ?", (template_id,)).fetchone())

    def delete(self, template_id: int) -> Template | None:
        """Remove a template; returns what was removed, or None."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM templates WHERE id = ?", (template_id,)).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM templates WHERE id = ?", (template_id,))
            return _template(row)

    def seed_once(
        self, task: str, templates: Iterable[tuple[str, str, str]], now: datetime,
    ) -> int:
        """Add (name, text, description) rows the first time `task` runs on this database.

        Recorded in `first_run`, so templates the practice deleted do not come back on the next
        start. A name already in use is skipped. Returns how many were added.
        """
        with self.db.transaction() as conn:
            done = conn.execute("SELECT 1 FROM first_run WHERE task = ?", (task,)).fetchone()
            if done:
                return 0
            added = 0
            for name, text, description in templates:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO templates (name, text, description, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?)",
                    (name, text, description, to_iso(now), to_iso(now)))
                added += cur.rowcount
            conn.execute("INSERT INTO first_run (task, done_at) VALUES (?, ?)",
                         (task, to_iso(now)))
            return added


def _template(r: sqlite3.Row) -> Template:
    return Template(r["id"], r["name"], r["text"], r["description"],
                    from_iso(r["created_at"]), from_iso(r["updated_at"]))  # type: ignore[arg-type]
