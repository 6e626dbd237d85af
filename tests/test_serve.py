"""`monitor serve` in-process: a service down across a poll time and a digest time runs each once
on restart, and nothing again on the next restart (time-machine moves the clock; the database
says what ran). SQLite and PostgreSQL."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config import load_settings
from monitor.congress_poll import pollable
from monitor.context import Context
from monitor.db import make_engine
from monitor.demo_server import DemoServer, load_manifests
from monitor.models import FetchRun
from monitor.models.service import ServiceLeader, ServiceRun
from monitor.service import ServeOptions, Service, digest_slots
from scrapers.registry import all_sources, load_source

UTC = timezone.utc
# the polled ones: with no Congress.gov key configured, its two sources are not polled
SOURCES = tuple(r.id for r in all_sources() if pollable(r, None))
LISTINGS = {s: len(load_source(s).source.start_urls) for s in SOURCES}
T1 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday
T2 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # the Tuesday after: Monday 09:00 EDT has passed
NY = "America/New_York"
ENV = {
    "MONITOR_HOST_MIN_INTERVAL": "0",
    "MONITOR_HTTP_RETRIES": "0",
    "MONITOR_WATCH_FROM": "2022-01-01",
    "MONITOR_CONTACT": "t@localhost",
    "MONITOR_SMTP_HOST": "127.0.0.1",
    "MONITOR_SMTP_TLS": "none",
    "MONITOR_DIGEST_FROM": "monitor@example.org",
    "MONITOR_DIGEST_TO": "policy@example.org",
    "MONITOR_DIGEST_DAY": "monday",
    "MONITOR_DIGEST_TIME": "09:00",
    "MONITOR_DIGEST_TIMEZONE": NY,
}
WAIT = 90  # seconds: an upper bound for a few local polls, never reached when all is well


class Mailbox:
    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


@pytest.fixture
def ctx(db_url, tmp_path, mailbox):
    settings = load_settings(
        {
            **ENV,
            "MONITOR_HOME": str(tmp_path / "home"),
            "MONITOR_DATABASE_URL": db_url,
            "MONITOR_SMTP_PORT": str(mailbox.port),
        }
    )
    context = Context(settings)
    yield context
    context.engine.dispose()


def _serve_until(ctx, options, done, what):
    """Run the service in a thread until ``done(session)``, then stop it as SIGTERM does."""
    service = Service(ctx, options)
    result = {}
    thread = threading.Thread(target=lambda: result.update(rc=service.run()), daemon=True)
    thread.start()
    engine = make_engine(ctx.settings.database_url)
    try:
        deadline = time.monotonic() + WAIT
        while True:
            with Session(engine) as session:
                if done(session):
                    break
            assert thread.is_alive(), "the service stopped by itself"
            assert time.monotonic() < deadline, f"the service never got to: {what}"
            time.sleep(0.2)
    finally:
        service.stop()
        thread.join(WAIT)
        engine.dispose()
    assert not thread.is_alive() and result["rc"] == 0
    return service


def _finished(session, since, jobs):
    rows = session.execute(
        select(ServiceRun.job, func.count())
        .where(ServiceRun.started_at >= since, ServiceRun.state != "running")
        .group_by(ServiceRun.job)
    ).all()
    counts = dict(rows)
    return all(counts.get(job) for job in jobs)


def _runs(session, since=None):
    query = select(ServiceRun.job, ServiceRun.state).order_by(ServiceRun.id)
    if since is not None:
        query = query.where(ServiceRun.started_at >= since)
    return [(job, st) for job, st in session.execute(query) if job != "lead"]


def test_down_across_a_poll_and_a_digest_runs_each_once_on_restart(ctx, mailbox, db_url):
    polls = [f"poll:{s}" for s in SOURCES]
    with DemoServer(load_manifests()) as server:
        options = ServeOptions(mirror=server.base, heartbeat_every=0.5, drain_every=3600)
        with time_machine.travel(T1, tick=True):
            _serve_until(ctx, options, lambda s: _finished(s, T1, polls), "the first polls")
        # down from Wednesday to the next Tuesday: past each source's daily poll and past the
        # Monday 09:00 (New York) digest
        with time_machine.travel(T2, tick=True):
            _serve_until(
                ctx,
                options,
                lambda s: _finished(s, T2, polls + ["digest"]),
                "the polls and the digest missed while down",
            )
        t3 = T2 + timedelta(minutes=10)
        with time_machine.travel(t3, tick=True):
            seen = {}

            def beating(session):
                row = session.get(ServiceLeader, "leader")
                if row is not None and row.since >= t3 and row.next_jobs:
                    seen["next_jobs"] = row.next_jobs
                return bool(seen)

            service = _serve_until(ctx, options, beating, "a heartbeat with its next jobs")
    engine = make_engine(db_url)
    with Session(engine) as session:
        first = _runs(session)[: len(polls)]
        assert sorted(first) == sorted((p, "ok") for p in polls)
        again = _runs(session, T2)
        assert sorted(j for j, _ in again if j != "drain") == sorted(polls + ["digest"])
        assert ("digest", "ok") in again
        # each source's start URL was fetched once per start, never twice
        starts = session.execute(
            select(FetchRun.source_id, func.count())
            .where(FetchRun.listing.is_(True))
            .group_by(FetchRun.source_id)
        ).all()
    engine.dispose()
    assert dict(starts) == {s: 2 * LISTINGS[s] for s in SOURCES}
    (message,) = mailbox.messages  # once, for the week before the missed Monday
    assert "week 2026-W10:" in message["Subject"]
    # the third start ran nothing: its next jobs are tomorrow's polls, next Monday's digest...
    upcoming = {j["job"]: datetime.fromisoformat(j["next_run_at"]) for j in seen["next_jobs"]}
    assert all(upcoming[p] > t3 + timedelta(hours=12) for p in polls), upcoming
    assert upcoming["digest"] == datetime(2026, 3, 16, 13, 0, tzinfo=UTC)  # 09:00 EDT
    assert "digest:catch-up" not in upcoming
    assert service.first_lead is not None and service.first_lead < T2


def test_digest_slots_keep_local_time_across_daylight_saving():
    slots = digest_slots(
        datetime(2026, 3, 10, 15, tzinfo=UTC),
        "monday",
        datetime(2000, 1, 1, 9).time(),
        "America/New_York",
        2,
    )
    assert slots == [
        datetime(2026, 3, 9, 13, tzinfo=UTC),  # EDT
        datetime(2026, 3, 2, 14, tzinfo=UTC),
    ]  # EST
    on_the_slot = digest_slots(
        slots[0], "monday", datetime(2000, 1, 1, 9).time(), "America/New_York", 1
    )
    assert on_the_slot == [slots[0]]


def test_no_standby_exits_1_when_another_instance_leads(cli_db, db_url):
    from monitor.leader import leader_lock

    held = leader_lock(db_url)
    assert held.acquire()
    try:
        rc, out, err = cli_db("serve", "--no-standby", "--heartbeat", "0.5")
    finally:
        held.release()
    assert rc == 1
    assert (
        err.strip().splitlines()[-1].startswith("error: another monitor serve leads this database")
    )
    assert "Traceback" not in err


def test_an_unreachable_database_is_one_log_line_and_retries_until_stopped(tmp_path, caplog):
    ctx = Context(
        load_settings(
            {
                "MONITOR_HOME": str(tmp_path / "home"),
                "MONITOR_DATABASE_URL": "postgresql+psycopg://m@127.0.0.1:9/x",
            }
        )
    )
    service = Service(ctx, ServeOptions(heartbeat_every=0.05))
    result = {}
    thread = threading.Thread(target=lambda: result.update(rc=service.run()), daemon=True)
    with caplog.at_level("INFO", logger="monitor.service"):
        thread.start()
        deadline = time.monotonic() + WAIT
        while service.database_retries < 3:
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.05)
        service.stop()
        thread.join(WAIT)
    assert not thread.is_alive() and result["rc"] == 0
    lines = [r.getMessage() for r in caplog.records]
    assert len([line for line in lines if "unreachable" in line]) == 1, lines
    assert lines[0].startswith("database unreachable: ") and "retrying with backoff" in lines[0]


def test_sighup_reloads_the_settings_file_and_the_digest_follows(
    ctx, tmp_path, monkeypatch, caplog
):
    config = tmp_path / "monitor.toml"
    config.write_text('digest_time = "09:00"\n')
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MONITOR_DIGEST_TIME")
    monkeypatch.delenv("MONITOR_DIGEST_DAY")  # the environment beats the file
    monkeypatch.setattr("monitor.log.setup_logging", lambda *a, **k: None)  # keep pytest's
    monkeypatch.setenv("MONITOR_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("MONITOR_HOME", str(ctx.settings.home))
    monkeypatch.setenv("MONITOR_CONFIG", str(config))
    live = Context(load_settings())
    service = Service(
        live, ServeOptions(mirror="http://127.0.0.1:9", heartbeat_every=0.1, drain_every=3600)
    )
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    engine = make_engine(ctx.settings.database_url)

    def digest_at(minute):
        deadline = time.monotonic() + WAIT
        while True:
            with Session(engine) as session:
                row = session.get(ServiceLeader, "leader")
                jobs = {j["job"]: j["next_run_at"] for j in (row.next_jobs if row else [])}
            if "digest" in jobs:
                local = datetime.fromisoformat(jobs["digest"]).astimezone(ZoneInfo(NY))
                if (local.hour, local.minute) == minute:
                    return local
            assert time.monotonic() < deadline and thread.is_alive(), jobs
            time.sleep(0.1)

    try:
        assert digest_at((9, 0)).weekday() == 0
        config.write_text('digest_time = "10:30"\ndigest_day = "friday"\n')
        service.request_reload()  # what SIGHUP does
        assert digest_at((10, 30)).weekday() == 4
        assert live.settings.digest_day == "friday"
        config.write_text('digest_time = "25:00"\n')  # a bad file: the old settings stay
        with caplog.at_level("ERROR", logger="monitor.service"):
            service.request_reload()
            deadline = time.monotonic() + WAIT
            while not [r for r in caplog.records if "not reloaded" in r.getMessage()]:
                assert time.monotonic() < deadline and thread.is_alive()
                time.sleep(0.05)
        assert live.settings.digest_day == "friday"
    finally:
        service.stop()
        thread.join(WAIT)
        engine.dispose()
        live.engine.dispose()
    assert not thread.is_alive()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_losing_the_lock_stops_the_jobs_and_the_instance_leads_again(ctx, db_url, caplog):
    """The server ended the lock's connection (a restart, a network cut): the jobs stop, and the
    instance stands by and takes the lock again, as a new leader."""
    from sqlalchemy import text

    service = Service(
        ctx, ServeOptions(mirror="http://127.0.0.1:9", heartbeat_every=0.2, drain_every=3600)
    )
    thread = threading.Thread(target=service.run, daemon=True)
    engine = make_engine(db_url)

    def leads(n):
        deadline = time.monotonic() + WAIT
        while True:
            with Session(engine) as session:
                rows = [
                    r for r in session.scalars(select(ServiceRun).where(ServiceRun.job == "lead"))
                ]
            if len(rows) >= n:
                return rows
            assert time.monotonic() < deadline and thread.is_alive(), rows
            time.sleep(0.1)

    with caplog.at_level("INFO", logger="monitor.service"):
        thread.start()
        try:
            leads(1)
            pid = service.lock.conn.execute(text("SELECT pg_backend_pid()")).scalar()
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            rows = leads(2)
        finally:
            service.stop()
            thread.join(WAIT)
            engine.dispose()
    assert not thread.is_alive()
    assert {r.pid for r in rows} == {os.getpid()}
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("lost the leader lock") for m in messages), messages
    assert sum(m.startswith("leading:") for m in messages) == 2


def test_a_poll_slower_than_its_interval_is_still_polled_again(ctx, monkeypatch):
    """A poll that outlasts its interval is due again at once, while its own job instance still
    counts as running: APScheduler (max_instances=1) skips such a run and, the trigger being a
    date, would drop the job for good, so the source would never be polled again. The next poll
    is scheduled only once the job has ended."""
    calls = []

    def slow_poll(self, reg):
        calls.append(reg.id)
        time.sleep(0.2)  # the interval below is zero: the next poll is due before this returns
        return "ok", f"{reg.id}: polled", None

    monkeypatch.setattr(Service, "_poll", slow_poll)
    options = ServeOptions(
        mirror="http://127.0.0.1:9", heartbeat_every=0.2, drain_every=3600, poll_every=timedelta(0)
    )
    _serve_until(
        ctx,
        options,
        lambda s: all(calls.count(src) >= 3 for src in SOURCES),
        "three polls of every source",
    )
    assert set(calls) == set(SOURCES)
