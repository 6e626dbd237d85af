"""The one choke point between a parser and storage: records are checked against the written
schema here, invalid ones are dropped with an ``invalid_record`` problem, and the parse gets a
typed outcome. Pure: the same function serves ``monitor parse`` (no database) and the pipeline.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

from scrapers.records import (
    PROBLEM_KINDS, STATEMENT_STATUSES, ParseResult, Problem,
)
from scrapers.source import Shape


def _bad_period(start: date | None, end: date | None) -> str | None:
    if start and end and start > end:
        return f"period starts {start} after it ends {end}"
    return None


def validate(result: ParseResult) -> ParseResult:
    """Return a copy with invalid records removed and a problem for each removal."""
    problems = list(result.problems)
    n_reports = len(result.reports)

    reports = []
    for i, r in enumerate(result.reports):
        issue = _bad_period(r.period_start, r.period_end)
        if not r.url:
            issue = "report without a URL"
        if issue:
            problems.append(Problem("invalid_record", f"report {i}: {issue}", report=i))
        reports.append(r)  # a report with a bad period is kept, its period is not
        if issue and r.url:
            reports[-1] = replace(r, period_start=None, period_end=None)

    counts = []
    for c in result.counts:
        issue = None
        if not 0 <= c.report < n_reports:
            issue = f"count refers to report {c.report}, which does not exist"
        elif not isinstance(c.value, (int, float)) or isinstance(c.value, bool) \
                or math.isnan(c.value) or math.isinf(c.value):
            issue = f"count {c.label!r} has non-numeric value {c.value!r}"
        elif c.value < 0:
            issue = f"count {c.label!r} is negative ({c.value})"
        elif not (c.measure and c.dimension and c.category):
            issue = f"count {c.label!r} lacks measure, dimension or category"
        else:
            issue = _bad_period(c.period_start, c.period_end)
        if issue:
            problems.append(Problem("invalid_record", issue, report=c.report if 0 <= c.report < n_reports
                                    else None, page=c.page))
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
        if issue:
            problems.append(Problem("invalid_record", issue))
        else:
            statements.append(s)

    for p in problems:
        if p.kind not in PROBLEM_KINDS:
            raise ValueError(f"parser raised unknown problem kind {p.kind!r}")
    links = [link for link in result.links if link.url]
    return replace(result, reports=reports, counts=counts, statements=statements, links=links,
                   problems=problems)


def outcome(result: ParseResult, shape: Shape | None = None) -> str:
    """Typed outcome of a validated parse against the shape the source expects."""
    kinds = result.problem_kinds()
    for worst in ("wrong_type", "parse_error", "layout_changed", "empty"):
        if worst in kinds:
            return worst
    if shape is None:
        return "ok" if result.yielded_anything else "empty"
    if not result.yielded_anything:
        return "ok" if shape.allow_empty else "empty"
    if len(result.links) + len(result.reports) < shape.min_items:
        return "layout_changed"
    if len(result.counts) < shape.min_counts:
        return "layout_changed"
    return "ok"
