"""What happened to a report after it was published: its figures changed, or it disappeared.

``revised``: two successive snapshots of the same report, read by the same parser version, give
different figures (a new parser version reading the same bytes differently is a re-parse, not a
revision). ``removed``: every listing page that used to link the report no longer does (one
page dropping a report another page still links is not a removal).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterator

from rules.evaluation import Evaluation
from rules.facts import ReadFact, ReportFact
from rules.findings import Finding
from rules.obligations import Obligation

MAX_CHANGES_SHOWN = 20


def _cells(read: ReadFact) -> dict[tuple, Counter]:
    cells: dict[tuple, Counter] = {}
    for c in read.counts:
        cells.setdefault(c.cell, Counter())[c.value] += 1
    return cells


def _changes(before: ReadFact, after: ReadFact) -> list[dict]:
    a, b = _cells(before), _cells(after)
    out = []

    def text(cell: tuple) -> tuple:
        return tuple("" if v is None else str(v) for v in cell)

    for cell in sorted(set(a) | set(b), key=text):
        if a.get(cell) != b.get(cell):
            measure, dimension, category, label, start, end = cell
            out.append(
                {
                    "measure": measure,
                    "dimension": dimension,
                    "category": category,
                    "label": label,
                    "period_start": start,
                    "period_end": end,
                    "before": sorted(a[cell].elements()) if cell in a else None,
                    "after": sorted(b[cell].elements()) if cell in b else None,
                }
            )
    return out


def revisions(
    report: ReportFact, reads: tuple[ReadFact, ...]
) -> list[tuple[ReadFact, ReadFact, list]]:
    """(earlier reading, later reading, changed cells) for each revision, oldest first."""
    by_version: dict[str, list[ReadFact]] = {}
    for read in reads:
        if read.readable:
            by_version.setdefault(read.parser_version, []).append(read)
    found = []
    for version_reads in by_version.values():
        version_reads.sort(key=lambda r: (r.fetched_at, r.snapshot_sha256))
        for before, after in zip(version_reads, version_reads[1:]):
            if before.snapshot_sha256 == after.snapshot_sha256:
                continue
            if not (before.whole and after.whole):
                raise ValueError(
                    f"{report.url}: a revision compares whole readings; the "
                    "facts hold only part of one (see rules.facts.counts_read)"
                )
            changed = _changes(before, after)
            if changed:
                found.append((before, after, changed))
    found.sort(key=lambda t: t[1].fetched_at)
    return found


def _reports(ob: Obligation, ev: Evaluation, kind: str) -> Iterator[ReportFact]:
    """Reports of ``ob``'s sources that could carry a ``kind`` finding (memoised per source:
    most reports are read once and never removed)."""
    for source_id in ob.sources:
        key = (kind, source_id)
        candidates = ev.memo.get(key)
        if candidates is None:
            if kind == "revised":
                candidates = [r for r in ev.reports(source_id) if len(r.reads) > 1]
            else:
                candidates = [r for r in ev.reports(source_id) if ev.removed(r)]
            ev.memo[key] = candidates
        for report in candidates:
            if report.period is None or ob.applies_to(report.period):
                yield report


def revised(ob: Obligation, ev: Evaluation) -> Iterator[Finding]:
    for report in _reports(ob, ev, "revised"):
        found = revisions(report, report.reads_as_of(ev.as_of))
        if not found:
            continue
        before, after, changed = found[-1]
        period = report.period
        evidence = ev.base_evidence(ob)
        evidence["reports"] = [ev.report_ref(report, after)]
        evidence["revision"] = {
            "from_snapshot_sha256": before.snapshot_sha256,
            "from_fetched_at": before.fetched_at,
            "to_snapshot_sha256": after.snapshot_sha256,
            "to_fetched_at": after.fetched_at,
            "parser_version": after.parser_version,
            "revisions_seen": len(found),
            "changed_cells": len(changed),
            "changes": changed[:MAX_CHANGES_SHOWN],
        }
        if period:
            evidence["period"] = period.evidence()
        yield Finding(
            obligation=ob.id,
            kind="revised",
            family="revision",
            severity=ob.severity_for("revised"),
            summary=f"{ob.title}: figures of {report.url} changed on "
            f"{after.fetched_at.date()} ({len(changed)} cell(s))",
            period_start=period.start if period else None,
            period_end=period.end if period else None,
            subject=report.url,
            evidence=evidence,
        )


def removed(ob: Obligation, ev: Evaluation) -> Iterator[Finding]:
    for report in _reports(ob, ev, "removed"):
        period = report.period
        evidence = ev.base_evidence(ob)
        evidence["reports"] = [ev.report_ref(report)]
        evidence["removal"] = {
            "removed_at": report.removed_at,
            "first_seen": report.first_seen,
            "note": "the archived copy is kept under its snapshot sha256",
        }
        if report.listings:  # every listing page that carried it, and when each dropped it
            evidence["removal"]["listings"] = [
                {"url": url, "dropped_at": dropped} for url, dropped in report.listings
            ]
        if period:
            evidence["period"] = period.evidence()
        yield Finding(
            obligation=ob.id,
            kind="removed",
            family="removal",
            severity=ob.severity_for("removed"),
            summary=f"{ob.title}: {report.url} is no longer listed (since "
            f"{report.removed_at.date()})",
            period_start=period.start if period else None,
            period_end=period.end if period else None,
            subject=report.url,
            evidence=evidence,
        )
