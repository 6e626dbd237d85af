"""Reporting periods: calendar months, federal fiscal years (October 1 - September 30) and
explicit date ranges, with the one text form used in rule files, cases and the CLI.

Text forms: ``2019-06`` (a month), ``FY2020`` (fiscal year 2020 = 2019-10-01..2020-09-30),
``2019-10-01..2020-01-31`` (a range) and ``2022-05-14`` (a single day).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Iterator

from rules.calendar import last_day_of_month


class PeriodError(ValueError):
    """A period written in a form this module does not read."""


@dataclass(frozen=True, order=True, slots=True)
class Period:
    start: date
    end: date
    # Derived once: periods are compared and labelled hundreds of thousands of times.
    is_month: bool = field(init=False, compare=False, repr=False)
    label: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(f"period ends {self.end} before it starts {self.start}")
        start, end = self.start, self.end
        is_month = (
            start.day == 1
            and end.year == start.year
            and end.month == start.month
            and end.day == last_day_of_month(end.year, end.month)
        )
        object.__setattr__(self, "is_month", is_month)
        object.__setattr__(self, "label", _label(start, end, is_month))

    def contains(self, other: "Period") -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: "Period") -> bool:
        return self.start <= other.end and other.start <= self.end

    def __str__(self) -> str:
        return self.label

    def evidence(self) -> dict[str, date | str]:
        """The ``period`` a finding's evidence carries: the one place that shape is written."""
        return {"start": self.start, "end": self.end, "label": self.label}


def _label(start: date, end: date, is_month: bool) -> str:
    if is_month:
        return f"{start.year:04d}-{start.month:02d}"
    fy = fiscal_year_of(end)
    if start == date(fy - 1, 10, 1) and end == date(fy, 9, 30):
        return f"FY{fy}"
    if start == end:
        return start.isoformat()
    return f"{start.isoformat()}..{end.isoformat()}"


@lru_cache(maxsize=4096)
def month(year: int, month_number: int) -> Period:
    """The calendar month (one immutable Period per month: asked for hundreds of thousands of
    times by an evaluation)."""
    return Period(
        date(year, month_number, 1), date(year, month_number, last_day_of_month(year, month_number))
    )


def month_index(day: date) -> int:
    """Months since year 0: consecutive months differ by one, across year ends."""
    return day.year * 12 + day.month - 1


def month_from_index(index: int) -> Period:
    year, m = divmod(index, 12)
    return month(year, m + 1)


def months(first: Period, last: Period) -> Iterator[Period]:
    """Every calendar month from the month of ``first.start`` to the month of ``last.start``."""
    for index in range(month_index(first.start), month_index(last.start) + 1):
        yield month_from_index(index)


def fiscal_year_of(day: date) -> int:
    """The federal fiscal year containing ``day``: FY2021 began on 2020-10-01."""
    return day.year + 1 if day.month >= 10 else day.year


def fiscal_year(fy: int) -> Period:
    return Period(date(fy - 1, 10, 1), date(fy, 9, 30))


def fiscal_years(first: Period, last: Period) -> Iterator[Period]:
    for fy in range(fiscal_year_of(first.start), fiscal_year_of(last.start) + 1):
        yield fiscal_year(fy)


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_FY = re.compile(r"^FY\s?(\d{4})$", re.IGNORECASE)
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_period(text: str | date) -> Period:
    """Read ``2019-06``, ``FY2020``, ``2019-10-01..2020-01-31`` or ``2022-05-14``."""
    if isinstance(text, date):
        return Period(text, text)
    raw = str(text).strip()
    try:
        if m := _MONTH.match(raw):
            return month(int(m.group(1)), int(m.group(2)))
        if m := _FY.match(raw):
            return fiscal_year(int(m.group(1)))
        if m := _RANGE.match(raw):
            return Period(date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2)))
        if _DAY.match(raw):
            day = date.fromisoformat(raw)
            return Period(day, day)
    except ValueError as exc:
        raise PeriodError(f"{raw!r} is not a valid period: {exc}") from None
    raise PeriodError(
        f"{raw!r} is not a period: write 2019-06, FY2020, 2019-10-01..2020-01-31 or 2022-05-14"
    )
