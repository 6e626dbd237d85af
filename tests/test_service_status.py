"""`monitor status`: the leader's heartbeat, sources, findings, outbox, next jobs, last digest;
exit 1 when the heartbeat is older than five minutes, no instance ever ran, or a source is broken
or stale (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from monitor import service_state as state
from monitor.db import make_engine
from monitor.models import Delivery, SourceHealth
from monitor.store import ensure_source
from scrapers.registry import load_source

UTC = timezone.utc


def _write(db_url, fn):
    engine = make_engine(db_url)
    with Session(engine) as session:
        fn(session)
        session.commit()
    engine.dispose()


def _beat(age: timedelta, **extra):
    def write(session):
        now = datetime.now(UTC)
        state.heartbeat(
            session,
            host="box",
            pid=4242,
            since=now - timedelta(days=2),
            now=now - age,
            next_jobs=[{"job": "drain", "next_run_at": "2030-01-01"}],
        )

    return write


def test_no_instance_ever_ran_is_exit_1_and_says_so(cli_db):
    rc, out, err = cli_db("status")
    assert rc == 1, out + err
    assert "leader: none" in out
    assert out.strip().splitlines()[-1].startswith("FAILED (exit 1): no monitor serve has run")


def test_a_fresh_heartbeat_and_healthy_sources_is_exit_0(cli_db, db_url):
    _write(db_url, _beat(timedelta(seconds=30)))
    rc, out, err = cli_db("status")
    assert rc == 0, out + err
    assert "leader: host box, pid 4242" in out
    assert "next jobs: drain 2030-01-01" in out
    assert "last digest: none sent" in out
    assert out.strip().splitlines()[-1].startswith("OK")


def test_a_heartbeat_older_than_five_minutes_is_exit_1(cli_db, db_url):
    _write(db_url, _beat(timedelta(minutes=6)))
    rc, out, _ = cli_db("status", "--json")
    assert rc == 1
    data = json.loads(out)
    assert data["ok"] is False and data["leader"]["pid"] == 4242
    assert data["leader"]["heartbeat_age_s"] >= 360
    assert any("heartbeat" in p and "6m old" in p for p in data["problems"])


def test_a_cleanly_stopped_leader_is_no_leader(cli_db, db_url):
    def write(session):
        _beat(timedelta(seconds=5))(session)
        session.flush()
        state.stopped(session, host="box", pid=4242, now=datetime.now(UTC))

    _write(db_url, write)
    rc, out, _ = cli_db("status")
    assert rc == 1 and "stopped at" in out and "next jobs" not in out


def test_a_broken_source_is_exit_1_and_the_rest_is_reported(cli_db, db_url):
    now = datetime.now(UTC)

    def write(session):
        _beat(timedelta(seconds=10))(session)
        reg = load_source("hhs_separated_children")
        ensure_source(session, reg.source, now)
        session.add(
            SourceHealth(
                source_id=reg.id,
                state="broken",
                consecutive_failures=3,
                last_error="blocked",
                changed_at=now,
            )
        )
        session.add(
            Delivery(
                kind="email",
                channel="a@example.org",
                idempotency_key="digest:2026-W47",
                summary="Weekly digest",
                state="sent",
                attempts=1,
                needs_check=False,
                next_attempt_at=now,
                created_at=now,
                sent_at=now,
                remote_id="<m@x>",
            )
        )
        session.add(
            Delivery(
                kind="slack",
                channel="C1",
                idempotency_key="k1",
                summary="s",
                state="dead",
                attempts=10,
                needs_check=False,
                next_attempt_at=now,
                created_at=now,
            )
        )

    _write(db_url, write)
    rc, out, _ = cli_db("status", "--json")
    assert rc == 1
    data = json.loads(out)
    assert [p for p in data["problems"] if p.startswith("hhs_separated_children: broken")]
    assert data["last_digest"]["week"] == "2026-W47"
    assert data["outbox"] == {"backlog": 0, "unrouted": 0, "dead": 1}
    assert {s["id"]: s["health"] for s in data["sources"]}["hhs_separated_children"] == "broken"
