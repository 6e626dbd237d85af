"""Writing commands are on record (command_runs): a row left `running` by a process that died
is marked `interrupted` by the next command that writes (it holds the writer lock, so the
process on record cannot still be running), never by one that only reads; `monitor runs` shows
it. A command ends `finished` (with its exit status) or `failed` (with the error)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from monitor.db import make_engine
from monitor.models import CommandRun


def _left_running(db_url: str, cycle: str | None = None) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            CommandRun.__table__.insert().values(
                command="monitor run",
                pid=999999,
                state="running",
                cycle=cycle,
                started_at=datetime(2026, 3, 2, 9, tzinfo=timezone.utc),
            )
        )
    engine.dispose()


def _records(db_url: str) -> list:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        out = list(
            conn.execute(
                select(
                    CommandRun.command, CommandRun.state, CommandRun.exit_status, CommandRun.detail
                ).order_by(CommandRun.id)
            )
        )
    engine.dispose()
    return out


def test_the_next_writer_marks_a_dead_run_interrupted_and_runs_shows_it(cli_db, db_url):
    _left_running(db_url, cycle="20260302T090000Z-deadbeef")
    assert cli_db("findings")[0] == 0  # a read: no lock, no marking
    assert _records(db_url)[0].state == "running"
    rc, _out, err = cli_db("evaluate")
    assert rc == 0, err
    dead, evaluate = _records(db_url)
    assert dead.state == "interrupted"
    assert dead.detail.startswith("ended without finishing (killed or crashed); found by pid ")
    assert "0 fetch run(s) of its cycle had been stored" in dead.detail
    assert (evaluate.command, evaluate.state, evaluate.exit_status) == (
        "monitor evaluate",
        "finished",
        0,
    )
    rc, out, _err = cli_db("runs")
    assert rc == 0
    assert out.startswith(
        "interrupted: monitor run (pid 999999) started 2026-03-02 09:00:00 "
        "UTC, cycle 20260302T090000Z-deadbeef: ended without finishing"
    )


def test_a_command_stopped_by_an_error_is_failed_with_the_error(cli_db, db_url):
    rc, _out, err = cli_db("ack", "424242", "--by", "ana")
    assert rc == 1 and err.startswith("error: ")
    (record,) = _records(db_url)
    assert (record.command, record.state, record.exit_status) == ("monitor ack", "failed", 1)
    assert record.detail.startswith("NotFound: ")
