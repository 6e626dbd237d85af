"""Hostile answers never reach storage. Each case first establishes a good state (listing and two
reports read), then the site answers badly; the run must carry the typed outcome and nothing
stored may change: reports, snapshots, observations, parses, validators, archive files.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
import responses
from sqlalchemy import select

from fetch_fakes import (
    AKAMAI,
    CLOUDFLARE,
    F5,
    INCAPSULA,
    LISTING,
    PARDON,
    R1,
    R2,
    RATE_PAGE,
    SOFT_404,
    Site,
    good_site,
    make_fetcher,
    registered,
    stored_state,
)
from monitor.fetching import new_cycle, poll_source
from monitor.models import FetchRun, Report, SourceHealth

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
T1 = T0 + timedelta(days=1)

# name -> (page keyword arguments for the listing URL, expected outcome)
HOSTILE_LISTINGS = {
    "akamai_denial_200": (dict(body=AKAMAI, etag=False), "blocked"),
    "akamai_denial_403": (dict(body=AKAMAI, status=403), "blocked"),
    "cloudflare_403": (dict(body=CLOUDFLARE, status=403), "blocked"),
    "f5_rejected_200": (dict(body=F5, etag=False), "blocked"),
    "incapsula_200": (dict(body=INCAPSULA, etag=False), "blocked"),
    "pardon_our_interruption_200": (dict(body=PARDON, etag=False), "blocked"),
    "rate_limit_429": (dict(body=b"slow down", status=429, content_type="text/plain"), "blocked"),
    "rate_limit_page_200": (dict(body=RATE_PAGE, etag=False), "blocked"),
    "soft_404_200": (dict(body=SOFT_404, etag=False), "http_error"),
    "http_404": (dict(body=b"gone", status=404), "http_error"),
    "http_503": (dict(body=b"busy", status=503), "http_error"),
    "redirect_off_allow_list": (
        dict(status=302, etag=False, headers={"Location": "https://evil.example.com/reports"}),
        "http_error",
    ),
    "redirect_to_unblock_host": (
        dict(
            status=302, etag=False, headers={"Location": "https://unblock.agency.gov/?ref=reports"}
        ),
        "blocked",
    ),
    "redirect_to_404_page": (
        dict(status=301, etag=False, headers={"Location": "https://www.agency.gov/404"}),
        "http_error",
    ),
    "json_instead_of_html": (
        dict(body=b'{"error": "maintenance"}', etag=False, content_type="application/json"),
        "wrong_type",
    ),
    "too_large": (dict(body=b"<html>" + b"x" * 200_000 + b"</html>", etag=False), "too_large"),
    # junk whatever its header says: the magic bytes decide (scrapers/sniff.py)
    "png_served_as_html": (
        dict(body=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), etag=False),
        "wrong_type",
    ),
    "random_bytes_served_as_html": (
        dict(body=bytes((i * 7919) % 251 for i in range(3000)), etag=False),
        "wrong_type",
    ),
    "gzip_served_as_html": (
        dict(body=b"\x1f\x8b\x08\x00" + bytes(range(64)), etag=False),
        "wrong_type",
    ),
    "connection_refused": (
        dict(error=requests.exceptions.ConnectionError("refused")),
        "network_error",
    ),
}


@pytest.fixture
def site():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield Site(rsps)


def poll(session, archive, fetcher, now):
    return poll_source(session, archive, fetcher, registered(), now=now, cycle=new_cycle(now))


@pytest.mark.parametrize("case", sorted(HOSTILE_LISTINGS))
def test_hostile_listing_has_a_typed_outcome_and_changes_nothing(case, session, archive, site):
    good_site(site)
    fetcher, _ = make_fetcher()
    assert not poll(session, archive, fetcher, T0).failed
    before = stored_state(session, archive)
    assert before["archive"] and before["counts"]["Snapshot"] == 3

    page, expected = HOSTILE_LISTINGS[case]
    site.page(LISTING, **page)
    result = poll(session, archive, fetcher, T1)

    assert [(r.url, r.outcome) for r in result.runs] == [(LISTING, expected)]
    run = result.runs[0]
    assert run.error and run.snapshot_id is None and run.sha256 is None
    assert stored_state(session, archive) == before
    assert (result.failed, result.health_after) == (True, "failing")
    health = session.get(SourceHealth, "fake_agency")
    assert health.last_outcome == expected and LISTING in health.last_error
    stored_run = session.get(FetchRun, run.run_id)
    assert (stored_run.outcome, stored_run.snapshot_id) == (expected, None)
    assert site.hits["https://evil.example.com/reports"] == 0
    assert site.hits["https://unblock.agency.gov/?ref=reports"] == 0


def test_pdf_link_that_returns_html_is_wrong_type_and_changes_nothing(session, archive, site):
    good_site(site)
    fetcher, _ = make_fetcher()
    poll(session, archive, fetcher, T0)
    before = stored_state(session, archive, with_last_seen=False)
    site.page(
        R1,
        b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
        b"<form>Log in to continue</form></body></html>",
        etag=False,
    )
    result = poll(session, archive, fetcher, T0 + timedelta(days=8))  # reports due for recheck
    assert [(r.url, r.outcome) for r in result.runs] == [
        (LISTING, "not_modified"),
        (R1, "wrong_type"),
        (R2, "not_modified"),
    ]
    assert "expected application/pdf, got text/html" in result.runs[1].error
    # the listing's 304 legitimately refreshes last_seen; nothing else moved
    assert stored_state(session, archive, with_last_seen=False) == before
    # the listing was read: the poll succeeds, and the document alone is failing
    assert not result.failed and result.health_after == "healthy"
    report = session.scalars(select(Report).where(Report.url == R1)).one()
    assert (report.fetch_state, report.fetch_failures) == ("failing", 1)
    assert report.last_fetch_error.startswith("wrong_type: expected application/pdf")


def test_pdf_link_that_returns_a_png_declared_pdf_is_wrong_type(session, archive, site):
    good_site(site)
    fetcher, _ = make_fetcher()
    poll(session, archive, fetcher, T0)
    before = stored_state(session, archive, with_last_seen=False)
    site.page(
        R1,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        etag=False,
        content_type="application/pdf",
    )
    result = poll(session, archive, fetcher, T0 + timedelta(days=8))
    assert [(r.url, r.outcome) for r in result.runs] == [
        (LISTING, "not_modified"),
        (R1, "wrong_type"),
        (R2, "not_modified"),
    ]
    assert (
        "expected application/pdf, got image/png (declared application/pdf)" in result.runs[1].error
    )
    assert stored_state(session, archive, with_last_seen=False) == before


def test_pdf_link_that_returns_a_denial_page_is_blocked_not_wrong_type(session, archive, site):
    good_site(site)
    site.page(R2, AKAMAI, status=403)
    fetcher, _ = make_fetcher()
    result = poll(session, archive, fetcher, T0)
    assert [r.outcome for r in result.runs] == ["ok", "ok", "blocked"]
    assert session.scalar(select(FetchRun.error).where(FetchRun.url == R2)).startswith("Akamai")
