"""kill -9 at random points of `monitor run --once --all` (bounded: 20 kills over both
databases, against a loopback stand-in for the agencies): never a lost snapshot (every snapshot
row keeps its archived body, and no snapshot stored by an earlier run goes away), never a
half-created database, and every interrupted run is marked `interrupted` by the next command
that writes, with no fetch run left without an end."""

from __future__ import annotations

import random
import signal
import time

import pytest
from sqlalchemy import select

from monitor.config import load_settings
from monitor.context import Context
from monitor.db import current_revision, head_revision, make_engine
from monitor.demo_server import DemoServer, load_manifests
from monitor.migrating import check_sqlite_file, sqlite_file, unversioned_tables
from monitor.models import CommandRun, FetchRun, Snapshot
from monitor.pipeline import run_once
from scrapers.fetch.archive import Archive
from procs import finish, monitor_env, rows, spawn

KILLS = {"sqlite": 12, "postgresql": 8}  # 20 in all


def _snapshots(db_url: str) -> set[tuple[str, str]]:
    return {(u, s) for u, s in rows(db_url, select(Snapshot.url, Snapshot.sha256))}


def _running(db_url: str, pid: int) -> bool:
    try:  # rows() never creates a SQLite file that is not there yet (procs.py)
        return bool(
            rows(
                db_url,
                select(CommandRun.id).where(CommandRun.state == "running", CommandRun.pid == pid),
            )
        )
    except Exception:  # noqa: BLE001 - not migrated yet
        return False


def _whole(db_url: str) -> bool:
    """The database is not there yet, or a whole one at some revision: never tables without a
    version, never a damaged SQLite file."""
    engine = make_engine(db_url)
    try:
        path = sqlite_file(engine)
        if path is not None:
            if not path.exists():
                return True
            check_sqlite_file(path)
        revision = current_revision(engine)
        return revision is not None or not unversioned_tables(engine)
    finally:
        engine.dispose()


def _at_head(db_url: str) -> bool:
    engine = make_engine(db_url)
    try:
        path = sqlite_file(engine)
        if path is not None and not path.exists():
            return False  # never connect to a missing SQLite file: that creates it, empty
        return current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()


@pytest.fixture
def server():
    with DemoServer(load_manifests()) as srv:
        yield srv


def reference(server, tmp_path) -> set[tuple[str, str]]:
    """What one uninterrupted run stores, on a database of its own."""
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    ctx = Context(
        load_settings(
            {
                "MONITOR_HOME": str(tmp_path / "ref"),
                "MONITOR_DATABASE_URL": url,
                "MONITOR_HOST_MIN_INTERVAL": "0",
                "MONITOR_HTTP_RETRIES": "0",
                "MONITOR_CONTACT": "t@localhost",
            }
        )
    )
    run_once(ctx, every_source=True, rewrite=server.rewrite, evaluate=False, notify=False)
    ctx.engine.dispose()
    return _snapshots(url)


def test_kill_9_at_random_points_of_run_once(backend, empty_db_url, tmp_path, server):
    env = monitor_env(tmp_path / "home", empty_db_url, server.base)
    archive = Archive(tmp_path / "home" / "archive")
    rng = random.Random(20)
    stored: set[tuple[str, str]] = set()
    killed, on_record = [], 0
    for i in range(KILLS[backend]):
        proc = spawn(env, "run", "--once", "--all")
        if i % 2 == 0:  # anywhere from start-up on (the first one can hit the migration)
            time.sleep(rng.uniform(0.2, 2.0))
            seen_running = _running(empty_db_url, proc.pid)
        else:  # somewhere in the run, once it is on record (a loaded machine starts slowly)
            deadline = time.monotonic() + 120
            while (
                not (seen_running := _running(empty_db_url, proc.pid))
                and proc.poll() is None
                and time.monotonic() < deadline
            ):
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 1.0))
        proc.send_signal(signal.SIGKILL)
        rc, _out, err = finish(proc)
        assert "Traceback" not in err, err
        if rc == -signal.SIGKILL:
            killed.append(proc.pid)
            on_record += seen_running
        assert _whole(empty_db_url)
        now = _snapshots(empty_db_url) if _at_head(empty_db_url) else set()
        assert stored <= now  # nothing committed before is lost
        for _url, sha in now:  # every snapshot row has its body
            assert archive.path(sha).exists(), f"snapshot {sha} has no body in the archive"
        stored = now

    rc, _out, err = finish(spawn(env, "run", "--once", "--all"))
    assert "Traceback" not in err and "already exists" not in err, err
    assert rc in (0, 1)
    assert killed, "no run was killed: the kill points are wrong"
    records = rows(
        empty_db_url, select(CommandRun.pid, CommandRun.state, CommandRun.cycle, CommandRun.detail)
    )
    assert not [r for r in records if r.state == "running"]
    interrupted = [r for r in records if r.state == "interrupted"]
    # a run killed once on record is marked (or had just finished when the kill came)
    assert {r.pid for r in interrupted} <= set(killed)
    assert len(interrupted) >= 1 and on_record >= 1
    for r in interrupted:  # marked with what its cycle had stored
        if r.cycle is None:
            assert r.detail.endswith("it had not begun to fetch")
            continue
        stored_runs = len(rows(empty_db_url, select(FetchRun.id).where(FetchRun.cycle == r.cycle)))
        assert f"; {stored_runs} fetch run(s) of its cycle had been stored" in r.detail
    assert not rows(empty_db_url, select(FetchRun.id).where(FetchRun.finished_at.is_(None)))
    assert _snapshots(empty_db_url) == reference(server, tmp_path)


def _fetch_processes_of(pid: int) -> list[int]:
    """The fetch processes (``python -m monitor.fetch_worker``) whose parent is ``pid``."""
    from pathlib import Path

    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            status = (entry / "status").read_text()
        except OSError:
            continue  # ended meanwhile
        ppid = next(
            (line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), ""
        )
        if b"monitor.fetch_worker" in cmdline and ppid == str(pid):
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped has ended)."""
    from pathlib import Path

    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_run_killed_while_its_fetch_process_works_leaves_no_process_and_loses_nothing(
    backend, empty_db_url, tmp_path, server
):
    """kill -9 of `run --once --all` once its fetch process is at work (every run fetches in
    one here): the fetch process, whose input closes with its parent, ends by itself; the next
    run stores exactly what one uninterrupted run stores."""
    env = monitor_env(tmp_path / "home", empty_db_url, server.base, fetch_process_from="2")
    proc = spawn(env, "run", "--once", "--all")
    deadline, children = time.monotonic() + 120, []
    while not children and proc.poll() is None and time.monotonic() < deadline:
        children = _fetch_processes_of(proc.pid)
        time.sleep(0.02)
    assert children, "the run started no fetch process"
    time.sleep(0.2)  # some requests under way
    proc.send_signal(signal.SIGKILL)
    rc, _out, err = finish(proc)
    assert "Traceback" not in err, err
    deadline = time.monotonic() + 60
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(c) for c in children), "the fetch process outlived its run"

    rc, _out, err = finish(spawn(env, "run", "--once", "--all"))
    assert "Traceback" not in err, err
    assert rc in (0, 1)
    assert not rows(empty_db_url, select(FetchRun.id).where(FetchRun.finished_at.is_(None)))
    assert _snapshots(empty_db_url) == reference(server, tmp_path)
