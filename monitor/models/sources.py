"""Sources, fetch runs and snapshots: the evidence trail of every request the monitor makes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base
from scrapers.vocabulary import Outcome, values

# The typed outcome of one fetch (scrapers/vocabulary.py). Stored as a string (not an Enum type
# or a CHECK) so adding one is a code change, not a schema change.
FETCH_OUTCOMES = values(Outcome)
# A run that read the page as it is (scrapers.vocabulary.SUCCESS_OUTCOMES), as literal SQL: SQLite
# uses a partial index only for a query that repeats its condition (not a bound parameter).
SUCCESS_READ = text(
    "outcome IN ("
    + ", ".join(f"'{o}'" for o in values(Outcome.OK, Outcome.NOT_MODIFIED, Outcome.UNCHANGED))
    + ")"
)


class SourceRow(Base):
    """A source as first registered; its declaration lives in scrapers/sources/<id>.py."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    agency: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]


class Snapshot(Base):
    """One body as archived: bytes live in the archive under their sha256, never overwritten.

    A snapshot is the first capture of a given body at a given URL; later fetches of the same
    bytes point their fetch run at it (outcome ``unchanged``).
    """

    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_url_sha256", "url", "sha256", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    content_type: Mapped[str | None] = mapped_column(String(200))
    headers: Mapped[dict]
    fetched_at: Mapped[datetime]
    storage: Mapped[str] = mapped_column(Text)  # archive-relative path of the body


class FetchRun(Base):
    """Exactly one row per fetch attempt, whatever happened."""

    __tablename__ = "fetch_runs"
    __table_args__ = (
        Index("ix_fetch_runs_source_started", "source_id", "started_at"),
        # every poll asks what a URL served last and when (current snapshot,
        # last retrieved, absence): a full scan at a million runs otherwise
        Index("ix_fetch_runs_url_started", "url", "started_at"),
        # a source's listing reads (absence rests on them) without its other runs
        Index("ix_fetch_runs_source_listing_started", "source_id", "listing", "started_at"),
        # an API's requests of the past hour (its budget): the runs of that hour, not all
        Index("ix_fetch_runs_started", "started_at"),
        # what a URL served last: its newest run with a body, not a walk past those without
        Index(
            "ix_fetch_runs_url_bodies",
            "url",
            "started_at",
            sqlite_where=text("snapshot_id IS NOT NULL"),
            postgresql_where=text("snapshot_id IS NOT NULL"),
        ),
        # a document's newest failed fetch: one descent per failure outcome, not a walk back
        # through every run of the URL that did not fail (monitor/run_lookups.py)
        Index("ix_fetch_runs_url_outcome_started", "url", "outcome", "started_at"),
        # the runs an interrupted command's cycle stored (monitor/command_runs.py)
        Index("ix_fetch_runs_cycle", "cycle"),
        # a document's newest fetch that did not fail: one descent, not a walk back through
        # the listing reads of a URL that is also polled as a listing
        # (monitor/run_lookups.py document_runs, 0032_document_run_lookup)
        Index(
            "ix_fetch_runs_document_runs",
            "url",
            "started_at",
            "id",
            sqlite_where=text("listing = 0"),
            postgresql_where=text("NOT listing"),
        ),
        # a source's listing pages and each page's reads around a deadline (absence): one
        # descent per page, not a walk through the source's other listing reads
        # (monitor/run_lookups.py, 0029_listing_read_lookup)
        Index(
            "ix_fetch_runs_listing_pages",
            "source_id",
            "url",
            "started_at",
            "id",
            sqlite_where=text("listing = 1"),
            postgresql_where=text("listing"),
        ),
        # a page's newest successful read before a moment (a report's publication bound):
        # the first entry from it, never the failed reads nor a sort of the URL's three
        # outcome ranges (monitor/report_facts.py, 0030_eval_speed)
        Index(
            "ix_fetch_runs_url_reads",
            "url",
            "started_at",
            sqlite_where=SUCCESS_READ,
            postgresql_where=SUCCESS_READ,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    url: Mapped[str] = mapped_column(Text)
    requested_url: Mapped[str | None] = mapped_column(Text)  # where the request went, if rewritten
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None]
    outcome: Mapped[str] = mapped_column(String(30))
    http_status: Mapped[int | None]
    bytes: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))
    cycle: Mapped[str | None] = mapped_column(String(40))  # groups the runs of one `run --once`
    # Read as a listing page (a start URL, or --listing): with a success outcome, a listing read,
    # the only kind of read an absence (a `missing` finding) can rest on.
    listing: Mapped[bool] = mapped_column(default=False, server_default=false())
