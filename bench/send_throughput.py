"""Send throughput and idle hand-off latency through simulated modems on real ptys.

Run by hand:  .venv/bin/python bench/send_throughput.py [--messages N] [--modems K] [--latency S]

Reports messages per minute against the limit the modems impose (K × 60 / latency for
single-part messages) and, with the queue idle, the time from the API's answer to the PDU
on the modem's tty.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modemd.clock import utcnow  # noqa: E402
from modemd.config import parse_config  # noqa: E402
from modemd.daemon import Daemon  # noqa: E402
from modemd.simulator import SimulatedModem  # noqa: E402
from tests.conftest import free_port  # noqa: E402


def post(base: str, key: str, to: str, text: str) -> dict:
    req = urllib.request.Request(
        base + "/api/v1/messages", data=json.dumps({"to": to, "text": text}).encode(),
        method="POST", headers={"Authorization": f"Bearer {key}",
                                "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def start(tmp: Path, modems: int, latency: float) -> tuple[Daemon, list[SimulatedModem], str]:
    (tmp / "tty").mkdir()
    sims = [SimulatedModem(tmp / "tty" / f"gsm{i}", latency=latency, pdu_log=False)
            for i in range(modems)]
    for s in sims:
        s.start()
    cfg = parse_config({
        "daemon": {"data_dir": str(tmp / "data"), "listen": f"127.0.0.1:{free_port()}",
                   "log_level": "WARNING"},
        "modem": [{"name": s.name, "port": str(s.path)} for s in sims],
    })
    daemon = Daemon(cfg)
    daemon.start()
    _, key = daemon.keys.create("bench", utcnow())
    deadline = time.monotonic() + 20
    while not all(c.ready for c in daemon.channels):
        if time.monotonic() > deadline:
            raise SystemExit("modems did not become ready")
        time.sleep(0.05)
    return daemon, sims, key


def throughput(base: str, key: str, sims: list[SimulatedModem], n: int, latency: float) -> dict:
    """Queue N single-part messages at once; time from the first PDU to the last."""
    before = sum(len(s.received) for s in sims)
    for i in range(n):
        post(base, key, "+4917612345678", f"Erinnerung {i:05d}: Ihr Termin ist morgen.")
    deadline = time.monotonic() + n * latency + 60
    while sum(len(s.received) for s in sims) - before < n:
        if time.monotonic() > deadline:
            raise SystemExit("not all messages were sent in time")
        time.sleep(0.01)
    stamps = sorted(r.at for s in sims for r in s.received[-n:])
    # The first PDU's answer marks the start; n-1 further answers follow.
    elapsed = stamps[-1] - stamps[0]
    rate = (n - 1) / elapsed * 60 if elapsed > 0 else float("inf")
    limit = len(sims) * 60 / latency
    return {"messages": n, "elapsed_s": round(elapsed, 3), "per_minute": round(rate, 1),
            "limit_per_minute": round(limit, 1), "share_of_limit": round(rate / limit, 4)}


def idle_latency(base: str, key: str, sims: list[SimulatedModem], rounds: int,
                 latency: float) -> dict:
    """With the queue empty: API answer → the whole PDU on a modem's tty, per message.

    The simulator stamps a PDU when it answers +CMGS, `latency` after the PDU's last byte
    arrived; subtracting it gives the moment the PDU was completely on the wire.
    """
    delays = []
    for i in range(rounds):
        before = {s.name: len(s.received) for s in sims}
        post(base, key, "+4917612345678", f"Leerlauf {i}")
        t_answer = time.monotonic()
        deadline = t_answer + 10
        new: list = []
        while not new:
            if time.monotonic() > deadline:
                raise SystemExit("idle message was not sent")
            new = [r for s in sims for r in s.received[before[s.name]:]]
            time.sleep(0.001)
        delays.append((new[0].at - latency - t_answer) * 1000)
        time.sleep(0.05)
    return {"rounds": rounds, "median_ms": round(statistics.median(delays), 2),
            "max_ms": round(max(delays), 2), "min_ms": round(min(delays), 2)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--messages", type=int, default=400)
    p.add_argument("--modems", type=int, default=2)
    p.add_argument("--latency", type=float, default=0.25)
    p.add_argument("--idle-rounds", type=int, default=50)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        daemon, sims, key = start(Path(tmp), args.modems, args.latency)
        try:
            result = {
                "modems": args.modems, "latency_s": args.latency,
                "throughput": throughput(daemon.url, key, sims, args.messages, args.latency),
                "idle_handoff": idle_latency(daemon.url, key, sims, args.idle_rounds,
                                             args.latency),
            }
        finally:
            daemon.stop()
            for s in sims:
                s.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
