"""Capture records in the database: how often, and until when, a URL kept serving the same body.

The archive writes a capture record file only when a URL serves something new (a body or a
status that differs from its previous capture); each such file has one row here, and every later
fetch that returns the same body with the same status adds to that row's ``seen_count`` and moves
its ``last_seen_at`` instead of writing a file. See monitor/captures.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base


class CaptureRow(Base):
    __tablename__ = "captures"
    __table_args__ = (Index("ix_captures_url_first_seen_at", "url", "first_seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    url: Mapped[str] = mapped_column(Text)  # redacted, as every stored URL
    requested_url: Mapped[str | None] = mapped_column(Text)  # where the request went, if rewritten
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    http_status: Mapped[int | None]  # None for a document ingested by hand
    first_seen_at: Mapped[datetime]  # the capture the file records
    last_seen_at: Mapped[datetime]  # the latest fetch that returned the same body and status
    seen_count: Mapped[int]  # fetches that returned it, the first included
    record: Mapped[str] = mapped_column(Text)  # archive-relative path of the capture file
