"""Polling Congress.gov (monitor/congress_poll.py on scrapers/fetch/jsonapi.py), against `responses`:
lists walked by limit/offset and each item read once, the key only in a header (never in a
stored row, URL, capture record or log), a refused key as ONE operator finding and one request,
a 429 that pauses the API, malformed JSON and a huge answer as typed outcomes, a list that shifts
while it is paged read without duplicates and with the shortfall said. Both databases."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
import responses
from sqlalchemy import select

from run_env import loopback_env
from fetch_fakes import make_fetcher
from monitor.fetching import new_cycle, poll_source
from monitor.models import FetchRun, FindingRow
from monitor.models.congress import CongressCommunicationRow, CongressRequirementRow
from scrapers.registry import load_source
from test_url_secrets import capture_text, database_text

KEY = "cg-K3Y-not-for-logs-7731"
T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
API = "https://api.congress.gov/v3"
REQ_LIST = f"{API}/house-requirement"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _q(**params):
    return [responses.matchers.query_param_matcher({k: str(v) for k, v in params.items()})]


def _req_list(numbers, *, count=None, next_offset=None):
    page = {
        "houseRequirements": [
            {"number": n, "updateDate": "2026-03-01", "url": f"{API}/house-requirement/{n}"}
            for n in numbers
        ],
        "pagination": {"count": count if count is not None else len(numbers)},
    }
    if next_offset is not None:
        page["pagination"]["next"] = (
            f"{REQ_LIST}?offset={next_offset}&limit=250&format=json&api_key={KEY}"
        )
    return page


def _requirement(number, matching=0):
    body = json.loads(
        (
            FIXTURES / "congress_requirements" / "house_requirement_90235_reconstructed.json"
        ).read_text()
    )
    body["houseRequirement"]["number"] = number
    body["houseRequirement"]["matchingCommunications"] = {
        "count": matching,
        "url": f"{API}/house-requirement/{number}/matching-communications",
    }
    return body


def _poll(session, archive, source="congress_requirements", key=KEY, now=T0, **fetcher):
    fetch, slept = make_fetcher(secrets=(KEY,), **fetcher)
    result = poll_source(
        session,
        archive,
        fetch,
        load_source(source),
        now=now,
        cycle=new_cycle(now),
        headers={"X-Api-Key": key} if key else {},
    )
    session.flush()
    return result, slept


def test_requirements_are_walked_page_by_page_each_read_once_without_the_key(
    session, archive, rsps, caplog
):
    caplog.set_level(logging.DEBUG)
    rsps.get(
        REQ_LIST,
        json=_req_list([1, 2], count=3, next_offset=2),
        match=_q(format="json", limit=250, offset=0),
    )
    rsps.get(REQ_LIST, json=_req_list([3], count=3), match=_q(offset=2, limit=250, format="json"))
    for n in (1, 2, 3):
        rsps.get(f"{API}/house-requirement/{n}", json=_requirement(n, matching=1 if n == 1 else 0))
    rsps.get(
        f"{API}/house-requirement/1/matching-communications",
        json={
            "matchingCommunications": [
                {
                    "chamber": "House",
                    "number": 77,
                    "congress": 118,
                    "communicationType": {"code": "EC"},
                    "url": f"{API}/house-communication/118/ec/77",
                }
            ],
            "pagination": {"count": 1},
        },
    )
    result, _ = _poll(session, archive)
    assert not result.failed
    assert all(
        c.request.headers.get("X-Api-Key") == KEY and KEY not in c.request.url for c in rsps.calls
    )
    numbers = sorted(r.number for r in session.scalars(select(CongressRequirementRow)))
    assert numbers == [1, 2, 3]
    [stub] = session.scalars(select(CongressCommunicationRow)).all()
    assert (stub.key, stub.requirement_numbers) == ("house/118/ec/77", [1])
    assert len(rsps.calls) == 6  # two list pages, three requirements, one matching list
    # the next poll reads the list again but no requirement it already read
    _poll(session, archive, now=T0.replace(day=3))
    assert len(rsps.calls) == 8
    stored = database_text(session) + capture_text(archive.root) + caplog.text
    assert KEY not in stored


def test_a_list_that_shifts_while_paged_gives_no_duplicate_and_says_what_it_missed(
    session, archive, rsps, caplog
):
    # page 1 holds 1..3; before page 2 is read a new requirement pushes 3 onto it, so item 4
    # (counted: 5) never arrives in this walk
    rsps.get(
        REQ_LIST,
        json=_req_list([1, 2, 3], count=5, next_offset=3),
        match=_q(format="json", limit=250, offset=0),
    )
    rsps.get(
        REQ_LIST, json=_req_list([3, 5], count=5), match=_q(offset=3, limit=250, format="json")
    )
    for n in (1, 2, 3, 5):
        rsps.get(f"{API}/house-requirement/{n}", json=_requirement(n))
    with caplog.at_level(logging.WARNING):
        _poll(session, archive)
    requested = [c.request.url.split("?")[0] for c in rsps.calls]
    assert requested.count(f"{API}/house-requirement/3") == 1
    assert sorted(r.number for r in session.scalars(select(CongressRequirementRow))) == [1, 2, 3, 5]
    assert "1 of 5 items the API counted never arrived" in caplog.text


def test_a_refused_key_is_one_operator_finding_and_one_request(session, archive, rsps):
    rsps.get(
        REQ_LIST,
        status=403,
        json={"error": {"code": "API_KEY_INVALID", "message": "An invalid api_key was supplied."}},
    )
    for day in (2, 3):
        result, _ = _poll(session, archive, now=T0.replace(day=day))
        assert result.failed
    assert len(rsps.calls) == 2  # one per poll: the walk stops at the refusal
    findings = session.scalars(select(FindingRow).where(FindingRow.family == "access")).all()
    assert len(findings) == 1 and "congress_api_key" in findings[0].summary
    assert KEY not in database_text(session)


def test_a_429_with_a_long_retry_after_pauses_the_api_for_the_poll(session, archive, rsps):
    rsps.get(REQ_LIST, json=_req_list([1, 2]))
    rsps.get(
        f"{API}/house-requirement/1",
        status=429,
        headers={"Retry-After": "3600"},
        json={"error": {"code": "OVER_RATE_LIMIT", "message": "slow down"}},
    )
    rsps.get(f"{API}/house-requirement/2", json=_requirement(2))
    _result, slept = _poll(session, archive)
    urls = [c.request.url.split("?")[0] for c in rsps.calls]
    assert f"{API}/house-requirement/2" not in urls  # paused: nothing more this poll
    assert all(s < 3600 for s in slept)  # never slept an hour inside a poll
    assert session.scalars(select(CongressRequirementRow)).all() == []


def test_malformed_json_is_a_parse_error_run_and_nothing_stored(session, archive, rsps):
    rsps.get(
        REQ_LIST,
        body='{"houseRequirements": [{"number": 1, "url": "',
        status=200,
        content_type="application/json",
    )
    result, _ = _poll(session, archive)
    [run] = session.scalars(select(FetchRun)).all()
    assert run.outcome == "parse_error" and "malformed JSON" in (run.error or "")
    assert result.failed and session.scalars(select(CongressRequirementRow)).all() == []


def test_a_huge_answer_is_cut_off_and_too_large(session, archive, rsps, monkeypatch):
    import monitor.congress_poll as poll_module
    from scrapers.fetch.jsonapi import CONGRESS

    monkeypatch.setattr(poll_module, "CONGRESS", replace(CONGRESS, max_bytes=50_000))
    huge = json.dumps(_req_list(range(1, 3000))).encode()
    assert len(huge) > 50_000
    rsps.get(REQ_LIST, body=huge, content_type="application/json")
    result, _ = _poll(session, archive)
    [run] = session.scalars(select(FetchRun)).all()
    assert run.outcome == "too_large" and (run.bytes or 0) <= 50_000 + 65_536
    assert result.failed and session.scalars(select(CongressRequirementRow)).all() == []


def test_communications_lists_lead_to_each_communication_once(session, archive, rsps):
    house = f"{API}/house-communication/116/ec"
    body = (
        FIXTURES / "congress_communications" / "house_communication_117_ec_1599_reconstructed.json"
    ).read_bytes()
    for url in load_source("congress_communications").source.start_urls:
        base = url.split("?")[0]
        items = (
            [
                {
                    "chamber": "House",
                    "number": 1599,
                    "congressNumber": 117,
                    "communicationType": {"code": "EC"},
                    "updateDate": "2026-03-01T00:00:00Z",
                    "url": f"{API}/house-communication/117/ec/1599",
                }
            ]
            if base == house
            else []
        )
        rsps.get(
            base,
            json={
                "houseCommunications" if "/house-" in base else "senateCommunications": items,
                "pagination": {"count": len(items)},
            },
        )
    rsps.get(f"{API}/house-communication/117/ec/1599", body=body, content_type="application/json")
    result, _ = _poll(session, archive, source="congress_communications")
    assert not result.failed
    [row] = session.scalars(select(CongressCommunicationRow)).all()
    assert row.key == "house/117/ec/1599" and row.detail and str(row.received_on) == "2021-06-15"


def test_without_a_key_the_congress_sources_are_not_polled():
    from types import SimpleNamespace

    from monitor.congress_poll import pollable

    reg = load_source("congress_communications")
    assert not pollable(reg, SimpleNamespace(congress_api_key=None))
    assert pollable(reg, SimpleNamespace(congress_api_key="x"))
    assert pollable(load_source("hhs_separated_children"), SimpleNamespace(congress_api_key=None))


def test_a_refused_key_in_a_full_run_leaves_the_other_sources_working(
    db_url, tmp_path, rsps, caplog
):
    """`run --once` with the key set and Congress.gov refusing it: one request per Congress.gov
    source, ONE access finding, HHS read as usual, and the key nowhere but in the headers."""
    import yaml

    from monitor.config import load_settings
    from monitor.context import Context
    from monitor.pipeline import run_once

    caplog.set_level(logging.DEBUG)
    settings = load_settings(loopback_env(db_url, tmp_path / "home", MONITOR_CONGRESS_API_KEY=KEY))
    hhs = FIXTURES / "hhs_separated_children"
    for entry in yaml.safe_load((hhs / "manifest.yaml").read_text())["fixtures"]:
        if entry["role"] != "bad":
            rsps.get(
                entry["url"],
                body=(hhs / entry["file"]).read_bytes(),
                content_type=entry["content_type"],
            )
    refused = {"error": {"code": "API_KEY_INVALID", "message": "An invalid api_key was supplied."}}
    for source in ("congress_requirements", "congress_communications"):
        for url in load_source(source).source.start_urls:
            rsps.get(url.split("?")[0], status=403, json=refused)
    context = Context(settings)
    try:
        report = run_once(context, every_source=True)
        with context.session() as session:
            access = [
                (f.subject, f.summary)
                for f in session.scalars(select(FindingRow).where(FindingRow.family == "access"))
            ]
            stored = database_text(session)
    finally:
        context.engine.dispose()
    polls = {p.source: p for p in report.polls}
    assert not polls["hhs_separated_children"].failed
    assert polls["congress_requirements"].failed and polls["congress_communications"].failed
    congress_calls = [c for c in rsps.calls if "api.congress.gov" in c.request.url]
    assert len(congress_calls) == 2  # one per source: the refusal stops each walk at once
    assert all(c.request.headers.get("X-Api-Key") == KEY for c in congress_calls)
    # ONE finding for the refused key; the GovInfo key, not set, is one of its own
    assert sorted(subject for subject, _summary in access) == [
        "congress|congress_api_key",
        "govinfo_api_key|not set",
    ]
    assert KEY not in stored + capture_text(tmp_path / "home" / "archive") + caplog.text
    assert KEY not in json.dumps([r.to_json() for p in report.polls for r in p.runs], default=str)


def test_sources_says_the_congress_sources_wait_for_their_key(cli_db):
    rc, out, _err = cli_db("sources")
    assert rc == 0
    for source in ("congress_communications", "congress_requirements"):
        assert (
            f"{source}: not configured: congress_api_key (MONITOR_CONGRESS_API_KEY) is not set"
        ) in out


def test_an_api_error_fails_the_poll_and_the_next_poll_reads_what_it_missed(session, archive, rsps):
    rsps.get(REQ_LIST, json=_req_list([1, 2]))
    rsps.get(f"{API}/house-requirement/1", json=_requirement(1))
    rsps.get(f"{API}/house-requirement/2", status=500, body="Internal Server Error")
    _poll(session, archive)
    assert [r.number for r in session.scalars(select(CongressRequirementRow))] == [1]
    runs = session.scalars(select(FetchRun).order_by(FetchRun.id)).all()
    assert [(r.outcome, r.http_status) for r in runs][-1] == ("http_error", 500)
    rsps.replace(responses.GET, f"{API}/house-requirement/2", json=_requirement(2))
    _poll(session, archive, now=T0.replace(day=3))
    assert sorted(r.number for r in session.scalars(select(CongressRequirementRow))) == [1, 2]
