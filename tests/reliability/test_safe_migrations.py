"""Migrations cannot brick a database: each runs in a transaction (SQLite included), so one that
dies half-way leaves the revision before it; a kill -9 during the first automatic migration
leaves nothing the next command trips on; a database with tables but no schema version is
refused with the way out (`monitor db upgrade --repair`, or a new database), never given a
silent new history; an empty, truncated or foreign SQLite file is an error naming it, never
migrated as a new database."""

from __future__ import annotations

import random
import shutil
import signal
import time

import pytest
from sqlalchemy import Engine, event, inspect, text

from monitor.db import current_revision, head_revision, make_engine, upgrade
from procs import finish, monitor_env, spawn


class Crash(Exception):
    pass


@pytest.fixture
def crash_on():
    """``crash_on("CREATE TABLE finding_transitions")``: the next statement containing that
    text fails (once), as a process dying there would (its transaction is never committed)."""
    hooks = []

    def install(fragment: str):
        fired = []

        def before(conn, cursor, statement, params, context, executemany):
            if fragment in statement and not fired:
                fired.append(statement)
                raise Crash(fragment)

        event.listen(Engine, "before_cursor_execute", before)
        hooks.append(before)

    yield install
    for hook in hooks:
        event.remove(Engine, "before_cursor_execute", hook)


def test_a_migration_that_dies_half_way_leaves_the_revision_before_it(empty_db_url, crash_on):
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0002")
        # 0003 creates audit_log, findings, manual_evidence, then finding_transitions
        crash_on("CREATE TABLE finding_transitions")
        with pytest.raises(Crash):
            upgrade(engine)
        assert current_revision(engine) == "0002"
        assert not {"audit_log", "findings"} & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine)  # nothing to repair: it simply goes on
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()


def test_a_first_sqlite_migration_that_dies_leaves_no_file(tmp_path, crash_on):
    path = tmp_path / "new.db"
    engine = make_engine(f"sqlite:///{path}")
    crash_on("CREATE TABLE findings")
    with pytest.raises(Crash):
        upgrade(engine)
    assert not path.exists() and not list(tmp_path.glob("new.db.new-*"))
    engine.dispose()


def test_kill_9_during_the_first_automatic_migration(empty_db_url, tmp_path):
    """Killed at random moments of a first use (bounded: 5 kills), the database is always
    either not there yet or usable: the next command works and says nothing about tables that
    already exist."""
    env = monitor_env(tmp_path / "home", empty_db_url)
    rng = random.Random(10)
    for _ in range(5):
        proc = spawn(env, "findings")
        time.sleep(rng.uniform(0.3, 1.6))  # imports take ~0.4s; the migration follows
        proc.send_signal(signal.SIGKILL)
        finish(proc)
    rc, _out, err = finish(spawn(env, "findings"))
    assert rc == 0, err
    assert "already exists" not in err and "Traceback" not in err
    engine = make_engine(empty_db_url)
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()


def _drop_version(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
    engine.dispose()


def test_tables_without_a_version_are_refused_with_the_way_out(cli_db, db_url):
    _drop_version(db_url)  # what an interrupted first migration left before this release
    rc, out, err = cli_db("findings")
    assert rc == 1 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "no schema version" in err and "monitor db upgrade --repair" in err
    assert "start fresh" in err and "Nothing was changed" in err
    engine = make_engine(db_url)
    assert "findings" in inspect(engine).get_table_names()  # nothing was dropped
    assert current_revision(engine) is None
    rc, _out, err = cli_db("db", "upgrade")
    assert rc == 1 and "--repair" in err  # a plain upgrade does not paper over it either

    rc, out, err = cli_db("db", "upgrade", "--repair")
    assert rc == 0, err
    assert out.startswith("repaired: dropped ")
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()
    assert cli_db("findings")[0] == 0


def test_repair_never_drops_data_or_a_database_that_is_not_the_monitors(cli_db, db_url):
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sources (id, agency, title, created_at) "
                "VALUES ('s', 'DHS', 'S', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(text("DELETE FROM alembic_version"))
    rc, _out, err = cli_db("db", "upgrade", "--repair")
    assert rc == 1 and "holds data (sources: 1 rows)" in err and "nothing was dropped" in err
    with engine.begin() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM sources")).scalar() == 1
        conn.execute(text("DELETE FROM sources"))
        conn.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY)"))
    rc, _out, err = cli_db("db", "upgrade", "--repair")
    assert rc == 1 and "does not make (customers)" in err
    assert {"customers", "sources"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_repair_of_a_database_with_a_version_changes_nothing(cli_db):
    rc, _out, err = cli_db("db", "upgrade", "--repair")
    assert rc == 1 and "nothing to repair" in err


@pytest.mark.parametrize(
    "damage, says",
    [
        (lambda p, tpl: p.write_bytes(b""), "is an empty file (0 bytes)"),
        (
            lambda p, tpl: p.write_bytes(tpl.read_bytes()[: len(tpl.read_bytes()) // 2]),
            "is truncated",
        ),
        (lambda p, tpl: p.write_bytes(tpl.read_bytes()[:60]), "is truncated"),
        (lambda p, tpl: p.write_bytes(b"name,count\n" * 100), "is not a SQLite database"),
    ],
)
@pytest.mark.parametrize(
    "argv", [("findings",), ("db", "upgrade"), ("db", "current"), ("evaluate",)]
)
def test_an_empty_truncated_or_foreign_sqlite_file_is_an_error_naming_it(
    cli, monkeypatch, tmp_path, sqlite_template, damage, says, argv
):
    path = tmp_path / "monitor.db"
    damage(path, sqlite_template)
    before = path.read_bytes()
    monkeypatch.setenv("MONITOR_DATABASE_URL", f"sqlite:///{path}")
    rc, out, err = cli(*argv)
    assert rc == 1 and out == ""
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert str(path) in err and says in err and "it was not touched" in err
    assert path.read_bytes() == before  # never migrated as a new, empty database


def test_a_whole_sqlite_database_passes_the_check(tmp_path, sqlite_template):
    path = tmp_path / "copy.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)  # no error: already at head
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()
