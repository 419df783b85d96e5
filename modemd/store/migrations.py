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
    # 2 (issue 4): received messages and their parts, status reports, per-part report
    # status, the opt-out block list and the persistent outbox for e-mail and webhooks.
    """
    CREATE TABLE inbound_messages (
        id INTEGER PRIMARY KEY,
        modem TEXT NOT NULL,
        sender TEXT,
        text TEXT NOT NULL,
        encoding TEXT,
        received_at TEXT NOT NULL,
        sc_timestamp TEXT,
        parts_total INTEGER NOT NULL DEFAULT 1,
        parts_received INTEGER NOT NULL DEFAULT 1,
        complete INTEGER NOT NULL DEFAULT 1,
        in_reply_to INTEGER REFERENCES messages(id) ON DELETE SET NULL,
        opt_out INTEGER NOT NULL DEFAULT 0,
        raw_pdu TEXT,
        error TEXT
    );
    CREATE INDEX inbound_messages_sender ON inbound_messages(sender, id);
    CREATE TABLE inbound_parts (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL UNIQUE,
        modem TEXT NOT NULL,
        sender TEXT NOT NULL,
        concat_ref INTEGER,
        concat_total INTEGER,
        concat_seq INTEGER,
        ref_bits INTEGER,
        pdu_hex TEXT NOT NULL,
        received_at TEXT NOT NULL,
        message_id INTEGER REFERENCES inbound_messages(id) ON DELETE CASCADE
    );
    CREATE INDEX inbound_parts_open ON inbound_parts(modem, sender, concat_ref, concat_total)
        WHERE message_id IS NULL;
    CREATE TABLE status_reports (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL UNIQUE,
        modem TEXT NOT NULL,
        message_ref INTEGER NOT NULL,
        recipient TEXT NOT NULL,
        sc_timestamp TEXT NOT NULL,
        discharge_time TEXT NOT NULL,
        tp_status INTEGER NOT NULL,
        received_at TEXT NOT NULL,
        pdu_hex TEXT NOT NULL,
        message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
        seq INTEGER
    );
    CREATE INDEX status_reports_unmatched ON status_reports(modem, message_ref)
        WHERE message_id IS NULL;
    ALTER TABLE message_parts ADD COLUMN tp_status INTEGER;
    ALTER TABLE message_parts ADD COLUMN reported_at TEXT;
    CREATE TABLE blocklist (
        number TEXT PRIMARY KEY,
        added_at TEXT NOT NULL,
        source TEXT NOT NULL,
        inbound_id INTEGER REFERENCES inbound_messages(id) ON DELETE SET NULL
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        dedupe_key TEXT,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        next_attempt_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'queued',
        done_at TEXT,
        last_error TEXT
    );
    CREATE UNIQUE INDEX outbox_dedupe ON outbox(kind, dedupe_key) WHERE dedupe_key IS NOT NULL;
    CREATE INDEX outbox_due ON outbox(kind, next_attempt_at) WHERE state = 'queued'
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
    # 4 (issue 5): scheduled sends and reminders: expiry per message, queue indexes by status
    # (the scheduler releases `scheduled`, the dispatcher claims `pending`), reminders and the
    # link from a reminder to the messages planned for it.
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
    # 5 (SMPP upstream): the provider's message id of a part sent over SMPP (a string, not a
    # TP-MR), and of a delivery receipt, so receipts match parts by it.
    """
    ALTER TABLE message_parts ADD COLUMN remote_id TEXT;
    CREATE INDEX message_parts_remote ON message_parts(channel, remote_id)
        WHERE remote_id IS NOT NULL;
    ALTER TABLE status_reports ADD COLUMN remote_id TEXT;
    CREATE INDEX status_reports_remote ON status_reports(modem, remote_id)
        WHERE remote_id IS NOT NULL AND message_id IS NULL
    """,
    # 6: the billed units of each message as segmented (septets or UTF-16 units): with a
    # national locking table they cannot be recomputed from the text alone.
    """
    ALTER TABLE messages ADD COLUMN units INTEGER
    """,
]
