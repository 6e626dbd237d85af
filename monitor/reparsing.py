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
from monitor.document_path import store_document
from monitor.models import Report, Snapshot
from monitor.reading import is_listing
from monitor.store import (
    current_snapshot,
    ensure_source,
    listing_snapshot_ids,
    parsed_snapshot_ids,
    record_listing,
    source_snapshots,
)
from scrapers.fetch.archive import Archive, BodyCheck, BodyUnavailable
from scrapers.registry import RegisteredSource

_READING = (
    "title",
    "period_start",
    "period_end",
    "issued",
    "issued_precision",
    "fiscal_year",
    "authorities",
    "page_count",
    "snapshot_id",
)


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


def reparse_source(
    session: Session, archive: Archive, registered: RegisteredSource, *, now: datetime
) -> list[ReparseItem]:
    """Apply the current parser to every archived snapshot of the source. Flushes, no commit.

    Each snapshot goes the one document path (:func:`monitor.document_path.store_document`), read as
    what it was taken in as (a listing when a fetch or ingest took it in as one, or when its URL
    is a start URL: :func:`monitor.reading.is_listing`), dated by its own fetch."""
    source = registered.source
    version = source.parser_version
    ensure_source(session, source, now)
    snapshots = source_snapshots(session, source.id)
    done = parsed_snapshot_ids(session, source.id, version)
    read_as_listing = listing_snapshot_ids(session, source.id)
    before = {
        r.id: {name: getattr(r, name) for name in (*_READING, "removed_at")}
        for r in session.scalars(select(Report).where(Report.source_id == source.id))
    }

    items: list[ReparseItem] = []
    listing_links: dict[int, list] = {}
    listing_urls: list[str] = []
    checked: dict[str, BodyCheck] = {}
    for snap in snapshots:
        item = ReparseItem(snap.id, snap.url, snap.sha256, snap.fetched_at, version, "skipped")
        items.append(item)
        listing = is_listing(
            source, snap.url, declared=True if snap.id in read_as_listing else None
        )
        if listing and snap.url not in listing_urls:
            listing_urls.append(snap.url)
        if snap.sha256 not in checked:
            checked[snap.sha256] = checked_body(session, archive, snap.sha256, now=now)
        if checked[snap.sha256].state != "ok":
            item.outcome = checked[snap.sha256].state
            item.error = (
                f"archived body {snap.sha256} is missing"
                if item.outcome == "missing"
                else f"archived body {snap.sha256} was altered: it hashes to "
                f"{checked[snap.sha256].found_sha256}"
            )
            continue
        if snap.id in done:
            continue
        try:  # judged against its own fetch day, dated by it; parsed now
            intake = store_document(
                session,
                archive,
                registered,
                snap,
                listing=listing,
                now=snap.fetched_at,
                parsed_at=now,
                apply_listing=False,
            )
        except BodyUnavailable as exc:  # changed since it was checked a moment ago
            report_body(session, archive, archive.check(snap.sha256), now=now)
            item.outcome, item.error = exc.state, str(exc)
            continue
        item.outcome = intake.outcome
        item.counts, item.statements = intake.stored.counts, intake.stored.statements
        item.new_reports = len(intake.stored.new_reports)
        if listing and item.outcome == "ok":
            listing_links[snap.id] = intake.links

    _keep_newer_readings(session, source.id, before)
    # The newest snapshot of each listing is the page as it stands: apply its new reading.
    for url in listing_urls:
        newest = current_snapshot(session, url)
        if newest is not None and newest.id in listing_links:
            record_listing(
                session,
                source,
                url,
                listing_links[newest.id],
                newest.fetched_at,
                read=(newest.id, source.parser_version),
            )
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
