"""Argument types shared by the findings commands (a module starting with "_" is not a command)."""

from __future__ import annotations

import argparse
from datetime import date, datetime


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def day_or_instant(text: str) -> date | datetime:
    """YYYY-MM-DD (the end of that day in Washington) or an ISO datetime with its offset."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a date (YYYY-MM-DD) nor an ISO datetime"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (add Z or +00:00)")
    return value


def finding_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a finding id (a number)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a finding id (a number)")
    return value
