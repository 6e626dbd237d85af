"""service: the serve leader's heartbeat and a row per scheduled job run

Revision ID: 0010_service
Revises: 0009_requirement_candidates
"""

from alembic import op
import sqlalchemy as sa

from monitor.models.base import UTCDateTime


revision = "0010_service"
down_revision = "0009_requirement_candidates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_leader",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
        sa.Column("stopped_at", UTCDateTime(), nullable=True),
        sa.Column("next_jobs", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_leader")),
    )
    op.create_table(
        "service_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("scheduled_for", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_runs")),
    )
    op.create_index("ix_service_runs_job_started", "service_runs", ["job", "started_at"])
    op.create_index(op.f("ix_service_runs_state"), "service_runs", ["state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_service_runs_state"), table_name="service_runs")
    op.drop_index("ix_service_runs_job_started", table_name="service_runs")
    op.drop_table("service_runs")
    op.drop_table("service_leader")
