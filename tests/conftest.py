"""Shared fixtures: simulated modems on real ptys, a running daemon, an API client."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gammu
import pytest

from modemd.clock import Clock, utcnow
from modemd.config import parse_config
from modemd.daemon import Daemon
from modemd.simulator import SimulatedModem


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, step: float = 0.02) -> Any:
    """Poll `predicate` (tests only) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(step)


@dataclass
class Api:
    base: str
    key: str

    def call(self, method: str, path: str, body: Any = None, *, key: str | None = None,
             raw: bytes | None = None, headers: dict[str, str] | None = None
             ) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        h = {"Content-Type": "application/json"}
        use = self.key if key is None else key
        if use:
            h["Authorization"] = f"Bearer {use}"
        h.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                text = resp.read()
                ctype = resp.headers.get("Content-Type", "")
                return resp.status, json.loads(text) if "json" in ctype else text.decode()
        except urllib.error.HTTPError as exc:
            text = exc.read()
            try:
                return exc.code, json.loads(text)
            except ValueError:
                return exc.code, text.decode(errors="replace")

    def send(self, to: str, text: str, **extra: Any) -> dict:
        status, body = self.call("POST", "/api/v1/messages", {"to": to, "text": text, **extra})
        assert status in (200, 201), body
        return body

    def message(self, mid: int) -> dict:
        status, body = self.call("GET", f"/api/v1/messages/{mid}")
        assert status == 200, body
        return body

    def wait_final(self, mid: int, timeout: float = 60.0,
                   statuses: tuple[str, ...] = ("sent", "failed")) -> dict:
        return wait_until(lambda: (m := self.message(mid))["status"] in statuses and m,
                          timeout=timeout)


@dataclass
class Running:
    daemon: Daemon
    api: Api
    modems: list[SimulatedModem]


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """Start a daemon with N simulated modems on real ptys; stops everything afterwards."""
    started: list[tuple[Daemon, list[SimulatedModem]]] = []

    def start(n_modems: int = 1, *, latency: float = 0.0, sms: dict | None = None,
              modems: list[SimulatedModem] | None = None, data_dir: Path | None = None,
              modem: dict | None = None, clock: Clock | None = None,
              extra: dict | None = None, sections: dict | None = None,
              wait_ready: bool = True) -> Running:
        sims = modems if modems is not None else []
        if modems is None:
            for i in range(n_modems):
                (tmp_path / "tty").mkdir(exist_ok=True)
                sim = SimulatedModem(tmp_path / "tty" / f"gsm{i}", latency=latency)
                sim.start()
                sims.append(sim)
        config = parse_config({
            "daemon": {"data_dir": str(data_dir or tmp_path / "data"),
                       "listen": f"127.0.0.1:{free_port()}"},
            "modem": [{"name": f"gsm{i}", "port": str(s.path), "send_timeout": 10.0,
                       "command_timeout": 3.0, **(modem or {})} for i, s in enumerate(sims)],
            "sms": {"retry_backoff": 0.05, **(sms or {})},
            **(extra or {}),
            **(sections or {}),
        })
        daemon = Daemon(config, clock=clock)
        daemon.start()
        started.append((daemon, sims))
        _, plain = daemon.keys.create(f"test{len(started)}", utcnow())
        api = Api(daemon.url, plain)
        if sims and wait_ready:
            wait_until(lambda: all(c.ready for c in daemon.channels), timeout=15)
        return Running(daemon, api, sims)

    yield start
    for daemon, sims in reversed(started):
        daemon.stop()
        for s in sims:
            s.stop()


def gammu_decode(pdus: list[str]) -> str:
    """Join and decode SMS-SUBMIT PDUs (with SMSC prefix) with libGammu, independently of us."""
    decoded = [gammu.DecodePDU(bytes.fromhex(p), SMSC=True) for p in pdus]
    if len(decoded) == 1 and not decoded[0]["UDH"]["Type"].startswith("Concatenated"):
        # Single parts: libGammu can run past a NUL into stale bytes (DESIGN.md quirks).
        return decoded[0]["Text"].split("\x00")[0]
    linked = gammu.LinkSMS([[d] for d in decoded])
    assert len(linked) == 1, "parts did not link into one message"
    return "".join(e["Buffer"] or "" for e in gammu.DecodeSMS(linked[0])["Entries"])
