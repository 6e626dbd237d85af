"""fetch runs of listing pages by source, page and time

An absence (a `missing` finding) rests on few of a source's listing reads: per listing page,
the first read after the period's deadline, and each page's last read. The evaluation loaded
every listing read the source ever made instead, and a monitor polling hourly for years has
made a hundred thousand: at a million fetch runs, most of them listing reads, a daily run took
6.0 times as long as at two thousand on SQLite and 3.55 times on PostgreSQL
(bench/daily_run.py --listings).

It now asks for those reads alone (monitor/run_lookups.py). Which pages a source read as
listings is a skip from one page's entries to the next, and a page's first read after an
instant (or its last) is the first entry from there, on ``fetch_runs(source_id, url,
started_at, id)`` restricted to the listing runs: one descent each. The id ends the key so
that reads of one page at one instant come in the order they were made without a sort
(PostgreSQL's indexes do not end with it as SQLite's do). The source's other listing reads are
not read, and its document runs, most of the table when a source polls its reports, are not
in the index.

Revision ID: 0029_listing_read_lookup
Revises: 0028_eval_indexes
"""

from alembic import op
import sqlalchemy as sa

revision = "0029_listing_read_lookup"
down_revision = "0028_eval_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_fetch_runs_listing_pages",
        "fetch_runs",
        ["source_id", "url", "started_at", "id"],
        sqlite_where=sa.text("listing = 1"),
        postgresql_where=sa.text("listing"),
    )


def downgrade() -> None:
    op.drop_index("ix_fetch_runs_listing_pages", table_name="fetch_runs")
