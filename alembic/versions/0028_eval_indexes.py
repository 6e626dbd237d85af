"""count observations by label

For the daily evaluation (bench/evaluate.py, 40,000 stored reports).

Labels. Of each reading the evaluation keeps the first row whose label leaves the information's
origin open (monitor/report_facts.py). Which labels do is the taxonomy's call, so the distinct
labels were read first, then the first row of those labels per reading: both read the label of
every count row of the reports evaluated (880,000 rows, from the table: no index held the
label). On ``count_observations(label, report_id, parse_id, id)`` the distinct labels are one
descent each (a few hundred), and the rows of the few ambiguous ones a range each, read
without the table. The index holds labels of up to 200 characters (PostgreSQL refuses an
entry over 2,704 bytes, and a cell misread as a label could be a paragraph); the rows of
longer labels, normally none, are found by a partial index of their own.

Revision ID: 0028_eval_indexes
Revises: 0027_count_observation_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_eval_indexes"
down_revision = "0027_count_observation_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    short, long = sa.text("length(label) <= 200"), sa.text("length(label) > 200")
    op.create_index(
        "ix_count_observations_label",
        "count_observations",
        ["label", "report_id", "parse_id", "id"],
        sqlite_where=short,
        postgresql_where=short,
    )
    op.create_index(
        "ix_count_observations_long_label",
        "count_observations",
        ["report_id"],
        sqlite_where=long,
        postgresql_where=long,
    )


def downgrade() -> None:
    op.drop_index("ix_count_observations_long_label", table_name="count_observations")
    op.drop_index("ix_count_observations_label", table_name="count_observations")
