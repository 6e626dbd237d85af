"""The one choke point between a parser and storage: records are checked against the written
schema here, invalid ones are dropped with an ``invalid_record`` problem, and the parse gets a
typed outcome. Pure: the same function serves ``monitor parse`` (no database) and the pipeline.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

from scrapers.records import (
    PROBLEM_KINDS,
    STATEMENT_STATUSES,
    ParseResult,
    Problem,
)
from scrapers.source import Shape
from scrapers.vocabulary import PublicationKind, values

PUBLICATION_KINDS = values(PublicationKind)


# No border count has come near ten million (all family separations ever number in the
# thousands): a larger number is a misread - an identifier or a date read as a count, or a
# hostile document - never a figure.
MAX_COUNT = 10_000_000
# The widths of count_observations' text columns: a longer name is junk read as a label (a
# paragraph in a table cell), dropped with a problem rather than refused by the database.
FIELD_WIDTHS = {"measure": 60, "dimension": 60, "category": 120, "dimension2": 60, "category2": 120}


# How far after the day a document was obtained a period may start or an issue date fall
# before it is impossible rather than approximate: an ingested copy's --fetched-at is often a
# guess, and fixtures and mirrors are dated loosely; a year later is never a slip.
FUTURE_SLACK = timedelta(days=366)


def _future(day: date | None, fetched: date | None) -> bool:
    return bool(day and fetched and day > fetched + FUTURE_SLACK)


def _bad_period(start: date | None, end: date | None, fetched: date | None = None) -> str | None:
    if start and end and start > end:
        return f"period starts {start} after it ends {end}"
    if _future(start, fetched):
        return (
            f"period starts {start}, more than a year after the document was fetched on {fetched}"
        )
    return None


def validate(
    result: ParseResult, *, fetched: date | None = None, max_links: int | None = None
) -> ParseResult:
    """Return a copy with invalid records removed and a problem for each removal.

    ``fetched`` (the day the document was obtained, when known) rules out what cannot have
    happened yet: a period that starts, or an issue date, more than a year later. ``max_links``
    caps the links of a page (the first ones are kept, with a ``too_many_links`` problem naming
    the cap): a page linking thousands of documents would otherwise be followed link by link."""
    problems = list(result.problems)
    n_reports = len(result.reports)

    reports = []
    for i, r in enumerate(result.reports):
        issue = _bad_period(r.period_start, r.period_end, fetched)
        if not r.url:
            issue = "report without a URL"
        if issue:
            problems.append(Problem("invalid_record", f"report {i}: {issue}", report=i))
        reports.append(r)  # a report with a bad period is kept, its period is not
        if issue and r.url:
            reports[-1] = replace(r, period_start=None, period_end=None)
        if r.url and _future(r.issued, fetched):
            problems.append(
                Problem(
                    "invalid_record",
                    f"report {i}: issued {r.issued}, more than "
                    f"a year after the document was fetched on {fetched}",
                    report=i,
                )
            )
            reports[-1] = replace(reports[-1], issued=None, issued_precision=None)

    counts = []
    for c in result.counts:
        issue = None
        if not 0 <= c.report < n_reports:
            issue = f"count refers to report {c.report}, which does not exist"
        elif (
            not isinstance(c.value, (int, float))
            or isinstance(c.value, bool)
            or math.isnan(c.value)
            or math.isinf(c.value)
        ):
            issue = f"count {c.label!r} has non-numeric value {c.value!r}"
        elif c.value < 0:
            issue = f"count {c.label!r} is negative ({c.value})"
        elif c.value > MAX_COUNT:
            issue = f"count {c.label!r} is implausibly large ({c.value:,.0f})"
        elif not (c.measure and c.dimension and c.category):
            issue = f"count {c.label!r} lacks measure, dimension or category"
        elif any(len(getattr(c, name) or "") > width for name, width in FIELD_WIDTHS.items()):
            name = next(n for n, w in FIELD_WIDTHS.items() if len(getattr(c, n) or "") > w)
            issue = (
                f"count {c.label[:80]!r}... has a {name} longer than "
                f"{FIELD_WIDTHS[name]} characters"
            )
        else:
            issue = _bad_period(c.period_start, c.period_end, fetched)
        if issue:
            problems.append(
                Problem(
                    "invalid_record",
                    issue,
                    report=c.report if 0 <= c.report < n_reports else None,
                    page=c.page,
                )
            )
        else:
            counts.append(c)

    statements = []
    for s in result.statements:
        issue = None
        if not 0 <= s.report < n_reports:
            issue = f"statement refers to report {s.report}, which does not exist"
        elif s.status not in STATEMENT_STATUSES:
            issue = f"statement {s.key!r} has unknown status {s.status!r}"
        elif s.status == "stated" and s.value is None:
            issue = f"statement {s.key!r} is 'stated' without a number"
        elif s.value is not None and s.value < 0:
            issue = f"statement {s.key!r} has a negative value"
        elif s.value is not None and s.value > MAX_COUNT:
            issue = f"statement {s.key!r} has an implausibly large value ({s.value:,.0f})"
        if issue:
            problems.append(Problem("invalid_record", issue))
        else:
            statements.append(s)

    publications = []
    for pub in result.publications:
        issue = None
        if not 0 <= pub.report < n_reports:
            issue = f"publication refers to report {pub.report}, which does not exist"
        elif pub.kind not in PUBLICATION_KINDS:
            issue = f"publication has unknown kind {pub.kind!r}"
        else:
            late = [
                name
                for name in ("created", "last_published", "last_updated", "dated")
                if _future(getattr(pub, name), fetched)
            ]
            if late:
                problems.append(
                    Problem(
                        "invalid_record",
                        f"publication {pub.document_id or ''}: "
                        f"{', '.join(late)} more than a year after the document "
                        f"was fetched on {fetched}",
                        report=pub.report,
                    )
                )
                pub = replace(
                    pub,
                    **{name: None for name in late},
                    **({"dated_precision": None} if "dated" in late else {}),
                )
        if issue:
            problems.append(Problem("invalid_record", issue))
        else:
            publications.append(pub)

    for p in problems:
        if p.kind not in PROBLEM_KINDS:
            raise ValueError(f"parser raised unknown problem kind {p.kind!r}")
    links = [link for link in result.links if link.url]
    if max_links is not None and len(links) > max_links:
        problems.append(
            Problem(
                "too_many_links",
                f"the page links {len(links):,} documents, more "
                f"than max_links_per_listing ({max_links:,}): only the first "
                f"{max_links:,} were taken, and none of the documents it "
                "linked before was taken as removed",
            )
        )
        links = links[:max_links]
    return replace(
        result,
        reports=reports,
        counts=counts,
        statements=statements,
        links=links,
        problems=problems,
        publications=publications,
    )


def outcome(result: ParseResult, shape: Shape | None = None) -> str:
    """Typed outcome of a validated parse against the shape the source expects."""
    kinds = result.problem_kinds()
    for worst in ("wrong_type", "too_large", "parse_error", "layout_changed", "empty"):
        if worst in kinds:
            return worst
    if shape is None:
        return "ok" if result.yielded_anything else "empty"
    if not result.yielded_anything:
        return "ok" if shape.allow_empty else "empty"
    if len(result.links) + len(result.reports) + len(result.congress) < shape.min_items:
        return "layout_changed"
    if len(result.counts) < shape.min_counts:
        return "layout_changed"
    return "ok"
