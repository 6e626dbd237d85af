"""Commands that wrote to the database: when each began and how it ended.

A row is written (and committed) when a writing command has taken the writer lock, and closed
when it ends. The writer lock makes a row still ``running`` when the next writer takes the lock
proof that its process died without finishing (kill -9, a crash, a power cut): that writer marks
it ``interrupted``. ``monitor runs`` shows them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base

# finished: ran to its end (exit_status 0 or 1); failed: stopped by an error (detail says which);
# interrupted: its process died while it ran (marked by the next command that wrote).
COMMAND_STATES = ("running", "finished", "failed", "interrupted")


class CommandRun(Base):
    __tablename__ = "command_runs"
    __table_args__ = (Index("ix_command_runs_state", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    command: Mapped[str] = mapped_column(String(100))  # "monitor run": never its arguments
    pid: Mapped[int]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(20))
    exit_status: Mapped[int | None]
    cycle: Mapped[str | None] = mapped_column(String(40))  # its fetch runs' cycle, if any
    detail: Mapped[str | None] = mapped_column(Text)
