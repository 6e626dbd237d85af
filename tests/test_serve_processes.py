"""`monitor serve` as real processes: SIGTERM finishes the running job and exits 0; kill -9 in the
middle of a poll, then a restart, marks the run interrupted, loses nothing and sends no Slack
message twice; two instances against one PostgreSQL database run every job once, and the standby
takes over when the leader is killed.

A mirror in front of the demo's server (``Gate``) can hold the first request of a poll, so the
test knows a job is running when it signals the process; every wait is bounded."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from run_env import loopback_env
from delivery_kit import slack  # noqa: F401 - the Slack stand-in fixture
from monitor.config import load_settings
from monitor.congress_poll import pollable
from monitor.context import Context
from monitor.db import make_engine
from monitor.demo_server import DemoServer, load_manifests
from monitor.models import Delivery, FetchRun, Snapshot
from monitor.models.service import ServiceLeader, ServiceRun
from monitor.pipeline import run_once
from scrapers.registry import all_sources
from slack_standin import TOKEN, SlackStandIn

# the polled ones: with no Congress.gov key configured, its two sources are not polled
SOURCES = tuple(r.id for r in all_sources() if pollable(r, None))
POLLS = tuple(f"poll:{s}" for s in SOURCES)
WAIT = 90  # seconds: a bound on every wait, never reached when all is well
EVERY = timedelta(seconds=3)  # --poll-every in the two-instance test


class Gate:
    """A mirror that forwards to the demo's server, holding every request until released."""

    def __init__(self, upstream: str, open_: bool = False) -> None:
        self.upstream = upstream
        self.arrived, self.released = threading.Event(), threading.Event()
        if open_:
            self.released.set()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                gate.arrived.set()
                gate.released.wait(WAIT)
                try:
                    with urllib.request.urlopen(gate.upstream + self.path, timeout=30) as resp:
                        status, body, ctype = resp.status, resp.read(), resp.headers["Content-Type"]
                except urllib.error.HTTPError as exc:
                    status, body, ctype = exc.code, exc.read(), exc.headers["Content-Type"]
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype or "application/octet-stream")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client was killed meanwhile

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def demo():
    with DemoServer(load_manifests()) as server:
        yield server


@pytest.fixture
def env(db_url, tmp_path):
    out = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    out.update(loopback_env(db_url, tmp_path / "home", MONITOR_LOG_FORMAT="json"))
    return out


class Proc:
    def __init__(self, env: dict, log_path, *args: str) -> None:
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.p = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "serve", *args],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.pid = self.p.pid

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text()

    def wait(self) -> int:
        try:
            return self.p.wait(WAIT)
        finally:
            self.log.close()

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(WAIT)
        self.log.close()


@pytest.fixture
def procs():
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.kill()


def wait_for(db_url, what: str, cond, procs=()) -> None:
    engine = make_engine(db_url)
    deadline = time.monotonic() + WAIT
    try:
        while True:
            with Session(engine) as session:
                if cond(session):
                    return
            for proc in procs:
                assert proc.p.poll() is None, f"serve exited early:\n{proc.output()}"
            assert time.monotonic() < deadline, f"never happened: {what}"
            time.sleep(0.2)
    finally:
        engine.dispose()


def runs(session, pid=None):
    query = select(ServiceRun).order_by(ServiceRun.id)
    if pid is not None:
        query = query.where(ServiceRun.pid == pid)
    return list(session.scalars(query))


def finished_polls(session, pid, at_least):
    done = [r.job for r in runs(session, pid) if r.job in POLLS and r.state in ("ok", "failed")]
    return all(done.count(job) >= at_least for job in POLLS)


def test_sigterm_lets_the_running_job_finish_and_exits_0(env, db_url, demo, procs, tmp_path):
    gate = Gate(demo.base)
    try:
        proc = Proc(env, tmp_path / "serve.log", "--mirror", gate.base, "--heartbeat", "0.5")
        procs.append(proc)
        assert gate.arrived.wait(WAIT), proc.output()  # a poll is fetching its first page
        proc.p.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # the signal is handled while the job still waits on the page
        gate.released.set()
        assert proc.wait() == 0, proc.output()
    finally:
        gate.close()
    engine = make_engine(db_url)
    with Session(engine) as session:
        jobs = [(r.job, r.state) for r in runs(session) if r.job in POLLS]
        leader = session.get(ServiceLeader, "leader")
        (run,) = [r for r in runs(session) if r.job in POLLS]
        fetched = session.scalar(
            select(func.count()).select_from(FetchRun).where(FetchRun.cycle == run.cycle)
        )
    engine.dispose()
    # the poll that was running finished (its fetch runs are stored); the next one never started
    assert len(jobs) == 1 and jobs[0][1] in ("ok", "failed"), jobs
    assert fetched >= 1
    assert leader.stopped_at is not None and leader.pid == proc.pid
    assert '"msg": "stopped"' in proc.output()


def test_kill_9_mid_poll_then_restart_marks_the_run_and_loses_and_repeats_nothing(
    env, db_url, demo, procs, tmp_path, slack
):  # noqa: F811 - fixture
    env.update(
        {
            "MONITOR_SLACK_TOKEN": TOKEN,
            "MONITOR_SLACK_CHANNEL": "C0ALERTS",
            "MONITOR_SLACK_BASE_URL": slack.base_url,
        }
    )
    ctx = Context(load_settings(env))
    first = run_once(ctx, rewrite=demo.rewrite, notify=False)  # findings waiting in the outbox
    assert first.sync.opened
    engine = make_engine(db_url)
    with Session(engine) as session:
        kept = set(session.scalars(select(Snapshot.id)))
    args = ("--mirror", None, "--heartbeat", "0.5", "--poll-every", "0.05m")
    gate = Gate(demo.base)
    try:
        killed = Proc(env, tmp_path / "killed.log", *(a or gate.base for a in args))
        procs.append(killed)
        assert gate.arrived.wait(WAIT), killed.output()  # in the middle of a poll
        killed.kill()  # kill -9
        gate.released.set()
        restarted = Proc(env, tmp_path / "restarted.log", *(a or gate.base for a in args))
        procs.append(restarted)
        wait_for(
            db_url,
            "the restart's polls",
            lambda s: finished_polls(s, restarted.pid, 1),
            [restarted],
        )
        restarted.p.send_signal(signal.SIGTERM)
        assert restarted.wait() == 0, restarted.output()
    finally:
        gate.close()
    with Session(engine) as session:
        interrupted = [r for r in runs(session) if r.state == "interrupted"]
        lead = [r for r in runs(session, restarted.pid) if r.job == "lead"][0]
        snapshots = set(session.scalars(select(Snapshot.id)))
        assert len(interrupted) == 1 and interrupted[0].pid == killed.pid, interrupted
        lost_window = session.scalar(
            select(func.count())
            .select_from(FetchRun)
            .where(
                FetchRun.started_at >= interrupted[0].started_at,
                FetchRun.started_at < lead.started_at,
            )
        )
        sent = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.kind == "slack", Delivery.state == "sent")
        )
        left = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.kind == "slack", Delivery.state != "sent")
        )
        running = [r for r in runs(session) if r.state == "running"]
    engine.dispose()
    ctx.engine.dispose()
    assert interrupted[0].job in POLLS and interrupted[0].finished_at is not None
    assert "was interrupted" in restarted.output()
    assert not running
    assert kept <= snapshots  # no snapshot lost
    assert lost_window == 0  # the killed poll stored nothing half: its transaction rolled back
    keys = [m["metadata"]["event_payload"]["idempotency_key"] for m in slack.posts()]
    assert keys and len(keys) == len(set(keys)) == sent and left == 0  # each alert once


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_instances_run_each_job_once_and_the_standby_takes_over(
    env, db_url, demo, procs, tmp_path
):
    args = (
        "--mirror",
        demo.base,
        "--heartbeat",
        "0.5",
        "--drain-every",
        "1",
        "--poll-every",
        f"PT{int(EVERY.total_seconds())}S",
    )
    leader = Proc(env, tmp_path / "a.log", *args)
    procs.append(leader)
    wait_for(
        db_url,
        "the first instance leads",
        lambda s: any(r.job == "lead" for r in runs(s, leader.pid)),
        [leader],
    )
    standby = Proc(env, tmp_path / "b.log", *args)
    procs.append(standby)
    wait_for(
        db_url,
        "two cycles of the leader",
        lambda s: (
            finished_polls(s, leader.pid, 2) and "another monitor serve leads" in standby.output()
        ),
        [leader, standby],
    )
    leader.kill()  # kill -9: its advisory lock goes with its connection
    wait_for(
        db_url,
        "two cycles of the standby after taking over",
        lambda s: finished_polls(s, standby.pid, 2),
        [standby],
    )
    standby.p.send_signal(signal.SIGTERM)
    assert standby.wait() == 0, standby.output()

    engine = make_engine(db_url)
    with Session(engine) as session:
        rows = runs(session)
        polls = session.execute(
            select(FetchRun.source_id, func.min(FetchRun.started_at))
            .where(FetchRun.listing.is_(True))
            .group_by(FetchRun.source_id, FetchRun.cycle)
            .order_by(func.min(FetchRun.started_at))
        ).all()
    engine.dispose()
    takeover = next(r for r in rows if r.job == "lead" and r.pid == standby.pid)
    assert {r.pid for r in rows} == {leader.pid, standby.pid}
    # the standby ran nothing before it led, the killed leader nothing after
    assert all(r.pid == leader.pid for r in rows if r.id < takeover.id)
    assert all(r.pid == standby.pid for r in rows if r.id > takeover.id)
    # one job at a time: no two runs overlap
    timed = [r for r in rows if r.job != "lead" and r.state != "interrupted"]
    for before, after in zip(timed, timed[1:]):
        assert after.started_at >= before.finished_at, (before.job, after.job)
    # each source polled once per cycle: never twice within its interval (less the jitter slack)
    for source in SOURCES:
        starts = [at for sid, at in polls if sid == source]  # one per poll (cycle)
        assert len(starts) >= 4
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        assert min(gaps) >= EVERY * 0.9, (source, gaps)


def test_kill_9_while_slack_answers_then_restart_sends_each_alert_once(
    env, db_url, demo, procs, tmp_path, httpserver
):
    """The harshest moment: Slack took a message and the sender dies before recording it."""
    standin = SlackStandIn()
    standin._ts = int(time.time()) * 1_000_000  # Slack's ts is the time of posting
    posted, release, count = threading.Event(), threading.Event(), [0]

    def handle(request):
        response = standin.handle(request)
        if request.path.endswith("chat.postMessage"):
            count[0] += 1
            if count[0] == 3:  # Slack has the third message; its sender is about to record it
                posted.set()
                release.wait(WAIT)
        return response

    httpserver.expect_request(re.compile(r"^/api/.+")).respond_with_handler(handle)
    env.update(
        {
            "MONITOR_SLACK_TOKEN": TOKEN,
            "MONITOR_SLACK_CHANNEL": "C0ALERTS",
            "MONITOR_SLACK_BASE_URL": httpserver.url_for("/api/"),
        }
    )
    ctx = Context(load_settings(env))
    assert run_once(ctx, rewrite=demo.rewrite, notify=False).sync.opened  # alerts waiting
    ctx.engine.dispose()
    args = ("--mirror", demo.base, "--heartbeat", "0.5")
    killed = Proc(env, tmp_path / "killed.log", *args)
    procs.append(killed)
    try:
        assert posted.wait(WAIT), killed.output()
        killed.kill()  # kill -9 between Slack's answer and the record
    finally:
        release.set()
    restarted = Proc(env, tmp_path / "restarted.log", *args)
    procs.append(restarted)

    def all_sent(session):
        states = dict(
            session.execute(
                select(Delivery.state, func.count())
                .where(Delivery.kind == "slack")
                .group_by(Delivery.state)
            ).all()
        )
        return set(states) == {"sent"}

    wait_for(db_url, "every alert delivered", all_sent, [restarted])
    restarted.p.send_signal(signal.SIGTERM)
    assert restarted.wait() == 0, restarted.output()
    keys = [m["metadata"]["event_payload"]["idempotency_key"] for m in standin.posts()]
    engine = make_engine(db_url)
    with Session(engine) as session:
        sent = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.kind == "slack", Delivery.state == "sent")
        )
        interrupted = [r.job for r in runs(session) if r.state == "interrupted"]
    engine.dispose()
    assert interrupted == ["drain"]
    assert len(keys) == len(set(keys)) == sent  # each alert posted once, none lost
    assert "checked against Slack before they are sent" in restarted.output()
