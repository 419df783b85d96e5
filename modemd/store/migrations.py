"""Schema migrations, numbered by position; `PRAGMA user_version` records the last applied.

Never edit a migration that has shipped: append a new one.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: keys, users, messages with their parts (one row per PDU) and status history.
    """
    CREATE TABLE api_keys (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        secret_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        key_id INTEGER NOT NULL REFERENCES api_keys(id),
        reference TEXT,
        to_number TEXT NOT NULL,
        text TEXT NOT NULL,
        encoding TEXT NOT NULL,
        segments INTEGER NOT NULL,
        concat_ref INTEGER NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        send_at TEXT,
        due_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        channel TEXT,
        pinned_channel TEXT,
        sent_at TEXT,
        delivered_at TEXT,
        error_code TEXT,
        error_text TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX messages_key_reference ON messages(key_id, reference)
        WHERE reference IS NOT NULL;
    CREATE INDEX messages_queue ON messages(status, due_at)
        WHERE status IN ('scheduled', 'pending');
    CREATE INDEX messages_key_id ON messages(key_id, id);
    CREATE INDEX messages_status ON messages(status, id);
    CREATE TABLE message_parts (
        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        channel TEXT,
        message_ref INTEGER,
        sent_at TEXT,
        PRIMARY KEY (message_id, seq)
    );
    CREATE INDEX message_parts_ref ON message_parts(channel, message_ref, sent_at);
    CREATE TABLE message_history (
        id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        at TEXT NOT NULL,
        detail TEXT
    );
    CREATE INDEX message_history_message ON message_history(message_id, id)
    """,
    # 2 (issue 3, costs): per-key monthly limits, the month index of the statistics, message
    # templates, and first-run tasks (the starter templates are seeded once, not per start).
    """
    ALTER TABLE api_keys ADD COLUMN monthly_limit INTEGER;
    CREATE INDEX messages_month ON messages(COALESCE(send_at, created_at), key_id);
    CREATE TABLE templates (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        text TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE first_run (
        task TEXT PRIMARY KEY,
        done_at TEXT NOT NULL
    )
    """,
]
