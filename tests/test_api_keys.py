"""An API key that is not set (monitor/api_keys.py): its sources are not polled and that is ONE
`access` operator finding per key setting, however many sources share the key (both Congress.gov
sources share congress_api_key), raised by `run --once`, `serve` and `fetch`, never repeated
(no second transition, so no second alert), resolved once the key is set; the other sources
keep working. Both databases."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import responses
from sqlalchemy import func, select

from run_env import loopback_env
from monitor.config import load_settings
from monitor.context import Context
from monitor.demo_server import DemoServer, load_manifests
from monitor.models import FindingRow, FindingTransition

CONGRESS_SOURCES = ["congress_communications", "congress_requirements"]
T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


def _env(db_url, tmp_path, **extra):
    return loopback_env(db_url, tmp_path / "home", **extra)


@pytest.fixture
def ctx(db_url, tmp_path):
    context = Context(load_settings(_env(db_url, tmp_path)))
    yield context
    context.engine.dispose()


def _access(session):
    """(subject, state, severity, sources, transitions) of every access finding."""
    rows = session.scalars(
        select(FindingRow).where(FindingRow.family == "access").order_by(FindingRow.subject)
    ).all()
    return [
        (
            r.subject,
            r.state,
            r.severity,
            (r.evidence or {}).get("sources"),
            session.scalar(
                select(func.count(FindingTransition.id)).where(FindingTransition.finding_id == r.id)
            ),
        )
        for r in rows
    ]


def test_run_once_raises_one_finding_per_missing_key_once_and_resolves_it_when_set(
    ctx, db_url, tmp_path
):
    from monitor.pipeline import run_once
    from monitor.run_summary import print_report

    with DemoServer(load_manifests()) as server:
        reports = [
            run_once(ctx, every_source=True, rewrite=server.rewrite, notify=False) for _ in range(2)
        ]
    # the sources without their key were never asked; the others were read as usual
    assert not [p for p in server.requests if "api.congress.gov" in p or "api.govinfo.gov" in p]
    polls = {p.source for r in reports for p in r.polls}
    assert polls.isdisjoint(CONGRESS_SOURCES + ["govinfo_appropriations"])
    assert "hhs_separated_children" in polls and reports[-1].ok
    with ctx.session() as session:
        found = _access(session)
    # one finding per key, not per source; the second run changed nothing (one transition)
    assert found == [
        ("congress_api_key|not set", "open", "low", CONGRESS_SOURCES, 1),
        ("govinfo_api_key|not set", "open", "low", ["govinfo_appropriations"], 1),
    ]
    lines: list[str] = []
    print_report(reports[-1], out=lines.append)
    text = "\n".join(lines)
    assert "congress_requirements        not configured" in text
    assert (
        "not configured: congress_api_key (MONITOR_CONGRESS_API_KEY) is not set, so "
        "congress_requirements is not polled and what it would find is unknown (operator "
        "finding #"
    ) in text

    # the key is set: its finding resolves (a run that polls nothing checks the keys too)
    keyed = Context(load_settings(_env(db_url, tmp_path, MONITOR_CONGRESS_API_KEY="k-123")))
    try:
        run_once(keyed, registered=[], check_keys=True, evaluate=False, notify=False)
        with keyed.session() as session:
            found = _access(session)
    finally:
        keyed.engine.dispose()
    assert [(s, state, n) for s, state, _sev, _src, n in found] == [
        ("congress_api_key|not set", "resolved", 2),
        ("govinfo_api_key|not set", "open", 1),
    ]


def test_fetch_of_a_congress_source_without_a_key_is_one_finding_and_no_request(cli_db):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for _ in range(2):
            for source in CONGRESS_SOURCES:
                rc, out, err = cli_db("fetch", source)
                assert rc == 1 and "Traceback" not in err
                assert (
                    f"{source}: not configured: congress_api_key is not set; {source} was "
                    "not polled"
                ) in out
        assert len(rsps.calls) == 0  # nothing was asked without the key (no refusal, no retry)
    rc, out, _err = cli_db("findings", "--obligation", "operator", "--json")
    access = [f for f in json.loads(out) if f["family"] == "access"]
    assert [f["subject"] for f in access] == ["congress_api_key|not set"]
    assert "congress_api_key is not set" in access[0]["summary"]
    assert "congress_communications, congress_requirements" in access[0]["summary"]


def test_serve_raises_it_with_its_daily_evaluation(ctx):
    from monitor.service import Service

    service = Service(ctx)
    for _ in range(2):
        service._evaluate()
    with ctx.session() as session:
        found = _access(session)
    assert [(s, state, n) for s, state, _sev, _src, n in found] == [
        ("congress_api_key|not set", "open", 1),
        ("govinfo_api_key|not set", "open", 1),
    ]


def test_the_per_source_findings_of_earlier_versions_give_way_to_the_one_per_key(session):
    from monitor.api_keys import sync_missing_keys
    from monitor.operator_findings import raise_operator_finding
    from scrapers.registry import all_sources

    for source in CONGRESS_SOURCES:  # what `source_headers` raised before, one per source
        raise_operator_finding(
            session,
            family="access",
            subject=f"{source}|congress_api_key",
            summary="needs a key",
            evidence={"source": source},
            now=T0,
            severity="high",
        )
    unset = SimpleNamespace(congress_api_key=None, govinfo_api_key=None)
    sync_missing_keys(session, all_sources(), unset, now=T0 + timedelta(hours=1))
    states = {s: state for s, state, *_ in _access(session)}
    assert states == {
        "congress_api_key|not set": "open",
        "congress_communications|congress_api_key": "resolved",
        "congress_requirements|congress_api_key": "resolved",
        "govinfo_api_key|not set": "open",
    }
