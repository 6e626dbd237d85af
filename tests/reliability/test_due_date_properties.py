"""Properties of the due-date arithmetic, checked by hypothesis over centuries of dates and every
shape of due rule an obligation file may write (rules/calendar.py, rules/periods.py,
rules/schedule.py): a due date never falls before the period it is for has ended, moves
forward with the period, lands on a business day when the obligation rolls it, and a deadline
is the last instant of its day in Washington. Example-based tests of the real obligations are
in tests/test_rules_calendar.py and tests/test_rules_schedule.py."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rulekit import obligation
from rules.calendar import (
    add_months,
    as_instant,
    eastern_date,
    end_of_day,
    is_business_day,
    last_day_of_month,
    next_business_day,
)
from rules.obligations import DueRule
from rules.periods import (
    Period,
    fiscal_year,
    fiscal_year_of,
    month,
    month_from_index,
    month_index,
    months,
    parse_period,
)
from rules.schedule import schedule, statutory_due


def _month_of(day: date) -> Period:
    return month(day.year, day.month)


DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
MONTHS = st.builds(_month_of, DAYS)
SETTINGS = settings(max_examples=200, deadline=None)

# Every after_period_end rule a file may write: days after the end, or a day (or the last day)
# of a month some months after the period's last month.
AFTER_END = st.one_of(
    st.builds(lambda d: DueRule(rule="after_period_end", days=d), st.integers(0, 3650)),
    st.builds(
        lambda m, d: DueRule(rule="after_period_end", months=m, day=d),
        st.integers(1, 120),
        st.one_of(st.integers(1, 31), st.just("last")),
    ),
    st.just(DueRule(rule="after_period_end", months=0, day="last")),
)


# --- calendar --------------------------------------------------------------------------------


@SETTINGS
@given(DAYS)
def test_next_business_day_is_the_first_business_day_on_or_after(day):
    rolled = next_business_day(day)
    assert rolled >= day and is_business_day(rolled)
    assert all(not is_business_day(day + timedelta(days=i)) for i in range((rolled - day).days))
    assert (rolled - day).days <= 4  # a weekend and a holiday at most
    assert next_business_day(rolled) == rolled


@SETTINGS
@given(DAYS, DAYS)
def test_next_business_day_never_reorders_days(a, b):
    if a <= b:
        assert next_business_day(a) <= next_business_day(b)


@SETTINGS
@given(DAYS, st.integers(-1200, 1200))
def test_add_months_moves_whole_months_and_clamps_to_the_month_end(day, k):
    moved = add_months(day, k)
    assert month_index(moved) - month_index(day) == k
    assert moved.day == min(day.day, last_day_of_month(moved.year, moved.month))
    if day.day <= 28:
        assert add_months(moved, -k) == day


@SETTINGS
@given(DAYS)
def test_end_of_day_is_the_last_instant_of_that_day_in_washington(day):
    end = end_of_day(day)
    assert eastern_date(end) == day
    assert eastern_date(end + timedelta(microseconds=1)) == day + timedelta(days=1)
    assert as_instant(day) == end
    hours = (end_of_day(day + timedelta(days=1)) - end).total_seconds() / 3600
    assert hours in (23, 24, 25)  # a day is 24 hours, 23 or 25 when the clocks change


# --- periods ---------------------------------------------------------------------------------


@SETTINGS
@given(DAYS)
def test_a_day_lies_in_its_month_and_its_fiscal_year(day):
    one = Period(day, day)
    assert _month_of(day).contains(one) and month_from_index(month_index(day)) == _month_of(day)
    assert fiscal_year(fiscal_year_of(day)).contains(one)
    assert fiscal_year(fiscal_year_of(day)).contains(_month_of(day))  # FYs are whole months


@SETTINGS
@given(
    st.one_of(
        MONTHS,
        st.builds(fiscal_year, st.integers(1991, 2090)),
        st.builds(lambda a, n: Period(a, a + timedelta(days=n)), DAYS, st.integers(0, 4000)),
    )
)
def test_a_period_written_as_text_reads_back_as_itself(period):
    assert parse_period(str(period)) == period


@SETTINGS
@given(MONTHS, st.integers(0, 60))
def test_months_run_consecutively_without_gaps(first, span):
    last = month_from_index(month_index(first.start) + span)
    run = list(months(first, last))
    assert len(run) == span + 1 and run[0] == first and run[-1] == last
    assert all(b.start == a.end + timedelta(days=1) for a, b in zip(run, run[1:]))


# --- due dates -------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [1, 15, 30])
def test_a_rule_due_inside_the_period_itself_is_refused(day):
    """Found by the property below: `months: 0, day: 1` made a period's report due on the 1st
    of its own last month, before the period ended. Only `day: last` is allowed with months 0."""
    with pytest.raises(ValueError, match="before the period ends"):
        DueRule(rule="after_period_end", months=0, day=day)
    assert DueRule(rule="after_period_end", months=0, day="last").day == "last"


@SETTINGS
@given(AFTER_END, st.one_of(MONTHS, st.builds(fiscal_year, st.integers(1991, 2090))))
def test_a_due_date_is_never_before_the_period_ends(rule, period):
    assert statutory_due(rule, period, None) >= period.end


@SETTINGS
@given(AFTER_END, MONTHS, st.integers(1, 36))
def test_a_due_date_moves_forward_with_the_period(rule, first, later):
    second = month_from_index(month_index(first.start) + later)
    assert statutory_due(rule, first, None) <= statutory_due(rule, second, None)


@SETTINGS
@given(DAYS, st.integers(0, 60), MONTHS, st.integers(1, 36))
def test_monthly_after_enactment_is_monthly_and_starts_with_the_month_before(
    enacted, days, first, later
):
    rule = DueRule(rule="monthly_after_enactment", citation="act", days=days)
    first_due = enacted + timedelta(days=days)
    opening = month_from_index(month_index(first_due) - 1)
    assert statutory_due(rule, opening, enacted) == first_due
    assume(first.start >= opening.start)
    second = month_from_index(month_index(first.start) + later)
    a, b = statutory_due(rule, first, enacted), statutory_due(rule, second, enacted)
    assert a <= b and month_index(b) - month_index(a) == later
    assert a > first.end or a == first_due  # each month's report is due after it ends


def _ob(due: dict, roll: str, grace: int):
    first = "2019-12"
    if due["rule"] == "monthly_after_enactment":
        # the loader refuses months before the one the first deadline covers (enacted
        # 2019-12-20 in rulekit; 60 days after it already covers 2020-01)
        first_due = date(2019, 12, 20) + timedelta(days=due["days"])
        first = month_from_index(month_index(first_due) - 1).label
    return obligation(
        cadence={
            "kind": "monthly",
            "roll": roll,
            "segments": [{"citation": "act", "first_period": first, "due": due}],
        },
        grace_days=grace,
    )


DUE_SPECS = st.one_of(
    st.builds(lambda d: {"rule": "after_period_end", "days": d}, st.integers(0, 400)),
    st.builds(
        lambda m, d: {"rule": "after_period_end", "months": m, "day": d},
        st.integers(1, 12),
        st.one_of(st.integers(1, 31), st.just("last")),
    ),
    st.builds(
        lambda d: {"rule": "monthly_after_enactment", "citation": "act", "days": d},
        st.integers(0, 60),
    ),
)


@settings(max_examples=60, deadline=None)
@given(
    DUE_SPECS,
    st.sampled_from(["none", "next_business_day"]),
    st.integers(0, 30),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)),
)
def test_every_scheduled_deadline_is_ordered_rolled_and_graced(due, roll, grace, through):
    dues = schedule(_ob(due, roll, grace), through)
    assert dues and all(d.period.start <= through for d in dues)
    for d in dues:
        assert d.due >= d.statutory_due
        if roll == "next_business_day":
            assert is_business_day(d.due) and d.due == next_business_day(d.statutory_due)
        else:
            assert d.due == d.statutory_due
        assert d.deadline_date == d.due + timedelta(days=grace)
        assert d.deadline == end_of_day(d.deadline_date)
        if due["rule"] == "after_period_end":
            assert d.statutory_due >= d.period.end
    assert [d.period for d in dues] == sorted(d.period for d in dues)
    assert all(a.due <= b.due and a.deadline <= b.deadline for a, b in zip(dues, dues[1:]))
