"""Effective configuration: defaults, overlaid by a TOML file, overlaid by MONITOR_* variables.

Every setting is one field of :class:`Settings` (a pydantic-settings model): its name is the
TOML key (top level of the file named by ``MONITOR_CONFIG``) and ``MONITOR_`` + the name in
upper case is its environment variable. The environment wins over the file, the file over the
default; an empty variable counts as unset. Secrets are ``SecretStr``: printing the settings,
logging them or putting them in an exception never shows the value.

Adding a setting is one field with a default and a ``description`` (the README table is checked
against :data:`SETTINGS`, and the bad-value test against the same list). A bad value, file or
directory is a :class:`ConfigError` with one line per bad setting, in the monitor's own words
("MONITOR_BROKEN_AFTER must be a whole number, got 'abc'"), never pydantic's.
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping

from pydantic import (
    BeforeValidator,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from monitor.config_checks import (  # noqa: F401 - redact_url is imported from here
    Number,
    Secret,
    Text,
    Whole,
    check_database_url,
    describe,
    directory_problem,
    iso_date,
    lower,
    one_line,
    redact_url,
)
from monitor.config_delivery import (
    WEEKDAYS,
    Address,
    Addresses,
    ClockTime,
    BaseUrl,
    Port,
    SlackChannel,
    SlackRoutes,
    TimeZone,
)
from monitor.durations import duration, format_duration
from monitor.errors import ConfigError

PREFIX = "MONITOR_"
CONFIG_VAR = "MONITOR_CONFIG"


# --- sources: the environment mapping and the TOML file named by MONITOR_CONFIG ----------------

_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("monitor_environ", default=None)


def _environ() -> Mapping[str, str]:
    env = _ENVIRON.get()
    return os.environ if env is None else env


class _Environment(EnvSettingsSource):
    """MONITOR_* variables of the mapping given to :func:`load_settings` (default os.environ),
    matched case-sensitively as documented; an empty value counts as unset."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k.lower(): v for k, v in _environ().items() if k.startswith(PREFIX) and v != ""}


class _TomlFile(TomlConfigSettingsSource):
    """The file named by MONITOR_CONFIG, its problems reported as one line each."""

    def _read_file(self, file_path: Path) -> dict[str, Any]:
        try:
            with open(file_path, "rb") as fh:
                return tomllib.load(fh)
        except UnicodeDecodeError:
            raise ConfigError(
                f"{CONFIG_VAR} {file_path} is not a TOML file (it is not UTF-8 text)"
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{CONFIG_VAR} {file_path} is not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(
                f"{CONFIG_VAR} {file_path} cannot be read: {exc.strerror or exc}"
            ) from None


def config_path(environ: Mapping[str, str]) -> Path | None:
    """The TOML file MONITOR_CONFIG names, checked to be a readable file (ConfigError if not)."""
    raw = environ.get(CONFIG_VAR)
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.exists():
        raise ConfigError(f"{CONFIG_VAR} {path} does not exist")
    if path.is_dir():
        raise ConfigError(f"{CONFIG_VAR} {path} is a directory, not a TOML file")
    if not path.is_file():
        raise ConfigError(f"{CONFIG_VAR} {path} is not a regular file")
    return path


# --- the settings -------------------------------------------------------------------------------


class Settings(BaseSettings):
    """Every setting of the monitor. Field order is the order of `monitor config`."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, extra="forbid", frozen=True, validate_default=False
    )

    home: Path = Field(
        Path(".monitor"),
        description=(
            "Data directory: SQLite database and evidence archive (created on first use)."
        ),
    )
    database_url: Text = Field(
        None,
        description=(
            "SQLAlchemy URL; default sqlite:///<home>/monitor.db. "
            "PostgreSQL: postgresql+psycopg://user@host/db."
        ),
    )
    sqlite_synchronous: Annotated[Literal["normal", "full"], BeforeValidator(lower)] = Field(
        "normal",
        description=(
            "SQLite only (the database is kept in write-ahead-log mode): 'normal' commits "
            "without waiting for the disk (never corrupted; a power cut may undo the last "
            "transactions); 'full' waits for the disk at every commit."
        ),
    )
    archive_dir: Path | None = Field(
        None, description=("Where fetched bodies are kept; default <home>/archive.")
    )
    contact: Text = Field(
        None,
        description=(
            "Contact address put in the User-Agent (government CDNs block anonymous clients)."
        ),
    )
    http_connect_timeout: Number = Field(
        10.0, gt=0, description="Seconds to wait for a connection."
    )
    http_read_timeout: Number = Field(
        30.0, gt=0, description=("Seconds to wait between bytes of a response.")
    )
    http_retries: Whole = Field(3, ge=0, description="Retries on connection errors, 429 and 5xx.")
    http_backoff: Number = Field(
        1.0, ge=0, description=("Backoff factor between retries, in seconds.")
    )
    http_max_bytes: Whole = Field(
        50 * 1024 * 1024, ge=1, description=("Largest body accepted, in bytes.")
    )
    host_min_interval: Number = Field(
        1.0, ge=0, description=("Least seconds between two requests to the same host.")
    )
    fetch_concurrency: Whole = Field(
        8,
        ge=1,
        le=64,
        description=(
            "How many hosts a poll fetches from at once (1: one request at a time). Never two "
            "requests to one host at once; one thread writes the database."
        ),
    )
    fetch_process_from: Whole = Field(
        16,
        ge=0,
        description=(
            "A run that polls at least this many sources (never fewer than 2) fetches in a "
            "process of its own (every request of the run, through one host throttle), which "
            "also reads the pages it fetched unless parse_processes is 0; 0: never, worker "
            "threads in the monitor's process fetch. Below it the process's start (about "
            "0.2 s of CPU) costs more than it saves. Used when fetch_concurrency is above 1."
        ),
    )
    parse_processes: Whole = Field(
        1,
        ge=0,
        le=64,
        description=(
            "How many processes read the pages a poll fetched ahead while one thread stores "
            "(0: the storing thread reads them; used when fetch_concurrency is above 1)."
        ),
    )
    broken_after: Whole = Field(
        3, ge=1, description=("Consecutive failed polls after which a source is marked broken.")
    )
    unreachable_after: Whole = Field(
        3,
        ge=1,
        description=(
            "Consecutive failed fetches after which a listed document is unreachable (its source's "
            "poll still succeeds when the listing was read)."
        ),
    )
    recheck_days: Whole = Field(
        7,
        ge=1,
        description=("Days between re-fetches of a report already archived (revisions, removals)."),
    )
    max_links_per_listing: Whole = Field(
        1000,
        ge=1,
        description=(
            "Most links taken from one listing page per poll; past it, the first ones are taken, "
            "a too_many_links problem names the cap, and no report is taken as removed from that "
            "page."
        ),
    )
    stale_after: Annotated[timedelta | None, BeforeValidator(duration)] = Field(
        None,
        description=(
            "How long after a deadline a source may go unread before the period is unknown "
            "(stale): a duration such as 36h, 2d, 1d12h or P2D. Default: two poll intervals of "
            "each source (48h for the daily sources)."
        ),
    )
    anomaly_tolerance: Number = Field(
        0.10,
        ge=0,
        description=(
            "Relative gap between DHS and HHS counts for one month that raises an anomaly."
        ),
    )
    watch_from: Annotated[date | None, BeforeValidator(iso_date)] = Field(
        None,
        description=(
            "ISO date; periods that end before it are not evaluated. Default: every period since "
            "each obligation took effect."
        ),
    )
    ack_survives_days: Whole = Field(
        30,
        ge=0,
        description=(
            "An acknowledgement survives a finding's reopen that comes less than this many days "
            "after it was resolved (0: never)."
        ),
    )
    lock_timeout: Number = Field(
        60.0,
        ge=0,
        description=(
            "Seconds a command that writes waits for another one writing to the same database "
            "before it gives up (exit 1); 0: do not wait."
        ),
    )
    log_level: Annotated[Literal["debug", "info", "warning", "error"], BeforeValidator(lower)] = (
        Field("info", description="Log level.")
    )
    log_format: Annotated[Literal["auto", "json", "text"], BeforeValidator(lower)] = Field(
        "auto", description="auto: JSON lines when stderr is not a terminal, text otherwise."
    )
    slack_token: Secret = Field(
        None,
        description=(
            "Slack bot token (secret). Scopes: chat:write, channels:history (groups:history for "
            "private channels)."
        ),
    )
    slack_channel: SlackChannel = Field(
        None,
        description=(
            "Default Slack channel ID for alerts (e.g. C0123ABCD); unset: no Slack alerts."
        ),
    )
    slack_routes: SlackRoutes = Field(
        {},
        description=(
            "Channel per severity or obligation id (TOML table; environment: "
            "high=C0123,obligation_id=C0456); obligation beats severity beats slack_channel."
        ),
    )
    slack_base_url: BaseUrl = Field(
        "https://slack.com/api/",
        description=("Slack Web API base URL (a proxy, or a local stand-in in tests)."),
    )
    smtp_host: Text = Field(None, description="SMTP server for the weekly digest; unset: no email.")
    smtp_port: Port = Field(
        None, description=("SMTP port; default 587 for starttls, 465 for ssl, 25 for none.")
    )
    smtp_tls: Annotated[Literal["starttls", "ssl", "none"], BeforeValidator(lower)] = Field(
        "starttls",
        description="starttls (upgrade a plain connection), ssl (TLS from the start) or none.",
    )
    smtp_user: Text = Field(None, description="SMTP login name; unset: no login.")
    smtp_password: Secret = Field(None, description="SMTP password (secret).")
    digest_from: Address = Field(None, description="Sender address of the weekly digest.")
    digest_to: Addresses = Field(
        (), description=("Recipients of the weekly digest, comma-separated.")
    )
    digest_day: Annotated[Literal[WEEKDAYS], BeforeValidator(lower)] = Field(
        "monday", description="Day `monitor serve` sends the digest of the week before."
    )
    digest_time: ClockTime = Field(
        time(9, 0), description=("Time of day (HH:MM) the digest is sent.")
    )
    digest_timezone: TimeZone = Field(
        "America/New_York",
        description=("Time zone of digest_day/digest_time and of the ISO weeks the digest covers."),
    )
    govinfo_api_key: Secret = Field(
        None,
        description=(
            "GovInfo API key (secret), sent in X-Api-Key by source govinfo_appropriations; unset: "
            "that source is not polled (not configured)."
        ),
    )
    congress_api_key: Secret = Field(
        None,
        description=(
            "Congress.gov API key (secret; sent in the X-Api-Key header by the "
            "congress_requirements and congress_communications sources)."
        ),
    )

    _config_file: Path | None = PrivateAttr(None)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Highest first: explicit arguments, then the environment, then the TOML file.
        return (
            init_settings,
            _Environment(settings_cls),
            _TomlFile(settings_cls, toml_file=config_path(_environ())),
        )

    @field_validator("home", "archive_dir", mode="before")
    @classmethod
    def _path(cls, value: Any) -> Any:
        value = one_line(value)
        return Path(value).expanduser() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is not None:
            check_database_url(value)
        return value

    def model_post_init(self, _context: Any) -> None:
        # Derived defaults live under home (the model is frozen once built).
        if self.archive_dir is None:
            object.__setattr__(self, "archive_dir", self.home / "archive")
        if self.database_url is None:
            object.__setattr__(self, "database_url", f"sqlite:///{self.home / 'monitor.db'}")
        if self.smtp_port is None:
            port = {"starttls": 587, "ssl": 465, "none": 25}[self.smtp_tls]
            object.__setattr__(self, "smtp_port", port)

    @property
    def config_file(self) -> Path | None:
        return self._config_file

    @property
    def user_agent(self) -> str:
        contact = self.contact or "no contact configured"
        return f"separation-reporting-monitor/0.1 (+{contact})"

    def secrets(self) -> list[str]:
        """Revealed secret values, for the log redaction filter."""
        return [
            value.get_secret_value()
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr) and value.get_secret_value()
        ]

    def redacted(self) -> dict[str, Any]:
        """Settings as plain data with secrets replaced by '***' (or None when unset)."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "***"
            elif isinstance(value, (Path, time)):
                value = str(value) if isinstance(value, Path) else value.strftime("%H:%M")
            elif isinstance(value, timedelta):
                value = format_duration(value)
            elif isinstance(value, (tuple, Mapping)):
                value = dict(value) if isinstance(value, Mapping) else list(value)
            out[name] = value
        out["database_url"] = redact_url(self.database_url)
        out["slack_base_url"] = redact_url(self.slack_base_url)
        out["config_file"] = str(self.config_file) if self.config_file else None
        out["user_agent"] = self.user_agent
        return out

    def __repr_args__(self):
        return list(self.redacted().items())


# --- the registry: one entry per field, read by the README test and the bad-value test ----------


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    secret: bool = False

    @property
    def env(self) -> str:
        return PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(name, field.default, field.description or "", "SecretStr" in str(field.annotation))
    for name, field in Settings.model_fields.items()
)
_BY_NAME = {s.name: s for s in SETTINGS}


# --- messages ------------------------------------------------------------------------


def _origin(name: str, environ: Mapping[str, str], path: Path | None) -> str:
    setting = _BY_NAME.get(name)
    if setting is not None and environ.get(setting.env):
        return setting.env
    return f"{name} in {path} ({CONFIG_VAR})" if path else (setting.env if setting else name)


def _lines(exc: ValidationError, environ: Mapping[str, str], path: Path | None) -> list[str]:
    lines, seen = [], set()
    for error in exc.errors(include_url=False):
        name = str(error["loc"][0]) if error["loc"] else ""
        if name in seen:
            continue
        seen.add(name)
        if error["type"] == "extra_forbidden":
            lines.append(
                f"{path} ({CONFIG_VAR}): unknown setting {name!r}; known: {', '.join(_BY_NAME)}"
            )
            continue
        shown, origin = error.get("input"), _origin(name, environ, path)
        setting = _BY_NAME.get(name)
        if name == "database_url" and isinstance(shown, str) and error["type"] == "value_error":
            lines.append(f"{origin} {redact_url(shown)!r} {describe(error)}")
        elif setting is not None and setting.secret:
            lines.append(f"{origin} {describe(error)} (the value is a secret and not shown)")
        else:
            lines.append(f"{origin} {describe(error)}, got {shown!r}")
    return lines


def _directory_lines(
    settings: Settings, environ: Mapping[str, str], path: Path | None, given: set[str]
) -> list[str]:
    lines = []
    home_used = "archive_dir" not in given or "database_url" not in given
    if home_used or "home" in given:
        problem = directory_problem(settings.home)
        if problem:
            lines.append(f"{_origin('home', environ, path)}: {problem}")
    if not lines or "archive_dir" in given:
        problem = directory_problem(settings.archive_dir)
        if problem:
            name = "archive_dir" if "archive_dir" in given else "home"
            lines.append(f"{_origin(name, environ, path)}: archive directory {problem}")
    return lines


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the effective settings from ``environ`` (default: os.environ) and the file it
    names. Raises ConfigError with one line per bad setting."""
    env = os.environ if environ is None else environ
    token = _ENVIRON.set(env)
    try:
        path = config_path(env)
        try:
            settings = Settings()
        except ValidationError as exc:
            raise ConfigError("\n".join(_lines(exc, env, path))) from None
    finally:
        _ENVIRON.reset(token)
    object.__setattr__(settings, "_config_file", path)  # private, not a setting
    lines = _directory_lines(settings, env, path, settings.model_fields_set)
    if lines:
        raise ConfigError("\n".join(lines))
    return settings
