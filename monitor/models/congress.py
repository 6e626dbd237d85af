"""Congress's own record, as the Congress.gov sources read it (``scrapers/interpret/congress.py``): House
reporting requirements and the executive communications the House and Senate received.

Append-only like every observation: each reading of a requirement or communication is a row
with the snapshot and parser version it came from, never updated. The current state of a
requirement is its newest reading; a communication is every reading of its key taken together
(a mention in a requirement's matching list adds a requirement number; its own page adds the
date received, the agency and the text). ``monitor/congress_facts.py`` folds them for the
engine.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base


class CongressRequirementRow(Base):
    __tablename__ = "congress_requirements"
    __table_args__ = (UniqueConstraint("number", "parse_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    number: Mapped[int] = mapped_column(index=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    parse_id: Mapped[int] = mapped_column(ForeignKey("parses.id"))
    parser_version: Mapped[str] = mapped_column(String(40))
    observed_at: Mapped[datetime]
    url: Mapped[str | None] = mapped_column(Text)  # redacted
    update_date: Mapped[date | None]
    parent_agency: Mapped[str | None] = mapped_column(Text)
    submitting_agency: Mapped[str | None] = mapped_column(Text)
    submitting_official: Mapped[str | None] = mapped_column(Text)
    frequency: Mapped[str | None] = mapped_column(Text)
    nature: Mapped[str | None] = mapped_column(Text)
    legal_authority: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool | None]
    matching_count: Mapped[int | None]
    laws: Mapped[list]  # ["116-94 sec. 235", "116-93"]


class CongressCommunicationRow(Base):
    __tablename__ = "congress_communications"
    __table_args__ = (UniqueConstraint("key", "parse_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    key: Mapped[str] = mapped_column(String(60), index=True)  # house/117/ec/1599
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    parse_id: Mapped[int] = mapped_column(ForeignKey("parses.id"))
    parser_version: Mapped[str] = mapped_column(String(40))
    observed_at: Mapped[datetime]
    chamber: Mapped[str] = mapped_column(String(10))
    congress: Mapped[int]
    type_code: Mapped[str] = mapped_column(String(10))
    number: Mapped[int]
    detail: Mapped[bool]  # read from its own page (False: a mention in a matching list)
    url: Mapped[str | None] = mapped_column(Text)  # redacted
    received_on: Mapped[date | None]
    congressional_record_date: Mapped[date | None]
    agency: Mapped[str | None] = mapped_column(Text)
    abstract: Mapped[str | None] = mapped_column(Text)
    legal_authority: Mapped[str | None] = mapped_column(Text)
    report_nature: Mapped[str | None] = mapped_column(Text)
    requirement_numbers: Mapped[list]
    laws: Mapped[list]
    committees: Mapped[list]
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    period_text: Mapped[str | None] = mapped_column(Text)


class CongressTerm(Base):
    """What one reading of a communication can be matched by (``rules/congress.py``): each
    requirement number the House matched it to (``req:90235``) and each public law it cites
    (``law:116-94``, without the section: the engine compares sections). With the reading's key,
    instant and period end, so the engine's facts select the communications an obligation can
    match with one indexed query instead of reading them all (``monitor/congress_facts.py``)."""

    __tablename__ = "congress_terms"
    __table_args__ = (Index("ix_congress_terms_term", "term", "observed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    communication_id: Mapped[int] = mapped_column(ForeignKey("congress_communications.id"))
    key: Mapped[str] = mapped_column(String(60))
    term: Mapped[str] = mapped_column(String(40))
    observed_at: Mapped[datetime]
    period_end: Mapped[date | None]


def requirement_term(number: int) -> str:
    return f"req:{number}"


def law_term(law: str) -> str:
    """``116-94 sec. 235`` -> ``law:116-94``."""
    return "law:" + law.partition(" sec. ")[0].strip()


def communication_terms(requirement_numbers, laws) -> list[str]:
    """The terms of one reading, each once."""
    terms = [requirement_term(n) for n in requirement_numbers or ()]
    terms += [law_term(law) for law in laws or () if law]
    return list(dict.fromkeys(t for t in terms if len(t) <= 40))
