"""What the last recorded evaluation of each obligation rested on (``obligation_evaluations``).

One row per obligation, rewritten whenever an evaluation whose findings are recorded includes
it: the instant it was evaluated as of, a digest of its rule and the settings that shape its
findings, and the highest ids of the rows its facts come from (fetch runs, parses, source health
events, manual evidence) at that moment. An incremental evaluation (monitor/incremental.py)
re-evaluates an obligation only when one of these moved, or when time alone can change its
findings (a deadline passed, a source went stale, a snooze ran out).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base


class ObligationEvaluation(Base):
    __tablename__ = "obligation_evaluations"

    obligation_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    as_of: Mapped[datetime]  # the instant its findings were evaluated as of
    evaluated_at: Mapped[datetime]  # when that evaluation ran
    digest: Mapped[str] = mapped_column(String(64))  # its rule, sources and settings
    fetch_run_id: Mapped[int]  # the highest ids then (0: none)
    parse_id: Mapped[int]
    health_event_id: Mapped[int]
    evidence_id: Mapped[int]
