"""The store half of the one document path: a body archived, read and written to the database.

Every document comes in the same way, whoever obtained it::

    obtain (fetch | saved file | archived body)
      -> read   monitor.reading.read_document: parse, validate, outcome (pure, no database)
      -> store  store_document: snapshot, parse, reports, counts, statements, problems,
                the listing's links (this module, in the one writer)
      -> record record_run: the one fetch_runs row of the request (this module)

:func:`take_in` is the whole path for a body in hand (a fetch's 200, `monitor ingest`);
:func:`store_document` takes an archived snapshot (a fetch's 304, `monitor reparse`). A caller
that read the body elsewhere (a worker thread) passes its :class:`~monitor.reading.Reading`,
and nothing is parsed here; otherwise the body is read here. A snapshot this parser version
has read before is not read or stored again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.models import FetchRun, Report, Snapshot
from monitor.reading import Reading, read_document, run_parser  # noqa: F401 - importable here
from monitor.reading import is_listing as listing_rule
from monitor.store import (
    StoredParse,
    StoredRun,
    current_sha256,
    ensure_source,
    parse_of,
    problem_text,
    record_fetch_run,
    record_listing,
    record_parse,
    store_snapshot,
)
from scrapers.fetch.archive import Archive, Stored
from scrapers.records import Link, ParseResult
from scrapers.redact import REDACTED
from scrapers.registry import RegisteredSource
from scrapers.vocabulary import PARSE_FAILURE_OUTCOMES, Outcome

log = logging.getLogger(__name__)


@dataclass
class StoredDocument:
    snapshot: Snapshot
    snapshot_new: bool
    outcome: str  # ok | layout_changed | empty | parse_error | wrong_type
    result: ParseResult | None  # None when this snapshot had been parsed by this version before
    stored: StoredParse | None
    links: list[Link] = field(default_factory=list)
    new_reports: list = field(default_factory=list)  # Report rows, or NewReport (id, url)
    removed_reports: list[Report] = field(default_factory=list)
    # the body differs from the one the URL served last (None: not asked, a 304 or a reparse)
    changed: bool | None = None
    listing: bool = False
    parser_version: str = ""


def store_document(
    session: Session,
    archive: Archive,
    registered: RegisteredSource,
    snapshot: Snapshot,
    *,
    listing: bool,
    now: datetime,
    doc_url: str | None = None,
    reading: Reading | None = None,
    parsed_at: datetime | None = None,
    apply_listing: bool = True,
    max_links: int | None = None,
    new_snapshot: bool = False,
) -> StoredDocument:
    """Read an archived snapshot with the current parser (or take ``reading``, the same body
    read elsewhere) and store what it yields; flushes, never commits.

    ``now`` dates what is derived (a reparse passes the snapshot's own time), ``parsed_at``
    when the parse happened (default ``now``). ``doc_url`` is the URL as requested, secrets
    included (the snapshot keeps it redacted): the parser resolves links against it, so the
    links handed back can be followed. Stored links are redacted; when they were, the body is
    read again to hand back the real ones. A listing read ``ok`` records its links
    (``apply_listing=False`` leaves that to the caller: a reparse applies only the newest).
    ``max_links`` caps a listing's links (validate): a listing read up to the cap is not
    complete, so no report is taken as removed from it.
    """
    source = registered.source
    doc_url = doc_url or snapshot.url
    # a snapshot inserted a moment ago (``new_snapshot``) has been read by no parser yet
    existing = None if new_snapshot else parse_of(session, snapshot.id, source.parser_version)
    if existing is not None:
        links = [Link(**link) for link in existing.links]
        if any(REDACTED in link.url for link in links):
            again = read_document(
                registered,
                archive.get(snapshot.sha256),
                url=doc_url,
                content_type=snapshot.content_type,
                listing=listing,
                max_links=max_links,
            )
            links = list(again.result.links)
        intake = StoredDocument(
            snapshot,
            False,
            existing.outcome,
            None,
            None,
            links=links,
            listing=listing,
            parser_version=source.parser_version,
        )
    else:
        if reading is None or (reading.fetched, reading.listing, reading.max_links) != (
            snapshot.fetched_at.date(),
            listing,
            max_links,
        ):  # read otherwise
            reading = read_document(
                registered,
                archive.get(snapshot.sha256),
                url=doc_url,
                content_type=snapshot.content_type,
                listing=listing,
                fetched=snapshot.fetched_at.date(),
                max_links=max_links,
            )
        stored = record_parse(
            session,
            source,
            snapshot,
            reading.result,
            reading.outcome,
            now,
            parsed_at=parsed_at,
            checked=reading.parser_version == source.parser_version,
        )
        intake = StoredDocument(
            snapshot,
            False,
            reading.outcome,
            reading.result,
            stored,
            links=list(reading.result.links),
            new_reports=list(stored.new_reports),
            listing=listing,
            parser_version=source.parser_version,
        )
    if listing and apply_listing and intake.outcome == Outcome.OK:
        created, removed = record_listing(
            session,
            source,
            snapshot.url,
            intake.links,
            now,
            complete=max_links is None or len(intake.links) < max_links,
            read=(snapshot.id, source.parser_version),
            periods=reading.link_periods if intake.result is not None else None,
        )
        intake.new_reports.extend(created)
        intake.removed_reports.extend(removed)
    return intake


def take_in(
    session: Session,
    archive: Archive,
    registered: RegisteredSource,
    *,
    url: str,
    body: bytes,
    fetched_at: datetime,
    is_listing: bool | None = None,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
    http_status: int | None = None,
    requested_url: str | None = None,
    doc_url: str | None = None,
    reading: Reading | None = None,
    max_links: int | None = None,
    archived: Stored | None = None,
) -> StoredDocument:
    """Archive ``body`` (unless ``archived`` says it was a moment ago) as obtained from
    canonical ``url`` at ``fetched_at``, then read and store it. ``url`` is stored redacted; ``doc_url`` (default ``url``) is what the parser reads
    links against. ``is_listing`` is the caller's word on what the document is
    (:func:`monitor.reading.is_listing` decides when it has none)."""
    listing = listing_rule(
        registered.source,
        url,
        declared=is_listing if reading is None or is_listing is not None else reading.listing,
    )
    ensure_source(session, registered.source, fetched_at)
    current = current_sha256(session, url)  # before this body is stored
    snapshot, new = store_snapshot(
        session,
        archive,
        source_id=registered.id,
        url=url,
        body=body,
        fetched_at=fetched_at,
        content_type=content_type,
        headers=headers,
        http_status=http_status,
        requested_url=requested_url,
        archived=archived,
    )
    intake = store_document(
        session,
        archive,
        registered,
        snapshot,
        listing=listing,
        now=fetched_at,
        doc_url=doc_url or url,
        reading=reading,
        max_links=max_links,
        new_snapshot=new,
    )
    intake.snapshot_new = new
    intake.changed = current != snapshot.sha256
    return intake


# Outcomes of a parse that make the request's outcome (a page fetched fine but unreadable).
PARSE_FAILURES = PARSE_FAILURE_OUTCOMES


def record_run(
    session: Session,
    *,
    source_id: str,
    url: str,
    started_at: datetime,
    finished_at: datetime,
    fetch_outcome: str,
    listing: bool,
    intake: StoredDocument | None = None,
    requested_url: str | None = None,
    duration_ms: int | None = 0,
    http_status: int | None = None,
    bytes: int | None = None,
    error: str | None = None,
    cycle: str | None = None,
    row: bool = True,
) -> FetchRun | StoredRun:
    """The one ``fetch_runs`` row of a request (or of a document taken in by hand), its outcome
    decided one way for all: a body that could not be read gives its parse outcome; a body
    read fine that the URL already served is ``unchanged``; otherwise the fetch's outcome.
    ``row`` False hands it back as a :class:`~monitor.store.StoredRun`, not an ORM object."""
    outcome = fetch_outcome
    snapshot_id = None
    if intake is not None:
        snapshot_id = intake.snapshot.id
        if intake.outcome in PARSE_FAILURES:
            outcome = intake.outcome
            error = problem_text(session, intake.snapshot.id, intake.parser_version, outcome)[:2000]
        elif fetch_outcome == Outcome.OK and intake.changed is False:
            outcome = Outcome.UNCHANGED.value
    return record_fetch_run(
        session,
        row=row,
        source_id=source_id,
        url=url,
        requested_url=requested_url,
        started_at=started_at,
        finished_at=finished_at,
        duration_ms=duration_ms,
        outcome=outcome,
        http_status=http_status,
        bytes=bytes,
        error=error,
        snapshot_id=snapshot_id,
        cycle=cycle,
        listing=listing,
    )
