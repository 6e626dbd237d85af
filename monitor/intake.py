"""One body in: archive it, parse it with its source's parser, validate, store.

Fetching, `monitor ingest` and `monitor reparse` all come through here, so a document obtained
by hand is treated exactly like a fetched one. The caller writes the fetch-run row (it knows the
HTTP side); this module decides the parse outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.models import Parse, Report, Snapshot
from monitor.saved import run_parser  # noqa: F401 - parsing needs no database: it lives there
from monitor.store import (
    StoredParse, ensure_source, record_listing, record_parse, store_snapshot,
)
from scrapers.archive import Archive
from scrapers.records import Document, Link, ParseResult
from scrapers.redact import REDACTED
from scrapers.registry import RegisteredSource
from scrapers.validate import outcome as parse_outcome

log = logging.getLogger(__name__)


@dataclass
class Intake:
    snapshot: Snapshot
    snapshot_new: bool
    outcome: str  # ok | layout_changed | empty | parse_error | wrong_type
    result: ParseResult | None  # None when this snapshot had been parsed by this version before
    stored: StoredParse | None
    links: list[Link] = field(default_factory=list)
    new_reports: list[Report] = field(default_factory=list)
    removed_reports: list[Report] = field(default_factory=list)


def parse_snapshot(session: Session, archive: Archive, registered: RegisteredSource,
                   snapshot: Snapshot, *, is_listing: bool, now: datetime,
                   doc_url: str | None = None, max_links: int | None = None) -> Intake:
    """Parse an archived snapshot with the current parser and store what it yields.

    ``doc_url`` is the URL as requested, secrets included (the snapshot keeps it redacted): the
    parser resolves links against it, so the links handed back can be followed. Stored links
    are redacted; when they were, the body is read again to hand back the real ones.
    ``max_links`` caps a listing's links (validate): a listing read up to the cap is not complete,
    so no report is taken as removed from it.
    """
    source = registered.source
    doc_url = doc_url or snapshot.url
    existing = session.scalar(select(Parse).where(Parse.snapshot_id == snapshot.id,
                                                  Parse.parser_version == source.parser_version))
    if existing is not None:
        links = [Link(**link) for link in existing.links]
        if any(REDACTED in link.url for link in links):
            body = archive.get(snapshot.sha256)
            links = list(run_parser(registered, Document(body, doc_url, snapshot.content_type),
                                    max_links=max_links).links)
        intake = Intake(snapshot, False, existing.outcome, None, None, links=links)
    else:
        body = archive.get(snapshot.sha256)
        result = run_parser(registered, Document(body, doc_url, snapshot.content_type),
                            snapshot.fetched_at.date(), max_links=max_links)
        shape = source.listing_shape if is_listing else source.report_shape
        outcome = parse_outcome(result, shape)
        stored = record_parse(session, source, snapshot, result, outcome, now)
        intake = Intake(snapshot, False, outcome, result, stored, links=list(result.links),
                        new_reports=list(stored.new_reports))
    if is_listing and intake.outcome == "ok":
        created, removed = record_listing(
            session, source, snapshot.url, intake.links, now,
            complete=max_links is None or len(intake.links) < max_links)
        intake.new_reports.extend(created)
        intake.removed_reports.extend(removed)
    return intake


def take_in(session: Session, archive: Archive, registered: RegisteredSource, *, url: str,
            body: bytes, fetched_at: datetime, is_listing: bool, content_type: str | None = None,
            headers: dict[str, str] | None = None, http_status: int | None = None,
            requested_url: str | None = None, doc_url: str | None = None,
            max_links: int | None = None) -> Intake:
    """Archive ``body`` as fetched from canonical ``url`` at ``fetched_at``, then parse and store.
    ``url`` is stored redacted; ``doc_url`` (default ``url``) is what the parser reads links
    against."""
    ensure_source(session, registered.source, fetched_at)
    snapshot, new = store_snapshot(session, archive, source_id=registered.id, url=url, body=body,
                                   fetched_at=fetched_at, content_type=content_type,
                                   headers=headers, http_status=http_status,
                                   requested_url=requested_url)
    intake = parse_snapshot(session, archive, registered, snapshot, is_listing=is_listing,
                            now=fetched_at, doc_url=doc_url or url, max_links=max_links)
    intake.snapshot_new = new
    return intake
