"""One `monitor serve` leads per database: the leader lock.

* PostgreSQL: a session-level advisory lock taken on a dedicated connection that is not in any
  pool and is held for the life of the process. The server drops the lock the moment that
  connection ends (the process died, or the network went), so a standby can take over.
  :meth:`LeaderLock.held` asks the server whether this session still holds it; it is checked
  before every job, and losing it stops the jobs.
* SQLite: an exclusive ``flock`` on a file beside the database (``<database>-leader.lock``),
  which the kernel releases when the process dies. :meth:`LeaderLock.held` checks that the file
  we lock is still the one at that path (a deleted lock file would let a second instance lock a
  new one).

The lock carries a short description of its holder (``DatabaseLock.holder()``); the leader also
writes host, pid and since to the ``service_leader`` row (see :mod:`monitor.service_state`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from monitor.errors import DatabaseError
from monitor.locks import LEADER, pg_key, sqlite_lock_path

log = logging.getLogger(__name__)

# The same lock as monitor.locks.DatabaseLock(engine, "leader") (its advisory keys and lock file),
# so its holder() names the serve leader; this module adds what a long-lived leader needs: an
# unpooled connection with keepalives, and held() asking the server, from any thread.
PG_KEY = pg_key(LEADER)
# Keepalives on the lock connection: a leader cut off from the server notices within a minute.
PG_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 20,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


class LeaderLock:
    """Try to lead (:meth:`acquire`), check (:meth:`held`), give it up (:meth:`release`)."""

    def acquire(self) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def held(self) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def release(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class PgLeaderLock(LeaderLock):
    def __init__(self, url: str) -> None:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        self.engine = create_engine(
            url, poolclass=NullPool, connect_args=PG_KEEPALIVES, isolation_level="AUTOCOMMIT"
        )
        self.conn = None

    def acquire(self) -> bool:
        if self.conn is not None and self.held():
            return True
        self.release()
        conn = self.engine.connect()  # raises OperationalError when the server is unreachable
        try:
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": PG_KEY[0], "b": PG_KEY[1]}
            ).scalar()
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        conn.execute(text("SELECT set_config('application_name', :n, false)"), {"n": _stamp()[:63]})
        self.conn = conn
        return True

    def held(self) -> bool:
        if self.conn is None:
            return False
        try:
            return bool(
                self.conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND pid = pg_backend_pid() AND classid = :a AND objid = :b AND objsubid = 2"
                    ),
                    {"a": PG_KEY[0], "b": PG_KEY[1]},
                ).scalar()
            )
        except SQLAlchemyError:
            self._drop()
            return False

    def _drop(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # noqa: BLE001 - the connection is gone either way
                pass

    def release(self) -> None:
        if self.conn is None:
            return
        try:
            self.conn.execute(
                text("SELECT pg_advisory_unlock(:a, :b)"), {"a": PG_KEY[0], "b": PG_KEY[1]}
            )
            self.conn.close()
            self.conn = None
        except SQLAlchemyError:
            self._drop()


class FileLeaderLock(LeaderLock):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> bool:
        import fcntl

        if self.fd is not None and self.held():
            return True
        self.release()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        if os.fstat(fd).st_ino != _inode(self.path):  # deleted between open and flock
            os.close(fd)
            return False
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, (_stamp() + "\n").encode(), 0)
        except OSError:
            pass  # a full disk: the lock holds all the same, only its description is missing
        self.fd = fd
        return True

    def held(self) -> bool:
        return self.fd is not None and os.fstat(self.fd).st_ino == _inode(self.path)

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None


def _stamp() -> str:
    """Who holds it, in monitor.locks' format (shown by DatabaseLock.holder())."""
    from datetime import datetime, timezone

    since = datetime.now(timezone.utc)
    return f"pid {os.getpid()}: monitor serve, since {since:%Y-%m-%d %H:%M:%SZ}"


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def leader_lock(database_url: str) -> LeaderLock:
    """The leader lock of the database ``database_url`` names."""
    if database_url.startswith("sqlite"):
        database = make_url(database_url).database
        if not database or database == ":memory:" or database.startswith("file:"):
            raise DatabaseError(
                "monitor serve needs a database file or a PostgreSQL server, "
                "not an in-memory SQLite database"
            )
        return FileLeaderLock(sqlite_lock_path(database, LEADER))
    return PgLeaderLock(database_url)
