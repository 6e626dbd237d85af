"""Deadline words and what they mean: the family of phrasings, beyond the labelled paragraphs."""

from __future__ import annotations

import pytest

from scrapers.discovery.deadline import number, read_deadline
from scrapers.discovery.patterns import load

CASES = [
    # (text, cadence, days, hours, months, anchor)
    (
        "Not later than 14 days after the date of enactment of this Act, and monthly thereafter, "
        "the Secretary shall submit",
        "monthly",
        14,
        None,
        None,
        "enactment",
    ),
    (
        "not later than fourteen days after enactment and monthly thereafter",
        "monthly",
        14,
        None,
        None,
        "enactment",
    ),
    (
        "not later than sixty (60) days after the date of enactment of this Act",
        "one_time",
        60,
        None,
        None,
        "enactment",
    ),
    ("within one hundred and eighty days of enactment", "one_time", 180, None, None, "enactment"),
    (
        "not later than 30 days after the date on which this Act is enacted",
        "one_time",
        30,
        None,
        None,
        "enactment",
    ),
    (
        "not later than 6 months after the date of enactment of this Act",
        "one_time",
        None,
        None,
        6,
        "enactment",
    ),
    ("no later than 2 weeks after enactment", "one_time", 14, None, None, "enactment"),
    ("within 90 days", "one_time", 90, None, None, None),
    ("within 30 days of the end of each month", "monthly", 30, None, None, "period_end"),
    (
        "not later than 45 days after the close of each fiscal quarter",
        "quarterly",
        45,
        None,
        None,
        "period_end",
    ),
    (
        "not later than 60 days after the end of each fiscal year",
        "annual",
        60,
        None,
        None,
        "period_end",
    ),
    ("shall brief the Committees every three months", "quarterly", None, None, None, None),
    ("shall report on a quarterly basis", "quarterly", None, None, None, None),
    ("shall submit an annual report", "annual", None, None, None, None),
    (
        "with the fiscal year 2024 budget submission and each year thereafter",
        "annual",
        None,
        None,
        None,
        None,
    ),
    ("shall brief the Committees every six months", "unspecified", None, None, None, None),
    ("shall provide weekly updates", "unspecified", None, None, None, None),
    ("shall report biannually", "unspecified", None, None, None, None),
    ("within 24 hours of any such separation", "per_event", None, 24, None, "event"),
    (
        "within forty-eight hours after the transfer of a child",
        "per_event",
        None,
        48,
        None,
        "event",
    ),
    ("within 72 hours", "per_event", None, 72, None, None),
    ("within 5 business days of receiving a request", "per_event", 5, None, None, "event"),
    (
        "not less than 15 days before entering into any agreement",
        "per_event",
        15,
        None,
        None,
        "before_event",
    ),
    ("whenever a child is separated from a parent", "per_event", None, None, None, "event"),
    ("prior to the deployment of HART Increment 2", "per_event", None, None, None, "before_event"),
    ("shall submit a report on family separations", "unspecified", None, None, None, None),
]


@pytest.mark.parametrize(
    "text,cadence,days,hours,months,anchor", CASES, ids=[c[0][:48] for c in CASES]
)
def test_deadline_phrases(text, cadence, days, hours, months, anchor):
    d = read_deadline(text, load())
    assert (d.cadence, d.days, d.hours, d.months, d.anchor) == (
        cadence,
        days,
        hours,
        months,
        anchor,
    )
    if (
        cadence == "unspecified"
        and "every" not in text
        and "weekly" not in text
        and "annually" not in text
    ):
        assert d.phrase is None
    else:
        assert d.phrase and d.phrase.lower() in text.lower()


def test_starts_dates_and_days_of_the_month():
    p = load()
    assert (
        read_deadline(
            "Beginning with April 2018, the Secretary shall submit a monthly report", p
        ).starts
        == "2018-04"
    )
    assert (
        read_deadline("beginning in fiscal year 2024, and annually thereafter", p).starts
        == "FY2024"
    )
    d = read_deadline("not later than September 30, 2022, the Secretary shall report", p)
    assert (d.cadence, d.due_date) == ("one_time", "2022-09-30")
    d = read_deadline("not later than the 3rd day of each month", p)
    assert (d.cadence, d.due_day) == ("monthly", 3)


def test_semiannual_is_not_read_as_annual():
    d = read_deadline("OBIM shall brief the Committees on a semi-annual basis", load())
    assert (d.cadence, d.phrase) == ("unspecified", "on a semi-annual basis")


def test_a_count_per_month_is_not_a_cadence():
    d = read_deadline("a one-time report on the monthly number of separations since 2018", load())
    assert d.cadence == "unspecified"


@pytest.mark.parametrize(
    "words,value",
    [
        ("14", 14),
        ("fourteen", 14),
        ("sixty", 60),
        ("forty-five", 45),
        ("one hundred twenty", 120),
        ("one hundred and eighty", 180),
        ("eleventy", None),
    ],
)
def test_numbers_in_words(words, value):
    assert number(words) == value
