"""A daemon killed with SIGKILL in the middle of a multipart message resumes it part by part.

Both run as real processes: `modemd simulate` keeps the modem alive across the daemon's
death, exactly as a USB modem outlives a crashed daemon.
"""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import gammu

from tests.conftest import Api, free_port, wait_until

MODEMD = [sys.executable, "-m", "modemd"]
TEXT = "Teil " * 120  # 600 septets: 4 parts


def _accepted(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def test_sigkill_mid_message_then_restart_sends_every_part_once(tmp_path):
    tty = tmp_path / "tty"
    sim = subprocess.Popen([*MODEMD, "simulate", "--dir", str(tty), "--latency", "0.3"],
                           stdout=subprocess.PIPE, text=True)
    port = free_port()
    cfg = tmp_path / "modemd.toml"
    cfg.write_text(f'[daemon]\ndata_dir = "data"\nlisten = "127.0.0.1:{port}"\n'
                   f'[[modem]]\nname = "gsm0"\nport = "{tty}/gsm0"\n')
    daemon = None
    try:
        assert "gsm0" in sim.stdout.readline()
        key = subprocess.run([*MODEMD, "key", "create", "k", "--config", str(cfg)],
                             capture_output=True, text=True, check=True).stdout.split()[-1]
        api = Api(f"http://127.0.0.1:{port}", key)
        daemon = subprocess.Popen([*MODEMD, "run", "--config", str(cfg)],
                                  stderr=subprocess.DEVNULL)
        wait_until(lambda: _ready(api), timeout=45)
        msg = api.send("+4917612345678", TEXT)
        assert msg["segments"] == 4
        log = tty / "gsm0.pdus.jsonl"
        wait_until(lambda: len(_accepted(log)) >= 2, timeout=45)
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=10)
        time.sleep(0.5)  # the part in flight, if any, is answered to nobody

        daemon = subprocess.Popen([*MODEMD, "run", "--config", str(cfg)],
                                  stderr=subprocess.DEVNULL)
        wait_until(lambda: _ready(api), timeout=45)
        done = api.wait_final(msg["id"], timeout=60)
        assert done["status"] == "sent"
        assert any(h["detail"] == "resumed after restart" for h in done["history"])
        seqs = collections.Counter(
            gammu.DecodePDU(bytes.fromhex(p["pdu"]), SMSC=True)["UDH"]["PartNumber"]
            for p in _accepted(log))
        assert set(seqs) == {1, 2, 3, 4}
        # Parts whose reference was committed are never sent again; only a part that was on
        # its way to the network at the moment of the kill may go out a second time.
        assert sum(seqs.values()) - 4 <= 1
        recorded = {p["seq"]: p["message_ref"] for p in done["parts"]}
        assert all(ref is not None for ref in recorded.values())
    finally:
        if daemon and daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=20)
        sim.send_signal(signal.SIGTERM)
        sim.wait(timeout=10)


def _ready(api: Api) -> bool:
    try:
        status, body = api.call("GET", "/api/v1/modems")
    except OSError:
        return False
    return status == 200 and body["modems"][0]["state"] == "ready"
