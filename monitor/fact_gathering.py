"""From the database to the facts the rules engine consumes (rules/facts.py), as of an instant.

Everything is read as it stood at ``as_of``: reports first seen later are left out, snapshots
fetched and parses made later are left out, a source's health is its last recorded state change
before ``as_of``.

Fact families. ``gather_facts`` builds a ``Scope`` (the session, the instant, the sources and
obligations asked about, the settings) and calls one function per family of facts: sources
(``source_facts``), reports (``report_facts``, in monitor/report_facts.py) and manual evidence
(``evidence_facts``). Each family reads only what the rules read, with a fixed number of
set-based queries whatever the number of reports or of counts per report, into plain tuples and
the frozen records of rules/facts.py (never one ORM object per row). A new family is one more
such function and one more argument to ``Facts.build`` (docs/architecture.md, "How to add a
fact family").

Publication evidence: a report's ``absent_at`` is the start of the last successful fetch of the
listing it appears on whose body did NOT link it, before it was first seen. That, not
``first_seen`` itself, is the provable lower bound of its publication: a poll that found it only
says it was published before that poll.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.models import (
    FetchRun,
    ManualEvidence,
    Report,
    Snapshot,
    SourceHealth,
    SourceHealthEvent,
    SourceRow,
)
from monitor.run_lookups import (
    IS_LISTING,
    first_listing_reads_after,
    last_listing_reads,
    success_bounds,
)
from rules.facts import (
    DEFAULT_STALE_AFTER,
    DecisionFact,
    EvidenceFact,
    Facts,
    ListingRead,
    SourceFact,
)
from rules.listing_reads import PageReads
from scrapers.source import LinkPeriods
from scrapers.vocabulary import SUCCESS_OUTCOMES  # "the monitor read the page as it is"


@dataclass(frozen=True)
class Registered:
    start_urls: tuple[str, ...]
    poll_every: timedelta
    link_periods: LinkPeriods | None = None  # how its links name periods (None: they do not)


def registered_sources(registry=None) -> dict[str, Registered]:
    """The implemented sources of ``registry`` (a :class:`scrapers.registry.Registry`; None:
    the discovered ones): their start (listing) URLs and poll interval. The caller passes the
    registry it runs on (``ctx.sources``), so a test or an embedding program gives its own."""
    from scrapers.redact import redact_url
    from scrapers.registry import Registry, UnknownSource

    registry = registry if registry is not None else Registry()
    out = {}
    for source_id in registry.ids():
        try:
            source = registry.get(source_id).source
        except (UnknownSource, ImportError, SyntaxError):
            continue  # a broken module is not an implemented source (`monitor check` says why)
        # as fetch runs store them: redacted (no credentials or keys in a URL)
        out[source_id] = Registered(
            tuple(redact_url(u) for u in source.start_urls), source.poll_every, source.link_periods
        )
    return out


def stale_after_for(setting: timedelta | None, poll_every: timedelta | None) -> timedelta:
    """The ``stale_after`` setting, or two poll intervals of the source."""
    if setting is not None:
        return setting
    return 2 * poll_every if poll_every else DEFAULT_STALE_AFTER


@dataclass
class Scope:
    """What one gathering asks about: every fact family reads its rows through this."""

    session: Session
    as_of: datetime
    source_ids: tuple[str, ...]  # sorted
    obligation_ids: tuple[str, ...]  # sorted
    registered: dict[str, Registered]  # the implemented sources (all of them, not only ours)
    stale_after: timedelta | None = None
    unreachable_after: int = 3
    # True: every count of every reading, as stored (``ReadFact.whole``); False: only what the
    # checks read (rules.facts.counts_read), and whole readings where a revision is possible.
    whole_reads: bool = False
    # One object per repeated value (labels, categories, dates, URLs): tens of thousands of
    # reports repeat a few hundred of them.
    _shared: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.session.flush()  # what the session holds is read too
        self._connection = self.session.connection()
        self.dialect = self._connection.dialect.name  # sqlite | postgresql

    def execute(self, statement):
        """The rows of ``statement`` as plain tuples (no ORM per-row work), fetched in batches.
        On PostgreSQL through a server-side cursor: psycopg would otherwise hold the whole
        result (a quarter of a million count rows at 40,000 reports) until the last row."""
        options = {"stream_results": True} if self.dialect == "postgresql" else None
        for batch in self._connection.execute(statement, execution_options=options).partitions(
            5000
        ):
            yield from batch

    def share(self, value):
        return self._shared.setdefault(value, value)

    def report_ids(self):
        """The reports in scope, as a subquery (no list of ids travels to the database)."""
        return select(Report.id).where(
            Report.source_id.in_(self.source_ids), Report.first_seen <= self.as_of
        )


def _listing_reads_by_source(
    execute, source_ids: Iterable[str], as_of: datetime, share=lambda v: v
) -> dict[str, tuple[ListingRead, ...]]:
    found: dict[str, list[ListingRead]] = defaultdict(list)
    ids = sorted(set(source_ids))
    if not ids:
        return {}
    for source_id, url, started, sha in execute(
        select(FetchRun.source_id, FetchRun.url, FetchRun.started_at, Snapshot.sha256)
        .outerjoin(Snapshot, Snapshot.id == FetchRun.snapshot_id)
        .where(
            FetchRun.source_id.in_(ids),
            IS_LISTING,
            FetchRun.outcome.in_(SUCCESS_OUTCOMES),
            FetchRun.started_at <= as_of,
        )
        .order_by(FetchRun.started_at, FetchRun.id)
    ):
        found[source_id].append(ListingRead(share(url), started, share(sha)))
    return {k: tuple(v) for k, v in found.items()}


def listing_reads(session: Session, source_id: str, as_of: datetime) -> tuple[ListingRead, ...]:
    """Every successful listing read of the source by ``as_of``, oldest first: a fetch or ingest
    run read as a listing whose outcome is ok / not_modified / unchanged (a listing that parsed
    badly has the parse outcome instead), with the body it read. The whole history, for a
    reader that wants it: the evaluation asks :class:`ListingReadLookup` for the few it needs."""
    return _listing_reads_by_source(session.execute, [source_id], as_of).get(source_id, ())


class ListingReadLookup:
    """A source's successful listing reads by ``as_of``, looked up in the database as the rules
    ask for them (rules/listing_reads.py): each page's last read, and per batch of instants
    each page's first read after each (monitor/run_lookups.py), each answer kept. A lookup
    costs one index descent per page and instant, whatever the history."""

    def __init__(self, session: Session, source_id: str, as_of: datetime) -> None:
        self.session = session
        self.source_id = source_id
        self.as_of = as_of  # reads after it were not gathered
        self._last: dict[datetime, PageReads] = {}
        self._first: dict[tuple[datetime, datetime], PageReads] = {}

    def _execute(self, statement, parameters=None):
        return self.session.connection().execute(statement, parameters)

    def last_reads(self, as_of: datetime) -> PageReads:
        as_of = min(as_of, self.as_of)
        if as_of not in self._last:
            self._last[as_of] = last_listing_reads(self._execute, self.source_id, as_of)
        return self._last[as_of]

    def first_reads_after(
        self, instants: Iterable[datetime], as_of: datetime
    ) -> dict[datetime, PageReads]:
        as_of = min(as_of, self.as_of)
        instants = set(instants)
        missing = [t for t in instants if (t, as_of) not in self._first]
        if missing:
            found = first_listing_reads_after(
                self._execute,
                self.source_id,
                missing,
                as_of,
                dialect=self.session.get_bind().dialect.name,
            )
            self._first.update({(t, as_of): pages for t, pages in found.items()})
        return {t: self._first[(t, as_of)] for t in instants}

    def __repr__(self) -> str:
        return f"ListingReadLookup({self.source_id!r}, {self.as_of.isoformat()})"


# -- the families -----------------------------------------------------------------------------


def source_facts(scope: Scope) -> list[SourceFact]:
    """Each source's health as of the instant, its first and last successful read (three
    queries for all the sources together), and its listing reads as a lookup that reads only
    those an absence asks for (:class:`ListingReadLookup`)."""
    execute, as_of, ids = scope.execute, scope.as_of, scope.source_ids
    if not ids:
        return []
    events: dict[str, tuple] = {}
    for source_id, to_state, at, event_id in execute(
        select(
            SourceHealthEvent.source_id,
            SourceHealthEvent.to_state,
            SourceHealthEvent.at,
            SourceHealthEvent.id,
        ).where(SourceHealthEvent.source_id.in_(ids), SourceHealthEvent.at <= as_of)
    ):
        if source_id not in events or (at, event_id) > events[source_id][1:]:
            events[source_id] = (to_state, at, event_id)
    health = {
        row[0]: row[1:]
        for row in execute(
            select(
                SourceHealth.source_id,
                SourceHealth.state,
                SourceHealth.changed_at,
                SourceHealth.first_success_at,
            ).where(SourceHealth.source_id.in_(ids))
        )
    }
    # per source, its first and last successful run: two index lookups each, not a pass over
    # every run (monitor/run_lookups.py)
    success = {
        row[0]: row[1:]
        for row in execute(
            select(SourceRow.id, *success_bounds(SourceRow.id, as_of)).where(SourceRow.id.in_(ids))
        )
    }
    out = []
    for source_id in ids:
        registered = scope.registered.get(source_id)
        state = since = None
        if source_id in events:
            state, since, _ = events[source_id]
        elif source_id in health and health[source_id][1] <= as_of:
            state, since = health[source_id][:2]
        first, last = success.get(source_id, (None, None))
        first_success = health[source_id][2] if source_id in health else None
        if first_success and first_success <= as_of:
            first = min(first, first_success) if first else first_success
        if state is None and first is not None:
            state = "healthy"  # read successfully, no failure recorded
        out.append(
            SourceFact(
                source_id,
                registered is not None,
                state,
                since,
                first,
                last,
                # looked up when an absence asks (never every read: ListingReadLookup)
                listing_reads=ListingReadLookup(scope.session, source_id, as_of)
                if registered
                else (),
                listing_urls=registered.start_urls if registered else (),
                stale_after=stale_after_for(
                    scope.stale_after, registered.poll_every if registered else None
                ),
            )
        )
    return out


def evidence_facts(scope: Scope) -> list[EvidenceFact]:
    """Manual evidence recorded for the obligations asked about, by the instant."""
    if not scope.obligation_ids:
        return []
    return [
        EvidenceFact(*row)
        for row in scope.execute(
            select(
                ManualEvidence.obligation_id,
                ManualEvidence.evidence_date,
                ManualEvidence.note,
                ManualEvidence.recorded_by,
                ManualEvidence.recorded_at,
                ManualEvidence.period_start,
                ManualEvidence.period_end,
                ManualEvidence.id,
            )
            .where(
                ManualEvidence.obligation_id.in_(scope.obligation_ids),
                ManualEvidence.recorded_at <= scope.as_of,
            )
            .order_by(ManualEvidence.id)
        )
    ]


def decision_facts(scope: Scope) -> list[DecisionFact]:
    """People's decisions on proposed documents (confirmed, rejected) for the obligations asked
    about, by the instant (rules/decisions.py)."""
    if not scope.obligation_ids:
        return []
    from monitor.models import CandidateDecision

    return [
        DecisionFact(ob, source_id, url, decision, at, by, reason, revision, evidence_id, id_)
        for ob, source_id, url, decision, at, by, reason, revision, evidence_id, id_ in (
            scope.execute(
                select(
                    CandidateDecision.obligation_id,
                    Report.source_id,
                    Report.url,
                    CandidateDecision.decision,
                    CandidateDecision.decided_at,
                    CandidateDecision.decided_by,
                    CandidateDecision.reason,
                    CandidateDecision.revision,
                    CandidateDecision.evidence_id,
                    CandidateDecision.id,
                )
                .join(Report, Report.id == CandidateDecision.report_id)
                .where(
                    CandidateDecision.obligation_id.in_(scope.obligation_ids),
                    CandidateDecision.decided_at <= scope.as_of,
                )
                .order_by(CandidateDecision.decided_at, CandidateDecision.id)
            )
        )
    ]


def gather_facts(
    session: Session,
    as_of: datetime,
    source_ids: Iterable[str],
    obligation_ids: Iterable[str] = (),
    *,
    stale_after: timedelta | None = None,
    unreachable_after: int | None = None,
    whole_reads: bool = False,
    registry=None,
    obligations: Iterable | None = None,
    periods_from: date | None = None,
) -> Facts:
    """Facts about ``source_ids`` and the manual evidence for ``obligation_ids`` at ``as_of``.

    ``stale_after`` is the setting of that name (None: two poll intervals of each source);
    ``unreachable_after`` too (None: its default). ``whole_reads``: every count of every
    reading (for a caller that reads counts itself; the checks give the same findings
    either way). ``registry``: the sources the monitor runs on (None: the discovered ones).
    ``obligations``: the obligations evaluated (those of ``obligation_ids``), so that Congress's
    record holds only the communications they can match (None: every one); ``periods_from``: the
    ``watch_from`` setting they are evaluated with."""
    from rules.engine import cycle_collection_paused

    with cycle_collection_paused():  # hundreds of thousands of plain records, no cycles
        return _gather(
            session,
            as_of,
            source_ids,
            obligation_ids,
            stale_after,
            unreachable_after,
            whole_reads,
            registry,
            obligations,
            periods_from,
        )


def _gather(
    session,
    as_of,
    source_ids,
    obligation_ids,
    stale_after,
    unreachable_after,
    whole_reads,
    registry,
    obligations,
    periods_from,
) -> Facts:
    from monitor.fetching import UNREACHABLE_AFTER
    from monitor.report_facts import report_facts

    scope = Scope(
        session,
        as_of,
        tuple(sorted(set(source_ids))),
        tuple(sorted(set(obligation_ids))),
        registered_sources(registry),
        stale_after,
        unreachable_after or UNREACHABLE_AFTER,
        whole_reads,
    )
    from monitor.congress_facts import congress_record  # Congress's own record

    return Facts.build(
        source_facts(scope),
        report_facts(scope),
        evidence_facts(scope),
        congress_record(
            session,
            as_of,
            stale_after,
            obligations=obligations,
            periods_from=periods_from,
            requirements=obligations is None,
        ),
        _publications(session, scope.source_ids, as_of),
        decision_facts(scope),
    )


def _publications(session: Session, source_ids, as_of: datetime) -> dict:
    """What publication pages say (monitor/publications.py)."""
    from monitor.publications import publication_facts

    return publication_facts(session, source_ids, as_of)
