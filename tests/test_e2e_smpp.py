"""The SMPP upstream end to end: the daemon against a real SMPP 3.4 server (smpp34)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import smpp34

from tests.conftest import wait_until
from tests.smppserver import SmppServer, join_parts

GSM_LONG = ("Praxis Dr. Müller: Ihr Termin am 14.03. um 09:30 Uhr ist bestätigt. Bitte bringen "
            "Sie Ihre Versichertenkarte mit. Kosten ggf. 10 € {Zuzahlung}. Absagen bitte bis "
            "24 Stunden vorher unter 030 1234567. Vielen Dank!")
UCS2 = "Grüße aus der Praxis 😀 – bis bald!"


@pytest.fixture
def smsc() -> Iterator[SmppServer]:
    server = SmppServer()
    server.start()
    yield server
    server.close()


def smpp_section(server: SmppServer, **extra: object) -> dict:
    return {"smpp": {"mode": "primary", "host": "127.0.0.1", "port": server.port,
                     "system_id": "modemd", "password": "geheim", "source_addr": "Praxis",
                     "window": 3, "reconnect_max_seconds": 1, "submit_timeout": 5,
                     **extra}}


def smpp_channel(daemon):  # type: ignore[no-untyped-def]
    return next(c for c in daemon.channels if c.name == "smpp")


def parts_of(server: SmppServer, message: dict) -> list:
    ids = {p["remote_id"] for p in message["parts"]}
    return [s for s in server.submitted if s.message_id in ids]


def test_primary_sends_receipts_and_mo(start_daemon, smsc):
    run = start_daemon(0, extra=smpp_section(smsc))
    wait_until(lambda: smpp_channel(run.daemon).ready)
    api = run.api
    long_id = api.send("+491701234567", GSM_LONG)["id"]
    ucs_id = api.send("+491701234568", UCS2)["id"]
    long_msg, ucs_msg = api.wait_final(long_id), api.wait_final(ucs_id)
    assert long_msg["status"] == ucs_msg["status"] == "sent"
    assert long_msg["channel"] == "smpp"

    long_parts, ucs_parts = parts_of(smsc, long_msg), parts_of(smsc, ucs_msg)
    assert len(long_parts) == long_msg["segments"] == 2
    assert join_parts(long_parts) == GSM_LONG
    assert join_parts(ucs_parts) == UCS2
    assert {(p.data_coding, p.esm_class) for p in long_parts} == {(0, 0x40)}
    assert ucs_parts[0].data_coding == 8
    first = long_parts[0]
    assert (first.source_addr, first.source_addr_ton) == ("Praxis", 5)
    assert first.destination_addr == "491701234567" and first.registered_delivery == 1

    # Receipts: every part DELIVRD → delivered; UNDELIV → undelivered.
    smsc.receipt(long_parts[0], "DELIVRD")
    assert api.message(long_id)["status"] == "sent"  # one of two parts only
    smsc.receipt(long_parts[1], "DELIVRD")
    smsc.receipt(ucs_parts[0], "ENROUTE")
    wait_until(lambda: api.message(long_id)["status"] == "delivered")
    wait_until(lambda: api.message(ucs_id)["status"] == "buffered")
    smsc.receipt(ucs_parts[0], "UNDELIV")
    wait_until(lambda: api.message(ucs_id)["status"] == "undelivered")

    # A mobile-originated message appears as inbound from "smpp".
    smsc.mo("491701234568", "Danke, passt 👍")
    status, body = api.call("GET", "/api/v1/inbound")
    assert status == 200
    got = wait_until(lambda: api.call("GET", "/api/v1/inbound")[1]["inbound"])
    assert (got[0]["from"], got[0]["text"], got[0]["modem"]) == (
        "+491701234568", "Danke, passt 👍", "smpp")

    status, body = api.call("GET", "/api/v1/channels")
    smpp = next(c for c in body["channels"] if c["name"] == "smpp")
    assert (smpp["type"], smpp["state"], smpp["ready"]) == ("smpp", "bound", True)
    assert "geheim" not in str(body)
    assert api.call("GET", "/api/v1/modems")[1] == {"modems": []}


def test_throttling_permanent_errors_and_reconnect(start_daemon, smsc):
    run = start_daemon(0, extra=smpp_section(smsc, window=1))
    channel = smpp_channel(run.daemon)
    wait_until(lambda: channel.ready)
    api = run.api

    smsc.reject_next.extend([smpp34.ESME_RTHROTTLED, smpp34.ESME_RMSGQFUL])
    throttled = api.wait_final(api.send("+491701234567", "Erinnerung")["id"])
    assert throttled["status"] == "sent"
    details = " ".join(h["detail"] or "" for h in throttled["history"])
    assert "smpp_esme_rthrottled" in details and "smpp_esme_rmsgqful" in details
    assert len(parts_of(smsc, throttled)) == 1

    smsc.reject_next.append(smpp34.ESME_RINVDSTADR)
    bad = api.wait_final(api.send("+491701234569", "Erinnerung")["id"])
    assert bad["status"] == "failed"
    assert bad["error"]["code"] == "smpp_esme_rinvdstadr"

    # The server goes away; queued messages wait, nothing is lost or doubled.
    before = len(smsc.submitted)
    smsc.stop()
    wait_until(lambda: not channel.ready)
    ids = [api.send("+49170123457" + str(i), GSM_LONG)["id"] for i in range(3)]
    assert all(api.message(i)["status"] in ("pending", "sending") for i in ids)
    smsc.start()
    for i in ids:
        assert api.wait_final(i)["status"] == "sent"
    assert len(smsc.submitted) == before + 6
    assert sorted(join_parts(parts_of(smsc, api.message(i))) for i in ids) == [GSM_LONG] * 3


def test_fallback_takes_nothing_while_a_modem_is_ready(start_daemon, smsc):
    run = start_daemon(1, extra=smpp_section(smsc, mode="fallback"))
    api = run.api
    wait_until(lambda: smpp_channel(run.daemon).ready)
    first = [api.send("+491701234567", f"Termin {i}")["id"] for i in range(3)]
    assert {api.wait_final(i)["channel"] for i in first} == {"gsm0"}
    assert smsc.submitted == []

    run.modems[0].unplug()
    wait_until(lambda: not run.daemon.channels[0].ready)
    later = [api.send("+491701234567", f"Termin {i}")["id"] for i in range(3)]
    assert {api.wait_final(i)["channel"] for i in later} == {"smpp"}
    assert len(smsc.submitted) == 3


def test_fallback_takes_a_message_left_waiting(start_daemon, smsc):
    run = start_daemon(1, extra=smpp_section(smsc, mode="fallback",
                                             fallback_after_seconds=0.5))
    api = run.api
    wait_until(lambda: smpp_channel(run.daemon).ready)
    run.modems[0].set_latency(0.4)  # the modem is busy with a long message for seconds
    busy = api.send("+491701234567", GSM_LONG * 2)["id"]
    wait_until(lambda: api.message(busy)["status"] == "sending")
    waiting = api.send("+491701234568", "Bitte zurückrufen")["id"]
    assert api.wait_final(waiting)["channel"] == "smpp"
    assert api.wait_final(busy, timeout=30)["channel"] == "gsm0"


def test_the_dashboard_shows_the_smpp_channel_next_to_the_modems(start_daemon, smsc):
    from modemd.clock import utcnow
    from tests.test_webui_security import PASSWORD, USER, Client

    run = start_daemon(1, extra=smpp_section(smsc, mode="fallback"))
    wait_until(lambda: smpp_channel(run.daemon).ready)
    run.daemon.users.add(USER, PASSWORD, utcnow())
    client = Client(run.daemon.url)
    client.login()
    status, _, page = client.request("GET", "/modems")
    assert status == 200
    assert 'data-name="gsm0"' in page and 'data-name="smpp"' in page
    assert "SMPP-Anbieter" in page and "Ausweichweg" in page and "verbunden" in page
    assert "geheim" not in page  # the SMPP password never reaches a page
