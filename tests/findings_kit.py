"""Database builders for findings tests: a registered test source, fetch runs, health, and reports
stored through monitor.store exactly as intake stores them."""

from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace

from rulekit import obligation
from sqlalchemy import func, select

from monitor.models import (
    AuditEntry,
    FetchRun,
    FindingRow,
    FindingTransition,
    ManualEvidence,
    SourceHealth,
    SourceHealthEvent,
)
from monitor.store import ensure_source, record_listing, record_parse, store_snapshot
from scrapers.records import CountRecord, Link, ParseResult, ReportRecord, StatementRecord
from scrapers.registry import Registry, RegisteredSource
from scrapers.source import Source

UTC = timezone.utc
LISTING = "https://e.gov/list"
SRC = Source(
    id="src", agency="HHS", title="Test source", start_urls=(LISTING,), allowed_hosts=("e.gov",)
)
SETTINGS = SimpleNamespace(anomaly_tolerance=0.10)
# test_monthly: December 2019 onwards, month M due on the 3rd of M+1 (enacted 2019-12-20 + 14)
OB = obligation(
    checks=["timeliness", "content", "revised", "removed"],
    content={
        "counts": [
            {
                "measure": "separations",
                "dimension": "cause",
                "citation": "act",
                "why": "documented cause",
            }
        ]
    },
)


def at(y, m, d, h=12) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


def _not_parsed(doc):
    raise AssertionError("the findings tests store what a parse would have produced")


def registry(*sources: Source) -> Registry:
    """The sources ``gather_facts``, ``evaluate_and_sync`` and the CLI run on (passed as
    ``registry=`` or ``registries.sources``): by default `src` alone, LISTING its start URL."""
    return Registry([RegisteredSource(s, _not_parsed) for s in sources or (SRC,)])


REGISTRY = registry()


def register(registries) -> None:
    """Make `src` the only implemented source of the in-process CLI (the `registries` fixture)."""
    registries.sources = REGISTRY


def run(
    session,
    when: datetime,
    url: str = LISTING,
    outcome: str = "ok",
    snapshot=None,
    listing: bool | None = None,
) -> None:
    ensure_source(session, SRC, when)
    session.add(
        FetchRun(
            source_id="src",
            url=url,
            started_at=when,
            finished_at=when,
            outcome=outcome,
            snapshot_id=snapshot.id if snapshot else None,
            listing=url == LISTING if listing is None else listing,
        )
    )
    session.flush()


def health(session, state: str, when: datetime, first_success: datetime) -> None:
    ensure_source(session, SRC, when)
    row = session.get(SourceHealth, "src")
    if row is None:
        row = SourceHealth(
            source_id="src",
            state=state,
            consecutive_failures=0,
            first_success_at=first_success,
            changed_at=when,
        )
        session.add(row)
    previous = row.state
    row.state, row.changed_at = state, when
    session.add(
        SourceHealthEvent(
            source_id="src",
            at=when,
            from_state=previous,
            to_state=state,
            consecutive_failures=0 if state == "healthy" else 3,
        )
    )
    session.flush()


def listing(session, archive, when: datetime, urls: list[str]) -> None:
    """The listing page fetched at ``when`` linking ``urls``."""
    ensure_source(session, SRC, when)
    body = ("<ul>" + "".join(f"<li>{u}</li>" for u in urls) + "</ul>").encode()
    snap, _ = store_snapshot(
        session, archive, source_id="src", url=LISTING, body=body, fetched_at=when
    )
    links = [Link(u) for u in urls]
    record_parse(session, SRC, snap, ParseResult("1", links=links), "ok", when)
    record_listing(session, SRC, LISTING, links, when)
    run(session, when, snapshot=snap)


def publish(
    session,
    archive,
    when: datetime,
    url: str,
    period: tuple[date, date],
    *,
    issued: date | None = None,
    value: float = 3,
    outcome: str = "ok",
    statement: str | None = None,
    body: bytes | None = None,
):
    """A report document fetched at ``when`` and read by parser version 1."""
    ensure_source(session, SRC, when)
    snap, _ = store_snapshot(
        session,
        archive,
        source_id="src",
        url=url,
        body=body or f"{url} {value}".encode(),
        fetched_at=when,
    )
    result = ParseResult(
        "1",
        reports=[
            ReportRecord(
                title=f"Report {period[0]:%B %Y}",
                url=url,
                period_start=period[0],
                period_end=period[1],
                issued=issued,
                issued_precision="day" if issued else None,
            )
        ],
        counts=[
            CountRecord(0, "separations", "cause", "criminal_history", "criminal history", value)
        ]
        if outcome == "ok"
        else [],
        statements=[StatementRecord(0, "foreign_government_basis", statement)] if statement else [],
    )
    stored = record_parse(session, SRC, snap, result, outcome, when)
    run(session, when, url=url, snapshot=snap)
    return stored


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def counts(session) -> tuple[int, ...]:
    return tuple(
        count(session, m) for m in (FindingRow, FindingTransition, AuditEntry, ManualEvidence)
    )


def finding(session, period_start: date | None = None, family: str = "timeliness") -> FindingRow:
    query = select(FindingRow).where(FindingRow.family == family)
    if period_start is not None:
        query = query.where(FindingRow.period_start == period_start)
    return session.scalars(query).one()


def transitions(session, row: FindingRow) -> list[tuple]:
    return [
        (t.change, t.from_state, t.to_state, t.from_kind, t.to_kind)
        for t in session.scalars(
            select(FindingTransition)
            .where(FindingTransition.finding_id == row.id)
            .order_by(FindingTransition.id)
        )
    ]
