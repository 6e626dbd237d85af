"""Calendar arithmetic: months with clamping (leap days), business days over federal holidays,
end-of-day deadlines in Washington across daylight-saving changes, fiscal years, period text."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from rules.calendar import (
    add_months,
    as_instant,
    eastern_date,
    end_of_day,
    federal_holiday,
    is_business_day,
    next_business_day,
)
from rules.periods import (
    Period,
    PeriodError,
    fiscal_year,
    fiscal_year_of,
    month,
    months,
    parse_period,
)

UTC = timezone.utc


@pytest.mark.parametrize(
    "start,n,expected",
    [
        (date(2020, 1, 31), 1, date(2020, 2, 29)),  # leap year
        (date(2021, 1, 31), 1, date(2021, 2, 28)),
        (date(2020, 1, 31), 2, date(2020, 3, 31)),  # from the anchor: no drift to the 29th
        (date(2019, 12, 15), 1, date(2020, 1, 15)),  # across the year end
        (date(2020, 3, 31), -1, date(2020, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_month_end(start, n, expected):
    assert add_months(start, n) == expected


def test_add_months_to_a_given_day():
    assert add_months(date(2020, 2, 1), 0, on_day=31) == date(2020, 2, 29)


@pytest.mark.parametrize(
    "day,expected",
    [
        (date(2020, 7, 3), date(2020, 7, 6)),  # Independence Day observed (Friday) -> Monday
        (date(2022, 5, 14), date(2022, 5, 16)),  # Saturday -> Monday
        (date(2022, 6, 20), date(2022, 6, 21)),  # Juneteenth observed
        (date(2021, 12, 31), date(2022, 1, 3)),  # New Year's Day 2022 observed on a Friday
        (date(2022, 11, 24), date(2022, 11, 25)),  # Thanksgiving
        (date(2022, 11, 25), date(2022, 11, 25)),  # the day after is a business day
        (date(2020, 2, 3), date(2020, 2, 3)),
    ],
)
def test_next_business_day_skips_weekends_and_federal_holidays(day, expected):
    assert next_business_day(day) == expected


def test_federal_holidays_are_named():
    assert "Independence Day" in federal_holiday(date(2020, 7, 3))
    assert federal_holiday(date(2020, 7, 7)) is None
    assert not is_business_day(date(2022, 12, 26))  # Christmas observed


@pytest.mark.parametrize(
    "day,utc",
    [
        (date(2022, 1, 10), datetime(2022, 1, 11, 4, 59, 59, 999999, UTC)),  # EST, UTC-5
        (date(2022, 7, 10), datetime(2022, 7, 11, 3, 59, 59, 999999, UTC)),  # EDT, UTC-4
        (date(2022, 3, 13), datetime(2022, 3, 14, 3, 59, 59, 999999, UTC)),  # spring forward day
        (date(2022, 11, 6), datetime(2022, 11, 7, 4, 59, 59, 999999, UTC)),  # fall back day
    ],
)
def test_end_of_day_in_washington_across_daylight_saving(day, utc):
    assert end_of_day(day) == utc
    assert eastern_date(utc) == day
    assert eastern_date(utc + timedelta(microseconds=1)) == day + timedelta(days=1)


def test_as_instant_reads_a_date_as_the_end_of_that_day_and_refuses_naive_times():
    assert as_instant(date(2022, 1, 10)) == end_of_day(date(2022, 1, 10))
    aware = datetime(2022, 1, 10, 12, tzinfo=UTC)
    assert as_instant(aware) == aware
    with pytest.raises(ValueError, match="naive"):
        as_instant(datetime(2022, 1, 10, 12))


@pytest.mark.parametrize(
    "day,fy",
    [
        (date(2020, 9, 30), 2020),
        (date(2020, 10, 1), 2021),
        (date(2021, 1, 1), 2021),
    ],
)
def test_fiscal_year_rolls_over_on_october_first(day, fy):
    assert fiscal_year_of(day) == fy


def test_fiscal_year_bounds_and_label():
    assert fiscal_year(2021) == Period(date(2020, 10, 1), date(2021, 9, 30))
    assert fiscal_year(2021).label == "FY2021"


def test_months_iterate_across_the_fiscal_and_calendar_year():
    got = [p.label for p in months(month(2020, 9), month(2021, 1))]
    assert got == ["2020-09", "2020-10", "2020-11", "2020-12", "2021-01"]
    assert month(2024, 2).end == date(2024, 2, 29)


@pytest.mark.parametrize(
    "text,start,end",
    [
        ("2019-06", date(2019, 6, 1), date(2019, 6, 30)),
        ("FY2020", date(2019, 10, 1), date(2020, 9, 30)),
        ("2019-10-01..2020-01-31", date(2019, 10, 1), date(2020, 1, 31)),
        ("2022-05-14", date(2022, 5, 14), date(2022, 5, 14)),
    ],
)
def test_parse_period(text, start, end):
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)
    assert parse_period(period.label) == period


@pytest.mark.parametrize("bad", ["2019-13", "June 2019", "2020-02-30", "2020-03-01..2020-02-01"])
def test_parse_period_rejects_bad_text(bad):
    with pytest.raises(PeriodError):
        parse_period(bad)
