"""How each source stands now: health, its last successful read and listing read, whether it is
stale, and when it will next be polled. What `monitor sources` lists and `monitor run --once`
summarises (and bases its exit status on): a monitor that cannot read a source must say so.

A source is **stale** when its listing has not been read successfully for ``stale_after`` (the
setting, default two poll intervals): from then on the rules engine cannot observe absence on it
and the periods it owes turn ``unknown``. A source never polled yet is not stale (the next run
polls it); one polled but never read successfully is ``never read``, and stale.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.fact_gathering import stale_after_for
from monitor.fetching import next_poll_at
from monitor.models import FetchRun, Report, SourceHealth
from monitor.run_lookups import IS_LISTING
from scrapers.registry import RegisteredSource
from scrapers.vocabulary import SUCCESS_OUTCOMES, HealthState, values

PROBLEM_STATES = values(HealthState.FAILING, HealthState.BROKEN)


@dataclass
class SourceStatus:
    id: str
    agency: str
    title: str
    poll_every: timedelta
    health: str | None  # healthy | failing | broken; None: never polled
    consecutive_failures: int
    last_error: str | None
    last_success_at: datetime | None  # last successful read of any of its documents
    last_listing_read_at: datetime | None  # last successful read of a listing page
    stale_after: timedelta
    stale: bool
    next_poll_at: datetime | None  # None: due now (never polled)
    # Listed documents that cannot be fetched (failing, or unreachable after unreachable_after
    # failed fetches): {url, state, fetch_failures, last_fetch_error, last_fetch_at}. They do not
    # make the source fail; the periods they could cover stay unknown.
    documents: list[dict] = field(default_factory=list)
    # A source read through an API whose key is not set: not polled, what it would find unknown.
    not_configured: str | None = None

    def document_lines(self) -> list[str]:
        return [
            f"document {d['state']}: {d['url']} ({d['fetch_failures']} failed fetch"
            f"{'es' if d['fetch_failures'] != 1 else ''}; last: "
            f"{(d['last_fetch_error'] or '')[:160]})"
            for d in self.documents
        ]

    @property
    def problem(self) -> str | None:
        """Why this source needs the operator, in a few words, or None."""
        if self.health in PROBLEM_STATES:
            n = self.consecutive_failures
            why = f"{self.health} ({n} failed poll{'s' if n != 1 else ''}"
            return why + (f": {self.last_error[:160]})" if self.last_error else ")")
        if self.stale:
            since = _when(self.last_listing_read_at)
            return f"stale (listing not read since {since}; stale_after {_hours(self.stale_after)})"
        return None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["poll_every_hours"] = data.pop("poll_every").total_seconds() / 3600
        data["stale_after_hours"] = data.pop("stale_after").total_seconds() / 3600
        data["problem"] = self.problem
        return data


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def _hours(value: timedelta) -> str:
    from monitor.durations import format_duration

    return format_duration(value)


def source_status(
    session: Session, reg: RegisteredSource, now: datetime, stale_after: timedelta | None
) -> SourceStatus:
    source = reg.source
    health = session.get(SourceHealth, source.id)
    success = select(func.max(FetchRun.started_at)).where(
        FetchRun.source_id == source.id,
        FetchRun.outcome.in_(SUCCESS_OUTCOMES),
        FetchRun.started_at <= now,
    )
    last_success = session.scalar(success)
    last_listing = session.scalar(success.where(IS_LISTING))
    window = stale_after_for(stale_after, source.poll_every)
    polled = health is not None or last_success is not None
    stale = polled and (last_listing is None or now - last_listing > window)
    return SourceStatus(
        id=source.id,
        agency=source.agency,
        title=source.title,
        poll_every=source.poll_every,
        health=health.state if health else None,
        consecutive_failures=health.consecutive_failures if health else 0,
        last_error=health.last_error if health else None,
        last_success_at=last_success,
        last_listing_read_at=last_listing,
        stale_after=window,
        stale=stale,
        next_poll_at=next_poll_at(session, reg),
        documents=[
            {
                "url": r.url,
                "state": r.fetch_state,
                "fetch_failures": r.fetch_failures,
                "last_fetch_error": r.last_fetch_error,
                "last_fetch_at": r.last_fetch_at,
            }
            for r in session.scalars(
                select(Report)
                .where(
                    Report.source_id == source.id,
                    Report.fetch_state.in_(("failing", "unreachable")),
                    Report.removed_at.is_(None),
                )
                .order_by(Report.url)
            )
        ],
    )


def source_statuses(
    session: Session, registered: Iterable[RegisteredSource], now: datetime, settings
) -> list[SourceStatus]:
    from monitor.apipoll import not_configured_reason

    stale_after = getattr(settings, "stale_after", None)
    out = []
    for reg in registered:
        status = source_status(session, reg, now, stale_after)
        status.not_configured = not_configured_reason(reg.source, settings)
        if status.not_configured:
            status.stale = False  # not read on purpose: unknown, not an operator failure
        out.append(status)
    return out
