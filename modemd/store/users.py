"""Web UI users; passwords hashed with argon2id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from modemd.clock import to_iso
from modemd.errors import StoreError
from modemd.store.db import Database

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of both answers alike.
_DUMMY_HASH = _hasher.hash("modemd-no-such-user")


@dataclass(frozen=True)
class User:
    id: int
    name: str


class UserStore:
    """Create users and check their passwords."""

    def __init__(self, db: Database):
        self.db = db

    def add(self, name: str, password: str, now: datetime) -> User:
        """Create a user; refuses an existing name and passwords under 8 characters."""
        if not name or len(name) > 64:
            raise StoreError("a user name must have 1 to 64 characters")
        if len(password) < 8:
            raise StoreError("the password must have at least 8 characters")
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise StoreError(f"a user named {name!r} exists already")
            cur = conn.execute(
                "INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?)",
                (name, _hasher.hash(password), to_iso(now)),
            )
        assert cur.lastrowid is not None
        return User(cur.lastrowid, name)

    def verify(self, name: str, password: str) -> User | None:
        """The user if `password` is right, else None."""
        rows = self.db.query("SELECT id, name, password_hash FROM users WHERE name = ?", (name,))
        stored = rows[0]["password_hash"] if rows else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        return User(rows[0]["id"], rows[0]["name"]) if rows else None

    def set_password(self, name: str, password: str) -> bool:
        """Replace a user's password; False if there is no such user."""
        if len(password) < 8:
            raise StoreError("the password must have at least 8 characters")
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE users SET password_hash = ? WHERE name = ?",
                (_hasher.hash(password), name),
            )
            return cur.rowcount > 0

    def list(self) -> list[User]:
        """Every user, by name."""
        return [User(r["id"], r["name"])
                for r in self.db.query("SELECT id, name FROM users ORDER BY name")]

    def remove(self, name: str) -> bool:
        """Delete a user; False if there is no such user. Their sessions end at once."""
        with self.db.transaction() as conn:
            return conn.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount > 0

    def stamp(self, uid: int) -> str | None:
        """A short fingerprint of the user's current password hash (None: no such user).

        Sessions carry it, so that a new password or a removed user ends every session
        made before, even those of another process (the CLI changes users).
        """
        rows = self.db.query("SELECT password_hash FROM users WHERE id = ?", (uid,))
        if not rows:
            return None
        return hashlib.sha256(rows[0]["password_hash"].encode()).hexdigest()[:16]
