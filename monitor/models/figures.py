"""Published figures, version by version: what the analyst views read.

``count_observations`` holds every number every parse read. ``figure_versions`` holds, for each
figure (agency, measure, dimension, category, second dimension and category, period), one row
per report snapshot that gave it: its value (the newest parse of that snapshot; several printed
rows of one table mapping to the same category are added up), the version before it, and
whether it is the current one (newest report, then newest snapshot). It is derived data,
rebuilt for the affected agency and months whenever a parse is stored (monitor/figures.py), so
that "the current figure per month" is an indexed lookup instead of a window over every
observation. Only figures with a known period are kept.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base


class FigureVersion(Base):
    __tablename__ = "figure_versions"
    __table_args__ = (
        Index("ix_figure_versions_current", "is_current", "dimension", "measure", "agency",
              "category", "month"),
        Index("ix_figure_versions_window", "agency", "period_start", "period_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("count_observations.id"), unique=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    agency: Mapped[str] = mapped_column(String(50))
    source_id: Mapped[str] = mapped_column(String(100))
    measure: Mapped[str] = mapped_column(String(60))
    dimension: Mapped[str] = mapped_column(String(60))
    category: Mapped[str] = mapped_column(String(120))
    dimension2: Mapped[str] = mapped_column(String(60))  # '' when the figure has none
    category2: Mapped[str] = mapped_column(String(120))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    month: Mapped[str | None] = mapped_column(String(7))  # YYYY-MM when one calendar month
    value: Mapped[int]
    seen_at: Mapped[datetime]  # when the snapshot giving this version was fetched
    is_current: Mapped[bool]
    previous_observation_id: Mapped[int | None]
    previous_value: Mapped[int | None]
