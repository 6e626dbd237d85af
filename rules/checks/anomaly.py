"""Figures that do not hang together.

``inconsistent_totals``: the parser found parts that do not add up to a printed total (its
``inconsistent_total`` problems on the report's latest reading). ``cross_agency_totals``: DHS and
HHS count separations for the same month, and the two totals differ by more than the configured
tolerance (relative to the larger), e.g. 0.10 = 10 %.
"""

from __future__ import annotations

from typing import Iterator

from rules.evaluation import Evaluation
from rules.facts import TOTAL_DIMENSIONS
from rules.findings import Finding
from rules.obligations import Obligation
from rules.periods import Period


def inconsistent_totals(ob: Obligation, ev: Evaluation) -> Iterator[Finding]:
    for source_id in ob.sources:
        for report in ev.reports(source_id):
            period = report.period
            if period is not None and not ob.applies_to(period):
                continue
            read = ev.latest_read(report)
            if read is None:
                continue
            problems = [p for p in read.problems if p.kind == "inconsistent_total"]
            if not problems:
                continue
            evidence = ev.base_evidence(ob)
            evidence["reports"] = [ev.report_ref(report, read)]
            evidence["problems"] = [{"detail": p.detail, "page": p.page} for p in problems]
            if period:
                evidence["period"] = period.evidence()
            yield Finding(
                obligation=ob.id,
                kind="anomaly",
                family="anomaly",
                severity=ob.severity_for("anomaly"),
                summary=f"{ob.title}: parts do not add up to the printed total in {report.url} "
                f"({problems[0].detail})",
                period_start=period.start if period else None,
                period_end=period.end if period else None,
                subject=report.url,
                evidence=evidence,
            )


def month_totals(ev: Evaluation, source_id: str, measure: str) -> dict[Period, tuple]:
    """Per month, (value, report, reading) of the newest report giving a total for that month:
    a ``month`` row, or a ``total`` for a report (or row) whose period is one month."""
    memo_key = ("month_totals", source_id, measure)
    if memo_key in ev.memo:
        return ev.memo[memo_key]
    totals: dict[Period, tuple] = {}
    for report in ev.reports(source_id):  # oldest first: newer reports overwrite
        read = ev.latest_read(report)
        if read is None or not read.readable:
            continue
        for count in read.counts:
            if count.measure != measure or count.dimension not in TOTAL_DIMENSIONS:
                continue
            start = count.period_start or report.period_start
            end = count.period_end or report.period_end
            if start is None or end is None or end < start:
                continue
            period = Period(start, end)
            if not period.is_month:
                continue
            existing = totals.get(period)
            if (
                existing
                and existing[1] is report
                and existing[3] == "total"
                and count.dimension == "month"
            ):
                continue  # within one report a printed total beats a month row
            totals[period] = (count.value, report, read, count.dimension)
    ev.memo[memo_key] = totals
    return totals


def cross_agency_totals(ob: Obligation, ev: Evaluation) -> Iterator[Finding]:
    spec = ob.cross_agency
    other = spec.compare_source
    theirs = month_totals(ev, other, spec.measure)
    for source_id in ob.sources:
        ours = month_totals(ev, source_id, spec.measure)
        for period in sorted(set(ours) & set(theirs)):
            if not ob.applies_to(period):
                continue
            a, report_a, read_a, _ = ours[period]
            b, report_b, read_b, _ = theirs[period]
            larger = max(abs(a), abs(b))
            gap = abs(a - b) / larger if larger else 0.0
            if gap <= ev.tolerance:
                continue
            evidence = ev.base_evidence(ob)
            evidence["period"] = period.evidence()
            evidence["comparison"] = {
                "measure": spec.measure,
                "tolerance": ev.tolerance,
                "relative_gap": round(gap, 4),
                source_id: a,
                other: b,
                "note": spec.note,
            }
            evidence["reports"] = [ev.report_ref(report_a, read_a), ev.report_ref(report_b, read_b)]
            yield Finding(
                obligation=ob.id,
                kind="anomaly",
                family="anomaly",
                severity=ob.severity_for("anomaly"),
                summary=f"{spec.measure} for {period.label}: {source_id} reports {a:g}, {other} "
                f"{b:g} (gap {gap:.0%} > {ev.tolerance:.0%})",
                period_start=period.start,
                period_end=period.end,
                subject=f"compare:{source_id}:{other}:{spec.measure}",
                evidence=evidence,
            )
