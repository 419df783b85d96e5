"""The store: migrations, idempotent accept, atomic claims, resume after a crash."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from modemd.clock import utcnow
from modemd.errors import StoreError
from modemd.store import Database, KeyStore, MessageFilter, MessageStore, NewMessage, UserStore
from modemd.store.schedule import Decision, ScheduleStore


@pytest.fixture
def db(tmp_path):
    d = Database(tmp_path / "m.sqlite3")
    yield d
    d.close()


@pytest.fixture
def key(db):
    k, _ = KeyStore(db).create("praxis", utcnow())
    return k


def _new(key, **kw):
    base = dict(key_id=key.id, to="+4917612345678", text="Hallo", encoding="gsm7", segments=1)
    base.update(kw)
    return NewMessage(**base)


def test_schema_is_versioned_and_reopen_is_idempotent(tmp_path):
    d = Database(tmp_path / "x.sqlite3")
    version = d.schema_version
    assert version >= 1
    d.close()
    d2 = Database(tmp_path / "x.sqlite3")
    assert d2.schema_version == version
    assert d2.query("PRAGMA journal_mode")[0][0] == "wal"
    d2.close()


def test_add_creates_parts_and_history(db, key):
    store = MessageStore(db)
    msg, created = store.add(_new(key, segments=3), utcnow())
    assert created
    assert [p.seq for p in msg.parts] == [1, 2, 3]
    assert all(p.message_ref is None for p in msg.parts)
    assert [h.status for h in msg.history] == ["pending"]
    assert msg.concat_ref == msg.id % 256


def test_reference_is_idempotent_per_key(db, key):
    store = MessageStore(db)
    other, _ = KeyStore(db).create("filiale", utcnow())
    a, c1 = store.add(_new(key, reference="r1"), utcnow())
    b, c2 = store.add(_new(key, reference="r1", text="different"), utcnow())
    c, c3 = store.add(_new(other, reference="r1"), utcnow())
    assert (c1, c2, c3) == (True, False, True)
    assert a.id == b.id and b.text == "Hallo"
    assert c.id != a.id


def test_messages_are_visible_only_to_their_key(db, key):
    store = MessageStore(db)
    other, _ = KeyStore(db).create("filiale", utcnow())
    msg, _ = store.add(_new(key), utcnow())
    assert store.get(msg.id, key.id) is not None
    assert store.get(msg.id, other.id) is None
    assert store.list(MessageFilter(), other.id) == []


def test_concurrent_claims_never_take_a_message_twice(db, key):
    store = MessageStore(db)
    for _ in range(200):
        store.add(_new(key), utcnow())
    taken: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while (msg := store.claim(name, utcnow())) is not None:
            with lock:
                taken.append(msg.id)

    threads = [threading.Thread(target=worker, args=(f"gsm{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 200
    assert len(set(taken)) == 200


def test_claim_respects_due_time_and_pinning(db, key):
    store = MessageStore(db)
    now = utcnow()
    later, _ = store.add(_new(key, send_at=now + timedelta(hours=1)), now)
    assert later.status == "scheduled"
    assert store.claim("gsm0", now) is None
    # Scheduled messages are the scheduler's: claimable only once released to pending.
    assert store.next_due("gsm0") is None
    assert store.claim("gsm0", now + timedelta(hours=1)) is None
    ScheduleStore(db).settle(now + timedelta(hours=1), [Decision(later.id, "release")])
    assert store.next_due("gsm0") == later.due_at
    assert store.claim("gsm0", now + timedelta(hours=1)).id == later.id

    pinned, _ = store.add(_new(key, segments=2), now)
    msg = store.claim("gsm0", now)
    store.record_part_sent(msg.id, 1, "gsm0", 17, now)
    store.requeue(msg.id, now, now, "modem gsm0 went away", count_attempt=False)
    assert store.claim("gsm1", now) is None
    resumed = store.claim("gsm0", now)
    assert resumed.id == pinned.id
    assert [(p.seq, p.message_ref) for p in resumed.parts] == [(1, 17), (2, None)]


def test_recover_interrupted_and_cancel(db, key):
    store = MessageStore(db)
    now = utcnow()
    a, _ = store.add(_new(key), now)
    b, _ = store.add(_new(key), now)
    store.claim("gsm0", now)
    assert store.cancel(a.id, key.id, now) == "sending"
    assert store.cancel(b.id, key.id, now) is None
    assert store.cancel(b.id, key.id, now) == "cancelled"
    assert store.cancel(9999, key.id, now) == "not_found"
    assert store.recover_interrupted(now) == 1
    assert store.get(a.id).status == "pending"
    assert [h.status for h in store.get(a.id).history] == ["pending", "sending", "pending"]


def test_keys_are_stored_hashed_and_revocable(db):
    keys = KeyStore(db)
    k, plain = keys.create("empfang", utcnow())
    assert plain not in str(db.query("SELECT * FROM api_keys")[0][:])
    assert keys.authenticate(plain).id == k.id
    assert keys.authenticate(plain + "x") is None
    assert keys.authenticate("") is None
    with pytest.raises(StoreError, match="exists already"):
        keys.create("empfang", utcnow())
    assert keys.revoke("empfang", utcnow())
    assert keys.authenticate(plain) is None


def test_users_passwords_are_argon2(db):
    users = UserStore(db)
    users.add("anna", "geheim123", utcnow())
    assert db.query("SELECT password_hash FROM users")[0][0].startswith("$argon2")
    assert users.verify("anna", "geheim123").name == "anna"
    assert users.verify("anna", "falsch123") is None
    assert users.verify("bob", "geheim123") is None
    with pytest.raises(StoreError):
        users.add("kurz", "123", utcnow())


def test_rejected_messages_are_kept_but_never_claimed(db, key):
    store = MessageStore(db)
    msg, _ = store.add(_new(key, rejected=("monthly_limit", "limit reached")), utcnow())
    assert msg.status == "rejected" and msg.error_code == "monthly_limit"
    assert store.claim("gsm0", utcnow()) is None
