"""One writer per database: the lock of monitor.locks on SQLite (a flock'ed file beside the
database) and PostgreSQL (a session advisory lock). A command that writes waits for the holder
with one line on stderr, up to lock_timeout, then exits 1 with one line; a command that only
reads never waits; a lock dies with the process holding it (kill -9 included)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from monitor.locks import LEADER, WRITER, DatabaseLock, LockTimeout, writer_lock

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Holder:
    """Holds a lock of ``engine`` from another thread (another thread counts as another
    holder: the lock is re-entrant only within one thread) until ``release()``."""

    def __init__(self, engine, name: str = WRITER, purpose: str = "monitor test-holder"):
        self.lock = DatabaseLock(engine, name, purpose=purpose)
        self.got, self.go = threading.Event(), threading.Event()
        self.ok = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        self.ok = self.lock.try_acquire()
        self.got.set()
        if self.ok:
            self.go.wait(30)
            self.lock.release()

    def __enter__(self):
        self.thread.start()
        assert self.got.wait(10)
        assert self.ok, "the holder could not take the lock"
        return self

    def release(self):
        self.go.set()
        self.thread.join(10)

    def __exit__(self, *exc):
        self.release()


def test_a_second_holder_cannot_take_the_lock_until_it_is_released(engine):
    with Holder(engine) as holder:
        other = DatabaseLock(engine, WRITER, purpose="monitor other")
        assert not other.try_acquire()
        assert "monitor test-holder" in other.holder()
        # another name is another lock: the serve leader does not block writers
        leader = DatabaseLock(engine, LEADER)
        assert leader.try_acquire()
        leader.release()
        holder.release()
        assert other.try_acquire()
        other.release()


def test_the_lock_is_re_entrant_within_a_thread_only(engine):
    with writer_lock(engine, timeout=0) as outer:
        with writer_lock(engine, timeout=0) as inner:  # a migration inside a command
            assert inner.held and outer.held
        assert outer.held  # the inner release does not free the outer hold
        seen = {}
        t = threading.Thread(
            target=lambda: seen.setdefault("got", DatabaseLock(engine).try_acquire())
        )
        t.start()
        t.join(10)
        assert seen["got"] is False
    assert not DatabaseLock(engine).held


def test_acquire_waits_then_times_out_with_one_line(engine):
    lines = []
    with Holder(engine):
        with pytest.raises(LockTimeout) as info:
            DatabaseLock(engine).acquire(0.3, on_wait=lines.append)
    message = str(info.value)
    assert "\n" not in message
    assert "monitor test-holder" in message and "MONITOR_LOCK_TIMEOUT" in message
    assert len(lines) == 1 and lines[0].startswith("waiting up to 0.3s for the writer lock")


def test_a_writing_command_waits_for_the_holder_then_gives_up_in_one_line(
    cli_db, engine, monkeypatch
):
    monkeypatch.setenv("MONITOR_LOCK_TIMEOUT", "0.3")
    with Holder(engine, purpose="monitor run"):
        rc, out, err = cli_db("evaluate")
    lines = err.strip().splitlines()
    assert rc == 1 and out == ""
    assert lines[0].startswith("waiting up to 0.3s for the writer lock of ")
    assert "held by pid " in lines[0] and "monitor run" in lines[0]
    assert lines[-1].startswith("error: ") and "MONITOR_LOCK_TIMEOUT" in lines[-1]
    assert len(lines) == 2 and "Traceback" not in err


def test_a_waiting_command_goes_on_once_the_holder_is_done(cli_db, engine, monkeypatch):
    monkeypatch.setenv("MONITOR_LOCK_TIMEOUT", "20")
    holder = Holder(engine).__enter__()
    timers = []
    acquire = DatabaseLock.acquire

    def acquire_then_release_the_holder(self, timeout, on_wait=None):
        # the holder lets go half a second after the command starts waiting (not after a fixed
        # time from the test's start, which a slow machine spends before the command waits)
        def waiting(line):
            if on_wait is not None:
                on_wait(line)
            timers.append(threading.Timer(0.5, holder.release))
            timers[-1].start()

        return acquire(self, timeout, on_wait=waiting)

    monkeypatch.setattr(DatabaseLock, "acquire", acquire_then_release_the_holder)
    try:
        rc, out, err = cli_db("evaluate")
    finally:
        for timer in timers:
            timer.cancel()
        holder.release()
    assert rc == 0, err
    assert "finding(s)" in out and "waiting up to 20s" in err


@pytest.mark.parametrize(
    "argv",
    [
        ("findings",),
        ("sources",),
        ("runs",),
        ("problems",),
        ("evaluate", "--dry-run"),
        ("db", "current"),
    ],
)
def test_reads_never_wait(cli_db, engine, monkeypatch, argv):
    monkeypatch.setenv("MONITOR_LOCK_TIMEOUT", "0")
    with Holder(engine):
        rc, _out, err = cli_db(*argv)
    assert "waiting" not in err and "locked" not in err, err
    assert rc in (0, 1) and "error:" not in err  # runs/sources may say "nothing yet" but answer


def test_timeout_zero_does_not_wait(cli_db, engine, monkeypatch):
    monkeypatch.setenv("MONITOR_LOCK_TIMEOUT", "0")
    with Holder(engine):
        rc, _out, err = cli_db("ack", "1", "--by", "ana")
    assert rc == 1 and "waiting" not in err
    assert err.startswith("error: ") and "locked by another writer" in err


HOLD = """
import sys, time
from monitor.db import make_engine
from monitor.locks import DatabaseLock
lock = DatabaseLock(make_engine(sys.argv[1]), sys.argv[2], purpose="monitor holder")
assert lock.try_acquire()
print("held", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("name", [WRITER, LEADER])
def test_a_lock_dies_with_its_process_even_on_kill_9(db_url, engine, name):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, db_url, name], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "held"
        lock = DatabaseLock(engine, name)
        assert not lock.try_acquire()
        assert f"pid {proc.pid}: monitor holder" in lock.holder()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        lock.acquire(10)  # the server (or the kernel) freed it
        assert lock.held
        lock.release()
    finally:
        proc.kill()
        proc.wait(10)


# Commands that never take the writer lock at the command level: they only read, or (serve)
# take it per job, or (demo) lock the database they write themselves (the demo's, not the
# configured one: monitor/demo.py), or (db) lock inside the migration.
READ_ONLY_OR_OWN = {
    "candidates",
    "chart",
    "check",
    "config",
    "db",
    "deliveries",
    "demo",
    "export",
    "findings",
    "parse",
    "problems",
    "query",
    "runs",
    "serve",
    "sources",
    "status",
}


def _writes_declared(parser) -> bool:
    import argparse

    if "writes" in parser._defaults:
        return True
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return bool(subs) and all(_writes_declared(p) for s in subs for p in s.choices.values())


def test_every_command_that_writes_declares_it():
    """A new command must say whether it writes (set_defaults(writes=...)), or be listed above
    as one that only reads: otherwise two of it at once would write unguarded."""
    import argparse

    from monitor.cli import build_parser

    (commands,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    undeclared = sorted(
        name
        for name, parser in commands.choices.items()
        if name not in READ_ONLY_OR_OWN and not _writes_declared(parser)
    )
    assert undeclared == []
    assert _writes_declared(commands.choices["adopt"]) and _writes_declared(
        commands.choices["archive"]
    )


def test_the_demo_waits_for_the_writer_of_its_database_then_gives_up_in_one_line(
    cli, db_url, engine, monkeypatch, tmp_path
):
    """`monitor demo --database URL` writes that database like any writing command: it takes
    the writer lock first, so it never writes beside another writer (nor beside another demo)."""
    from sqlalchemy import func, select

    from monitor.models import CommandRun, FetchRun

    def written():
        with engine.connect() as conn:
            return (
                conn.scalar(select(func.count()).select_from(FetchRun)),
                conn.scalar(select(func.count()).select_from(CommandRun)),
            )

    before = written()
    monkeypatch.setenv("MONITOR_LOCK_TIMEOUT", "0.3")
    with Holder(engine, purpose="monitor run"):
        rc, out, err = cli(
            "demo", "--database", db_url, "--keep", str(tmp_path / "demo"), "--force"
        )
    lines = err.strip().splitlines()
    assert rc == 1 and out == ""
    assert lines[0].startswith("waiting up to 0.3s for the writer lock of ")
    assert "monitor run" in lines[0]
    assert lines[-1].startswith("error: ") and "MONITOR_LOCK_TIMEOUT" in lines[-1]
    assert "Traceback" not in err
    assert written() == before  # not one fetch run, not one command on record
