"""The `modemd` command line, run as a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import serial

from tests.conftest import Api, free_port, wait_until

MODEMD = [sys.executable, "-m", "modemd"]
GERMAN_300 = ("Guten Tag Herr Öztürk, Ihr Kontrolltermin in der Zahnarztpraxis am Markt ist am "
              "Donnerstag, 16. März, um 8:15 Uhr. Bitte denken Sie an Ihre Versichertenkarte. "
              "Wenn Sie den Termin nicht wahrnehmen können, rufen Sie uns bitte bis spätestens "
              "einen Tag vorher an. Wir freuen uns auf Ihren Besuch! Ihr Praxisteam am Markt.")


def run(*args: str, stdin: str | None = None, env: dict | None = None,
        ) -> subprocess.CompletedProcess:
    return subprocess.run([*MODEMD, *args], input=stdin, capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})})


def write_config(tmp_path: Path, port: int, extra: str = "") -> Path:
    cfg = tmp_path / "modemd.toml"
    cfg.write_text(f'[daemon]\ndata_dir = "data"\nlisten = "127.0.0.1:{port}"\n{extra}')
    return cfg


def test_run_simulate_prints_url_and_key_and_sends(tmp_path):
    port = free_port()
    proc = subprocess.Popen([*MODEMD, "run", "--simulate", "--modems", "2", "--latency", "0.05",
                             "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = []
        while not lines or not lines[-1].startswith("API key:"):
            line = proc.stdout.readline()
            assert line, f"modemd exited early: {lines}"
            lines.append(line.strip())
        out = "\n".join(lines)
        assert f"URL: http://127.0.0.1:{port}" in out
        assert "Login: admin / " in out
        key = lines[-1].split(": ", 1)[1]
        api = Api(f"http://127.0.0.1:{port}", key)
        wait_until(lambda: all(m["state"] == "ready"
                               for m in api.call("GET", "/api/v1/modems")[1]["modems"]))
        long_msg = api.send("+4917612345678", GERMAN_300)
        emoji = api.send("+4917612345678", "Bis morgen! 🦷😀 Ihr Praxisteam")
        assert long_msg["segments"] >= 2 and long_msg["encoding"] == "gsm7"
        assert emoji["segments"] == 1 and emoji["encoding"] == "ucs2"
        for msg in (long_msg, emoji):
            done = api.wait_final(msg["id"])
            assert done["status"] == "sent"
            assert len(done["parts"]) == msg["segments"]
            assert all(p["message_ref"] is not None for p in done["parts"])
        data_dir = next(line for line in lines if line.startswith("Data: ")).split()[1]
        assert Path(data_dir).exists()

        # The convenience clients talk to the same API.
        env = {"MODEMD_API_KEY": key}
        sent = run("send", "0176 12345678", "Kurztest", "--url", api.base, env=env)
        assert sent.returncode == 0, sent.stderr
        assert "1 SMS" in sent.stdout and "+4917612345678" in sent.stdout
        bad = run("send", "12", "x", "--url", api.base, env=env)
        assert bad.returncode == 3 and "invalid_number" in bad.stderr
        status = run("status", "--url", api.base, env=env)
        assert status.returncode == 0 and status.stdout.count("ready") == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    assert not Path(data_dir).exists()


def test_key_create_prints_the_key_alone_on_the_last_line(tmp_path):
    cfg = write_config(tmp_path, free_port())
    made = run("key", "create", "Empfang", "--config", str(cfg))
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("mdk_") and " " not in key
    assert key not in (tmp_path / "data" / "modemd.sqlite3").read_bytes().decode("latin-1")
    again = run("key", "create", "Empfang", "--config", str(cfg))
    assert again.returncode == 2 and "exists already" in again.stderr
    listed = run("key", "list", "--config", str(cfg))
    assert "Empfang" in listed.stdout and "active" in listed.stdout
    assert run("key", "revoke", "Empfang", "--config", str(cfg)).returncode == 0
    assert "revoked" in run("key", "list", "--config", str(cfg)).stdout


def test_user_add_from_stdin(tmp_path):
    cfg = write_config(tmp_path, free_port())
    ok = run("user", "add", "anna", "--password-stdin", "--config", str(cfg),
             stdin="ein langes Passwort\n")
    assert ok.returncode == 0, ok.stderr
    short = run("user", "add", "bob", "--password-stdin", "--config", str(cfg), stdin="kurz\n")
    assert short.returncode == 2 and "at least 8" in short.stderr
    assert run("user", "list", "--config", str(cfg)).stdout.split() == ["anna"]
    changed = run("user", "passwd", "anna", "--password-stdin", "--config", str(cfg),
                  stdin="ein neues langes Passwort\n")
    assert changed.returncode == 0, changed.stderr
    assert run("user", "passwd", "nobody", "--password-stdin", "--config", str(cfg),
               stdin="ein neues langes Passwort\n").returncode == 2
    assert run("user", "remove", "anna", "--config", str(cfg)).returncode == 0
    assert run("user", "remove", "anna", "--config", str(cfg)).returncode == 2
    assert run("user", "list", "--config", str(cfg)).stdout.split() == []


def test_config_errors_name_every_key_and_stop_start_up(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[daemon]\nlisten = "8080"\n[sms]\nmax_lenght = 5\n[[modem]]\nname = "gsm0"\n')
    result = run("run", "--config", str(cfg))
    assert result.returncode == 2
    assert "daemon.listen" in result.stderr
    assert 'sms.max_lenght: unknown key (did you mean "max_length"?)' in result.stderr
    assert "modem[0].port" in result.stderr
    missing = run("run", "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "nope.toml" in missing.stderr


def test_config_from_environment(tmp_path):
    cfg = write_config(tmp_path, free_port())
    made = run("key", "create", "env", env={"MODEMD_CONFIG": str(cfg)})
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "data" / "modemd.sqlite3").exists()


def test_daemon_from_config_file_with_a_key_from_the_cli(tmp_path):
    port = free_port()
    sim_dir = tmp_path / "tty"
    sim = subprocess.Popen([*MODEMD, "simulate", "--dir", str(sim_dir), "--modems", "1",
                            "--latency", "0.01"], stdout=subprocess.PIPE, text=True)
    daemon = None
    try:
        assert "gsm0" in sim.stdout.readline()
        cfg = write_config(tmp_path, port, f'[[modem]]\nname = "gsm0"\nport = "{sim_dir}/gsm0"\n')
        key = run("key", "create", "praxis", "--config", str(cfg)).stdout.strip().splitlines()[-1]
        daemon = subprocess.Popen([*MODEMD, "run", "--config", str(cfg)],
                                  stderr=subprocess.PIPE, text=True)
        api = Api(f"http://127.0.0.1:{port}", key)
        wait_until(lambda: _healthy(api.base), timeout=15)
        wait_until(lambda: api.call("GET", "/api/v1/modems")[1]["modems"][0]["state"] == "ready")
        done = api.wait_final(api.send("+4917612345678", "über die Konfigurationsdatei")["id"])
        assert done["status"] == "sent" and done["channel"] == "gsm0"
        # The simulator process logged the PDU for other processes to inspect.
        logged = [json.loads(line) for line in (sim_dir / "gsm0.pdus.jsonl").read_text()
                  .splitlines()]
        assert logged[-1]["mr"] == done["parts"][0]["message_ref"]
    finally:
        if daemon:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=20) == 0
            assert "mdk_" not in daemon.stderr.read()  # keys never reach the log
        sim.send_signal(signal.SIGTERM)
        assert sim.wait(timeout=10) == 0
    assert not (sim_dir / "gsm0").exists()


def test_simulate_serves_at_commands_on_a_tty(tmp_path):
    proc = subprocess.Popen([*MODEMD, "simulate", "--dir", str(tmp_path), "--modems", "2"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert "gsm0" in proc.stdout.readline() and "gsm1" in proc.stdout.readline()
        with serial.Serial(str(tmp_path / "gsm1"), 115200, timeout=0.2) as port:
            port.write(b"ATE0\r")
            time.sleep(0.2)
            port.reset_input_buffer()
            port.write(b"AT+CGMI\r")
            answer = b""
            deadline = time.monotonic() + 5
            while b"OK" not in answer and time.monotonic() < deadline:
                answer += port.read(64)
            assert b"OK" in answer
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False
