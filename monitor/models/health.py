"""Source health and HTTP validators: what fetching remembers between runs.

Health is stored (not recomputed from runs) so the rules engine can read one row per source, and
every change of state is a row of its own so alerts can fire on the change, not on the state.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base
from scrapers.vocabulary import HealthState, values

HEALTH_STATES = values(HealthState)


class SourceHealth(Base):
    __tablename__ = "source_health"

    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    consecutive_failures: Mapped[int]
    last_outcome: Mapped[str | None] = mapped_column(String(30))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    first_success_at: Mapped[datetime | None]  # when the monitor began to see this source
    changed_at: Mapped[datetime]  # when `state` last changed


class SourceHealthEvent(Base):
    """One row per change of a source's health state (healthy -> broken and back)."""

    __tablename__ = "source_health_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    at: Mapped[datetime]
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(30))
    consecutive_failures: Mapped[int]
    detail: Mapped[str | None] = mapped_column(Text)


class HttpValidator(Base):
    """ETag / Last-Modified last seen per URL, for conditional GET."""

    __tablename__ = "http_validators"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]
