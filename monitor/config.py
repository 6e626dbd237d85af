"""Effective configuration: defaults, overlaid by a TOML file, overlaid by MONITOR_* variables.

Every setting has one name. In the TOML file (path from MONITOR_CONFIG) it is a top-level key;
in the environment it is ``MONITOR_`` + the name in upper case. The environment wins over the
file, the file over the default. Secrets are wrapped in :class:`Secret` so that printing the
settings, logging them or putting them in an exception never shows the value.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, Mapping

from monitor.errors import ConfigError


class Secret:
    """A value that never shows itself in repr/str; ``reveal()`` is the only way out."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _positive_int(raw: Any) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def _non_negative_int(raw: Any) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def _positive_float(raw: Any) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def _non_negative_float(raw: Any) -> float:
    value = float(raw)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def _choice(*allowed: str) -> Callable[[Any], str]:
    def convert(raw: Any) -> str:
        value = str(raw).strip().lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return convert


def _iso_date(raw: Any):
    from datetime import date

    if isinstance(raw, date):
        return raw
    return date.fromisoformat(str(raw).strip())


def _text(raw: Any) -> str:
    return str(raw).strip()


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    convert: Callable[[Any], Any]
    help: str
    secret: bool = False

    @property
    def env(self) -> str:
        return "MONITOR_" + self.name.upper()


# The one list of settings. README's configuration table is checked against it by a test.
SETTINGS: tuple[Setting, ...] = (
    Setting("home", ".monitor", _text, "Data directory: SQLite database and evidence archive."),
    Setting("database_url", None, _text,
            "SQLAlchemy URL; default sqlite:///<home>/monitor.db. "
            "PostgreSQL: postgresql+psycopg://user@host/db."),
    Setting("archive_dir", None, _text, "Where fetched bodies are kept; default <home>/archive."),
    Setting("contact", None, _text,
            "Contact address put in the User-Agent (government CDNs block anonymous clients)."),
    Setting("http_connect_timeout", 10.0, _positive_float, "Seconds to wait for a connection."),
    Setting("http_read_timeout", 30.0, _positive_float, "Seconds to wait between bytes of a response."),
    Setting("http_retries", 3, int, "Retries on connection errors, 429 and 5xx."),
    Setting("http_backoff", 1.0, _non_negative_float, "Backoff factor between retries, in seconds."),
    Setting("http_max_bytes", 50 * 1024 * 1024, _positive_int, "Largest body accepted, in bytes."),
    Setting("host_min_interval", 1.0, _non_negative_float,
            "Least seconds between two requests to the same host."),
    Setting("broken_after", 3, _positive_int,
            "Consecutive failed polls after which a source is marked broken."),
    Setting("recheck_days", 7, _positive_int,
            "Days between re-fetches of a report already archived (revisions, removals)."),
    Setting("anomaly_tolerance", 0.10, _non_negative_float,
            "Relative gap between DHS and HHS counts for one month that raises an anomaly."),
    Setting("watch_from", None, _iso_date,
            "ISO date; periods that end before it are not evaluated. Default: every period "
            "since each obligation took effect."),
    Setting("ack_survives_days", 30, _non_negative_int,
            "An acknowledgement survives a finding's reopen that comes less than this many "
            "days after it was resolved (0: never)."),
    Setting("log_level", "INFO", _choice("debug", "info", "warning", "error"), "Log level."),
    Setting("log_format", "auto", _choice("auto", "json", "text"),
            "auto: JSON lines when stderr is not a terminal, text otherwise."),
    Setting("slack_token", None, _text, "Slack bot token (secret; for the Slack alerts still to come).", secret=True),
    Setting("smtp_password", None, _text, "SMTP password (secret; for the weekly digest still to come).", secret=True),
    Setting("govinfo_api_key", None, _text, "GovInfo API key (secret; for the official-records sources still to come).", secret=True),
    Setting("congress_api_key", None, _text, "Congress.gov API key (secret; for the official-records sources still to come).", secret=True),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    archive_dir: Path
    contact: str | None
    http_connect_timeout: float
    http_read_timeout: float
    http_retries: int
    http_backoff: float
    http_max_bytes: int
    host_min_interval: float
    broken_after: int
    recheck_days: int
    anomaly_tolerance: float
    watch_from: Any
    ack_survives_days: int
    log_level: str
    log_format: str
    slack_token: Secret | None
    smtp_password: Secret | None
    govinfo_api_key: Secret | None
    congress_api_key: Secret | None
    config_file: Path | None = None

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.redacted().items())
        return f"Settings({shown})"

    @property
    def user_agent(self) -> str:
        contact = self.contact or "no contact configured"
        return f"separation-reporting-monitor/0.1 (+{contact})"

    def secrets(self) -> list[str]:
        """Revealed secret values, for the log redaction filter."""
        out = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Secret) and value.reveal():
                out.append(value.reveal())
        return out

    def redacted(self) -> dict[str, Any]:
        """Settings as plain data with secrets replaced by '***' (or None when unset)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Secret):
                value = "***"
            elif isinstance(value, Path):
                value = str(value)
            out[f.name] = value
        out["database_url"] = redact_url(self.database_url)
        out["user_agent"] = self.user_agent
        return out


def redact_url(url: str) -> str:
    """Hide a password embedded in a database URL."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} (MONITOR_CONFIG) does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(_BY_NAME))
    if unknown:
        raise ConfigError(f"config file {path}: unknown setting(s) {', '.join(unknown)}")
    return data


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the effective settings. Raises ConfigError naming the bad setting."""
    env = os.environ if environ is None else environ
    config_path = Path(env["MONITOR_CONFIG"]) if env.get("MONITOR_CONFIG") else None
    file_values = _read_file(config_path) if config_path else {}

    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.env in env and env[setting.env] != "":
            raw, origin = env[setting.env], setting.env
        elif setting.name in file_values:
            raw, origin = file_values[setting.name], f"{config_path}: {setting.name}"
        else:
            values[setting.name] = setting.default
            continue
        try:
            value = setting.convert(raw)
        except (TypeError, ValueError) as exc:
            shown = "***" if setting.secret else repr(raw)
            raise ConfigError(f"{origin}: invalid value {shown}: {exc}") from None
        values[setting.name] = Secret(value) if setting.secret and value else value
        if setting.secret and not value:
            values[setting.name] = None

    home = Path(values["home"]).expanduser()
    values["home"] = home
    values["archive_dir"] = Path(values["archive_dir"]).expanduser() if values["archive_dir"] \
        else home / "archive"
    if not values["database_url"]:
        values["database_url"] = f"sqlite:///{home / 'monitor.db'}"
    return Settings(**values, config_file=config_path)
