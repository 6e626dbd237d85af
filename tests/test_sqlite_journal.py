"""A SQLite database file is kept in write-ahead-log mode, its commits as durable as
``sqlite_synchronous`` says; a database made before (rollback journal) is converted on first
open with nothing lost."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import text

from monitor.config import load_settings
from monitor.context import Context
from monitor.db import make_engine

SYNCHRONOUS = {1: "normal", 2: "full"}  # what PRAGMA synchronous answers


def _modes(engine) -> tuple[str, str]:
    with engine.connect() as conn:
        journal = conn.execute(text("PRAGMA journal_mode")).scalar()
        sync = conn.execute(text("PRAGMA synchronous")).scalar()
    return journal, SYNCHRONOUS[sync]


@pytest.mark.parametrize("setting", [None, "normal", "FULL"])
def test_the_monitors_database_is_in_wal_mode_with_the_settings_synchronous(tmp_path, setting):
    env = {"MONITOR_HOME": str(tmp_path)}
    if setting:
        env["MONITOR_SQLITE_SYNCHRONOUS"] = setting
    ctx = Context(load_settings(env))
    try:
        assert _modes(ctx.engine) == ("wal", (setting or "normal").lower())
    finally:
        ctx.engine.dispose()
    # the mode is the file's own: a plain connection finds it too
    conn = sqlite3.connect(tmp_path / "monitor.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    assert not (tmp_path / "monitor.db-wal").exists()  # folded in when the last one closed


def test_a_rollback_journal_database_is_converted_keeping_its_rows(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    conn.commit()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()

    engine = make_engine(f"sqlite:///{path}", synchronous="full")
    try:
        assert _modes(engine) == ("wal", "full")
        with engine.begin() as c:
            c.execute(text("INSERT INTO t VALUES (3)"))
        with engine.connect() as c:
            assert c.execute(text("SELECT x FROM t ORDER BY x")).scalars().all() == [1, 2, 3]
    finally:
        engine.dispose()


def test_a_database_another_connection_is_writing_is_converted_once_it_is_free(tmp_path):
    """The conversion needs the database to itself: while another connection writes, the
    first open waits for it (busy timeout) rather than failing, and its row is kept."""
    path = tmp_path / "held.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO t VALUES (1)")
    release = threading.Timer(0.3, lambda: (holder.execute("COMMIT"), holder.close()))
    release.start()
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert _modes(engine) == ("wal", "normal")
        with engine.connect() as c:
            assert c.execute(text("SELECT x FROM t")).scalars().all() == [1]
    finally:
        release.join()
        engine.dispose()


def test_an_unknown_synchronous_is_refused():
    with pytest.raises(ValueError, match="synchronous"):
        make_engine("sqlite:///x.db", synchronous="off")
