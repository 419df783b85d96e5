"""How many messages per second the API accepts (committed to SQLite before each answer).

Run by hand:  .venv/bin/python bench/api_throughput.py [--messages N] [--clients C]

The daemon runs as its own process (`modemd run --config …`, no modems, so every message
stays queued and only the accept path is measured); C client processes with keep-alive
connections POST messages as fast as the answers come.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import free_port  # noqa: E402

TEXT = "Erinnerung: Ihr Termin in der Praxis ist morgen um 9:30 Uhr. Bitte absagen: 0123-4567"


def client(port: int, key: str, n: int, offset: int, out: multiprocessing.Queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    ok = 0
    for i in range(n):
        body = json.dumps({"to": "+4917612345678", "text": TEXT,
                           "reference": f"bench-{offset + i}"})
        conn.request("POST", "/api/v1/messages", body, headers)
        resp = conn.getresponse()
        resp.read()
        ok += resp.status == 201
    out.put(ok)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--messages", type=int, default=20000)
    p.add_argument("--clients", type=int, default=8)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        cfg = Path(tmp) / "modemd.toml"
        cfg.write_text(f'[daemon]\ndata_dir = "{tmp}/data"\nlisten = "127.0.0.1:{port}"\n'
                       'log_level = "WARNING"\n')
        modemd = [sys.executable, "-m", "modemd"]
        key = subprocess.run([*modemd, "key", "create", "bench", "--config", str(cfg)],
                             capture_output=True, text=True, check=True,
                             cwd=ROOT).stdout.split()[-1]
        daemon = subprocess.Popen([*modemd, "run", "--config", str(cfg)], cwd=ROOT)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit("daemon did not start") from None
                    time.sleep(0.1)
            per = args.messages // args.clients
            out: multiprocessing.Queue = multiprocessing.Queue()
            procs = [multiprocessing.Process(target=client, args=(port, key, per, c * per, out))
                     for c in range(args.clients)]
            cpu0 = _cpu(daemon.pid)
            t0 = time.monotonic()
            for proc in procs:
                proc.start()
            accepted = sum(out.get() for _ in procs)
            elapsed = time.monotonic() - t0
            cpu = _cpu(daemon.pid) - cpu0
            for proc in procs:
                proc.join()
            rss = _rss_mib(daemon.pid)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)
    print(json.dumps({
        "clients": args.clients, "accepted": accepted, "elapsed_s": round(elapsed, 2),
        "accepted_per_s": round(accepted / elapsed, 1),
        "daemon_cpu_s": round(cpu, 2), "daemon_cpu_ms_per_message": round(cpu / accepted * 1000, 3),
        "daemon_rss_mib": rss, "cores": os.cpu_count(),
    }, indent=2))


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


if __name__ == "__main__":
    main()
