"""The serve leader lock: one holder per database (PostgreSQL advisory lock on a dedicated
connection, SQLite flock beside the database); released when the holder goes."""

from __future__ import annotations

import os

from sqlalchemy import text

from monitor.leader import FileLeaderLock, PgLeaderLock, leader_lock


def test_one_holder_at_a_time_and_the_next_takes_over_on_release(db_url):
    first, second = leader_lock(db_url), leader_lock(db_url)
    try:
        assert first.acquire() and first.held()
        assert not second.acquire() and not second.held()
        assert first.acquire()  # taking it again is a no-op for the holder
        first.release()
        assert not first.held()
        assert second.acquire() and second.held()
        assert not first.acquire()
    finally:
        first.release()
        second.release()


def test_the_lock_is_lost_when_its_connection_ends(db_url, engine):
    lock = leader_lock(db_url)
    other = leader_lock(db_url)
    try:
        assert lock.acquire()
        if isinstance(lock, PgLeaderLock):
            pid = lock.conn.execute(text("SELECT pg_backend_pid()")).scalar()
            with engine.connect() as conn:  # what a server restart or a dead network does
                conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        else:
            assert isinstance(lock, FileLeaderLock)
            lock.path.unlink()  # someone removed the lock file: a new one would have no holder
        assert not lock.held()
        assert other.acquire()
    finally:
        lock.release()
        other.release()


def test_sqlite_lock_file_sits_beside_the_database(tmp_path):
    lock = leader_lock(f"sqlite:///{tmp_path / 'm.db'}")
    assert lock.path == tmp_path / "m.db-leader.lock"


def test_it_is_the_leader_lock_of_monitor_locks_and_names_its_holder(db_url, engine):
    from monitor.locks import LEADER, DatabaseLock

    lock = leader_lock(db_url)
    try:
        assert lock.acquire()
        other = DatabaseLock(engine, LEADER)
        assert not other.try_acquire()
        assert other.holder().startswith(f"pid {os.getpid()}: monitor serve, since ")
    finally:
        lock.release()
    assert other.try_acquire()
    other.release()
