"""Engine, sessions and migrations. Tables are created only by Alembic, never by create_all."""

from __future__ import annotations

import functools
import sqlite3
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

import logging

from monitor.config import redact_url
from monitor.errors import DatabaseError
from monitor.shipped import migrations_dir

log = logging.getLogger(__name__)


SYNCHRONOUS = ("normal", "full")


def _sqlite_pragmas(dbapi_conn, _record, synchronous: str = "normal") -> None:
    """Foreign keys on; wait for a busy database; a file database in write-ahead-log mode.

    WAL (persistent: set once, kept in the file) lets readers and the one writer work at once
    and turns a commit into an append to the log. With ``synchronous=NORMAL`` (the default) a
    commit does not wait for the disk: the database can never be corrupted by a crash, but the
    last transactions before a power cut may be rolled back (each one a poll the next cycle
    makes again; archived bodies are on disk before their rows). ``full`` waits for the disk
    at every commit (``sqlite_synchronous``). A database another connection holds in a mode
    that cannot be changed now (or an in-memory one) is left in its mode."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
    if mode == "delete":
        try:
            mode = cur.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:  # busy past the timeout, read-only file
            log.warning("SQLite database left in %s journal mode: %s", mode, exc)
    if mode == "wal":
        cur.execute(f"PRAGMA synchronous={synchronous.upper()}")
    cur.close()


def sqlite_directory(url: str) -> Path | None:
    """The directory a file-based SQLite URL puts its database in; None for other URLs."""
    if not url.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().absolute().parent


def make_engine(url: str, *, synchronous: str = "normal") -> Engine:
    """Create an engine; for SQLite turn foreign keys on and use the write-ahead log with
    ``synchronous`` (:func:`_sqlite_pragmas`). A SQLite database whose directory does not
    exist is an error, not a directory created silently (`monitor db upgrade` creates it)."""
    if url.startswith("sqlite"):
        directory = sqlite_directory(url)
        if directory is not None and not directory.is_dir():
            raise DatabaseError(
                f"the directory {directory} of the SQLite database "
                f"{redact_url(url)} does not exist: create it, or run "
                "`monitor db upgrade`, which creates it"
            )
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS}, not {synchronous!r}")
        engine = create_engine(url)
        event.listen(engine, "connect", functools.partial(_sqlite_pragmas, synchronous=synchronous))
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "do_connect", _custom_plans)
    event.listen(engine, "do_connect", _planner_options)
    return engine


CUSTOM_PLANS = "-c plan_cache_mode=force_custom_plan"


def _custom_plans(_dialect, _record, _cargs, cparams) -> None:
    """Plan every statement for the values it is given. psycopg prepares a statement run five
    times, and PostgreSQL then may keep a generic plan made for any value: for "the newest
    successful run of source $1" that is a walk back through fetch_runs(started_at), fine for
    a source with runs every day and a read of the whole index (half a second at a million
    runs, bench/daily_run.py) for one with none. Added to the connection's own options."""
    cparams["options"] = " ".join(filter(None, (cparams.get("options"), CUSTOM_PLANS)))


# Without JIT compilation; a cursor read through (monitor/fact_gathering.py) planned like any
# statement, not for its first tenth of rows.
PLANNER_OPTIONS = "-c jit=off -c cursor_tuple_fraction=1"


def _planner_options(_dialect, _record, _cargs, cparams) -> None:
    """Run statements without compiling them to machine code first. PostgreSQL compiles any
    statement whose estimated cost is high, and the estimates of the evaluation's correlated
    lookups (one per report, each a few index entries) are: a third of a second of compiling
    for a statement that runs in one (bench/evaluate.py, 40,000 reports), gaining nothing.
    And a server-side cursor planned as a statement is: PostgreSQL plans one for its first
    tenth of rows, which for the facts of one source took 19 s instead of half a second.
    Added to the connection's own options."""
    cparams["options"] = " ".join(filter(None, (cparams.get("options"), PLANNER_OPTIONS)))


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    cfg.attributes["engine"] = engine
    return cfg


def head_revision(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The schema revision, or None. A SQLite file that does not exist is None without being
    created (a 0-byte file left behind would be refused by the next command), nor one an
    interrupted first build left (it is built again)."""
    from alembic.runtime.migration import MigrationContext

    from monitor.migrating import interrupted_first_build, sqlite_file

    path = sqlite_file(engine)
    if path is not None and (not path.exists() or interrupted_first_build(path)):
        return None
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _run_alembic(engine: Engine, action: str, revision: str) -> None:
    """Run an alembic command on the migration engine (each migration in a transaction, DDL
    included, on SQLite too: see monitor.migrating)."""
    from alembic import command

    from monitor.migrating import migration_engine

    twin, own = migration_engine(engine)
    try:
        getattr(command, action)(alembic_config(twin), revision)
    finally:
        if own:
            twin.dispose()
            engine.dispose()  # pooled connections may have seen the schema before


def upgrade(
    engine: Engine,
    revision: str = "head",
    *,
    lock_timeout: float = 60.0,
    on_wait=None,
    repair: bool = False,
) -> list[str]:
    """Migrate to ``revision`` under the database's writer lock (no other monitor command
    writes meanwhile, and two first uses do not migrate twice), each migration in a
    transaction. A new SQLite file is built aside and renamed into place; an empty, truncated
    or foreign SQLite file, and a database with tables but no version, are refused
    (DatabaseError) unless ``repair`` may clear what an interrupted first migration left.
    Returns what a repair dropped."""
    from monitor.locks import writer_lock
    from monitor.migrating import (
        check_sqlite_file,
        create_sqlite,
        interrupted_first_build,
        refuse_unversioned,
        repair as do_repair,
        sqlite_file,
        unversioned_tables,
    )

    path = sqlite_file(engine)
    if path is not None:
        check_sqlite_file(path)
    dropped: list[str] = []
    try:
        with writer_lock(
            engine, timeout=lock_timeout, purpose="monitor db upgrade", on_wait=on_wait
        ):
            if path is not None and (not path.exists() or interrupted_first_build(path)):
                create_sqlite(engine, path, lambda temp: _run_alembic(temp, "upgrade", revision))
                return dropped
            if path is not None:
                check_sqlite_file(path)
            if _revision(engine) is None:
                tables = unversioned_tables(engine)
                if tables and not repair:
                    refuse_unversioned(engine, tables)
                if tables:
                    dropped = do_repair(engine)
            elif repair:
                raise DatabaseError(
                    f"{redact_url(str(engine.url))} has a schema version "
                    "(nothing to repair): `monitor db upgrade` migrates it"
                )
            _run_alembic(engine, "upgrade", revision)
    except OperationalError as exc:
        raise DatabaseError(_unreachable(engine, exc)) from None
    return dropped


def downgrade(
    engine: Engine, revision: str = "base", *, lock_timeout: float = 60.0, on_wait=None
) -> None:
    from monitor.locks import writer_lock
    from monitor.migrating import check_sqlite_file, sqlite_file

    path = sqlite_file(engine)
    if path is not None:
        if not path.exists():
            raise DatabaseError(f"the SQLite database {path} does not exist: nothing to downgrade")
        check_sqlite_file(path)
    with writer_lock(engine, timeout=lock_timeout, purpose="monitor db downgrade", on_wait=on_wait):
        _run_alembic(engine, "downgrade", revision)


def _unreachable(engine: Engine, exc: Exception) -> str:
    first = (
        str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
    )
    return f"database {redact_url(str(engine.url))} is unreachable: {first}"


def _revision(engine: Engine) -> str | None:
    try:
        return current_revision(engine)
    except OperationalError as exc:
        raise DatabaseError(_unreachable(engine, exc)) from None
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot read the schema version: {exc}") from None


def ensure_migrated(engine: Engine, *, lock_timeout: float = 60.0, on_wait=None) -> None:
    """Bring the database to head on first use, so every command works on a fresh machine.
    The migration runs under the writer lock; whoever gets it second finds the work done.
    What cannot be migrated safely is refused (see :func:`upgrade`)."""
    from monitor.locks import writer_lock
    from monitor.migrating import (
        check_sqlite_file,
        refuse_unversioned,
        sqlite_file,
        unversioned_tables,
    )

    path = sqlite_file(engine)
    if path is not None:
        check_sqlite_file(path)
    head = head_revision(engine)
    if _revision(engine) == head:
        return
    with writer_lock(
        engine, timeout=lock_timeout, purpose="monitor (first-use migration)", on_wait=on_wait
    ):
        current = _revision(engine)
        if current is None and (tables := unversioned_tables(engine)):
            refuse_unversioned(engine, tables)
        if current != head:
            log.info("migrating database", extra={"from_revision": current, "to_revision": head})
            upgrade(engine)


_FACTORIES: "weakref.WeakKeyDictionary[Engine, sessionmaker]" = weakref.WeakKeyDictionary()


def _sessions(engine: Engine) -> sessionmaker:
    """The engine's session factory, made once (a sessionmaker is a new Session class, with its
    events set up anew: a poll cycle opens a session or two per source)."""
    factory = _FACTORIES.get(engine)
    if factory is None:
        factory = _FACTORIES[engine] = sessionmaker(bind=engine, expire_on_commit=False)
    return factory


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception."""
    session = _sessions(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
