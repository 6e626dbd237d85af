"""People's decisions on the documents the monitor proposes for an obligation a person confirms
(the HART disclosure): `monitor evidence OBLIGATION --from-report REPORT_ID` confirms one,
`--reject-report REPORT_ID --reason TEXT` rejects one. One row per decision, never updated or
deleted: for one document and one obligation the latest stands (rules/decisions.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base

DECISIONS = ("confirmed", "rejected")


class CandidateDecision(Base):
    __tablename__ = "candidate_decisions"
    __table_args__ = (
        Index("ix_candidate_decisions_obligation_report", "obligation_id", "report_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[str] = mapped_column(String(100))
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    decision: Mapped[str] = mapped_column(String(20))  # confirmed | rejected
    # the publication revision the person judged, and its publication date as the monitor read
    # it (None: no revision, or no date read)
    revision: Mapped[int | None]
    published: Mapped[date | None] = mapped_column(Date)
    # a confirmation's manual evidence (the row that fulfils the obligation)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("manual_evidence.id"))
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)
