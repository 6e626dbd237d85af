"""requirement candidates and citation verifications

Reporting duties that requirement discovery finds in official texts wait here for a person's
review (adopt or reject); a duty whose words are an existing rule's citation verifies it.

Revision ID: 0009_requirement_candidates
Revises: 0008_listing_reads
"""

from alembic import op
import sqlalchemy as sa

from monitor.models.base import UTCDateTime

revision = "0009_requirement_candidates"
down_revision = "0008_listing_reads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "requirement_candidates",
        sa.Column("id", sa.String(12), nullable=False),
        sa.Column("source_id", sa.String(100), nullable=False),
        sa.Column("package_id", sa.String(120), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("section", sa.Text(), nullable=True),
        sa.Column("page", sa.String(40), nullable=True),
        sa.Column("agency", sa.String(20), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("cadence", sa.String(20), nullable=False),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("hours", sa.Integer(), nullable=True),
        sa.Column("deadline_phrase", sa.Text(), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("obligation_id", sa.String(120), nullable=True),
        sa.Column("citation_id", sa.String(120), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_requirement_candidates_source_id_sources"
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["snapshots.id"],
            name="fk_requirement_candidates_snapshot_id_snapshots",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_requirement_candidates"),
    )
    op.create_index(
        "ix_requirement_candidates_package_id", "requirement_candidates", ["package_id"]
    )
    op.create_table(
        "citation_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.String(120), nullable=False),
        sa.Column("citation_id", sa.String(120), nullable=False),
        sa.Column("candidate_id", sa.String(12), nullable=True),
        sa.Column("package_id", sa.String(120), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("verified_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["requirement_candidates.id"],
            name="fk_citation_verifications_candidate_id_requirement_candidates",
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["snapshots.id"],
            name="fk_citation_verifications_snapshot_id_snapshots",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_citation_verifications"),
        sa.UniqueConstraint(
            "obligation_id",
            "citation_id",
            name="uq_citation_verifications_obligation_id_citation_id",
        ),
    )


def downgrade() -> None:
    op.drop_table("citation_verifications")
    op.drop_index("ix_requirement_candidates_package_id", table_name="requirement_candidates")
    op.drop_table("requirement_candidates")
