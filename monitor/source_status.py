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

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.fact_gathering import stale_after_for
from monitor.models import FetchRun, Report, SourceHealth
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
    """How one source stands now (:func:`source_statuses` of one)."""
    return _statuses(session, [reg], now, stale_after)[0]


def _statuses(
    session: Session, registered: list[RegisteredSource], now: datetime, stale_after
) -> list[SourceStatus]:
    """Every source's status in a fixed number of statements, whatever the number of sources:
    their health rows, their last successful run and listing read (one descent of
    ``fetch_runs(source_id, ...)`` each, as a VALUES list: monitor/run_lookups.py), their last
    polls (monitor.fetching.last_polls) and their listed documents that cannot be fetched."""
    from monitor.fetching import last_polls, next_poll_after
    from monitor.run_lookups import source_end, success_bounds, wanted

    ids = sorted({reg.id for reg in registered})
    health: dict[str, SourceHealth] = {}
    success: dict[str, tuple] = {}
    documents: dict[str, list[dict]] = {}
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        health.update(
            (row.source_id, row)
            for row in session.scalars(select(SourceHealth).where(SourceHealth.source_id.in_(part)))
        )
        asked = wanted(((i,) for i in part), ("source_id", None))
        _first, last_success = success_bounds(asked.c.source_id, now)
        last_listing = source_end(
            asked.c.source_id,
            FetchRun.outcome.in_(SUCCESS_OUTCOMES),
            FetchRun.started_at <= now,
            last=True,
            listing=True,
        )
        for sid, succeeded, listed in session.execute(
            select(asked.c.source_id, last_success, last_listing)
        ):
            success[sid] = (succeeded, listed)
        for r in session.scalars(
            select(Report)
            .where(
                Report.source_id.in_(part),
                Report.fetch_state.in_(("failing", "unreachable")),
                Report.removed_at.is_(None),
            )
            .order_by(Report.source_id, Report.url)
        ):
            documents.setdefault(r.source_id, []).append(
                {
                    "url": r.url,
                    "state": r.fetch_state,
                    "fetch_failures": r.fetch_failures,
                    "last_fetch_error": r.last_fetch_error,
                    "last_fetch_at": r.last_fetch_at,
                }
            )
    polled_at = last_polls(session, registered)
    out = []
    for reg in registered:
        source = reg.source
        row = health.get(source.id)
        last_success, last_listing = success.get(source.id, (None, None))
        window = stale_after_for(stale_after, source.poll_every)
        polled = row is not None or last_success is not None
        stale = polled and (last_listing is None or now - last_listing > window)
        out.append(
            SourceStatus(
                id=source.id,
                agency=source.agency,
                title=source.title,
                poll_every=source.poll_every,
                health=row.state if row else None,
                consecutive_failures=row.consecutive_failures if row else 0,
                last_error=row.last_error if row else None,
                last_success_at=last_success,
                last_listing_read_at=last_listing,
                stale_after=window,
                stale=stale,
                next_poll_at=next_poll_after(polled_at.get(source.id), reg, row),
                documents=documents.get(source.id, []),
            )
        )
    return out


_CHUNK = 500  # sources per statement


def source_statuses(
    session: Session, registered: Iterable[RegisteredSource], now: datetime, settings
) -> list[SourceStatus]:
    from monitor.apipoll import not_configured_reason

    stale_after = getattr(settings, "stale_after", None)
    registered = list(registered)
    out = []
    for status, reg in zip(_statuses(session, registered, now, stale_after), registered):
        status.not_configured = not_configured_reason(reg.source, settings)
        if status.not_configured:
            status.stale = False  # not read on purpose: unknown, not an operator failure
        out.append(status)
    return out
