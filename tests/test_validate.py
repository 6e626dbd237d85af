from __future__ import annotations

from datetime import date

import pytest

from scrapers.records import CountRecord, Link, ParseResult, Problem, ReportRecord, StatementRecord
from scrapers.source import Shape
from scrapers.validate import outcome, validate


def _report():
    return ReportRecord(
        title="T", url="https://x/r", period_start=date(2021, 5, 1), period_end=date(2021, 5, 31)
    )


def test_invalid_records_are_dropped_with_a_problem_each():
    result = ParseResult(
        "1",
        reports=[_report()],
        counts=[
            CountRecord(0, "separations", "cause", "criminal_history", "criminal history", 3),
            CountRecord(0, "separations", "cause", "other", "other", -1),
            CountRecord(0, "separations", "cause", "other", "other", float("nan")),
            CountRecord(5, "separations", "total", "total", "Total", 2),
        ],
        statements=[
            StatementRecord(0, "foreign_government_basis", "stated", None),
            StatementRecord(0, "foreign_government_basis", "maybe"),
            StatementRecord(0, "foreign_government_basis", "stated", 0, quote="zero"),
        ],
    )
    checked = validate(result)
    assert [c.value for c in checked.counts] == [3]
    assert [s.value for s in checked.statements] == [0]
    assert len([p for p in checked.problems if p.kind == "invalid_record"]) == 5


def test_reversed_period_is_cleared_not_trusted():
    r = ReportRecord(
        title="T", url="https://x", period_start=date(2021, 6, 1), period_end=date(2021, 5, 1)
    )
    checked = validate(ParseResult("1", reports=[r]))
    assert checked.reports[0].period_start is None
    assert checked.problems[0].kind == "invalid_record"


def test_unknown_problem_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        validate(ParseResult("1", problems=[Problem("weird", "x")]))


@pytest.mark.parametrize(
    "result, shape, expected",
    [
        (ParseResult("1"), Shape(), "empty"),
        (ParseResult("1"), Shape(allow_empty=True), "ok"),
        (ParseResult("1", links=[Link("https://x/1")]), Shape(min_items=2), "layout_changed"),
        (ParseResult("1", reports=[_report()]), Shape(min_counts=1), "layout_changed"),
        (
            ParseResult("1", reports=[_report()], problems=[Problem("layout_changed", "no table")]),
            Shape(),
            "layout_changed",
        ),
        (ParseResult("1", problems=[Problem("parse_error", "encrypted")]), Shape(), "parse_error"),
        (
            ParseResult("1", reports=[_report()], problems=[Problem("unmapped_label", "x")]),
            Shape(),
            "ok",
        ),
    ],
)
def test_outcome_is_typed(result, shape, expected):
    assert outcome(result, shape) == expected
