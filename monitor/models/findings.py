"""Findings and their history: what the rules found, what people decided, and every change.

A finding row is identified by the engine's stable key; its ``state`` is a small state machine
(open, acknowledged, snoozed until a date, waived with a reason, resolved). Every change of state
or kind is a ``finding_transitions`` row with an id, dated when it was detected and, where it
applies, at the computed deadline it rests on: delivery (Slack, email) reads these rows through an
outbox keyed on the transition id. Human decisions also go to ``audit_log``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base
from scrapers.vocabulary import FindingState, values

FINDING_STATES = values(FindingState)
# What a transition records. The monitor writes opened/escalated/changed/updated/resolved/
# reopened/snooze_expired; people write acknowledged/snoozed/waived.
TRANSITION_CHANGES = (
    "opened",
    "escalated",
    "changed",
    "updated",
    "resolved",
    "reopened",
    "snooze_expired",
    "acknowledged",
    "snoozed",
    "waived",
)


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_state_obligation", "state", "obligation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of key_text
    key_text: Mapped[str] = mapped_column(Text)  # obligation|family|start|end|subject
    obligation_id: Mapped[str] = mapped_column(String(100), index=True)
    family: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(Text)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    due: Mapped[date | None] = mapped_column(Date)
    deadline_at: Mapped[datetime | None]
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict]
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    waived_reason: Mapped[str | None] = mapped_column(Text)
    first_detected_at: Mapped[datetime]
    changed_at: Mapped[datetime]  # last transition of any kind
    resolved_at: Mapped[datetime | None]
    # sha256 of what the engine last said of it (kind and the fields above it, evidence
    # included; monitor/stored_findings.py): an evaluation compares this, not the evidence.
    # NULL: not known (rows from before it existed); code that changes those fields other
    # than through monitor/findings_sync.py must set it to NULL.
    fingerprint: Mapped[str | None] = mapped_column(String(64))


class FindingTransition(Base):
    __tablename__ = "finding_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    change: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    from_kind: Mapped[str | None] = mapped_column(String(20))
    to_kind: Mapped[str] = mapped_column(String(20))
    detected_at: Mapped[datetime]  # when the monitor (or a person) made the change
    effective_at: Mapped[datetime | None]  # the computed deadline it rests on, where one applies
    actor: Mapped[str | None] = mapped_column(String(200))  # None: the monitor itself
    note: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict | None]


class AuditEntry(Base):
    """Every human action: who, when, what, on what, and why."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))  # acknowledge | snooze | waive | evidence
    target: Mapped[str] = mapped_column(String(200))  # "finding:12" | "obligation:<id>"
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict]


class ManualEvidence(Base):
    """What an analyst learned outside the public sources (`monitor evidence`)."""

    __tablename__ = "manual_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[str] = mapped_column(String(100), index=True)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    evidence_date: Mapped[date] = mapped_column(Date)  # the day the evidenced event happened
    note: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]
    # the document a person confirmed as the evidence (`monitor evidence --from-report`), if any
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
