"""Running an obligation's own cases: each case is turned into facts, evaluated, and the findings
compared with what the case expects. `monitor check` and the test suite run every case of every
rule file, so a rule cannot be changed without its examples agreeing.

Comparison is exact within the case's scope: every expected finding must be produced, and every
finding produced (whose period starts inside the scope) must be expected.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from rules.calendar import as_instant, end_of_day
from rules.case_models import (
    Case,
    CaseCount,
    CaseExpect,
    CaseListingRead,
    CaseRead,
    CaseReport,
)
from rules.congress import CommunicationFact, CongressRecord
from rules.engine import evaluate
from rules.facts import (
    DEFAULT_STALE_AFTER,
    CountFact,
    DecisionFact,
    ListingRead,
    EvidenceFact,
    Facts,
    ProblemFact,
    PublicationFact,
    ReadFact,
    ReportFact,
    SourceFact,
    StatementFact,
)
from rules.findings import Finding
from rules.obligations import Obligation
from rules.periods import Period, parse_period

# Where a case does not say, its sources have been read since long before anything it tests.
WATCHED_SINCE = datetime(2000, 1, 1, tzinfo=timezone.utc)


@dataclass
class CaseResult:
    obligation: str
    case: str
    findings: list[Finding]
    missing: list[str] = field(default_factory=list)  # expected, not produced
    unexpected: list[str] = field(default_factory=list)  # produced, not expected

    @property
    def ok(self) -> bool:
        return not self.missing and not self.unexpected

    def describe(self) -> str:
        parts = [f"{self.obligation} case {self.case!r}:"]
        parts += [f"expected but not found: {m}" for m in self.missing]
        parts += [f"found but not expected: {u}" for u in self.unexpected]
        return " ".join(parts) if not self.ok else parts[0] + " ok"


def _period(text: str | None) -> tuple[date | None, date | None]:
    if text is None:
        return None, None
    p = parse_period(text)
    return p.start, p.end


def _count(c: CaseCount) -> CountFact:
    start, end = _period(c.period)
    return CountFact(c.measure, c.dimension, c.category, c.label, c.value, start, end, c.page)


def _read(report: CaseReport, read: CaseRead) -> ReadFact:
    fetched = read.fetched_at or report.first_seen
    sha = read.sha256 or hashlib.sha256(f"{report.url}|{fetched.isoformat()}".encode()).hexdigest()
    return ReadFact(
        snapshot_sha256=sha,
        fetched_at=fetched,
        parser_version=read.parser_version,
        outcome=read.outcome,
        counts=tuple(_count(c) for c in read.counts),
        statements=tuple(
            StatementFact(s.key, s.status, s.value, s.quote, s.page) for s in read.statements
        ),
        problems=tuple(ProblemFact(p.kind, p.detail, p.page) for p in read.problems),
        parsed_at=read.parsed_at,
    )


def _listing_read(r: CaseListingRead) -> ListingRead:
    sha = r.sha256 or hashlib.sha256(f"{r.url}|{r.at.isoformat()}".encode()).hexdigest()
    return ListingRead(r.url, r.at, sha)


def _report(ob: Obligation, r: CaseReport) -> ReportFact:
    reads = (
        r.reads
        if r.reads is not None
        else (
            CaseRead(
                outcome=r.outcome or "ok",
                counts=r.counts,
                statements=r.statements,
                problems=r.problems,
            ),
        )
    )
    start, end = _period(r.period)
    named, could = _period(r.link_names), _period(r.could_cover)
    return ReportFact(
        source_id=r.source or (ob.sources[0] if ob.sources else "none"),
        url=r.url,
        first_seen=r.first_seen,
        title=r.title,
        period_start=start,
        period_end=end,
        issued=r.issued,
        issued_precision=r.issued_precision if r.issued else None,
        absent_at=r.absent_at,
        removed_at=r.removed_at,
        named_start=named[0],
        named_end=named[1],
        could_start=could[0],
        could_end=could[1],
        fetch_state=r.fetch_state,
        last_fetch_error=r.last_fetch_error,
        reads=tuple(sorted((_read(r, x) for x in reads), key=lambda x: x.fetched_at)),
    )


def _publications(ob: Obligation, case: Case) -> dict:
    out = {}
    for r in case.reports:
        if not r.publications:
            continue
        source = r.source or (ob.sources[0] if ob.sources else "none")
        out[(source, r.url)] = tuple(
            PublicationFact(
                revision=i,
                observed_at=p.observed_at or r.first_seen,
                document_id=p.document_id,
                kind=p.kind,
                title=p.title,
                created=p.created,
                last_published=p.last_published,
                last_updated=p.last_updated,
                dated=p.dated,
                pdf_url=p.pdf_url,
                mentions_hart=bool(re.search(r"\bHART\b", f"{p.title} {p.summary}")),
                summary=p.summary,
                body=p.body,
            )
            for i, p in enumerate(r.publications, 1)
        )
    return out


def case_facts(ob: Obligation, case: Case) -> Facts:
    as_of = as_instant(case.as_of)
    reports = [_report(ob, r) for r in case.reports]
    sources = []
    named = set(ob.watched_sources()) | {r.source_id for r in reports} | set(case.sources)
    for source_id in sorted(named):
        spec = case.sources.get(source_id)
        if spec is None:
            sources.append(
                SourceFact(source_id, True, "healthy", WATCHED_SINCE, WATCHED_SINCE, as_of)
            )
            continue
        never = spec.state == "never_read"
        reads = tuple(sorted((_listing_read(r) for r in spec.listing_reads), key=lambda r: r.at))
        urls = (
            spec.listing_urls
            if spec.listing_urls is not None
            else tuple(sorted({r.url for r in reads}))
        )
        sources.append(
            SourceFact(
                source_id,
                spec.implemented,
                None if never else spec.state,
                spec.state_since,
                None if never else (spec.first_success_at or WATCHED_SINCE),
                None if never else (spec.last_success_at or as_of),
                reads,
                urls,
                spec.stale_after or DEFAULT_STALE_AFTER,
            )
        )
    evidence = []
    for e in case.evidence:
        start, end = _period(e.period)
        evidence.append(
            EvidenceFact(
                ob.id, e.date, e.note, e.by, e.recorded_at or end_of_day(e.date), start, end
            )
        )
    decisions = [
        DecisionFact(
            ob.id,
            d.source or (ob.sources[0] if ob.sources else "none"),
            d.report,
            d.decision,
            d.at,
            d.by,
            d.reason,
            d.revision,
            id=i,
        )
        for i, d in enumerate(case.decisions, 1)
    ]
    return Facts.build(
        sources,
        reports,
        evidence,
        _congress(case, as_of),
        _publications(ob, case),
        decisions,
    )


def _congress(case: Case, as_of) -> CongressRecord | None:
    if case.congress is None:
        return None
    comms = []
    for c in case.congress.communications:
        start, end = _period(c.period)
        comms.append(
            CommunicationFact(
                key=c.key,
                chamber=c.chamber,
                seen_at=c.seen_at or end_of_day(c.received_on),
                received_on=c.received_on,
                agency=c.agency,
                abstract=c.abstract,
                requirement_numbers=c.requirements,
                laws=c.laws,
                period_start=start,
                period_end=end,
                period_text=c.period,
            )
        )
    return CongressRecord(
        communications=tuple(comms),
        read_state=case.congress.read_state,
        first_read=WATCHED_SINCE,
        last_read=case.congress.last_read or as_of,
    )


def _describe(f: Finding) -> str:
    period = (
        Period(f.period_start, f.period_end).label
        if f.period_start and f.period_end
        else (f.period_start.isoformat() if f.period_start else "-")
    )
    late = f" days_late={f.evidence.get('days_late')}" if f.kind == "late" else ""
    subject = f" subject={f.subject}" if f.subject else ""
    return f"{f.kind} {period}{subject}{late}"


def _matches(expect: CaseExpect, f: Finding) -> bool:
    if expect.kind != f.kind:
        return False
    if expect.period is not None:
        p = parse_period(expect.period)
        if f.period_start != p.start:
            return False
        if p.end != p.start and f.period_end is not None and f.period_end != p.end:
            return False
    if expect.subject is not None and expect.subject != f.subject:
        return False
    if expect.days_late is not None and f.evidence.get("days_late") != expect.days_late:
        return False
    return True


def _in_scope(case: Case, f: Finding) -> bool:
    if case.scope is None:
        return True
    if f.period_start is None:
        return False
    low = parse_period(case.scope.from_).start if case.scope.from_ else date.min
    high = parse_period(case.scope.until).end if case.scope.until else date.max
    return low <= f.period_start <= high


def run_case(ob: Obligation, case: Case) -> CaseResult:
    findings = evaluate([ob], case_facts(ob, case), case.as_of, tolerance=case.tolerance)
    scoped = [f for f in findings if _in_scope(case, f)]
    result = CaseResult(ob.id, case.name, findings)
    left = list(scoped)
    for expect in case.expect:
        hit = next((f for f in left if _matches(expect, f)), None)
        if hit is None:
            bits = [expect.kind, expect.period or "-"]
            if expect.subject:
                bits.append(f"subject={expect.subject}")
            if expect.days_late is not None:
                bits.append(f"days_late={expect.days_late}")
            result.missing.append(" ".join(bits))
        else:
            left.remove(hit)
    result.unexpected = [_describe(f) for f in left]
    return result
