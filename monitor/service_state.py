"""The rows `monitor serve` keeps: the leader's heartbeat and one row per job run.

Every function takes a session and a ``now`` and flushes; the caller commits (each in a
transaction of its own, so a job's ``running`` row is committed before the job starts).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from monitor.models.service import ServiceLeader, ServiceRun

LEADER = "leader"


def begin_run(
    session: Session,
    job: str,
    *,
    now: datetime,
    host: str,
    pid: int,
    scheduled_for: datetime | None = None,
) -> int:
    row = ServiceRun(
        job=job, state="running", scheduled_for=scheduled_for, started_at=now, host=host, pid=pid
    )
    session.add(row)
    session.flush()
    return row.id


def end_run(
    session: Session,
    run_id: int,
    *,
    state: str,
    now: datetime,
    detail: str | None = None,
    cycle: str | None = None,
) -> None:
    session.execute(
        update(ServiceRun)
        .where(ServiceRun.id == run_id, ServiceRun.state == "running")
        .values(
            state=state, finished_at=now, detail=(detail or None) and detail[:2000], cycle=cycle
        )
    )


def forget_run(session: Session, run_id: int) -> None:
    """A run that did nothing worth keeping (an empty outbox drain)."""
    session.execute(delete(ServiceRun).where(ServiceRun.id == run_id))


def mark_interrupted(session: Session, *, now: datetime) -> list[ServiceRun]:
    """Runs left ``running`` by an instance that died: only the leader runs jobs, so when an
    instance becomes leader every ``running`` row is an earlier leader's."""
    rows = list(
        session.scalars(
            select(ServiceRun).where(ServiceRun.state == "running").order_by(ServiceRun.id)
        )
    )
    for row in rows:
        row.state, row.finished_at = "interrupted", now
        row.detail = (
            f"interrupted: the instance (host {row.host}, pid {row.pid}) stopped "
            "during this job; what it had committed is kept, the rest was rolled "
            "back and is done again by the next run"
        )
    session.flush()
    return rows


def release_orphaned_sends(session: Session, *, now: datetime) -> int:
    """Slack deliveries left ``sending``: due again, looked up in Slack first (``needs_check``),
    so a message the dead sender did post is recorded, not posted twice. Only safe under the
    writer lock, which every sender holds while it sends: then no claim belongs to a live one.
    (Without this they wait for the sender's lease, ten minutes.)"""
    from monitor.models import Delivery

    result = session.execute(
        update(Delivery)
        .where(Delivery.kind == "slack", Delivery.state == "sending")
        .values(state="pending", needs_check=True, claim_token=None, next_attempt_at=now)
    )
    return result.rowcount or 0


def heartbeat(
    session: Session, *, host: str, pid: int, since: datetime, now: datetime, next_jobs: list[dict]
) -> None:
    row = session.get(ServiceLeader, LEADER)
    if row is None:
        session.add(
            ServiceLeader(
                name=LEADER,
                host=host,
                pid=pid,
                since=since,
                heartbeat_at=now,
                stopped_at=None,
                next_jobs=next_jobs,
            )
        )
    else:
        row.host, row.pid, row.since, row.heartbeat_at = host, pid, since, now
        row.stopped_at, row.next_jobs = None, next_jobs
    session.flush()


def stopped(session: Session, *, host: str, pid: int, now: datetime) -> None:
    session.execute(
        update(ServiceLeader)
        .where(ServiceLeader.name == LEADER, ServiceLeader.host == host, ServiceLeader.pid == pid)
        .values(stopped_at=now, heartbeat_at=now, next_jobs=[])
    )


def leader(session: Session) -> ServiceLeader | None:
    return session.get(ServiceLeader, LEADER)
