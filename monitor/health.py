"""Source health: is the monitor currently able to read a source?

A broken scraper is not a non-compliant agency. The rules engine reads ``source_health`` and
treats a failing or broken source's obligations as unknown, never as missing. The state is
stored rather than recomputed from fetch runs so the engine reads one row, and each change of
state is a ``source_health_events`` row of its own so alerts fire on the change, not the state.

States: ``healthy`` after a successful poll; ``failing`` after 1..N-1 consecutive failed polls;
``broken`` after N (``settings.broken_after``). The first success ever sets
``first_success_at``: the moment the monitor began to watch the source.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, update
from sqlalchemy.orm import Session

from monitor.models import SourceHealth, SourceHealthEvent
from monitor.upsert import insert_or_ignore


@dataclass(frozen=True)
class HealthChange:
    before: str | None  # None: the source had never been polled
    after: str
    consecutive_failures: int

    @property
    def changed(self) -> bool:
        return self.before != self.after


def state_for(consecutive_failures: int, broken_after: int) -> str:
    if consecutive_failures <= 0:
        return "healthy"
    return "broken" if consecutive_failures >= broken_after else "failing"


def health_of(session: Session, source_id: str) -> SourceHealth | None:
    return session.get(SourceHealth, source_id)


def record_poll(
    session: Session,
    source_id: str,
    *,
    failed: bool,
    outcome: str,
    error: str | None,
    now: datetime,
    broken_after: int,
    exists: bool | None = None,
) -> HealthChange:
    """Fold one poll's result into the source's health; write an event if the state changed.

    The counter is kept by the database (``consecutive_failures = consecutive_failures + 1``),
    never read-modify-written here, and the state moves with a conditional UPDATE whose row
    count says whether this poll made the change, so two polls of one source at once count two
    failures and write one event per change. The source row must exist (the poll ensures it).
    Flushes, does not commit.

    ``exists``: whether the source's health row existed as the cycle began (the cycle's plan:
    monitor/poll_plan.py); None, not known. A row known to exist is not inserted first; a row
    known not to exist is inserted with this poll's result, and the state's event, at once.
    """
    session.flush()
    if exists is False:
        change = _first_poll(session, source_id, failed, outcome, error, now, broken_after)
        if change is not None:
            return change
    first_seen = exists is not True and insert_or_ignore(
        session,
        SourceHealth,
        dict(source_id=source_id, state="healthy", consecutive_failures=0, changed_at=now),
    )
    # Core statements on the session's connection (built once): no ORM execution for a row
    # the session does not hold
    execute = session.connection().execute
    row = execute(
        _fold_statement(failed),
        {"p_source": source_id, "p_now": now, "p_error": error, "p_outcome": outcome},
    ).one()
    failures = row.consecutive_failures
    before = None if first_seen else row.state
    after = state_for(failures, broken_after)
    move = {"m_source": source_id, "m_before": before, "m_after": after, "m_now": now}
    moved = after != before and (first_seen or execute(_move_statement(), move).rowcount == 1)
    if first_seen and after != "healthy":
        execute(_move_statement(False), move)
    if moved:
        _note_change(session, source_id, now, before, after, outcome, failures, failed, error)
    cached = session.identity_map.get((SourceHealth, (source_id,), None))
    if cached is not None:
        session.expire(cached)  # the ORM copy predates the UPDATEs above
    return HealthChange(before, after, failures)


def _first_poll(
    session: Session,
    source_id: str,
    failed: bool,
    outcome: str,
    error: str | None,
    now: datetime,
    broken_after: int,
) -> HealthChange | None:
    """The source's first poll: its health row inserted with the poll's result (one
    statement), and the event of its first state. None when another writer inserted the row
    first (the caller then folds this poll in as usual)."""
    failures = 1 if failed else 0
    state = state_for(failures, broken_after)
    values = dict(
        source_id=source_id,
        state=state,
        consecutive_failures=failures,
        last_outcome=outcome,
        last_error=error if failed else None,
        last_failure_at=now if failed else None,
        last_success_at=None if failed else now,
        first_success_at=None if failed else now,
        changed_at=now,
    )
    if not insert_or_ignore(session, SourceHealth, values):
        return None
    _note_change(session, source_id, now, None, state, outcome, failures, failed, error)
    return HealthChange(None, state, failures)


def _note_change(
    session: Session,
    source_id: str,
    now: datetime,
    before: str | None,
    after: str,
    outcome: str,
    failures: int,
    failed: bool,
    error: str | None,
) -> None:
    """The event of one change of state (alerts fire on it): one Core INSERT, built once."""
    session.connection().execute(
        _event_insert(),
        dict(
            source_id=source_id,
            at=now,
            from_state=before,
            to_state=after,
            outcome=outcome,
            consecutive_failures=failures,
            detail=error if failed else None,
        ),
    )


@functools.cache
def _event_insert():
    from sqlalchemy import insert

    return insert(SourceHealthEvent.__table__)


@functools.cache
def _move_statement(from_state: bool = True):
    """The UPDATE that moves the state (built once): only from the state this poll found
    (``from_state``), so that of two polls at once one makes the change."""
    table = SourceHealth.__table__
    where = [table.c.source_id == bindparam("m_source")]
    if from_state:
        where.append(table.c.state == bindparam("m_before"))
    return (
        update(table)
        .where(*where)
        .values(
            state=bindparam("m_after", type_=table.c.state.type),
            changed_at=bindparam("m_now", type_=table.c.changed_at.type),
        )
    )


@functools.cache
def _fold_statement(failed: bool):
    """The UPDATE that folds one poll into the row (built once; run with the poll's values)."""
    table = SourceHealth.__table__
    now = bindparam("p_now", type_=table.c.changed_at.type)
    outcome = bindparam("p_outcome", type_=table.c.last_outcome.type)
    if failed:
        values = dict(
            consecutive_failures=table.c.consecutive_failures + 1,
            last_failure_at=now,
            last_error=bindparam("p_error", type_=table.c.last_error.type),
            last_outcome=outcome,
        )
    else:
        values = dict(
            consecutive_failures=0,
            last_success_at=now,
            last_error=None,
            last_outcome=outcome,
            first_success_at=func.coalesce(table.c.first_success_at, now),
        )
    return (
        update(table)
        .where(table.c.source_id == bindparam("p_source"))
        .values(**values)
        .returning(table.c.consecutive_failures, table.c.state)
    )
