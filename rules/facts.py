"""What the engine knows about the world: plain, immutable records built by the shell from the
database (monitor/fact_gathering.py) or by hand in tests and rule cases (rules/cases.py).

Every fact carries its own time (first_seen, fetched_at, recorded_at...), and the engine ignores
what happened after the evaluation time, so evaluating "as of" a past date never uses the future.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, timedelta
from typing import Iterable

from rules.calendar import eastern_date
from rules.congress import CongressRecord
from rules.listing_reads import ListingRead as ListingRead  # one of the records, defined there
from rules.listing_reads import ListingReads, ReadsInMemory
from rules.periods import Period
from scrapers.vocabulary import HealthState, Outcome, values

# Source health states (monitor/models/health.py); None means "never read successfully".
SOURCE_STATES = values(HealthState)
# Parse outcomes under which a document's tables could be read.
READABLE = values(Outcome.OK)


# The rows of a table that give a period's total (rules/checks/anomaly.py reads them all).
TOTAL_DIMENSIONS = ("month", "total")


# How long after a deadline a source may go unread before its periods are `unknown` (stale),
# when the shell does not say: two poll intervals of a daily source.
DEFAULT_STALE_AFTER = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class SourceFact:
    id: str
    implemented: bool = True  # a parser module exists for it (scrapers/sources/<id>.py)
    state: str | None = None  # as of the evaluation time
    state_since: datetime | None = None
    first_success_at: datetime | None = None
    last_success_at: datetime | None = None  # the last successful read of any of its documents
    # Its successful listing reads, as the rules ask for them (rules/listing_reads.py): given
    # as a tuple of reads (kept in a ReadsInMemory), or as a lookup in the database.
    listing_reads: ListingReads = ReadsInMemory()
    # The source's own listing pages (its start URLs). Each one that was ever read must have
    # been read again after a deadline before that period's absence is observed; listing pages
    # outside this list (a copy ingested with --listing) count as listing reads too.
    listing_urls: tuple[str, ...] = ()
    stale_after: timedelta = DEFAULT_STALE_AFTER

    def __post_init__(self) -> None:
        if isinstance(self.listing_reads, (tuple, list)):
            object.__setattr__(self, "listing_reads", ReadsInMemory(self.listing_reads))

    @property
    def readable(self) -> bool:
        """Whether absence on this source can be observed at all."""
        return (
            self.implemented
            and self.state in ("healthy", "failing")
            and self.first_success_at is not None
        )


@dataclass(frozen=True, slots=True)
class CountFact:
    measure: str
    dimension: str
    category: str
    label: str
    value: float
    period_start: date | None = None
    period_end: date | None = None
    page: int | None = None

    @property
    def cell(self) -> tuple:
        return (
            self.measure,
            self.dimension,
            self.category,
            self.label,
            self.period_start,
            self.period_end,
        )


@dataclass(frozen=True, slots=True)
class StatementFact:
    key: str
    status: str  # stated | ambiguous | not_stated | not_required
    value: float | None = None
    quote: str | None = None
    page: int | None = None


@dataclass(frozen=True, slots=True)
class ProblemFact:
    kind: str
    detail: str
    page: int | None = None


@dataclass(frozen=True, slots=True)
class ReadFact:
    """One parse (by one parser version) of one archived snapshot of a report."""

    snapshot_sha256: str
    fetched_at: datetime
    parser_version: str
    outcome: str  # ok | layout_changed | empty | parse_error
    counts: tuple[CountFact, ...] = ()
    statements: tuple[StatementFact, ...] = ()
    problems: tuple[ProblemFact, ...] = ()
    parsed_at: datetime | None = None
    # False: ``counts`` holds only what the content and anomaly checks read of a reading
    # (``counts_read``), enough for every check but a revision's comparison, which needs
    # whole readings (rules/checks/changes.py refuses a partial one).
    whole: bool = True

    @property
    def readable(self) -> bool:
        return self.outcome in READABLE

    @property
    def seen_at(self) -> datetime:
        """When this reading existed: a re-parse of an old snapshot exists from its parse time."""
        return (
            self.parsed_at
            if self.parsed_at and self.parsed_at > self.fetched_at
            else self.fetched_at
        )


@lru_cache(maxsize=4096)
def _period(start: date, end: date) -> Period:
    """One (immutable) Period per data period: thousands of reports share a few hundred."""
    return Period(start, end)


def counts_read(counts: Iterable[CountFact]) -> tuple[CountFact, ...]:
    """What the checks other than ``revised`` read of a reading's counts, in their order:
    the first row of each (measure, dimension) table (content: which tables it has), every
    month and total row (anomaly: month totals), and the first row whose label does not say
    whether the information came from abroad (content: the label quoted). A shell may build a
    reading from these alone (``whole=False``); monitor/fact_gathering.py selects the same rows in SQL.
    """
    from scrapers.interpret.taxonomy import load as load_taxonomy

    taxonomy = load_taxonomy()
    tables: set[tuple[str, str]] = set()
    ambiguous = False
    out = []
    for count in counts:
        keep = count.dimension in TOTAL_DIMENSIONS
        if (count.measure, count.dimension) not in tables:
            tables.add((count.measure, count.dimension))
            keep = True
        if not ambiguous and taxonomy.origin_is_ambiguous(count.label):
            ambiguous = keep = True
        if keep:
            out.append(count)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ReportFact:
    source_id: str
    url: str
    first_seen: datetime
    title: str | None = None
    period_start: date | None = None  # the DATA period, as read from the document
    period_end: date | None = None
    issued: date | None = None
    issued_precision: str | None = None  # day | month | year
    # The last time the monitor looked at the source's listing and this report was not there:
    # a provable lower bound of its publication. None when the monitor never saw the listing
    # without it (it was already there on the first look).
    absent_at: datetime | None = None
    removed_at: datetime | None = None  # when the last listing page that carried it dropped it
    # Every listing page that linked it by the evaluation time: (URL, when that page dropped it,
    # or None while it still links it). Removal is claimed only when every one has dropped it.
    listings: tuple[tuple[str, datetime | None], ...] = ()
    # For a document the monitor has not read (or could not): the period its link names ("July
    # 2022", july-2022/), the periods it could cover (the source's reading of such names; None:
    # any period), and how fetching it went, as of the evaluation time.
    named_start: date | None = None
    named_end: date | None = None
    could_start: date | None = None
    could_end: date | None = None
    fetch_state: str | None = None  # None (never fetched) | ok | failing | unreachable
    fetch_failures: int = 0  # failed fetches in a row
    last_fetch_error: str | None = None
    reads: tuple[ReadFact, ...] = ()  # chronological
    report_id: int | None = None
    period: Period | None = field(init=False, compare=False, repr=False)  # the data period

    def __post_init__(self) -> None:
        period = None
        if (
            self.period_start is not None
            and self.period_end is not None
            and self.period_end >= self.period_start
        ):
            period = _period(self.period_start, self.period_end)
        object.__setattr__(self, "period", period)

    @property
    def could_cover(self) -> Period | None:
        """The periods this document could be, when it cannot be read: None means any."""
        if self.could_start is None or self.could_end is None or self.could_end < self.could_start:
            return None
        return Period(self.could_start, self.could_end)

    @property
    def named(self) -> Period | None:
        """The period its link names, if any (never its data period)."""
        if self.named_start is None or self.named_end is None or self.named_end < self.named_start:
            return None
        return Period(self.named_start, self.named_end)

    def reads_as_of(self, as_of: datetime) -> tuple[ReadFact, ...]:
        return tuple(r for r in self.reads if r.seen_at <= as_of)

    def latest_read(self, as_of: datetime) -> ReadFact | None:
        """The newest parse of the newest snapshot known at ``as_of``."""
        best = None
        for read in self.reads:
            if read.seen_at > as_of:
                continue
            if best is None or (read.fetched_at, read.seen_at) >= (best.fetched_at, best.seen_at):
                best = read
        return best

    def earliest_publication(self) -> tuple[date, str] | None:
        """The earliest day this report can be proven to have been published, and why.

        Two lower bounds, the later of which wins: the issue date printed on it (the first day of
        its precision: "June 2020" -> 2020-06-01), and the day of the monitor's last look at the
        listing that did not show it. None when neither is known: then lateness cannot be
        proven and is never claimed.
        """
        # the days first, the reason written for the one that wins (tens of thousands of
        # reports are asked, each reason two dates in words); the issue date wins a tie
        issued = absent = None
        if self.issued is not None:
            precision = self.issued_precision or "day"
            if precision == "year":
                issued = date(self.issued.year, 1, 1)
            elif precision == "month":
                issued = date(self.issued.year, self.issued.month, 1)
            else:
                issued = self.issued
        if self.absent_at is not None:
            absent = eastern_date(self.absent_at)
        if issued is not None and (absent is None or issued >= absent):
            return (
                issued,
                f"issued {self.issued.isoformat()} ({precision} precision): "
                f"not published before {issued.isoformat()}",
            )
        if absent is not None:
            return (
                absent,
                f"the monitor read the source at {self.absent_at.isoformat()} "
                f"and this report was not there: not published before "
                f"{absent.isoformat()}",
            )
        return None


@dataclass(frozen=True, slots=True)
class PublicationFact:
    """One revision of what a publication page (or its PDF) says about its document, as the
    monitor saw it at ``observed_at`` (monitor/publications.py)."""

    revision: int
    observed_at: datetime
    document_id: str | None
    kind: str  # pia | pia_update | sorn | report_to_congress | other
    title: str | None = None
    created: date | None = None
    last_published: date | None = None
    last_updated: date | None = None
    dated: date | None = None
    pdf_url: str | None = None
    mentions_hart: bool = False
    summary: str | None = None
    report_id: int | None = None
    # the document's text when this revision is its PDF read (None: not a PDF, or not read)
    body: str | None = None

    @property
    def published(self) -> tuple[date, str] | None:
        """The day this version was published, and the label that says so."""
        for name, label in (
            ("last_published", "Last Published"),
            ("last_updated", "Last Updated"),
            ("dated", "the date printed on it"),
            ("created", "Created"),
        ):
            day = getattr(self, name)
            if day is not None:
                return day, label
        return None


@dataclass(frozen=True, slots=True)
class EvidenceFact:
    """Manual evidence an analyst recorded (`monitor evidence`)."""

    obligation: str
    date: date  # the day the evidenced event happened (publication, notice, review)
    note: str
    by: str
    recorded_at: datetime
    period_start: date | None = None
    period_end: date | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class DecisionFact:
    """A person's decision on a document the monitor proposed for an obligation a person confirms
    (`monitor evidence OBLIGATION --from-report` / `--reject-report`): rules/decisions.py."""

    obligation: str
    source_id: str
    url: str  # the report's URL: (source_id, url) names the document
    decision: str  # confirmed | rejected
    decided_at: datetime
    by: str
    reason: str | None = None
    # the publication revision the person judged (None: the newest observed when deciding)
    revision: int | None = None
    evidence_id: int | None = None  # a confirmation's manual evidence
    id: int | None = None  # orders decisions made at the same instant


@dataclass
class Facts:
    sources: dict[str, SourceFact] = field(default_factory=dict)
    reports_by_source: dict[str, tuple[ReportFact, ...]] = field(default_factory=dict)
    evidence_by_obligation: dict[str, tuple[EvidenceFact, ...]] = field(default_factory=dict)
    # Congress's record (rules/congress.py); None when the shell gave none (a rule's cases).
    congress: CongressRecord | None = None
    # What publication pages say, per (source id, report URL): revisions, oldest first.
    publications: dict[tuple[str, str], tuple[PublicationFact, ...]] = field(default_factory=dict)
    # People's decisions on proposed documents, per obligation, oldest first.
    decisions_by_obligation: dict[str, tuple[DecisionFact, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        sources: Iterable[SourceFact] = (),
        reports: Iterable[ReportFact] = (),
        evidence: Iterable[EvidenceFact] = (),
        congress: CongressRecord | None = None,
        publications: dict[tuple[str, str], tuple[PublicationFact, ...]] | None = None,
        decisions: Iterable[DecisionFact] = (),
    ) -> "Facts":
        by_source: dict[str, list[ReportFact]] = {}
        for report in reports:
            by_source.setdefault(report.source_id, []).append(report)
        by_obligation: dict[str, list[EvidenceFact]] = {}
        for entry in evidence:
            by_obligation.setdefault(entry.obligation, []).append(entry)
        by_decided: dict[str, list[DecisionFact]] = {}
        for d in decisions:
            by_decided.setdefault(d.obligation, []).append(d)
        return cls(
            {s.id: s for s in sources},
            {
                k: tuple(sorted(v, key=lambda r: (r.first_seen, r.url)))
                for k, v in by_source.items()
            },
            {k: tuple(v) for k, v in by_obligation.items()},
            congress,
            dict(publications or {}),
            {
                k: tuple(sorted(v, key=lambda d: (d.decided_at, d.id or 0)))
                for k, v in by_decided.items()
            },
        )

    def source(self, source_id: str) -> SourceFact:
        return self.sources.get(source_id) or SourceFact(source_id, implemented=False)

    def reports(self, source_id: str, as_of: datetime) -> tuple[ReportFact, ...]:
        """Reports of a source that existed at ``as_of`` (sorted by first_seen)."""
        reports = self.reports_by_source.get(source_id, ())
        cut = bisect_right([r.first_seen for r in reports], as_of)
        return reports[:cut]

    def evidence(self, obligation_id: str, as_of: datetime) -> tuple[EvidenceFact, ...]:
        return tuple(
            e for e in self.evidence_by_obligation.get(obligation_id, ()) if e.recorded_at <= as_of
        )

    def decisions(self, obligation_id: str, as_of: datetime) -> tuple[DecisionFact, ...]:
        """People's decisions on ``obligation_id``'s proposed documents made by ``as_of``."""
        return tuple(
            d for d in self.decisions_by_obligation.get(obligation_id, ()) if d.decided_at <= as_of
        )

    def publications_of(self, report: ReportFact, as_of: datetime) -> tuple[PublicationFact, ...]:
        """The revisions of ``report``'s publication record observed by ``as_of``."""
        return tuple(
            p
            for p in self.publications.get((report.source_id, report.url), ())
            if p.observed_at <= as_of
        )

    def with_report(self, report: ReportFact) -> "Facts":
        """A copy with one more report (the incremental case: one new report arrived)."""
        reports = dict(self.reports_by_source)
        reports[report.source_id] = tuple(
            sorted(
                reports.get(report.source_id, ()) + (report,), key=lambda r: (r.first_seen, r.url)
            )
        )
        return Facts(
            dict(self.sources),
            reports,
            dict(self.evidence_by_obligation),
            self.congress,
            dict(self.publications),
            dict(self.decisions_by_obligation),
        )
