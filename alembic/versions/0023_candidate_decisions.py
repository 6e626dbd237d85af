"""candidate decisions: a person confirms or rejects a document the monitor proposed; the text of
a publication's PDF

`candidate_decisions` keeps every decision a person made on a document proposed for an
obligation a person confirms (dhs_hart_disclosure): `confirmed` (`monitor evidence OBLIGATION
--from-report REPORT_ID`, with the manual evidence it recorded) or `rejected` (`--reject-report
REPORT_ID --reason TEXT`), who, when, why, and the publication revision judged. Rows are never
updated or deleted; for one document and one obligation the latest stands.

`publication_revisions.body`: the text of a publication's PDF when the revision is the PDF read
(capped by the parser), so a candidate is judged on its body too.

Existing rows: each manual evidence tied to a document (`manual_evidence.report_id`, a
confirmation made before this table) becomes a `confirmed` decision by its recorder at its
recording time; existing revisions keep no body (their PDFs are read again by the next poll or
`monitor reparse`).

Revision ID: 0023_candidate_decisions
Revises: 0022_finding_fingerprints
"""

from alembic import op
import sqlalchemy as sa
import monitor.models.base


revision = "0023_candidate_decisions"
down_revision = "0022_finding_fingerprints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "candidate_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.String(length=100), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", monitor.models.base.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_candidate_decisions_report_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["manual_evidence.id"],
            name=op.f("fk_candidate_decisions_evidence_id_manual_evidence"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_decisions")),
    )
    with op.batch_alter_table("candidate_decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_candidate_decisions_obligation_report", ["obligation_id", "report_id"], unique=False
        )
    with op.batch_alter_table("publication_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
    op.execute(
        "INSERT INTO candidate_decisions (obligation_id, report_id, decision, evidence_id, "
        "decided_by, decided_at, reason) "
        "SELECT obligation_id, report_id, 'confirmed', id, recorded_by, recorded_at, note "
        "FROM manual_evidence WHERE report_id IS NOT NULL ORDER BY id"
    )


def downgrade() -> None:
    with op.batch_alter_table("publication_revisions", schema=None) as batch_op:
        batch_op.drop_column("body")
    with op.batch_alter_table("candidate_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_candidate_decisions_obligation_report")
    op.drop_table("candidate_decisions")
