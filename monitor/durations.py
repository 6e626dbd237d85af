"""Durations in settings: ``36h``, ``2d``, ``1d12h``, ``90m``, ``1w`` or ISO 8601 (``P2D``,
``PT36H``). One parser so every duration setting reads and prints the same way."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhm])")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?\s*[wdhm]\s*)+")
_ISO = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


def parse_duration(raw: object) -> timedelta:
    """A positive duration; ValueError with the accepted forms otherwise."""
    if isinstance(raw, timedelta):
        value = raw
    else:
        text = str(raw).strip().lower().replace(" ", "")
        iso = _ISO.fullmatch(text.upper()) if text.startswith("p") else None
        if iso and any(iso.groups()):
            w, d, h, m, s = (int(g) if g else 0 for g in iso.groups())
            value = timedelta(weeks=w, days=d, hours=h, minutes=m, seconds=s)
        elif text and _WHOLE.fullmatch(text):
            value = sum((float(n) * _UNITS[u] for n, u in _PART.findall(text)), timedelta())
        else:
            raise ValueError("must be a duration such as 36h, 2d, 1d12h, 90m or P2D")
    if value <= timedelta(0):
        raise ValueError("must be longer than zero")
    return value


def format_duration(value: timedelta) -> str:
    """``2d``, ``1d12h``, ``90m``: the short form parse_duration reads back."""
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    out = (
        (f"{days}d" if days else "") + (f"{hours}h" if hours else "") + (f"{mins}m" if mins else "")
    )
    return out or f"{int(value.total_seconds())}s"


def duration(value: object) -> timedelta | None:
    """A setting's value: None stays None (the default), anything else must parse."""
    return None if value is None else parse_duration(value)
