"""command_runs: each command that wrote, when it began and how it ended (interrupted ones too)

Revision ID: 0012_command_runs
Revises: 0011_hot_query_indexes
"""

from alembic import op
import sqlalchemy as sa
import monitor.models.base


revision = "0012_command_runs"
down_revision = "0011_hot_query_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "command_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("command", sa.String(length=100), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", monitor.models.base.UTCDateTime(), nullable=False),
        sa.Column("finished_at", monitor.models.base.UTCDateTime(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("exit_status", sa.Integer(), nullable=True),
        sa.Column("cycle", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command_runs")),
    )
    with op.batch_alter_table("command_runs", schema=None) as batch_op:
        batch_op.create_index("ix_command_runs_state", ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("command_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_command_runs_state")
    op.drop_table("command_runs")
