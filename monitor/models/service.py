"""What `monitor serve` leaves in the database: who leads, and every job it ran.

* ``service_leader``: one row (``name = 'leader'``) for the instance that holds the leader lock:
  host, pid, since when it leads, its last heartbeat and its next scheduled jobs. `monitor status`
  reads it from any machine; a heartbeat older than five minutes means no instance is running.
* ``service_runs``: one row per job run, written ``running`` (and committed) before the job
  starts and given its end state (``ok``, ``failed``, ``skipped``) when it ends. A row still
  ``running`` when an instance becomes leader belongs to one that died in the middle of it (kill
  -9, power loss): the new leader marks it ``interrupted`` before running anything.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base

SERVICE_RUN_STATES = ("running", "ok", "failed", "skipped", "interrupted")


class ServiceLeader(Base):
    __tablename__ = "service_leader"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)  # 'leader'
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    since: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]  # set when it stopped cleanly
    next_jobs: Mapped[list]  # [{"job": id, "next_run_at": iso}], soonest first


class ServiceRun(Base):
    __tablename__ = "service_runs"
    __table_args__ = (Index("ix_service_runs_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(120))  # poll:<source> | evaluate | drain | digest
    state: Mapped[str] = mapped_column(String(20), index=True)
    scheduled_for: Mapped[datetime | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    cycle: Mapped[str | None] = mapped_column(String(40))  # the fetch runs' cycle, for polls
    detail: Mapped[str | None] = mapped_column(Text)
