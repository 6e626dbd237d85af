"""listed document state: per report, how its fetches go and which period its link names

One listed report that could not be fetched failed every poll of its source (the source ended
`broken`), and any listed document not yet read kept every period `unknown`. Each report now
keeps its own fetch state (`fetch_state`: ok, failing, or unreachable after
`unreachable_after` failed fetches in a row; `fetch_failures`; `last_fetch_error`;
`last_fetch_at`), and the period its link names (`link_period_start`, `link_period_end`: "July
2022", `july-2022/`), so that a document that cannot be read keeps `unknown` only the periods it
could cover.

Existing rows: no state (they were fetched before the state was kept) and no named period until
the next read of a listing that links them; until then such a document, if it was never read,
keeps every period unknown, as before.

Revision ID: 0014_listed_document_state
Revises: 0013_report_listings
"""

from alembic import op
import sqlalchemy as sa
import monitor.models.base


revision = "0014_listed_document_state"
down_revision = "0013_report_listings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_period_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("link_period_end", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("fetch_state", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("fetch_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("last_fetch_error", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("last_fetch_at", monitor.models.base.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        for name in (
            "last_fetch_at",
            "last_fetch_error",
            "fetch_failures",
            "fetch_state",
            "link_period_end",
            "link_period_start",
        ):
            batch_op.drop_column(name)
