"""a page's successful reads by URL and time

A report's publication bound asks of each listing page its newest successful read (ok,
not_modified, unchanged) before the report appeared there, and the newest such read with a body
(monitor/report_facts.py ``_stored_first_round``, monitor/run_lookups.py). PostgreSQL answered
both from ``fetch_runs(url, outcome, started_at)``: three ranges, one per outcome, read whole
and sorted by time for every report (some sixty runs each at 40,000 reports, two seconds of an
evaluation, bench/evaluate.py). ``fetch_runs(url, started_at)`` alone would walk back past
the failed reads.

The successful reads alone, by URL and time: the newest before a moment is the first entry
from it, on both databases. Its own index, not ``outcome`` added to ``(url, started_at)``: a
document's newest failed fetch (0026_fetch_run_outcomes) must keep its own index, and with the
outcome in it PostgreSQL took that one for the failures.

Revision ID: 0030_eval_speed
Revises: 0029_listing_read_lookup
"""

from alembic import op
import sqlalchemy as sa

revision = "0030_eval_speed"
down_revision = "0029_listing_read_lookup"
branch_labels = None
depends_on = None

SUCCESS = "outcome IN ('ok', 'not_modified', 'unchanged')"


def upgrade() -> None:
    op.create_index(
        "ix_fetch_runs_url_reads",
        "fetch_runs",
        ["url", "started_at"],
        sqlite_where=sa.text(SUCCESS),
        postgresql_where=sa.text(SUCCESS),
    )


def downgrade() -> None:
    op.drop_index("ix_fetch_runs_url_reads", table_name="fetch_runs")
