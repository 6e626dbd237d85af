"""congress record: House requirements and executive communications read from Congress.gov

The monitor knew only what agencies post on their own sites. Congress.gov's House requirements
(reporting mandates: frequency, legal authority, submitting agency) and the executive
communications the House and the Senate received are Congress's own record of what it asked for
and what reached it. One row per reading (snapshot, parser version), never updated.

Revision ID: 0016_congress_record
Revises: 0020_evaluation_facts
"""

from alembic import op
import sqlalchemy as sa

from monitor.models.base import UTCDateTime

revision = "0016_congress_record"
down_revision = "0020_evaluation_facts"
branch_labels = None
depends_on = None


def _provenance(table: str) -> list:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(100), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("parse_id", sa.Integer(), nullable=False),
        sa.Column("parser_version", sa.String(40), nullable=False),
        sa.Column("observed_at", UTCDateTime(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=f"fk_{table}_source_id_sources"
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"], ["snapshots.id"], name=f"fk_{table}_snapshot_id_snapshots"
        ),
        sa.ForeignKeyConstraint(["parse_id"], ["parses.id"], name=f"fk_{table}_parse_id_parses"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def upgrade() -> None:
    op.create_table(
        "congress_requirements",
        *_provenance("congress_requirements"),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("update_date", sa.Date(), nullable=True),
        sa.Column("parent_agency", sa.Text(), nullable=True),
        sa.Column("submitting_agency", sa.Text(), nullable=True),
        sa.Column("submitting_official", sa.Text(), nullable=True),
        sa.Column("frequency", sa.Text(), nullable=True),
        sa.Column("nature", sa.Text(), nullable=True),
        sa.Column("legal_authority", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("matching_count", sa.Integer(), nullable=True),
        sa.Column("laws", sa.JSON(), nullable=False),
        sa.UniqueConstraint("number", "parse_id", name="uq_congress_requirements_number_parse_id"),
    )
    op.create_index("ix_congress_requirements_number", "congress_requirements", ["number"])
    op.create_table(
        "congress_communications",
        *_provenance("congress_communications"),
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("chamber", sa.String(10), nullable=False),
        sa.Column("congress", sa.Integer(), nullable=False),
        sa.Column("type_code", sa.String(10), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Boolean(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("congressional_record_date", sa.Date(), nullable=True),
        sa.Column("agency", sa.Text(), nullable=True),
        sa.Column("abstract", sa.Text(), nullable=True),
        sa.Column("legal_authority", sa.Text(), nullable=True),
        sa.Column("report_nature", sa.Text(), nullable=True),
        sa.Column("requirement_numbers", sa.JSON(), nullable=False),
        sa.Column("laws", sa.JSON(), nullable=False),
        sa.Column("committees", sa.JSON(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("period_text", sa.Text(), nullable=True),
        sa.UniqueConstraint("key", "parse_id", name="uq_congress_communications_key_parse_id"),
    )
    op.create_index("ix_congress_communications_key", "congress_communications", ["key"])


def downgrade() -> None:
    op.drop_index("ix_congress_communications_key", table_name="congress_communications")
    op.drop_table("congress_communications")
    op.drop_index("ix_congress_requirements_number", table_name="congress_requirements")
    op.drop_table("congress_requirements")
