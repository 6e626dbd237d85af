"""fetch runs by source and kind, by URL among those that brought a body, and by time

Three indexes for what a daily run asks of fetch_runs, which grows by every request ever made
(bench/daily_run.py: a daily run at a million fetch runs took 14.8 times as long as at two
thousand).

Listing reads. A daily run asks of each source when its listing was last read, every listing read it made
(the absence checks rest on them) and, for a source read through an API, when its listings
were last polled. ``fetch_runs(source_id, started_at)`` finds the source but then reads every
run it ever made to keep the few listing reads: at a million fetch runs that was 2.3 s of a
daily run on SQLite and a sequential scan on PostgreSQL (bench/daily_run.py). With ``listing``
between the two the listing reads are one range of the index.

Bodies by URL. What a URL served last (the current snapshot, when a body was last retrieved,
the summary's current parse problems) is its newest run with a snapshot. On
``fetch_runs(url, started_at)`` that is a walk back past every run without one (failures,
or runs written without their snapshot), each read from the table: a
partial index of the runs that have a snapshot makes it the first entry of the URL's range.

By time. A JSON API's requests of the past hour (its budget, counted before each poll of a
source read through it) are runs on its base URL, a prefix LIKE no index serves: a scan of
the whole table per poll. An index on started_at makes them the last hour's range.

Revision ID: 0021_fetch_run_lookups
Revises: 0015_hart_publications
"""

from alembic import op
import sqlalchemy as sa

revision = "0021_fetch_run_lookups"
down_revision = "0015_hart_publications"
branch_labels = None
depends_on = None


WITH_BODY = sa.text("snapshot_id IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_fetch_runs_source_listing_started", "fetch_runs", ["source_id", "listing", "started_at"]
    )
    op.create_index("ix_fetch_runs_started", "fetch_runs", ["started_at"])
    op.create_index(
        "ix_fetch_runs_url_bodies",
        "fetch_runs",
        ["url", "started_at"],
        sqlite_where=WITH_BODY,
        postgresql_where=WITH_BODY,
    )


def downgrade() -> None:
    op.drop_index("ix_fetch_runs_url_bodies", table_name="fetch_runs")
    op.drop_index("ix_fetch_runs_started", table_name="fetch_runs")
    op.drop_index("ix_fetch_runs_source_listing_started", table_name="fetch_runs")
