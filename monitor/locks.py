"""Named locks per database: one writer at a time, and (for `monitor serve`) one leader.

A lock is held by a process for as long as it needs it and dies with the process, so a
``kill -9`` never leaves one behind:

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock(ns, key)``) taken on a
  dedicated AUTOCOMMIT connection that does nothing else; the connection's application_name
  says who holds it (``monitor <command>``). Advisory locks are per database.
* SQLite: an exclusive ``flock`` on a file beside the database (``monitor.db-writer.lock``);
  the file holds the holder's pid, command and start time for the waiting message. The file is
  never deleted (deleting a flock'ed file would let two processes lock two different files).
* An in-memory SQLite database is private to its connection: nothing to lock.

Within one thread a lock is re-entrant (a command that takes the writer lock may call code that
takes it again, such as the first-use migration); another thread or process waits.

API (stable; `monitor serve` builds its leader lock on it)::

    lock = DatabaseLock(engine, "writer", purpose="monitor run --once")
    if lock.try_acquire(): ...            # never waits
    lock.acquire(timeout=60, on_wait=print)   # waits, LockTimeout after `timeout` seconds
    lock.release()
    with writer_lock(engine, timeout=60, purpose="monitor evaluate", on_wait=print): ...
"""

from __future__ import annotations

import os
import threading
import time
import zlib
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import Engine, text

from monitor.errors import MonitorError

WRITER = "writer"
LEADER = "leader"

# First key of the two-int advisory lock: "mon" in ASCII, so other users of advisory locks on
# the same database are unlikely to collide with the monitor's.
_PG_NAMESPACE = 0x6D6F6E
_POLL_SECONDS = 0.2

_local = threading.local()


class LockTimeout(MonitorError):
    """Another process held the lock for longer than the caller was willing to wait."""


def _held() -> dict[tuple, list]:
    if not hasattr(_local, "held"):
        _local.held = {}
    return _local.held


def pg_key(name: str) -> tuple[int, int]:
    """The two int4 keys of ``name``'s advisory lock."""
    return _PG_NAMESPACE, zlib.crc32(f"monitor:{name}".encode()) & 0x7FFFFFFF


def sqlite_lock_path(database: str | Path, name: str) -> Path:
    return Path(f"{Path(database).expanduser().absolute()}-{name}.lock")


def _describe(engine: Engine) -> str:
    from monitor.config import redact_url

    return redact_url(engine.url.render_as_string(hide_password=True))


class DatabaseLock:
    """The lock called ``name`` of the database behind ``engine``; ``purpose`` says who holds
    it (shown to whoever waits)."""

    def __init__(self, engine: Engine, name: str = WRITER, *, purpose: str = "monitor") -> None:
        self.engine, self.name, self.purpose = engine, name, purpose
        self.backend = engine.dialect.name
        self._conn = None  # PostgreSQL: the dedicated connection holding the lock
        self._fd: int | None = None  # SQLite: the locked file
        database = engine.url.database or ""
        if self.backend == "sqlite":
            self.path = (
                None
                if not database or database == ":memory:" or database.startswith("file:")
                else sqlite_lock_path(database, name)
            )
            self._identity = ("sqlite", str(self.path), name)
        else:
            self.path = None
            self._identity = (self.backend, engine.url.render_as_string(hide_password=True), name)

    # --- public ----------------------------------------------------------------------------

    @property
    def held(self) -> bool:
        """Whether this thread holds the lock (through this object or another one)."""
        return self._identity in _held()

    def try_acquire(self) -> bool:
        """Take the lock if nobody else holds it; never waits."""
        held = _held()
        if self._identity in held:
            held[self._identity][1] += 1
            return True
        if not self._try():
            return False
        held[self._identity] = [self, 1]
        return True

    def acquire(self, timeout: float, on_wait: Callable[[str], None] | None = None) -> None:
        """Take the lock, waiting up to ``timeout`` seconds (0: not at all) for its holder;
        ``on_wait`` gets one line when the wait begins. :class:`LockTimeout` after that."""
        if self.try_acquire():
            return
        holder = self.holder()
        if timeout > 0 and on_wait is not None:
            on_wait(
                f"waiting up to {timeout:g}s for the {self.name} lock of {_describe(self.engine)}"
                f": held by {holder}"
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(min(_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            if self.try_acquire():
                return
        holder = self.holder() or holder
        raise LockTimeout(
            f"{_describe(self.engine)} is locked by another writer ({holder}) and stayed locked "
            f"for {timeout:g}s: try again when it is done, or raise lock_timeout "
            "(MONITOR_LOCK_TIMEOUT)"
            if self.name == WRITER
            else f"the {self.name} lock of {_describe(self.engine)} is held by {holder} "
            f"(waited {timeout:g}s)"
        )

    def release(self) -> None:
        held = _held()
        entry = held.get(self._identity)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del held[self._identity]
        entry[0]._let_go()

    def holder(self) -> str:
        """Who holds the lock, as well as can be told ("pid 123: monitor run --once, since
        09:31:02Z"), or "another process"."""
        try:
            if self.backend == "postgresql":
                return self._pg_holder()
            if self.path is not None:
                info = self.path.read_text(encoding="utf-8", errors="replace").strip()
                return info or "another process"
        except Exception:  # noqa: BLE001 - a description, never a reason to fail
            pass
        return "another process"

    def __enter__(self) -> "DatabaseLock":
        self.acquire(0)
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    # --- mechanisms ------------------------------------------------------------------------

    def _stamp(self) -> str:
        return (
            f"pid {os.getpid()}: {self.purpose}, since "
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%SZ}"
        )

    def _try(self) -> bool:
        if self.backend == "postgresql":
            return self._pg_try()
        if self.backend == "sqlite":
            return self._file_try()
        return True  # no other backend is supported (see config_checks)

    def _let_go(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.execute(
                    text("SELECT pg_advisory_unlock(:a, :b)"), dict(zip("ab", pg_key(self.name)))
                )
                conn.execute(text("RESET application_name"))
                conn.close()
            except Exception:  # noqa: BLE001 - closing the connection frees the lock anyway
                conn.invalidate()
                conn.close()
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor drops the flock

    def _file_try(self) -> bool:
        import fcntl

        if self.path is None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, (self._stamp() + "\n").encode(), 0)
        except OSError:
            pass  # a full disk: the lock holds all the same, only its description is missing
        self._fd = fd
        return True

    def _pg_try(self) -> bool:
        from sqlalchemy.exc import OperationalError

        from monitor.errors import DatabaseError

        try:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except OperationalError as exc:
            first = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
            raise DatabaseError(
                f"database {_describe(self.engine)} is unreachable: {first}"
            ) from None
        try:
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:a, :b)"), dict(zip("ab", pg_key(self.name)))
            ).scalar()
            if got:
                conn.execute(
                    text("SELECT set_config('application_name', :n, false)"),
                    {"n": self._stamp()[:63]},
                )
                self._conn = conn
                return True
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        conn.close()
        return False

    def _pg_holder(self) -> str:
        a, b = pg_key(self.name)
        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                    "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                    "AND l.classid = :a AND l.objid = :b AND l.objsubid = 2 "
                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"a": a, "b": b},
            ).first()
        if row is None:
            return "another process"
        name = row.application_name or ""
        return name if name.startswith("pid ") else f"PostgreSQL backend {row.pid} {name}".strip()


@contextmanager
def writer_lock(
    engine: Engine,
    *,
    timeout: float,
    purpose: str = "monitor",
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[DatabaseLock]:
    """Hold the writer lock of ``engine``'s database for the block (see :class:`DatabaseLock`)."""
    lock = DatabaseLock(engine, WRITER, purpose=purpose)
    lock.acquire(timeout, on_wait)
    try:
        yield lock
    finally:
        lock.release()
