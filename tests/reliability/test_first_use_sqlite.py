"""A first use of SQLite killed half-way never bricks the database path (tests for
monitor.migrating): the build runs beside the final name and is renamed into place, so what a
kill -9 can leave is the build's leftover, and, if anything opened the path meanwhile (SQLite
creates a file on open), a 0-byte file at the final name. The next command builds the database
again over that pair; a 0-byte file on its own is still refused as damage (see
test_safe_migrations.py), as are truncated and foreign files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monitor.db import current_revision, ensure_migrated, head_revision, make_engine, upgrade
from monitor.errors import DatabaseError
from monitor.migrating import check_sqlite_file, interrupted_first_build


def _killed_first_use(path, template, *, leftover_bytes: int | None) -> None:
    """What a first build killed before its rename leaves when an observer opened the path."""
    path.write_bytes(b"")  # the observer's open
    leftover = path.with_name(f"{path.name}.new-424242")
    if leftover_bytes is None:
        shutil.copy(template, leftover)
    else:
        leftover.write_bytes(template.read_bytes()[:leftover_bytes])


@pytest.mark.parametrize("leftover_bytes", [None, 0, 4096], ids=["whole", "empty", "partial"])
@pytest.mark.parametrize("argv", [("findings",), ("db", "upgrade"), ("evaluate",)])
def test_a_killed_first_build_is_built_again(
    cli, monkeypatch, tmp_path, sqlite_template, leftover_bytes, argv
):
    path = tmp_path / "monitor.db"
    _killed_first_use(path, sqlite_template, leftover_bytes=leftover_bytes)
    assert interrupted_first_build(path)
    monkeypatch.setenv("MONITOR_DATABASE_URL", f"sqlite:///{path}")
    rc, _out, err = cli(*argv)
    assert rc == 0 and "error" not in err, err
    engine = make_engine(f"sqlite:///{path}")
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()
    check_sqlite_file(path)  # whole
    assert list(tmp_path.glob("monitor.db.new-*")) == []


def test_the_first_use_migration_builds_over_the_pair_in_process(tmp_path, sqlite_template):
    path = tmp_path / "monitor.db"
    _killed_first_use(path, sqlite_template, leftover_bytes=100)
    engine = make_engine(f"sqlite:///{path}")
    assert current_revision(engine) is None  # looked at without writing into it
    assert path.stat().st_size == 0
    ensure_migrated(engine, lock_timeout=5)
    assert current_revision(engine) == head_revision(engine)
    assert not interrupted_first_build(path)
    upgrade(engine)  # at head: nothing to do, no error
    engine.dispose()


def test_a_lone_empty_file_or_a_damaged_database_beside_a_leftover_is_still_refused(
    tmp_path, sqlite_template
):
    path = tmp_path / "monitor.db"
    path.write_bytes(b"")
    assert not interrupted_first_build(path)  # no build was under way: refused as before
    with pytest.raises(DatabaseError, match="empty file"):
        check_sqlite_file(path)
    # a truncated database is damage even beside a leftover: only 0 bytes can be a first use
    path.write_bytes(sqlite_template.read_bytes()[: len(sqlite_template.read_bytes()) // 2])
    path.with_name(f"{path.name}.new-1").write_bytes(b"")
    before = path.read_bytes()
    assert not interrupted_first_build(path)
    with pytest.raises(DatabaseError, match="truncated"):
        upgrade(make_engine(f"sqlite:///{path}"))
    assert path.read_bytes() == before


def test_a_log_left_by_a_database_no_longer_there_is_not_replayed_into_the_new_one(
    tmp_path, caplog
):
    """A write-ahead log (or rollback journal) left beside a database path whose database is
    gone would be replayed into the new database built there when it is first opened: SQLite
    cannot tell whose log it is. The build removes it, naming it."""
    import sqlite3

    other = tmp_path / "other.db"
    writer = sqlite3.connect(other)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE stray (x TEXT)")
    writer.executemany("INSERT INTO stray VALUES (?)", [("x" * 500,)] * 200)
    writer.commit()
    path = tmp_path / "monitor.db"
    shutil.copy(f"{other}-wal", f"{path}-wal")  # the log of a database since removed
    writer.close()
    assert Path(f"{path}-wal").stat().st_size > 0

    engine = make_engine(f"sqlite:///{path}")
    try:
        with caplog.at_level("WARNING", logger="monitor.migrating"):
            upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            tables = set(conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars())
        assert "stray" not in tables and "count_observations" in tables
    finally:
        engine.dispose()
    assert f"{path}-wal" in caplog.text
