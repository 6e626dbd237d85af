"""count observations by report, parse and table

The evaluation keeps of each reading of a report only what the checks read
(monitor/report_facts.py): among them the first row of each (measure, dimension) table,
``min(id)`` grouped by (report, parse, measure, dimension). On
``count_observations(report_id, measure, dimension)`` the rows of a report come out of the
index ordered by table, not by reading, so every count row of the reports evaluated went
through a sort (a temporary B-tree on SQLite) before the groups could be found: at 40,000
reports, 880,000 rows sorted on every daily evaluation (bench/evaluate.py). With the parse
between the report and the table the groups are consecutive entries of one index, read in
order, without touching the table (``id`` is the index's last column: SQLite's indexes end
with the row id anyway, PostgreSQL's do not, and ``min(id)`` is then the group's first entry).

Revision ID: 0027_count_observation_index
Revises: 0026_fetch_run_outcomes
"""

from alembic import op

revision = "0027_count_observation_index"
down_revision = "0026_fetch_run_outcomes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_count_observations_report_parse_table",
        "count_observations",
        ["report_id", "parse_id", "measure", "dimension", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_count_observations_report_parse_table", table_name="count_observations")
