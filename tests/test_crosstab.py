"""Cross-tabulated tables read cell by cell: the layouts the golden fixtures do not isolate
(header wordings, orientations, totals, HTML spanning headers, a wide table split column-wise)."""

from __future__ import annotations

from datetime import date

import pytest

from scrapers.interpret.counts import read_tables
from scrapers.interpret.crosstab import detect
from scrapers.interpret.dates import month_of_header
from scrapers.read.htmltables import read_html
from scrapers.read.tables import Row, Table
from scrapers.interpret.taxonomy import load

FY22 = (date(2021, 10, 1), date(2022, 9, 30))


def _cells(reading) -> set[tuple]:
    return {
        (
            c.measure,
            c.dimension,
            c.category,
            c.dimension2,
            c.category2,
            c.period_start,
            c.period_end,
            c.value,
        )
        for c in reading.counts
    }


@pytest.mark.parametrize(
    "header,expected",
    [
        ("Oct 2021", (2021, 10)),
        ("October", (2021, 10)),
        ("FY22 Oct", (2021, 10)),
        ("2021-10", (2021, 10)),
        ("Oct-21", (2021, 10)),
        ("October 2021", (2021, 10)),
        ("FY 2022 January", (2022, 1)),
        ("Jan FY22", (2022, 1)),
        ("Fiscal Year 2022 Sept", (2022, 9)),
        ("10/2021", (2021, 10)),
        ("Sept.", (2022, 9)),
        ("Total", None),
        ("Criminal history", None),
        ("2021", None),
        ("FY2022", None),
    ],
)
def test_month_headers_in_the_ways_tables_print_them(header, expected):
    assert month_of_header(header, FY22) == expected


def test_a_month_without_a_year_needs_a_period_that_places_it():
    assert month_of_header("October") is None
    assert (
        month_of_header("October", (date(2020, 10, 1), date(2022, 5, 31))) is None
    )  # two Octobers


@pytest.mark.parametrize("total", ["Total", "Grand Total", "All", "TOTAL", "All months"])
def test_totals_by_any_name_are_checked_and_stored_once(total):
    table = Table(
        "Family Unit Separations by Reason and Month",
        "Reason",
        ["Oct 2021", "Nov 2021", total],
        [
            Row("Criminal history", ["3", "4", "7"]),
            Row("Other", ["1", "1", "2"]),
            Row(total, ["4", "5", "9"]),
        ],
    )
    reading = read_tables([table], 0, FY22, load())
    assert reading.problems == []
    got = _cells(reading)
    oct_, nov = (date(2021, 10, 1), date(2021, 10, 31)), (date(2021, 11, 1), date(2021, 11, 30))
    both = (date(2021, 10, 1), date(2021, 11, 30))
    assert ("separations", "cause", "criminal_history", None, None, *oct_, 3) in got
    assert ("separations", "cause", "criminal_history", None, None, *nov, 4) in got
    assert ("separations", "cause", "criminal_history", None, None, *both, 7) in got  # row total
    assert ("separations", "month", "2021-11", None, None, *nov, 5) in got  # column total
    assert ("separations", "total", "total", None, None, *FY22, 9) in got  # grand total
    assert len(got) == 9  # 4 cells, 2 row totals, 2 column totals, the grand total


def test_both_orientations_give_the_same_counts():
    wide = Table(
        "Separations by Reason and Month",
        "Reason",
        ["FY22 Oct", "FY22 Nov", "Total"],
        [
            Row("Criminal history", ["3", "4", "7"]),
            Row("Cartel/gang affiliation", ["1", "0", "1"]),
            Row("Total", ["4", "4", "8"]),
        ],
    )
    long = Table(
        "Separations by Month and Reason",
        "Month",
        ["Criminal history", "Cartel/gang affiliation", "Total"],
        [
            Row("2021-10", ["3", "1", "4"]),
            Row("2021-11", ["4", "0", "4"]),
            Row("Total", ["7", "1", "8"]),
        ],
    )
    a, b = (read_tables([t], 0, FY22, load()) for t in (wide, long))
    assert a.problems == b.problems == []

    def without_range(reading):  # the row/column totals span the table's months either way
        return {c[:7] + (c[7],) for c in _cells(reading)}

    assert without_range(a) == without_range(b)


def test_age_by_sector_in_either_orientation_is_stored_sector_first_with_a_second_dimension():
    by_sector = Table(
        "Ages of Minors Separated by Sector",
        "Sector",
        ["0-5", "6-12", "Total"],
        [Row("Rio Grande Valley Sector", ["2", "3", "5"]), Row("El Paso", ["1", "1", "2"])],
    )
    by_age = Table(
        "Ages of Minors Separated by Sector",
        "Age group",
        ["Rio Grande Valley", "El Paso", "Total"],
        [Row("Under 6", ["2", "1", "3"]), Row("6 to 12 years", ["3", "1", "4"])],
    )
    for table in (by_sector, by_age):
        reading = read_tables([table], 0, FY22, load())
        assert reading.problems == []
        cells = {
            (c.dimension, c.category, c.dimension2, c.category2, c.value)
            for c in reading.counts
            if c.dimension2
        }
        assert cells == {
            ("sector", "Rio Grande Valley", "age_group", "0-5", 2),
            ("sector", "Rio Grande Valley", "age_group", "6-12", 3),
            ("sector", "El Paso", "age_group", "0-5", 1),
            ("sector", "El Paso", "age_group", "6-12", 1),
        }


def test_cells_that_do_not_add_up_to_their_totals_are_inconsistent_and_both_are_kept():
    table = Table(
        "Separations by Sector and Month",
        "Sector",
        ["Oct 2021", "Nov 2021", "Total"],
        [
            Row("El Paso", ["2", "2", "5"]),
            Row("Yuma", ["1", "1", "2"]),
            Row("Total", ["3", "4", "7"]),
        ],
    )
    reading = read_tables([table], 0, FY22, load())
    details = [p.detail for p in reading.problems if p.kind == "inconsistent_total"]
    assert any("row 'El Paso'" in d and "add up to 4" in d and "is 5" in d for d in details)
    assert any("column 'Nov 2021'" in d and "add up to 3" in d for d in details)
    assert (
        "separations",
        "sector",
        "El Paso",
        None,
        None,
        date(2021, 10, 1),
        date(2021, 11, 30),
        5,
    ) in _cells(reading)


def test_a_withheld_cell_is_non_numeric_never_zero_and_an_unknown_cause_is_kept_unmapped():
    table = Table(
        "Separations by Month and Reason",
        "Month",
        ["Criminal history", "Pending review", "Other", "Total"],
        [Row("Oct 2021", ["3", "(b)(6)", "1", "5"])],
    )
    reading = read_tables([table], 0, FY22, load())
    kinds = sorted(p.kind for p in reading.problems)
    assert kinds == ["non_numeric", "unmapped_label"]
    assert {c.category for c in reading.counts} == {"criminal_history", "other", "2021-10"}
    assert all(c.value != 0 for c in reading.counts)


def test_a_figure_repeated_by_a_later_table_is_stored_once_and_a_different_one_is_a_problem():
    reasons = Table(
        "Separations by Reason",
        "Reason",
        ["Separations"],
        [Row("Criminal history", ["7"]), Row("Other", ["3"])],
    )
    crossed = Table(
        "Separations by Reason and Month",
        "Reason",
        ["Oct 2021", "Nov 2021", "Total"],
        [Row("Criminal history", ["3", "4", "7"]), Row("Other", ["1", "1", "2"])],
    )
    reading = read_tables([reasons, crossed], 0, (date(2021, 10, 1), date(2021, 11, 30)), load())
    whole = [
        c.value
        for c in reading.counts
        if c.dimension == "cause"
        and c.period_start == date(2021, 10, 1)
        and c.period_end == date(2021, 11, 30)
    ]
    assert sorted(whole) == [2, 3, 7]  # criminal history once; "Other" 3 and 2 both kept
    assert [p.kind for p in reading.problems] == ["inconsistent_total"]


def test_measure_columns_are_not_a_crossing():
    for columns in (
        ["Family Unit Individuals Apprehended", "Separations"],
        ["Number", "Percent"],
        ["Separations"],
    ):
        table = Table(
            "Separations by Month", "Month", columns, [Row("Oct 2021", ["1"] * len(columns))]
        )
        assert detect(table, FY22, load()) is None


def test_fiscal_year_columns_give_each_cell_its_fiscal_year():
    table = Table(
        "Separations by Reason",
        "Reason",
        ["FY2021", "FY 2022"],
        [Row("Criminal history", ["61", "46"])],
    )
    (a, b) = read_tables([table], 0, (date(2020, 10, 1), date(2022, 9, 30)), load()).counts
    assert (a.category, a.period_start, a.period_end, a.value) == (
        "criminal_history",
        date(2020, 10, 1),
        date(2021, 9, 30),
        61,
    )
    assert (b.period_start, b.value) == (date(2021, 10, 1), 46)


def test_html_spanning_fiscal_year_header_over_months():
    page = b"""<html><body><h2>Table 2. Separations by Reason and Month</h2><table>
    <thead><tr><th rowspan="2">Reason</th><th colspan="2">FY 2022</th><th rowspan="2">Grand Total</th></tr>
    <tr><th>Oct</th><th>Nov</th></tr></thead>
    <tbody><tr><td>Criminal history<sup>1</sup></td><td>3</td><td>4</td><td>7</td></tr>
    <tr><td>Grand Total</td><td>3</td><td>4</td><td>7</td></tr></tbody></table></body></html>"""
    tables = read_html(page).tables
    reading = read_tables(tables, 0, FY22, load())
    assert reading.problems == []
    months = {
        (c.category, c.period_start, c.value)
        for c in reading.counts
        if c.dimension == "cause" and c.period_start == c.period_end.replace(day=1)
    }
    assert months == {
        ("criminal_history", date(2021, 10, 1), 3),
        ("criminal_history", date(2021, 11, 1), 4),
    }


def test_a_wide_table_printed_in_two_column_parts_is_joined():
    first = Table(
        "Separations by Reason and Month",
        "Reason",
        ["Oct 2021", "Nov 2021"],
        [Row("Criminal history", ["3", "4"]), Row("Other", ["1", "0"])],
        number="2",
    )
    second = Table(
        "Separations by Reason and Month (continued)",
        "Reason",
        ["Dec 2021", "Total"],
        [Row("Criminal history", ["2", "9"]), Row("Other", ["1", "2"])],
        number="2",
    )
    reading = read_tables([first, second], 0, FY22, load())
    assert reading.problems == []
    assert (
        "separations",
        "cause",
        "criminal_history",
        None,
        None,
        date(2021, 10, 1),
        date(2021, 12, 31),
        9,
    ) in _cells(reading)
