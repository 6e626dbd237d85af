"""monitor query on both databases: reads print as a table, CSV or JSON; every kind of write is
refused with one clear line and leaves the database exactly as it was. The database layers are
also tested alone (with the lexical check switched off), since each must refuse on its own."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from viewkit import DHS, Q1, ingest

FEB = datetime(2023, 2, 20, 12, tzinfo=timezone.utc)
CAUSES = (
    "SELECT month, value FROM separations_monthly WHERE agency = 'DHS' "
    "AND dimension = 'cause' AND category = 'criminal_history' ORDER BY month"
)

# (statement, the database it attacks: on the other one it may simply not exist)
WRITES = [
    ("INSERT INTO sources (id, agency, kind) VALUES ('x', 'DHS', 'y')", "both"),
    ("UPDATE findings SET state = 'waived'", "both"),
    ("DELETE FROM count_observations", "both"),
    ("DROP VIEW separations_monthly", "both"),
    ("DROP TABLE count_observations", "both"),
    ("ATTACH DATABASE '{tmp}/evil.db' AS evil", "both"),
    ("PRAGMA user_version = 42", "both"),
    ("PRAGMA journal_mode = DELETE", "both"),
    ("SELECT 1; DELETE FROM count_observations", "both"),
    ("SELECT 1; COMMIT; DELETE FROM count_observations", "both"),
    ("SELECT 1 /* ; */ ; DROP VIEW separations_monthly --", "both"),
    (
        "WITH gone AS (DELETE FROM count_observations RETURNING id) SELECT count(*) FROM gone",
        "both",
    ),
    ("SELECT * FROM sources FOR UPDATE", "both"),
    ("COPY count_observations TO '{tmp}/out.csv'", "both"),
    ("COPY (SELECT 1) TO STDOUT", "both"),
    ("CREATE TABLE t AS SELECT 1 AS x", "both"),
    ("VACUUM", "both"),
    ("EXPLAIN ANALYZE DELETE FROM count_observations", "both"),
    ("SELECT load_extension('mod_spatialite')", "sqlite"),
    ("SELECT pg_terminate_backend(pg_backend_pid())", "postgresql"),
    ("SELECT set_config('default_transaction_read_only', 'off', false)", "postgresql"),
    ("SELECT nextval('count_observations_id_seq')", "postgresql"),
    ("SELECT lo_import('/etc/hostname')", "postgresql"),
    ("SELECT \"pg_catalog\".\"lo_export\"(1, '{tmp}/x')", "postgresql"),
    ("SELECT pg_read_file('/etc/hostname')", "postgresql"),
]


@pytest.fixture
def stored(session, archive):
    ingest(session, archive, DHS, Q1, FEB)
    session.commit()


def fingerprint(engine, tmp_path: Path) -> tuple:
    """Everything a write could change: every table's rows, the schema objects, the files."""
    insp = inspect(engine)
    tables = sorted(insp.get_table_names())
    with engine.connect() as conn:
        counts = [(t, conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar()) for t in tables]
        extra = ()
        if engine.dialect.name == "postgresql":
            extra = tuple(
                conn.execute(
                    text(
                        "SELECT (SELECT count(*) FROM pg_largeobject_metadata), "
                        "(SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace), "
                        "(SELECT last_value FROM count_observations_id_seq)"
                    )
                ).one()
            )
    files = sorted(
        str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if "archive" not in p.parts
    )
    digest = None
    if engine.dialect.name == "sqlite":
        digest = hashlib.sha256(Path(make_url(str(engine.url)).database).read_bytes()).hexdigest()
    return tables, sorted(insp.get_view_names()), counts, extra, files, digest


def test_a_read_prints_as_a_table_csv_or_json(cli_db, stored):
    rc, out, err = cli_db("query", CAUSES)
    assert rc == 0, err
    assert out.splitlines() == [
        "month    value",
        "-------  -----",
        "2022-10  4",
        "2022-11  3",
        "2022-12  5",
        "(3 rows)",
    ]
    rc, out, _ = cli_db("query", CAUSES, "--format", "csv")
    assert list(csv.reader(io.StringIO(out))) == [
        ["month", "value"],
        ["2022-10", "4"],
        ["2022-11", "3"],
        ["2022-12", "5"],
    ]
    rc, out, _ = cli_db("query", CAUSES + ";  -- the months", "--format", "json")
    assert json.loads(out) == [
        {"month": "2022-10", "value": 4},
        {"month": "2022-11", "value": 3},
        {"month": "2022-12", "value": 5},
    ]
    rc, out, _ = cli_db("query", "SELECT count(*) AS n FROM separations_monthly WHERE 1 = 0")
    assert (rc, out.splitlines()[-1]) == (0, "(1 row)")


def test_a_read_that_the_database_rejects_is_one_line(cli_db):
    rc, out, err = cli_db("query", "SELECT no_such_column FROM separations_monthly")
    assert rc == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("error: SQLite: no such column") or err.startswith(
        'error: PostgreSQL: column "no_such_column" does not exist'
    )


def test_every_write_is_refused_and_changes_nothing(cli_db, engine, stored, tmp_path):
    before = fingerprint(engine, tmp_path)
    for template, attacks in WRITES:  # one database for all: each attempt is checked alone
        sql = template.format(tmp=tmp_path)
        rc, out, err = cli_db("query", sql)
        assert rc == 1 and out == "" and err.count("\n") == 1, (sql, out, err)
        if attacks in ("both", engine.dialect.name):
            assert err.startswith("error: refused: "), (sql, err)
        else:  # e.g. pg_read_file on SQLite: no such function
            assert err.startswith(("error: refused: ", "error: SQLite: ", "error: PostgreSQL: ")), (
                sql,
                err,
            )
        assert fingerprint(engine, tmp_path) == before, sql
    rc, out, _ = cli_db("query", CAUSES, "--format", "csv")  # the database still answers
    assert rc == 0 and out.count("\n") == 4


DATABASE_LAYER = [
    "INSERT INTO sources (id) VALUES ('x')",
    "DELETE FROM count_observations",
    "DROP VIEW separations_monthly",
    "SELECT 1; DELETE FROM count_observations",
    "SELECT 1; COMMIT; DELETE FROM count_observations",
    "WITH gone AS (DELETE FROM count_observations RETURNING id) SELECT count(*) FROM gone",
    "SELECT * FROM sources FOR UPDATE",
    "CREATE TABLE t AS SELECT 1 AS x",
]
SQLITE_LAYER = [
    "ATTACH DATABASE '{tmp}/evil.db' AS evil",
    "PRAGMA user_version = 42",
    "SELECT load_extension('mod_spatialite')",
    "VACUUM",
]
POSTGRESQL_LAYER = [
    "SELECT pg_terminate_backend(pg_backend_pid())",
    "SELECT lo_import('/etc/hostname')",
    "SELECT nextval('count_observations_id_seq')",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
]


def test_the_database_layer_refuses_writes_on_its_own(
    db_url, engine, stored, tmp_path, monkeypatch
):
    from monitor import readonly_sql
    from monitor.readonly_sql import QueryFailed, QueryRefused, run_readonly, scan

    dialect = engine.dialect.name
    monkeypatch.setattr(readonly_sql, "check_statement", lambda s, d: scan(s, d))
    before = fingerprint(engine, tmp_path)
    own = SQLITE_LAYER if dialect == "sqlite" else POSTGRESQL_LAYER
    for template in DATABASE_LAYER + own:
        sql = template.format(tmp=tmp_path)
        with pytest.raises((QueryRefused, QueryFailed)) as refused:
            with run_readonly(db_url, sql) as (_, rows):
                list(rows)
        if refused.type is QueryFailed:  # SQLite has no DELETE inside WITH: not even parsed
            assert dialect == "sqlite" and "syntax error" in str(refused.value), sql
        assert fingerprint(engine, tmp_path) == before, sql
