"""The analyst views at scale (bench/queries.py measures them): the indexes of migration
0018_analyst_indexes are used, the views no longer read the million-row observations table for
the fields figure_versions keeps, and re-creating them changed no row. Asserted with EXPLAIN on
both databases, never timed (tests/test_query_plans.py explains why sequential scans are off on
PostgreSQL for the EXPLAIN)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import text

from test_query_plans import plan, scans
from viewkit import DHS, MARCH, Q1, ingest, rows

FEB = datetime(2023, 2, 20, 12, tzinfo=timezone.utc)
MAY = datetime(2023, 5, 20, 12, tzinfo=timezone.utc)
REVISIONS = (
    "SELECT month, category, old_value, new_value, old_report_url, new_report_url "
    "FROM separation_revisions WHERE agency = 'DHS' AND measure = 'separations' "
    "AND dimension = 'cause' ORDER BY first_seen_at DESC"
)
ALL_VIEWS = (
    "separation_counts",
    "separations_monthly",
    "separations_by_report_period",
    "separation_revisions",
    "reporting_timeliness",
    "foreign_basis_statements",
)


def _two_reports(session, archive):
    """Q1 then the March report, which overlaps it and revises November."""
    ingest(session, archive, DHS, Q1, FEB)
    ingest(session, archive, DHS, MARCH, MAY)
    session.commit()


def test_revisions_of_one_agency_use_the_partial_index(engine, session, archive):
    _two_reports(session, archive)
    assert rows(session, REVISIONS)  # there is something to find
    text_plan = plan(engine, REVISIONS, {})
    assert "ix_figure_versions_revisions" in text_plan, text_plan
    assert not scans(engine, text_plan, "figure_versions"), text_plan
    assert "count_observations" not in text_plan, text_plan


def test_current_figures_are_read_without_the_observations(engine, session, archive):
    _two_reports(session, archive)
    for view in ("separations_monthly", "separations_by_report_period"):
        text_plan = plan(engine, f"SELECT * FROM {view} ORDER BY observation_id", {})
        assert "count_observations" not in text_plan, f"{view}\n{text_plan}"


def test_the_copied_fields_are_those_of_the_observations(session, archive):
    _two_reports(session, archive)
    mismatched = rows(
        session,
        """
        SELECT m.observation_id FROM separations_monthly m
        JOIN count_observations o ON o.id = m.observation_id
        WHERE m.label <> o.label OR COALESCE(m.label2, '') <> COALESCE(o.label2, '')
           OR COALESCE(m.page, -1) <> COALESCE(o.page, -1) OR m.parser_version <> o.parser_version""",
    )
    assert mismatched == []
    revisions = rows(
        session,
        """
        SELECT v.old_report_id, o.report_id, v.old_snapshot_sha256, sn.sha256
        FROM separation_revisions v
        JOIN count_observations o ON o.id = v.old_observation_id
        JOIN snapshots sn ON sn.id = o.snapshot_id""",
    )
    assert revisions and all(
        r["old_report_id"] == r["report_id"] and r["old_snapshot_sha256"] == r["sha256"]
        for r in revisions
    )


def test_the_migration_keeps_every_row_of_every_view(engine, session, archive):
    """Down to the views as 0004 made them and up again: the columns filled from the stored
    observations give the same rows, in every view."""
    from alembic.script import ScriptDirectory

    from monitor.db import alembic_config, downgrade, upgrade

    before_0018 = (
        ScriptDirectory.from_config(alembic_config(engine))
        .get_revision("0018_analyst_indexes")
        .down_revision
    )

    _two_reports(session, archive)
    session.close()

    def snapshot():
        with engine.connect() as conn:
            return {
                v: sorted(map(repr, map(tuple, conn.execute(text(f"SELECT * FROM {v}")))))
                for v in ALL_VIEWS
            }

    now = snapshot()
    assert now["separation_revisions"] and now["separations_monthly"]
    downgrade(engine, before_0018)
    before = snapshot()
    upgrade(engine)
    assert before == now == snapshot()
