"""One evaluation: the facts seen from one instant, with the indexes and caches the checks share.

Checks ask this object, never the raw facts, so that "as of" is applied in one place (a report
first seen after ``as_of`` does not exist; a reading parsed after it was not yet made) and so that
work done for one obligation (which reports cover which month, a report's latest reading, its
earliest provable publication) is reused by every other obligation on the same source.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from rules.calendar import eastern_date
from rules.facts import EvidenceFact, Facts, ReadFact, ReportFact, SourceFact
from rules.listing_reads import PageReads
from rules.obligations import Obligation
from rules.periods import Period, month_from_index, month_index
from rules.schedule import Due, schedule


class Evaluation:
    def __init__(self, facts: Facts, as_of: datetime, tolerance: float) -> None:
        self.facts = facts
        self.as_of = as_of
        self.as_of_date = eastern_date(as_of)
        self.tolerance = tolerance
        self._reports: dict[str, tuple[ReportFact, ...]] = {}
        self._month_index: dict[tuple[str, str], dict[int, list[ReportFact]]] = {}
        self._latest: dict[int, ReadFact | None] = {}
        self._publication: dict[int, tuple | None] = {}
        self._base: dict[tuple[str, str | None], dict[str, Any]] = {}
        self._refs: dict[tuple[int, int], dict[str, Any]] = {}
        self.memo: dict[Any, Any] = {}  # for checks: results shared across obligations

    # -- sources and reports --------------------------------------------------------------

    def source(self, source_id: str) -> SourceFact:
        return self.facts.source(source_id)

    def reports(self, source_id: str) -> tuple[ReportFact, ...]:
        found = self._reports.get(source_id)
        if found is None:
            found = self._reports[source_id] = self.facts.reports(source_id, self.as_of)
        return found

    def last_listing_reads(self, source_id: str) -> PageReads:
        """Per listing page of the source read by ``as_of``: its last read by then."""
        key = ("last_listing_reads", source_id)
        if key not in self.memo:
            self.memo[key] = self.source(source_id).listing_reads.last_reads(self.as_of)
        return self.memo[key]

    def first_listing_reads_after(
        self, source_id: str, at: datetime, ahead: Iterable[datetime] = ()
    ) -> PageReads:
        """Per listing page of the source read after ``at`` by ``as_of``: its first read after
        it (rules/listing_reads.py: looked up, not every read). ``ahead``: the other instants
        that will be asked about, looked up with this one."""
        key = ("first_listing_reads", source_id, at)
        found = self.memo.get(key)
        if found is None:
            asked = {at} | {
                t for t in ahead if ("first_listing_reads", source_id, t) not in self.memo
            }
            reads = self.source(source_id).listing_reads
            for t, pages in reads.first_reads_after(asked, self.as_of).items():
                self.memo[("first_listing_reads", source_id, t)] = pages
            found = self.memo[key]
        return found

    def latest_read(self, report: ReportFact) -> ReadFact | None:
        key = id(report)
        if key not in self._latest:
            self._latest[key] = report.latest_read(self.as_of)
        return self._latest[key]

    def publication(self, report: ReportFact) -> tuple | None:
        key = id(report)
        if key not in self._publication:
            self._publication[key] = report.earliest_publication()
        return self._publication[key]

    def removed(self, report: ReportFact) -> bool:
        return report.removed_at is not None and report.removed_at <= self.as_of

    def _months(self, source_id: str, rule: str) -> dict[int, list[ReportFact]]:
        key = (source_id, rule)
        index = self._month_index.get(key)
        if index is None:
            index = {}
            for report in self.reports(source_id):
                period = report.period
                if period is None:
                    continue
                for i in range(month_index(period.start), month_index(period.end) + 1):
                    if rule == "overlaps" or period.contains(month_from_index(i)):
                        index.setdefault(i, []).append(report)
            self._month_index[key] = index
        return index

    def matching(self, ob: Obligation, period: Period) -> list[ReportFact]:
        """Reports of ``ob``'s sources whose DATA period fulfils ``period``."""
        rule = ob.matching.rule
        out: list[ReportFact] = []
        for source_id in ob.sources:
            if ob.cadence.kind == "one_time":
                out.extend(self.reports(source_id))  # a dedicated source: any document counts
            elif period.is_month:
                out.extend(self._months(source_id, rule).get(month_index(period.start), ()))
            else:
                for report in self.reports(source_id):
                    rp = report.period
                    if rp is not None and (
                        rp.contains(period) if rule == "covers" else rp.overlaps(period)
                    ):
                        out.append(report)
        return out

    def unplaced(self, ob: Obligation) -> list[ReportFact]:
        """Reports that could be any period: no data period known yet, and not (successfully)
        read yet. While they exist, absence of a period's report is not proven."""
        key = ("unplaced", tuple(ob.sources))
        if key not in self.memo:
            out = []
            for source_id in ob.sources:
                for report in self.reports(source_id):
                    if report.period is None:
                        read = self.latest_read(report)
                        if read is None or not read.readable:
                            out.append(report)
            self.memo[key] = out
        return self.memo[key]

    def unplaced_for(self, ob: Obligation, period: Period) -> list[ReportFact]:
        """The unplaced reports that could be ``period``: those whose link names a period that
        could cover it, and those whose link names none (they could be any period)."""
        return [
            r for r in self.unplaced(ob) if r.could_cover is None or r.could_cover.overlaps(period)
        ]

    def evidence_entries(self, ob: Obligation) -> tuple[EvidenceFact, ...]:
        """Manual evidence for ``ob`` that stands at the evaluation time: recorded by then, about
        a day not after it, and not a confirmation that a later decision on the same document
        replaced (a rejection, or a newer confirmation: rules/decisions.py)."""
        from rules.decisions import superseded_evidence

        gone = superseded_evidence(self.facts.decisions(ob.id, self.as_of))
        return tuple(
            e
            for e in self.facts.evidence(ob.id, self.as_of)
            if e.date <= self.as_of_date and (e.id is None or e.id not in gone)
        )

    def schedule(self, ob: Obligation) -> tuple[Due, ...]:
        return schedule(ob, self.as_of_date)

    # -- evidence -------------------------------------------------------------------------

    def base_evidence(self, ob: Obligation, citation_id: str | None = None) -> dict[str, Any]:
        """What every finding of ``ob`` carries: the obligation, the citation it rests on and the
        assumptions made where the law's words do not fix a value. A fresh dict each call."""
        key = (ob.id, citation_id)
        base = self._base.get(key)
        if base is None:
            base = {
                "obligation": {"id": ob.id, "title": ob.title, "agency": ob.agency},
                "citation": ob.citation(citation_id).summary(),
            }
            if ob.assumptions:
                base["assumptions"] = [{"field": a.field, "text": a.text} for a in ob.assumptions]
            self._base[key] = base
        return dict(base)

    def report_ref(self, report: ReportFact, read: ReadFact | None = None) -> dict[str, Any]:
        """How evidence names a report and the reading it rests on (one dict per pair, shared
        by the findings that cite it: not to be changed)."""
        read = read if read is not None else self.latest_read(report)
        key = (id(report), id(read))
        found = self._refs.get(key)
        if found is None:
            found = self._refs[key] = self._report_ref(report, read)
        return found

    def _report_ref(self, report: ReportFact, read: ReadFact | None) -> dict[str, Any]:
        period = report.period
        return {
            "url": report.url,
            "title": report.title,
            "data_period": period.label if period else None,
            "snapshot_sha256": read.snapshot_sha256 if read else None,
            "fetched_at": read.fetched_at.isoformat() if read else None,
            "parser_version": read.parser_version if read else None,
            "parse_outcome": read.outcome if read else None,
        }
