"""The configuration file: TOML in, frozen dataclasses out.

One table per section drives everything: which keys exist, their TOML names, how each value is
checked and which ones are secrets. Parsing collects every problem before it raises one
`ConfigError`, so an operator fixes the whole file in one go. Each problem names its key in
dotted form (`sms.max_length`, `modem[0].port`; modem blocks count from 0). Secrets (the SIM
PIN, the SMTP password) never appear in a repr, in `redacted()` or in a problem message.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import ipaddress
import json
import math
import os
import re
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

from modemd.errors import ConfigError
from modemd.gsm7 import char_septets
from modemd.sendwindow import WEEKDAYS, parse_quiet

__all__ = [
    "Config",
    "DaemonConfig",
    "ForwardConfig",
    "InboundConfig",
    "WebhookConfig",
    "ModemConfig",
    "BillingConfig",
    "PracticeConfig",
    "ScheduleConfig",
    "SmsConfig",
    "SmtpConfig",
    "SmppConfig",
    "DEFAULT_CONFIG_PATH",
    "SECRET_MASK",
    "default_config_path",
    "load_config",
    "parse_config",
    "redacted",
    "split_listen",
]

DEFAULT_CONFIG_PATH = Path("/etc/modemd/modemd.toml")
SECRET_MASK = "********"
DB_FILENAME = "modemd.sqlite3"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SMTP_SECURITY = ("starttls", "tls", "none")
MAX_TEXT_LENGTH = 600  # the product promises "up to 600 characters"
MAX_VALIDITY_HOURS = 63 * 7 * 24  # 10584: TP-VP relative format tops out at 63 weeks
MAX_RETRY_BACKOFF = 15 * 60.0  # the backoff is doubled per attempt and capped here
NATIONAL_TABLES = ("tr", "es", "pt")  # 23.038 national single shift tables modemd can send
BILLING_MODELS = ("per_sms", "package")

_MODEM_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
_SIM_PIN = re.compile(r"[0-9]{4,8}")
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>.]+")
_NAMED_EMAIL = re.compile(r"(?P<name>[^<>]*)<(?P<addr>[^<>]+)>")
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*")


def _masked(value: str) -> str:
    return SECRET_MASK if value else ""


def _repr_masking(obj: Any, secrets: tuple[str, ...]) -> str:
    parts = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        shown = _masked(value) if f.name in secrets else value
        parts.append(f"{f.name}={shown!r}")
    return f"{type(obj).__name__}({', '.join(parts)})"


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True, repr=False)
class ModemConfig:
    """One `[[modem]]` block."""

    name: str
    port: str
    baudrate: int = 115200
    pin: str = ""  # secret
    send_timeout: float = 120.0  # seconds an AT+CMGS may take
    command_timeout: float = 10.0
    startup_timeout: float = 120.0  # seconds start-up may wait for a busy SIM / SMS stack
    poll_interval: float = 15.0  # storage sweep period when the modem indicates nothing
    usb_id: str = ""  # "vvvv:pppp" when sysfs cannot tell (picks the quirks record)

    def __repr__(self) -> str:
        return _repr_masking(self, ("pin",))


@dataclass(frozen=True)
class DaemonConfig:
    """The `[daemon]` section."""

    data_dir: Path = Path("/var/lib/modemd")
    timezone: str = "Europe/Berlin"
    listen: str = "127.0.0.1:8080"
    log_level: str = "INFO"
    log_content: bool = False
    retention_days: int = 60
    http_threads: int = 1  # waitress worker threads; 1 is fastest (see bench/RESULTS.md)

    @property
    def host(self) -> str:
        """The host part of `listen`, without IPv6 brackets."""
        return split_listen(self.listen)[0]

    @property
    def port(self) -> int:
        """The port part of `listen`."""
        return split_listen(self.listen)[1]


@dataclass(frozen=True)
class SmsConfig:
    """The `[sms]` section."""

    default_region: str = "DE"
    max_length: int = 600
    optimize_characters: bool = False
    status_reports: bool = True
    monthly_limit: int = 0
    validity_hours: int = 72
    retry_attempts: int = 5
    retry_backoff: float = 5.0
    national_language_tables: tuple[str, ...] = ()
    national_locking: bool = False  # also the locking shift tables of those languages


@dataclass(frozen=True)
class BillingConfig:
    """The `[billing]` section: how the monthly statistics price billed SMS parts."""

    model: str = "per_sms"
    price_per_sms: float = 0.08
    package_size: int = 150
    package_price: float = 12.0
    currency: str = "EUR"


@dataclass(frozen=True)
class PracticeConfig:
    """The `[practice]` section: default values of template placeholders."""

    name: str = ""
    phone: str = ""
    booking_link: str = ""


@dataclass(frozen=True, repr=False)
class SmtpConfig:
    """The `[smtp]` section; `from_` is the TOML key `from`."""

    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = ""  # secret
    from_: str = ""
    timeout: float = 30.0
    retry_backoff: float = 30.0  # seconds before the first retry; doubled up to 10 minutes
    ca_file: str = ""  # PEM file of CAs to trust instead of the system's (in-house servers)

    def __repr__(self) -> str:
        return _repr_masking(self, ("password",))


SMPP_MODES = ("off", "fallback", "primary")


@dataclass(frozen=True, repr=False)
class SmppConfig:
    """The `[smpp]` section: an upstream SMPP 3.4 provider (see docs/smpp.md)."""

    mode: str = "off"  # off | fallback | primary
    host: str = ""
    port: int = 2775
    system_id: str = ""
    password: str = ""  # secret
    system_type: str = ""
    source_addr: str = ""  # alphanumeric (<= 11 GSM chars) or a number (<= 16 digits)
    window: int = 1  # submit_sm in flight at once
    enquire_link_seconds: float = 30.0
    reconnect_max_seconds: float = 60.0
    submit_timeout: float = 30.0
    fallback_after_seconds: float = 300.0

    def __repr__(self) -> str:
        return _repr_masking(self, ("password",))


@dataclass(frozen=True)
class ForwardConfig:
    """The `[forward]` section."""

    to: tuple[str, ...] = ()
    notify_failures: bool = True


@dataclass(frozen=True)
class InboundConfig:
    """The `[inbound]` section: receiving, replies and opt-out."""

    reply_window_hours: int = 168
    incomplete_after_minutes: int = 60
    sweep_minutes: float = 5.0
    opt_out_keywords: tuple[str, ...] = ("STOP", "STOPP", "ABMELDEN")


WEBHOOK_EVENTS = ("message.status", "inbound.received")


@dataclass(frozen=True, repr=False)
class WebhookConfig:
    """The `[webhook]` section: push status changes and received messages to a URL."""

    url: str = ""
    secret: str = ""  # secret
    events: tuple[str, ...] = WEBHOOK_EVENTS
    timeout: float = 10.0
    retry_backoff: float = 10.0

    def __repr__(self) -> str:
        return _repr_masking(self, ("secret",))


@dataclass(frozen=True)
class ScheduleConfig:
    """The `[schedule]` section: send windows and the horizon for planned messages."""

    quiet_hours: str = "20:00-08:00"
    quiet_hours_mon: str = ""  # "" = as quiet_hours
    quiet_hours_tue: str = ""
    quiet_hours_wed: str = ""
    quiet_hours_thu: str = ""
    quiet_hours_fri: str = ""
    quiet_hours_sat: str = ""
    quiet_hours_sun: str = ""
    quiet_hours_for_messages: bool = False
    max_days_ahead: int = 400

    @property
    def days(self) -> dict[str, str]:
        """Per-weekday overrides that are set ("sat" → spec)."""
        return {d: getattr(self, f"quiet_hours_{d}") for d in WEEKDAYS
                if getattr(self, f"quiet_hours_{d}")}


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    modems: tuple[ModemConfig, ...] = ()
    sms: SmsConfig = field(default_factory=SmsConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    forward: ForwardConfig = field(default_factory=ForwardConfig)
    inbound: InboundConfig = field(default_factory=InboundConfig)
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    billing: BillingConfig = field(default_factory=BillingConfig)
    practice: PracticeConfig = field(default_factory=PracticeConfig)
    source: Path | None = None
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    smpp: SmppConfig = field(default_factory=SmppConfig)

    @property
    def db_path(self) -> Path:
        """The SQLite database file inside `daemon.data_dir`."""
        return self.daemon.data_dir / DB_FILENAME


# --------------------------------------------------------------------------- value checks


class _Invalid(Exception):
    """A value failed its check: "expected <expected>, got <value>", or a free text."""

    def __init__(self, expected: str = "", value: Any = None, *, text: str = ""):
        super().__init__(text or expected)
        self.expected = expected
        self.value = value
        self.text = text

    def render(self, secret: bool) -> str:
        if self.text:
            return self.text
        return f"expected {self.expected}, got {_show(self.value, secret)}"


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, dt.date | dt.time):
        return "a date/time"
    return type(value).__name__


def _show(value: Any, secret: bool = False) -> str:
    """A value as the operator wrote it in TOML (secrets only by type)."""
    if secret:
        return f"{_type_name(value)} (value not shown)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return repr(value)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("a string", value)
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("a boolean", value)
    return value


def _integer(lo: int, hi: int | None = None) -> Callable[[Any], int]:
    wanted = f"an integer from {lo} to {hi}" if hi is not None else f"an integer >= {lo}"

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid("an integer", value)
        if value < lo or (hi is not None and value > hi):
            raise _Invalid(wanted, value)
        return value

    return check


def _number(lo: float, hi: float | None = None, *, lo_open: bool = True) -> Callable[[Any], float]:
    wanted = f"a number {'>' if lo_open else '>='} {lo:g}"
    if hi is not None:
        wanted += f" and <= {hi:g}"

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid("a number", value)
        number = float(value)
        if (
            not math.isfinite(number)
            or number < lo
            or (lo_open and number == lo)
            or (hi is not None and number > hi)
        ):
            raise _Invalid(wanted, value)
        return number

    return check


def _one_of(choices: tuple[str, ...], *, upper: bool) -> Callable[[Any], str]:
    wanted = "one of " + ", ".join(json.dumps(c) for c in choices)

    def check(value: Any) -> str:
        text = _string(value)
        norm = text.upper() if upper else text.lower()
        if norm not in choices:
            raise _Invalid(wanted, value)
        return norm

    return check


def _nonempty(value: Any) -> str:
    text = _string(value)
    if not text.strip():
        raise _Invalid("a non-empty string", value)
    return text


def _usb_id(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"([0-9A-Fa-f]{4}:[0-9A-Fa-f]{4})?",
                                                      value.strip()):
        raise ValueError(f"expected \"vvvv:pppp\" (USB vendor:product in hex), got {_show(value)}")
    return value.strip().lower()


def _modem_name(value: Any) -> str:
    text = _string(value)
    if not _MODEM_NAME.fullmatch(text):
        raise _Invalid("1 to 32 letters, digits, '_' or '-'", value)
    return text


def _sim_pin(value: Any) -> str:
    text = _string(value)
    if text and not _SIM_PIN.fullmatch(text):
        raise _Invalid("4 to 8 digits", value)
    return text


def _timezone(value: Any) -> str:
    text = _string(value)
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        hint = _did_you_mean(text, sorted(zoneinfo.available_timezones()))
        raise _Invalid(text=f"unknown time zone {_show(text)}{hint}") from None
    return text


def split_listen(listen: str) -> tuple[str, int]:
    """Split `host:port` or `[v6]:port` into host (no brackets) and port; ValueError if bad."""
    host, sep, port_text = listen.rpartition(":")
    if not sep or not host or not port_text:
        raise ValueError('expected "host:port"')
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{host!r} is not an IPv6 address") from None
    elif ":" in host:
        raise ValueError('expected "host:port" (put an IPv6 address in brackets: "[::1]:8080")')
    elif not _HOSTNAME.fullmatch(host):
        raise ValueError(f"{host!r} is not a host name or IPv4 address")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError("the port must be a number from 1 to 65535")
    return host, int(port_text)


def _listen(value: Any) -> str:
    text = _string(value)
    try:
        split_listen(text)
    except ValueError as exc:
        raise _Invalid(text=f"{exc}, got {_show(text)}") from None
    return text


def _data_dir(value: Any) -> Path:
    return Path(_nonempty(value))  # made absolute in parse_config, which knows the file


def _region(value: Any) -> str:
    text = _string(value)
    if text.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise _Invalid('a region code phonenumbers knows, such as "DE"', value)
    return text.upper()


def _mail_host(value: Any) -> str:
    text = _string(value)
    if text and not _HOSTNAME.fullmatch(text):
        try:
            ipaddress.ip_address(text.strip("[]"))
        except ValueError:
            raise _Invalid("a host name or IP address", value) from None
    return text


def _email_ok(text: str) -> bool:
    named = _NAMED_EMAIL.fullmatch(text.strip())
    return bool(_EMAIL.fullmatch(named.group("addr").strip() if named else text))


def _email(value: Any) -> str:
    text = _string(value)
    if text and not _email_ok(text):
        raise _Invalid("an e-mail address", value)
    return text


def _email_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Invalid('an array of e-mail addresses, like ["a@example.org"]', value)
    bad = [v for v in value if not isinstance(v, str) or not _email_ok(v)]
    if bad:
        raise _Invalid(text="not an e-mail address: " + ", ".join(_show(v) for v in bad))
    return tuple(value)


def _port(value: Any) -> int:
    return _integer(1, 65535)(value)


def _quiet_hours(*, optional: bool) -> Callable[[Any], str]:
    wanted = '"HH:MM-HH:MM" (several joined by commas), "all" or "none"'

    def check(value: Any) -> str:
        text = _string(value)
        if optional and text == "":
            return text
        try:
            parse_quiet(text)
        except ValueError as exc:
            raise _Invalid(text=f"expected {wanted}, got {_show(text)} ({exc})") from None
        return text

    return check


def _keywords(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
            isinstance(v, str) and v.strip() and v.strip().isalpha() for v in value):
        raise _Invalid('an array of single words, like ["STOP", "ABMELDEN"]', value)
    return tuple(v.strip().upper() for v in value)


def _webhook_url(value: Any) -> str:
    text = _string(value)
    if text and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", text):
        raise _Invalid("an http:// or https:// URL", value)
    return text


def _webhook_events(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(v in WEBHOOK_EVENTS for v in value):
        raise _Invalid("an array of " + ", ".join(json.dumps(e) for e in WEBHOOK_EVENTS),
                       value)
    return tuple(value)


def _national_tables(value: Any) -> tuple[str, ...]:
    wanted = "an array of " + ", ".join(json.dumps(c) for c in NATIONAL_TABLES)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(wanted, value)
    codes = [v.lower() for v in value]
    bad = [v for v, c in zip(value, codes, strict=True) if c not in NATIONAL_TABLES]
    if bad:
        raise _Invalid(wanted, bad[0])
    return tuple(dict.fromkeys(codes))


def _currency(value: Any) -> str:
    text = _string(value)
    if not re.fullmatch(r"[A-Za-z]{3}", text):
        raise _Invalid('a three-letter currency code such as "EUR"', value)
    return text.upper()


def _short_text(value: Any) -> str:
    text = _string(value)
    if len(text) > 200 or any(ord(c) < 0x20 for c in text):
        raise _Invalid("one line of at most 200 characters", value)
    return text


# --------------------------------------------------------------------------- the schema


def _smpp_source(value: Any) -> str:
    """An SMPP sender: up to 11 GSM-7 characters, or a number of up to 16 digits."""
    if not isinstance(value, str):
        raise _Invalid("a string", value)
    if value == "":
        return value
    digits = value[1:] if value.startswith("+") else value
    if digits.isdigit() and digits.isascii():
        if len(digits) > 16:
            raise _Invalid(text=f"a number has at most 16 digits, got {len(digits)}")
        return value
    if len(value) > 11:
        raise _Invalid(text=f"an alphanumeric sender has at most 11 characters, got "
                            f"{len(value)} ({_show(value)})")
    bad = [ch for ch in value if char_septets(ch) != 1 or not ch.isascii()]
    if bad:
        raise _Invalid(text="an alphanumeric sender uses ASCII letters, digits and GSM basic "
                            f"signs only, got "
                            f"{bad[0]!r} in {_show(value)}")
    return value


@dataclass(frozen=True)
class _Key:
    attr: str
    check: Callable[[Any], Any]
    required: bool = False
    secret: bool = False


_MODEM_KEYS: dict[str, _Key] = {
    "name": _Key("name", _modem_name, required=True),
    "port": _Key("port", _nonempty, required=True),
    "baudrate": _Key("baudrate", _integer(1)),
    "pin": _Key("pin", _sim_pin, secret=True),
    "send_timeout": _Key("send_timeout", _number(0)),
    "command_timeout": _Key("command_timeout", _number(0)),
    "startup_timeout": _Key("startup_timeout", _number(0)),
    "poll_interval": _Key("poll_interval", _number(0)),
    "usb_id": _Key("usb_id", _usb_id),
}

# Table sections: TOML name -> keys. `[[modem]]` is the one array section.
_TABLES: dict[str, dict[str, _Key]] = {
    "daemon": {
        "data_dir": _Key("data_dir", _data_dir),
        "timezone": _Key("timezone", _timezone),
        "listen": _Key("listen", _listen),
        "log_level": _Key("log_level", _one_of(LOG_LEVELS, upper=True)),
        "log_content": _Key("log_content", _boolean),
        "retention_days": _Key("retention_days", _integer(1)),
        "http_threads": _Key("http_threads", _integer(1, 64)),
    },
    "sms": {
        "default_region": _Key("default_region", _region),
        "max_length": _Key("max_length", _integer(1, MAX_TEXT_LENGTH)),
        "optimize_characters": _Key("optimize_characters", _boolean),
        "status_reports": _Key("status_reports", _boolean),
        "monthly_limit": _Key("monthly_limit", _integer(0)),
        "validity_hours": _Key("validity_hours", _integer(0, MAX_VALIDITY_HOURS)),
        "retry_attempts": _Key("retry_attempts", _integer(0)),
        "retry_backoff": _Key("retry_backoff", _number(0, MAX_RETRY_BACKOFF)),
        "national_language_tables": _Key("national_language_tables", _national_tables),
        "national_locking": _Key("national_locking", _boolean),
    },
    "smtp": {
        "host": _Key("host", _mail_host),
        "port": _Key("port", _port),
        "security": _Key("security", _one_of(SMTP_SECURITY, upper=False)),
        "username": _Key("username", _string),
        "password": _Key("password", _string, secret=True),
        "from": _Key("from_", _email),
        "timeout": _Key("timeout", _number(0)),
        "retry_backoff": _Key("retry_backoff", _number(0, 3600)),
        "ca_file": _Key("ca_file", _string),
    },
    "forward": {
        "to": _Key("to", _email_list),
        "notify_failures": _Key("notify_failures", _boolean),
    },
    "inbound": {
        "reply_window_hours": _Key("reply_window_hours", _integer(0)),
        "incomplete_after_minutes": _Key("incomplete_after_minutes", _integer(1)),
        "sweep_minutes": _Key("sweep_minutes", _number(0)),
        "opt_out_keywords": _Key("opt_out_keywords", _keywords),
    },
    "webhook": {
        "url": _Key("url", _webhook_url),
        "secret": _Key("secret", _string, secret=True),
        "events": _Key("events", _webhook_events),
        "timeout": _Key("timeout", _number(0)),
        "retry_backoff": _Key("retry_backoff", _number(0, 3600)),
    },
    "billing": {
        "model": _Key("model", _one_of(BILLING_MODELS, upper=False)),
        "price_per_sms": _Key("price_per_sms", _number(0, lo_open=False)),
        "package_size": _Key("package_size", _integer(1)),
        "package_price": _Key("package_price", _number(0, lo_open=False)),
        "currency": _Key("currency", _currency),
    },
    "practice": {
        "name": _Key("name", _short_text),
        "phone": _Key("phone", _short_text),
        "booking_link": _Key("booking_link", _short_text),
    },
    "smpp": {
        "mode": _Key("mode", _one_of(SMPP_MODES, upper=False)),
        "host": _Key("host", _mail_host),
        "port": _Key("port", _port),
        "system_id": _Key("system_id", _string),
        "password": _Key("password", _string, secret=True),
        "system_type": _Key("system_type", _string),
        "source_addr": _Key("source_addr", _smpp_source),
        "window": _Key("window", _integer(1, 10)),
        "enquire_link_seconds": _Key("enquire_link_seconds", _number(0)),
        "reconnect_max_seconds": _Key("reconnect_max_seconds", _number(0)),
        "submit_timeout": _Key("submit_timeout", _number(0)),
        "fallback_after_seconds": _Key("fallback_after_seconds", _number(0, lo_open=False)),
    },
    "schedule": {
        "quiet_hours": _Key("quiet_hours", _quiet_hours(optional=False)),
        **{f"quiet_hours_{d}": _Key(f"quiet_hours_{d}", _quiet_hours(optional=True))
           for d in WEEKDAYS},
        "quiet_hours_for_messages": _Key("quiet_hours_for_messages", _boolean),
        "max_days_ahead": _Key("max_days_ahead", _integer(1, 3660)),
    },
}
_SECTIONS = ("daemon", "modem", "sms", "smtp", "forward", "inbound", "webhook",
             "billing", "practice", "schedule", "smpp")
_KEYS_OF: dict[str, dict[str, _Key]] = {"modem": _MODEM_KEYS, **_TABLES}


_BAD = object()  # stands in for a value that failed its check, so cross-checks skip it


def _did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _unknown_key(where: str, key: str, known: dict[str, _Key]) -> str:
    hint = _did_you_mean(key, list(known))
    if not hint:
        homes = [s for s in _SECTIONS if s != where and key in _KEYS_OF[s]]
        if homes:
            hint = f" (it belongs in [{homes[0]}])" if homes[0] != "modem" else (
                " (it belongs in a [[modem]] block)"
            )
    return f"unknown key{'' if where else ' at the top level'}{hint}"


def _parse_table(
    prefix: str, section: str, raw: Any, problems: list[str]
) -> dict[str, Any] | None:
    """Check one table against its keys; the valid values by attribute, or None if no table."""
    if not isinstance(raw, dict):
        problems.append(f"{prefix}: expected a table, got {_show(raw)}")
        return None
    keys = _KEYS_OF[section]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        spec = keys.get(key)
        if spec is None:
            problems.append(f"{prefix}.{key}: {_unknown_key(section, key, keys)}")
            continue
        try:
            values[spec.attr] = spec.check(value)
        except _Invalid as bad:
            values[spec.attr] = _BAD
            problems.append(f"{prefix}.{key}: {bad.render(spec.secret)}")
    for key, spec in keys.items():
        if spec.required and key not in raw:
            problems.append(f"{prefix}.{key}: missing (required)")
    return values


def _parse_modems(raw: Any, problems: list[str]) -> tuple[ModemConfig, ...]:
    if isinstance(raw, dict):
        problems.append("modem: expected [[modem]] blocks (an array of tables), got [modem]")
        return ()
    if not isinstance(raw, list):
        problems.append(f"modem: expected [[modem]] blocks (an array of tables), got {_show(raw)}")
        return ()
    modems: list[ModemConfig] = []
    seen_names: dict[str, int] = {}
    seen_ports: dict[str, int] = {}
    for index, block in enumerate(raw):
        prefix = f"modem[{index}]"
        before = len(problems)
        values = _parse_table(prefix, "modem", block, problems)
        if values is None:
            continue
        name, port = values.get("name", _BAD), values.get("port", _BAD)
        if name is not _BAD and name.lower() == "smpp":
            problems.append(f"{prefix}.name: \"smpp\" is reserved for the SMPP channel")
        elif name is not _BAD:
            first = seen_names.setdefault(name.lower(), index)
            if first != index:
                problems.append(f"{prefix}.name: {_show(name)} is already used by modem[{first}]")
        if port is not _BAD:
            first = seen_ports.setdefault(os.path.normpath(port), index)
            if first != index:
                problems.append(f"{prefix}.port: {_show(port)} is already used by modem[{first}]")
        if len(problems) == before:
            modems.append(ModemConfig(**values))
    return tuple(modems)


def _cross_checks(values: dict[str, dict[str, Any]], problems: list[str]) -> None:
    """Rules that involve more than one key; a key that failed its own check is skipped."""
    smtp, forward = values.get("smtp", {}), values.get("forward", {})
    host = smtp.get("host", "")
    if host and host is not _BAD and smtp.get("from_", "") == "":
        problems.append("smtp.from: missing (required when smtp.host is set)")
    password = smtp.get("password", "")
    if password and password is not _BAD and smtp.get("username", "") == "":
        problems.append("smtp.username: missing (required when smtp.password is set)")
    to = forward.get("to", ())
    if to and to is not _BAD and host == "":
        problems.append("forward.to: set, but smtp.host is empty (no mail server to send with)")
    webhook = values.get("webhook", {})
    url = webhook.get("url", "")
    if url and url is not _BAD and webhook.get("secret", "") == "":
        problems.append("webhook.secret: missing (required when webhook.url is set)")
    smpp = values.get("smpp", {})
    if smpp.get("mode", "off") not in ("off", _BAD):
        for key in ("host", "system_id"):
            if smpp.get(key, "") == "":
                problems.append(f"smpp.{key}: missing (required when smpp.mode is "
                                f"{_show(smpp['mode'])})")


def parse_config(data: Mapping[str, Any], *, source: Path | None = None) -> Config:
    """Check a parsed TOML document and build a `Config`.

    Every problem in the document is collected first; if there are any, one `ConfigError`
    lists them all. A relative `daemon.data_dir` is resolved against the directory of
    `source` (or the current directory when there is no file).
    """
    problems: list[str] = []
    values: dict[str, dict[str, Any]] = {}
    modems: tuple[ModemConfig, ...] = ()
    for section, raw in data.items():
        if section == "modem":
            modems = _parse_modems(raw, problems)
        elif section in _TABLES:
            parsed = _parse_table(section, section, raw, problems)
            if parsed is not None:
                values[section] = parsed
        elif not isinstance(raw, dict | list):
            problems.append(f"{section}: {_unknown_key('', section, {})}")
        else:
            problems.append(f"{section}: unknown section{_did_you_mean(section, _SECTIONS)}")
    _cross_checks(values, problems)
    if problems:
        raise ConfigError(problems)

    daemon = values.get("daemon", {})
    if "data_dir" in daemon and not daemon["data_dir"].is_absolute():
        base = source.absolute().parent if source is not None else Path.cwd()
        daemon["data_dir"] = base / daemon["data_dir"]
    return Config(
        daemon=DaemonConfig(**daemon),
        modems=modems,
        sms=SmsConfig(**values.get("sms", {})),
        smtp=SmtpConfig(**values.get("smtp", {})),
        forward=ForwardConfig(**values.get("forward", {})),
        inbound=InboundConfig(**values.get("inbound", {})),
        webhook=WebhookConfig(**values.get("webhook", {})),
        billing=BillingConfig(**values.get("billing", {})),
        practice=PracticeConfig(**values.get("practice", {})),
        source=source,
        schedule=ScheduleConfig(**values.get("schedule", {})),
        smpp=SmppConfig(**values.get("smpp", {})),
    )


# --------------------------------------------------------------------------- files and output

_TOML_POSITION = re.compile(r"^(?P<what>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$")


def load_config(path: Path) -> Config:
    """Read and check the TOML file at `path`; `ConfigError` names the file on any failure."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a directory, not a config file"]) from None
    except PermissionError:
        raise ConfigError([f"{path}: permission denied"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read ({exc.strerror or exc})"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start})"]) from None
    except tomllib.TOMLDecodeError as exc:
        where = _TOML_POSITION.match(str(exc))
        if where:
            message = (
                f"{path}: line {where['line']}, column {where['col']}: "
                f"TOML syntax error: {where['what']}"
            )
        else:
            message = f"{path}: TOML syntax error: {exc}"
        raise ConfigError([message]) from None
    return parse_config(data, source=path)


def default_config_path(explicit: str | None, environ: Mapping[str, str]) -> Path:
    """`--config PATH` if given, else `$MODEMD_CONFIG` if set and non-empty, else the default."""
    if explicit:
        return Path(explicit)
    if environ.get("MODEMD_CONFIG"):
        return Path(environ["MODEMD_CONFIG"])
    return DEFAULT_CONFIG_PATH


def _section_dict(obj: Any, keys: dict[str, _Key]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, spec in keys.items():
        value = getattr(obj, spec.attr)
        if spec.secret:
            value = _masked(value)
        elif isinstance(value, Path):
            value = str(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out


def redacted(cfg: Config) -> dict[str, Any]:
    """The config as a plain dict shaped like the TOML file, secrets shown as `********`.

    Keys use the TOML names (`modem`, `from`); values are JSON/TOML-friendly (paths as
    strings, lists for arrays). Empty secrets stay empty so "not set" remains visible.
    """
    return {
        "daemon": _section_dict(cfg.daemon, _KEYS_OF["daemon"]),
        "modem": [_section_dict(m, _MODEM_KEYS) for m in cfg.modems],
        "sms": _section_dict(cfg.sms, _KEYS_OF["sms"]),
        "smtp": _section_dict(cfg.smtp, _KEYS_OF["smtp"]),
        "forward": _section_dict(cfg.forward, _KEYS_OF["forward"]),
        "schedule": _section_dict(cfg.schedule, _KEYS_OF["schedule"]),
        "inbound": _section_dict(cfg.inbound, _KEYS_OF["inbound"]),
        "webhook": _section_dict(cfg.webhook, _KEYS_OF["webhook"]),
        "billing": _section_dict(cfg.billing, _KEYS_OF["billing"]),
        "practice": _section_dict(cfg.practice, _KEYS_OF["practice"]),
        "smpp": _section_dict(cfg.smpp, _KEYS_OF["smpp"]),
    }
