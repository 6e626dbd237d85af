"""hart publications: what DHS privacy publication pages say, revision by revision; the document
a person confirmed as evidence

`publication_revisions` keeps, per report of a publications source (dhs_hart_publications),
each distinct reading of its page or PDF: document id, kind, title, the Created / Last Published
/ Last Updated dates, a date printed in the text, the PDF, whether it mentions HART, its
description and SORNs. A document first seen, or read again with any of these changed (a new
Last Published date), adds a row numbered `revision` 1, 2, ...; rows are never updated.

`manual_evidence.report_id`: the document a person confirmed as the evidence
(`monitor evidence OBLIGATION --from-report REPORT_ID`); NULL for evidence typed by hand.

Existing rows: none to fill (the source is new; existing evidence was typed by hand).

Revision ID: 0015_hart_publications
Revises: 0016_congress_record
"""

from alembic import op
import sqlalchemy as sa
import monitor.models.base


revision = "0015_hart_publications"
down_revision = "0016_congress_record"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "publication_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("parse_id", sa.Integer(), nullable=False),
        sa.Column("parser_version", sa.String(length=40), nullable=False),
        sa.Column("document_id", sa.String(length=120), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("created", sa.Date(), nullable=True),
        sa.Column("last_published", sa.Date(), nullable=True),
        sa.Column("last_updated", sa.Date(), nullable=True),
        sa.Column("dated", sa.Date(), nullable=True),
        sa.Column("dated_precision", sa.String(length=10), nullable=True),
        sa.Column("pdf_url", sa.Text(), nullable=True),
        sa.Column("mentions_hart", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("sorns", sa.JSON(), nullable=False),
        sa.Column("observed_at", monitor.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_publication_revisions_report_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["snapshots.id"],
            name=op.f("fk_publication_revisions_snapshot_id_snapshots"),
        ),
        sa.ForeignKeyConstraint(
            ["parse_id"], ["parses.id"], name=op.f("fk_publication_revisions_parse_id_parses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_revisions")),
        sa.UniqueConstraint(
            "report_id", "revision", name=op.f("uq_publication_revisions_report_id_revision")
        ),
    )
    with op.batch_alter_table("publication_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publication_revisions_report_id"), ["report_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_publication_revisions_parse_id"), ["parse_id"], unique=False
        )
    with op.batch_alter_table("manual_evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_manual_evidence_report_id_reports"), "reports", ["report_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("manual_evidence", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_manual_evidence_report_id_reports"), type_="foreignkey"
        )
        batch_op.drop_column("report_id")
    with op.batch_alter_table("publication_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publication_revisions_parse_id"))
        batch_op.drop_index(batch_op.f("ix_publication_revisions_report_id"))
    op.drop_table("publication_revisions")
