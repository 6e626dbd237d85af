"""From the database to the facts the rules engine consumes (rules/facts.py), as of an instant.

Everything is read as it stood at ``as_of``: reports first seen later are left out, snapshots
fetched and parses made later are left out, a source's health is its last recorded state change
before ``as_of``. The queries are set-based (a handful per evaluation, not one per report).

Publication evidence: a report's ``absent_at`` is the start of the last successful fetch of the
listing it appears on whose body did NOT link it, before it was first seen. That, not
``first_seen`` itself, is the provable lower bound of its publication: a poll that found it only
says it was published before that poll.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from monitor.models import (
    CountObservation, FetchRun, ManualEvidence, Parse, ParseProblem, Report, ReportListing,
    Snapshot, SourceHealth, SourceHealthEvent, Statement,
)
from scrapers.source import LinkPeriods
from rules.facts import (
    DEFAULT_STALE_AFTER, CountFact, EvidenceFact, Facts, ListingRead, ProblemFact, ReadFact,
    ReportFact, SourceFact, StatementFact,
)
from scrapers.vocabulary import SUCCESS_OUTCOMES  # "the monitor read the page as it is"


@dataclass(frozen=True)
class Registered:
    start_urls: tuple[str, ...]
    poll_every: timedelta
    link_periods: LinkPeriods | None = None  # how its links name periods (None: they do not)


def _registered() -> dict[str, Registered]:
    """Implemented sources: their start (listing) URLs and poll interval."""
    from scrapers.redact import redact_url
    from scrapers.registry import UnknownSource, load_source, source_ids

    out = {}
    for source_id in source_ids():
        try:
            source = load_source(source_id).source
        except (UnknownSource, ImportError, SyntaxError):
            continue  # a broken module is not an implemented source (`monitor check` says why)
        # as fetch runs store them: redacted (no credentials or keys in a URL)
        out[source_id] = Registered(tuple(redact_url(u) for u in source.start_urls),
                                    source.poll_every, source.link_periods)
    return out


def stale_after_for(setting: timedelta | None, poll_every: timedelta | None) -> timedelta:
    """The ``stale_after`` setting, or two poll intervals of the source."""
    if setting is not None:
        return setting
    return 2 * poll_every if poll_every else DEFAULT_STALE_AFTER


def listing_reads(session: Session, source_id: str, as_of: datetime) -> tuple[ListingRead, ...]:
    """Every successful listing read of the source by ``as_of``, oldest first: a fetch or ingest
    run read as a listing whose outcome is ok / not_modified / unchanged (a listing that parsed
    badly has the parse outcome instead), with the body it read."""
    rows = session.execute(
        select(FetchRun.url, FetchRun.started_at, Snapshot.sha256)
        .outerjoin(Snapshot, Snapshot.id == FetchRun.snapshot_id)
        .where(FetchRun.source_id == source_id, FetchRun.listing.is_(True),
               FetchRun.outcome.in_(SUCCESS_OUTCOMES), FetchRun.started_at <= as_of)
        .order_by(FetchRun.started_at, FetchRun.id))
    return tuple(ListingRead(url, started, sha) for url, started, sha in rows)


def _source_fact(session: Session, source_id: str, registered: Registered | None,
                 as_of: datetime, stale_after: timedelta | None) -> SourceFact:
    implemented = registered is not None
    event = session.scalar(select(SourceHealthEvent)
                           .where(SourceHealthEvent.source_id == source_id,
                                  SourceHealthEvent.at <= as_of)
                           .order_by(SourceHealthEvent.at.desc(), SourceHealthEvent.id.desc())
                           .limit(1))
    health = session.get(SourceHealth, source_id)
    state = since = None
    if event is not None:
        state, since = event.to_state, event.at
    elif health is not None and health.changed_at <= as_of:
        state, since = health.state, health.changed_at
    first, last = session.execute(
        select(func.min(FetchRun.started_at), func.max(FetchRun.started_at))
        .where(FetchRun.source_id == source_id, FetchRun.outcome.in_(SUCCESS_OUTCOMES),
               FetchRun.started_at <= as_of)).one()
    if health is not None and health.first_success_at and health.first_success_at <= as_of:
        first = min(first, health.first_success_at) if first else health.first_success_at
    if state is None and first is not None:
        state = "healthy"  # read successfully, no failure recorded
    return SourceFact(
        source_id, implemented, state, since, first, last,
        listing_reads=listing_reads(session, source_id, as_of) if implemented else (),
        listing_urls=registered.start_urls if registered else (),
        stale_after=stale_after_for(stale_after, registered.poll_every if registered else None))


def _reads(session: Session, reports: list[Report], as_of: datetime) -> dict[int, list[ReadFact]]:
    report_ids = [r.id for r in reports]
    if not report_ids:
        return {}
    parse_ids: dict[int, set[int]] = defaultdict(set)
    # the report's own URL, snapshot by snapshot
    rows = session.execute(
        select(Report.id, Parse.id)
        .join(Snapshot, and_(Snapshot.url == Report.url, Snapshot.source_id == Report.source_id))
        .join(Parse, Parse.snapshot_id == Snapshot.id)
        .where(Report.id.in_(report_ids), Snapshot.fetched_at <= as_of, Parse.parsed_at <= as_of))
    for rid, pid in rows:
        parse_ids[rid].add(pid)
    # ... and any document whose parse attributed observations to it (a listing carrying a body)
    for model in (CountObservation, Statement, ParseProblem):
        rows = session.execute(select(model.report_id, model.parse_id).distinct()
                               .join(Parse, Parse.id == model.parse_id)
                               .where(model.report_id.in_(report_ids), Parse.parsed_at <= as_of))
        for rid, pid in rows:
            parse_ids[rid].add(pid)
    all_parses = {pid for pids in parse_ids.values() for pid in pids}
    if not all_parses:
        return {}
    parses = {p.id: (p, s) for p, s in session.execute(
        select(Parse, Snapshot).join(Snapshot, Snapshot.id == Parse.snapshot_id)
        .where(Parse.id.in_(all_parses), Snapshot.fetched_at <= as_of))}
    counts: dict[tuple[int, int], list[CountFact]] = defaultdict(list)
    for c in session.scalars(select(CountObservation).where(
            CountObservation.parse_id.in_(all_parses), CountObservation.report_id.in_(report_ids))
            .order_by(CountObservation.id)):
        counts[(c.report_id, c.parse_id)].append(CountFact(
            c.measure, c.dimension, c.category, c.label, c.value, c.period_start, c.period_end,
            c.page))
    statements: dict[tuple[int, int], list[StatementFact]] = defaultdict(list)
    for s in session.scalars(select(Statement).where(
            Statement.parse_id.in_(all_parses), Statement.report_id.in_(report_ids))
            .order_by(Statement.id)):
        statements[(s.report_id, s.parse_id)].append(StatementFact(
            s.key, s.status, s.value, s.quote, s.page))
    problems: dict[tuple[int | None, int], list[ProblemFact]] = defaultdict(list)
    for p in session.scalars(select(ParseProblem).where(ParseProblem.parse_id.in_(all_parses))
                             .order_by(ParseProblem.id)):
        problems[(p.report_id, p.parse_id)].append(ProblemFact(p.kind, p.detail, p.page))
    out: dict[int, list[ReadFact]] = {}
    for rid, pids in parse_ids.items():
        reads = []
        for pid in pids:
            if pid not in parses:
                continue
            parse, snap = parses[pid]
            reads.append(ReadFact(
                snap.sha256, snap.fetched_at, parse.parser_version, parse.outcome,
                tuple(counts[(rid, pid)]), tuple(statements[(rid, pid)]),
                tuple(problems[(rid, pid)] + problems[(None, pid)]), parse.parsed_at))
        out[rid] = sorted(reads, key=lambda r: (r.fetched_at, r.seen_at, r.parser_version))
    return out


def _listings(session: Session, reports: list[Report],
              as_of: datetime) -> dict[int, list[tuple[str, datetime, datetime | None]]]:
    """Per report, the listing pages that linked it by ``as_of``: (URL, first seen there, when
    that page dropped it or None), by URL."""
    out: dict[int, list[tuple[str, datetime, datetime | None]]] = defaultdict(list)
    ids = [r.id for r in reports]
    if not ids:
        return out
    for row in session.scalars(select(ReportListing).where(ReportListing.report_id.in_(ids),
                                                           ReportListing.first_seen <= as_of)
                               .order_by(ReportListing.listing_url)):
        dropped = row.removed_at if row.removed_at and row.removed_at <= as_of else None
        out[row.report_id].append((row.listing_url, row.first_seen, dropped))
    return out


def _absent_at(session: Session, reports: list[Report], start_urls: dict[str, tuple[str, ...]],
               as_of: datetime,
               listings: dict[int, list[tuple[str, datetime, datetime | None]]] | None = None
               ) -> dict[int, datetime]:
    """Per report, a time the monitor saw it published nowhere yet: for each listing page that
    carried it, the last successful read of that page before it appeared there whose body lacked
    it; the earliest of these (it may have been on any of those pages from just after that
    read), and none at all when one page showed it on its first read."""
    wanted: dict[int, dict[str, datetime]] = {}
    every_page: dict[int, bool] = {}  # False: a report no listing page carried (read directly)
    for r in reports:
        pages = {url: first for url, first, _dropped in (listings or {}).get(r.id, ())}
        every_page[r.id] = bool(pages)
        if not pages:
            pages = {url: r.first_seen for url in
                     ({r.listed_on} if r.listed_on else set(start_urls.get(r.source_id, ())))}
        wanted[r.id] = pages
    urls = set().union(*(set(p) for p in wanted.values())) if wanted else set()
    if not urls:
        return {}
    runs = session.execute(
        select(FetchRun.url, FetchRun.started_at, FetchRun.snapshot_id)
        .where(FetchRun.url.in_(urls), FetchRun.outcome.in_(SUCCESS_OUTCOMES),
               FetchRun.started_at <= as_of)
        .order_by(FetchRun.url, FetchRun.started_at)).all()
    snapshot_ids = {snap for _u, _t, snap in runs if snap is not None}
    links: dict[int, set[str]] = defaultdict(set)
    if snapshot_ids:
        for snap_id, parse_links in session.execute(
                select(Parse.snapshot_id, Parse.links).where(Parse.snapshot_id.in_(snapshot_ids),
                                                             Parse.parsed_at <= as_of)):
            links[snap_id].update(link.get("url") for link in (parse_links or []))
    # a run without a snapshot (304) saw the same body as the previous run of that URL
    timeline: dict[str, list[tuple[datetime, int | None]]] = defaultdict(list)
    last_snapshot: dict[str, int | None] = {}
    for url, started, snap in runs:
        snap = snap if snap is not None else last_snapshot.get(url)
        last_snapshot[url] = snap
        timeline[url].append((started, snap))
    out = {}
    for r in reports:
        bounds = []
        for url, appeared in wanted[r.id].items():
            best = None
            for started, snap in timeline.get(url, ()):
                if started >= min(appeared, r.first_seen) or snap is None \
                        or r.url in links.get(snap, ()):
                    continue
                best = started if best is None or started > best else best
            bounds.append(best)
        if every_page[r.id] and bounds and all(b is not None for b in bounds):
            out[r.id] = min(bounds)
        elif not every_page[r.id] and any(b is not None for b in bounds):
            out[r.id] = max(b for b in bounds if b is not None)
    return out


def _fetch_states(session: Session, reports: list[Report], as_of: datetime,
                  unreachable_after: int) -> dict[int, tuple[str | None, int, str | None]]:
    """Per report not yet placed in a period: (fetch state, failed fetches in a row, last
    error) from its fetch runs by ``as_of`` (not the stored state: an evaluation as of the past
    sees the document as it stood then)."""
    from monitor.fetching import FETCH_FAILURES

    wanted = {(r.source_id, r.url): r.id for r in reports
              if r.period_start is None or r.period_end is None}
    if not wanted:
        return {}
    runs: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    for source_id, url, outcome, error in session.execute(
            select(FetchRun.source_id, FetchRun.url, FetchRun.outcome, FetchRun.error)
            .where(FetchRun.url.in_({url for _s, url in wanted}), FetchRun.listing.is_(False),
                   FetchRun.started_at <= as_of)
            .order_by(FetchRun.started_at, FetchRun.id)):
        rid = wanted.get((source_id, url))
        if rid is not None:
            runs[rid].append((outcome, error))
    out = {}
    for rid, seen in runs.items():
        failures, last_error = 0, None
        for outcome, error in seen:
            if outcome in FETCH_FAILURES:
                failures += 1
                last_error = (f"{outcome}: {error}" if error else outcome)[:2000]
            else:
                failures = 0
        state = "ok" if failures == 0 else \
            "unreachable" if failures >= unreachable_after else "failing"
        out[rid] = (state, failures, last_error)
    return out


def _unplaced_fields(named, state) -> dict:
    out: dict = {}
    if named is not None:
        out.update(zip(("named_start", "named_end", "could_start", "could_end"), named))
    if state is not None:
        out.update(zip(("fetch_state", "fetch_failures", "last_fetch_error"), state))
    return out


def _could_cover(report: Report, registered: Registered | None):
    """(named start, end, could-cover start, end) of a report whose link names a period."""
    if report.link_period_start is None or report.link_period_end is None:
        return None, None, None, None
    start, end = report.link_period_start, report.link_period_end
    if registered is None or registered.link_periods is None:
        return start, end, None, None  # the source does not say how its links name periods
    could = registered.link_periods.could_cover(start, end)
    return start, end, could[0], could[1]


def gather_facts(session: Session, as_of: datetime, source_ids: Iterable[str],
                 obligation_ids: Iterable[str] = (), *,
                 stale_after: timedelta | None = None,
                 unreachable_after: int | None = None) -> Facts:
    """Facts about ``source_ids`` and the manual evidence for ``obligation_ids`` at ``as_of``.

    ``stale_after`` is the setting of that name (None: two poll intervals of each source);
    ``unreachable_after`` too (None: its default)."""
    from monitor.fetching import UNREACHABLE_AFTER

    registered = _registered()
    ids = sorted(set(source_ids))
    sources = [_source_fact(session, s, registered.get(s), as_of, stale_after) for s in ids]
    reports = list(session.scalars(select(Report).where(Report.source_id.in_(ids),
                                                        Report.first_seen <= as_of)
                                   .order_by(Report.id))) if ids else []
    reads = _reads(session, reports, as_of)
    listings = _listings(session, reports, as_of)
    absent = _absent_at(session, reports, {k: v.start_urls for k, v in registered.items()}, as_of,
                        listings)
    states = _fetch_states(session, reports, as_of, unreachable_after or UNREACHABLE_AFTER)
    named = {r.id: _could_cover(r, registered.get(r.source_id)) for r in reports
             if r.period_start is None or r.period_end is None}
    report_facts = [ReportFact(
        source_id=r.source_id, url=r.url, first_seen=r.first_seen, title=r.title,
        period_start=r.period_start, period_end=r.period_end, issued=r.issued,
        issued_precision=r.issued_precision, absent_at=absent.get(r.id),
        removed_at=r.removed_at if r.removed_at and r.removed_at <= as_of else None,
        listings=tuple((url, dropped) for url, _first, dropped in listings.get(r.id, ())),
        **_unplaced_fields(named.get(r.id), states.get(r.id)),
        reads=tuple(reads.get(r.id, ())), report_id=r.id) for r in reports]
    wanted = list(set(obligation_ids))
    evidence = [EvidenceFact(e.obligation_id, e.evidence_date, e.note, e.recorded_by,
                             e.recorded_at, e.period_start, e.period_end, e.id)
                for e in session.scalars(select(ManualEvidence).where(
                    ManualEvidence.obligation_id.in_(wanted), ManualEvidence.recorded_at <= as_of)
                    .order_by(ManualEvidence.id))] if wanted else []
    return Facts.build(sources, report_facts, evidence)
