"""HHS Reports to Congress on Separated Children (ORR), one a month.

Pages:
    https://www.hhs.gov/programs/social-services/unaccompanied-children/report-to-congress-on-separated-children/index.html
        the listing of monthly reports; each month at .../<month>-<yyyy>/index.html
    (older path: .../unaccompanied-alien-children/report-to-congress-on-separated-children/...)
    Some months were also issued as PDFs titled
    "Monthly Report to Congress on Separated Children | <Month YYYY>".

What it lists: children separated from their parents by DHS, classified as unaccompanied and
transferred to ORR "during the previous month": number and ages by sector, the documented cause
of separation as reported by DHS, and (sec. 236) length of separation and reunifications.

Statutory hook: HHS Emergency Supplemental Appropriations Act, 2019 sec. 408; P.L. 116-94
sec. 235 ("Not later than 14 days after the date of enactment of this Act, and monthly
thereafter"); H.R. 6470 sec. 236 via Conf. Rept. 115-952; S. Rept. 115-289; H. Rept. 116-450.

Quirks:
- in 2019 the index URL carried the May 2019 report body itself, so a start URL may yield a
  report instead of links (the Source shape counts links and reports together);
- the month in a title may be the data month or the month of issue: the period is taken only
  from a sentence stating it, otherwise left empty; no issue date is printed on the pages;
- HHS owes no foreign-government statement, but a cause label such as "criminal history (U.S.
  or home country)" is flagged ``ambiguous`` for analysts (and a stated number is kept).
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from scrapers.interpret.dates import normalise_space
from scrapers.read.documents import Loaded, load
from scrapers.read.listings import anchors, unique
from scrapers.records import Document, Link, ParseResult, Problem
from scrapers.interpret.reportread import read_report
from scrapers.source import LinkPeriods, Shape, Source

SOURCE = Source(
    id="hhs_separated_children",
    agency="HHS",
    title="HHS Monthly Reports to Congress on Separated Children",
    start_urls=(
        "https://www.hhs.gov/programs/social-services/unaccompanied-children/"
        "report-to-congress-on-separated-children/index.html",
    ),
    allowed_hosts=("hhs.gov",),
    content_types=("text/html", "application/pdf"),
    poll_every=timedelta(days=1),
    parser_version="1",
    listing_shape=Shape(min_items=1),
    report_shape=Shape(min_items=1, min_counts=1),
    # "July 2022", .../july-2022/index.html: the data month, or the month of issue
    link_periods=LinkPeriods(months_before=1),
)

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
_TITLE = re.compile(
    r"(?:Monthly\s+)?Report\s+to\s+Congress\s+on\s+Separated\s+Children\s*"
    r"[|\u2013\u2014-]\s*" + _MONTH + r"\s+\d{4}",
    re.I,
)
_SUBMITS = re.compile(r"submits\s+this\s+report\s+to\s+Congress", re.I)
_MONTH_PAGE = re.compile(
    r"/report-to-congress-on-separated-children/" + _MONTH.lower() + r"-\d{4}(?:/|/index\.html?)?$"
)
_SEPARATED = re.compile(r"separated", re.I)
_EXPECTED = "tables of separated children by sector, age and documented cause of separation"


def parse(doc: Document) -> ParseResult:
    loaded = load(doc)
    if isinstance(loaded, Problem):
        return ParseResult(SOURCE.parser_version, problems=[loaded])
    title = _title(loaded)
    if loaded.kind == "pdf" or (title and _SUBMITS.search(loaded.text)):
        result = read_report(
            loaded,
            version=SOURCE.parser_version,
            url=doc.url,
            title=title,
            expected_tables=_EXPECTED,
            only_positive_statement=True,
        )
        result.links = _listing(
            doc, loaded
        ).links  # an index page carrying a report may list months
        return result
    return _listing(doc, loaded)


def _title(loaded: Loaded) -> str | None:
    """The report title: the page heading, else the PDF's running header / cover."""
    read = set()
    for text in (loaded.title or "", loaded.first_page(), loaded.text):
        if text in read:
            continue  # an HTML page's first page is its text
        read.add(text)
        m = _TITLE.search(normalise_space(text))
        if m:
            return m.group(0)
    return None


def _listing(doc: Document, loaded: Loaded) -> ParseResult:
    here = urlsplit(doc.url).path
    links = []
    for a in anchors(loaded.root, doc.url):
        path = a.path
        if path == here:
            continue
        pdf_report = a.names_pdf and _SEPARATED.search(f"{a.text} {a.url} {a.context}")
        if _MONTH_PAGE.search(path.lower()) or pdf_report:
            description = a.context if a.context and a.context != a.text else None
            links.append(Link(a.url, a.text or None, description))
    problems = (
        []
        if links
        else [
            Problem(
                "layout_changed",
                "no links to monthly reports found (expected links to "
                ".../report-to-congress-on-separated-children/<month>-<yyyy>/)",
            )
        ]
    )
    return ParseResult(SOURCE.parser_version, links=unique(links), problems=problems)
