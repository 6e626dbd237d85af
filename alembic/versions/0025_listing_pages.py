"""listing pages: which reading of a listing page its report rows were last brought in step with

`listing_pages` holds, per listing page URL, the snapshot and parser version whose links were
last applied to `report_listings` and `reports` (monitor.store.record_listing), and whether
that reading was complete (not capped by `max_links_per_listing`). A poll that reads the same
body with the same parser again (a 304, or the same bytes) then knows the page links exactly
the reports its rows say it links, and marks them seen with two set-based UPDATEs instead of
comparing every link (bench/poll_cycle.py: an unchanged listing page in at most 5 statements).

Existing databases start with no rows: the first read of each page after the upgrade compares
its links as before and records its reading.

Revision ID: 0025_listing_pages
Revises: 0024_congress_keys
"""

from alembic import op
import sqlalchemy as sa

from monitor.models.base import UTCDateTime

revision = "0025_listing_pages"
down_revision = "0024_congress_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listing_pages",
        sa.Column("listing_url", sa.Text(), nullable=False),
        sa.Column("source_id", sa.String(100), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("parser_version", sa.String(40), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("applied_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_listing_pages_source_id_sources"
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"], ["snapshots.id"], name="fk_listing_pages_snapshot_id_snapshots"
        ),
        sa.PrimaryKeyConstraint("listing_url", name="pk_listing_pages"),
    )


def downgrade() -> None:
    op.drop_table("listing_pages")
