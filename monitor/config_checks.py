"""Checks and wording behind monitor.config: value types that fail in the monitor's own words,
the database URL check, the directories the monitor writes in, and URL redaction."""

from __future__ import annotations

import math
import os
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, SecretStr

from monitor.errors import ConfigError

SUPPORTED_DATABASES = (
    "SQLite (sqlite:///PATH) and PostgreSQL via psycopg (postgresql+psycopg://USER@HOST/DB)"
)


def _not_bool(what: str):
    def check(value: Any) -> Any:
        if isinstance(value, bool):  # pydantic would read true as 1
            raise ValueError(f"must be {what}")
        return value

    return check


def one_line(value: Any) -> Any:
    """Text settings end up in HTTP headers and log lines: one line, no control characters."""
    if isinstance(value, str):
        value = value.strip()
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise ValueError("must be one line without control characters")
        return value or None
    return value


def lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def iso_date(value: Any) -> Any:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError("must be an ISO date (YYYY-MM-DD)") from None


def _finite(value: Any) -> Any:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value  # pydantic says it is not a number
    if not math.isfinite(number):  # before the bounds: "nan must be 0 or more" would mislead
        raise ValueError("must be a finite number")
    return value


Whole = Annotated[int, BeforeValidator(_not_bool("a whole number"))]
Number = Annotated[float, BeforeValidator(_finite), BeforeValidator(_not_bool("a number"))]
Text = Annotated[str | None, BeforeValidator(one_line)]
Secret = Annotated[SecretStr | None, BeforeValidator(one_line)]


def redact_url(url: str) -> str:
    """Hide a password embedded in a database URL, keeping the user name (also in text that does
    not parse): the one URL redaction of scrapers/redact.py."""
    from scrapers.redact import redact_url as redact

    return redact(url, keep_user=True)


def check_database_url(url: str) -> None:
    """A URL SQLAlchemy can parse, naming SQLite or PostgreSQL through psycopg, whose driver is
    installed. Raises ValueError saying what is wrong (the caller names the setting)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ValueError("is not a database URL; supported: " + SUPPORTED_DATABASES) from None
    name = parsed.drivername
    if name == "postgresql":  # make_engine reads plain postgresql:// as psycopg 3
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        parsed.get_dialect().import_dbapi()
        installed = True
    except NoSuchModuleError:  # not a database SQLAlchemy knows: "installed" says nothing
        installed = True
    except ImportError:
        installed = False
    supported = parsed.drivername in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")
    if not supported or not installed:
        why = " and ".join(
            w
            for w, bad in (("not installed", not installed), ("not supported", not supported))
            if bad
        )
        raise ValueError(
            f"names database driver {name!r}, which is {why}; supported: {SUPPORTED_DATABASES}"
        )


def describe(error: dict[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "must be a whole number"
    if kind in ("float_parsing", "float_type"):
        return "must be a number"
    if kind == "finite_number":
        return "must be a finite number"
    if kind == "greater_than_equal":
        return f"must be {ctx['ge']:g} or more"
    if kind == "greater_than":
        return f"must be greater than {ctx['gt']:g}"
    if kind == "less_than_equal":
        return f"must be {ctx['le']:g} or less"
    if kind == "literal_error":
        return "must be one of " + ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected"))))
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind in ("string_type", "path_type"):
        return "must be text"
    return error["msg"][0].lower() + error["msg"][1:]


def directory_problem(path: Path) -> str | None:
    """Why ``path`` cannot be (or become) a directory the monitor writes in; None if it can."""
    if path.exists():
        if not path.is_dir():
            return f"{path} is a file, not a directory"
        return None if os.access(path, os.W_OK | os.X_OK) else f"{path} is not writable"
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"{path} cannot be created: {parent} is a file"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{path} cannot be created: {parent} is not writable"
    return None


def ensure_directory(path: Path, setting: str) -> None:
    """Create a directory the monitor owns (its home) on first use; ConfigError if it cannot."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{setting}: {path} cannot be created: {exc.strerror or exc}") from None
