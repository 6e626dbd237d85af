"""obligation_evaluations: what each obligation's last recorded evaluation rested on

Revision ID: 0020_evaluation_facts
Revises: 0018_analyst_indexes
"""

from alembic import op
import sqlalchemy as sa
import monitor.models.base


revision = "0020_evaluation_facts"
down_revision = "0018_analyst_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "obligation_evaluations",
        sa.Column("obligation_id", sa.String(length=100), nullable=False),
        sa.Column("as_of", monitor.models.base.UTCDateTime(), nullable=False),
        sa.Column("evaluated_at", monitor.models.base.UTCDateTime(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("fetch_run_id", sa.Integer(), nullable=False),
        sa.Column("parse_id", sa.Integer(), nullable=False),
        sa.Column("health_event_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("obligation_id", name=op.f("pk_obligation_evaluations")),
    )


def downgrade() -> None:
    op.drop_table("obligation_evaluations")
