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

from sqlalchemy import Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base


class FigureVersion(Base):
    __tablename__ = "figure_versions"
    __table_args__ = (
        Index(
            "ix_figure_versions_current",
            "is_current",
            "dimension",
            "measure",
            "agency",
            "category",
            "month",
        ),
        Index("ix_figure_versions_window", "agency", "period_start", "period_end"),
        # separation_revisions: the few versions that changed a figure
        Index(
            "ix_figure_versions_revisions",
            "agency",
            "measure",
            "dimension",
            "category",
            sqlite_where=text("previous_value IS NOT NULL AND previous_value <> value"),
            postgresql_where=text("previous_value IS NOT NULL AND previous_value <> value"),
        ),
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
    previous_report_id: Mapped[int | None]  # the report and snapshot of the version before
    previous_snapshot_id: Mapped[int | None]
    # The number's own fields, copied from its observation (which never changes): the views
    # read them here instead of looking the observation up.
    label: Mapped[str | None] = mapped_column(Text)
    label2: Mapped[str | None] = mapped_column(Text)
    page: Mapped[int | None]
    parser_version: Mapped[str | None] = mapped_column(String(40))
