"""Migrations are the only way tables are made: they must reach head on an empty database on
both backends, agree with the models, and go back down to nothing."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from monitor.db import current_revision, downgrade, head_revision, make_engine, upgrade
from monitor.models import Base


def test_upgrade_empty_database_to_head_matches_models(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_every_table(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        assert current_revision(engine) is None
        left = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert left == set()
        upgrade(engine)  # and back up again: the chain is repeatable
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()


def test_migration_chain_is_linear():
    from alembic.script import ScriptDirectory

    from monitor.db import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    assert len(scripts.get_heads()) == 1, "two migration heads: rebase one onto the other"


def test_a_later_batch_migration_can_rebuild_a_table_the_views_read(tmp_path):
    """SQLite rebuilds a table in batch mode by renaming a copy; the analyst views that name
    the table must not stop that (alembic/env.py sets legacy_alter_table for migrations)."""
    import sqlalchemy as sa
    from alembic.operations import Operations

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA legacy_alter_table=ON")
            ops = Operations(MigrationContext.configure(conn))
            with ops.batch_alter_table("reports", recreate="always") as batch:
                batch.add_column(sa.Column("later_column", sa.Integer()))
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM separation_counts").scalar() == 0
    finally:
        engine.dispose()
