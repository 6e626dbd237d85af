"""Writing commands on record, so one that was killed half-way is marked, not forgotten.

:func:`begin` runs right after the writer lock is taken. The lock is held by every writing
command for its whole life, so a row still ``running`` at that moment belongs to a process that
is gone without finishing (kill -9, a crash, a power cut): it is marked ``interrupted`` with what
its cycle had stored. What an interrupted command had not committed was rolled back by the
database; bodies it had archived stay in the archive (``monitor archive verify`` counts them).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.models import CommandRun, FetchRun

log = logging.getLogger(__name__)


def begin(session: Session, command: str, now: datetime) -> tuple[CommandRun, list[CommandRun]]:
    """Record ``command`` as running; mark every row left ``running`` as interrupted. The
    caller holds the writer lock. Returns (this command's row, the rows just marked)."""
    marked = list(
        session.scalars(
            select(CommandRun).where(CommandRun.state == "running").order_by(CommandRun.id)
        )
    )
    for row in marked:
        # one range of fetch_runs(cycle) (0026_fetch_run_outcomes), not a read of the table
        stored = (
            session.scalar(
                select(func.count()).select_from(FetchRun).where(FetchRun.cycle == row.cycle)
            )
            if row.cycle
            else 0
        )
        row.state, row.finished_at = "interrupted", now
        row.detail = (
            f"ended without finishing (killed or crashed); found by pid "
            f"{os.getpid()} ({command}); "
            + (
                f"{stored} fetch run(s) of its cycle had been stored, the poll under "
                "way was rolled back"
                if row.cycle
                else "it had not begun to fetch"
            )
        )
        log.warning(
            "an earlier command was interrupted",
            extra={
                "command": row.command,
                "pid": row.pid,
                "started_at": row.started_at,
                "cycle": row.cycle,
                "fetch_runs_stored": stored,
            },
        )
    row = CommandRun(command=command, pid=os.getpid(), started_at=now, state="running")
    session.add(row)
    session.flush()
    return row, marked


def note_cycle(session: Session, run_id: int | None, cycle: str) -> None:
    """The cycle id of the fetch runs this command writes (run --once, fetch)."""
    if run_id is not None:
        row = session.get(CommandRun, run_id)
        if row is not None and row.cycle is None:
            row.cycle = cycle


def end(
    session: Session, run_id: int, exit_status: int, now: datetime, error: str | None = None
) -> None:
    row = session.get(CommandRun, run_id)
    if row is None:
        return
    row.state = "failed" if error else "finished"  # finished: ran to its end, whatever its status
    row.exit_status, row.finished_at, row.detail = exit_status, now, error


def recent_interrupted(session: Session, limit: int = 5) -> list[CommandRun]:
    return list(
        session.scalars(
            select(CommandRun)
            .where(CommandRun.state == "interrupted")
            .order_by(CommandRun.started_at.desc())
            .limit(limit)
        )
    )
