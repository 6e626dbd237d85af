"""Every bad setting stops every command with one line naming it, exit status 1, no traceback.

The table below must name every setting of monitor.config.SETTINGS: a new setting without a
bad-value case fails ``test_every_setting_has_a_bad_value_case``.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from monitor.config import SETTINGS

SECRET = "(the value is a secret and not shown)"

# setting -> (bad value, the whole error line). {file} is an existing regular file.
BAD = {
    "home": ("{file}", "MONITOR_HOME: {file} is a file, not a directory"),
    "database_url": (
        "not a url",
        "MONITOR_DATABASE_URL 'not a url' is not a database URL; "
        "supported: SQLite (sqlite:///PATH) and PostgreSQL via psycopg "
        "(postgresql+psycopg://USER@HOST/DB)",
    ),
    "archive_dir": (
        "{file}",
        "MONITOR_ARCHIVE_DIR: archive directory {file} is a file, not a directory",
    ),
    "sqlite_synchronous": (
        "off",
        "MONITOR_SQLITE_SYNCHRONOUS must be one of normal, full, got 'off'",
    ),
    "contact": (
        "ops@example.org\r\nX-Injected: 1",
        "MONITOR_CONTACT must be one line without control characters, "
        "got 'ops@example.org\\r\\nX-Injected: 1'",
    ),
    "http_connect_timeout": ("soon", "MONITOR_HTTP_CONNECT_TIMEOUT must be a number, got 'soon'"),
    "http_read_timeout": ("0", "MONITOR_HTTP_READ_TIMEOUT must be greater than 0, got '0'"),
    "http_retries": ("-1", "MONITOR_HTTP_RETRIES must be 0 or more, got '-1'"),
    "http_backoff": ("nan", "MONITOR_HTTP_BACKOFF must be a finite number, got 'nan'"),
    "http_max_bytes": ("50MB", "MONITOR_HTTP_MAX_BYTES must be a whole number, got '50MB'"),
    "host_min_interval": ("-0.5", "MONITOR_HOST_MIN_INTERVAL must be 0 or more, got '-0.5'"),
    "fetch_concurrency": ("0", "MONITOR_FETCH_CONCURRENCY must be 1 or more, got '0'"),
    "fetch_process_from": ("-1", "MONITOR_FETCH_PROCESS_FROM must be 0 or more, got '-1'"),
    "parse_processes": ("-1", "MONITOR_PARSE_PROCESSES must be 0 or more, got '-1'"),
    "broken_after": ("abc", "MONITOR_BROKEN_AFTER must be a whole number, got 'abc'"),
    "recheck_days": ("1.5", "MONITOR_RECHECK_DAYS must be a whole number, got '1.5'"),
    "unreachable_after": ("0", "MONITOR_UNREACHABLE_AFTER must be 1 or more, got '0'"),
    "max_links_per_listing": ("0", "MONITOR_MAX_LINKS_PER_LISTING must be 1 or more, got '0'"),
    "stale_after": (
        "soon",
        "MONITOR_STALE_AFTER must be a duration such as 36h, 2d, 1d12h, 90m or P2D, got 'soon'",
    ),
    "anomaly_tolerance": (
        "ten percent",
        "MONITOR_ANOMALY_TOLERANCE must be a number, got 'ten percent'",
    ),
    "watch_from": (
        "2022-13-01",
        "MONITOR_WATCH_FROM must be an ISO date (YYYY-MM-DD), got '2022-13-01'",
    ),
    "ack_survives_days": (
        "a month",
        "MONITOR_ACK_SURVIVES_DAYS must be a whole number, got 'a month'",
    ),
    "lock_timeout": ("-1", "MONITOR_LOCK_TIMEOUT must be 0 or more, got '-1'"),
    "log_level": (
        "loud",
        "MONITOR_LOG_LEVEL must be one of debug, info, warning, error, got 'loud'",
    ),
    "log_format": ("xml", "MONITOR_LOG_FORMAT must be one of auto, json, text, got 'xml'"),
    "slack_token": (
        "xoxb-1\nxoxb-2",
        f"MONITOR_SLACK_TOKEN must be one line without control characters {SECRET}",
    ),
    "smtp_password": (
        "hunter2\x1b",
        f"MONITOR_SMTP_PASSWORD must be one line without control characters {SECRET}",
    ),
    "slack_channel": (
        "#alerts",
        "MONITOR_SLACK_CHANNEL must be a Slack channel ID such as "
        "C0123ABCD (not a #name: the monitor reads the channel's history "
        "by ID), got '#alerts'",
    ),
    "slack_routes": (
        "high=#alerts",
        "MONITOR_SLACK_ROUTES must map to Slack channel IDs such as "
        "C0123ABCD ('#alerts' is not one), got 'high=#alerts'",
    ),
    "slack_base_url": (
        "slack.com/api",
        "MONITOR_SLACK_BASE_URL must be an http:// or https:// URL, got 'slack.com/api'",
    ),
    "smtp_host": (
        "mail\nRCPT TO: x",
        "MONITOR_SMTP_HOST must be one line without control characters, got 'mail\\nRCPT TO: x'",
    ),
    "smtp_port": ("70000", "MONITOR_SMTP_PORT must be a TCP port (1-65535), got '70000'"),
    "smtp_tls": ("tls", "MONITOR_SMTP_TLS must be one of starttls, ssl, none, got 'tls'"),
    "smtp_user": (
        "ana\x07",
        "MONITOR_SMTP_USER must be one line without control characters, got 'ana\\x07'",
    ),
    "digest_from": ("monitor", "MONITOR_DIGEST_FROM must be an email address, got 'monitor'"),
    "digest_to": (
        "a@example.org, policy team",
        "MONITOR_DIGEST_TO must be email addresses separated by commas ('policy team' "
        "is not one), got 'a@example.org, policy team'",
    ),
    "digest_day": (
        "mon",
        "MONITOR_DIGEST_DAY must be one of monday, tuesday, wednesday, "
        "thursday, friday, saturday, sunday, got 'mon'",
    ),
    "digest_time": ("9am", "MONITOR_DIGEST_TIME must be a time of day HH:MM (24-hour), got '9am'"),
    "digest_timezone": (
        "EST5",
        "MONITOR_DIGEST_TIMEZONE must be an IANA time zone such as America/New_York, got 'EST5'",
    ),
    "govinfo_api_key": (
        "key\tone",
        f"MONITOR_GOVINFO_API_KEY must be one line without control characters {SECRET}",
    ),
    "congress_api_key": (
        "key\x7f",
        f"MONITOR_CONGRESS_API_KEY must be one line without control characters {SECRET}",
    ),
}


def test_every_setting_has_a_bad_value_case():
    assert sorted(BAD) == sorted(s.name for s in SETTINGS)


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "not-a-directory"
    path.write_text("x")
    return path


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_a_bad_value_is_one_line_naming_the_setting(setting, cli, monkeypatch, a_file):
    value, line = BAD[setting.name]
    monkeypatch.setenv(setting.env, value.format(file=a_file))
    rc, out, err = cli("config")
    assert (rc, out) == (1, "")
    assert err == f"error: {line.format(file=a_file)}\n"
    if setting.secret:
        assert value not in err


@pytest.mark.parametrize("command", [("findings",), ("check",), ("sources",), ("db", "current")])
def test_any_command_stops_on_a_bad_setting(command, cli, monkeypatch):
    monkeypatch.setenv("MONITOR_BROKEN_AFTER", "abc")
    assert cli(*command) == (
        1,
        "",
        "error: MONITOR_BROKEN_AFTER must be a whole number, got 'abc'\n",
    )


def test_each_bad_value_gets_its_own_line(cli, monkeypatch):
    monkeypatch.setenv("MONITOR_BROKEN_AFTER", "abc")
    monkeypatch.setenv("MONITOR_LOG_FORMAT", "xml")
    rc, _out, err = cli("config")
    assert rc == 1
    assert err.splitlines() == [
        "error: MONITOR_BROKEN_AFTER must be a whole number, got 'abc'",
        "error: MONITOR_LOG_FORMAT must be one of auto, json, text, got 'xml'",
    ]


def test_values_from_the_file_are_named_by_key_and_file(cli, monkeypatch, tmp_path):
    cfg = tmp_path / "monitor.toml"
    cfg.write_text("broken_after = 2.5\nrecheck_days = true\n")
    monkeypatch.setenv("MONITOR_CONFIG", str(cfg))
    rc, _out, err = cli("config")
    assert rc == 1
    assert err.splitlines() == [
        f"error: broken_after in {cfg} (MONITOR_CONFIG) must be a whole number, got 2.5",
        f"error: recheck_days in {cfg} (MONITOR_CONFIG) must be a whole number, got True",
    ]
    monkeypatch.setenv("MONITOR_BROKEN_AFTER", "4")  # the environment wins over the file ...
    monkeypatch.setenv("MONITOR_RECHECK_DAYS", "9")  # ... so nothing bad is left
    rc, out, _err = cli("config", "--json")
    assert rc == 0
    data = json.loads(out)
    assert (data["broken_after"], data["recheck_days"], data["config_file"]) == (4, 9, str(cfg))


@pytest.mark.parametrize(
    "make, line",
    [
        (lambda p: p.mkdir(), "MONITOR_CONFIG {p} is a directory, not a TOML file"),
        (
            lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"),
            "MONITOR_CONFIG {p} is not a TOML file (it is not UTF-8 text)",
        ),
        (lambda p: None, "MONITOR_CONFIG {p} does not exist"),
        (
            lambda p: p.write_text("broken_after = = 3"),
            "MONITOR_CONFIG {p} is not valid TOML: Invalid value (at line 1, column 16)",
        ),
        (
            lambda p: p.write_text("brokn_after = 3"),
            "{p} (MONITOR_CONFIG): unknown setting 'brokn_after'; known: "
            + ", ".join(s.name for s in SETTINGS),
        ),
    ],
)
def test_a_bad_config_file_is_one_line(make, line, cli, monkeypatch, tmp_path):
    path = tmp_path / "monitor.toml"
    make(path)
    monkeypatch.setenv("MONITOR_CONFIG", str(path))
    assert cli("config") == (1, "", f"error: {line.format(p=path)}\n")


@pytest.mark.parametrize(
    "url, why",
    [
        (
            "postgresql+psycopg2://u:pw@db/x",
            "'postgresql+psycopg2', which is not installed and not supported",
        ),
        ("mysql+pymysql://u:pw@db/x", "'mysql+pymysql', which is not installed and not supported"),
        ("oracle://u:pw@db/x", "'oracle', which is not installed and not supported"),
        ("https://example.org/db", "'https', which is not supported"),
    ],
)
def test_a_database_driver_that_is_not_installed_names_the_supported_ones(
    url, why, cli, monkeypatch
):
    monkeypatch.setenv("MONITOR_DATABASE_URL", url)
    rc, _out, err = cli("findings")
    shown = url.replace(":pw@", ":***@")
    assert (rc, err) == (
        1,
        f"error: MONITOR_DATABASE_URL '{shown}' names database driver {why}; "
        "supported: SQLite (sqlite:///PATH) and PostgreSQL via psycopg "
        "(postgresql+psycopg://USER@HOST/DB)\n",
    )
    assert "pw" not in err.replace("pymysql", "")


def test_a_home_that_cannot_be_created(cli, monkeypatch, a_file):
    monkeypatch.setenv("MONITOR_HOME", str(a_file / "monitor"))
    assert cli("findings") == (
        1,
        "",
        f"error: MONITOR_HOME: {a_file / 'monitor'} cannot be created: {a_file} is a file\n",
    )


def test_home_is_created_on_first_use(cli, monitor_env):
    assert not monitor_env.exists()
    rc, out, _err = cli("findings")
    assert (rc, out) == (0, "no findings\n")
    assert (monitor_env / "monitor.db").is_file()


def test_a_sqlite_directory_is_never_created_silently(cli, monkeypatch, tmp_path):
    directory = tmp_path / "not" / "yet"
    url = f"sqlite:///{directory / 'monitor.db'}"
    monkeypatch.setenv("MONITOR_DATABASE_URL", url)
    assert cli("findings") == (
        1,
        "",
        f"error: the directory {directory} of the SQLite database "
        f"{url} does not exist: create it, or run `monitor db "
        "upgrade`, which creates it\n",
    )
    assert not (tmp_path / "not").exists()
    rc, out, _err = cli("db", "upgrade")
    assert rc == 0
    assert out.splitlines()[0] == f"created directory {directory} for the SQLite database"
    assert (directory / "monitor.db").is_file()
    assert cli("findings")[:2] == (0, "no findings\n")


def test_secrets_reach_the_log_redaction(monitor_env, monkeypatch):
    from monitor.context import Context

    monkeypatch.setenv("MONITOR_SLACK_TOKEN", "xoxb-from-the-environment")
    ctx = Context.from_environment()
    stream = io.StringIO()
    root = logging.getLogger()
    handler = next(h for h in root.handlers if getattr(h, "_monitor", False))
    handler.setStream(stream)
    logging.getLogger("monitor.test").warning("token xoxb-from-the-environment refused")
    assert ctx.settings.secrets() == ["xoxb-from-the-environment"]
    assert "xoxb-from-the-environment" not in stream.getvalue()
    assert "token *** refused" in stream.getvalue()
