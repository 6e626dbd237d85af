"""What publication pages say about their documents (privacy impact assessments, SORNs, reports
to Congress), one row per revision: a document first seen, or read again with something
changed (its Last Published date, its id, its PDF...), adds a row; nothing is updated in place.
See monitor/publications.py and docs/domain.md#dhs_hart_publications."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base


class PublicationRevision(Base):
    __tablename__ = "publication_revisions"
    __table_args__ = (UniqueConstraint("report_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    revision: Mapped[int]  # 1, 2, ... per report, in the order the monitor saw them
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    parse_id: Mapped[int] = mapped_column(ForeignKey("parses.id"), index=True)
    parser_version: Mapped[str] = mapped_column(String(40))
    document_id: Mapped[str | None] = mapped_column(String(120))  # DHS/OBIM/PIA-004(a)
    kind: Mapped[str] = mapped_column(String(30))  # scrapers.vocabulary.PublicationKind
    title: Mapped[str | None] = mapped_column(Text)
    created: Mapped[date | None] = mapped_column(Date)
    last_published: Mapped[date | None] = mapped_column(Date)
    last_updated: Mapped[date | None] = mapped_column(Date)
    dated: Mapped[date | None] = mapped_column(Date)  # a date printed in the text or on the cover
    dated_precision: Mapped[str | None] = mapped_column(String(10))
    pdf_url: Mapped[str | None] = mapped_column(Text)
    mentions_hart: Mapped[bool]
    summary: Mapped[str | None] = mapped_column(Text)
    sorns: Mapped[list]
    observed_at: Mapped[datetime]  # when the snapshot it was read from was fetched
    body: Mapped[str | None] = mapped_column(Text)  # the PDF's text, when this is the PDF read
