"""`monitor run --once`: the main job. Without network every source is a network_error, the
affected obligations are unknown (never missing), the exit status is 1 and nothing stored is
lost. With the sources answering, a second run finds nothing new and writes no findings."""

from __future__ import annotations

import json

import pytest
import responses
from sqlalchemy import create_engine, func, select

from run_env import loopback_env
from monitor.config import load_settings
from monitor.context import Context
from monitor.demo_server import DemoServer, load_manifests
from monitor.models import CountObservation, FindingTransition, Report, Snapshot
from monitor.pipeline import report_json, run_once
from scrapers.registry import all_sources

# the sources a run polls (those needing an API key are not configured here)
POLLED = {r.id for r in all_sources() if r.source.start_urls and not r.source.secret_headers}


def _counts(db_url):
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        out = {
            m.__name__: conn.scalar(select(func.count()).select_from(m))
            for m in (Report, Snapshot, CountObservation, FindingTransition)
        }
    engine.dispose()
    return out


@pytest.fixture
def ctx(run_context):
    return run_context


def test_unreachable_sources_give_unknown_findings_and_exit_1(cli_db, db_url, monkeypatch):
    monkeypatch.setenv("MONITOR_HTTP_RETRIES", "0")
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # no URL answers: offline
        rc, out, err = cli_db("run", "--once", "--json")
    assert rc == 1
    assert "Traceback" not in err
    data = json.loads(out)
    outcomes = {r["outcome"] for s in data["sources"] for r in s["runs"]}
    assert outcomes == {"network_error"}
    assert {s["source"] for s in data["sources"]} == POLLED
    opened = data["findings"]["opened"]
    monthly = [
        f
        for f in opened
        if f["obligation"] in ("dhs_family_unit_actions_monthly", "hhs_separated_children_monthly")
    ]
    assert monthly and {f["kind"] for f in monthly} == {"unknown"}
    assert not [f for f in opened if f["kind"] == "missing"]


def test_an_outage_after_good_runs_loses_nothing(ctx, db_url):
    with DemoServer(load_manifests()) as server:
        first = run_once(ctx, every_source=True, rewrite=server.rewrite)
    assert first.ok, first.failed_sources
    # the summary lists the parse problems of what was read (JSON: parse_problems)
    listed = report_json(first)["parse_problems"]
    assert listed == [g.to_json() for g in first.problems]
    assert {"unmapped_label", "inconsistent_total"} <= {g["kind"] for g in listed}
    assert all(g["finding"] for g in listed if g["kind"] == "unmapped_label")
    before = _counts(db_url)
    assert before["Report"] > 0 and before["CountObservation"] > 0
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        outage = run_once(ctx, every_source=True)
    assert not outage.ok
    after = _counts(db_url)
    assert {k: after[k] for k in ("Report", "Snapshot", "CountObservation")} == {
        k: before[k] for k in ("Report", "Snapshot", "CountObservation")
    }


def test_second_run_with_nothing_new_polls_nothing_and_writes_no_findings(ctx, db_url):
    with DemoServer(load_manifests()) as server:
        first = run_once(ctx, rewrite=server.rewrite)
        assert len(first.polls) == len(POLLED) and first.sync.opened
        before = _counts(db_url)
        second = run_once(ctx, rewrite=server.rewrite)  # same day: no source is due
        assert second.polls == [] and sorted(second.not_due) == sorted(POLLED)
        assert not (second.sync.opened or second.sync.changed or second.sync.resolved)
        third = run_once(ctx, rewrite=server.rewrite, every_source=True)  # polled, unchanged
        assert third.ok
        # every page the demo serves is unchanged; a PDF a HART page links that the demo does not
        # serve failed the same way the first time
        failed_before = {r.url for p in first.polls for r in p.runs if r.outcome == "http_error"}
        outcomes = {r.outcome for p in third.polls for r in p.runs if r.url not in failed_before}
        assert outcomes <= {"not_modified", "unchanged"}
        assert {r.url for p in third.polls for r in p.runs if r.outcome == "http_error"} <= (
            failed_before
        )
        assert not (third.sync.opened or third.sync.changed or third.sync.resolved)
    assert _counts(db_url) == before


def test_a_run_right_after_a_failed_one_is_not_silent_and_exits_1(cli_db, monkeypatch):
    monkeypatch.setenv("MONITOR_HTTP_RETRIES", "0")
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # offline
        rc, out, _err = cli_db("run", "--once")
        assert rc == 1
        assert out.strip().splitlines()[-1].startswith("FAILED (exit 1): ")
        # right after: nothing is due yet (the retry comes after 15 minutes), yet it says why
        rc, out, _err = cli_db("run", "--once")
    assert rc == 1
    lines = out.strip().splitlines()
    assert "none due (use --all to poll every source now)" in out
    assert lines[-1].startswith("FAILED (exit 1): ")
    for source in ("dhs_family_unit_actions", "hhs_separated_children"):
        assert f"{source}: failing (1 failed poll: " in lines[-1]
    assert "next poll" in out and "(retry)" in out and "last successful read never" in out
    rc, out, _err = cli_db("sources", "--json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["hhs_separated_children"]["health"] == "failing"
    assert rows["hhs_separated_children"]["stale"] is True
    assert rows["hhs_separated_children"]["last_success_at"] is None
    assert rows["hhs_separated_children"]["next_poll_at"]
    assert rows["hhs_separated_children"]["problem"].startswith("failing (1 failed poll")


def test_a_source_unread_for_stale_after_makes_the_run_exit_1_even_when_not_due(db_url, tmp_path):
    import time_machine
    from datetime import datetime, timedelta, timezone

    from monitor.run_summary import last_line

    settings = load_settings(loopback_env(db_url, tmp_path / "home", MONITOR_STALE_AFTER="6h"))
    ctx = Context(settings)
    start = datetime(2022, 9, 30, 14, tzinfo=timezone.utc)
    try:
        with DemoServer(load_manifests()) as server:
            with time_machine.travel(start, tick=True):
                first = run_once(ctx, rewrite=server.rewrite)
            assert first.ok, first.failures
            assert last_line(first).startswith("OK: ")
            read = [s for s in first.statuses if not s.not_configured]
            assert all(not s.stale and s.health == "healthy" for s in read)
            # a source read through an API whose key is not set says so, and is not polled
            assert [s.id for s in first.statuses if s.not_configured] == [
                "congress_communications",
                "congress_requirements",
                "govinfo_appropriations",
            ]
            with time_machine.travel(start + timedelta(hours=8), tick=True):
                later = run_once(ctx, rewrite=server.rewrite)
    finally:
        ctx.engine.dispose()
    assert later.polls == []  # daily sources, polled 8 hours ago: not due
    assert not later.ok and all(s.stale for s in later.statuses if not s.not_configured)
    assert "hhs_separated_children: stale (listing not read since 2022-09-30 14:" in last_line(
        later
    )
    assert "stale_after 6h" in last_line(later)
