"""congress keys: what each reading of an executive communication can be matched by

`congress_terms` holds, per row of `congress_communications`, the requirement
numbers the House matched it to (`req:90235`) and the public laws it cites (`law:116-94`), with
the row's key, instant and period end. The engine's facts select, with one indexed query, the
communications the obligations being evaluated can match (their requirement numbers, the laws
they cite, a period ending late enough) instead of reading every stored communication at each
evaluation.

Existing rows: every stored communication reading gets its terms, from its own
`requirement_numbers` and `laws` (the same rule as monitor.models.congress.communication_terms,
copied here so this migration keeps meaning what it meant).

Revision ID: 0024_congress_keys
Revises: 0023_candidate_decisions
"""

from alembic import op
import sqlalchemy as sa

from monitor.models.base import UTCDateTime

revision = "0024_congress_keys"
down_revision = "0023_candidate_decisions"
branch_labels = None
depends_on = None

BATCH = 1000


def _terms(numbers, laws) -> list[str]:
    terms = [f"req:{n}" for n in numbers or ()]
    terms += ["law:" + law.partition(" sec. ")[0].strip() for law in laws or () if law]
    return list(dict.fromkeys(t for t in terms if len(t) <= 40))


def upgrade() -> None:
    terms = op.create_table(
        "congress_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("communication_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("term", sa.String(40), nullable=False),
        sa.Column("observed_at", UTCDateTime(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["communication_id"],
            ["congress_communications.id"],
            name="fk_congress_terms_communication_id_congress_communications",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_congress_terms"),
    )
    op.create_index(
        "ix_congress_terms_term",
        "congress_terms",
        ["term", "observed_at"],
    )
    comms = sa.table(
        "congress_communications",
        sa.column("id", sa.Integer()),
        sa.column("key", sa.String(60)),
        sa.column("observed_at", UTCDateTime()),
        sa.column("period_end", sa.Date()),
        sa.column("requirement_numbers", sa.JSON()),
        sa.column("laws", sa.JSON()),
    )
    conn = op.get_bind()
    rows = []
    result = conn.execute(sa.select(comms).order_by(comms.c.id))
    for row in result:
        for term in _terms(row.requirement_numbers, row.laws):
            rows.append(
                {
                    "communication_id": row.id,
                    "key": row.key,
                    "term": term,
                    "observed_at": row.observed_at,
                    "period_end": row.period_end,
                }
            )
    for i in range(0, len(rows), BATCH):
        op.bulk_insert(terms, rows[i : i + BATCH])


def downgrade() -> None:
    op.drop_index("ix_congress_terms_term", table_name="congress_terms")
    op.drop_table("congress_terms")
