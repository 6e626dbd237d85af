"""Reporting requirements found in official texts (``scrapers/discovery``), kept for a person to
review, and the rule citations an official text has verified.

A candidate is not a rule: it waits in ``requirement_candidates`` with its quote as evidence
until a person adopts it (a draft rule file is written) or rejects it (with a reason). A
candidate whose words are an existing rule's citation verifies that citation instead, recorded
in ``citation_verifications``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base

# new: waiting for review; adopted: a draft rule was written; rejected: a person said it is not
# one; verifies: it is the text of an existing rule's citation.
CANDIDATE_STATUSES = ("new", "adopted", "rejected", "verifies")


class RequirementCandidate(Base):
    __tablename__ = "requirement_candidates"

    id: Mapped[str] = mapped_column(String(12), primary_key=True)  # Candidate.id: package + words
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    package_id: Mapped[str] = mapped_column(String(120), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    page: Mapped[str | None] = mapped_column(String(40))
    agency: Mapped[str] = mapped_column(String(20))
    recipients: Mapped[list]
    cadence: Mapped[str] = mapped_column(String(20))
    days: Mapped[int | None]
    hours: Mapped[int | None]
    deadline_phrase: Mapped[str | None] = mapped_column(Text)
    topics: Mapped[list]
    quote: Mapped[str] = mapped_column(Text)
    details: Mapped[dict]  # Candidate.to_json(): every field discovery read
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))  # first text it was in
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    obligation_id: Mapped[str | None] = mapped_column(String(120))  # adopted as / verifies
    citation_id: Mapped[str | None] = mapped_column(String(120))  # the citation it verifies


class CitationVerification(Base):
    """A rule citation's words found in an official text: which text, where, and when."""

    __tablename__ = "citation_verifications"
    __table_args__ = (UniqueConstraint("obligation_id", "citation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[str] = mapped_column(String(120))
    citation_id: Mapped[str] = mapped_column(String(120))
    candidate_id: Mapped[str | None] = mapped_column(ForeignKey("requirement_candidates.id"))
    package_id: Mapped[str] = mapped_column(String(120))
    url: Mapped[str | None] = mapped_column(Text)
    quote: Mapped[str] = mapped_column(Text)  # the official words, as the text prints them
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    verified_at: Mapped[datetime]
