"""Polling a source: fetch its listing pages and the reports they link to, archive what came back,
hand it to the source's parser, and write one fetch-run row per request.

What a poll guarantees:

* Every request writes exactly one ``fetch_runs`` row with a typed outcome, the HTTP status,
  bytes, timings, a redacted error text and the snapshot it produced or confirmed, grouped by a
  ``cycle`` id shared by the runs of one poll (or one ``run --once``).
* "Changed" is the body's sha256 against the URL's current snapshot (``unchanged``), never the
  headers. A 304 (``not_modified``) is only possible when the archive still holds the body the
  validators belong to, intact: the body is hashed before its validators are sent, and a body
  that is missing or altered gets none (so it is downloaded again, which heals the archive) and
  an ``archive`` operator finding (:mod:`monitor.archive_check`).
* The archive is written before the rows: a body or capture record that cannot be written (a full
  disk, no permission) raises :class:`~scrapers.fetch.archive.ArchiveWriteError` out of the poll, so the
  caller's transaction rolls back and nothing of the poll is stored.
* A ``blocked``, ``http_error`` (soft 404 included), ``wrong_type``, ``too_large`` or
  ``network_error`` fetch stores nothing but its run row: no snapshot, report or observation.
* A body that did not change but still cannot be read keeps its parse outcome
  (``layout_changed``...), so a broken listing does not look healthy the day after.
* URLs are stored and reported redacted (:func:`scrapers.redact.redact_url`: no credentials, no
  ``api_key=``/``token=`` values); the request itself uses the real URL, and a listing whose stored
  links were redacted is re-read from the archive to follow them. A source's API keys go in the
  headers it declares (:func:`source_headers`), never in a URL; without them it is not polled.
* A poll fails when a listing page could not be fetched or read; consecutive failed polls make
  the source ``failing`` then ``broken`` (:mod:`monitor.health`). A listed document that cannot
  be fetched does not fail the poll (one dead link must not blind the whole source): it gets its
  own state on its report row (``failing``, then ``unreachable`` after ``unreachable_after``
  failed fetches in a row, with the last error), and the rules engine keeps ``unknown`` only
  the periods it could cover. A report that cannot be parsed does not fail the poll either: the
  rules engine treats that report as unreadable.

One request is three steps of :class:`Poll`: ``prepare`` (the writer: the validators to send),
``obtain`` (the request and, with ``read=True``, the parse of the body: no database, so a worker
thread can run it) and ``record`` (the writer: the one document path of :mod:`monitor.document_path`
and the request's fetch run). :func:`poll_source` runs them in turn; a concurrent poll runs the
middle step in workers and keeps the other two in the one thread that writes.

Transactions: :func:`poll_source` flushes and never commits; the caller commits (the CLI commits
once per source). The archive is written as bodies arrive, so a rolled-back poll leaves bodies
(and capture files) without rows, never rows without bodies.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import urlsplit

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from monitor.health import health_of, record_poll
from monitor.reading import Reading, read_document
from monitor.reading import is_listing as listing_rule
from monitor.ingest import INGEST_CYCLE
from monitor.document_path import StoredDocument, record_run, store_document, take_in
from monitor.models import FetchRun, HttpValidator, Report, Snapshot
from monitor.store import (  # noqa: F401 - the snapshot queries, importable from here too
    current_snapshot,
    ensure_source,
    last_retrieved,
    last_retrieved_many,
    snapshot_of,
)
from scrapers.fetch.archive import Archive, ArchiveWriteError, BodyUnavailable
from scrapers.fetch.http import Fetcher, FetchResult, Validators, host_of
from scrapers.redact import redact_url
from scrapers.registry import RegisteredSource
from scrapers.source import Source
from scrapers.vocabulary import FETCH_FAILURE_OUTCOMES, PARSE_FAILURE_OUTCOMES, SUCCESS_OUTCOMES

FETCH_FAILURES = FETCH_FAILURE_OUTCOMES
PARSE_FAILURES = PARSE_FAILURE_OUTCOMES


@dataclass
class RequestSummary:
    """One request of a poll, as reported by `monitor fetch --json`."""

    source: str
    url: str
    outcome: str
    http_status: int | None
    sha256: str | None
    bytes: int | None
    listing: bool
    requested_url: str | None = None
    duration_ms: int | None = None
    error: str | None = None
    snapshot_id: int | None = None
    run_id: int | None = None
    cycle: str | None = None
    started_at: datetime | None = None
    new_reports: list[str] = field(default_factory=list)
    removed_reports: list[str] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.outcome in SUCCESS_OUTCOMES

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PollResult:
    source: str
    cycle: str
    explicit: bool
    runs: list[RequestSummary]
    health_before: str | None  # None: never polled before
    health_after: str | None
    failed: bool
    consecutive_failures: int = 0
    skipped_links: list[str] = field(default_factory=list)  # off the source's hosts
    not_configured: str | None = None  # an API source without its key: not polled, and why
    api_problems: list[str] = field(default_factory=list)  # what a JSON API answered badly

    @property
    def succeeded(self) -> bool:
        return all(r.succeeded for r in self.runs)


def new_cycle(now: datetime) -> str:
    """A cycle id that sorts by time and is unique across machines."""
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _validators_for(
    session: Session, archive: Archive, url: str, *, now: datetime
) -> tuple[Snapshot | None, Validators | None, HttpValidator | None]:
    """Validators are sent only when the body they describe is in the archive and still hashes
    to its name; a missing or altered body is reported (an ``archive`` operator finding) and
    gets none, so the server sends it again. The URL's validator row and the snapshot it names
    come in one statement; the row is handed back for :func:`_save_validators`."""
    from monitor.archive_check import checked_body
    from monitor.poll_plan import MISSING, attached, plan_of

    plan = plan_of(session)
    if plan is not None:
        done = plan.take("checked", url)  # the workers' look-ahead checked it already
        if done is not MISSING:
            snap, validators, row = done
            return attached(session, snap), validators, attached(session, row)
    found = plan.take("validators", url) if plan is not None else MISSING
    if found is MISSING:
        found = session.execute(
            select(HttpValidator, Snapshot)
            .outerjoin(
                Snapshot,
                and_(Snapshot.url == HttpValidator.url, Snapshot.sha256 == HttpValidator.sha256),
            )
            .where(HttpValidator.url == url)
        ).first()
        found = found if found is not None else (None, None)
    row, snap = attached(session, found[0]), attached(session, found[1])
    if row is None or not (row.etag or row.last_modified) or not row.sha256:
        return None, None, row
    if snap is None or checked_body(session, archive, snap.sha256, now=now).state != "ok":
        return None, None, row
    return snap, Validators(row.etag, row.last_modified), row


def check_ahead(session: Session, archive: Archive, url: str, *, now: datetime):
    """The validators a poll of ``url`` will send (:func:`_validators_for`), worked out ahead
    by the workers' look-ahead: kept in the cycle's plan for that poll, so the archived body
    is hashed once. Returns them."""
    from monitor.poll_plan import plan_of

    plan = plan_of(session)
    snap, validators, row = _validators_for(session, archive, url, now=now)
    if plan is not None:
        plan.checked[url] = (snap, validators, row)
    return validators


_UNKNOWN = object()  # a validator row not looked up yet


def _save_validators(
    session: Session, url: str, result: FetchResult, sha256: str, now: datetime, row: Any = _UNKNOWN
) -> None:
    """Keep the validators of a body just stored: one upsert of the URL's row, built once (no
    ORM object to flush, whatever ``row``, the URL's row as :func:`_validators_for` found it,
    says); the session's copy of the row, if any, is read again when next used."""
    session.connection().execute(
        _validators_upsert(session.bind.dialect.name),
        dict(
            v_url=url,
            v_etag=result.etag,
            v_last_modified=result.last_modified,
            v_sha256=sha256,
            v_updated_at=now,
        ),
    )
    for held in list(session.identity_map.values()):  # the session's copy, read again
        if isinstance(held, HttpValidator) and held.__dict__.get("url") == url:
            session.expire(held, ["etag", "last_modified", "sha256", "updated_at"])


@functools.cache
def _validators_upsert(dialect: str):
    from monitor.upsert import dialect_insert

    upsert = dialect_insert(dialect)
    table = HttpValidator.__table__
    values = dict(
        etag=bindparam("v_etag", type_=table.c.etag.type),
        last_modified=bindparam("v_last_modified", type_=table.c.last_modified.type),
        sha256=bindparam("v_sha256", type_=table.c.sha256.type),
        updated_at=bindparam("v_updated_at", type_=table.c.updated_at.type),
    )
    stmt = upsert(table).values(url=bindparam("v_url", type_=table.c.url.type), **values)
    return stmt.on_conflict_do_update(index_elements=["url"], set_=values)


def _forget_validators(session: Session, url: str) -> None:
    row = session.scalar(select(HttpValidator).where(HttpValidator.url == url))
    if row is not None:
        session.delete(row)


def source_headers(source: Source, settings: Any) -> dict[str, str]:
    """The headers carrying ``source``'s API keys (``Source.secret_headers``), valued from
    ``settings``; a key that is not set is left out, and the source is then not polled (one
    ``access`` operator finding per key: :func:`monitor.api_keys.sync_missing_keys`)."""
    from monitor.api_keys import key_headers

    return key_headers(source, settings)


@dataclass
class Prepared:
    """One request as the writer prepared it: the URL (real and as stored), what it is, when
    it starts, and the validators sent (with the snapshot and row they come from)."""

    url: str
    shown: str
    listing: bool
    started: datetime
    sent_snapshot: Snapshot | None
    validators: Validators | None
    validator_row: Any
    max_bytes: int | None = None


@dataclass
class Obtained:
    """What came back for a prepared request, read or not (no database touched)."""

    prepared: Prepared
    result: FetchResult
    finished: datetime
    reading: Reading | None = None


@dataclass(frozen=True)
class AllowedHosts:
    """The hosts a poll's requests may reach: the source's, and for a manual check of URLs
    the host they name."""

    source: Source
    extra_host: str | None = None

    def __call__(self, host: str) -> bool:
        return self.source.allows_host(host) or (
            self.extra_host is not None and host == self.extra_host
        )


class Poll:
    """The state of one poll: the source, the clock offset and the runs so far."""

    def __init__(
        self,
        session: Session,
        archive: Archive,
        fetcher: Fetcher,
        registered: RegisteredSource,
        now: datetime,
        cycle: str,
        extra_host: str | None,
        progress: Callable[[str], None] | None,
        headers: dict[str, str] | None = None,
        max_links: int | None = None,
    ) -> None:
        self.session, self.archive, self.fetcher = session, archive, fetcher
        self.registered, self.source = registered, registered.source
        self.now, self.cycle, self.extra_host, self.progress = now, cycle, extra_host, progress
        self.headers = dict(headers or {})
        self.max_links = max_links  # caps the links taken from a listing page
        self.clock0 = fetcher.clock()
        self.runs: list[RequestSummary] = []
        self.last_result: FetchResult | None = None
        # the hosts a request may be redirected to: sent with the request to the fetch
        # process when there is one (monitor/fetch_process.py), so it pickles
        self.allowed = AllowedHosts(self.source, extra_host)

    def at(self) -> datetime:
        """Wall time now, derived from the poll's `now` and the fetcher's (injectable) clock."""
        return self.now + timedelta(seconds=max(0.0, self.fetcher.clock() - self.clock0))

    # One request is three steps, so that the middle one can run elsewhere: ``prepare`` and
    # ``record`` use the database (the one writer), ``obtain`` only the network and the parser.

    def _cap(self, listing: bool) -> int | None:
        return self.max_links if listing else None

    def prepare(self, url: str, *, listing: bool, max_bytes: int | None = None) -> Prepared:
        """The writer's step before a request: the validators to send (DB). ``max_bytes``
        lowers the body cap (a JSON page)."""
        shown = redact_url(url)
        if self.progress:
            self.progress(f"{self.source.id}: {shown}")
        started = self.at()
        snapshot, validators, row = _validators_for(self.session, self.archive, shown, now=started)
        return Prepared(url, shown, listing, started, snapshot, validators, row, max_bytes)

    def obtain(self, prepared: Prepared, *, read: bool = False) -> Obtained:
        """The request, and with ``read`` the parse of what came back: no database, so a worker
        thread may run it. A body the URL's validators already describe (the body stored last
        time) is not read here: the writer's store step knows whether this parser read it."""
        result = self.fetcher.fetch(
            prepared.url,
            allowed=self.allowed,
            validators=prepared.validators,
            content_types=self.source.content_types,
            headers=self.headers,
            **({"max_bytes": prepared.max_bytes} if prepared.max_bytes else {}),
        )
        self.last_result = result  # the answer of the latest request (the Congress.gov walk)
        finished = prepared.started + timedelta(seconds=result.elapsed)
        reading = None
        if result.read_ahead is not None and result.outcome == "ok":
            # read in another process while the writer stored what came before
            # (monitor.parse_pool); taken only if read as this request would read it
            ahead = result.read_ahead()
            cap = self._cap(prepared.listing)
            if ahead is not None and (ahead.url, ahead.listing, ahead.max_links) == (
                prepared.url,
                prepared.listing,
                cap,
            ):
                reading = ahead
        if reading is None and read and result.outcome == "ok" and result.body is not None:
            row = prepared.validator_row
            sha = result.archived.sha256 if result.archived else None
            if row is None or row.sha256 != (sha or hashlib.sha256(result.body).hexdigest()):
                reading = read_document(
                    self.registered,
                    result.body,
                    url=prepared.url,
                    content_type=result.content_type,
                    listing=prepared.listing,
                    fetched=finished.date(),
                    max_links=self._cap(prepared.listing),
                )
        return Obtained(prepared, result, finished, reading)

    def record(self, obtained: Obtained) -> tuple[RequestSummary, StoredDocument | None]:
        """The writer's step after a request: store what came back (the one document path) and
        the request's fetch run (DB)."""
        prepared, result, finished = obtained.prepared, obtained.result, obtained.finished
        session, registered = self.session, self.registered
        url, shown, listing, started = (
            prepared.url,
            prepared.shown,
            prepared.listing,
            prepared.started,
        )
        requested = redact_url(result.requested_url)
        requested = requested if requested != shown else None
        outcome, error, intake = result.outcome, result.error, None
        try:
            if result.outcome == "not_modified":
                intake = store_document(
                    session,
                    self.archive,
                    registered,
                    prepared.sent_snapshot,
                    listing=listing,
                    now=finished,
                    doc_url=url,
                    max_links=self._cap(listing),
                )
            elif result.outcome == "ok":
                intake = take_in(
                    session,
                    self.archive,
                    registered,
                    url=shown,
                    body=result.body,
                    fetched_at=finished,
                    is_listing=listing,
                    content_type=result.content_type,
                    headers=result.headers,
                    http_status=result.status,
                    requested_url=requested,
                    doc_url=url,
                    reading=obtained.reading,
                    max_links=self._cap(listing),
                    archived=result.archived,
                )
                _save_validators(
                    session,
                    shown,
                    result,
                    intake.snapshot.sha256,
                    finished,
                    row=prepared.validator_row,
                )
        except BodyUnavailable as exc:  # the body behind a 304 vanished or rotted meanwhile
            from monitor.archive_check import report_body

            _forget_validators(session, shown)
            report_body(session, self.archive, self.archive.check(exc.sha256), now=finished)
            outcome, error, intake = "parse_error", f"archive: {exc}", None
        except ArchiveWriteError as exc:  # the caller's transaction rolls the whole poll back
            raise ArchiveWriteError(
                f"{exc} (storing {shown}); nothing from this poll of {self.source.id} was stored"
            ) from None
        run = record_run(
            session,
            source_id=self.source.id,
            url=shown,
            requested_url=requested,
            started_at=started,
            finished_at=finished,
            duration_ms=int(round(result.elapsed * 1000)),
            fetch_outcome=outcome,
            http_status=result.status,
            bytes=result.bytes_read,
            error=error,
            cycle=self.cycle,
            listing=listing,
            intake=intake,
            row=False,  # read below, never changed: no ORM object
        )
        summary = RequestSummary(
            source=self.source.id,
            url=shown,
            outcome=run.outcome,
            http_status=run.http_status,
            sha256=intake.snapshot.sha256 if intake else None,
            bytes=run.bytes,
            listing=listing,
            requested_url=run.requested_url,
            duration_ms=run.duration_ms,
            error=run.error,
            snapshot_id=run.snapshot_id,
            run_id=run.id,
            cycle=self.cycle,
            started_at=started,
            new_reports=[r.url for r in intake.new_reports] if intake else [],
            removed_reports=[r.url for r in intake.removed_reports] if intake else [],
        )
        self.runs.append(summary)
        return summary, intake

    def fetch(
        self, url: str, *, listing: bool, max_bytes: int | None = None
    ) -> tuple[RequestSummary, StoredDocument | None]:
        """Request ``url`` (the real one) and store what came back; everything stored or
        reported names it redacted. ``max_bytes`` lowers the body cap (a JSON page);
        ``last_result`` keeps the answer."""
        return self.record(self.obtain(self.prepare(url, listing=listing, max_bytes=max_bytes)))


# Default of the ``unreachable_after`` setting: failed fetches in a row after which a listed
# document is ``unreachable``.
UNREACHABLE_AFTER = 3


def note_document_fetch(
    session: Session,
    source_id: str,
    run: RequestSummary,
    *,
    unreachable_after: int = UNREACHABLE_AFTER,
) -> Report | None:
    """Fold one fetch of a listed document into its report's fetch state: a fetch-level
    failure adds one to ``fetch_failures`` (``failing``, then ``unreachable``) and keeps the
    error; anything that reached the document (``ok``, ``unchanged``, ``not_modified``, even
    unparseable) makes it ``ok`` again."""
    report = session.scalar(
        select(Report).where(Report.source_id == source_id, Report.url == run.url)
    )
    if report is None:
        return None
    report.last_fetch_at = run.started_at
    if run.outcome in FETCH_FAILURES:
        report.fetch_failures = (report.fetch_failures or 0) + 1
        error = f"{run.outcome}: {run.error}" if run.error else run.outcome
        report.last_fetch_error = error[:2000]
        report.fetch_state = (
            "unreachable" if report.fetch_failures >= unreachable_after else "failing"
        )
    else:
        report.fetch_failures = 0
        report.fetch_state = "ok"
    session.flush()
    return report


def _due_after(last: datetime | None, now: datetime, recheck_days: int) -> bool:
    return last is None or now - last >= timedelta(days=recheck_days)


def url_due(session: Session, url: str, now: datetime, recheck_days: int) -> bool:
    """Whether ``url`` is due again (one URL: monitor/apipoll.py; a poll asks for all its
    links at once, :func:`monitor.store.last_retrieved_many`)."""
    return _due_after(last_retrieved(session, url), now, recheck_days)


def _api_sources() -> tuple[str, ...]:
    from monitor.congress_poll import CONGRESS_SOURCES

    return CONGRESS_SOURCES


def poll_source(
    session: Session,
    archive: Archive,
    fetcher: Fetcher,
    registered: RegisteredSource,
    *,
    now: datetime,
    cycle: str,
    urls: Sequence[str] | None = None,
    explicit: bool = False,
    listing: bool | None = None,
    recheck_days: int = 7,
    broken_after: int = 3,
    progress: Callable[[str], None] | None = None,
    headers: dict[str, str] | None = None,
    unreachable_after: int = UNREACHABLE_AFTER,
    max_links: int | None = None,
) -> PollResult:
    """Poll one source (or, with ``urls``, those URLs as that source). Flushes, never commits.

    A normal poll fetches each start URL as a listing, then (if the source follows links) every
    linked report that has never been retrieved or was last retrieved ``recheck_days`` ago or
    more, and folds the result into the source's health (``broken_after`` failed polls in a row
    make it broken). Only its listing pages decide whether the poll failed; each linked document
    keeps its own fetch state (``unreachable_after`` failures in a row: unreachable). Pass
    ``settings.recheck_days``, ``settings.broken_after`` and ``settings.unreachable_after``.

    ``explicit=True`` is a manual check of ``urls``: the URL's own host (loopback included) and
    redirects on it are allowed, no links are followed and health is left alone. ``listing``
    forces the shape a URL is read with; by default a URL is a listing iff it is a start URL.
    ``headers`` go with every request (the source's API keys: :func:`source_headers`).
    ``max_links`` caps the links taken from each listing page (``settings.max_links_per_listing``).
    """
    source = registered.source
    if urls is None and source.secret_headers:
        missing = [n for h, n in source.secret_headers if h not in (headers or {})]
        if missing:  # every request would be refused: not polled (monitor/api_keys.py)
            return _not_configured(session, registered, cycle, now, missing)
    if source.api is not None and urls is None:  # read through a JSON API (monitor/apipoll.py)
        from monitor.apipoll import poll_api_source

        return poll_api_source(
            session,
            archive,
            fetcher,
            registered,
            now=now,
            cycle=cycle,
            recheck_days=recheck_days,
            broken_after=broken_after,
            progress=progress,
            headers=headers,
            unreachable_after=unreachable_after,
        )
    ensure_source(session, source, now)
    targets = list(urls) if urls is not None else list(source.start_urls)
    extra_host = host_of(targets[0]) if explicit and targets else None
    if explicit and len({host_of(u) for u in targets}) > 1:
        raise ValueError("an explicit fetch names URLs on one host")
    poll = Poll(
        session, archive, fetcher, registered, now, cycle, extra_host, progress, headers, max_links
    )
    from monitor.poll_plan import MISSING, plan_of

    plan = plan_of(session)
    before = plan.take("health", source.id) if plan is not None and not explicit else MISSING
    health_exists = None if before is MISSING else before is not None
    if before is MISSING:
        before = health_of(session, source.id)
    health_before = before.state if before is not None else None

    # new capture files are written beside the storing (monitor/captures.py), their rows added
    # before the poll's health is recorded
    from monitor.captures import overlapped

    def not_stored(exc: ArchiveWriteError, url: str) -> ArchiveWriteError:
        return ArchiveWriteError(
            f"{exc} (storing {url}); nothing from this poll of {source.id} was stored"
        )

    with overlapped(session, not_stored):
        links: list[str] = []
        if urls is None and not explicit and source.id in _api_sources():
            from monitor.congress_poll import poll_congress  # a JSON API: its own walk

            poll_congress(session, poll, now=now)
            targets = []
        for url in targets:
            is_listing = listing_rule(source, url, declared=listing)
            summary, intake = poll.fetch(url, listing=is_listing)
            if (
                intake is not None
                and is_listing
                and intake.outcome == "ok"
                and summary.outcome not in FETCH_FAILURES
            ):
                links.extend(link.url for link in intake.links)

        skipped: list[str] = []
        if source.recheck_days is not None:
            recheck_days = source.recheck_days  # the source's own interval wins over the setting
        if source.follow_links and not explicit:
            seen = set(targets)
            # the documents the listings link; then, for a source that asks, the links those
            # documents yield (a publication page's PDF), one level more
            for level in range(2 if source.follow_document_links else 1):
                found: list[str] = []
                # when each link was last obtained: one question for all of them, asked before any
                # is fetched (a link listed twice is fetched once: ``seen``)
                retrieved = last_retrieved_many(session, links)
                for url in links:
                    if url in seen:
                        continue
                    seen.add(url)
                    if urlsplit(url).scheme not in ("http", "https") or not source.allows_host(
                        host_of(url)
                    ):
                        skipped.append(redact_url(url))
                        continue
                    if _due_after(retrieved.get(redact_url(url)), poll.at(), recheck_days):
                        summary, intake = poll.fetch(url, listing=False)
                        note_document_fetch(
                            session, source.id, summary, unreachable_after=unreachable_after
                        )
                        if intake is not None:  # a document read (or read before: its links)
                            found.extend(link.url for link in intake.links)
                links = found

    # Only a listing page that could not be fetched or read fails the poll: a dead report link
    # is that document's problem (its fetch state), not the source's.
    # (A manual check of URLs, explicit, still fails on any request that failed.)
    failing = [
        r
        for r in poll.runs
        if (r.outcome in FETCH_FAILURES and (r.listing or explicit))
        or (r.listing and r.outcome in PARSE_FAILURES)
    ]
    result = PollResult(
        source=source.id,
        cycle=cycle,
        explicit=explicit,
        runs=poll.runs,
        health_before=health_before,
        health_after=health_before,
        failed=bool(failing),
        skipped_links=skipped,
        consecutive_failures=before.consecutive_failures if before else 0,
    )
    if not explicit and poll.runs:
        change = record_poll(
            session,
            source.id,
            failed=bool(failing),
            outcome=failing[0].outcome if failing else "ok",
            error=(f"{failing[0].url}: {failing[0].error}" if failing else None),
            now=poll.at(),
            broken_after=broken_after,
            exists=health_exists,
        )
        result.health_after = change.after
        result.consecutive_failures = change.consecutive_failures
    return result


def _not_configured(
    session: Session, registered: RegisteredSource, cycle: str, now: datetime, missing: list[str]
) -> PollResult:
    """A poll of a source whose API key is not set: no request, health left as it was."""
    before = health_of(session, registered.id)
    state = before.state if before is not None else None
    return PollResult(
        source=registered.id,
        cycle=cycle,
        explicit=False,
        runs=[],
        health_before=state,
        health_after=state,
        failed=False,
        consecutive_failures=before.consecutive_failures if before else 0,
        not_configured=f"not configured: {', '.join(dict.fromkeys(missing))} is not set; "
        f"{registered.id} was not polled",
    )


# A failing source is polled again sooner than its interval: after 15 minutes, then 30, 60...
# (doubling with each consecutive failed poll), never later than its poll interval.
RETRY_AFTER = timedelta(minutes=15)


def retry_interval(poll_every: timedelta, consecutive_failures: int) -> timedelta:
    """How long after a poll the source is due again, given its failed polls in a row."""
    if consecutive_failures <= 0:
        return poll_every
    return min(RETRY_AFTER * 2 ** min(consecutive_failures - 1, 30), poll_every)


def next_poll_at(session: Session, reg: RegisteredSource) -> datetime | None:
    """When the source is next due: its last poll of a start URL plus its poll interval (or the
    backoff while it is failing), less a slack of a tenth of that (at most an hour) that absorbs
    timing jitter: a daily cron job that fires at 06:00 must find yesterday's poll, which began
    at 06:00:02, due again. None when it was never polled (due now). Ingested copies are not
    polls."""
    return next_poll_after(last_polls(session, [reg]).get(reg.id), reg, health_of(session, reg.id))


def next_poll_after(last: datetime | None, reg: RegisteredSource, health) -> datetime | None:
    """:func:`next_poll_at` from the source's last poll and its health row."""
    if last is None:
        return None
    interval = retry_interval(reg.source.poll_every, health.consecutive_failures if health else 0)
    return last + interval - min(interval / 10, timedelta(hours=1))


def last_polls(session: Session, registered: Iterable[RegisteredSource]) -> dict[str, datetime]:
    """When each source last polled a start URL (a source read through an API: one of its
    listings), ingested copies aside: one statement per 500 URLs and one per 500 API sources,
    each an index descent per URL or source (monitor/run_lookups.py), never a source's whole
    history."""
    from monitor.run_lookups import CHUNK, source_end, wanted

    not_ingested = or_(FetchRun.cycle.is_(None), FetchRun.cycle != INGEST_CYCLE)
    pairs = sorted(
        {
            (reg.id, redact_url(u))
            for reg in registered
            if reg.source.api is None
            for u in reg.source.start_urls
        }
    )
    apis = sorted({reg.id for reg in registered if reg.source.api is not None})
    out: dict[str, datetime] = {}

    def keep(rows) -> None:
        for source_id, at in rows:
            if at is not None and (source_id not in out or at > out[source_id]):
                out[source_id] = at

    for start in range(0, len(pairs), CHUNK):
        asked = wanted(pairs[start : start + CHUNK], ("source_id", None), ("url", None))
        newest = (
            select(FetchRun.started_at)
            .where(
                FetchRun.url == asked.c.url,
                # not an index term: the URL's range of fetch_runs(url, started_at), not the
                # source's every run (monitor/run_lookups.py)
                FetchRun.source_id.concat("") == asked.c.source_id,
                not_ingested,
            )
            .order_by(FetchRun.started_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        keep(session.execute(select(asked.c.source_id, newest)))
    for start in range(0, len(apis), CHUNK):
        asked = wanted(((i,) for i in apis[start : start + CHUNK]), ("source_id", None))
        newest = source_end(asked.c.source_id, not_ingested, last=True, listing=True)
        keep(session.execute(select(asked.c.source_id, newest)))
    return out


def sources_due(
    session: Session, registered_sources: Iterable[RegisteredSource], now: datetime
) -> list[RegisteredSource]:
    """Sources whose :func:`next_poll_at` has come (asked for all of them at once)."""
    from monitor.models import SourceHealth

    registered_sources = list(registered_sources)
    last = last_polls(session, registered_sources)
    ids = sorted({r.id for r in registered_sources if r.id in last})
    health = {
        row.source_id: row
        for start in range(0, len(ids), 500)
        for row in session.scalars(
            select(SourceHealth).where(SourceHealth.source_id.in_(ids[start : start + 500]))
        )
    }
    due = []
    for reg in registered_sources:
        when = next_poll_after(last.get(reg.id), reg, health.get(reg.id))
        if when is None or when <= now:
            due.append(reg)
    return due
