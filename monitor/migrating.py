"""Migrations that cannot brick a database (used by :mod:`monitor.db`).

* Every migration runs in a transaction of its own: natively on PostgreSQL, and on SQLite by
  taking the driver's transaction handling away (``isolation_level=None``) and opening each one
  with ``BEGIN IMMEDIATE``, so the DDL is inside it. A migration killed half-way leaves the
  revision before it, whole.
* A new SQLite database is built beside its final name and renamed into place once migrated:
  the file at that name is a whole monitor database or nothing, never a half-created one.
* A SQLite file that is empty (0 bytes), truncated or not SQLite at all is an error naming the
  file; it is never migrated as a new empty database. One exception: a 0-byte file beside the
  leftover of a build that was killed (``<name>.new-<pid>``) is what an interrupted first use
  leaves when something opened the path while the build ran (SQLite creates a file on open); no
  database was ever renamed into place there, so the build starts again over it.
* A database with tables but no schema version (a first migration that was interrupted before
  this, or a database that is not the monitor's) is an error saying how to recover:
  ``monitor db upgrade --repair`` (drops the monitor's tables only if every one is empty) or a
  new database. Never a silent new history on top of it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text

from monitor.config import redact_url
from monitor.errors import DatabaseError

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a file-based SQLite engine; None otherwise (in-memory, PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().absolute()


def _build_leftovers(path: Path) -> list[Path]:
    """What a build of ``path`` by :func:`create_sqlite` leaves when it is killed."""
    return list(path.parent.glob(f"{path.name}.new-*"))


def interrupted_first_build(path: Path) -> bool:
    """``path`` is a 0-byte file beside a killed build's leftover: a first use that never
    finished (a whole database is only ever renamed into place), not a damaged database."""
    try:
        return path.stat().st_size == 0 and bool(_build_leftovers(path))
    except FileNotFoundError:
        return False


def check_sqlite_file(path: Path) -> None:
    """A SQLite file that exists must be a whole SQLite database (DatabaseError if not), or
    what an interrupted first build left (:func:`interrupted_first_build`: built again)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if size == 0 and interrupted_first_build(path):
        return
    move_away = (
        "move it away (or point MONITOR_DATABASE_URL elsewhere) to start a new "
        "database, or restore it from a backup"
    )
    if size == 0:
        raise DatabaseError(
            f"the SQLite database {path} is an empty file (0 bytes), not a "
            f"database the monitor wrote; it was not touched: {move_away}"
        )
    with open(path, "rb") as fh:
        header = fh.read(100)
    if not header.startswith(SQLITE_MAGIC[: len(header)]) or (
        len(header) >= 16 and header[:16] != SQLITE_MAGIC
    ):
        raise DatabaseError(
            f"{path} is not a SQLite database (it does not start with the "
            f"SQLite header); it was not touched: {move_away}"
        )
    if len(header) < 100:
        raise DatabaseError(
            f"the SQLite database {path} is truncated ({size} bytes, less than "
            f"its header); it was not touched: {move_away}"
        )
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    pages_valid = header[24:28] == header[92:96] and pages > 0
    if page_size < 512 or size % page_size or (pages_valid and size < pages * page_size):
        expected = f", its header says {pages * page_size}" if pages_valid else ""
        raise DatabaseError(
            f"the SQLite database {path} is truncated ({size} bytes{expected}); "
            f"it was not touched: {move_away}"
        )


def migration_engine(engine: Engine) -> tuple[Engine, bool]:
    """The engine migrations run on, and whether it is a new one to dispose of. For a SQLite
    file: a twin engine whose transactions are real (DDL included), each ``BEGIN IMMEDIATE``."""
    path = sqlite_file(engine)
    if path is None:
        return engine, False
    from monitor.db import _sqlite_pragmas

    twin = create_engine(engine.url)

    @event.listens_for(twin, "connect")
    def _connect(dbapi_conn, record) -> None:
        dbapi_conn.isolation_level = None  # the driver no longer opens (or skips) transactions
        _sqlite_pragmas(dbapi_conn, record)

    @event.listens_for(twin, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return twin, True


def create_sqlite(engine: Engine, path: Path, migrate) -> None:
    """Build the database ``path`` names under a temporary name beside it with ``migrate(engine)``
    and rename it into place. Leftovers of a build that was killed are removed first (the
    caller holds the writer lock, so no other build is under way)."""
    from monitor.db import make_engine

    for leftover in _build_leftovers(path):
        leftover.unlink(missing_ok=True)
    building = path.with_name(f"{path.name}.new-{os.getpid()}")
    temp = make_engine(f"sqlite:///{building}")
    try:
        migrate(temp)
    except BaseException:
        temp.dispose()
        building.unlink(missing_ok=True)
        for suffix in ("-journal", "-wal", "-shm"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
        raise
    # the file alone is renamed into place: everything in its write-ahead log folded in first
    # (closing the last connection does it too; this does not depend on which one that is)
    with temp.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    temp.dispose()
    fd = os.open(building, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm", "-journal"):
        # a log left beside a database that is no longer there would be replayed into this one
        # when it is first opened (SQLite cannot tell whose it is): it goes, and is named
        orphan = Path(f"{path}{suffix}")
        if orphan.exists():
            log.warning("removed %s, left by a database no longer at %s", orphan, path)
            orphan.unlink()
    os.replace(building, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    engine.dispose()  # nothing pooled may point at what was there before


def _describe(engine: Engine) -> str:
    return redact_url(engine.url.render_as_string(hide_password=True))


def unversioned_tables(engine: Engine) -> list[str]:
    path = sqlite_file(engine)
    if path is not None and (not path.exists() or interrupted_first_build(path)):
        return []  # looking would create the file (or there is nothing in it)
    return sorted(set(inspect(engine).get_table_names()) - {"alembic_version"})


def refuse_unversioned(engine: Engine, tables: list[str]) -> None:
    raise DatabaseError(
        f"{_describe(engine)} has {len(tables)} table(s) ({', '.join(tables[:3])}"
        f"{', ...' if len(tables) > 3 else ''}) but no schema version: a first migration was "
        "interrupted, or it is not the monitor's database. Nothing was changed. To recover run "
        "`monitor db upgrade --repair` (rebuilds it if those tables are the monitor's and "
        "empty), or start fresh with a new database"
    )


def repair(engine: Engine) -> list[str]:
    """Drop what an interrupted first migration left (the monitor's tables and views, every
    one empty) so the next upgrade starts clean; returns what was dropped. Refuses, changing
    nothing, when a table is not the monitor's or holds a row. The caller holds the writer
    lock and has checked there is no schema version."""
    from monitor.models import Base

    insp = inspect(engine)
    tables = set(insp.get_table_names()) - {"alembic_version"}
    views = set(insp.get_view_names())
    known = set(Base.metadata.tables)
    stray = sorted(t for t in tables if t not in known and not t.startswith("_alembic_tmp_"))
    if stray:
        raise DatabaseError(
            f"{_describe(engine)} has tables the monitor does not make "
            f"({', '.join(stray[:5])}): it is not the monitor's database and "
            "was not repaired; point MONITOR_DATABASE_URL at a new database"
        )
    with engine.connect() as conn:
        full = [
            f"{t}: {n} rows"
            for t in sorted(tables)
            if (n := conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar())
        ]
    if full:
        raise DatabaseError(
            f"{_describe(engine)} has no schema version but holds data "
            f"({', '.join(full[:3])}); nothing was dropped. Back it up, then "
            "start fresh with a new database"
        )
    order = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in tables]
    order += sorted(tables - set(order))
    cascade = " CASCADE" if engine.dialect.name == "postgresql" else ""
    twin, own = migration_engine(engine)
    try:
        with twin.begin() as conn:
            for view in sorted(views):
                conn.execute(text(f'DROP VIEW IF EXISTS "{view}"{cascade}'))
            for table in order:
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}"{cascade}'))
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        if own:
            twin.dispose()
    return sorted(views) + order
