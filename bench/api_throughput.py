"""How many messages per second the API accepts (committed to SQLite before each answer).

Run by hand:  .venv/bin/python bench/api_throughput.py [--messages N] [--clients C] [--batch N]

The daemon runs as its own process (`modemd run --config …`, no modems, so every message
stays queued and only the accept path is measured); C client processes with keep-alive
connections POST messages as fast as the answers come, to numbers drawn at random from 5,000
distinct valid German mobile numbers (in the three ways patient records write them), so no
cache can live off one number. `--batch N` sends N messages per `POST /api/v1/messages/batch`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
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


# German mobile prefixes and how many subscriber digits follow them (all valid per libphonenumber).
_PREFIXES = {p: 8 for p in ("151", "152", "157", "159")} | {
    p: 7 for p in ("160", "162", "163", "170", "171", "172", "173", "174", "175", "176", "177",
                   "178", "179", "1511", "1512", "1515", "1520", "1522", "1570", "1573", "1590")}


def numbers(n: int = 5000, seed: int = 7) -> list[str]:
    """`n` distinct valid German mobile numbers, written the ways patient records hold them."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        prefix = rng.choice(sorted(_PREFIXES))
        rest = "".join(rng.choice("0123456789") for _ in range(_PREFIXES[prefix]))
        if prefix + rest in seen:
            continue
        seen.add(prefix + rest)
        style = len(out) % 3
        out.append(f"+49{prefix}{rest}" if style == 0 else
                   f"0{prefix}{rest}" if style == 1 else f"0{prefix} / {rest[:3]} {rest[3:]}")
    return out


def client(port: int, key: str, n: int, offset: int, batch: int,
           out: multiprocessing.Queue) -> None:
    """POST `n` messages (one per request, or `batch` per batch request); put the accepted."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    rng = random.Random(offset)
    spread = numbers()
    ok = 0
    items = [{"to": rng.choice(spread), "text": TEXT, "reference": f"bench-{offset + i}"}
             for i in range(n)]
    if batch:
        for start in range(0, n, batch):
            body = json.dumps({"messages": items[start:start + batch]})
            conn.request("POST", "/api/v1/messages/batch", body, headers)
            resp = conn.getresponse()
            answer = json.loads(resp.read())
            ok += sum(r["status"] == 201 for r in answer["results"])
    else:
        for item in items:
            conn.request("POST", "/api/v1/messages", json.dumps(item), headers)
            resp = conn.getresponse()
            resp.read()
            ok += resp.status == 201
    out.put(ok)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--messages", type=int, default=20000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--batch", type=int, default=0,
                   help="messages per POST /api/v1/messages/batch (0: one per request)")
    p.add_argument("--threads", type=int, default=0,
                   help="daemon.http_threads of the daemon (0: the default)")
    p.add_argument("--profile", metavar="SVG",
                   help="record the daemon with py-spy (.svg: flame graph, else collapsed stacks)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        cfg = Path(tmp) / "modemd.toml"
        cfg.write_text(f'[daemon]\ndata_dir = "{tmp}/data"\nlisten = "127.0.0.1:{port}"\n'
                       'log_level = "WARNING"\n'
                       + (f"http_threads = {args.threads}\n" if args.threads else ""))
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
            procs = [multiprocessing.Process(target=client,
                                             args=(port, key, per, c * per, args.batch, out))
                     for c in range(args.clients)]
            spy = None
            if args.profile:
                spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record",
                                        "-o", args.profile, "-p", str(daemon.pid), "-r", "200",
                                        "--gil", "-f", "flamegraph" if args.profile.endswith(".svg")
                                        else "raw"])
                time.sleep(1)
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
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)
    print(json.dumps({
        "clients": args.clients, "batch": args.batch, "threads": args.threads or "default",
        "accepted": accepted,
        "elapsed_s": round(elapsed, 2),
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
