"""Due dates from the statute's words: monthly after enactment, after the period's end, one-time
after enactment, fiscal years, business-day roll-forward and grace."""

from __future__ import annotations

from datetime import date

from rulekit import obligation

from rules.calendar import end_of_day
from rules.obligations import load_obligations
from rules.schedule import schedule

RULES = {ob.id: ob for ob in load_obligations()}


def _dues(ob, through):
    return {d.period.label: d for d in schedule(ob, through)}


def test_hhs_deadlines_follow_sec_408_then_sec_235():
    dues = _dues(RULES["hhs_separated_children_monthly"], date(2020, 8, 1))
    # sec. 408: enacted 2019-07-01, first report within 14 days (2019-07-15) covers June 2019
    assert dues["2019-06"].due == date(2019, 7, 15)
    assert dues["2019-11"].statutory_due == date(2019, 12, 15)
    assert dues["2019-11"].due == date(2019, 12, 16)  # a Sunday, rolled to Monday
    # sec. 235: enacted 2019-12-20, first report due 2020-01-03 covers December 2019
    assert dues["2019-12"].due == date(2020, 1, 3)
    assert dues["2020-01"].due == date(2020, 2, 3)
    assert dues["2020-06"].statutory_due == date(2020, 7, 3)  # Independence Day observed
    assert dues["2020-06"].due == date(2020, 7, 6)
    assert dues["2020-06"].citation == "sec235" and dues["2019-06"].citation == "sec408"
    assert min(dues) == "2019-06" and max(dues) == "2020-08"  # periods started by 2020-08-01


def test_fuar_assumed_due_day_is_the_end_of_the_following_month():
    dues = _dues(RULES["dhs_family_unit_actions_monthly"], date(2021, 4, 1))
    assert min(dues) == "2019-12"  # earlier months have no deadline (see the rule's assumption)
    assert dues["2019-12"].due == date(2020, 1, 31)
    assert dues["2020-01"].statutory_due == date(2020, 2, 29)  # leap day, a Saturday
    assert dues["2020-01"].due == date(2020, 3, 2)
    assert dues["2020-09"].citation == "pl116_93" and dues["2020-10"].citation == "pl116_260"


def test_hart_one_time_deadline_rolls_from_saturday_to_monday():
    (due,) = schedule(RULES["dhs_hart_disclosure"], date(2022, 6, 1))
    assert due.statutory_due == date(2022, 5, 14)
    assert due.due == date(2022, 5, 16) and due.rolled
    assert due.deadline == end_of_day(date(2022, 5, 16))
    assert schedule(RULES["dhs_hart_disclosure"], date(2022, 3, 1)) == ()  # not yet enacted


def test_monthly_after_enactment_keeps_the_anchor_day_across_a_leap_february():
    ob = obligation(
        citations=[{**obligation().citations[0].model_dump(), "enacted": date(2020, 1, 17)}],
        cadence={
            "segments": [
                {
                    "citation": "act",
                    "first_period": "2019-12",
                    "due": {"rule": "monthly_after_enactment", "citation": "act", "days": 14},
                }
            ]
        },
        effective_from=date(2019, 12, 1),
    )
    dues = _dues(ob, date(2020, 6, 1))
    assert [dues[m].statutory_due for m in ("2019-12", "2020-01", "2020-02")] == [
        date(2020, 1, 31),
        date(2020, 2, 29),
        date(2020, 3, 31),
    ]


def test_grace_days_extend_the_deadline_not_the_due_date():
    ob = obligation(grace_days=5)
    due = _dues(ob, date(2020, 3, 1))["2020-01"]
    assert due.due == date(2020, 2, 3)
    assert due.deadline_date == date(2020, 2, 8)
    assert due.deadline == end_of_day(date(2020, 2, 8))


def test_no_roll_keeps_a_weekend_due_date():
    ob = obligation(cadence={"roll": "none"})
    assert _dues(ob, date(2020, 12, 1))["2020-09"].due == date(2020, 10, 3)  # a Saturday


def test_fiscal_year_cadence_rolls_over_on_october_first():
    ob = obligation(
        cadence={
            "kind": "fiscal_year",
            "segments": [
                {
                    "citation": "act",
                    "first_period": "FY2020",
                    "due": {"rule": "after_period_end", "days": 90},
                }
            ],
        }
    )
    dues = _dues(ob, date(2020, 10, 1))
    assert sorted(dues) == ["FY2020", "FY2021"]  # FY2021 began on 2020-10-01
    assert dues["FY2020"].statutory_due == date(2020, 12, 29)
    assert _dues(ob, date(2020, 9, 30)).keys() == {"FY2020"}


def test_days_after_period_end():
    ob = obligation(
        cadence={
            "segments": [
                {
                    "citation": "act",
                    "first_period": "2020-01",
                    "due": {"rule": "after_period_end", "days": 30},
                }
            ]
        }
    )
    assert _dues(ob, date(2020, 4, 1))["2020-02"].statutory_due == date(2020, 3, 30)


def test_effective_until_ends_the_schedule():
    ob = obligation(effective_until=date(2020, 2, 15))
    assert sorted(_dues(ob, date(2020, 12, 1))) == ["2019-12", "2020-01", "2020-02"]
