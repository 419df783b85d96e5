"""Tests for modemd.config: loading, defaults, every class of problem, secrets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from modemd.config import (
    DEFAULT_CONFIG_PATH,
    Config,
    DaemonConfig,
    ForwardConfig,
    ModemConfig,
    SmsConfig,
    SmtpConfig,
    default_config_path,
    load_config,
    parse_config,
    redacted,
)
from modemd.errors import ConfigError, ModemdError

FULL = """\
[daemon]
data_dir = "/srv/modemd"
timezone = "Europe/Vienna"
listen = "0.0.0.0:8443"
log_level = "debug"
log_content = true
retention_days = 30

[[modem]]
name = "gsm0"
port = "/dev/gsmmodem/gsm0"
baudrate = 115200
pin = "1234"
send_timeout = 90
command_timeout = 5.5

[[modem]]
name = "gsm-1"
port = "/dev/gsmmodem/gsm1"

[sms]
default_region = "AT"
max_length = 480
optimize_characters = true
status_reports = false
monthly_limit = 2000
validity_hours = 24
retry_attempts = 3
retry_backoff = 10

[smtp]
host = "mail.example.de"
port = 465
security = "tls"
username = "sms-box"
password = "hunter2-secret"
from = "sms-box@praxis.example"

[forward]
to = ["empfang@praxis.example", "Dr. Muster <muster@praxis.example>"]
"""


def write(tmp_path: Path, text: str, name: str = "modemd.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return info.value.problems


def one_problem(data: dict) -> str:
    problems = problems_of(data)
    assert len(problems) == 1, problems
    return problems[0]


# --------------------------------------------------------------------------- valid files


def test_full_file(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    cfg = load_config(path)
    assert cfg.source == path
    assert cfg.daemon == DaemonConfig(
        data_dir=Path("/srv/modemd"),
        timezone="Europe/Vienna",
        listen="0.0.0.0:8443",
        log_level="DEBUG",
        log_content=True,
        retention_days=30,
    )
    assert cfg.daemon.host == "0.0.0.0" and cfg.daemon.port == 8443
    assert cfg.db_path == Path("/srv/modemd/modemd.sqlite3")
    assert cfg.modems == (
        ModemConfig("gsm0", "/dev/gsmmodem/gsm0", 115200, "1234", 90.0, 5.5),
        ModemConfig("gsm-1", "/dev/gsmmodem/gsm1"),
    )
    assert isinstance(cfg.modems[0].send_timeout, float)
    assert cfg.sms == SmsConfig("AT", 480, True, False, 2000, 24, 3, 10.0)
    assert isinstance(cfg.sms.retry_backoff, float)
    assert cfg.smtp == SmtpConfig(
        "mail.example.de", 465, "tls", "sms-box", "hunter2-secret", "sms-box@praxis.example"
    )
    assert cfg.forward == ForwardConfig(
        ("empfang@praxis.example", "Dr. Muster <muster@praxis.example>")
    )


def test_design_example_is_valid(tmp_path: Path) -> None:
    """The two TOML blocks in DESIGN.md's CLI section, as written there."""
    text = """
[daemon]
data_dir = "/var/lib/modemd"      # modemd.sqlite3 lives here
timezone = "Europe/Berlin"
listen = "127.0.0.1:8080"         # API and web UI

[[modem]]                          # one block per modem
name = "gsm0"
port = "/dev/gsmmodem/gsm0"
baudrate = 115200
pin = ""                           # optional SIM PIN

[sms]
default_region = "DE"
max_length = 600
optimize_characters = false
status_reports = true
monthly_limit = 0

[smtp]
host = "mail.example.de"
port = 587
security = "starttls"
username = ""
password = ""
from = "sms-box@praxis.example"

[forward]
to = ["empfang@praxis.example"]
"""
    cfg = load_config(write(tmp_path, text))
    assert cfg.modems[0].pin == ""
    assert cfg.forward.to == ("empfang@praxis.example",)


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""))
    assert cfg.daemon == DaemonConfig()
    assert cfg.modems == ()
    assert cfg.sms == SmsConfig()
    assert cfg.smtp == SmtpConfig()
    assert cfg.forward == ForwardConfig()
    assert cfg.db_path == Path("/var/lib/modemd/modemd.sqlite3")
    assert (cfg.daemon.host, cfg.daemon.port) == ("127.0.0.1", 8080)
    assert cfg.sms.max_length == 600 and cfg.sms.retry_attempts == 5
    assert cfg.daemon.retention_days == 60 and cfg.daemon.log_content is False


def test_partial_sections_keep_other_defaults() -> None:
    cfg = parse_config({"sms": {"monthly_limit": 10}, "daemon": {"timezone": "UTC"}})
    assert cfg.sms == SmsConfig(monthly_limit=10)
    assert cfg.daemon == DaemonConfig(timezone="UTC")
    assert cfg.source is None


def test_empty_sections_and_no_modems() -> None:
    cfg = parse_config({"daemon": {}, "modem": [], "sms": {}, "smtp": {}, "forward": {}})
    assert cfg == Config(
        DaemonConfig(), (), SmsConfig(), SmtpConfig(), ForwardConfig(), source=None
    )


def test_relative_data_dir_resolved_against_config_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[daemon]\ndata_dir = "state/db"\n')
    cfg = load_config(path)
    assert cfg.daemon.data_dir == tmp_path / "state" / "db"
    assert cfg.db_path == tmp_path / "state" / "db" / "modemd.sqlite3"


def test_relative_data_dir_without_file_uses_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = parse_config({"daemon": {"data_dir": "data"}})
    assert cfg.daemon.data_dir == tmp_path / "data"


@pytest.mark.parametrize(
    ("listen", "host", "port"),
    [
        ("127.0.0.1:8080", "127.0.0.1", 8080),
        ("0.0.0.0:80", "0.0.0.0", 80),
        ("localhost:65535", "localhost", 65535),
        ("sms-box.praxis.lan:8080", "sms-box.praxis.lan", 8080),
        ("[::1]:8080", "::1", 8080),
        ("[::]:1", "::", 1),
        ("[fe80::1%eth0]:8080", "fe80::1%eth0", 8080),
    ],
)
def test_listen_forms(listen: str, host: str, port: int) -> None:
    daemon = parse_config({"daemon": {"listen": listen}}).daemon
    assert (daemon.host, daemon.port) == (host, port)


def test_case_is_normalised_for_enumerations() -> None:
    cfg = parse_config(
        {"daemon": {"log_level": "warning"}, "sms": {"default_region": "ch"},
         "smtp": {"security": "STARTTLS"}}
    )
    assert cfg.daemon.log_level == "WARNING"
    assert cfg.sms.default_region == "CH"
    assert cfg.smtp.security == "starttls"


def test_validity_hours_bounds() -> None:
    assert parse_config({"sms": {"validity_hours": 0}}).sms.validity_hours == 0
    assert parse_config({"sms": {"validity_hours": 10584}}).sms.validity_hours == 10584
    assert "sms.validity_hours" in one_problem({"sms": {"validity_hours": 10585}})


def test_config_is_frozen() -> None:
    cfg = parse_config({})
    with pytest.raises(AttributeError):
        cfg.sms.max_length = 1  # type: ignore[misc]


# --------------------------------------------------------------------------- problems


def test_config_error_is_a_modemd_error() -> None:
    with pytest.raises(ModemdError):
        parse_config({"sms": {"max_length": 0}})


def test_missing_required_modem_keys() -> None:
    problems = problems_of({"modem": [{"name": "gsm0", "port": "/dev/a"}, {"name": "gsm1"}, {}]})
    assert problems == [
        "modem[1].port: missing (required)",
        "modem[2].name: missing (required)",
        "modem[2].port: missing (required)",
    ]


def test_unknown_key_with_suggestion() -> None:
    assert one_problem({"sms": {"max_lenght": 100}}) == (
        'sms.max_lenght: unknown key (did you mean "max_length"?)'
    )
    assert one_problem({"modem": [{"name": "a", "port": "/dev/a", "baud_rate": 9600}]}) == (
        'modem[0].baud_rate: unknown key (did you mean "baudrate"?)'
    )


def test_unknown_key_without_suggestion() -> None:
    assert one_problem({"smtp": {"zzz": 1}}) == "smtp.zzz: unknown key"


def test_unknown_key_that_belongs_in_another_section() -> None:
    assert one_problem({"sms": {"timezone": "UTC"}}) == (
        "sms.timezone: unknown key (it belongs in [daemon])"
    )
    assert one_problem({"data_dir": "/srv"}) == (
        "data_dir: unknown key at the top level (it belongs in [daemon])"
    )


def test_unknown_sections() -> None:
    assert one_problem({"smtpp": {}}) == 'smtpp: unknown section (did you mean "smtp"?)'
    assert one_problem({"modems": [{}]}) == 'modems: unknown section (did you mean "modem"?)'
    assert one_problem({"deamon": {}}) == 'deamon: unknown section (did you mean "daemon"?)'
    assert one_problem({"xyzzy": {"host": "x"}}) == "xyzzy: unknown section"


def test_wrong_section_shapes() -> None:
    assert one_problem({"sms": 5}) == "sms: expected a table, got 5"
    assert one_problem({"modem": {"name": "a", "port": "b"}}) == (
        "modem: expected [[modem]] blocks (an array of tables), got [modem]"
    )
    assert one_problem({"modem": ["gsm0"]}) == 'modem[0]: expected a table, got "gsm0"'


def test_listen_problems() -> None:
    assert one_problem({"daemon": {"listen": "8080"}}) == (
        'daemon.listen: expected "host:port", got "8080"'
    )
    for bad in ["::1:8080", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:http", ":8080",
                "[zz::1]:80", "bad_host!:80", "127.0.0.1:"]:
        assert one_problem({"daemon": {"listen": bad}}).startswith("daemon.listen: "), bad
    assert "brackets" in one_problem({"daemon": {"listen": "::1:8080"}})
    assert one_problem({"daemon": {"listen": 8080}}) == (
        "daemon.listen: expected a string, got 8080"
    )


def test_boolean_is_strict() -> None:
    assert one_problem({"sms": {"status_reports": "yes"}}) == (
        'sms.status_reports: expected a boolean, got "yes"'
    )
    assert one_problem({"daemon": {"log_content": 1}}) == (
        "daemon.log_content: expected a boolean, got 1"
    )


def test_integers_reject_booleans_floats_and_strings() -> None:
    assert one_problem({"sms": {"monthly_limit": True}}) == (
        "sms.monthly_limit: expected an integer, got true"
    )
    assert one_problem({"sms": {"max_length": 160.0}}) == (
        "sms.max_length: expected an integer, got 160.0"
    )
    assert one_problem({"smtp": {"port": "587"}}) == 'smtp.port: expected an integer, got "587"'


def test_numbers_reject_booleans_and_non_finite() -> None:
    assert one_problem({"modem": [{"name": "a", "port": "b", "send_timeout": False}]}) == (
        "modem[0].send_timeout: expected a number, got false"
    )
    assert "modem[0].command_timeout" in one_problem(
        {"modem": [{"name": "a", "port": "b", "command_timeout": float("inf")}]}
    )
    assert "sms.retry_backoff" in one_problem({"sms": {"retry_backoff": 0}})
    assert "sms.retry_backoff" in one_problem({"sms": {"retry_backoff": 901}})


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"sms": {"max_length": 0}}, "sms.max_length"),
        ({"sms": {"max_length": 601}}, "sms.max_length"),
        ({"sms": {"monthly_limit": -1}}, "sms.monthly_limit"),
        ({"sms": {"validity_hours": -1}}, "sms.validity_hours"),
        ({"sms": {"retry_attempts": -1}}, "sms.retry_attempts"),
        ({"sms": {"default_region": "XX"}}, "sms.default_region"),
        ({"sms": {"default_region": "001"}}, "sms.default_region"),
        ({"daemon": {"retention_days": 0}}, "daemon.retention_days"),
        ({"daemon": {"log_level": "TRACE"}}, "daemon.log_level"),
        ({"daemon": {"data_dir": ""}}, "daemon.data_dir"),
        ({"smtp": {"port": 0}}, "smtp.port"),
        ({"smtp": {"security": "ssl"}}, "smtp.security"),
        ({"smtp": {"host": "mail server", "from": "a@b.de"}}, "smtp.host"),
        ({"modem": [{"name": "a", "port": ""}]}, "modem[0].port"),
        ({"modem": [{"name": "a", "port": "b", "baudrate": 0}]}, "modem[0].baudrate"),
        ({"modem": [{"name": "a", "port": "b", "send_timeout": 0}]}, "modem[0].send_timeout"),
    ],
)
def test_out_of_range_values(data: dict, key: str) -> None:
    assert one_problem(data).startswith(f"{key}: expected ")


def test_unknown_time_zone() -> None:
    assert one_problem({"daemon": {"timezone": "Europe/Berln"}}) == (
        'daemon.timezone: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)'
    )
    for bad in ["Europe", "../etc/passwd", "", "/etc/localtime"]:
        assert one_problem({"daemon": {"timezone": bad}}).startswith(
            "daemon.timezone: unknown time zone"
        )


@pytest.mark.parametrize("name", ["", "gsm 0", "gsm/0", "x" * 33, "modem.1", "gsmä"])
def test_bad_modem_names(name: str) -> None:
    assert one_problem({"modem": [{"name": name, "port": "/dev/a"}]}).startswith(
        "modem[0].name: expected 1 to 32 letters, digits"
    )


def test_duplicate_modem_names_and_ports() -> None:
    problems = problems_of({"modem": [
        {"name": "gsm0", "port": "/dev/ttyUSB0"},
        {"name": "gsm1", "port": "/dev/ttyUSB1"},
        {"name": "GSM0", "port": "/dev//ttyUSB1"},
    ]})
    assert problems == [
        'modem[2].name: "GSM0" is already used by modem[0]',
        'modem[2].port: "/dev//ttyUSB1" is already used by modem[1]',
    ]


def test_email_addresses() -> None:
    assert one_problem({"smtp": {"host": "m.example", "from": "sms-box"}}) == (
        'smtp.from: expected an e-mail address, got "sms-box"'
    )
    assert one_problem(
        {"smtp": {"host": "m.example", "from": "a@b.de"},
         "forward": {"to": ["ok@praxis.example", "empfang", "a@b"]}}
    ) == 'forward.to: not an e-mail address: "empfang", "a@b"'
    assert one_problem({"smtp": {"host": "m.example", "from": "a@b.de"},
                        "forward": {"to": "empfang@praxis.example"}}).startswith(
        "forward.to: expected an array of e-mail addresses"
    )


def test_cross_section_rules() -> None:
    assert one_problem({"smtp": {"host": "mail.example.de"}}) == (
        "smtp.from: missing (required when smtp.host is set)"
    )
    assert one_problem({"forward": {"to": ["a@praxis.example"]}}) == (
        "forward.to: set, but smtp.host is empty (no mail server to send with)"
    )
    assert one_problem({"smtp": {"password": "pw"}}) == (
        "smtp.username: missing (required when smtp.password is set)"
    )
    # a key that already failed its own check does not cause a second problem
    assert one_problem({"smtp": {"host": "m.example", "from": "nope"}}) == (
        'smtp.from: expected an e-mail address, got "nope"'
    )


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    text = """
[daemon]
listen = "8080"
timezone = "Europe/Berln"

[[modem]]
name = "gsm0"
port = "/dev/gsm0"

[[modem]]
name = "gsm0"

[sms]
max_lenght = 100
status_reports = "yes"

[smpt]
host = "x"
"""
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert info.value.problems == [
        'daemon.listen: expected "host:port", got "8080"',
        'daemon.timezone: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)',
        "modem[1].port: missing (required)",
        'modem[1].name: "gsm0" is already used by modem[0]',
        'sms.max_lenght: unknown key (did you mean "max_length"?)',
        'sms.status_reports: expected a boolean, got "yes"',
        'smpt: unknown section (did you mean "smtp"?)',
    ]
    assert str(info.value) == "; ".join(info.value.problems)


# --------------------------------------------------------------------------- files


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [f"{path}: no such file"]


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(tmp_path) in info.value.problems[0]


def test_toml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[daemon]\ntimezone = "UTC"\nlisten = 127.0.0.1:8080\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}: line 3, column ")
    assert "TOML syntax error" in problem
    assert re.search(r"line 3, column \d+", problem)


def test_toml_duplicate_key_is_a_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[sms]\nmax_length = 1\nmax_length = 2\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "line 3" in info.value.problems[0]


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[smtp]\nusername = "Praxis Müller"\n'.encode("latin-1"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "not UTF-8" in info.value.problems[0]


def test_default_config_path_precedence() -> None:
    env = {"MODEMD_CONFIG": "/from/env.toml"}
    assert default_config_path("/explicit.toml", env) == Path("/explicit.toml")
    assert default_config_path(None, env) == Path("/from/env.toml")
    assert default_config_path(None, {}) == Path("/etc/modemd/modemd.toml")
    assert default_config_path(None, {"MODEMD_CONFIG": ""}) == DEFAULT_CONFIG_PATH
    assert default_config_path("", env) == Path("/from/env.toml")


# --------------------------------------------------------------------------- secrets


def test_secrets_masked_in_repr_and_str(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, FULL))
    for text in (repr(cfg), str(cfg), repr(cfg.modems[0]), str(cfg.smtp)):
        assert "1234" not in text
        assert "hunter2-secret" not in text
    assert "pin='********'" in repr(cfg.modems[0])
    assert "password='********'" in repr(cfg.smtp)
    # the real values are still there for the code that needs them
    assert cfg.modems[0].pin == "1234"
    assert cfg.smtp.password == "hunter2-secret"


def test_empty_secrets_show_as_empty() -> None:
    assert "pin=''" in repr(ModemConfig("a", "/dev/a"))
    assert "password=''" in repr(SmtpConfig())


def test_redacted_dict(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, FULL))
    out = redacted(cfg)
    assert set(out) == {"daemon", "modem", "sms", "smtp", "forward", "inbound", "webhook",
                        "billing", "practice", "schedule", "smpp"}
    assert out["modem"][0]["pin"] == "********"
    assert out["modem"][1]["pin"] == ""
    assert out["smtp"]["password"] == "********"
    assert out["smtp"]["from"] == "sms-box@praxis.example"
    assert out["daemon"]["data_dir"] == "/srv/modemd"
    assert out["forward"]["to"] == list(cfg.forward.to)
    assert "1234" not in str(out) and "hunter2-secret" not in str(out)


def test_redacted_round_trips_without_secrets() -> None:
    cfg = parse_config({"modem": [{"name": "a", "port": "/dev/a"}]})
    assert parse_config(redacted(cfg)) == cfg


def test_secret_values_never_in_problems() -> None:
    problems = problems_of({
        "modem": [{"name": "a", "port": "/dev/a", "pin": "98x7"},
                  {"name": "b", "port": "/dev/b", "pin": 9876}],
        "smtp": {"password": 24681357, "host": "m.example", "from": "a@b.de", "username": "u"},
    })
    assert problems == [
        "modem[0].pin: expected 4 to 8 digits, got a string (value not shown)",
        "modem[1].pin: expected a string, got an integer (value not shown)",
        "smtp.password: expected a string, got an integer (value not shown)",
    ]
    joined = "\n".join(problems)
    assert "98x7" not in joined and "9876" not in joined and "24681357" not in joined


# --------------------------------------------------------------------------- docs


def test_every_key_documented() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "config.md").read_text(encoding="utf-8")
    chunks = {
        m.group(1): m.group(2)
        for m in re.finditer(r"^## `\[+(\w+)\]+`\n(.*?)(?=^## |\Z)", doc, re.M | re.S)
    }
    cfg = parse_config({"modem": [{"name": "a", "port": "/dev/a"}]})
    for section, keys in redacted(cfg).items():
        assert section in chunks, section
        fields = keys[0] if isinstance(keys, list) else keys
        for key in fields:
            assert re.search(rf"^\| `{key}` \|", chunks[section], re.M), f"{section}.{key}"


def test_smpp_section_checks_sender_and_required_keys():
    cfg = parse_config({"smpp": {"mode": "fallback", "host": "smpp.example", "system_id": "p",
                                 "password": "geheim", "source_addr": "+4930123456"}})
    assert cfg.smpp.mode == "fallback" and "geheim" not in repr(cfg)
    assert redacted(cfg)["smpp"]["password"] == "********"
    with pytest.raises(ConfigError) as exc:
        parse_config({"smpp": {"mode": "primary", "source_addr": "Praxis Dr. Beispiel",
                               "window": 11},
                      "modem": [{"name": "smpp", "port": "/dev/ttyUSB0"}]})
    text = str(exc.value)
    assert "smpp.source_addr: an alphanumeric sender has at most 11 characters" in text
    assert "smpp.window:" in text and "smpp.host: missing" in text
    assert "smpp.system_id: missing" in text and 'modem[0].name: "smpp" is reserved' in text
    with pytest.raises(ConfigError, match="smpp.source_addr: a number has at most 16"):
        parse_config({"smpp": {"source_addr": "+12345678901234567"}})
