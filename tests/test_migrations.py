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
