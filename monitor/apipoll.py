"""JSON-API requests inside a poll (GovInfo, Congress.gov): :mod:`scrapers.fetch.jsonapi` on the
monitor's fetch path.

:class:`ApiPoll` gives a :class:`scrapers.fetch.jsonapi.JsonApi` a transport that goes through the
poll (:class:`monitor.fetching.Poll`): every answer, JSON page or text, is archived, parsed by
the source's parser and recorded in one ``fetch_runs`` row, exactly like a fetched page; the
key travels in the header the source declares (``Source.secret_headers``) and is never part of
a URL, a run, a snapshot or a capture record (only response headers are kept). On top:

* the hourly budget starts from the requests this API already received in the past hour (its
  ``fetch_runs``), so two runs within the hour share one budget;
* a refused key (401/403) is ONE ``access`` operator finding per API key (subject
  ``<api>|<setting>``), raised once however many sources or requests met it, and resolved by
  the next answer that got through; the API is not asked again in that poll;
* every :class:`~scrapers.fetch.jsonapi.ApiProblem` is kept in ``problems`` for the poll's outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from monitor.api_keys import not_configured_reason
from monitor.ingest import INGEST_CYCLE
from monitor.document_path import StoredDocument
from monitor.models import FetchRun
from scrapers.fetch.jsonapi import ApiProblem, ItemsPage, JsonApi, JsonApiSpec, RequestBudget
from scrapers.fetch.http import FetchResult

ACCESS = "access"


def access_subject(spec: JsonApiSpec) -> str:
    """The subject of the one ``access`` finding about an API's key."""
    return f"{spec.name}|{spec.key_setting}"


def requests_this_hour(session: Session, spec: JsonApiSpec, now: datetime) -> int:
    """Requests made to the API in the hour before ``now`` (fetch runs on its base URL)."""
    base = spec.base_url.rstrip("/") + "/"
    return (
        session.scalar(
            select(func.count(FetchRun.id)).where(
                FetchRun.url.like(base.replace("%", r"\%").replace("_", r"\_") + "%", escape="\\"),
                FetchRun.started_at >= now - timedelta(hours=1),
                or_(FetchRun.cycle.is_(None), FetchRun.cycle != INGEST_CYCLE),
            )
        )
        or 0
    )


def report_refused_key(
    session: Session, spec: JsonApiSpec, problem: ApiProblem, *, source_id: str, now: datetime
) -> None:
    """Raise (or keep) the one ``access`` finding for a key the API refused."""
    from monitor.operator_findings import raise_operator_finding

    env = "MONITOR_" + spec.key_setting.upper()
    raise_operator_finding(
        session,
        family=ACCESS,
        subject=access_subject(spec),
        now=now,
        severity="high",
        summary=f"{spec.name} refused the API key (HTTP {problem.status}): {spec.key_setting} "
        f"is missing, expired or revoked; renew it ({env}). Until then the sources on "
        f"this API are not read",
        evidence={
            "api": spec.name,
            "setting": spec.key_setting,
            "environment_variable": env,
            "http_status": problem.status,
            "url": problem.url,
            "source": source_id,
        },
    )


def resolve_refused_key(session: Session, spec: JsonApiSpec, *, now: datetime) -> None:
    from monitor.operator_findings import resolve_operator_finding

    resolve_operator_finding(
        session,
        family=ACCESS,
        subject=access_subject(spec),
        now=now,
        note=f"{spec.name} accepted the API key again",
    )


class ApiPoll:
    """The requests of one poll of one source to one JSON API. ``poll`` is the source's
    :class:`monitor.fetching.Poll` (its fetcher, archive, cycle, headers and runs)."""

    def __init__(
        self,
        session: Session,
        poll: Any,
        spec: JsonApiSpec,
        *,
        now: datetime,
        budget: RequestBudget | None = None,
    ) -> None:
        self.session, self.poll, self.spec, self.now = session, poll, spec, now
        clock = poll.fetcher.clock
        if budget is None:
            budget = RequestBudget(spec.hourly_limit, clock=clock)
            budget.seed(requests_this_hour(session, spec, now))
        self.api = JsonApi(spec, self._transport, budget=budget, clock=clock)
        self.problems: list[ApiProblem] = []
        self.intakes: dict[str, StoredDocument | None] = {}  # by URL as requested
        self.answered = False  # some request got through the key check

    def _transport(self, url: str, *, listing: bool, max_bytes: int | None) -> FetchResult:
        summary, intake = self.poll.fetch(url, listing=listing, max_bytes=max_bytes)
        self.intakes[url] = intake
        result: FetchResult = self.poll.last_result
        if result.status is not None and result.status not in (401, 403, 429):
            self.answered = True
        return result

    @property
    def stopped(self) -> bool:
        """The API will not be asked again in this poll (refused key, rate limit, budget)."""
        return any(p.kind in ("access", "rate_limited", "budget") for p in self.problems)

    def note(self, problem: ApiProblem) -> None:
        self.problems.append(problem)
        if problem.kind == "access" and problem.status in (401, 403):
            report_refused_key(
                self.session, self.spec, problem, source_id=self.poll.source.id, now=self.poll.at()
            )

    def listing(
        self, url: str, items_key: str, key: Callable[[dict], Any]
    ) -> tuple[ItemsPage | None, list[str]]:
        """Walk a listing's pages (each archived and recorded as a listing run); returns the
        items (None on a problem) and the links the source's parser found on its pages."""
        before = set(self.intakes)
        try:
            items = self.api.items(url, items_key, key)
        except ApiProblem as problem:
            self.note(problem)
            items = None
        links: list[str] = []
        for page_url, intake in self.intakes.items():
            if page_url not in before and intake is not None and intake.outcome == "ok":
                links.extend(link.url for link in intake.links)
        return items, links

    def document(self, url: str, *, max_bytes: int | None = None):
        """Fetch one document (a summary, a text) as a report run; ``(RunSummary, StoredDocument)``,
        or None when the API was not asked or refused (the problem is noted)."""
        try:
            result = self.api.fetch(url, listing=False, max_bytes=max_bytes)
        except ApiProblem as problem:
            self.note(problem)
            return None
        return self.poll.runs[-1], self.intakes.get(result.url)

    def finish(self) -> None:
        """After the poll: an answer that got through resolves a refused-key finding."""
        if self.answered and not any(p.kind == "access" for p in self.problems):
            resolve_refused_key(self.session, self.spec, now=self.poll.at())


# --- polling a source read through a JSON API ----------------------------------------------

# Each poll reads from the last successful one less this overlap (late-indexed packages).
OVERLAP = timedelta(days=2)
# How many links deep a poll follows from a listing (summary -> granules -> granule -> text).
MAX_DEPTH = 4


def since_for(session: Session, source, now: datetime) -> datetime:
    """Where a poll starts reading: the last successful poll less :data:`OVERLAP`, or
    ``source.api_lookback`` before now the first time."""
    from monitor.health import health_of

    health = health_of(session, source.id)
    if health is not None and health.last_success_at is not None:
        last = health.last_success_at
        if last.tzinfo is None:
            last = last.replace(tzinfo=now.tzinfo)
        return min(last, now) - OVERLAP
    return now - source.api_lookback


def poll_api_source(
    session: Session,
    archive,
    fetcher,
    registered,
    *,
    now: datetime,
    cycle: str,
    recheck_days: int = 7,
    broken_after: int = 3,
    progress: Callable[[str], None] | None = None,
    headers: dict[str, str] | None = None,
    unreachable_after: int = 3,
):
    """Poll a source read through a JSON API (``Source.api``): walk its listings
    (``Source.api_listings(since)``), then follow the links its parser finds, breadth first and
    at most :data:`MAX_DEPTH` deep, fetching each document not retrieved for ``recheck_days``.

    The poll fails (and ``since`` stays where it was, so the next poll reads the same window)
    when a listing could not be read whole, or the API stopped answering (a refused key, a rate
    limit, the hourly budget). A listed document that fails is that document's problem (its
    fetch state), as for any source. Without the key's header the source is not polled at all.
    """
    from collections import deque
    from urllib.parse import urlsplit

    from monitor.fetching import (
        FETCH_FAILURES,
        PARSE_FAILURES,
        PollResult,
        url_due,
        Poll,
        note_document_fetch,
    )
    from monitor.health import health_of, record_poll
    from monitor.store import ensure_source, record_listing
    from scrapers.fetch.http import host_of
    from scrapers.redact import redact_url

    source = registered.source
    spec = source.api
    ensure_source(session, source, now)
    before = health_of(session, source.id)
    health_before = before.state if before is not None else None
    result = PollResult(
        source=source.id,
        cycle=cycle,
        explicit=False,
        runs=[],
        health_before=health_before,
        health_after=health_before,
        failed=False,
        consecutive_failures=before.consecutive_failures if before else 0,
    )
    if spec.key_header not in (headers or {}):
        result.not_configured = (
            f"not configured: {spec.key_setting} is not set; {source.id} was not polled"
        )
        return result
    poll = Poll(session, archive, fetcher, registered, now, cycle, None, progress, headers)
    apoll = ApiPoll(session, poll, spec, now=now)
    since = since_for(session, source, now)
    failures: list[str] = []
    links: list[str] = []
    for listing in source.api_listings(since):
        if apoll.stopped:
            break
        items, found = apoll.listing(
            listing.url, listing.items_key, lambda item, k=listing.key: item.get(k)
        )
        links.extend(found)
        if items is None:
            failures.append(
                f"{redact_url(listing.url)}: {apoll.problems[-1].kind}: {apoll.problems[-1].detail}"
            )
        elif items.missing:
            failures.append(
                f"{redact_url(listing.url)}: {items.missing} of {items.expected} "
                "listed packages never arrived (results shifted while paging); "
                "the same window is read again next poll"
            )
    queue = deque((url, 1) for url in dict.fromkeys(links))
    seen: set[str] = set()
    while queue and not apoll.stopped:
        url, depth = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        if urlsplit(url).scheme not in ("http", "https") or not source.allows_host(host_of(url)):
            result.skipped_links.append(redact_url(url))
            continue
        if not url_due(session, url, poll.at(), recheck_days):
            continue
        got = apoll.document(url)
        if got is None:
            continue
        summary, intake = got
        note_document_fetch(session, source.id, summary, unreachable_after=unreachable_after)
        if intake is not None and intake.outcome == "ok" and intake.links:
            # what a summary leads to is listed on it (a report row with its own fetch state)
            record_listing(session, source, summary.url, intake.links, poll.at())
            if depth < MAX_DEPTH:
                queue.extend((link.url, depth + 1) for link in intake.links if link.url not in seen)
    if apoll.stopped:
        problem = next(p for p in apoll.problems if p.kind in ("access", "rate_limited", "budget"))
        failures.append(f"{spec.name} {problem.kind}: {problem.detail}")
    apoll.finish()
    result.runs = poll.runs
    result.api_problems = [f"{p.kind}: {p.detail} ({p.url})" for p in apoll.problems]
    listing_failed = [
        r
        for r in poll.runs
        if r.listing and (r.outcome in FETCH_FAILURES or r.outcome in PARSE_FAILURES)
    ]
    result.failed = bool(failures or listing_failed)
    error = (
        failures[0]
        if failures
        else (f"{listing_failed[0].url}: {listing_failed[0].error}" if listing_failed else None)
    )
    change = record_poll(
        session,
        source.id,
        failed=result.failed,
        outcome=(
            listing_failed[0].outcome if listing_failed else "api_error" if failures else "ok"
        ),
        error=error,
        now=poll.at(),
        broken_after=broken_after,
    )
    result.health_after = change.after
    result.consecutive_failures = change.consecutive_failures
    return result


def is_polled(registered, settings) -> bool:
    """Whether a run polls the source: it has start URLs or is read through a JSON API, and
    every API key it sends is set (:mod:`monitor.api_keys`); one without its key is not
    configured."""
    return registered.source.polled and not_configured_reason(registered.source, settings) is None
