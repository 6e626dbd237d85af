"""Value types of the delivery settings (Slack alerts, the weekly digest by email), failing in the
monitor's own words like those of monitor.config_checks."""

from __future__ import annotations

import re
from datetime import time
from email.utils import parseaddr
from typing import Annotated, Any, Mapping

from pydantic import BeforeValidator
from pydantic_settings import NoDecode

from monitor.config_checks import one_line

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_ROUTE_KEY = re.compile(r"^[a-z0-9_]+$")


def slack_channel(value: Any) -> Any:
    value = one_line(value)
    if value is not None and not _CHANNEL.match(str(value)):
        raise ValueError(
            "must be a Slack channel ID such as C0123ABCD (not a #name: the monitor "
            "reads the channel's history by ID)"
        )
    return value


def slack_routes(value: Any) -> Any:
    """severity or obligation id -> channel ID: a TOML table, or in the environment
    ``high=C0123ABCD,hhs_separated_children_monthly=C0456EFGH``."""
    if isinstance(value, str):
        pairs = [p for p in (part.strip() for part in value.split(",")) if p]
        if any("=" not in p for p in pairs):
            raise ValueError("must be KEY=CHANNEL pairs separated by commas")
        value = dict(p.split("=", 1) for p in pairs)
    if not isinstance(value, Mapping):
        raise ValueError("must be a table of severity or obligation id = channel ID")
    routes = {}
    for key, channel in value.items():
        key = str(key).strip().lower()
        if not _ROUTE_KEY.match(key):
            raise ValueError(
                f"must map severities or obligation ids to channels ({key!r} is neither)"
            )
        if not _CHANNEL.match(str(channel).strip()):
            raise ValueError(
                f"must map to Slack channel IDs such as C0123ABCD ({str(channel)!r} is not one)"
            )
        routes[key] = str(channel).strip()
    return routes


def base_url(value: Any) -> Any:
    """An http(s) base URL, ending in "/" (slack-sdk appends the method name)."""
    from urllib.parse import urlsplit

    value = one_line(value)
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL")
    return value if value.endswith("/") else value + "/"


def port(value: Any) -> Any:
    value = one_line(value)
    if value is None:
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise ValueError("must be a TCP port (1-65535)") from None
    if isinstance(value, bool) or not 1 <= number <= 65535:
        raise ValueError("must be a TCP port (1-65535)")
    return number


def address(value: Any) -> Any:
    value = one_line(value)
    if value is None:
        return None
    _name, addr = parseaddr(str(value))
    if "@" not in addr or " " in addr:
        raise ValueError("must be an email address")
    return value


def address_list(value: Any) -> Any:
    parts = value if isinstance(value, (list, tuple)) else str(one_line(value) or "").split(",")
    parts = [str(p).strip() for p in parts if str(p).strip()]
    for part in parts:
        try:
            address(part)
        except ValueError:
            raise ValueError(
                f"must be email addresses separated by commas ({part!r} is not one)"
            ) from None
    if not parts:
        raise ValueError("must name at least one email address")
    return tuple(parts)


def clock_time(value: Any) -> Any:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    match = re.match(r"^([01]?\d|2[0-3]):([0-5]\d)$", str(one_line(value)))
    if not match:
        raise ValueError("must be a time of day HH:MM (24-hour)")
    return time(int(match.group(1)), int(match.group(2)))


def timezone(value: Any) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = one_line(value)
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone such as America/New_York") from None
    return value


SlackChannel = Annotated[str | None, BeforeValidator(slack_channel)]
SlackRoutes = Annotated[Mapping[str, str], NoDecode, BeforeValidator(slack_routes)]
BaseUrl = Annotated[str, BeforeValidator(base_url)]
Port = Annotated[int | None, BeforeValidator(port)]
Address = Annotated[str | None, BeforeValidator(address)]
Addresses = Annotated[tuple[str, ...], NoDecode, BeforeValidator(address_list)]
ClockTime = Annotated[time, BeforeValidator(clock_time)]
TimeZone = Annotated[str, BeforeValidator(timezone)]
