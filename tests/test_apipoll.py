"""JSON-API requests on the monitor's fetch path (monitor/apipoll.py): every page archived and
recorded, the key in a header and in no stored row, URL or capture record, the hourly budget
shared with earlier runs, and a refused key as ONE `access` operator finding.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
import responses
from sqlalchemy import func, select

from fetch_fakes import make_fetcher
from monitor.apipoll import ApiPoll, access_subject, requests_this_hour
from monitor.fetching import Poll, new_cycle
from monitor.models import FetchRun, FindingRow, Snapshot
from monitor.store import ensure_source
from scrapers.fetch.jsonapi import GOVINFO
from scrapers.registry import load_source
from test_url_secrets import capture_text, database_text

KEY = "gI-k3y-VERY-SECRET-0042"
T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
LIST = "https://api.govinfo.gov/collections/PLAW/2026-03-01T00:00:00Z"
NEXT = LIST + f"?offsetMark=AoE2&pageSize=100&api_key={KEY}"


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def packages(*ids, count=None, next_page=None):
    return {
        "count": count or len(ids),
        "message": None,
        "nextPage": next_page,
        "previousPage": None,
        "packages": [
            {
                "packageId": i,
                "lastModified": "2026-03-01T10:00:00Z",
                "packageLink": f"https://api.govinfo.gov/packages/{i}/summary",
            }
            for i in ids
        ],
    }


def api_poll(session, archive, now=T0):
    reg = load_source("govinfo_appropriations")
    ensure_source(session, reg.source, now)
    fetcher, _ = make_fetcher(secrets=(KEY,))
    poll = Poll(session, archive, fetcher, reg, now, new_cycle(now), None, None, {"X-Api-Key": KEY})
    return ApiPoll(session, poll, GOVINFO, now=now)


def test_pages_are_archived_and_recorded_without_the_key(session, archive, rsps, caplog):
    caplog.set_level(logging.DEBUG)
    rsps.get(
        LIST,
        json=packages("PLAW-118publ47", count=2, next_page=NEXT),
        match=[responses.matchers.query_param_matcher({"offsetMark": "*", "pageSize": "100"})],
    )
    rsps.get(
        LIST,
        json=packages("PLAW-118publ47", "PLAW-118publ48", count=2),
        match=[responses.matchers.query_param_matcher({"offsetMark": "AoE2", "pageSize": "100"})],
    )
    apoll = api_poll(session, archive)
    items, links = apoll.listing(LIST, "packages", key=lambda p: p.get("packageId"))
    assert [p["packageId"] for p in items.items] == ["PLAW-118publ47", "PLAW-118publ48"]
    assert (items.duplicates, items.missing) == (1, 0)
    assert all(
        c.request.headers["X-Api-Key"] == KEY and KEY not in c.request.url for c in rsps.calls
    )
    runs = session.scalars(select(FetchRun).order_by(FetchRun.id)).all()
    assert [(r.listing, r.outcome) for r in runs] == [(True, "ok"), (True, "ok")]
    assert session.scalar(select(func.count(Snapshot.id))) == 2  # both pages archived
    assert "https://api.govinfo.gov/packages/PLAW-118publ48/summary" in links
    apoll.finish()
    session.flush()
    stored = database_text(session) + capture_text(archive.root) + caplog.text
    assert KEY not in stored


def test_a_refused_key_is_one_access_finding_and_no_retry_storm(session, archive, rsps):
    rsps.get(
        LIST,
        status=403,
        json={"error": {"code": "API_KEY_INVALID", "message": "An invalid api_key was supplied."}},
    )
    for _ in range(2):  # two polls (or two sources on the same key)
        apoll = api_poll(session, archive)
        items, _links = apoll.listing(LIST, "packages", key=lambda p: p.get("packageId"))
        assert items is None and apoll.stopped
        assert apoll.document("https://api.govinfo.gov/packages/PLAW-118publ47/summary") is None
    assert len(rsps.calls) == 2  # one request per poll, none after the refusal
    findings = session.scalars(select(FindingRow).where(FindingRow.family == "access")).all()
    assert len(findings) == 1
    assert findings[0].subject == access_subject(GOVINFO) and findings[0].state == "open"
    assert "govinfo_api_key" in findings[0].summary and KEY not in database_text(session)
    runs = session.scalars(select(FetchRun)).all()
    assert [(r.outcome, r.http_status) for r in runs] == [("http_error", 403)] * 2

    rsps.replace(responses.GET, LIST, json=packages("PLAW-118publ47"))
    apoll = api_poll(session, archive, now=T0 + timedelta(hours=2))
    apoll.listing(LIST, "packages", key=lambda p: p.get("packageId"))
    apoll.finish()
    session.refresh(findings[0])
    assert findings[0].state == "resolved"


def test_the_budget_counts_this_hours_earlier_requests(session, archive, rsps):
    rsps.get(LIST, json=packages("PLAW-118publ47"))
    apoll = api_poll(session, archive)
    apoll.listing(LIST, "packages", key=lambda p: p.get("packageId"))
    session.flush()
    assert requests_this_hour(session, GOVINFO, T0 + timedelta(minutes=30)) == 1
    assert requests_this_hour(session, GOVINFO, T0 + timedelta(minutes=61)) == 0
    later = api_poll(session, archive, now=T0 + timedelta(minutes=30))
    assert later.api.budget.remaining == GOVINFO.hourly_limit - 1
