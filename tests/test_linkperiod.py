"""The period a link names (scrapers/interpret/linkperiod.py): the wordings agencies use for one period
all read alike, and anything that could be read two ways names no period (never a guess)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from scrapers.interpret.linkperiod import named_period, url_name

JULY = (date(2022, 7, 1), date(2022, 7, 31))
HHS = (
    "https://www.hhs.gov/programs/social-services/unaccompanied-children/"
    "report-to-congress-on-separated-children/"
)
DHS = "https://www.dhs.gov/sites/default/files/"

NAMED = [
    # (link text, URL, period)
    ("July 2022", None, JULY),
    (None, HHS + "july-2022/index.html", JULY),
    ("July 2022", HHS + "july-2022/index.html", JULY),
    (None, HHS + "july-2022/", JULY),
    ("JULY 2022", None, JULY),
    ("Jul 2022", None, JULY),
    ("Jul. 2022", None, JULY),
    ("July, 2022", None, JULY),
    ("July 15, 2022", None, JULY),
    (None, "https://x.gov/files/jul2022.pdf", JULY),
    (None, "https://x.gov/files/july_2022.pdf", JULY),
    (None, "https://x.gov/files/2022-07.pdf", JULY),
    (None, "https://x.gov/files/report_2022_07.pdf", JULY),
    (None, "https://x.gov/files/07-2022.pdf", JULY),
    ("7/2022", None, JULY),
    ("Monthly Report to Congress on Separated Children | July 2022", None, JULY),
    (
        "Report to Congress on Separated Children \u2013 May 2019",
        None,
        (date(2019, 5, 1), date(2019, 5, 31)),
    ),
    ("Sept 2022", None, (date(2022, 9, 1), date(2022, 9, 30))),
    ("Sep. 2022", None, (date(2022, 9, 1), date(2022, 9, 30))),
    (
        None,
        DHS + "2022-10/2022_0920_plcy_familly_unit_actions_report_may_2022.pdf",
        (date(2022, 5, 1), date(2022, 5, 31)),
    ),  # the upload folder 2022-10 is not the period
    (
        "Family Unit Actions Report, October 2019 \u2013 January 2020",
        DHS + "2020-09/20_0618_plcy_family_unit_actions_report_oct2019-jan2020.pdf",
        (date(2019, 10, 1), date(2020, 1, 31)),
    ),
    (
        "Family Unit Actions Report October 1, 2019\u2013January 31, 2020",
        None,
        (date(2019, 10, 1), date(2020, 1, 31)),
    ),
    ("January 2020 through March 2020", None, (date(2020, 1, 1), date(2020, 3, 31))),
    (
        "FY 2021 September Family Unit Actions Report",
        DHS + "2022-03/22_0323_plcy_family_unit_actions_report_fy21_September_0.pdf",
        (date(2020, 10, 1), date(2021, 9, 30)),
    ),
    ("Fiscal Year 2022 Report to Congress", None, (date(2021, 10, 1), date(2022, 9, 30))),
    ("FY2022", None, (date(2021, 10, 1), date(2022, 9, 30))),
    ("FY22", None, (date(2021, 10, 1), date(2022, 9, 30))),
    ("FY2023 Q1", None, (date(2022, 10, 1), date(2022, 12, 31))),
    (None, DHS + "2023-03/fuar_fy2023_q1.pdf", (date(2022, 10, 1), date(2022, 12, 31))),
    ("Q4 FY 2022", None, (date(2022, 7, 1), date(2022, 9, 30))),
    ("FY 2022 report through May 2022", None, (date(2021, 10, 1), date(2022, 5, 31))),
]

UNPLACED = [
    ("Report 2022-08-15", None),  # a full date: an issue date more likely than a period
    ("June 2022 and July 2022", None),  # two months, no range
    ("March 2020 - January 2020", None),  # a range backwards
    ("July 2022", HHS + "june-2022/index.html"),  # text and URL disagree
    ("FY 2022 report for May 2023", None),  # a month outside the fiscal year named
    ("Q1 report", None),  # a quarter of which year?
    ("FY2021 and FY2022", None),
    ("2021 annual report", None),  # a year alone names nothing
    ("Reports may be revised", None),  # a month word without a year
    ("July 2022 report, may be revised", None),
    ("Family Unit Actions Report", DHS + "2022-10/report.pdf"),
    (None, "https://www.dhs.gov/immigration-statistics/special-reports/FUAR"),
    ("13/2022", None),  # no 13th month
]


@pytest.mark.parametrize("text,url,period", NAMED)
def test_a_named_period_is_read(text, url, period):
    assert named_period(text, url) == period


@pytest.mark.parametrize("text,url", UNPLACED)
def test_what_could_be_read_two_ways_names_no_period(text, url):
    assert named_period(text, url) is None


def test_url_name_is_the_file_or_the_directory_of_an_index():
    assert url_name(HHS + "july-2022/index.html") == "july-2022"
    assert url_name(DHS + "2022-10/x_may_2022.pdf") == "x_may_2022"
    assert url_name("https://x.gov/") == "" and url_name(None) == ""


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@given(
    month=st.integers(1, 12),
    year=st.integers(1995, 2040),
    form=st.sampled_from(
        [
            "{M} {Y}",
            "{M}, {Y}",
            "{m} {Y}",
            "{m}. {Y}",
            "{M}-{Y}",
            "{M}_{Y}",
            "{m}{Y}",
            "{Y}-{N:02d}",
            "{Y}_{N:02d}",
            "{N:02d}-{Y}",
            "{N}/{Y}",
        ]
    ),
    case=st.sampled_from([str.lower, str.upper, str.title, lambda s: s]),
    prefix=st.sampled_from(["", "Report ", "Monthly Report to Congress | ", "report_"]),
    in_url=st.booleans(),
)
def test_every_wording_of_a_month_names_that_month(month, year, form, case, prefix, in_url):
    name = _MONTHS[month - 1]
    text = case(prefix + form.format(M=name, m=name[:3], Y=year, N=month))
    first = date(year, month, 1)
    in_url = in_url and "/" not in text
    read = (
        named_period(None, f"https://x.gov/files/{text.replace(' ', '_')}.pdf")
        if in_url
        else named_period(text)
    )
    assert read is not None and read[0] == first and read[1].month == month
