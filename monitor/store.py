"""Storing what was fetched and read. The single path from an archived body to database rows,
used by fetch, ingest and reparse alike.

Rules kept here: a snapshot is written once per (URL, sha256); a parse is written once per
(snapshot, parser version), so repeating work writes nothing; observations are only ever
inserted; a report's metadata is updated from newer reads but a field is never blanked by a
parse that could not read it; every URL is stored redacted (:func:`scrapers.redact.redact_url`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import case, event, insert, select, update
from sqlalchemy.orm import Session

from monitor.figures import refresh_reports
from monitor.parse_problems import sync_parsing_findings
from monitor.poll_plan import MISSING, plan_of
from monitor.upsert import (
    dialect_insert,
    insert_or_ignore,
    insert_row_or_ignore,
    stored_object,
)
from monitor.models import (
    CountObservation,
    FetchRun,
    ListingPage,
    Parse,
    ParseProblem,
    Report,
    ReportListing,
    Snapshot,
    SourceRow,
    Statement,
)
from scrapers.fetch.archive import Archive, Stored
from scrapers.interpret.linkperiod import named_period
from scrapers.records import CountRecord, Link, ParseResult, StatementRecord
from scrapers.redact import redact_text, redact_url
from scrapers.source import Source
from scrapers.vocabulary import Outcome, values

# Headers worth keeping with a snapshot (others are noise or could carry cookies).
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "etag",
    "last-modified",
    "date",
    "server",
    "cache-control",
    "content-disposition",
    "location",
    "x-cache",
    "via",
)

# Headers whose value is a URL, stored redacted like every URL.
_URL_HEADERS = ("location",)

# Parse outcomes under which report metadata may be written (the document was readable).
_METADATA_OUTCOMES = values(Outcome.OK, Outcome.LAYOUT_CHANGED)


_ENSURED = "monitor.store.sources"  # session.info: source rows this session made sure of


def ensure_source(session: Session, source: Source, now: datetime) -> None:
    """Make sure the source's row exists (insert-or-ignore: a concurrent first fetch of the
    same source is not an IntegrityError). Asked once per session, or not at all when the
    cycle's plan (monitor/poll_plan.py) found the row: sources are never deleted, and a
    rollback (which could undo the insert) forgets what the session knew."""
    plan = plan_of(session)
    if plan is not None and plan.source_known(source.id):
        return  # the cycle's plan found (or made) the row: nothing to ask
    known = session.info.get(_ENSURED)
    if known is None:
        known = session.info[_ENSURED] = set()
        event.listen(session, "after_soft_rollback", lambda s, *_: s.info.pop(_ENSURED, None))
    if source.id in known:
        return
    if session.get(SourceRow, source.id) is None:
        insert_or_ignore(
            session,
            SourceRow,
            dict(id=source.id, agency=source.agency, title=source.title, created_at=now),
        )
    known.add(source.id)


def kept_headers(headers: dict[str, str] | None) -> dict[str, str]:
    if not headers:
        return {}
    lower = {k.lower(): v for k, v in headers.items()}
    return {
        k: redact_url(lower[k]) if k in _URL_HEADERS else lower[k]
        for k in KEPT_HEADERS
        if k in lower
    }


# snapshots.content_type is varchar(200); a server can send any length (the whole header is kept
# in ``headers``).
CONTENT_TYPE_WIDTH = 200


def content_type_column(value: str | None) -> str | None:
    """A Content-Type that fits its column: an over-long one (a hostile or broken server's)
    is cut to its media type and charset, what reading the body needs."""
    if value is None or len(value) <= CONTENT_TYPE_WIDTH:
        return value
    media = value.split(";", 1)[0].strip()[:100]
    charset = re.search(r"charset=[\"']?([\w-]{1,40})", value, re.I)
    return f"{media}; charset={charset.group(1)}" if charset else media


def store_snapshot(
    session: Session,
    archive: Archive,
    *,
    source_id: str,
    url: str,
    body: bytes,
    fetched_at: datetime,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
    http_status: int | None = None,
    requested_url: str | None = None,
    archived: Stored | None = None,
) -> tuple[Snapshot, bool]:
    """Archive ``body`` and return its snapshot row for ``url``, and whether that row is new.
    ``archived`` is ``body`` as already archived a moment ago (a fetch worker's ``put``).

    The body is archived even when the snapshot row already exists: an archived copy that went
    missing or was altered is healed that way (and its ``archive`` finding resolved with a note).
    The capture is recorded as a new capture record or as one more sighting of the URL's
    previous one (:mod:`monitor.captures`). Archive writes come first: if one fails, nothing
    here was written and the caller's transaction must roll back.
    """
    from monitor.archive_check import note_restored
    from monitor.captures import record_capture

    url = redact_url(url)
    requested_url = redact_url(requested_url) if requested_url else None
    headers = kept_headers(headers)
    stored = archived if archived is not None else archive.put(body)
    # this URL's snapshot of the body if stored, else any snapshot of it: one question for
    # whether the snapshot exists and whether a body new to the archive had been archived
    # before (gone or altered since: restored now)
    known = _known_snapshot_row(session, stored.sha256, url)
    restored = stored.healed or (stored.created and known is not None)
    record_capture(
        session,
        archive,
        source_id=source_id,
        url=url,
        sha256=stored.sha256,
        fetched_at=fetched_at,
        http_status=http_status,
        headers=headers,
        requested_url=requested_url,
    )
    if restored:
        note_restored(session, archive, stored.sha256, quarantined=stored.healed, now=fetched_at)
    if known is not None and known.url == url:
        return known, False
    session.flush()  # the insert below goes straight to the database
    inserted = insert_row_or_ignore(
        session,
        Snapshot,
        dict(
            source_id=source_id,
            url=url,
            sha256=stored.sha256,
            size=stored.size,
            content_type=content_type_column(content_type),
            headers=headers,
            fetched_at=fetched_at,
            storage=stored.storage,
        ),
        ("url", "sha256"),
    )
    if inserted is not None:
        return inserted, True
    # another writer stored the same body at the same URL a moment ago
    return snapshot_of(session, url, stored.sha256), False


def _known_snapshot_row(session: Session, sha256: str, url: str) -> Snapshot | None:
    """The snapshot of a body at a URL if stored, else any snapshot of the body: a Core
    statement built once (a new body, the common case, finds none without the ORM's loading);
    a row found is the session's copy, or joins the session as read."""
    from sqlalchemy.orm.util import identity_key

    row = session.connection().execute(_known_snapshot(), {"k_sha256": sha256, "k_url": url})
    row = row.first()
    if row is None:
        return None
    held = session.identity_map.get(identity_key(Snapshot, row.id))
    if held is not None:
        return held
    values = dict(row._mapping)
    return stored_object(session, Snapshot, values.pop("id"), values)


@functools.cache
def _known_snapshot():
    from sqlalchemy import bindparam

    table = Snapshot.__table__
    return (
        select(table)
        .where(table.c.sha256 == bindparam("k_sha256"))
        .order_by(case((table.c.url == bindparam("k_url"), 0), else_=1), table.c.id)
        .limit(1)
    )


# --- snapshot queries: what is stored of a URL -------------------------------------------


def latest_snapshot(session: Session, url: str) -> Snapshot | None:
    return session.scalar(
        select(Snapshot)
        .where(Snapshot.url == url)
        .order_by(Snapshot.fetched_at.desc(), Snapshot.id.desc())
        .limit(1)
    )


def snapshot_of(session: Session, url: str, sha256: str) -> Snapshot | None:
    """The snapshot of this body at this (redacted) URL, if stored."""
    return session.scalar(select(Snapshot).where(Snapshot.url == url, Snapshot.sha256 == sha256))


def current_snapshot(session: Session, url: str) -> Snapshot | None:
    """The snapshot a URL served last: the latest fetch run's, unless an ingest came later.

    Snapshots are unique per (URL, body), so a page that goes back to an earlier body reuses
    the earlier snapshot; the newest run tells which body is current.
    """
    url = redact_url(url)
    run = session.execute(
        select(FetchRun.started_at, FetchRun.snapshot_id)
        .where(FetchRun.url == url, FetchRun.snapshot_id.is_not(None))
        .order_by(FetchRun.started_at.desc(), FetchRun.id.desc())
        .limit(1)
    ).first()
    latest = latest_snapshot(session, url)
    if run is not None and (latest is None or run.started_at >= latest.fetched_at):
        return session.get(Snapshot, run.snapshot_id)
    return latest


def current_sha256(session: Session, url: str) -> str | None:
    """The sha256 of :func:`current_snapshot`, in one statement: what a body just obtained is
    compared with to say whether the URL changed (the cycle's plan may know it already)."""
    url = redact_url(url)
    plan = plan_of(session)
    if plan is not None:
        known = plan.take("current", url)
        if known is not MISSING:
            return known
    run = (
        select(FetchRun.started_at, FetchRun.snapshot_id)
        .where(FetchRun.url == url, FetchRun.snapshot_id.is_not(None))
        .order_by(FetchRun.started_at.desc(), FetchRun.id.desc())
        .limit(1)
    )
    latest = (
        select(Snapshot.fetched_at, Snapshot.sha256)
        .where(Snapshot.url == url)
        .order_by(Snapshot.fetched_at.desc(), Snapshot.id.desc())
        .limit(1)
    )
    row = session.execute(
        select(
            run.with_only_columns(FetchRun.started_at).scalar_subquery().label("run_at"),
            select(Snapshot.sha256)
            .where(Snapshot.id == run.with_only_columns(FetchRun.snapshot_id).scalar_subquery())
            .scalar_subquery()
            .label("run_sha"),
            latest.with_only_columns(Snapshot.fetched_at).scalar_subquery().label("latest_at"),
            latest.with_only_columns(Snapshot.sha256).scalar_subquery().label("latest_sha"),
        )
    ).one()
    if row.run_at is not None and (row.latest_at is None or row.run_at >= row.latest_at):
        return row.run_sha
    return row.latest_sha


def current_sha256_many(session: Session, urls) -> dict[str, str | None]:
    """:func:`current_sha256` of many URLs (redacted), in one statement per 5,000: a poll
    cycle's start URLs, asked before its first request (monitor/poll_plan.py)."""
    from monitor.run_lookups import wanted

    out: dict[str, str | None] = {}
    for part in _chunks(sorted({redact_url(u) for u in urls})):
        asked = wanted(((u,) for u in part), ("url", None))
        run = (
            select(FetchRun.started_at, FetchRun.snapshot_id)
            .where(FetchRun.url == asked.c.url, FetchRun.snapshot_id.is_not(None))
            .order_by(FetchRun.started_at.desc(), FetchRun.id.desc())
            .limit(1)
        )
        latest = (
            select(Snapshot.fetched_at, Snapshot.sha256)
            .where(Snapshot.url == asked.c.url)
            .order_by(Snapshot.fetched_at.desc(), Snapshot.id.desc())
            .limit(1)
        )
        rows = session.execute(
            select(
                asked.c.url,
                run.with_only_columns(FetchRun.started_at).scalar_subquery(),
                run.with_only_columns(FetchRun.snapshot_id).scalar_subquery(),
                latest.with_only_columns(Snapshot.fetched_at).scalar_subquery(),
                latest.with_only_columns(Snapshot.sha256).scalar_subquery(),
            )
        ).all()
        run_ids = {row[2] for row in rows if row[2] is not None}
        shas = (
            dict(
                session.execute(
                    select(Snapshot.id, Snapshot.sha256).where(Snapshot.id.in_(run_ids))
                ).all()
            )
            if run_ids
            else {}
        )
        for url, run_at, run_id, latest_at, latest_sha in rows:
            if run_at is not None and (latest_at is None or run_at >= latest_at):
                out[url] = shas.get(run_id)
            else:
                out[url] = latest_sha
    return out


def last_retrieved(session: Session, url: str) -> datetime | None:
    """When a body of ``url`` was last obtained (fetched, confirmed by 304, or ingested)."""
    url = redact_url(url)
    times = []
    run_at = session.scalar(
        select(FetchRun.started_at)
        .where(FetchRun.url == url, FetchRun.snapshot_id.is_not(None))
        .order_by(FetchRun.started_at.desc())
        .limit(1)
    )
    if run_at is not None:
        times.append(run_at)
    latest = latest_snapshot(session, url)
    if latest is not None:
        times.append(latest.fetched_at)
    return max(times) if times else None


def last_retrieved_many(session: Session, urls) -> dict[str, datetime]:
    """:func:`last_retrieved` of many URLs (keyed by the URL as stored, redacted) in one
    statement, not two per URL: what a poll asks of every link a listing carries. Each URL's
    newest run is one lookup of ``fetch_runs(url, started_at)`` (monitor/run_lookups.py), not
    a read of every run of it."""
    from sqlalchemy import func

    from monitor.run_lookups import wanted

    shown = {redact_url(u) for u in urls}
    if not shown:
        return {}
    times: dict[str, datetime] = {}
    for part in _chunks(sorted(shown)):
        asked = wanted(((u,) for u in part), ("url", None))
        run_at = (
            select(FetchRun.started_at)
            .where(FetchRun.url == asked.c.url, FetchRun.snapshot_id.is_not(None))
            .order_by(FetchRun.started_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        stored_at = (
            select(func.max(Snapshot.fetched_at)).where(Snapshot.url == asked.c.url)
        ).scalar_subquery()
        for url, *ats in session.execute(select(asked.c.url, run_at, stored_at)):
            known = [at for at in ats if at is not None]
            if known:
                times[url] = max(known)
    return times


def source_snapshots(session: Session, source_id: str) -> list[Snapshot]:
    """Every snapshot of a source, oldest first."""
    return list(
        session.scalars(
            select(Snapshot)
            .where(Snapshot.source_id == source_id)
            .order_by(Snapshot.fetched_at, Snapshot.id)
        )
    )


def listing_snapshot_ids(session: Session, source_id: str) -> set[int]:
    """Snapshots some fetch run (or ingest) took in as a listing page."""
    return set(
        session.scalars(
            select(FetchRun.snapshot_id)
            .distinct()
            .where(
                FetchRun.source_id == source_id,
                FetchRun.listing.is_(True),
                FetchRun.snapshot_id.is_not(None),
            )
        )
    )


def parse_of(session: Session, snapshot_id: int, parser_version: str) -> Parse | None:
    """The parse of a snapshot by a parser version, if it was read by that version (the
    cycle's plan may know it already: then a row to read, not to change)."""
    plan = plan_of(session)
    if plan is not None:
        known = plan.take("parses", (snapshot_id, parser_version))
        if known is not MISSING:
            return known
    return session.scalar(
        select(Parse).where(
            Parse.snapshot_id == snapshot_id, Parse.parser_version == parser_version
        )
    )


def parsed_snapshot_ids(session: Session, source_id: str, parser_version: str) -> set[int]:
    return set(
        session.scalars(
            select(Parse.snapshot_id).where(
                Parse.source_id == source_id, Parse.parser_version == parser_version
            )
        )
    )


def problem_text(session: Session, snapshot_id: int, parser_version: str, kind: str) -> str:
    """``kind: detail; detail...`` (at most three) of a snapshot's parse: a fetch run's error."""
    details = session.scalars(
        select(ParseProblem.detail)
        .join(Parse, Parse.id == ParseProblem.parse_id)
        .where(
            Parse.snapshot_id == snapshot_id,
            Parse.parser_version == parser_version,
            ParseProblem.kind == kind,
        )
        .limit(3)
    ).all()
    return f"{kind}: " + ("; ".join(details) if details else "the parser found nothing to read")


# --- fetch runs: one row per request, written here only --------------------------------------


class StoredRun(NamedTuple):
    """A ``fetch_runs`` row as written, for a caller that only reads it (not an ORM object)."""

    id: int
    source_id: str
    url: str
    requested_url: str | None
    started_at: datetime
    finished_at: datetime
    duration_ms: int | None
    outcome: str
    http_status: int | None
    bytes: int | None
    error: str | None
    snapshot_id: int | None
    cycle: str | None
    listing: bool


def record_fetch_run(session: Session, *, row: bool = True, **columns: Any) -> FetchRun | StoredRun:
    """Write one ``fetch_runs`` row (every request, and every document taken in by hand, has
    exactly one). The only place the monitor creates them: :func:`monitor.document_path.record_run`
    decides their outcome and error. ``row``: hand back the row as an ORM object in the
    session; False, as a :class:`StoredRun` (what a poll reads of it, without the ORM's
    bookkeeping for one more object)."""
    session.flush()  # what the row refers to first
    # one Core INSERT, the row then in the session as stored (monitor/upsert.py)
    run_id = session.connection().execute(_fetch_run_insert(), columns).scalar()
    if not row:
        return StoredRun(id=run_id, **columns)
    return stored_object(session, FetchRun, run_id, columns)


@functools.cache
def _fetch_run_insert():
    table = FetchRun.__table__
    return insert(table).returning(table.c.id)


@dataclass
class StoredParse:
    parse: Parse | None  # None when this snapshot was already parsed by this parser version
    new_reports: list[Report]
    counts: int
    statements: int


def _upsert_report(
    session: Session,
    source_id: str,
    record,
    snapshot: Snapshot | None,
    now: datetime,
    listed_on: str | None,
    created: list[Report],
    fill_only: bool = False,
) -> Report:
    """Create or update the report at ``record.url`` (stored redacted). With ``fill_only`` (a
    link's text), only fields still empty are set: the document's own reading outranks a
    listing's link text."""
    url = redact_url(record.url)
    listed_on = redact_url(listed_on) if listed_on else None
    report = session.scalar(select(Report).where(Report.source_id == source_id, Report.url == url))
    if report is None:
        report = Report(
            source_id=source_id,
            url=url,
            authorities=[],
            first_seen=now,
            last_seen=now,
            listed_on=listed_on,
        )
        session.add(report)
        created.append(report)
    fields = (
        "title",
        "period_start",
        "period_end",
        "issued",
        "issued_precision",
        "fiscal_year",
        "page_count",
    )
    for name in fields:
        value = getattr(record, name, None)
        if value is not None and not (fill_only and getattr(report, name) is not None):
            setattr(report, name, value)
    if getattr(record, "authorities", None):
        report.authorities = list(record.authorities)
    if now > report.last_seen:
        report.last_seen = now
    if report.removed_at is not None:
        report.removed_at = None  # it is back
    if snapshot is not None:
        report.snapshot_id = snapshot.id
    if listed_on and not report.listed_on:
        report.listed_on = listed_on
    # the period its link names (a listing's link text and URL; a document's own URL), if any:
    # a listing's newer naming wins, a naming that says nothing keeps what was read before
    named = named_period(record.title if fill_only else None, url)
    if named is not None and (fill_only or report.link_period_start is None):
        report.link_period_start, report.link_period_end = named
    session.flush()
    return report


def record_parse(
    session: Session,
    source: Source,
    snapshot: Snapshot,
    result: ParseResult,
    outcome: str,
    now: datetime,
    *,
    parsed_at: datetime | None = None,
    checked: bool = False,
) -> StoredParse:
    """Write one validated parse of one snapshot. Idempotent per (snapshot, parser version).

    ``now`` dates what the parse derives (a reparse passes the snapshot's time); ``parsed_at``
    is when the parse happened (default ``now``); ``checked``: the caller just found no parse of
    this snapshot by this version. The source's parsing operator findings (its
    unmapped labels) are brought in step, dated ``parsed_at``."""
    done = None if checked else parse_of(session, snapshot.id, result.parser_version)
    if done is not None:
        return StoredParse(None, [], 0, 0)
    values = dict(
        snapshot_id=snapshot.id,
        source_id=source.id,
        parser_version=result.parser_version,
        parsed_at=parsed_at or now,
        outcome=outcome,
        reports=len(result.reports),
        counts=len(result.counts),
        links=[_link_json(link) for link in result.links],
    )
    # one Core INSERT (built once), the row then in the session as stored (monitor/upsert.py)
    session.flush()  # what the row refers to first
    parse_id = session.connection().execute(_parse_insert(), values).scalar()
    parse = stored_object(session, Parse, parse_id, values)

    created: list[Report] = []
    report_ids: list[int | None] = []
    if outcome in _METADATA_OUTCOMES:
        for record in result.reports:
            report_ids.append(
                _upsert_report(session, source.id, record, snapshot, now, None, created).id
            )
    # Counts and statements: one executemany each, every row naming every column (the ORM
    # would issue one INSERT per run of rows leaving the same columns empty: a table mixing
    # cross-tabulated and plain cells, or cells with and without a page, cost one per cell).
    # Statements are read from the text even when tables were not found; the rules decide
    # what a statement from a layout_changed parse is worth (see rules/engine.py).
    read = dict(
        snapshot_id=snapshot.id,
        parse_id=parse.id,
        parser_version=result.parser_version,
        observed_at=now,
    )
    stored = {
        CountObservation: result.counts if outcome == "ok" else [],
        Statement: result.statements if outcome in _METADATA_OUTCOMES else [],
    }
    for model, records in stored.items():
        if records:
            session.execute(
                insert(model.__table__),
                [dict(read, report_id=report_ids[r.report], **_record_columns(r)) for r in records],
            )
    n_counts, n_statements = len(stored[CountObservation]), len(stored[Statement])
    for p in result.problems:
        rid = report_ids[p.report] if p.report is not None and p.report < len(report_ids) else None
        session.add(
            ParseProblem(
                parse_id=parse.id,
                report_id=rid,
                kind=p.kind,
                detail=redact_text(p.detail)[:2000],
                page=p.page,
            )
        )
    session.flush()
    if result.publications and outcome in _METADATA_OUTCOMES:
        from monitor.publications import store_publications  # what publication pages say

        store_publications(
            session,
            snapshot_id=snapshot.id,
            parse_id=parse.id,
            parser_version=result.parser_version,
            report_ids=report_ids,
            publications=result.publications,
            now=now,
        )
    if result.candidates and outcome in _METADATA_OUTCOMES:
        from monitor.candidates import store_candidates  # requirements in an official text

        store_candidates(session, source.id, snapshot, result.candidates, now)
    if result.congress and outcome == "ok":
        from monitor.congress_record import store_congress  # Congress.gov's record

        store_congress(session, source.id, snapshot, parse, result.congress, now)
    if outcome in _METADATA_OUTCOMES:
        # the analyst views' current figures and revisions (a new reading, or a report's
        # metadata that ranks it among the others)
        refresh_reports(session, [rid for rid in report_ids if rid is not None])
    sync_parsing_findings(
        session, source.id, parse.parsed_at, new_unmapped="unmapped_label" in result.problem_kinds()
    )
    return StoredParse(parse, created, n_counts, n_statements)


@functools.cache
def _parse_insert():
    table = Parse.__table__
    return insert(table).returning(table.c.id)


# The columns a count or statement record fills: its fields, but the report it indexes.
_RECORD_COLUMNS = {
    kind: tuple(f.name for f in dataclasses.fields(kind) if f.name != "report")
    for kind in (CountRecord, StatementRecord)
}


def _record_columns(record) -> dict[str, Any]:
    values = {name: getattr(record, name) for name in _RECORD_COLUMNS[type(record)]}
    if isinstance(record, CountRecord):
        values["value"] = float(values["value"])  # a count stored as a number, whatever read it
    return values


def _link_json(link: Link) -> dict[str, Any]:
    return {"url": redact_url(link.url), "title": link.title, "description": link.description}


# Values per IN (...) list: a page with more links than this (none has come near) takes one more
# statement per this many, and never reaches a database's limit on bound parameters.
_IN_CHUNK = 5000


def _chunks(values) -> list[list]:
    values = list(values)
    return [values[i : i + _IN_CHUNK] for i in range(0, len(values), _IN_CHUNK)]


def _expire(session: Session, model: type, ids: set[int]) -> None:
    """Rows changed by a Core statement: the session's copies, if any, are read again when
    next used (no SQL now)."""
    if not ids:
        return
    from sqlalchemy.orm.util import identity_key

    for pk in ids:  # by identity key: looking at an expired copy's id would load it
        obj = session.identity_map.get(identity_key(model, pk))
        if obj is not None:
            session.expire(obj)


class NewReport(NamedTuple):
    """A report a listing's link made known now: its row's id and (redacted) URL."""

    id: int
    url: str


def record_listing(
    session: Session,
    source: Source,
    listing_url: str,
    links: list[Link],
    now: datetime,
    *,
    complete: bool = True,
    read: tuple[int, str] | None = None,
    periods: tuple | None = None,
) -> tuple[list[NewReport], list[Report]]:
    """A listing page was read successfully: every link is a report seen now, on this page.

    A report this page linked before and no longer links is dropped from this page (its
    ReportListing row gets ``removed_at``); the report itself is removed only when every page
    that carried it has dropped it: a report still linked from another listing page is not
    gone. A listing read only in part (``complete`` False: its links were capped) drops
    nothing. Returns (new reports, reports removed now).

    Set-based, whatever the number of links: a page read again unchanged costs three
    statements (its reports seen now: one UPDATE ... RETURNING; its listing rows read and seen
    now: one SELECT, one UPDATE); new, changed and dropped links add a few more, never one per link. A
    link's text fills only what a report does not have yet (a title), and names the period its
    link names; a report back on the page is no longer removed. Another writer inserting the
    same report or listing row first is not an error: that row is updated like the others.
    The statements are built once (:func:`_listing_statements`) and run on the session's
    connection: building and compiling them per page cost more than running them.

    ``read`` is the reading the links come from (snapshot id, parser version). The page's
    ``listing_pages`` row keeps the reading its rows were last brought in step with: the same
    reading again, complete both times, links exactly the reports the page's rows say it links,
    so they are marked seen by one UPDATE of that row, without comparing a link or writing one
    (a link's text has filled what it could the first time; :mod:`monitor.listing_seen`: the
    page's time is written into its rows before they change). ``periods``: the period each link names, worked out where
    the page was read (:func:`monitor.reading.link_periods`); by default worked out here.
    """
    from monitor import listing_seen

    session.flush()  # pending ORM changes first: the statements below go to the database
    listing_url = redact_url(listing_url)
    st = _listing_statements()
    execute = session.connection().execute
    page = {"source": source.id, "listing": listing_url, "now": now}
    if read is not None:
        known = _listing_page(session, listing_url)
        if complete and _same_reading(known, source.id, read):
            listing_seen.seen_again(session, known, listing_url, now)
            return [], []
    else:  # links from elsewhere: the next reading of the page compares its links again
        known = execute(st.forget_reading, page).first()
    # The rows change now: the page's time since they last did (monitor/listing_seen.py) goes
    # into them first. Read complete, by the page's source, at or after that time, every row
    # not removed is either seen now or dropped now: the dropped ones and their reports take
    # it in the statements below; otherwise it is written first.
    pending_at = None
    if known is not None and listing_seen.pending(known.seen_at, known.applied_at):
        pending_at = known.seen_at
        if not (complete and known.source_id == source.id and now >= pending_at):
            listing_seen.write_rows_seen(session, known.source_id, listing_url, pending_at)
            pending_at = None
    # one entry per URL, in page order: the first title a link gives, the last period it names
    wanted: dict[str, dict[str, Any]] = {}
    if periods is None or len(periods) != len(links):
        periods = [named_period(link.title, redact_url(link.url)) for link in links]
    for link, named in zip(links, periods):
        url = redact_url(link.url)
        entry = wanted.setdefault(url, {"title": None, "named": None})
        if entry["title"] is None:
            entry["title"] = link.title
        if named is not None:
            entry["named"] = named

    def seen_now(urls) -> dict[str, Any]:
        """Reports already known: seen now and back if removed, one UPDATE for all."""
        return {
            row.url: row
            for part in _chunks(urls)
            for row in execute(st.seen_now, {**page, "urls": part})
        }

    found = seen_now(wanted)
    created: list[NewReport] = []
    missing = [u for u in wanted if u not in found]
    if missing:
        # one INSERT ... SELECT whose links go as one JSON text the database reads as rows: no
        # parameters bound and converted for each of a page's 40 rows
        insert_reports = _new_reports_insert(session.bind.dialect.name)
        links_json = []
        for u in missing:
            start, end = wanted[u]["named"] or (None, None)
            links_json.append(
                {
                    "url": u,
                    "title": wanted[u]["title"],
                    "start": start and start.isoformat(),
                    "end": end and end.isoformat(),
                }
            )
        created = [
            NewReport(*row)
            for i in range(0, len(links_json), _JSON_CHUNK)
            for row in execute(
                insert_reports,
                {**page, "links": json.dumps(links_json[i : i + _JSON_CHUNK])},
            )
        ]
        if len(created) < len(missing):  # another writer inserted some first
            found.update(seen_now(set(missing) - {row.url for row in created}))
    # What a link adds to a known report (a title it lacks, the page it was first listed on, the
    # period the link names): one executemany, only for the rows it changes.
    fills = []
    for url, row in found.items():
        values = {
            "title": row.title if row.title is not None else wanted[url]["title"],
            "listed_on": row.listed_on or listing_url,
            "link_period_start": row.link_period_start,
            "link_period_end": row.link_period_end,
        }
        if wanted[url]["named"] is not None:
            values["link_period_start"], values["link_period_end"] = wanted[url]["named"]
        if any(values[k] != getattr(row, k) for k in values):
            fills.append({"b_id": row.id, **{f"b_{k}": v for k, v in values.items()}})
    if fills:
        execute(st.fill, fills)
    _expire(session, Report, {row.id for row in found.values()})
    seen_ids = {row.id for row in found.values()} | {row.id for row in created}

    # This page's listing rows, read in one SELECT.
    on_page = {row.report_id: row for row in execute(st.on_page, page)}

    # Rows it still carries are seen now (and back if dropped), rows it dropped are marked: one
    # UPDATE for both, by row id.
    again = {on_page[rid].id for rid in seen_ids & set(on_page)}
    dropped = {
        rid: row.id
        for rid, row in on_page.items()
        if complete and row.removed_at is None and rid not in seen_ids
    }
    for part in _chunks(sorted(again | set(dropped.values()))):
        gone_here = [i for i in part if i not in again]
        if gone_here:
            execute(st.drop, {**page, "ids": part, "gone": gone_here, "pending": pending_at})
        else:
            execute(st.keep, {**page, "ids": part})
    _expire(session, ReportListing, again | set(dropped.values()))
    new_rows = sorted(seen_ids - set(on_page))
    if new_rows:
        # one INSERT ... SELECT from the reports: the page's values bound once, not per row
        insert_rows = _listing_rows_insert(session.bind.dialect.name)
        inserted_rows = {
            row.report_id
            for part in _chunks(new_rows)
            for row in execute(insert_rows, {**page, "report_ids": part})
        }
        # another writer inserted them first: seen now
        for part in _chunks(sorted(set(new_rows) - inserted_rows)):
            execute(st.listed_now, {**page, "report_ids": part})

    # A report this page dropped is gone only when no page lists it any more; it was seen when
    # the page was last seen with it (``pending_at``, if later than its own time).
    removed: list[Report] = []
    if dropped:
        others = select(ReportListing.id).where(
            ReportListing.report_id == Report.id, ReportListing.removed_at.is_(None)
        )
        gone = ~others.exists()
        if pending_at is None:  # only the reports gone from every page change
            where, values = (gone,), dict(removed_at=now)
        else:  # every report dropped here changes: seen then, and gone now if on no page
            later = case((Report.last_seen < pending_at, pending_at), else_=Report.last_seen)
            where, values = (), dict(removed_at=case((gone, now), else_=None), last_seen=later)
        for part in _chunks(sorted(dropped)):
            removed.extend(
                report
                for report in session.scalars(
                    update(Report)
                    .where(Report.id.in_(part), Report.removed_at.is_(None), *where)
                    .values(**values)
                    .returning(Report)
                    .execution_options(populate_existing=True),
                    execution_options={"synchronize_session": False},
                )
                if report.removed_at is not None
            )
        removed.sort(key=lambda r: r.id)
    if read is not None:
        _note_reading(session, source.id, listing_url, read, complete, now)
    return sorted(created, key=lambda r: r.id), removed


class _ListingStatements(NamedTuple):
    seen_now: Any
    fill: Any
    on_page: Any
    keep: Any
    drop: Any
    listed_now: Any
    forget_reading: Any


@functools.cache
def _listing_statements() -> _ListingStatements:
    """:func:`record_listing`'s statements, built once: a page's values (``source``,
    ``listing``, ``now``) and its lists (expanding ``IN`` parameters) are bound when run."""
    from sqlalchemy import bindparam, delete

    reports, listings = Report.__table__, ReportListing.__table__
    now = bindparam("now", type_=reports.c.last_seen.type)

    def later(column):
        return case((column < now, now), else_=column)

    def earlier(column):
        return case((column > now, now), else_=column)

    pending = bindparam("pending", type_=listings.c.last_seen.type)
    ids = listings.c.id.in_(bindparam("ids", expanding=True))
    gone = listings.c.id.in_(bindparam("gone", expanding=True))
    return _ListingStatements(
        seen_now=update(reports)
        .where(
            reports.c.source_id == bindparam("source"),
            reports.c.url.in_(bindparam("urls", expanding=True)),
        )
        .values(last_seen=later(reports.c.last_seen), removed_at=None)
        .returning(
            reports.c.id,
            reports.c.url,
            reports.c.title,
            reports.c.listed_on,
            reports.c.link_period_start,
            reports.c.link_period_end,
        ),
        fill=update(reports)
        .where(reports.c.id == bindparam("b_id"))
        .values(
            title=bindparam("b_title"),
            listed_on=bindparam("b_listed_on"),
            link_period_start=bindparam("b_link_period_start"),
            link_period_end=bindparam("b_link_period_end"),
        ),
        on_page=select(listings.c.id, listings.c.report_id, listings.c.removed_at)
        .join(reports, reports.c.id == listings.c.report_id)
        .where(
            reports.c.source_id == bindparam("source"),
            listings.c.listing_url == bindparam("listing"),
        ),
        # rows still on the page: seen now, back if dropped
        keep=update(listings)
        .where(ids)
        .values(
            last_seen=later(listings.c.last_seen),
            first_seen=earlier(listings.c.first_seen),
            removed_at=None,
        ),
        # the same, with the rows in ``gone`` dropped from the page now
        drop=update(listings)
        .where(ids)
        .values(
            # a dropped row was last seen when its page last was (``pending``, if later)
            last_seen=case(
                (gone, case((listings.c.last_seen < pending, pending), else_=listings.c.last_seen)),
                (listings.c.last_seen < now, now),
                else_=listings.c.last_seen,
            ),
            first_seen=case(
                (gone, listings.c.first_seen),
                (listings.c.first_seen > now, now),
                else_=listings.c.first_seen,
            ),
            removed_at=case((gone, now), else_=None),
        ),
        listed_now=update(listings)
        .where(
            listings.c.listing_url == bindparam("listing"),
            listings.c.report_id.in_(bindparam("report_ids", expanding=True)),
        )
        .values(
            last_seen=later(listings.c.last_seen),
            first_seen=earlier(listings.c.first_seen),
            removed_at=None,
        ),
        forget_reading=delete(ListingPage.__table__)
        .where(ListingPage.__table__.c.listing_url == bindparam("listing"))
        .returning(
            ListingPage.__table__.c.source_id,
            ListingPage.__table__.c.seen_at,
            ListingPage.__table__.c.applied_at,
        ),
    )


def _listing_page(session: Session, listing_url: str) -> ListingPage | None:
    """The page's ``listing_pages`` row (the cycle's plan may know it already)."""
    plan = plan_of(session)
    row = plan.take("listing_pages", listing_url) if plan is not None else MISSING
    return session.get(ListingPage, listing_url) if row is MISSING else row


# Links per JSON text of :func:`_new_reports_insert` (a few hundred kilobytes at most).
_JSON_CHUNK = 2000


@functools.cache
def _new_reports_insert(dialect: str):
    """Reports a listing's links make known (insert-or-ignore: another writer's row for the
    same URL stands), seen first and last ``now`` on page ``listing``, with no authorities
    and no failed fetch yet. The links (``url``, ``title``, and the period the link names,
    ``start`` and ``end``) are one JSON text, ``links``, read as rows by the database
    (``json_each``; ``jsonb_to_recordset``). Returns (id, url) of the rows inserted."""
    from sqlalchemy import Date, Text, bindparam, cast, column, func, literal_column, true

    table = Report.__table__
    data = bindparam("links", type_=Text)
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB
        from sqlalchemy.dialects.postgresql import insert as insert_for

        links = (
            func.jsonb_to_recordset(cast(data, JSONB))
            .table_valued(
                column("url", Text),
                column("title", Text),
                column("start", Date),
                column("end", Date),
            )
            .render_derived(name="links", with_types=True)
        )
        url, title, start, end = links.c.url, links.c.title, links.c.start, links.c.end
        no_authorities = literal_column("CAST('[]' AS JSON)")
    else:
        from sqlalchemy.dialects.sqlite import insert as insert_for

        links = func.json_each(data).table_valued("value", name="links")
        url, title, start, end = (
            func.json_extract(links.c.value, f"$.{k}") for k in ("url", "title", "start", "end")
        )
        no_authorities = literal_column("'[]'")
    now = bindparam("now", type_=table.c.first_seen.type)
    rows = (
        select(
            bindparam("source", type_=table.c.source_id.type),
            url,
            title,
            no_authorities,
            now,
            now,
            bindparam("listing", type_=table.c.listed_on.type),
            literal_column("0"),
            start,
            end,
        )
        .select_from(links)
        .where(true())  # SQLite reads ON CONFLICT after a SELECT only past its WHERE
    )
    columns = ["source_id", "url", "title", "authorities", "first_seen", "last_seen"]
    columns += ["listed_on", "fetch_failures", "link_period_start", "link_period_end"]
    return (
        insert_for(table)
        .from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=["source_id", "url"])
        .returning(table.c.id, table.c.url)
    )


@functools.cache
def _listing_rows_insert(dialect: str):
    """A page's new ``report_listings`` rows, one per report id in ``report_ids``, seen first
    and last ``now`` (insert-or-ignore: another writer's row for the same report and page
    stands). Returns the report ids inserted."""
    from sqlalchemy import bindparam, null

    insert_for = dialect_insert(dialect)
    reports, listings = Report.__table__, ReportListing.__table__
    now = bindparam("now", type_=listings.c.first_seen.type)
    rows = select(
        reports.c.id,
        bindparam("listing", type_=listings.c.listing_url.type),
        now,
        now,
        null(),
    ).where(reports.c.id.in_(bindparam("report_ids", expanding=True)))
    return (
        insert_for(listings)
        .from_select(["report_id", "listing_url", "first_seen", "last_seen", "removed_at"], rows)
        .on_conflict_do_nothing(index_elements=["report_id", "listing_url"])
        .returning(listings.c.report_id)
    )


def _same_reading(row: ListingPage | None, source_id: str, read: tuple) -> bool:
    """Whether the page's rows were last brought in step with this reading, complete."""
    return (
        row is not None
        and row.complete
        and (row.source_id, row.snapshot_id, row.parser_version) == (source_id, *read)
    )


def _note_reading(
    session: Session, source_id: str, listing_url: str, read: tuple, complete: bool, now: datetime
) -> None:
    """Record (one upsert, built once per database kind) the reading the page's rows now
    match."""
    snapshot_id, parser_version = read
    session.connection().execute(
        _note_reading_statement(session.bind.dialect.name),
        dict(
            n_listing=listing_url,
            n_source=source_id,
            n_snapshot=snapshot_id,
            n_parser=parser_version,
            n_complete=complete,
            n_applied=now,
        ),
    )
    cached = session.identity_map.get(session.identity_key(ListingPage, (listing_url,)))
    if cached is not None:
        session.expire(cached)


@functools.cache
def _note_reading_statement(dialect: str):
    from sqlalchemy import bindparam

    upsert = dialect_insert(dialect)
    table = ListingPage.__table__
    values = dict(
        source_id=bindparam("n_source"),
        snapshot_id=bindparam("n_snapshot"),
        parser_version=bindparam("n_parser"),
        complete=bindparam("n_complete", type_=table.c.complete.type),
        applied_at=bindparam("n_applied", type_=table.c.applied_at.type),
        seen_at=bindparam("n_applied", type_=table.c.seen_at.type),
    )
    stmt = upsert(table).values(listing_url=bindparam("n_listing"), **values)
    return stmt.on_conflict_do_update(index_elements=["listing_url"], set_=values)
