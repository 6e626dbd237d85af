"""Reports and what was read from them. Observations are append-only: re-parsing or a revised
report adds rows tagged with their snapshot and parser version; nothing is updated in place."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base


class Report(Base):
    """A published report, identified by its URL within a source. Metadata is the latest read."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("source_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    issued: Mapped[date | None] = mapped_column(Date)
    issued_precision: Mapped[str | None] = mapped_column(String(10))  # day | month | year
    fiscal_year: Mapped[int | None]
    authorities: Mapped[list]
    page_count: Mapped[int | None]
    first_seen: Mapped[datetime]
    # the last time it was seen, up to its listing pages' last readings that changed their
    # rows; a page that linked it since says so (monitor/listing_seen.py)
    last_seen: Mapped[datetime]
    removed_at: Mapped[datetime | None]
    # the listing page it was first seen on (every page that linked it: ReportListing)
    listed_on: Mapped[str | None] = mapped_column(Text)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))  # latest read
    # The period its link names ("July 2022", july-2022/; scrapers/interpret/linkperiod.py), if any: for a
    # document not read, which periods it could be (never its data period).
    link_period_start: Mapped[date | None] = mapped_column(Date)
    link_period_end: Mapped[date | None] = mapped_column(Date)
    # How fetching it goes: None (never fetched by a poll), ok, failing, or unreachable after
    # unreachable_after failed fetches in a row; the poll of its source succeeds either way.
    fetch_state: Mapped[str | None] = mapped_column(String(20))
    fetch_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    last_fetch_error: Mapped[str | None] = mapped_column(Text)
    last_fetch_at: Mapped[datetime | None]


class ReportListing(Base):
    """One listing page that linked a report: since when, until when, and when it stopped. A
    report is removed (``Report.removed_at``) only once every page that carried it dropped it."""

    __tablename__ = "report_listings"
    __table_args__ = (UniqueConstraint("report_id", "listing_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    listing_url: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime]  # the first read of the page that linked it
    # the last read of the page that linked it, up to the page's last reading that changed its
    # rows; a row not removed was also seen at its ``listing_pages.seen_at``
    # (monitor/listing_seen.py)
    last_seen: Mapped[datetime]
    removed_at: Mapped[datetime | None]  # the first read of the page that no longer did


class ListingPage(Base):
    """The reading of a listing page whose links ``report_listings`` and ``reports`` were last
    brought in step with (monitor.store.record_listing): reading the same snapshot with the same
    parser again, complete both times, the page links exactly the reports its rows say."""

    __tablename__ = "listing_pages"

    listing_url: Mapped[str] = mapped_column(Text, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    parser_version: Mapped[str] = mapped_column(String(40))
    complete: Mapped[bool]
    applied_at: Mapped[datetime]
    # The last read of the page that found this same reading (``applied_at`` when there was
    # none since). Its report rows not removed, of this source, and their reports were seen
    # then: a read that changes nothing is one UPDATE of this column, not of every row the page
    # links (monitor/listing_seen.py reads the rows' seen times with it).
    seen_at: Mapped[datetime]


class Parse(Base):
    """One application of one parser version to one snapshot. Unique, so re-running is a no-op."""

    __tablename__ = "parses"
    __table_args__ = (UniqueConstraint("snapshot_id", "parser_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    parser_version: Mapped[str] = mapped_column(String(40))
    parsed_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(
        String(30)
    )  # ok | layout_changed | empty | parse_error | wrong_type
    reports: Mapped[int]
    counts: Mapped[int]
    links: Mapped[list]  # links a listing page yielded: [{"url", "title", "description"}]


class ParseProblem(Base):
    __tablename__ = "parse_problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    parse_id: Mapped[int] = mapped_column(ForeignKey("parses.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
    page: Mapped[int | None]


# Labels in ix_count_observations_label, and the others (a literal the query repeats, so that
# SQLite sees the index applies: it cannot tell of a bound parameter).
SHORT_LABEL = text("length(label) <= 200")
LONG_LABEL = text("length(label) > 200")


class CountObservation(Base):
    """One number as printed in one snapshot, read by one parser version."""

    __tablename__ = "count_observations"
    __table_args__ = (
        Index("ix_count_observations_report_measure", "report_id", "measure", "dimension"),
        # the first row of each table of each reading: the first entry of each group, read in
        # index order without the table (monitor/report_facts.py; ``id`` last for PostgreSQL,
        # where an index holds no row id it can return)
        Index(
            "ix_count_observations_report_parse_table",
            "report_id",
            "parse_id",
            "measure",
            "dimension",
            "id",
        ),
        # the labels read (one descent each) and, of the labels that leave the origin open,
        # the first row of each reading, without the table (monitor/report_facts.py). Only
        # labels of a bounded length: PostgreSQL refuses an index entry over 2,704 bytes, and
        # a cell read as a label could be a paragraph; the few longer ones have their own.
        Index(
            "ix_count_observations_label",
            "label",
            "report_id",
            "parse_id",
            "id",
            sqlite_where=SHORT_LABEL,
            postgresql_where=SHORT_LABEL,
        ),
        Index(
            "ix_count_observations_long_label",
            "report_id",
            sqlite_where=LONG_LABEL,
            postgresql_where=LONG_LABEL,
        ),
        # analysts' questions: one measure by one dimension over a span of months
        Index("ix_count_observations_measure_period", "measure", "dimension", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    parse_id: Mapped[int] = mapped_column(ForeignKey("parses.id"), index=True)
    parser_version: Mapped[str] = mapped_column(String(40))
    measure: Mapped[str] = mapped_column(String(60))
    dimension: Mapped[str] = mapped_column(String(60))
    category: Mapped[str] = mapped_column(String(120))
    label: Mapped[str] = mapped_column(Text)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    page: Mapped[int | None]
    observed_at: Mapped[datetime]
    # A cell of a cross-tabulated table where neither dimension is a period (age by sector):
    # the second dimension, its category and its header as printed; NULL otherwise.
    dimension2: Mapped[str | None] = mapped_column(String(60))
    category2: Mapped[str | None] = mapped_column(String(120))
    label2: Mapped[str | None] = mapped_column(Text)


class Statement(Base):
    """A required statement as found (or not) in one snapshot, e.g. the foreign-government basis."""

    __tablename__ = "statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    parse_id: Mapped[int] = mapped_column(ForeignKey("parses.id"), index=True)
    parser_version: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(30))
    value: Mapped[float | None] = mapped_column(Float)
    quote: Mapped[str | None] = mapped_column(Text)
    page: Mapped[int | None]
    observed_at: Mapped[datetime]
