"""Re-deriving records from archived snapshots with the current parser version.

Parsing is pure and every body is archived, so an improved parser can be applied to history:
each snapshot not yet read by the current version is parsed and its observations are added,
tagged with the new version; observations of earlier versions stay. A version already applied
to a snapshot is skipped, so running reparse twice writes nothing the second time.

Old evidence must not rewrite the present, so a reparse:

* dates what it derives by the snapshot it reads (reports first seen, observed at), not by
  the moment of the reparse (``parses.parsed_at`` alone records that);
* processes each URL's snapshots oldest first and, where a report's current reading came from
  a newer snapshot than the ones reparsed, keeps that reading;
* checks every snapshot's body against its sha256 first, those this version already read
  included: a body that is missing or altered is reported (``missing``/``altered``, an
  ``archive`` operator finding) and never parsed;
* never brings back a report a listing has dropped (``removed_at``), except when the newest
  listing snapshot itself, read by the new parser, lists it; the newest listing snapshot's links
  are applied as the listing now stands.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.archive_check import checked_body, report_body
from monitor.fetching import current_snapshot
from monitor.intake import run_parser
from monitor.models import Parse, Report, Snapshot
from monitor.store import ensure_source, record_listing, record_parse
from scrapers.archive import Archive, BodyCheck, BodyUnavailable
from scrapers.records import Document
from scrapers.registry import RegisteredSource
from scrapers.validate import outcome as parse_outcome

_READING = ("title", "period_start", "period_end", "issued", "issued_precision", "fiscal_year",
            "authorities", "page_count", "snapshot_id")


@dataclass
class ReparseItem:
    snapshot_id: int
    url: str
    sha256: str
    fetched_at: datetime
    parser_version: str
    outcome: str  # a parse outcome, "skipped" (this version read it before), "missing" or
    # "altered" (the archived body is gone, or no longer hashes to its sha256: not parsed)
    counts: int = 0
    statements: int = 0
    new_reports: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _order(snapshot: Snapshot | None) -> tuple:
    return (snapshot.fetched_at, snapshot.id) if snapshot is not None else ()


def reparse_source(session: Session, archive: Archive, registered: RegisteredSource, *,
                   now: datetime) -> list[ReparseItem]:
    """Apply the current parser to every archived snapshot of the source. Flushes, no commit."""
    source = registered.source
    version = source.parser_version
    ensure_source(session, source, now)
    snapshots = session.scalars(select(Snapshot).where(Snapshot.source_id == source.id)
                                .order_by(Snapshot.fetched_at, Snapshot.id)).all()
    done = set(session.scalars(select(Parse.snapshot_id).where(Parse.source_id == source.id,
                                                               Parse.parser_version == version)))
    before = {r.id: {name: getattr(r, name) for name in (*_READING, "removed_at")}
              for r in session.scalars(select(Report).where(Report.source_id == source.id))}

    items: list[ReparseItem] = []
    listing_links: dict[int, list] = {}
    checked: dict[str, BodyCheck] = {}
    for snap in snapshots:
        item = ReparseItem(snap.id, snap.url, snap.sha256, snap.fetched_at, version, "skipped")
        items.append(item)
        if snap.sha256 not in checked:
            checked[snap.sha256] = checked_body(session, archive, snap.sha256, now=now)
        if checked[snap.sha256].state != "ok":
            item.outcome = checked[snap.sha256].state
            item.error = (f"archived body {snap.sha256} is missing" if item.outcome == "missing"
                          else f"archived body {snap.sha256} was altered: it hashes to "
                               f"{checked[snap.sha256].found_sha256}")
            continue
        if snap.id in done:
            continue
        try:
            body = archive.get(snap.sha256)
        except BodyUnavailable as exc:  # changed since it was checked a moment ago
            report_body(session, archive, archive.check(snap.sha256), now=now)
            item.outcome, item.error = exc.state, str(exc)
            continue
        is_listing = snap.url in source.start_urls
        result = run_parser(registered, Document(body, snap.url, snap.content_type),
                            snap.fetched_at.date())  # judged against its own fetch day
        item.outcome = parse_outcome(result, source.listing_shape if is_listing
                                     else source.report_shape)
        stored = record_parse(session, source, snap, result, item.outcome, snap.fetched_at,
                              parsed_at=now)
        item.counts, item.statements = stored.counts, stored.statements
        item.new_reports = len(stored.new_reports)
        if is_listing and item.outcome == "ok":
            listing_links[snap.id] = list(result.links)

    _keep_newer_readings(session, source.id, before)
    # The newest snapshot of each listing is the page as it stands: apply its new reading.
    for url in source.start_urls:
        newest = current_snapshot(session, url)
        if newest is not None and newest.id in listing_links:
            record_listing(session, source, url, listing_links[newest.id], newest.fetched_at)
    session.flush()
    return items


def _keep_newer_readings(session: Session, source_id: str, before: dict[int, dict]) -> None:
    for report in session.scalars(select(Report).where(Report.source_id == source_id)):
        old = before.get(report.id)
        if old is None:
            continue
        report.removed_at = old["removed_at"]
        was = session.get(Snapshot, old["snapshot_id"]) if old["snapshot_id"] else None
        now_from = session.get(Snapshot, report.snapshot_id) if report.snapshot_id else None
        if was is not None and (now_from is None or _order(now_from) < _order(was)):
            for name in _READING:
                setattr(report, name, old[name])
    session.flush()
