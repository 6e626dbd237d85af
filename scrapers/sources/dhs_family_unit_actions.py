"""DHS Family Unit Actions Reports (FUAR).

Pages:
    https://www.dhs.gov/immigration-statistics/special-reports/FUAR   (OIS landing page, 2020)
    https://www.dhs.gov/immigration-statistics/special-reports        (OIS special-reports index)
    https://ohss.dhs.gov/topics/immigration/enforcement               (OHSS, after OIS became OHSS)
    Reports: https://www.dhs.gov/sites/default/files/<YYYY-MM>/<name>.pdf

What it lists: "a monthly report documenting when and where all family separations occur",
with the ages of the minors, charges against adults, ICE detention and referrals to HHS ORR.

Statutory hook: FY2020 DHS Appropriations Act (P.L. 116-93) and S. Rept. 116-125; from January
2021 the FY2021 Act (P.L. 116-260); after P.L. 117-103 (2022-03-15) each report should state
whether separations rested on information obtained by a foreign government.

Quirks:
- three site designs list the reports; the OHSS design drops the entry's title, so the entry is
  recognised by its description ("the ages of all minors being separated from their family
  units") and the PDF links inside it;
- file names are irregular, including the agency's own typo "familly";
- a report is often cumulative for the fiscal year to date ("October 1, 2021–May 31, 2022") and
  issued months after its data period (the FY2020 report covering Oct 2019-Jan 2020 is dated
  June 2020); the period is read from the transmittal sentence "The report covers family unit
  apprehensions occurring ...", the issue month from the cover;
- copies on document mirrors carry only the first pages: they yield metadata and a
  layout_changed problem, never zero separations.
"""

from __future__ import annotations

import re
from datetime import timedelta

from scrapers.interpret.dates import cover_date, find_range, normalise_space
from scrapers.read.documents import Loaded, load
from scrapers.read.listings import anchors, is_pdf_url, unique
from scrapers.records import Document, Link, ParseResult, Problem
from scrapers.interpret.reportread import read_report
from scrapers.source import LinkPeriods, Shape, Source

SOURCE = Source(
    id="dhs_family_unit_actions",
    agency="DHS",
    title="DHS Family Unit Actions Reports (monthly family separation report)",
    start_urls=(
        "https://www.dhs.gov/immigration-statistics/special-reports/FUAR",
        "https://www.dhs.gov/immigration-statistics/special-reports",
        "https://ohss.dhs.gov/topics/immigration/enforcement",
    ),
    allowed_hosts=("dhs.gov",),
    content_types=("text/html", "application/pdf"),
    poll_every=timedelta(days=1),
    parser_version="1",
    listing_shape=Shape(min_items=1),
    report_shape=Shape(min_items=1, min_counts=1),
    # "..._may_2022.pdf" names the last month of a report that may cover its fiscal year to
    # date (October 2021 - May 2022); "oct2019-jan2020", "fy21_September" name theirs whole
    link_periods=LinkPeriods(months_before=1, fiscal_year_to_date=True),
)

_NAME = re.compile(r"famil+y[\s_-]*unit[\s_-]*actions?|\bfuar\b", re.I)
_TITLE = re.compile(r"Family\s+Unit\s+Actions\s+Report")
# Stable wording of the entry across the OIS and OHSS designs (recovered pages 01-03,
# docs/domain.md#recovered-documents).
_DESCRIPTION = re.compile(
    r"ages\s+of\s+all\s+minors\s+being\s+separated\s+from\s+their\s+family\s+"
    r"units|when\s+and\s+where\s+all\s+family\s+separations\s+occur",
    re.I,
)
_REPORT_MARKERS = re.compile(
    r"Report\s+to\s+Congress|Message\s+from\s+the|Table\s+of\s+Contents|"
    r"Legislative\s+Language",
    re.I,
)
_EXPECTED = "tables of separations by month, reason, location and age of the minors"


def parse(doc: Document) -> ParseResult:
    loaded = load(doc)
    if isinstance(loaded, Problem):
        return ParseResult(SOURCE.parser_version, problems=[loaded])
    if loaded.kind == "pdf":
        return _report(doc, loaded)
    listing = _listing(doc, loaded)  # a page that links reports is a listing, whatever it says
    return _report(doc, loaded) if not listing.links and _is_report(loaded) else listing


def _is_report(loaded: Loaded) -> bool:
    text = loaded.text
    return bool(_TITLE.search(text) and find_range(text) and _REPORT_MARKERS.search(text))


def _cover(loaded: Loaded) -> tuple[str | None, tuple | None]:
    """Title (with the period printed under it) and issue date from the cover."""
    lines = [ln.strip() for ln in loaded.text.splitlines()[:60] if ln.strip()]
    title = None
    for i, line in enumerate(lines):
        m = _TITLE.search(line)
        if not m:
            continue
        rest = normalise_space(line[m.end() :] + " " + " ".join(lines[i + 1 : i + 2]))
        found = find_range(rest)
        title = normalise_space(
            m.group(0) + (" " + found[2] if found and rest.startswith(found[2]) else "")
        )
        break
    issued = next((d for d in map(cover_date, lines) if d), None)
    return title, issued


def _report(doc: Document, loaded: Loaded) -> ParseResult:
    title, issued = _cover(loaded)
    return read_report(
        loaded,
        version=SOURCE.parser_version,
        url=doc.url,
        title=title,
        issued=issued,
        expected_tables=_EXPECTED,
    )


def _listing(doc: Document, loaded: Loaded) -> ParseResult:
    links = []
    for a in anchors(loaded.root, doc.url):
        if not is_pdf_url(a.url):
            continue
        described = _DESCRIPTION.search(a.context)
        if _NAME.search(f"{a.text} {a.url} {a.heading}") or described or _NAME.search(a.context):
            description = a.context if a.context and a.context != a.text else None
            links.append(Link(a.url, a.text or None, description))
    links = unique(links)
    problems = []
    if not links:
        entry = _TITLE.search(loaded.text) or _DESCRIPTION.search(loaded.text)
        problems.append(
            Problem(
                "layout_changed",
                (
                    "the Family Unit Actions Report entry is on the page but links to no report PDF"
                    if entry
                    else "no Family Unit Actions Report entry found on the page"
                ),
            )
        )
    return ParseResult(SOURCE.parser_version, links=links, problems=problems)
