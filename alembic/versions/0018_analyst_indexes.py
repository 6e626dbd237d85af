"""analyst views at a million observations: figure fields kept with their version, an index

Measured with bench/queries.py (one million synthetic observations) and EXPLAIN ANALYZE:

- ``separations_monthly`` and ``separations_by_report_period`` joined every current figure to
  ``count_observations`` for four fields of the number (label, label2, page, parser version): to
  export the monthly view PostgreSQL hashed the whole million-row table (spilling to disk) and
  SQLite looked one row up per figure. An observation never changes, so ``figure_versions`` now
  keeps those fields beside the version, and the views read them from there.
- ``separation_revisions`` scanned the whole of ``figure_versions`` to find the few versions that
  changed a figure, then looked up the previous observation of each for its report and snapshot.
  A partial index on (agency, measure, dimension, category) of the versions whose value differs
  from the one before serves the first; the previous version's report and snapshot, kept with
  the version, spare the second.

The new columns are filled here from the observations; monitor/figures.py fills them from then
on. The three views are re-created with the same names, columns and values.

Revision ID: 0018_analyst_indexes
Revises: 0014_listed_document_state
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = "0018_analyst_indexes"
down_revision = "0014_listed_document_state"
branch_labels = None
depends_on = None

REBUILT = ("separations_monthly", "separations_by_report_period", "separation_revisions")
# new column -> (its type, the observation it is copied from, that observation's column)
COPIED = {
    "label": (sa.Text(), "observation_id", "label"),
    "label2": (sa.Text(), "observation_id", "label2"),
    "page": (sa.Integer(), "observation_id", "page"),
    "parser_version": (sa.String(length=40), "observation_id", "parser_version"),
    "previous_report_id": (sa.Integer(), "previous_observation_id", "report_id"),
    "previous_snapshot_id": (sa.Integer(), "previous_observation_id", "snapshot_id"),
}
# SQLite uses a partial index only when the query's WHERE holds the same terms: the view's own.
REVISIONS_WHERE = "previous_value IS NOT NULL AND previous_value <> value"


def _analyst_views():
    """alembic/versions/0004_analyst_views.py: its dialect helpers, and the views as it made
    them (the downgrade puts those back)."""
    path = Path(__file__).with_name("0004_analyst_views.py")
    spec = importlib.util.spec_from_file_location("_migration_0004_analyst_views", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dialect_name() -> str:
    return "sqlite" if op.get_bind().dialect.name == "sqlite" else "postgresql"


def views(d: dict, dialect: str) -> dict[str, str]:
    """The three views, reading the number's fields and the previous version's report and
    snapshot from figure_versions."""
    ts = d["ts"].format
    figure = f"""v.agency, v.source_id AS source, v.measure, v.dimension, v.category,
        NULLIF(v.dimension2, '') AS dimension2, NULLIF(v.category2, '') AS category2,
        v.value, v.label, v.label2, v.page, r.id AS report_id, r.title AS report_title,
        r.url AS report_url, r.issued, sn.sha256 AS snapshot_sha256,
        {ts('sn.fetched_at')} AS fetched_at, v.parser_version, v.observation_id"""
    current = f"""
        FROM figure_versions v
        LEFT JOIN reports r ON r.id = v.report_id
        LEFT JOIN snapshots sn ON sn.id = v.snapshot_id
        WHERE v.is_current = {'1' if dialect == 'sqlite' else 'TRUE'}"""
    return {
        "separations_monthly": f"""
        SELECT v.month, v.period_start, v.period_end, {figure}
        {current} AND v.month IS NOT NULL""",
        "separations_by_report_period": f"""
        SELECT v.period_start, v.period_end, {figure}
        {current} AND v.month IS NULL""",
        "separation_revisions": f"""
        SELECT v.agency, v.source_id AS source, v.measure, v.dimension, v.category,
            NULLIF(v.dimension2, '') AS dimension2, NULLIF(v.category2, '') AS category2,
            v.period_start, v.period_end, v.month,
            v.previous_value AS old_value, v.value AS new_value,
            CASE WHEN v.previous_report_id = v.report_id THEN 'same_report'
                 ELSE 'between_reports' END AS revision_kind,
            v.previous_report_id AS old_report_id, oldr.title AS old_report_title,
            oldr.url AS old_report_url, oldsn.sha256 AS old_snapshot_sha256,
            v.report_id AS new_report_id, r.title AS new_report_title, r.url AS new_report_url,
            sn.sha256 AS new_snapshot_sha256, {ts('v.seen_at')} AS first_seen_at,
            v.previous_observation_id AS old_observation_id, v.observation_id AS new_observation_id
        FROM figure_versions v
        JOIN reports oldr ON oldr.id = v.previous_report_id
        JOIN snapshots oldsn ON oldsn.id = v.previous_snapshot_id
        JOIN reports r ON r.id = v.report_id
        JOIN snapshots sn ON sn.id = v.snapshot_id
        WHERE v.previous_value IS NOT NULL AND v.previous_value <> v.value""",
    }


def upgrade() -> None:
    dialect = _dialect_name()
    d = _analyst_views().DIALECT[dialect]
    for name in REBUILT:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table("figure_versions", schema=None) as batch_op:
        for column, (kind, _, _) in COPIED.items():
            batch_op.add_column(sa.Column(column, kind, nullable=True))
    if dialect == "postgresql":
        for via in ("observation_id", "previous_observation_id"):
            sets = ", ".join(f"{c} = o.{src}" for c, (_, v, src) in COPIED.items() if v == via)
            op.execute(
                f"UPDATE figure_versions v SET {sets} FROM count_observations o "
                f"WHERE o.id = v.{via}"
            )
    else:
        op.execute(
            "UPDATE figure_versions SET "
            + ", ".join(
                f"{c} = (SELECT o.{src} FROM count_observations o WHERE o.id = figure_versions.{via})"
                for c, (_, via, src) in COPIED.items()
            )
        )
    where = sa.text(REVISIONS_WHERE)
    op.create_index(
        "ix_figure_versions_revisions",
        "figure_versions",
        ["agency", "measure", "dimension", "category"],
        unique=False,
        sqlite_where=where,
        postgresql_where=where,
    )
    for name, sql in views(d, dialect).items():
        op.execute(f"CREATE VIEW {name} AS {sql}")


def downgrade() -> None:
    old = _analyst_views()
    d = old.DIALECT[_dialect_name()]
    for name in REBUILT:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.drop_index("ix_figure_versions_revisions", table_name="figure_versions")
    with op.batch_alter_table("figure_versions", schema=None) as batch_op:
        for column in reversed(COPIED):
            batch_op.drop_column(column)
    for name, sql in old._views(d).items():
        if name in REBUILT:
            op.execute(f"CREATE VIEW {name} AS {sql}")
