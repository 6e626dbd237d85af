"""listing reads: fetch_runs.listing says a request was read as a listing page

A `missing` finding may rest only on a successful read of a listing page taken after the
deadline, so each fetch run records whether it was read as a listing (a start URL, or a URL
fetched or ingested with --listing).

Existing rows: a run of a URL that some report names as the page that listed it
(`reports.listed_on`) was a listing read; every other run is taken as a report read. Runs of a
listing page that never listed anything stay `false`, which can only make the engine say
`unknown` where it could have said `missing`, never the reverse.

Revision ID: 0008_listing_reads
Revises: 0007_delivery_outbox
"""

from alembic import op
import sqlalchemy as sa


revision = "0008_listing_reads"
down_revision = "0007_delivery_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fetch_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("listing", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    fetch_runs = sa.table(
        "fetch_runs", sa.column("url", sa.Text()), sa.column("listing", sa.Boolean())
    )
    reports = sa.table("reports", sa.column("listed_on", sa.Text()))
    op.execute(
        fetch_runs.update()
        .where(
            fetch_runs.c.url.in_(
                sa.select(reports.c.listed_on).where(reports.c.listed_on.is_not(None))
            )
        )
        .values(listing=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("fetch_runs", schema=None) as batch_op:
        batch_op.drop_column("listing")
