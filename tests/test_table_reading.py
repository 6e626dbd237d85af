"""Reading tables: the layouts the golden fixtures do not isolate, and the rules for turning
cells into counts (non-numeric cells, totals, months)."""

from __future__ import annotations

import io
from datetime import date

from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table as RLTable, TableStyle

from scrapers.interpret.counts import read_tables, table_kind
from scrapers.read.htmltables import read_html
from scrapers.read.pdftables import read_pdf
from scrapers.read.tables import Row, Table
from scrapers.interpret.taxonomy import load

BODY = ParagraphStyle("b", parent=getSampleStyleSheet()["BodyText"], fontSize=11, leading=14)


def _pdf(*flowables) -> bytes:
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=letter, invariant=1).build(list(flowables))
    return buf.getvalue()


def _rows(table) -> list[tuple[str, list]]:
    return [(r.label, r.cells) for r in table.rows]


def test_a_table_in_a_small_font_keeps_its_small_numbers():
    small = TableStyle([("FONTSIZE", (0, 0), (-1, -1), 6.5)])
    body = _pdf(
        Paragraph(
            "Some prose in the body font of the report, long enough to set the page's usual size.",
            BODY,
        ),
        Paragraph("Table 1. Separations by Reason", BODY),
        RLTable(
            [["Reason", "Separations"], ["Criminal history", "4"], ["Other", "1"], ["Total", "5"]],
            colWidths=[200, 100],
            style=small,
            hAlign="LEFT",
        ),
    )
    (table,) = read_pdf(body).tables
    assert _rows(table) == [("Criminal history", ["4"]), ("Other", ["1"]), ("Total", ["5"])]


def test_a_label_wrapped_above_its_number_stays_one_row():
    style = TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM")])
    cell = ParagraphStyle("c", parent=BODY, fontSize=10, leading=12)
    body = _pdf(
        Paragraph("Table 2. Separations by Reason", BODY),
        RLTable(
            [
                ["Reason", "Separations"],
                [Paragraph("Parent has a criminal history (U.S. or home country)", cell), "12"],
                ["Other", "3"],
            ],
            colWidths=[150, 100],
            style=style,
            hAlign="LEFT",
        ),
    )
    (table,) = read_pdf(body).tables
    assert _rows(table) == [
        ("Parent has a criminal history (U.S. or home country)", ["12"]),
        ("Other", ["3"]),
    ]


def test_a_ruled_table_with_a_two_line_header_and_two_measures():
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)])
    body = _pdf(
        Paragraph("Table 1. Apprehensions and Separations by Month", BODY),
        Spacer(1, 4),
        RLTable(
            [
                ["Month", "Family Unit Individuals\nApprehended", "Separations"],
                ["May 2021", "1,204", "7"],
                ["June 2021", "998", "4"],
            ],
            colWidths=[120, 150, 90],
            style=grid,
            hAlign="LEFT",
        ),
    )
    (table,) = read_pdf(body).tables
    assert table.label_header == "Month"
    assert table.columns == ["Family Unit Individuals Apprehended", "Separations"]
    reading = read_tables([table], 0, (date(2021, 5, 1), date(2021, 6, 30)), load())
    assert [(c.measure, c.category, c.value, c.period_start) for c in reading.counts] == [
        ("family_unit_apprehensions", "2021-05", 1204, date(2021, 5, 1)),
        ("separations", "2021-05", 7, date(2021, 5, 1)),
        ("family_unit_apprehensions", "2021-06", 998, date(2021, 6, 1)),
        ("separations", "2021-06", 4, date(2021, 6, 1)),
    ]


def test_prose_after_a_table_ends_it():
    body = _pdf(
        Paragraph("Table 4. Ages of Minors Separated", BODY),
        RLTable(
            [["Age group", "Separations"], ["0-5", "3"], ["6-12", "2"]],
            colWidths=[150, 100],
            hAlign="LEFT",
        ),
        Paragraph(
            "Note: ages are as recorded at apprehension and may be revised in later "
            "reports as records are corrected.",
            BODY,
        ),
    )
    (table,) = read_pdf(body).tables
    assert [r.label for r in table.rows] == ["0-5", "6-12"]


def test_a_non_numeric_cell_is_a_problem_and_the_other_cells_are_kept():
    table = Table(
        "Separations by Sector",
        "Sector",
        ["Separations"],
        [
            Row("Rio Grande Valley", ["5"]),
            Row("Big Bend", ["\u2014"]),
            Row("Yuma", [None]),
            Row("Total", ["5"]),
        ],
    )
    reading = read_tables([table], 0, (None, None), load())
    assert [(c.category, c.value) for c in reading.counts] == [
        ("Rio Grande Valley", 5),
        ("total", 5),
    ]
    details = [p.detail for p in reading.problems if p.kind == "non_numeric"]
    assert len(details) == 2 and "'\u2014'" in details[0] and "blank" in details[1]
    assert not any(c.value == 0 for c in reading.counts)
    assert not [p for p in reading.problems if p.kind == "inconsistent_total"]


def test_totals_are_checked_within_and_across_tables_and_stored_once():
    sectors = Table(
        "Separations by Sector",
        "Sector",
        ["Children"],
        [Row("El Paso", ["3"]), Row("Yuma", ["4"]), Row("Total", ["8"])],
        number="1",
    )
    ages = Table(
        "Ages",
        "Age group",
        ["Children"],
        [Row("0-5", ["4"]), Row("6-12", ["5"]), Row("Total", ["9"])],
        number="2",
    )
    reading = read_tables([sectors, ages], 0, (None, None), load())
    totals = [c for c in reading.counts if c.dimension == "total"]
    assert [(t.value, t.label) for t in totals] == [(8, "Total")]
    problems = [p.detail for p in reading.problems if p.kind == "inconsistent_total"]
    assert any("add up to 7 but the printed total is 8" in d for d in problems)
    assert any("prints a total separations of 9" in d for d in problems)


def test_tables_are_recognised_by_words_not_markup():
    assert table_kind(Table("Documented cause of separation", "", [])) == "cause"
    assert table_kind(Table("", "Border Patrol Sector", [])) == "sector"
    assert table_kind(Table("Table of something else", "Item", [])) is None
    reading = read_tables(
        [Table("Budget", "Item", ["Dollars"], [Row("Travel", ["5"])])], 0, (None, None), load()
    )
    assert reading.counts == [] and reading.recognised == 0 and reading.unrecognised == ["Budget"]


def test_html_tables_with_spanning_headers_footnotes_and_layout_wrappers():
    html = b"""<html><body><table><tr><td>
      <h3>Table 3. Documented cause of separation</h3>
      <table><thead><tr><th colspan="2">Children separated, June 2022</th></tr>
      <tr><th>Cause</th><th>Children</th></tr></thead>
      <tr><td>Criminal history<sup>1</sup></td><td>9</td></tr>
      <tr><td>Other</td><td>1</td></tr></table></td></tr></table></body></html>"""
    (table,) = read_html(html).tables  # the layout table around it is not read as data
    assert (table.number, table.title, table.label_header) == (
        "3",
        "Documented cause of separation",
        "Children separated, June 2022 Cause",
    )
    assert _rows(table) == [("Criminal history", ["9"]), ("Other", ["1"])]


def test_a_plain_row_spanning_the_table_above_its_headings_is_a_stray_row_or_its_title():
    html = b"""<html><body><h3>Table 3. Documented cause of separation</h3><table>
      <tr><td colspan="2">Data as of July 5, 2022</td></tr>
      <tr><td>Cause</td><td>Children</td></tr>
      <tr><td>Criminal history</td><td>9</td></tr></table>
      <table><tr><td colspan="2">Table 4. Length of separation</td></tr>
      <tr><td>Length</td><td>Children</td></tr><tr><td>0-30 days</td><td>2</td></tr></table>
      </body></html>"""
    cause, length = read_html(html).tables
    assert (cause.label_header, cause.columns) == ("Cause", ["Children"])
    assert cause.stray_rows == ["Data as of July 5, 2022"]
    assert (length.number, length.title, length.stray_rows) == ("4", "Length of separation", [])
    reading = read_tables([cause, length], 0, (None, None), load())
    (stray,) = [p for p in reading.problems if p.kind == "stray_header_row"]
    assert "table 3 (Documented cause of separation)" in stray.detail
    assert "'Data as of July 5, 2022'" in stray.detail
    assert {c.value for c in reading.counts if c.dimension == "cause"} == {9}


def test_dates_that_name_no_day_are_found_and_real_ones_are_not():
    from scrapers.interpret.dates import impossible_dates

    text = (
        "Issued February 30, 2024; data of 13/45/2024 and 2/29/2024 (a leap day), "
        "2023-02-29, June 31, 2022, September 1, 20222, 12/31/2023, Feb. 28, 2023, "
        "version 1.5/2/2020 and 2024-12-01."
    )
    assert impossible_dates(text) == [
        ("February 30, 2024", "February 2024 has 29 days"),
        ("13/45/2024", "there is no month 13 (read as month/day/year)"),
        ("2023-02-29", "February 2023 has 28 days"),
        ("June 31, 2022", "June 2022 has 30 days"),
        ("September 1, 20222", "20222 is not a four-digit year"),
    ]
    assert impossible_dates("Report of June 2022 covering June 1, 2022 through June 30, 2022") == []


def test_html_saved_without_a_charset_keeps_its_dashes_and_quotes():
    page = "<html><body><h1>Report \u2013 June 2022</h1><p>\u201cHHS\u201d</p></body></html>"
    assert read_html(page.encode("utf-8")).title == "Report \u2013 June 2022"
    assert read_html(page.encode("cp1252")).title == "Report \u2013 June 2022"
    latin = "<html><body><p>Unaccompanied ni\u00f1os</p></body></html>"
    assert read_html(latin.encode("latin-1"), "text/html; charset=ISO-8859-1").text.endswith(
        "ni\u00f1os"
    )


def test_three_digit_table_numbers_and_percentage_columns():
    body = _pdf(
        Paragraph("Table 102. Separations by Reason", BODY),
        RLTable(
            [
                ["Reason", "Separations", "Percent"],
                ["Criminal history", "6", "60%"],
                ["Other", "4", "40%"],
                ["Total", "10", "100%"],
            ],
            colWidths=[150, 90, 70],
            hAlign="LEFT",
        ),
    )
    (table,) = read_pdf(body).tables
    assert table.number == "102" and table.title == "Separations by Reason"
    reading = read_tables([table], 0, (None, None), load())
    assert [(c.category, c.value) for c in reading.counts] == [
        ("criminal_history", 6),
        ("other", 4),
        ("total", 10),
    ]  # the percent column is not stored
    assert reading.problems == []
