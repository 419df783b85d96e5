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
    # 2: scheduled sends and reminders (issue 5): expiry per message, queue indexes by status
    #    (the scheduler releases `scheduled`, the dispatcher claims `pending`), reminders and
    #    the link from a reminder to the messages planned for it.
    """
    ALTER TABLE messages ADD COLUMN expires_at TEXT;
    CREATE INDEX messages_scheduled_due ON messages(due_at) WHERE status = 'scheduled';
    CREATE INDEX messages_pending_due ON messages(due_at, id) WHERE status = 'pending';
    CREATE INDEX messages_expiry ON messages(expires_at)
        WHERE expires_at IS NOT NULL AND status IN ('scheduled', 'pending');
    CREATE INDEX messages_created ON messages(created_at);
    CREATE TABLE reminders (
        id INTEGER PRIMARY KEY,
        key_id INTEGER NOT NULL REFERENCES api_keys(id),
        reference TEXT NOT NULL,
        to_number TEXT NOT NULL,
        appointment_at TEXT NOT NULL,
        leads TEXT NOT NULL,
        text TEXT NOT NULL,
        expires_at TEXT,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX reminders_key_reference ON reminders(key_id, reference);
    CREATE INDEX reminders_appointment ON reminders(appointment_at);
    CREATE TABLE reminder_messages (
        message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
        reminder_id INTEGER NOT NULL REFERENCES reminders(id) ON DELETE CASCADE,
        lead TEXT NOT NULL,
        appointment_at TEXT NOT NULL
    );
    CREATE INDEX reminder_messages_reminder ON reminder_messages(reminder_id)
    """,
]
