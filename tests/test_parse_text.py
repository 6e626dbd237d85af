"""Reading prose: periods, issue dates, fiscal years, authorities, labels, categories and the
foreign-government statement, on the real report wording (recovered documents 10, 20, 22:
docs/domain.md#recovered-documents)."""

from __future__ import annotations

from datetime import date

import pytest

from scrapers.interpret import categories
from scrapers.interpret.authorities import find_authorities
from scrapers.interpret.dates import (
    cover_date,
    find_range,
    fiscal_year,
    month_of_label,
    stated_period,
)
from scrapers.interpret.foreign_basis import REQUIREMENT_ENACTED, assess, explicit_statement
from scrapers.read.labels import clean_label, match_key

FUAR_2020 = (
    "This document has been compiled pursuant to requirements in the Fiscal Year 2020 DHS "
    "Appropriations Act (P.L. 116-93), its accompanying and Senate Report 116-125. The report "
    "covers family unit apprehensions occurring October 1, 2019\u2013 January 31, 2020."
)
HHS_2021 = (
    "submits this report to Congress as\n\ndescribed by four Congressional authorities: section "
    "235 of Public Law 116-94 (Further\n\nConsolidated Appropriations Act, 2020); section 236 of "
    "H.R. 6470 (Departments of Labor, Health and Human Services, and Education, and Related "
    "Agencies Appropriations Act, 2019), which was incorporated into the 2019 appropriations "
    "statute by Conference Report 115-952, to the extent ORR continues to obligate fiscal year "
    "2019 appropriations during fiscal year 2020; Senate Report 115-\n\n289, as incorporated "
    "into the reporting requirements for fiscal year 2020 by the Explanatory\n\nStatement to "
    "P.L. 116-94, and House Report 116-450, which accompanied Public Law 116-260 "
    "(Consolidated Appropriations Act, 2021)."
)
HHS_2019 = (
    "The Department of Health and Human Services (HHS) submits this report to Congress pursuant "
    "to the following language included in the Department of Health and Human Services "
    "Emergency Supplemental Appropriations Act, 2019. This report includes information about "
    "separated children that is not included in previous reports written to satisfy reporting "
    "requirements request by the Conference Report 115-952, which accompanied the Department "
    "of Health and Human Services Appropriations Act, 2019.\n\nSec. 408. Not later than 14 days "
    "after the date of enactment of this Act, and monthly thereafter, the Secretary shall "
    "submit ... transferred to the care and custody of ORR during the previous month."
)


def test_the_fuar_period_comes_from_its_transmittal_sentence():
    start, end, sentence = stated_period(FUAR_2020)
    assert (start, end) == (date(2019, 10, 1), date(2020, 1, 31))
    assert sentence.startswith("The report covers family unit apprehensions")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("from June 1, 2022 through June 30, 2022", (date(2022, 6, 1), date(2022, 6, 30))),
        ("June 1\u201330, 2022", (date(2022, 6, 1), date(2022, 6, 30))),
        ("October 1\u2013December 31, 2021", (date(2021, 10, 1), date(2021, 12, 31))),
        ("between May 1, 2021 and May 31, 2021", (date(2021, 5, 1), date(2021, 5, 31))),
        ("Sept. 1, 2020 to Sept. 30, 2020", (date(2020, 9, 1), date(2020, 9, 30))),
    ],
)
def test_date_ranges_in_the_forms_reports_print(text, expected):
    assert find_range(text)[:2] == expected


def test_a_title_month_or_the_previous_month_is_never_a_period():
    assert stated_period("Report to Congress on Separated Children \u2013 May 2019") is None
    assert stated_period(HHS_2019) is None  # "during the previous month" names no month
    assert stated_period("This report covers the month of June 2022.")[:2] == (
        date(2022, 6, 1),
        date(2022, 6, 30),
    )
    assert find_range("October 31, 2020\u2013October 1, 2020") is None  # backwards: not a period


def test_cover_dates_and_fiscal_year():
    assert cover_date("June 2020") == (date(2020, 6, 1), "month")
    assert cover_date("September 20, 2022") == (date(2022, 9, 20), "day")
    assert cover_date("Fiscal Year 2020 Report to Congress") is None
    assert fiscal_year("Fiscal Year 2020 Report to Congress") == 2020
    assert fiscal_year("FY 21 Report to Congress") == 2021
    assert fiscal_year("the Fiscal Year 2020 DHS Appropriations Act") is None


def test_month_labels_take_their_year_from_the_report_period():
    fy = (date(2021, 10, 1), date(2022, 5, 31))
    assert month_of_label("October", fy) == (2021, 10)
    assert month_of_label("March", fy) == (2022, 3)
    assert month_of_label("Oct-21") == (2021, 10)
    assert month_of_label("October") is None  # no period: the year cannot be told
    assert month_of_label("Criminal history") is None


def test_authorities_are_normalised_in_order_of_mention():
    assert find_authorities(FUAR_2020) == ["P.L. 116-93", "S. Rept. 116-125"]
    assert find_authorities(HHS_2021) == [
        "P.L. 116-94 sec. 235",
        "H.R. 6470 sec. 236",
        "Conf. Rept. 115-952",
        "S. Rept. 115-289",
        "H. Rept. 116-450",
        "P.L. 116-260",
    ]
    assert find_authorities(HHS_2019) == [
        "HHS Emergency Supplemental Appropriations Act, 2019 sec. 408",
        "Conf. Rept. 115-952",
    ]
    assert find_authorities("P.L. 116-94 states: Sec. 235. Not later than") == [
        "P.L. 116-94 sec. 235"
    ]
    assert find_authorities("H. Rpt. 116-450 and S. Rept. No. 116-125") == [
        "H. Rept. 116-450",
        "S. Rept. 116-125",
    ]
    assert find_authorities("no citations here") == []


def test_labels_lose_footnote_markers_but_keep_their_wording():
    assert clean_label("Criminal History\u00b9") == "Criminal History"
    assert clean_label("Cartel/Gang Affiliation [2]") == "Cartel/Gang Affiliation"
    assert clean_label("  Other*  ") == "Other"
    assert (
        clean_label("Criminal history (U.S. or\nhome country)")
        == "Criminal history (U.S. or home country)"
    )
    assert (
        match_key("Parent\u2019s illness & hospitalization")
        == "parents illness and hospitalization"
    )


@pytest.mark.parametrize(
    "label,expected",
    [
        ("0\u20135 years", "0-5"),
        ("Under 6", "0-5"),
        ("6 to 12", "6-12"),
        ("13 and older", "13+"),
        ("Ages 13 - 17", "13-17"),
        ("Unknown", "Unknown"),
    ],
)
def test_age_groups(label, expected):
    assert categories.age_group(label) == expected


def test_places_and_months():
    assert categories.place("Rio Grande Valley Sector") == "Rio Grande Valley"
    assert categories.place("RGV") == "Rio Grande Valley"
    assert categories.place("Presidio Sector\u00b9") == "Presidio"  # unknown places keep their name
    assert categories.month("May 2022", (None, None)) == (
        "2022-05",
        date(2022, 5, 1),
        date(2022, 5, 31),
    )
    assert categories.month("FY total", (None, None)) == ("FY total", None, None)


@pytest.mark.parametrize(
    "sentence,value",
    [
        ("Of these separations, 0 were based on information obtained by a foreign government.", 0),
        (
            "None of these separations were based on information obtained by a foreign government.",
            0,
        ),
        (
            "Two of the 71 separations were based on information obtained from a foreign government.",
            2,
        ),
        (
            "The number of separations based on information obtained by a foreign government was 3.",
            3,
        ),
    ],
)
def test_explicit_foreign_government_statements(sentence, value):
    assert explicit_statement([(4, "Background. " + sentence)]) == (value, sentence, 4)


def test_the_requirement_quoted_is_not_an_answer():
    text = (
        "The report shall state whether such separation was based on information obtained by a "
        "foreign government."
    )
    assert explicit_statement([(1, text)]) is None
    statement = assess(
        0,
        [(1, text)],
        period_end=date(2022, 6, 30),
        period_quote=None,
        cause_labels=[("Criminal history", 5)],
        foreign_rows=[],
        tables_read=True,
        ambiguous_label=lambda label: False,
    )
    assert statement.status == "not_stated"


def _assess(**kw):
    args = dict(
        period_end=date(2022, 6, 30),
        period_quote=("The report covers ...", 2),
        cause_labels=[],
        foreign_rows=[],
        tables_read=True,
        ambiguous_label=lambda label: "home country" in label.lower(),
    )
    args.update(kw)
    pages = args.pop("pages", [(1, "Nothing about it.")])
    return assess(0, pages, **args)


def test_statement_statuses():
    day_before = date.fromordinal(REQUIREMENT_ENACTED.toordinal() - 1)
    assert _assess(period_end=day_before).status == "not_required"
    assert _assess(period_end=day_before).quote == "The report covers ..."
    assert _assess(period_end=REQUIREMENT_ENACTED).status == "not_stated"
    ambiguous = _assess(cause_labels=[("Criminal history (U.S. or home country)", 5)])
    assert (ambiguous.status, ambiguous.quote, ambiguous.page) == (
        "ambiguous",
        "Criminal history (U.S. or home country)",
        5,
    )
    stated = _assess(foreign_rows=[("Based on information from a foreign government", 0, 6)])
    assert (stated.status, stated.value, stated.page) == ("stated", 0, 6)
    # a copy cut off before its tables cannot show that a statement is absent
    assert _assess(tables_read=False) is None
    # HHS owes no statement: only stated or ambiguous are reported
    assert _assess(only_positive=True) is None
    assert (
        _assess(
            only_positive=True, cause_labels=[("criminal history (U.S. or home country)", None)]
        ).status
        == "ambiguous"
    )
