"""listing pages: when each page was last read unchanged, kept on the page

A poll that reads a listing page's same reading again (a 304, or the same bytes) marked every
report the page links and every one of its `report_listings` rows seen now: two UPDATEs over
forty rows a page, half the writer's time for an unchanged page (bench/poll_cycle.py). The
time goes on the page's `listing_pages` row instead (`seen_at`, one UPDATE of one row); a row
not removed, and its report, were also seen at their page's `seen_at`
(monitor/listing_seen.py). The rows are brought up to it before the page's reading changes.

Existing rows get `seen_at` = `applied_at`: every read since was written to the rows
themselves, so nothing is pending. The downgrade writes each page's pending time into its rows
and reports first, so nothing is lost going back.

Revision ID: 0031_listing_seen
Revises: 0030_eval_speed
"""

from alembic import op
import sqlalchemy as sa

from monitor.models.base import UTCDateTime

revision = "0031_listing_seen"
down_revision = "0030_eval_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("listing_pages", sa.Column("seen_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE listing_pages SET seen_at = applied_at")
    with op.batch_alter_table("listing_pages") as batch:
        batch.alter_column("seen_at", existing_type=UTCDateTime(), nullable=False)


# A page's pending time: its rows not removed, of the page's source, and their reports.
_PAGE_SEEN = """
    SELECT max(lp.seen_at) FROM report_listings rl
    JOIN listing_pages lp ON lp.listing_url = rl.listing_url
    WHERE rl.report_id = reports.id AND rl.removed_at IS NULL
      AND lp.source_id = reports.source_id AND lp.seen_at > lp.applied_at
"""
_ROW_SEEN = """
    SELECT lp.seen_at FROM listing_pages lp JOIN reports r ON r.source_id = lp.source_id
    WHERE lp.listing_url = report_listings.listing_url AND r.id = report_listings.report_id
      AND lp.seen_at > lp.applied_at
"""


def downgrade() -> None:
    op.execute(
        f"UPDATE reports SET last_seen = ({_PAGE_SEEN}), removed_at = NULL "
        f"WHERE last_seen < ({_PAGE_SEEN})"
    )
    op.execute(
        f"UPDATE report_listings SET last_seen = ({_ROW_SEEN}) "
        f"WHERE removed_at IS NULL AND last_seen < ({_ROW_SEEN})"
    )
    with op.batch_alter_table("listing_pages") as batch:
        batch.drop_column("seen_at")
