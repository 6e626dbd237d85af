"""report listings: every listing page that linked a report, not only the first

A report linked from two listing pages (the OIS landing page and the special-reports index)
recorded only the first (`reports.listed_on`), so a removal from the other page went unseen, and
a removal from the first was claimed while the other still linked it. `report_listings` keeps one
row per (report, listing page): when the page first and last linked it, and when it stopped
(`removed_at`). A report is removed (`reports.removed_at`) only once every page that carried it
has dropped it.

Existing rows: each report's `listed_on` becomes its one listing row, with the report's
first_seen, last_seen and removed_at. `reports.listed_on` stays: the page it was first seen on.

Revision ID: 0013_report_listings
Revises: 0012_command_runs
"""

from alembic import op
import sqlalchemy as sa
import monitor.models.base


revision = "0013_report_listings"
down_revision = "0012_command_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_listings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("listing_url", sa.Text(), nullable=False),
        sa.Column("first_seen", monitor.models.base.UTCDateTime(), nullable=False),
        sa.Column("last_seen", monitor.models.base.UTCDateTime(), nullable=False),
        sa.Column("removed_at", monitor.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_listings_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_listings")),
        sa.UniqueConstraint(
            "report_id", "listing_url", name=op.f("uq_report_listings_report_id_listing_url")
        ),
    )
    with op.batch_alter_table("report_listings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_listings_report_id"), ["report_id"], unique=False
        )

    op.execute(
        sa.text(
            "INSERT INTO report_listings (report_id, listing_url, first_seen, last_seen, removed_at) "
            "SELECT id, listed_on, first_seen, last_seen, removed_at FROM reports "
            "WHERE listed_on IS NOT NULL"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("report_listings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_listings_report_id"))
    op.drop_table("report_listings")
