"""fetch runs of documents by URL and time

A listed document's fetch state (monitor/run_lookups.py ``document_runs``) asks for its newest
fetch that did not fail, as a document (not as a listing). On ``fetch_runs(url, started_at)``
that walked back through every listing read of a URL that is also polled as a listing (a
source's start page linked from its own listing): about 70 ms of a daily run at a million fetch
runs on SQLite (bench/daily_run.py --listings). Restricted to the document runs, the index
answers it in one descent. The id ends the key so that two runs at one instant come newest
first without a sort.

Revision ID: 0032_document_run_lookup
Revises: 0031_listing_seen
"""

from alembic import op
import sqlalchemy as sa

revision = "0032_document_run_lookup"
down_revision = "0031_listing_seen"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_fetch_runs_document_runs",
        "fetch_runs",
        ["url", "started_at", "id"],
        sqlite_where=sa.text("listing = 0"),
        postgresql_where=sa.text("NOT listing"),
    )


def downgrade() -> None:
    op.drop_index("ix_fetch_runs_document_runs", table_name="fetch_runs")
