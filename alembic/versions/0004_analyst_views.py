"""analyst views: cross-tab cells, figure versions, and the documented views

Revision ID: 0004_analyst_views
Revises: 0003

Adds the second dimension of a cross-tabulated cell to ``count_observations``, the derived
``figure_versions`` table (filled here from what is stored; kept up to date by
monitor/figures.py, whose ranking statement this file freezes), and the six views described in
docs/data-dictionary.md. Views have the same names and columns on SQLite and PostgreSQL; only the
expressions for timestamps, months and JSON differ. Timestamps in views are ISO 8601 text in
UTC ("2022-09-30T12:00:00Z") on both.
"""

from alembic import op
import sqlalchemy as sa
import monitor.models.base


revision = "0004_analyst_views"
down_revision = "0003"
branch_labels = None
depends_on = None

VIEWS = (
    "separation_counts",
    "separations_monthly",
    "separations_by_report_period",
    "separation_revisions",
    "reporting_timeliness",
    "foreign_basis_statements",
)

_KEY = "measure, dimension, category, dimension2, category2, period_start, period_end"
_ORDER = ("report_day", "report_end", "report_seen", "report_id", "seen_at", "snapshot_id")
# Frozen copy of monitor.figures.versions_select at this revision.
_VERSIONS = """
WITH printed AS (
    SELECT o.id, o.parse_id, o.report_id, o.snapshot_id, s.agency, r.source_id, o.measure,
           o.dimension, o.category, COALESCE(o.dimension2, '') AS dimension2,
           COALESCE(o.category2, '') AS category2, o.period_start, o.period_end, o.value,
           ROW_NUMBER() OVER (PARTITION BY o.parse_id, o.measure, o.dimension, o.category,
                              o.dimension2, o.category2, o.period_start, o.period_end, o.label,
                              o.label2
                              ORDER BY o.id DESC) AS repeat
    FROM count_observations o
    JOIN reports r ON r.id = o.report_id
    JOIN sources s ON s.id = r.source_id
    WHERE o.period_start IS NOT NULL AND o.period_end IS NOT NULL
), per_parse AS (
    SELECT MIN(id) AS observation_id, parse_id, report_id, snapshot_id, agency, source_id,
           {key}, SUM(value) AS value
    FROM printed WHERE repeat = 1
    GROUP BY parse_id, report_id, snapshot_id, agency, source_id, {key}
), per_snapshot AS (
    SELECT p.*, {report_day} AS report_day, r.period_end AS report_end,
           r.first_seen AS report_seen, sn.fetched_at AS seen_at,
           ROW_NUMBER() OVER (PARTITION BY p.snapshot_id, p.report_id, {pkey}
                              ORDER BY p.parse_id DESC) AS newest_parse
    FROM per_parse p
    JOIN reports r ON r.id = p.report_id
    JOIN snapshots sn ON sn.id = p.snapshot_id
), versions AS (
    SELECT v.*,
           LAG(observation_id) OVER (PARTITION BY agency, {key} ORDER BY {order}) AS prev_id,
           LAG(value) OVER (PARTITION BY agency, {key} ORDER BY {order}) AS prev_value,
           ROW_NUMBER() OVER (PARTITION BY agency, {key} ORDER BY {order_desc}) AS newest
    FROM per_snapshot v WHERE newest_parse = 1
)
SELECT observation_id, report_id, snapshot_id, agency, source_id, {key}, {month} AS month,
       CAST(ROUND(value) AS INTEGER) AS value, seen_at, {is_current} AS is_current,
       prev_id AS previous_observation_id,
       CAST(ROUND(prev_value) AS INTEGER) AS previous_value
FROM versions
"""

DIALECT = {
    "sqlite": {
        "report_day": "COALESCE(r.issued, date(r.first_seen))",
        "month": "CASE WHEN strftime('%d', period_start) = '01' AND period_end = "
        "date(period_start, '+1 month', '-1 day') THEN strftime('%Y-%m', period_start) END",
        "is_current": "CASE WHEN newest = 1 THEN 1 ELSE 0 END",
        "ts": "strftime('%Y-%m-%dT%H:%M:%SZ', {})",
        "json": lambda col, path: (
            f"json_extract({col}, '$."
            + ".".join(f"{p}" if not isinstance(p, int) else f"[{p}]" for p in path).replace(
                ".[", "["
            )
            + "')"
        ),
        "int": "CAST({} AS INTEGER)",
        "date": "{}",
    },
    "postgresql": {
        "report_day": "COALESCE(r.issued, CAST(r.first_seen AS DATE))",
        "month": "CASE WHEN EXTRACT(DAY FROM period_start) = 1 AND period_end = "
        "CAST(period_start + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) "
        "THEN to_char(period_start, 'YYYY-MM') END",
        "is_current": "newest = 1",
        "ts": "to_char({}, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
        "json": lambda col, path: (
            "("
            + col
            + "".join(
                (" -> " if i < len(path) - 1 else " ->> ")
                + (str(p) if isinstance(p, int) else f"'{p}'")
                for i, p in enumerate(path)
            )
            + ")"
        ),
        "int": "CAST({} AS INTEGER)",
        "date": "CAST({} AS DATE)",
    },
}


def _versions_insert(d: dict) -> str:
    columns = (
        "observation_id, report_id, snapshot_id, agency, source_id, "
        + _KEY
        + ", month, value, seen_at, is_current, previous_observation_id, previous_value"
    )
    select = _VERSIONS.format(
        key=_KEY,
        pkey=", ".join(f"p.{c.strip()}" for c in _KEY.split(",")),
        order=", ".join(_ORDER),
        order_desc=", ".join(f"{c} DESC" for c in _ORDER),
        report_day=d["report_day"],
        month=d["month"],
        is_current=d["is_current"],
    )
    return f"INSERT INTO figure_versions ({columns}) {select}"


def _views(d: dict) -> dict[str, str]:
    ts = d["ts"].format
    j, integer, day = d["json"], d["int"].format, d["date"].format
    provenance = f"""r.id AS report_id, r.title AS report_title, r.url AS report_url, r.issued,
        sn.sha256 AS snapshot_sha256, {ts('sn.fetched_at')} AS fetched_at,
        o.parser_version"""
    figure = f"""v.agency, v.source_id AS source, v.measure, v.dimension, v.category,
        NULLIF(v.dimension2, '') AS dimension2, NULLIF(v.category2, '') AS category2,
        v.value, o.label, o.label2, o.page, {provenance}, v.observation_id"""
    current = f"""
        FROM figure_versions v
        LEFT JOIN count_observations o ON o.id = v.observation_id
        LEFT JOIN reports r ON r.id = v.report_id
        LEFT JOIN snapshots sn ON sn.id = v.snapshot_id
        WHERE v.is_current = {'1' if d is DIALECT['sqlite'] else 'TRUE'}"""
    return {
        "separation_counts": f"""
        SELECT o.id AS observation_id, s.agency, r.source_id AS source, o.measure, o.dimension,
            o.category, o.label, o.dimension2, o.category2, o.label2,
            CAST(ROUND(o.value) AS INTEGER) AS value, o.period_start, o.period_end, o.page,
            {provenance}
        FROM count_observations o
        JOIN reports r ON r.id = o.report_id
        JOIN sources s ON s.id = r.source_id
        JOIN snapshots sn ON sn.id = o.snapshot_id""",
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
            CASE WHEN old.report_id = v.report_id THEN 'same_report' ELSE 'between_reports' END
                AS revision_kind,
            old.report_id AS old_report_id, oldr.title AS old_report_title,
            oldr.url AS old_report_url, oldsn.sha256 AS old_snapshot_sha256,
            v.report_id AS new_report_id, r.title AS new_report_title, r.url AS new_report_url,
            sn.sha256 AS new_snapshot_sha256, {ts('v.seen_at')} AS first_seen_at,
            v.previous_observation_id AS old_observation_id, v.observation_id AS new_observation_id
        FROM figure_versions v
        JOIN count_observations old ON old.id = v.previous_observation_id
        JOIN reports oldr ON oldr.id = old.report_id
        JOIN snapshots oldsn ON oldsn.id = old.snapshot_id
        JOIN reports r ON r.id = v.report_id
        JOIN snapshots sn ON sn.id = v.snapshot_id
        WHERE v.previous_value IS NOT NULL AND v.previous_value <> v.value""",
        "reporting_timeliness": f"""
        SELECT f.obligation_id, {j('f.evidence', ['obligation', 'agency'])} AS agency,
            f.period_start, f.period_end, {j('f.evidence', ['period', 'label'])} AS period_label,
            f.due, {ts('f.deadline_at')} AS deadline_at,
            {day(j('f.evidence', ['publication', 'earliest_possible']))} AS first_published,
            {j('f.evidence', ['publication', 'basis'])} AS publication_basis,
            {integer(j('f.evidence', ['days_late']))} AS days_late,
            {j('f.evidence', ['reports', 0, 'url'])} AS report_url,
            f.kind AS finding_kind, f.state AS finding_state, f.id AS finding_id,
            {ts('f.first_detected_at')} AS first_detected_at, {ts('f.changed_at')} AS changed_at
        FROM findings f
        WHERE f.family = 'timeliness'""",
        "foreign_basis_statements": f"""
        SELECT agency, source, report_id, report_title, report_url, issued, period_start,
            period_end, status, value, quote, page, snapshot_sha256, fetched_at, parser_version,
            statement_id
        FROM (
            SELECT s.agency, r.source_id AS source, r.id AS report_id, r.title AS report_title,
                r.url AS report_url, r.issued, r.period_start, r.period_end, st.status,
                CAST(ROUND(st.value) AS INTEGER) AS value, st.quote, st.page,
                sn.sha256 AS snapshot_sha256, {ts('sn.fetched_at')} AS fetched_at,
                st.parser_version, st.id AS statement_id,
                ROW_NUMBER() OVER (PARTITION BY st.report_id
                                   ORDER BY sn.fetched_at DESC, st.parse_id DESC, st.id DESC) AS newest
            FROM statements st
            JOIN reports r ON r.id = st.report_id
            JOIN sources s ON s.id = r.source_id
            JOIN snapshots sn ON sn.id = st.snapshot_id
            WHERE st.key = 'foreign_government_basis'
        ) latest
        WHERE newest = 1""",
    }


def _dialect() -> dict:
    name = op.get_bind().dialect.name
    return DIALECT["sqlite" if name == "sqlite" else "postgresql"]


def upgrade() -> None:
    with op.batch_alter_table("count_observations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dimension2", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("category2", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("label2", sa.Text(), nullable=True))
    op.create_table(
        "figure_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=50), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("measure", sa.String(length=60), nullable=False),
        sa.Column("dimension", sa.String(length=60), nullable=False),
        sa.Column("category", sa.String(length=120), nullable=False),
        sa.Column("dimension2", sa.String(length=60), nullable=False),
        sa.Column("category2", sa.String(length=120), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("seen_at", monitor.models.base.UTCDateTime(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("previous_observation_id", sa.Integer(), nullable=True),
        sa.Column("previous_value", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["count_observations.id"],
            name=op.f("fk_figure_versions_observation_id_count_observations"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_figure_versions_report_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"], ["snapshots.id"], name=op.f("fk_figure_versions_snapshot_id_snapshots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figure_versions")),
        sa.UniqueConstraint("observation_id", name=op.f("uq_figure_versions_observation_id")),
    )
    with op.batch_alter_table("figure_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_figure_versions_current",
            ["is_current", "dimension", "measure", "agency", "category", "month"],
            unique=False,
        )
        batch_op.create_index(
            "ix_figure_versions_window", ["agency", "period_start", "period_end"], unique=False
        )
    d = _dialect()
    op.execute(_versions_insert(d))
    for name, sql in _views(d).items():
        op.execute(f"CREATE VIEW {name} AS {sql}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table("figure_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_figure_versions_window")
        batch_op.drop_index("ix_figure_versions_current")
    op.drop_table("figure_versions")
    with op.batch_alter_table("count_observations", schema=None) as batch_op:
        batch_op.drop_column("label2")
        batch_op.drop_column("category2")
        batch_op.drop_column("dimension2")
