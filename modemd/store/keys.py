"""API keys: stored as SHA-256 of a random secret, looked up by that hash.

API keys are 256-bit random tokens, so a fast hash is as safe as a slow one and keeps
every API call cheap; passwords (low entropy, chosen by people) use argon2 in users.py.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from modemd.clock import from_iso, to_iso
from modemd.errors import StoreError
from modemd.store.db import Database

KEY_PREFIX = "mdk_"


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked: bool
    monthly_limit: int | None = None  # most SMS parts per month for this key; None: no limit


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class KeyStore:
    """Create, find and revoke API keys."""

    def __init__(self, db: Database):
        self.db = db

    def create(
        self, name: str, now: datetime, monthly_limit: int | None = None,
    ) -> tuple[ApiKey, str]:
        """Make a key named `name`; returns it and the plain secret (shown once, never stored).

        `monthly_limit`: most SMS parts per month for this key (None or 0: no limit).
        """
        if not name or len(name) > 64:
            raise StoreError("a key name must have 1 to 64 characters")
        monthly_limit = _limit(monthly_limit)
        plain = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM api_keys WHERE name = ?", (name,)).fetchone():
                raise StoreError(f"a key named {name!r} exists already")
            cur = conn.execute(
                "INSERT INTO api_keys (name, prefix, secret_hash, created_at, monthly_limit)"
                " VALUES (?, ?, ?, ?, ?)",
                (name, plain[:10], _hash(plain), to_iso(now), monthly_limit),
            )
        assert cur.lastrowid is not None
        return ApiKey(cur.lastrowid, name, plain[:10], now, False, monthly_limit), plain

    def set_limit(self, name: str, monthly_limit: int | None) -> bool:
        """Set (or with None/0 remove) the monthly limit of the live key `name`; False if none."""
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE api_keys SET monthly_limit = ? WHERE name = ? AND revoked_at IS NULL",
                (_limit(monthly_limit), name),
            )
            return cur.rowcount > 0

    def authenticate(self, plain: str) -> ApiKey | None:
        """The live key matching `plain`, or None."""
        if not plain or not plain.startswith(KEY_PREFIX) or len(plain) > 128:
            return None
        rows = self.db.query(
            "SELECT * FROM api_keys WHERE secret_hash = ? AND revoked_at IS NULL", (_hash(plain),)
        )
        return _key(rows[0]) if rows else None

    def list(self) -> list[ApiKey]:
        """All keys, revoked ones included."""
        return [_key(r) for r in self.db.query("SELECT * FROM api_keys ORDER BY id")]

    def revoke(self, name: str, now: datetime) -> bool:
        """Revoke the key called `name`; False if there is no live key of that name."""
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (to_iso(now), name),
            )
            return cur.rowcount > 0

    def ensure(self, name: str, now: datetime) -> ApiKey:
        """The key called `name`, made if missing (owner of messages sent by the web UI)."""
        rows = self.db.query("SELECT * FROM api_keys WHERE name = ?", (name,))
        if rows:
            return _key(rows[0])
        key, _ = self.create(name, now)
        return key


def _limit(value: int | None) -> int | None:
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StoreError("a monthly limit must be a whole number of SMS, 0 for none")
    return value


def _key(r) -> ApiKey:  # type: ignore[no-untyped-def]
    return ApiKey(r["id"], r["name"], r["prefix"], from_iso(r["created_at"]),  # type: ignore[arg-type]
                  r["revoked_at"] is not None, r["monthly_limit"])
