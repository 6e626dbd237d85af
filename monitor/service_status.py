"""`monitor status`: is the service alive and is the monitor able to do its job?

Read-only. Gathers the leader's heartbeat, every source's status (monitor/source_status.py),
open findings by kind, the outbox backlog and dead letters, the leader's next jobs, the last
digest sent and runs interrupted lately. ``problems`` says why the exit status is 1: no leader
heartbeat in the last five minutes, a broken source, a stale source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.models import Delivery, FindingRow, OutboxMessage
from monitor.models.service import ServiceRun
from monitor.service_state import leader
from monitor.source_status import SourceStatus, source_statuses

HEARTBEAT_STALE = timedelta(minutes=5)
OPEN_STATES = ("open", "acknowledged", "snoozed")


@dataclass
class Status:
    now: datetime
    leader: dict[str, Any] | None
    sources: list[SourceStatus]
    findings: dict[str, int]  # open (not resolved or waived) findings by kind
    outbox: dict[str, int]
    next_jobs: list[dict]
    last_digest: dict[str, Any] | None
    interrupted: list[dict] = field(default_factory=list)  # in the last seven days
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "ok": self.ok,
            "problems": self.problems,
            "leader": self.leader,
            "sources": [s.to_json() for s in self.sources],
            "open_findings": self.findings,
            "outbox": self.outbox,
            "next_jobs": self.next_jobs,
            "last_digest": self.last_digest,
            "interrupted_runs": self.interrupted,
        }


def gather(session: Session, registered, now: datetime, settings) -> Status:
    row = leader(session)
    lead = None
    problems: list[str] = []
    if row is None:
        problems.append("no monitor serve has run against this database (no leader heartbeat)")
    else:
        age = now - row.heartbeat_at
        lead = {
            "host": row.host,
            "pid": row.pid,
            "since": row.since,
            "heartbeat_at": row.heartbeat_at,
            "heartbeat_age_s": int(age.total_seconds()),
            "stopped_at": row.stopped_at,
        }
        if row.stopped_at is not None:
            problems.append(
                f"monitor serve stopped at {row.stopped_at:%Y-%m-%d %H:%M:%S UTC} "
                f"(host {row.host}, pid {row.pid}); no instance leads"
            )
        elif age > HEARTBEAT_STALE:
            problems.append(
                f"the leader's last heartbeat is {_age(age)} old (host {row.host}, "
                f"pid {row.pid}): no monitor serve is running"
            )
    sources = source_statuses(session, registered, now, settings)
    for s in sources:
        if s.health == "broken" or s.stale:
            problems.append(f"{s.id}: {s.problem}")
    findings = dict(
        session.execute(
            select(FindingRow.kind, func.count())
            .where(FindingRow.state.in_(OPEN_STATES))
            .group_by(FindingRow.kind)
            .order_by(FindingRow.kind)
        ).all()
    )
    states = dict(
        session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all()
    )
    unrouted = session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.routed_at.is_(None))
    )
    outbox = {
        "backlog": states.get("pending", 0) + states.get("sending", 0),
        "unrouted": unrouted or 0,
        "dead": states.get("dead", 0),
    }
    digest = session.scalar(
        select(Delivery)
        .where(Delivery.kind == "email", Delivery.state == "sent")
        .order_by(Delivery.sent_at.desc())
        .limit(1)
    )
    last_digest = (
        None
        if digest is None
        else {
            "week": digest.idempotency_key.removeprefix("digest:"),
            "sent_at": digest.sent_at,
            "subject": digest.summary or None,
        }
    )
    interrupted = [
        {"job": r.job, "started_at": r.started_at, "host": r.host, "pid": r.pid}
        for r in session.scalars(
            select(ServiceRun)
            .where(
                ServiceRun.state == "interrupted", ServiceRun.started_at >= now - timedelta(days=7)
            )
            .order_by(ServiceRun.started_at.desc())
            .limit(20)
        )
    ]
    return Status(
        now=now,
        leader=lead,
        sources=sources,
        findings=findings,
        outbox=outbox,
        next_jobs=list(row.next_jobs) if row is not None and row.stopped_at is None else [],
        last_digest=last_digest,
        interrupted=interrupted,
        problems=problems,
    )


def _age(delta: timedelta) -> str:
    from monitor.durations import format_duration

    return format_duration(timedelta(seconds=int(delta.total_seconds())))
