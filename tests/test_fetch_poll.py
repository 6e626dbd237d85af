"""Polling a source end to end against a fake site: runs with typed outcomes, conditional GET,
"changed" by hash, link following with a recheck interval, rewrites and explicit URLs.
Runs on SQLite and PostgreSQL (the ``session`` fixture)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import responses
from sqlalchemy import func, select

from fetch_fakes import (
    LISTING,
    R1,
    R2,
    R3,
    SOURCE,
    Site,
    good_site,
    listing_html,
    make_fetcher,
    pdf,
    registered,
    stored_state,
)
from monitor.fetching import new_cycle, poll_source, sources_due
from monitor.listing_seen import report_last_seen
from monitor.models import (
    CountObservation,
    FetchRun,
    HttpValidator,
    Report,
    Snapshot,
    SourceHealth,
)
from scrapers.fetch.archive import sha256_hex
from scrapers.fetch.http import mirror_rewrite
from scrapers.source import Source

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


@pytest.fixture
def site():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield Site(rsps)


def poll(session, archive, fetcher, now, reg=None, **kwargs):
    return poll_source(
        session, archive, fetcher, reg or registered(), now=now, cycle=new_cycle(now), **kwargs
    )


def outcomes(result):
    return [(r.url, r.outcome) for r in result.runs]


def test_first_poll_archives_listing_and_reports(session, archive, site):
    good_site(site)
    fetcher, _ = make_fetcher()
    result = poll(session, archive, fetcher, T0)

    assert outcomes(result) == [(LISTING, "ok"), (R1, "ok"), (R2, "ok")]
    assert [r.listing for r in result.runs] == [True, False, False]
    assert result.runs[0].new_reports == [R1, R2]
    assert result.runs[1].sha256 == sha256_hex(pdf("Report one", 7))
    assert result.runs[1].bytes == len(pdf("Report one", 7))
    assert archive.get(result.runs[1].sha256) == pdf("Report one", 7)
    titles = dict(session.execute(select(Report.url, Report.title)).all())
    assert titles == {R1: "Report one", R2: "Report two"}
    assert sorted(session.scalars(select(CountObservation.value))) == [7.0, 9.0]
    runs = session.scalars(select(FetchRun).order_by(FetchRun.id)).all()
    assert len(runs) == 3 and len({r.cycle for r in runs}) == 1
    assert all(r.snapshot_id and r.http_status == 200 and r.requested_url is None for r in runs)
    assert session.scalar(select(func.count()).select_from(HttpValidator)) == 3
    health = session.get(SourceHealth, SOURCE.id)
    assert (health.state, health.first_success_at) == ("healthy", T0)
    assert (result.health_before, result.health_after, result.failed) == (None, "healthy", False)
    assert site.requests[0].headers["User-Agent"].endswith("(+ops@example.org)")
    assert "If-None-Match" not in site.requests[0].headers


def test_second_poll_is_conditional_and_refreshes_last_seen(session, archive, site):
    good_site(site)
    fetcher, _ = make_fetcher()
    poll(session, archive, fetcher, T0)
    before = stored_state(session, archive, with_last_seen=False)
    t1 = T0 + timedelta(days=1)
    result = poll(session, archive, fetcher, t1)

    # reports were retrieved less than recheck_days ago: only the listing is asked, with its ETag
    assert outcomes(result) == [(LISTING, "not_modified")]
    assert site.requests[-1].headers["If-None-Match"]
    assert result.runs[0].http_status == 304 and result.runs[0].bytes == 0
    assert result.runs[0].snapshot_id is not None and result.runs[0].sha256
    assert stored_state(session, archive, with_last_seen=False) == before  # nothing archived
    assert set(session.scalars(select(report_last_seen()))) == {t1}


def test_same_body_without_validators_is_unchanged(session, archive, site):
    good_site(site)
    site.page(LISTING, listing_html(R1, R2), etag=False)
    fetcher, _ = make_fetcher()
    first = poll(session, archive, fetcher, T0)
    result = poll(session, archive, fetcher, T0 + timedelta(days=1))
    assert outcomes(result) == [(LISTING, "unchanged")]
    assert result.runs[0].snapshot_id == first.runs[0].snapshot_id
    assert session.scalar(select(func.count()).select_from(Snapshot)) == 3


def test_changed_listing_is_a_new_snapshot_new_and_removed_reports(session, archive, site):
    good_site(site)
    fetcher, _ = make_fetcher()
    poll(session, archive, fetcher, T0)
    site.page(LISTING, listing_html(R2, R3))
    site.page(R3, pdf("Report three", 4), content_type="application/pdf")
    t1 = T0 + timedelta(days=1)
    result = poll(session, archive, fetcher, t1)
    assert outcomes(result) == [(LISTING, "ok"), (R3, "ok")]
    assert result.runs[0].new_reports == [R3] and result.runs[0].removed_reports == [R1]
    removed = dict(session.execute(select(Report.url, Report.removed_at)).all())
    assert removed == {R1: t1, R2: None, R3: None}
    assert (
        session.scalar(select(func.count()).select_from(Snapshot).where(Snapshot.url == LISTING))
        == 2
    )


def test_reports_are_rechecked_after_recheck_days(session, archive, site):
    good_site(site)
    fetcher, _ = make_fetcher()
    poll(session, archive, fetcher, T0)
    site.page(R2, pdf("Report two (revised)", 10), content_type="application/pdf")
    result = poll(session, archive, fetcher, T0 + timedelta(days=7), recheck_days=7)
    assert outcomes(result) == [(LISTING, "not_modified"), (R1, "not_modified"), (R2, "ok")]
    # the revision adds observations, the first reading stays
    assert sorted(session.scalars(select(CountObservation.value))) == [7.0, 9.0, 10.0]
    assert session.scalar(select(Report.title).where(Report.url == R2)) == "Report two (revised)"


def test_a_page_that_goes_back_to_an_earlier_body_is_a_change(session, archive, site):
    good_site(site)
    site.page(LISTING, listing_html(R1, R2), etag=False)
    fetcher, _ = make_fetcher()
    poll(session, archive, fetcher, T0)
    site.page(LISTING, listing_html(R1), etag=False)
    poll(session, archive, fetcher, T0 + timedelta(days=1))
    site.page(LISTING, listing_html(R1, R2), etag=False)
    result = poll(session, archive, fetcher, T0 + timedelta(days=2))
    assert outcomes(result)[0] == (LISTING, "ok")
    assert session.scalar(select(Report.removed_at).where(Report.url == R2)) is None
    again = poll(session, archive, fetcher, T0 + timedelta(days=3))
    assert outcomes(again)[0] == (LISTING, "unchanged")


def test_validators_are_not_sent_when_the_archive_lost_the_body(session, archive, site):
    good_site(site)
    fetcher, _ = make_fetcher()
    first = poll(session, archive, fetcher, T0)
    archive.path(first.runs[0].sha256).unlink()
    result = poll(session, archive, fetcher, T0 + timedelta(days=1))
    assert "If-None-Match" not in site.requests[-1].headers
    assert outcomes(result) == [(LISTING, "unchanged")]
    assert archive.get(first.runs[0].sha256) == listing_html(R1, R2)  # archived again


def test_report_that_cannot_be_parsed_does_not_fail_the_poll(session, archive, site):
    good_site(site)
    site.page(R2, b"%PDF-1.4 scanned image, no text", content_type="application/pdf")
    fetcher, _ = make_fetcher()
    result = poll(session, archive, fetcher, T0)
    assert outcomes(result)[2] == (R2, "layout_changed")
    assert "no TOTAL line" in result.runs[2].error
    assert not result.failed and result.health_after == "healthy"


def test_unreadable_listing_fails_and_stays_failing_while_unchanged(session, archive, site):
    site.page(LISTING, b"<html><head><title>Reports</title></head><body>redesigned</body></html>")
    fetcher, _ = make_fetcher()
    first = poll(session, archive, fetcher, T0)
    assert outcomes(first) == [(LISTING, "empty")] and first.failed
    second = poll(session, archive, fetcher, T0 + timedelta(days=1))
    # the body did not change, but it still cannot be read: not "not_modified"
    assert outcomes(second) == [(LISTING, "empty")]
    assert (second.health_after, second.consecutive_failures) == ("failing", 2)


def test_links_off_the_source_hosts_are_not_fetched(session, archive, site):
    site.page(LISTING, listing_html(R1, "https://mirror.example.com/r9.pdf"))
    site.page(R1, pdf("Report one", 7), content_type="application/pdf")
    fetcher, _ = make_fetcher()
    result = poll(session, archive, fetcher, T0)
    assert outcomes(result) == [(LISTING, "ok"), (R1, "ok")]
    assert result.skipped_links == ["https://mirror.example.com/r9.pdf"]
    assert site.hits["https://mirror.example.com/r9.pdf"] == 0


def test_rewrite_requests_the_mirror_and_records_the_canonical_url(session, archive, site):
    base = "http://127.0.0.1:8765"
    site.page(f"{base}/www.agency.gov/reports", listing_html(R1))
    # the mirror redirects on its own host: allowed because the rewrite targets that host
    site.page(
        f"{base}/www.agency.gov/files/r1.pdf",
        status=302,
        etag=False,
        headers={"Location": "/www.agency.gov/files/r1-final.pdf"},
    )
    site.page(
        f"{base}/www.agency.gov/files/r1-final.pdf",
        pdf("Report one", 7),
        content_type="application/pdf",
    )
    fetcher, _ = make_fetcher(rewrite=mirror_rewrite(base))
    result = poll(session, archive, fetcher, T0)
    assert outcomes(result) == [(LISTING, "ok"), (R1, "ok")]
    assert result.runs[1].requested_url == f"{base}/www.agency.gov/files/r1.pdf"
    assert set(session.scalars(select(Snapshot.url))) == {LISTING, R1}
    assert set(session.scalars(select(Report.url))) == {R1}


def test_explicit_url_may_be_loopback_and_leaves_health_alone(session, archive, site):
    url = "http://127.0.0.1:9/check.pdf"
    site.page(url, status=301, etag=False, headers={"Location": "http://127.0.0.1:9/moved.pdf"})
    site.page("http://127.0.0.1:9/moved.pdf", pdf("Manual", 3), content_type="application/pdf")
    site.page(
        "http://127.0.0.1:9/away.pdf",
        status=302,
        etag=False,
        headers={"Location": "https://elsewhere.example.net/x.pdf"},
    )
    fetcher, _ = make_fetcher()
    result = poll(session, archive, fetcher, T0, urls=[url], explicit=True)
    assert outcomes(result) == [(url, "ok")] and not result.runs[0].listing
    off = poll(session, archive, fetcher, T0, urls=["http://127.0.0.1:9/away.pdf"], explicit=True)
    assert off.runs[0].outcome == "http_error" and "elsewhere.example.net" in off.runs[0].error
    assert site.hits["https://elsewhere.example.net/x.pdf"] == 0
    assert session.get(SourceHealth, SOURCE.id) is None


def test_sources_due_uses_poll_every_and_the_last_listing_run(session, archive, site):
    good_site(site)
    daily = registered()
    weekly = registered(
        Source(
            id="weekly",
            agency="HHS",
            title="Weekly",
            start_urls=("https://www.agency.gov/weekly",),
            allowed_hosts=("agency.gov",),
            poll_every=timedelta(days=7),
        )
    )
    site.page("https://www.agency.gov/weekly", listing_html(R1))
    assert [r.id for r in sources_due(session, [daily, weekly], T0)] == ["fake_agency", "weekly"]
    fetcher, _ = make_fetcher()
    poll(session, archive, fetcher, T0, reg=daily)
    poll(session, archive, fetcher, T0, reg=weekly)
    assert sources_due(session, [daily, weekly], T0 + timedelta(hours=22)) == []
    # a daily cron job firing a little early still finds yesterday's poll due
    assert [
        r.id for r in sources_due(session, [daily, weekly], T0 + timedelta(hours=23, minutes=30))
    ] == ["fake_agency"]
    assert [r.id for r in sources_due(session, [daily, weekly], T0 + timedelta(days=1))] == [
        "fake_agency"
    ]
    assert len(sources_due(session, [daily, weekly], T0 + timedelta(days=7))) == 2


def test_a_failing_source_is_retried_with_backoff_capped_at_its_interval(session, archive, site):
    from monitor.fetching import next_poll_at, retry_interval

    site.page(LISTING, status=503)
    fetcher, _ = make_fetcher(retries=0)
    reg = registered()
    day = timedelta(days=1)
    assert [retry_interval(day, n) for n in (0, 1, 2, 3, 7, 8, 50)] == [
        day,
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=16),
        day,
        day,
    ]
    t = T0
    for expected in (timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1)):
        assert poll(session, archive, fetcher, t, reg=reg).failed
        due = next_poll_at(session, reg)
        slack = min(expected / 10, timedelta(hours=1))
        assert due == t + expected - slack
        assert sources_due(session, [reg], due - timedelta(seconds=1)) == []
        assert sources_due(session, [reg], due) == [reg]
        t = due
    # back to health: the normal interval again
    good_site(site)
    assert not poll(session, archive, fetcher, t, reg=reg).failed
    assert next_poll_at(session, reg) == t + day - timedelta(hours=1)


def test_a_listing_past_max_links_is_capped_and_removes_nothing(session, archive, site):
    """A listing that suddenly links thousands of documents (here: more than a cap of 2) is
    read up to the cap, says so with a typed problem naming it, follows only those links, and
    takes no report as removed: every report and listing row stored before is kept."""
    from monitor.models import ParseProblem, ReportListing

    good_site(site)
    fetcher, _ = make_fetcher()
    poll(session, archive, fetcher, T0, max_links=2)  # R1, R2: within the cap
    many = [f"https://www.agency.gov/files/x{i}.pdf" for i in range(5)]
    site.page(LISTING, listing_html(R3, *many, R1, R2))  # R1 and R2 now past the cap
    site.page(R3, pdf("Report three", 4), content_type="application/pdf")
    later = T0 + timedelta(days=8)  # R1 and R2 are due for a recheck
    result = poll(session, archive, fetcher, later, max_links=2)
    assert not result.failed and result.runs[0].outcome == "ok"
    followed = [r.url for r in result.runs if not r.listing]
    assert followed == [R3, many[0]]  # only the first two links are taken
    (problem,) = session.scalars(
        select(ParseProblem).where(ParseProblem.kind == "too_many_links")
    ).all()
    assert "links 8 documents, more than max_links_per_listing (2)" in problem.detail
    assert result.runs[0].removed_reports == []
    assert (
        session.scalar(
            select(func.count()).select_from(Report).where(Report.removed_at.is_not(None))
        )
        == 0
    )
    kept = session.scalars(select(ReportListing).join(Report).where(Report.url.in_([R1, R2])))
    assert [row.removed_at for row in kept] == [None, None]
    # read whole again (under the cap), the listing decides removals as before
    site.page(LISTING, listing_html(R3))
    result = poll(session, archive, fetcher, later + timedelta(days=1), max_links=2)
    assert sorted(result.runs[0].removed_reports) == sorted([R1, R2, many[0]])


def test_the_cap_is_a_setting(monkeypatch):
    from monitor.config import load_settings

    assert load_settings({}).max_links_per_listing == 1000
    assert load_settings({"MONITOR_MAX_LINKS_PER_LISTING": "50"}).max_links_per_listing == 50
