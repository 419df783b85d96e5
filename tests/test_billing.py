"""Monthly limits and accounting: cost rules, billing rules, limits end to end, statistics."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from modemd.accounting import Accounting
from modemd.billing import CostModel, month_of, month_window, parse_month
from modemd.cli import main
from modemd.clock import ManualClock
from modemd.store import BillingStore, Database, KeyStore, MessageStore, NewMessage

BERLIN = ZoneInfo("Europe/Berlin")
NUMBER = "+4917612345678"


# --- cost rules and months (pure) ---------------------------------------------------------
def test_per_sms_cost() -> None:
    m = CostModel("per_sms", price_per_sms=0.08)
    assert m.cost(0) == Decimal("0.00")
    assert m.cost(151) == Decimal("12.08")
    assert m.share(3, 151) == Decimal("0.24")


def test_package_cost_adds_packages_automatically() -> None:
    m = CostModel("package", package_size=150, package_price=12.0)
    assert [m.packages(n) for n in (0, 1, 150, 151, 300, 301)] == [1, 1, 1, 2, 2, 3]
    assert m.cost(0) == Decimal("12.00")  # the package is paid even when unused
    assert m.cost(151) == Decimal("24.00")
    assert m.share(50, 200) == Decimal("6.00")  # a quarter of the parts, a quarter of 24


def test_month_window_in_the_practice_time_zone() -> None:
    start, end = month_window("2026-03", BERLIN)
    assert start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)  # CET, UTC+1
    assert end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # CEST since 29 March, UTC+2
    assert month_of(datetime(2026, 3, 31, 21, 59, tzinfo=UTC), BERLIN) == "2026-03"
    assert month_of(datetime(2026, 3, 31, 22, 0, tzinfo=UTC), BERLIN) == "2026-04"
    assert month_window("2026-12", BERLIN)[1] == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    for bad in ("2026-13", "2026-3", "26-03", "März"):
        with pytest.raises(ValueError):
            parse_month(bad)


# --- billing rules in the store ----------------------------------------------------------
@pytest.fixture
def books(tmp_path):
    db = Database(tmp_path / "m.sqlite3")
    clock = ManualClock(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    messages, keys = MessageStore(db), KeyStore(db)
    key, _ = keys.create("praxis", clock.now())
    accounting = Accounting(BillingStore(db, messages), keys, timezone="Europe/Berlin",
                            monthly_limit=0, cost=CostModel(), clock=clock)
    yield messages, accounting, key, clock
    db.close()


def _new(key_id: int, segments: int = 1, **kw) -> NewMessage:
    return NewMessage(key_id=key_id, to=NUMBER, text="x" * segments, encoding="gsm7",
                      segments=segments, **kw)


def test_billing_rules(books) -> None:
    messages, accounting, key, clock = books
    now = clock.now()

    def add(segments: int = 1, **kw):
        return accounting.accept(_new(key.id, segments, **kw), now)[0]

    delivered = add(2)
    for seq in (1, 2):
        messages.record_part_sent(delivered.id, seq, "gsm0", seq, now)
    messages.mark_sent(delivered.id, now)
    with messages.db.transaction() as conn:  # the status-report issue sets this status
        conn.execute("UPDATE messages SET status = 'delivered' WHERE id = ?", (delivered.id,))
        undelivered = add(1)
        conn.execute("UPDATE messages SET status = 'undelivered' WHERE id = ?",
                     (undelivered.id,))
    never = add(3)  # failed before the network saw any part: not billed
    messages.mark_failed(never.id, now, "cms_21", "rejected")
    half = add(3)  # one of three parts accepted, then failed: that part is billed
    messages.record_part_sent(half.id, 1, "gsm0", 7, now)
    messages.mark_failed(half.id, now, "cms_21", "rejected")
    add(1, rejected=("monthly_limit", "limit"))
    queued = add(2)
    cancelled = add(1)
    messages.cancel(cancelled.id, None, now)

    stats = accounting.stats("2026-03")
    t = stats["total"]
    assert (t["messages"], t["sent"], t["delivered"], t["undelivered"], t["failed"],
            t["rejected"], t["cancelled"], t["queued"]) == (7, 3, 1, 1, 2, 1, 1, 1)
    assert t["segments"] == 2 + 1 + 1  # delivered, undelivered (billed anyway), half
    assert t["cost"] == pytest.approx(0.32)
    assert t["limit"]["used"] == 4 + 2  # billed plus the queued message's reserve
    assert queued.status == "pending"
    assert stats["keys"][0]["key"] == "praxis" and stats["keys"][0]["segments"] == 4
    assert accounting.stats("2026-04")["total"]["messages"] == 0


def test_scheduled_message_counts_in_its_month(books) -> None:
    messages, accounting, key, clock = books
    later = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
    accounting.accept(_new(key.id, 2, send_at=later), clock.now())
    assert accounting.stats("2026-03")["total"]["limit"]["used"] == 0
    assert accounting.stats("2026-04")["total"]["limit"]["used"] == 2


def test_repeated_reference_is_not_rejected_again(books) -> None:
    messages, accounting, key, clock = books
    limited = Accounting(accounting.billing, accounting.keys, timezone="Europe/Berlin",
                         monthly_limit=1, cost=CostModel(), clock=clock)
    first, created = limited.accept(_new(key.id, reference="r1"), clock.now())
    assert created and first.status == "pending"
    again, created = limited.accept(_new(key.id, reference="r1"), clock.now())
    assert not created and again.id == first.id and again.status == "pending"
    other, _ = limited.accept(_new(key.id, reference="r2"), clock.now())
    assert other.status == "rejected" and other.error_code == "monthly_limit"


# --- limits end to end through the simulated modem ---------------------------------------
def test_the_message_that_crosses_the_limit_is_rejected_and_a_new_month_starts_clean(
    start_daemon,
) -> None:
    # 23:00 Berlin summer time on 31 March; the new month begins at 22:00 UTC.
    clock = ManualClock(datetime(2026, 3, 31, 21, 0, tzinfo=UTC))
    run = start_daemon(1, sms={"monthly_limit": 3}, clock=clock)
    api, sim = run.api, run.modems[0]
    accepted = [api.send(NUMBER, f"Nachricht {i}") for i in range(3)]
    for m in accepted:
        assert api.wait_final(m["id"])["status"] == "sent"

    status, body = api.call("POST", "/api/v1/messages", {"to": NUMBER, "text": "Nummer 4"})
    assert status == 429
    assert body["error"]["code"] == "monthly_limit" and "3 of 3" in body["error"]["message"]
    status, after = api.call("POST", "/api/v1/messages", {"to": NUMBER, "text": "Nummer 5"})
    assert status == 429
    listed = api.call("GET", "/api/v1/messages?status=rejected")[1]["messages"]
    assert [m["text"] for m in listed] == ["Nummer 5", "Nummer 4"]
    assert all(m["error"]["code"] == "monthly_limit" for m in listed)

    clock.advance(timedelta(minutes=59))  # 23:59 local: still March
    assert api.call("POST", "/api/v1/messages", {"to": NUMBER, "text": "Nummer 6"})[0] == 429
    assert len(sim.received) == 3  # none after the limit reached the modem

    status, stats = api.call("GET", "/api/v1/stats?month=2026-03")
    assert status == 200
    t = stats["total"]
    assert (t["sent"], t["rejected"], t["segments"], t["cost"]) == (3, 3, 3, 0.24)
    assert t["limit"] == {"monthly_limit": 3, "used": 3, "remaining": 0}

    clock.advance(timedelta(minutes=2))  # 00:01 on 1 April, Berlin
    fresh = api.send(NUMBER, "Neuer Monat")
    assert api.wait_final(fresh["id"])["status"] == "sent"
    assert len(sim.wait_for_pdus(4, timeout=20)) == 4
    status, stats = api.call("GET", "/api/v1/stats")  # this month by default
    assert stats["month"] == "2026-04"
    assert (stats["total"]["sent"], stats["total"]["rejected"]) == (1, 0)


def test_per_key_limit(start_daemon) -> None:
    run = start_daemon(0)
    key, plain = run.daemon.keys.create("filiale", datetime.now(UTC), monthly_limit=2)
    api = run.api
    two = "x" * 200  # two parts
    assert api.call("POST", "/api/v1/messages", {"to": NUMBER, "text": two}, key=plain)[0] \
        == 201
    status, body = api.call("POST", "/api/v1/messages",
                            {"to": NUMBER, "text": "y", "reference": "r-1"}, key=plain)
    assert status == 429 and "'filiale'" in body["error"]["message"]
    # The same reference again gets the same answer, and no second message is stored.
    again = api.call("POST", "/api/v1/messages",
                     {"to": NUMBER, "text": "y", "reference": "r-1"}, key=plain)
    assert again == (status, body)
    assert api.call("POST", "/api/v1/messages", {"to": NUMBER, "text": "y"})[0] == 201
    stats = api.call("GET", "/api/v1/stats")[1]
    by_key = {k["key"]: k for k in stats["keys"]}
    assert by_key["filiale"]["limit"] == {"monthly_limit": 2, "used": 2, "remaining": 0}
    assert by_key["filiale"]["rejected"] == 1 and by_key["test1"]["rejected"] == 0


def test_limit_is_race_free_under_concurrent_posts(start_daemon) -> None:
    run = start_daemon(0, sms={"monthly_limit": 10})
    results: list[int] = []
    lock = threading.Lock()

    def post(i: int) -> None:
        status, _ = run.api.call("POST", "/api/v1/messages", {"to": NUMBER, "text": f"m{i}"})
        with lock:
            results.append(status)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201] * 10 + [429] * 20
    stats = run.api.call("GET", "/api/v1/stats")[1]["total"]
    assert (stats["queued"], stats["rejected"], stats["limit"]["used"]) == (10, 20, 10)


def test_stats_with_the_package_model_and_bad_month(start_daemon) -> None:
    run = start_daemon(0, sections={"billing": {"model": "package", "package_size": 2,
                                                "package_price": 5.0}})
    status, stats = run.api.call("GET", "/api/v1/stats?month=2026-03")
    assert status == 200
    assert stats["billing"] == {"model": "package", "currency": "EUR", "package_size": 2,
                                "package_price": 5.0, "packages": 1}
    assert stats["total"]["cost"] == 5.0
    status, body = run.api.call("GET", "/api/v1/stats?month=03-2026")
    assert status == 422 and body["error"]["field"] == "month"
    assert run.api.call("GET", "/api/v1/stats", key="")[0] == 401


def test_cli_key_limits(tmp_path, capsys) -> None:
    config = tmp_path / "modemd.toml"
    config.write_text(f'[daemon]\ndata_dir = "{tmp_path / "data"}"\n')
    assert main(["key", "create", "filiale", "--monthly-limit", "150",
                 "--config", str(config)]) == 0
    assert main(["key", "list", "--config", str(config)]) == 0
    assert "limit 150/month" in capsys.readouterr().out
    assert main(["key", "limit", "filiale", "0", "--config", str(config)]) == 0
    assert main(["key", "list", "--config", str(config)]) == 0
    assert "no own limit" in capsys.readouterr().out
    assert main(["key", "limit", "nobody", "5", "--config", str(config)]) == 2
    db = Database(tmp_path / "data" / "modemd.sqlite3")
    try:
        assert KeyStore(db).list()[0].monthly_limit is None
    finally:
        db.close()


def test_cli_stats(start_daemon, capsys) -> None:
    run = start_daemon(0)
    run.api.send(NUMBER, "x")
    assert main(["stats", "--url", run.api.base, "--key", run.api.key]) == 0
    out = capsys.readouterr().out
    assert "test1\t1\t0\t0\t0\t0\t0\t0\t0.00 EUR" in out and "total\t1\t" in out
    assert main(["stats", "--month", "2026-13", "--url", run.api.base,
                 "--key", run.api.key]) == 3
