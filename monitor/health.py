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

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.models import SourceHealth, SourceHealthEvent


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


def record_poll(session: Session, source_id: str, *, failed: bool, outcome: str,
                error: str | None, now: datetime, broken_after: int) -> HealthChange:
    """Fold one poll's result into the source's health; write an event if the state changed.

    The source row must exist (the poll ensures it). Flushes, does not commit.
    """
    row = session.get(SourceHealth, source_id)
    before = row.state if row is not None else None
    if row is None:
        row = SourceHealth(source_id=source_id, state="healthy", consecutive_failures=0,
                           changed_at=now)
        session.add(row)
    if failed:
        row.consecutive_failures += 1
        row.last_failure_at = now
        row.last_error = error
    else:
        row.consecutive_failures = 0
        row.last_success_at = now
        row.last_error = None
        if row.first_success_at is None:
            row.first_success_at = now
    row.last_outcome = outcome
    after = state_for(row.consecutive_failures, broken_after)
    if after != before:
        row.state = after
        row.changed_at = now
        session.add(SourceHealthEvent(source_id=source_id, at=now, from_state=before,
                                      to_state=after, outcome=outcome,
                                      consecutive_failures=row.consecutive_failures,
                                      detail=error if failed else None))
    session.flush()
    return HealthChange(before, after, row.consecutive_failures)
