"""Two writers of each kind at once, as real processes against one database (SQLite and
PostgreSQL) and a loopback stand-in for the agencies' sites: two `evaluate`, two
`run --once --all`, two first-time `fetch --all` on a database nobody has migrated yet. Both
succeed, one after the other (the writer lock), with no IntegrityError, no duplicated
transition or health event and no lost failure count."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from monitor.demo_server import DemoServer, load_manifests
from monitor.models import (
    FetchRun,
    FindingRow,
    FindingTransition,
    Snapshot,
    SourceHealth,
    SourceHealthEvent,
    SourceRow,
)
from procs import at_once, count, finish, monitor_env, rows, spawn
from scrapers.registry import all_sources

DENIED = "https://www.dhs.gov/immigration-statistics/special-reports/FUAR"  # as in the demo
# what `--all` polls (those needing an API key are not configured here)
POLLED = sorted(r.id for r in all_sources() if r.source.start_urls and not r.source.secret_headers)


@pytest.fixture
def server():
    with DemoServer(load_manifests(), deny={DENIED}) as srv:
        yield srv


def clean(results) -> None:
    for rc, _out, err in results:
        assert "Traceback" not in err and "IntegrityError" not in err, err
        assert "UniqueViolation" not in err and "already exists" not in err, err


def no_duplicate_transitions(db_url: str) -> None:
    dupes = rows(
        db_url,
        select(
            FindingTransition.finding_id,
            FindingTransition.change,
            FindingTransition.to_state,
            FindingTransition.to_kind,
            func.count(),
        )
        .group_by(
            FindingTransition.finding_id,
            FindingTransition.change,
            FindingTransition.to_state,
            FindingTransition.to_kind,
        )
        .having(func.count() > 1),
    )
    assert dupes == []


def test_two_evaluates_at_once_write_each_transition_once(db_url, tmp_path, server):
    env = monitor_env(tmp_path / "home", db_url, server.base)
    assert finish(spawn(env, "fetch", "--all"))[0] in (0, 1)  # the denied page fails DHS
    before = count(db_url, FindingRow)  # operator findings the fetch raised
    results = at_once(env, "evaluate")
    clean(results)
    assert [rc for rc, _, _ in results] == [0, 0]
    findings = count(db_url, FindingRow)
    assert findings > 0
    opened = sorted(int(re.search(r"opened (\d+)", out).group(1)) for _, out, _ in results)
    assert opened == [
        0,
        findings - before,
    ]  # the second found the first's findings and wrote nothing
    assert count(db_url, FindingTransition, FindingTransition.change == "opened") == findings
    no_duplicate_transitions(db_url)


def test_two_runs_at_once_count_every_failed_poll_and_write_each_event_once(
    db_url, tmp_path, server
):
    env = monitor_env(tmp_path / "home", db_url, server.base)
    results = at_once(env, "run", "--once", "--all")
    clean(results)
    assert [rc for rc, _, _ in results] == [1, 1]  # the DHS listing is denied: a failed poll
    health = dict(rows(db_url, select(SourceHealth.source_id, SourceHealth.consecutive_failures)))
    # every polled source but DHS (its listing is denied) reads fine
    assert health == {s: 2 if s == "dhs_family_unit_actions" else 0 for s in POLLED}
    events = rows(
        db_url,
        select(
            SourceHealthEvent.source_id, SourceHealthEvent.from_state, SourceHealthEvent.to_state
        ).order_by(SourceHealthEvent.id),
    )
    assert sorted(events) == sorted(
        (s, None, "failing" if s == "dhs_family_unit_actions" else "healthy") for s in POLLED
    )
    no_duplicate_transitions(db_url)
    assert count(db_url, FindingTransition, FindingTransition.change == "opened") == count(
        db_url, FindingRow
    )
    # both runs polled every listing (the second one after the first: reports fetched by the
    # first are not due again), and each body is stored once
    per_cycle = rows(
        db_url,
        select(FetchRun.cycle, func.count()).where(FetchRun.listing).group_by(FetchRun.cycle),
    )
    assert len(per_cycle) == 2 and per_cycle[0][1] == per_cycle[1][1] > 0
    assert count(db_url, Snapshot) == len(
        rows(db_url, select(Snapshot.url, Snapshot.sha256).distinct())
    )


def test_two_first_fetches_on_a_database_nobody_migrated(empty_db_url, tmp_path, server):
    env = monitor_env(tmp_path / "home", empty_db_url, server.base)
    results = at_once(env, "fetch", "--all", "--json")
    clean(results)
    assert [rc for rc, _, _ in results] == [1, 1]  # the denied DHS page, in both
    assert count(empty_db_url, SourceRow) == len(POLLED)
    snapshots = count(empty_db_url, Snapshot)
    assert snapshots > 0
    # every run either process reported is stored: the second one's work is not thrown away
    reported = [json.loads(out) for _, out, _ in results]
    assert all(reported) and count(empty_db_url, FetchRun) == sum(map(len, reported))
    assert {r["run_id"] for runs in reported for r in runs} == {
        r[0] for r in rows(empty_db_url, select(FetchRun.id))
    }
    assert count(empty_db_url, SourceHealth, SourceHealth.consecutive_failures == 2) == 1
