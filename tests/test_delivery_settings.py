"""Delivery settings: Slack routes from TOML or the environment, SMTP and digest defaults, and
secrets never shown by `monitor config` (bad values: tests/test_settings_errors.py)."""

from __future__ import annotations

import json
from datetime import time


from monitor.config import load_settings
from monitor.delivery.routing import route_channel


def test_defaults():
    s = load_settings({})
    assert (s.slack_channel, dict(s.slack_routes), s.slack_base_url) == (
        None,
        {},
        "https://slack.com/api/",
    )
    assert (s.smtp_host, s.smtp_port, s.smtp_tls, s.digest_to) == (None, 587, "starttls", ())
    assert (s.digest_day, s.digest_time, s.digest_timezone) == (
        "monday",
        time(9, 0),
        "America/New_York",
    )
    assert load_settings({"MONITOR_SMTP_TLS": "ssl"}).smtp_port == 465
    assert (
        load_settings({"MONITOR_SMTP_TLS": "none", "MONITOR_SMTP_PORT": "2525"}).smtp_port == 2525
    )


def test_routes_from_a_toml_table_or_the_environment(tmp_path):
    cfg = tmp_path / "monitor.toml"
    cfg.write_text(
        'slack_channel = "C0DEFAULT"\n[slack_routes]\nhigh = "C0HIGH"\n'
        'hhs_separated_children_monthly = "C0HHS"\n'
    )
    s = load_settings({"MONITOR_CONFIG": str(cfg)})
    assert route_channel(s, "hhs_separated_children_monthly", "high") == "C0HHS"  # obligation
    assert route_channel(s, "dhs_family_unit_actions_monthly", "high") == "C0HIGH"  # severity
    assert route_channel(s, "dhs_family_unit_actions_monthly", "medium") == "C0DEFAULT"
    env = load_settings({"MONITOR_CONFIG": str(cfg), "MONITOR_SLACK_ROUTES": "low=C0LOW"})
    assert dict(env.slack_routes) == {"low": "C0LOW"}  # the environment wins, whole


def test_monitor_config_shows_delivery_settings_with_secrets_redacted(cli, monkeypatch):
    monkeypatch.setenv("MONITOR_SLACK_TOKEN", "xoxb-secret-token")
    monkeypatch.setenv("MONITOR_SMTP_PASSWORD", "smtp-secret")
    monkeypatch.setenv("MONITOR_SLACK_BASE_URL", "https://proxy:proxypass@proxy.example/api")
    monkeypatch.setenv("MONITOR_DIGEST_TO", "a@example.org, Policy <p@example.org>")
    monkeypatch.setenv("MONITOR_SLACK_ROUTES", "high=C0HIGH")
    rc, out, err = cli("config", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["slack_token"] == "***" and data["smtp_password"] == "***"
    assert data["slack_base_url"] == "https://proxy:***@proxy.example/api/"
    assert data["digest_to"] == ["a@example.org", "Policy <p@example.org>"]
    assert data["slack_routes"] == {"high": "C0HIGH"} and data["digest_time"] == "09:00"
    for secret in ("xoxb-secret-token", "smtp-secret", "proxypass"):
        assert secret not in out + err
