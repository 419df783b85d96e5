"""The `modemd` command line: thin commands that call one service and map errors to exit codes.

Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration, 3 refused by the API.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modemd import __version__
from modemd.clock import utcnow
from modemd.config import Config, default_config_path, load_config, parse_config
from modemd.errors import ConfigError, StoreError, ValidationError
from modemd.store import Database, KeyStore, UserStore

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print("modemd: configuration error:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_USAGE
    except (StoreError, ValidationError) as exc:  # refused: a name taken, a bad number, …
        print(f"modemd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="modemd", description="SMS appliance for practices")
    p.add_argument("--version", action="version", version=f"modemd {__version__}")
    sub = p.add_subparsers(metavar="COMMAND")

    run = sub.add_parser("run", help="run the daemon (API, web UI, dispatcher, modems)")
    _config_arg(run)
    run.add_argument("--simulate", action="store_true",
                     help="use simulated modems and a throw-away data directory")
    run.add_argument("--modems", type=int, default=2, help="simulated modems (with --simulate)")
    run.add_argument("--latency", type=float, default=1.0,
                     help="simulated send latency in seconds (with --simulate)")
    run.add_argument("--listen", help="override daemon.listen, e.g. 127.0.0.1:8080")
    run.set_defaults(func=cmd_run)

    sim = sub.add_parser("simulate", help="only the simulated modems, as ttys in DIR")
    sim.add_argument("--dir", required=True, type=Path)
    sim.add_argument("--modems", type=int, default=1)
    sim.add_argument("--latency", type=float, default=1.0)
    sim.add_argument("--profile", default="generic",
                     help="modem family to play: generic, huawei-3g, huawei-lte, zte, sierra, "
                          "telit, quectel, simcom-2g, simcom-lte, wavecom, cinterion, ublox, "
                          "phone (see docs/modems.md)")
    sim.set_defaults(func=cmd_simulate)

    key = sub.add_parser("key", help="manage API keys").add_subparsers(metavar="ACTION")
    kc = key.add_parser("create", help="create an API key (printed once, stored hashed)")
    kc.add_argument("name")
    kc.add_argument("--monthly-limit", type=_limit_arg, default=0, metavar="N",
                    help="most SMS parts per month for this key (default 0: no own limit)")
    _config_arg(kc)
    kc.set_defaults(func=cmd_key_create)
    kl = key.add_parser("list", help="list API keys")
    _config_arg(kl)
    kl.set_defaults(func=cmd_key_list)
    kr = key.add_parser("revoke", help="revoke an API key")
    kr.add_argument("name")
    _config_arg(kr)
    kr.set_defaults(func=cmd_key_revoke)
    klim = key.add_parser("limit", help="set a key's monthly limit in SMS parts (0: none)")
    klim.add_argument("name")
    klim.add_argument("limit", type=_limit_arg, metavar="N")
    _config_arg(klim)
    klim.set_defaults(func=cmd_key_limit)

    an = sub.add_parser("analyze", help="what a text costs: encoding, SMS parts, costly "
                        "characters, optimized text")
    an.add_argument("text")
    an.add_argument("--json", action="store_true", help="print the API's JSON answer")
    an.add_argument("--config", help="config file for sms.max_length and "
                    "sms.national_language_tables/national_locking (default: $MODEMD_CONFIG, then "
                    "/etc/modemd/modemd.toml if it exists)")
    an.set_defaults(func=cmd_analyze)

    user = sub.add_parser("user", help="manage web UI users").add_subparsers(metavar="ACTION")
    ua = user.add_parser("add", help="create a web UI user")
    ua.add_argument("name")
    ua.add_argument("--password-stdin", action="store_true",
                    help="read the password from the first line of standard input")
    _config_arg(ua)
    ua.set_defaults(func=cmd_user_add)
    ul = user.add_parser("list", help="list web UI users")
    _config_arg(ul)
    ul.set_defaults(func=cmd_user_list)
    up = user.add_parser("passwd", help="set a user's password (ends their sessions)")
    up.add_argument("name")
    up.add_argument("--password-stdin", action="store_true",
                    help="read the password from the first line of standard input")
    _config_arg(up)
    up.set_defaults(func=cmd_user_passwd)
    ur = user.add_parser("remove", help="delete a web UI user (ends their sessions)")
    ur.add_argument("name")
    _config_arg(ur)
    ur.set_defaults(func=cmd_user_remove)

    block = sub.add_parser("blocklist", help="numbers that opted out (STOP)").add_subparsers(
        metavar="ACTION")
    bl = block.add_parser("list", help="list blocked numbers")
    _config_arg(bl)
    bl.set_defaults(func=cmd_blocklist_list)
    ba = block.add_parser("add", help="block a number")
    ba.add_argument("number")
    _config_arg(ba)
    ba.set_defaults(func=cmd_blocklist_add)
    br = block.add_parser("remove", help="allow messages to a number again")
    br.add_argument("number")
    _config_arg(br)
    br.set_defaults(func=cmd_blocklist_remove)

    send = sub.add_parser("send", help="send an SMS through the local API")
    send.add_argument("to")
    send.add_argument("text")
    _client_args(send)
    send.set_defaults(func=cmd_send)

    status = sub.add_parser("status", help="modems and queue of the local daemon")
    _client_args(status)
    status.set_defaults(func=cmd_status)

    stats = sub.add_parser("stats", help="a month's messages, SMS parts and cost")
    stats.add_argument("--month", help="YYYY-MM (default: this month)")
    _client_args(stats)
    stats.set_defaults(func=cmd_stats)
    return p


def _limit_arg(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError("a whole number of SMS parts, 0 for no limit")
    return int(value)


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="config file (default: $MODEMD_CONFIG, "
                   "then /etc/modemd/modemd.toml)")


def _client_args(p: argparse.ArgumentParser) -> None:
    _config_arg(p)
    p.add_argument("--url", help="API base URL (default: from daemon.listen in the config)")
    p.add_argument("--key", help="API key (default: $MODEMD_API_KEY)")


def _load(args: argparse.Namespace) -> Config:
    return load_config(default_config_path(args.config, os.environ))


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level, logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


# --- daemon ----------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from modemd.daemon import Daemon

    sims: list[Any] = []
    tmp: str | None = None
    if args.simulate:
        from modemd.simulator import start_modems

        tmp = tempfile.mkdtemp(prefix="modemd-sim-")
        sims = start_modems(Path(tmp) / "tty", args.modems, latency=args.latency)
        config = parse_config({
            "daemon": {"data_dir": str(Path(tmp) / "data"),
                       "listen": args.listen or "127.0.0.1:8080"},
            "modem": [{"name": s.name, "port": str(s.path)} for s in sims],
        })
    else:
        config = _load(args)
        if args.listen:
            config = _with_listen(config, args.listen)
    _setup_logging(config.daemon.log_level)
    daemon = Daemon(config)
    try:
        daemon.start()
    except OSError as exc:
        print(f"modemd: cannot start: {exc}", file=sys.stderr)
        _cleanup_sim(sims, tmp)
        return EXIT_FAIL
    if args.simulate:
        key, plain = daemon.keys.create("simulator", utcnow())
        password = secrets.token_urlsafe(12)
        daemon.users.add("admin", password, utcnow())
        print(f"modemd {__version__} with {len(sims)} simulated modem(s)")
        print(f"URL: {daemon.url}")
        print(f"Login: admin / {password}")
        print(f"Data: {tmp} (deleted on exit)")
        print(f"API key: {plain}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    daemon.stop()
    _cleanup_sim(sims, tmp)
    return EXIT_OK


def _with_listen(config: Config, listen: str) -> Config:
    import dataclasses

    from modemd.config import split_listen

    try:
        split_listen(listen)
    except ValueError as exc:
        raise ConfigError([f"--listen: {exc}"]) from None
    return dataclasses.replace(config, daemon=dataclasses.replace(config.daemon, listen=listen))


def _cleanup_sim(sims: list[Any], tmp: str | None) -> None:
    for s in sims:
        s.stop()
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


def cmd_simulate(args: argparse.Namespace) -> int:
    from modemd.simulator import run_simulate_cli

    return run_simulate_cli(args.dir, args.modems, args.latency, args.profile)


# --- keys and users --------------------------------------------------------------------------
@contextmanager
def _store(args: argparse.Namespace, cfg: Config | None = None) -> Iterator[Database]:
    """The configured database, closed afterwards (a StoreError becomes exit code 2 in main)."""
    db = Database((cfg or _load(args)).db_path)
    try:
        yield db
    finally:
        db.close()


def _missing(what: str, name: str) -> int:
    print(f"modemd: no {what} named {name!r}", file=sys.stderr)
    return EXIT_USAGE


def cmd_key_create(args: argparse.Namespace) -> int:
    with _store(args) as db:
        key, plain = KeyStore(db).create(args.name, utcnow(), args.monthly_limit)
    print(f"API key {key.name!r} created. It is shown only now; store it in the practice "
          "software:", file=sys.stderr)
    print(plain)
    return EXIT_OK


def cmd_key_list(args: argparse.Namespace) -> int:
    with _store(args) as db:
        for k in KeyStore(db).list():
            state = "revoked" if k.revoked else "active"
            limit = f"limit {k.monthly_limit}/month" if k.monthly_limit else "no own limit"
            print(f"{k.name}\t{k.prefix}…\t{state}\t{k.created_at:%Y-%m-%d}\t{limit}")
    return EXIT_OK


def cmd_key_revoke(args: argparse.Namespace) -> int:
    with _store(args) as db:
        if not KeyStore(db).revoke(args.name, utcnow()):
            return _missing("active key", args.name)
    print(f"API key {args.name!r} revoked")
    return EXIT_OK


def cmd_key_limit(args: argparse.Namespace) -> int:
    with _store(args) as db:
        if not KeyStore(db).set_limit(args.name, args.limit):
            return _missing("active key", args.name)
    shown = f"{args.limit} SMS parts per month" if args.limit else "no own limit"
    print(f"API key {args.name!r}: {shown}")
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    from modemd.analysis import analyze
    from modemd.errors import TextError

    path = default_config_path(args.config, os.environ)
    explicit = bool(args.config or os.environ.get("MODEMD_CONFIG"))
    cfg = load_config(path) if explicit or path.exists() else parse_config({})
    try:
        a = analyze(args.text, national=cfg.sms.national_language_tables,
                    max_characters=cfg.sms.max_length, locking=cfg.sms.national_locking)
    except TextError as exc:
        print(f"modemd: {exc.code}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(a.to_json(), ensure_ascii=False, indent=2))
        return EXIT_OK
    encoding = "GSM-7" if a.encoding == "gsm7" else "UCS-2 (Unicode)"
    tables = [f"the national table {a.national_language!r}"] if a.national_language else []
    if a.national_locking_language:
        tables.insert(0, f"the locking shift table {a.national_locking_language!r}")
    if tables:
        encoding += f" with {' and '.join(tables)} (saves {a.national_saving} SMS)"
    unit = "septets" if a.encoding == "gsm7" else "UTF-16 units"
    print(f"{a.to_json()['count']}  {encoding}")
    print(f"{a.characters} characters, {a.units} {unit}, {a.segments} SMS, "
          f"{a.remaining} left in the last SMS")
    print("SMS parts end after character: " + ", ".join(str(e) for e in a.segment_ends))
    why = {"extension": "counts twice (extension table)",
           "national": "counts twice (national table)",
           "ucs2": "not in GSM 03.38: forces UCS-2"}
    if a.costly:
        print("Costly characters:")
        for c in a.costly:
            repl = f"-> {c.replacement!r}" if c.replacement is not None else "no replacement"
            print(f"  {c.index:>4}  {c.char!r} U+{ord(c.char):04X}  {why[c.kind]}; "
                  f"saves {c.saving} SMS; {repl}")
    if a.optimized_text != args.text:
        print(f"Optimized ({a.optimized_segments} SMS): {a.optimized_text}")
    else:
        print("Optimization would not change this text.")
    return EXIT_OK


def _read_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat: ") != password:
        print("modemd: the passwords differ", file=sys.stderr)
        return None
    return password


def cmd_user_add(args: argparse.Namespace) -> int:
    password = _read_password(args)
    if password is None:
        return EXIT_USAGE
    with _store(args) as db:
        UserStore(db).add(args.name, password, utcnow())
    print(f"user {args.name!r} created")
    return EXIT_OK


def cmd_user_list(args: argparse.Namespace) -> int:
    with _store(args) as db:
        for user in UserStore(db).list():
            print(user.name)
    return EXIT_OK


def cmd_user_passwd(args: argparse.Namespace) -> int:
    password = _read_password(args)
    if password is None:
        return EXIT_USAGE
    with _store(args) as db:
        if not UserStore(db).set_password(args.name, password):
            return _missing("user", args.name)
    print(f"password of {args.name!r} changed; their open sessions have ended")
    return EXIT_OK


def cmd_user_remove(args: argparse.Namespace) -> int:
    with _store(args) as db:
        if not UserStore(db).remove(args.name):
            return _missing("user", args.name)
    print(f"user {args.name!r} removed; their open sessions have ended")
    return EXIT_OK


# --- block list ------------------------------------------------------------------------------
@contextmanager
def _optout(args: argparse.Namespace) -> Iterator[Any]:
    """The opt-out service on the configured database, closed afterwards."""
    from modemd.clock import Clock
    from modemd.optout import OptOutService
    from modemd.store.blocklist import BlocklistStore

    cfg = _load(args)
    with _store(args, cfg) as db:
        yield OptOutService(BlocklistStore(db), clock=Clock(),
                            default_region=cfg.sms.default_region)


def cmd_blocklist_list(args: argparse.Namespace) -> int:
    with _optout(args) as service:
        for e in service.list():
            print(f"{e.number}\t{e.added_at:%Y-%m-%d %H:%M}\t{e.source}")
    return EXIT_OK


def cmd_blocklist_add(args: argparse.Namespace) -> int:
    with _optout(args) as service:
        entry, created = service.block(args.number, "cli")
    print(f"{entry.number} {'blocked' if created else 'was already blocked'}")
    return EXIT_OK


def cmd_blocklist_remove(args: argparse.Namespace) -> int:
    with _optout(args) as service:
        removed = service.unblock(args.number)
    if not removed:
        print(f"modemd: {args.number} is not on the block list", file=sys.stderr)
        return EXIT_USAGE
    print(f"{args.number} removed from the block list")
    return EXIT_OK


# --- API clients -----------------------------------------------------------------------------
def _client(args: argparse.Namespace) -> tuple[str, str]:
    key = args.key or os.environ.get("MODEMD_API_KEY", "")
    if not key:
        raise ConfigError(["no API key: pass --key or set MODEMD_API_KEY"])
    if args.url:
        return args.url.rstrip("/"), key
    cfg = _load(args)
    host = cfg.daemon.host
    host = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{cfg.daemon.port}", key


def _call(url: str, key: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method, headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"null")
        except ValueError:
            return exc.code, None


def _refused(status: int, answer: Any) -> int:
    err = (answer or {}).get("error", {}) if isinstance(answer, dict) else {}
    field = f" (field: {err['field']})" if err.get("field") else ""
    print(f"modemd: refused ({status} {err.get('code', '?')}): {err.get('message', '')}{field}",
          file=sys.stderr)
    return EXIT_REFUSED


def cmd_send(args: argparse.Namespace) -> int:
    url, key = _client(args)
    try:
        status, answer = _call(url, key, "POST", "/api/v1/messages",
                               {"to": args.to, "text": args.text})
    except OSError as exc:
        print(f"modemd: cannot reach {url}: {exc}", file=sys.stderr)
        return EXIT_FAIL
    if status >= 400:
        return _refused(status, answer)
    print(f"message {answer['id']}: {answer['status']}, {answer['segments']} SMS, "
          f"{answer['encoding']}, to {answer['to']}")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    url, key = _client(args)
    query = f"?month={urllib.parse.quote(args.month)}" if args.month else ""
    try:
        status, answer = _call(url, key, "GET", "/api/v1/stats" + query)
    except OSError as exc:
        print(f"modemd: cannot reach {url}: {exc}", file=sys.stderr)
        return EXIT_FAIL
    if status >= 400:
        return _refused(status, answer)
    currency = answer["billing"]["currency"]
    print(f"{answer['month']} ({answer['timezone']})")
    print("key\tmessages\tsent\tdelivered\tundelivered\tfailed\trejected\tSMS\tcost")
    for row in [*answer["keys"], {"key": "total", **answer["total"]}]:
        print(f"{row['key']}\t{row['messages']}\t{row['sent']}\t{row['delivered']}\t"
              f"{row['undelivered']}\t{row['failed']}\t{row['rejected']}\t"
              f"{row['segments']}\t{row['cost']:.2f} {currency}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    url, key = _client(args)
    try:
        status, answer = _call(url, key, "GET", "/api/v1/modems")
    except OSError as exc:
        print(f"modemd: cannot reach {url}: {exc}", file=sys.stderr)
        return EXIT_FAIL
    if status >= 400:
        return _refused(status, answer)
    for m in answer["modems"]:
        signal_dbm = m["signal"]["dbm"]
        print(f"{m['name']}\t{m['state']}\t{m.get('operator') or '-'}\t"
              f"{signal_dbm if signal_dbm is not None else '-'} dBm\t"
              f"sent {m['counters']['parts_sent']}" + (f"\t{m['reason']}" if m["reason"] else ""))
    return EXIT_OK
