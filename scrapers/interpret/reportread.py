"""What every report yields once its source has found its title: metadata, counts from its
tables, the foreign-government statement, and the problems met on the way.

The source modules decide what a document is (listing or report) and read what is particular to
them (a DHS cover, an HHS running header); everything common to both lives here.
"""

from __future__ import annotations

from datetime import date

from scrapers.interpret import counts, foreign_basis
from scrapers.interpret.authorities import find_authorities
from scrapers.interpret.dates import fiscal_year, impossible_dates, stated_period
from scrapers.read.documents import Loaded
from scrapers.records import ParseResult, Problem, ReportRecord
from scrapers.interpret.taxonomy import load as load_taxonomy


def stated_period_in(loaded: Loaded) -> tuple[date, date, str, int | None] | None:
    """The period the document states, the sentence stating it and its page."""
    for strong in (True, False):
        for page, text in loaded.pages:
            found = stated_period(text, strong)
            if found:
                return found[0], found[1], found[2], page
    return None


MAX_DATE_PROBLEMS = 10  # per document: one bad template can print the same date on every page


def date_problems(loaded: Loaded) -> list[Problem]:
    """An ``impossible_date`` problem for each date the document prints that names no day
    (never read as a date, never silently passed over)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for page, text in loaded.pages:
        for what, why in impossible_dates(text):
            if what in seen:
                continue
            seen.add(what)
            if len(problems) == MAX_DATE_PROBLEMS:
                problems.append(
                    Problem(
                        "impossible_date",
                        "more impossible dates follow; only "
                        f"the first {MAX_DATE_PROBLEMS} are listed",
                        report=0,
                    )
                )
                return problems
            problems.append(
                Problem(
                    "impossible_date",
                    f"{what!r} is not a date ({why}); it was not read as one",
                    report=0,
                    page=page,
                )
            )
    return problems


def read_report(
    loaded: Loaded,
    *,
    version: str,
    url: str,
    title: str | None,
    issued: tuple[date, str] | None = None,
    expected_tables: str,
    only_positive_statement: bool = False,
    period: tuple[date, date, str, int | None] | None = None,
) -> ParseResult:
    """One report: ``expected_tables`` names what a complete copy holds (for the problem text)."""
    period = period or stated_period_in(loaded)
    start, end = (period[0], period[1]) if period else (None, None)
    record = ReportRecord(
        title=title,
        url=url,
        period_start=start,
        period_end=end,
        issued=issued[0] if issued else None,
        issued_precision=issued[1] if issued else None,
        fiscal_year=fiscal_year("\n".join(t for _p, t in loaded.pages[:3])),
        authorities=find_authorities(loaded.text),
        page_count=loaded.page_count,
    )
    taxonomy = load_taxonomy()
    reading = counts.read_tables(loaded.tables, 0, (start, end), taxonomy)
    problems = list(reading.problems) + date_problems(loaded)
    if reading.recognised == 0:
        seen = f"; tables seen: {', '.join(reading.unrecognised)}" if reading.unrecognised else ""
        problems.insert(
            0,
            Problem(
                "layout_changed",
                f"no data tables found in this copy (expected {expected_tables}){seen}",
                report=0,
            ),
        )
    statement = foreign_basis.assess(
        0,
        loaded.pages,
        period_end=end,
        period_quote=(period[2], period[3]) if period else None,
        cause_labels=reading.cause_labels,
        foreign_rows=reading.foreign_rows,
        tables_read=reading.recognised > 0,
        ambiguous_label=taxonomy.origin_is_ambiguous,
        only_positive=only_positive_statement,
    )
    return ParseResult(
        version,
        reports=[record],
        counts=reading.counts,
        statements=[statement] if statement else [],
        problems=problems,
    )
