from __future__ import annotations

from pathlib import Path

import pytest

from pydantic import SecretStr

from monitor.config import SETTINGS, load_settings
from monitor.errors import ConfigError


def test_defaults_put_everything_under_the_home_directory():
    s = load_settings({})
    assert s.home == Path(".monitor")
    assert s.database_url == "sqlite:///.monitor/monitor.db"
    assert s.archive_dir == Path(".monitor/archive")
    assert s.http_max_bytes == 50 * 1024 * 1024
    assert s.broken_after == 3
    assert s.slack_token is None


def test_environment_overrides_file_which_overrides_default(tmp_path):
    cfg = tmp_path / "monitor.toml"
    cfg.write_text('broken_after = 5\nhttp_retries = 7\ncontact = "ops@example.org"\n')
    s = load_settings({"MONITOR_CONFIG": str(cfg), "MONITOR_HTTP_RETRIES": "2"})
    assert s.broken_after == 5  # from the file
    assert s.http_retries == 2  # environment wins
    assert s.contact == "ops@example.org"
    assert "ops@example.org" in s.user_agent


def test_home_moves_database_and_archive(tmp_path):
    s = load_settings({"MONITOR_HOME": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'monitor.db'}"
    assert s.archive_dir == tmp_path / "archive"


@pytest.mark.parametrize(
    "env, fragment",
    [
        ({"MONITOR_BROKEN_AFTER": "0"}, "MONITOR_BROKEN_AFTER"),
        ({"MONITOR_HTTP_MAX_BYTES": "lots"}, "MONITOR_HTTP_MAX_BYTES"),
        ({"MONITOR_LOG_FORMAT": "xml"}, "MONITOR_LOG_FORMAT"),
        ({"MONITOR_STALE_AFTER": "soon"}, "MONITOR_STALE_AFTER must be a duration such as 36h"),
        ({"MONITOR_STALE_AFTER": "0h"}, "must be longer than zero"),
        ({"MONITOR_CONFIG": "/nonexistent/monitor.toml"}, "does not exist"),
    ],
)
def test_bad_values_name_the_setting(env, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_settings(env)


def test_bad_toml_and_unknown_keys_are_config_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("broken_after = = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({"MONITOR_CONFIG": str(bad)})
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("brokn_after = 3")
    with pytest.raises(ConfigError, match="brokn_after"):
        load_settings({"MONITOR_CONFIG": str(unknown)})


def test_secrets_never_show_in_repr_or_redacted_view(tmp_path):
    cfg = tmp_path / "monitor.toml"
    cfg.write_text('smtp_password = "hunter2-file"\n')
    s = load_settings(
        {
            "MONITOR_CONFIG": str(cfg),
            "MONITOR_SLACK_TOKEN": "xoxb-very-secret",
            "MONITOR_DATABASE_URL": "postgresql+psycopg://u:pgpass@db/x",
        }
    )
    assert isinstance(s.slack_token, SecretStr)
    assert s.slack_token.get_secret_value() == "xoxb-very-secret"
    assert s.smtp_password.get_secret_value() == "hunter2-file"
    shown = repr(s) + str(s.redacted())
    for secret in ("xoxb-very-secret", "hunter2-file", "pgpass"):
        assert secret not in shown
    assert s.redacted()["slack_token"] == "***"
    assert sorted(s.secrets()) == ["hunter2-file", "xoxb-very-secret"]


def test_every_setting_has_help_and_a_distinct_env_name():
    envs = [s.env for s in SETTINGS]
    assert len(envs) == len(set(envs))
    assert all(s.help for s in SETTINGS)


def test_stale_after_reads_durations_and_defaults_to_the_sources_interval():
    from datetime import timedelta

    assert load_settings({}).stale_after is None  # two poll intervals of each source
    for text, value in (
        ("36h", timedelta(hours=36)),
        ("1d12h", timedelta(hours=36)),
        ("P2D", timedelta(days=2)),
        ("90m", timedelta(minutes=90)),
    ):
        settings = load_settings({"MONITOR_STALE_AFTER": text})
        assert settings.stale_after == value
    assert load_settings({"MONITOR_STALE_AFTER": "PT36H"}).redacted()["stale_after"] == "1d12h"
