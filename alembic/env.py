"""Alembic environment: migrations run against the engine the monitor hands over (or the URL in
the config). Batch mode on SQLite, so ALTERs become copy-and-move table rebuilds there."""

from alembic import context
from sqlalchemy import create_engine

from monitor.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or create_engine(
        config.get_main_option("sqlalchemy.url")
    )
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch mode rebuilds a table as _alembic_tmp_<name> and renames it back; without
            # this, SQLite refuses the rename while a view (the analyst views) names the table.
            connection.exec_driver_sql("PRAGMA legacy_alter_table=ON")
            connection.commit()  # a connection setting; migrations start their own transactions
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            # Each migration and its version bump in one transaction: a migration that dies
            # half-way leaves the revision before it, whole. On SQLite this needs the engine
            # monitor.migrating.migration_engine makes (the driver would commit DDL at once).
            transactional_ddl=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
