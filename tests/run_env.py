"""The settings of a test run against loopback or faked sites, written once."""

from __future__ import annotations

from pathlib import Path


def loopback_env(db_url: str, home: Path, **extra: str | None) -> dict[str, str]:
    """MONITOR_* settings for polling loopback or faked sites: ``home``, the database at
    ``db_url``, no host spacing, no retries, months judged from 2022, a contact. ``extra``
    adds settings or, given None, leaves one out."""
    env = {
        "MONITOR_HOME": str(home),
        "MONITOR_DATABASE_URL": db_url,
        "MONITOR_HOST_MIN_INTERVAL": "0",
        "MONITOR_HTTP_RETRIES": "0",
        "MONITOR_WATCH_FROM": "2022-01-01",
        "MONITOR_CONTACT": "t@localhost",
        **extra,
    }
    return {k: v for k, v in env.items() if v is not None}
