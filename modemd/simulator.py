"""Simulated GSM modems on real ttys: `modemd simulate` and the test suite's modems.

Each modem is a pty pair whose slave appears under a stable path (DIR/gsm0, DIR/gsm1, …)
and answers 27.005/27.007 in PDU mode as a USB modem would, with latency and faults on
request. The parts live in `modemd.sim`: `profiles` (what differs per modem family),
`commands` and `sms` (the command set, pure), `pty` (the tty), `modem` (the serving thread,
latency, faults, recording).
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from modemd.sim.modem import ReceivedPdu, SimulatedModem
from modemd.sim.profiles import PROFILES, Profile, get_profile

__all__ = [
    "PROFILES", "Profile", "ReceivedPdu", "SimulatedModem", "SimulatedModemBank",
    "get_profile", "run_simulate_cli", "start_modems",
]


class SimulatedModemBank:
    """N simulated modems at DIR/gsm0 … DIR/gsm{N-1}, started and stopped together."""

    def __init__(self, directory: str | Path, n: int, latency: float = 0.0,
                 **kwargs: Any) -> None:
        """Configure `n` modems in `directory`; `kwargs` go to every SimulatedModem.

        A `seed` is varied per modem so that their random garbage differs.
        """
        self.directory = Path(directory)
        seed = kwargs.pop("seed", None)
        self.modems = [
            SimulatedModem(self.directory / f"gsm{i}", latency=latency,
                           seed=None if seed is None else seed + i, **kwargs)
            for i in range(n)
        ]

    def start(self) -> list[SimulatedModem]:
        """Start every modem (stopping those already started if one fails)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        started: list[SimulatedModem] = []
        try:
            for modem in self.modems:
                modem.start()
                started.append(modem)
        except BaseException:
            for modem in started:
                modem.stop()
            raise
        return self.modems

    def stop(self) -> None:
        """Stop every modem and remove its tty."""
        for modem in self.modems:
            modem.stop()

    def __enter__(self) -> SimulatedModemBank:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __getitem__(self, index: int) -> SimulatedModem:
        return self.modems[index]

    def __len__(self) -> int:
        return len(self.modems)


def start_modems(directory: str | Path, n: int, latency: float = 0.0,
                 **kwargs: Any) -> list[SimulatedModem]:
    """Start `n` modems at DIR/gsm0 … and return them; stop each with `.stop()`."""
    return SimulatedModemBank(directory, n, latency, **kwargs).start()


def run_simulate_cli(directory: str | Path, modems: int = 1, latency: float = 0.0,
                     profile: str = "generic") -> int:
    """`modemd simulate`: serve the modems until SIGINT/SIGTERM; returns the exit code."""
    try:
        get_profile(profile)
    except ValueError as exc:
        print(f"modemd simulate: {exc}", file=sys.stderr)
        return 2
    if modems < 1 or latency < 0:
        print("modemd simulate: --modems must be at least 1 and --latency not negative",
              file=sys.stderr)
        return 2
    bank = SimulatedModemBank(directory, modems, latency, profile=profile)
    try:
        bank.start()
    except OSError as exc:
        print(f"modemd simulate: cannot create the ttys in {directory}: {exc}", file=sys.stderr)
        return 1
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)
    try:
        for modem in bank.modems:
            print(f"{modem.name} → {modem.path}", flush=True)
        print(f"received PDUs are appended to {bank.directory}/<name>.pdus.jsonl; "
              "stop with Ctrl-C", flush=True)
        # Wake now and then: on some Pythons a bare wait() delays signal handlers.
        while not done.wait(0.5):
            pass
    finally:
        bank.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
