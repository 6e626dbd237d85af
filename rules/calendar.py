"""Calendar arithmetic behind every deadline: months, business days and end-of-day instants.

Deadlines are dates in Washington: a report due on a day is on time until the last instant of that
day in America/New_York, whatever the offset (EST or EDT) is on that day. A due date that falls on
a weekend or a federal holiday (as observed, per the `holidays` package) rolls forward to the next
business day when an obligation says so. Nothing here reads the clock.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

EASTERN = ZoneInfo("America/New_York")
_LAST_INSTANT = time(23, 59, 59, 999999)

# One calendar for the life of the process; `expand` fills in years on first use.
_US_FEDERAL = holidays.country_holidays("US", observed=True)


def federal_holiday(day: date) -> str | None:
    """The name of the federal holiday observed on ``day``, or None."""
    return _US_FEDERAL.get(day)


@lru_cache(maxsize=65536)
def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _US_FEDERAL


@lru_cache(maxsize=65536)
def next_business_day(day: date) -> date:
    """``day`` itself when it is a business day, else the first business day after it."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def last_day_of_month(year: int, month: int) -> int:
    return _stdlib_calendar.monthrange(year, month)[1]


def add_months(day: date, months: int, *, on_day: int | None = None) -> date:
    """``day`` moved by whole months, keeping its day of month (or ``on_day``) and clamping to
    the month's last day: 2020-01-31 + 1 month is 2020-02-29, + 2 months is 2020-03-31.

    Always compute from the anchor (``add_months(anchor, k)``), never step by step, or a clamp
    in February would drag every later month back to the 28th.
    """
    return day + relativedelta(months=months, day=day.day if on_day is None else on_day)


@lru_cache(maxsize=65536)
def end_of_day(day: date) -> datetime:
    """The last instant of ``day`` in America/New_York, as an aware UTC datetime."""
    return datetime.combine(day, _LAST_INSTANT, tzinfo=EASTERN).astimezone(timezone.utc)


def eastern_date(instant: datetime) -> date:
    """The calendar date in Washington at ``instant`` (aware)."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: pass an aware datetime")
    return instant.astimezone(EASTERN).date()


def as_instant(value: date | datetime) -> datetime:
    """An evaluation time as an aware UTC instant. A bare date means "as of the end of that day
    in Washington", so a deadline on that day has not yet passed."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime or a date")
        return value.astimezone(timezone.utc)
    return end_of_day(value)
