"""Benchmark: plan N scheduled messages through the API of a real daemon and fire them.

The daemon (`modemd run`) and the simulated modems (`modemd simulate`, latency 0) run as
separate processes, so the daemon's memory is its own. Messages are planned over HTTP with
`send_at` spread evenly over `--spread` seconds, starting `--lead` seconds after the start.
Afterwards the database is read (read-only) for:

- hand-off lateness: the moment the scheduler released a message to `pending` (its history
  row) minus its `send_at` — the scheduler's own lateness;
- send lateness: `sent_at` (the modem accepted the last part) minus `send_at` — includes the
  queue behind the modems when messages fall due faster than the modems can send.

Usage: .venv/bin/python bench/scheduler_lateness.py [--messages 10000] [--spread 120]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def post(base: str, key: str, body: dict) -> dict:
    req = urllib.request.Request(
        base + "/api/v1/messages", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--spread", type=float, default=120.0, help="seconds over which they fall due")
    ap.add_argument("--lead", type=float, default=90.0, help="seconds until the first is due")
    ap.add_argument("--modems", type=int, default=2)
    ap.add_argument("--clients", type=int, default=8, help="parallel HTTP clients for planning")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="modemd-bench-"))
    procs: list[subprocess.Popen] = []
    try:
        sim = subprocess.Popen([PY, "-m", "modemd", "simulate", "--dir", str(tmp / "tty"),
                                "--modems", str(args.modems), "--latency", "0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(sim)
        ttys = [tmp / "tty" / f"gsm{i}" for i in range(args.modems)]
        deadline = time.monotonic() + 20
        while not all(p.exists() for p in ttys):
            if time.monotonic() > deadline:
                raise SystemExit("simulated modems did not appear")
            time.sleep(0.1)
        port = free_port()
        cfg = tmp / "modemd.toml"
        modems = "".join(f'[[modem]]\nname = "gsm{i}"\nport = "{p}"\n\n'
                         for i, p in enumerate(ttys))
        cfg.write_text(f'[daemon]\ndata_dir = "{tmp / "data"}"\nlisten = "127.0.0.1:{port}"\n'
                       f'log_level = "WARNING"\n\n{modems}[sms]\nstatus_reports = false\n')
        out = subprocess.run([PY, "-m", "modemd", "key", "create", "bench", "--config", str(cfg)],
                             check=True, capture_output=True, text=True).stdout
        key = out.strip().splitlines()[-1]
        with open(tmp / "daemon.log", "w") as log_file:   # the child keeps its own copy
            daemon = subprocess.Popen([PY, "-m", "modemd", "run", "--config", str(cfg)],
                                      stdout=subprocess.DEVNULL, stderr=log_file)
        procs.append(daemon)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    if json.loads(r.read())["modems"]["ready"] == args.modems:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("daemon did not become ready; see " + str(tmp / "daemon.log"))
            time.sleep(0.2)
        rss_idle, hwm_idle = rss_kib(daemon.pid)

        start = datetime.now(UTC)
        first_due = start + timedelta(seconds=args.lead)
        step = args.spread / args.messages
        bodies = [{"to": f"+49176{10000000 + i}", "text": f"Erinnerung {i}: Termin morgen.",
                   "send_at": iso(first_due + timedelta(seconds=i * step))}
                  for i in range(args.messages)]
        t0 = time.monotonic()
        with ThreadPoolExecutor(args.clients) as pool:
            results = list(pool.map(lambda b: post(base, key, b), bodies))
        plan_s = time.monotonic() - t0
        if any(r["status"] != "scheduled" for r in results):
            raise SystemExit(f"planning took {plan_s:.0f} s, longer than --lead; raise --lead")
        rss_planned = rss_kib(daemon.pid)[0]

        peak = [rss_planned]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak.append(rss_kib(daemon.pid)[0])
                stop.wait(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        db = sqlite3.connect(f"file:{tmp / 'data' / 'modemd.sqlite3'}?mode=ro", uri=True)
        end_wait = time.monotonic() + args.lead + args.spread + 600
        while True:
            left = db.execute("SELECT COUNT(*) FROM messages WHERE status != 'sent'").fetchone()[0]
            if left == 0:
                break
            if time.monotonic() > end_wait:
                raise SystemExit(f"{left} messages not sent in time")
            time.sleep(1)
        stop.set()
        sampler.join()
        rss_end, hwm = rss_kib(daemon.pid)

        rows = db.execute(
            "SELECT m.send_at, m.sent_at, (SELECT h.at FROM message_history h"
            " WHERE h.message_id = m.id AND h.status = 'pending' ORDER BY h.id LIMIT 1)"
            " FROM messages m").fetchall()
        handoff = [(parse(p) - parse(s)).total_seconds() * 1000 for s, _, p in rows]
        sendlat = [(parse(t) - parse(s)).total_seconds() * 1000 for s, t, _ in rows]
        early = sum(1 for h in handoff if h < 0)
        report = {
            "messages": args.messages, "spread_s": args.spread, "modems": args.modems,
            "planning_s": round(plan_s, 1),
            "planning_per_s": round(args.messages / plan_s),
            "handoff_ms": {"median": round(statistics.median(handoff), 1),
                           "p99": round(pct(handoff, 0.99), 1),
                           "worst": round(max(handoff), 1), "early": early},
            "send_ms": {"median": round(statistics.median(sendlat), 1),
                        "p99": round(pct(sendlat, 0.99), 1), "worst": round(max(sendlat), 1)},
            "daemon_rss_mib": {"idle": round(rss_idle / 1024, 1),
                               "hwm_at_idle": round(hwm_idle / 1024, 1),
                               "planned": round(rss_planned / 1024, 1),
                               "peak_sampled": round(max(peak) / 1024, 1),
                               "end": round(rss_end / 1024, 1),
                               "hwm": round(hwm / 1024, 1)},
            "cpu": os.cpu_count(),
        }
        print(json.dumps(report, indent=2))
        return 0 if early == 0 else 1
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    raise SystemExit(main())
