"""Source `govinfo_appropriations` polling the GovInfo API (a stand-in served by `responses`):
the published and collections listings with offsetMark paging, the title filter, summaries,
Record granules and text renditions, requirement candidates through the document path, and the
bad answers of issue 18 item 5 (an API error, 429 with Retry-After, malformed JSON, an expired
key, a 10 MB text, a package with no text rendition). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from sqlalchemy import select

from fetch_fakes import make_fetcher
from monitor.fetching import new_cycle, poll_source
from monitor.models import (
    FetchRun,
    FindingRow,
    Parse,
    ParseProblem,
    Report,
    RequirementCandidate,
    SourceHealth,
)
from scrapers.registry import load_source
from scrapers.sources.govinfo_appropriations import api_listings, relevant_title, wanted
from test_url_secrets import capture_text, database_text

KEY = "GovInfo-KEY-not-for-logs-7781"
T0 = datetime(2019, 7, 25, 9, tzinfo=timezone.utc)
FIX = Path(__file__).resolve().parent / "fixtures" / "govinfo_appropriations"
API = "https://api.govinfo.gov"
CRPT_TEXT = (FIX / "crpt_116hrpt180_htm_reconstructed.htm").read_bytes()
PLAW_TEXT = (FIX / "plaw_116publ26_htm_reconstructed.htm").read_bytes()


def pkg(package_id, title=None):
    entry = {
        "packageId": package_id,
        "lastModified": "2019-07-24T12:00:00Z",
        "packageLink": f"{API}/packages/{package_id}/summary",
    }
    if title:
        entry["title"] = title
    return entry


def summary(package_id, title, *, collection=None, download="htm", **extra):
    links = {
        "htm": {
            "txtLink": f"{API}/packages/{package_id}/htm",
            "pdfLink": f"{API}/packages/{package_id}/pdf",
        },
        "none": {"modsLink": f"{API}/packages/{package_id}/mods"},
    }[download]
    return {
        "title": title,
        "collectionCode": collection or package_id.split("-")[0],
        "packageId": package_id,
        "dateIssued": "2019-07-01",
        "download": links,
        **extra,
    }


class GovInfo:
    """A stand-in for api.govinfo.gov: answers by path, records every request."""

    def __init__(self, rsps):
        self.routes: dict[str, object] = {}
        self.requests: list = []
        rsps.add_callback(
            responses.GET, re.compile(r"https://api\.govinfo\.gov/.*"), callback=self._answer
        )

    def _answer(self, request):
        self.requests.append(request)
        parts = urlsplit(request.url)
        query = parse_qs(parts.query)
        route = self.routes.get(
            f"{parts.path}?offsetMark={query['offsetMark'][0]}"
            if "offsetMark" in query
            else parts.path
        )
        if route is None:
            route = self.routes.get(parts.path)
        if route is None:  # a listing of any date: by its first path segment
            route = self.routes.get(
                "/" + parts.path.split("/")[1] + "/*", (404, {}, b'{"message": "not found"}')
            )
        if callable(route):
            route = route(request)
        if isinstance(route, (dict, list)):
            return 200, {"Content-Type": "application/json"}, json.dumps(route)
        if isinstance(route, bytes):
            return 200, {"Content-Type": "text/html"}, route
        return route

    def paths(self):
        return [urlsplit(r.url).path for r in self.requests]

    def empty_listings(self):
        for prefix in ("/published/*", "/collections/*"):
            self.routes.setdefault(prefix, {"count": 0, "nextPage": None, "packages": []})

    def refuse_key(self, status=403):
        for prefix in ("/published/*", "/collections/*", "/packages/*"):
            self.routes[prefix] = (
                status,
                {},
                b'{"error": {"code": "API_KEY_EXPIRED", '
                b'"message": "An expired api_key was supplied."}}',
            )


@pytest.fixture
def govinfo():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield GovInfo(rsps)


def published_path():
    return urlsplit(api_listings(T0 - timedelta(days=90))[0].url).path


def poll(session, archive, now=T0, headers=None, **fetcher_kw):
    reg = load_source("govinfo_appropriations")
    fetcher, slept = make_fetcher(secrets=(KEY,), **{"max_bytes": 50_000_000, **fetcher_kw})
    result = poll_source(
        session,
        archive,
        fetcher,
        reg,
        now=now,
        cycle=new_cycle(now),
        headers={"X-Api-Key": KEY} if headers is None else headers,
    )
    session.flush()
    return result


def a_year_of_packages(govinfo):
    path = published_path()
    page2 = f"{API}{path}?offsetMark=AoE2&pageSize=1000&api_key=DEMO_KEY"
    govinfo.routes[path + "?offsetMark=*"] = {
        "count": 6,
        "nextPage": page2,
        "packages": [
            pkg(
                "CRPT-116hrpt180",
                "H. Rept. 116-180 - DEPARTMENT OF HOMELAND SECURITY APPROPRIATIONS BILL, 2020",
            ),
            pkg("BILLS-116hr3401ih", "Making emergency supplemental appropriations ..."),
            pkg(
                "CRPT-116hrpt84",
                "H. Rept. 116-84 - DEPARTMENT OF DEFENSE APPROPRIATIONS BILL, 2020",
            ),
            pkg("FR-2019-06-04", "Federal Register"),
        ],
    }
    # results shifted: the House report is served again on the second page
    govinfo.routes[path + "?offsetMark=AoE2"] = {
        "count": 6,
        "nextPage": None,
        "packages": [
            pkg(
                "CRPT-116hrpt180",
                "H. Rept. 116-180 - DEPARTMENT OF HOMELAND SECURITY APPROPRIATIONS BILL, 2020",
            ),
            pkg("PLAW-116publ26"),  # no title in the listing: the summary decides
            pkg("CREC-2019-06-04", "Congressional Record Volume 165, Issue 93"),
        ],
    }
    govinfo.routes["/packages/CRPT-116hrpt180/summary"] = summary(
        "CRPT-116hrpt180", "DEPARTMENT OF HOMELAND SECURITY APPROPRIATIONS BILL, 2020"
    )
    govinfo.routes["/packages/CRPT-116hrpt180/htm"] = CRPT_TEXT
    govinfo.routes["/packages/PLAW-116publ26/summary"] = summary(
        "PLAW-116publ26",
        "Public Law 116 - 26 - Emergency Supplemental Appropriations for "
        "Humanitarian Assistance and Security at the Southern Border Act, 2019",
    )
    govinfo.routes["/packages/PLAW-116publ26/htm"] = PLAW_TEXT
    govinfo.routes["/packages/CREC-2019-06-04/summary"] = summary(
        "CREC-2019-06-04",
        "Congressional Record Volume 165, Issue 93",
        download="none",
        granulesLink=f"{API}/packages/CREC-2019-06-04/granules?offset=0&pageSize=100",
    )
    govinfo.routes["/packages/CREC-2019-06-04/granules"] = {
        "count": 2,
        "nextPage": None,
        "granules": [
            {
                "title": "EXPLANATORY STATEMENT SUBMITTED BY MRS. LOWEY, CHAIRWOMAN OF THE HOUSE "
                "COMMITTEE ON APPROPRIATIONS, REGARDING THE HOUSE AMENDMENT TO THE SENATE "
                "AMENDMENT TO H.R. 3401, EMERGENCY SUPPLEMENTAL APPROPRIATIONS ACT, 2019",
                "granuleId": "CREC-2019-06-04-pt1-PgH4300",
                "granuleLink": f"{API}/packages/CREC-2019-06-04/granules/CREC-2019-06-04-pt1-PgH4300/summary",
            },
            {
                "title": "PRAYER",
                "granuleId": "CREC-2019-06-04-pt1-PgH4200",
                "granuleLink": f"{API}/packages/CREC-2019-06-04/granules/CREC-2019-06-04-pt1-PgH4200/summary",
            },
        ],
    }
    granule = "/packages/CREC-2019-06-04/granules/CREC-2019-06-04-pt1-PgH4300"
    govinfo.routes[granule + "/summary"] = dict(
        summary(
            "CREC-2019-06-04",
            govinfo.routes["/packages/CREC-2019-06-04/granules"]["granules"][0]["title"],
            download="none",
        ),
        granuleId="CREC-2019-06-04-pt1-PgH4300",
    )
    govinfo.empty_listings()


def test_a_poll_reads_the_appropriations_texts_into_candidates(session, archive, govinfo, caplog):
    caplog.set_level(logging.DEBUG)
    a_year_of_packages(govinfo)
    result = poll(session, archive)
    assert not result.failed, (
        result.api_problems,
        [(r.url, r.outcome, r.error) for r in result.runs],
    )
    paths = govinfo.paths()
    # the family's packages are read, summary then text; the others never
    for wanted_path in (
        "/packages/CRPT-116hrpt180/summary",
        "/packages/CRPT-116hrpt180/htm",
        "/packages/PLAW-116publ26/summary",
        "/packages/PLAW-116publ26/htm",
        "/packages/CREC-2019-06-04/granules",
        "/packages/CREC-2019-06-04/granules/CREC-2019-06-04-pt1-PgH4300/summary",
    ):
        assert wanted_path in paths
    for unwanted in ("BILLS-116hr3401ih", "CRPT-116hrpt84", "FR-2019-06-04", "PgH4200"):
        assert not [p for p in paths if unwanted in p]
    assert paths.count("/packages/CRPT-116hrpt180/summary") == 1  # the duplicate was removed
    # every listing was walked, every request carried the key in its header only
    assert {urlsplit(u.url).path for u in api_listings(T0 - timedelta(days=90))} <= set(paths)
    assert all(
        r.headers["X-Api-Key"] == KEY and KEY not in r.url and "DEMO_KEY" not in r.url
        for r in govinfo.requests
    )
    candidates = session.scalars(select(RequirementCandidate)).all()
    assert {c.package_id for c in candidates} == {"CRPT-116hrpt180", "PLAW-116publ26"}
    # the granule with no text rendition is a problem naming it
    problems = session.scalars(select(ParseProblem.detail)).all()
    assert any("CREC-2019-06-04-pt1-PgH4300: no text rendition" in p for p in problems)
    assert session.get(SourceHealth, "govinfo_appropriations").state == "healthy"
    assert KEY not in database_text(session) + capture_text(archive.root) + caplog.text


def test_the_next_poll_reads_from_the_last_one_and_fetches_nothing_twice(session, archive, govinfo):
    a_year_of_packages(govinfo)
    poll(session, archive)
    first = len(govinfo.requests)
    poll(session, archive, now=T0 + timedelta(days=1))
    later = govinfo.requests[first:]
    # the listings again (from the day before the first poll), no summary or text again
    assert all(
        p.startswith(("/published/", "/collections/"))
        for p in (urlsplit(r.url).path for r in later)
    )
    since = (T0 - timedelta(days=2)).strftime("%Y-%m-%d")
    assert any(urlsplit(r.url).path == f"/published/{since}" for r in later)


@pytest.mark.parametrize(
    "title,expected",
    [
        ("Public Law 117 - 103 - Consolidated Appropriations Act, 2022", True),
        (
            "Public Law 115 - 245 - Department of Defense and Labor, Health and Human Services, and "
            "Education Appropriations Act, 2019 and Continuing Appropriations Act, 2019",
            True,
        ),
        (
            "S. Rept. 117-39 - DEPARTMENTS OF LABOR, HEALTH AND HUMAN SERVICES, AND EDUCATION, AND "
            "RELATED AGENCIES APPROPRIATION BILL, 2022",
            True,
        ),
        (
            "H. Rept. 116-9 - MAKING FURTHER CONTINUING APPROPRIATIONS FOR THE DEPARTMENT OF HOMELAND "
            "SECURITY FOR THE FISCAL YEAR ENDING SEPTEMBER 30, 2019, AND FOR OTHER PURPOSES",
            True,
        ),
        (
            "Making consolidated appropriations for the fiscal year ending September 30, 2020, and for "
            "other purposes.",
            True,
        ),
        (
            "CONSOLIDATED APPROPRIATIONS ACT, 2023 (H.R. 2617 / PUBLIC LAW 117-328) LEGISLATIVE TEXT AND "
            "EXPLANATORY STATEMENT BOOK 1 OF 2",
            True,
        ),
        ("DIVISION F--DEPARTMENT OF HOMELAND SECURITY APPROPRIATIONS ACT, 2023", True),
        ("Further Consolidated Appropriations Act, 2024", True),
        ("H. Rept. 118-121 - DEPARTMENT OF DEFENSE APPROPRIATIONS BILL, 2024", False),
        (
            "S. Rept. 118-44 - AGRICULTURE, RURAL DEVELOPMENT, FOOD AND DRUG ADMINISTRATION, AND RELATED "
            "AGENCIES APPROPRIATIONS BILL, 2024",
            False,
        ),
        (
            "H. Rept. 118-99 - ENERGY AND WATER DEVELOPMENT AND RELATED AGENCIES APPROPRIATIONS BILL, 2024",
            False,
        ),
        ("Department of Homeland Security Authorization Act of 2023", False),
        (
            "An Act To amend the State Department Basic Authorities Act of 1956 to include severe forms "
            "of trafficking in persons",
            False,
        ),
        ("Public Law 118 - 5 - Fiscal Responsibility Act of 2023", False),
        (None, False),
    ],
)
def test_the_title_filter_reads_the_family_not_the_samples(title, expected):
    assert relevant_title(title) is expected


def test_listing_entries_outside_the_family_are_not_followed():
    assert wanted(
        pkg(
            "BILLS-116hr3401enr",
            "Making emergency supplemental appropriations for "
            "the fiscal year ending September 30, 2019",
        )
    )
    assert not wanted(pkg("BILLS-116hr3401eh", "Making emergency supplemental appropriations"))
    assert wanted(pkg("CREC-2019-06-04", "Congressional Record Volume 165, Issue 93"))
    assert wanted(pkg("CPRT-116HPRT1"))  # no title: its summary decides
    assert not wanted(pkg("FR-2019-06-04"))


# --- bad input (issue 18 item 5) ----------------------------------------------------------------


def test_an_api_error_fails_the_poll_and_keeps_the_window(session, archive, govinfo):
    govinfo.empty_listings()
    govinfo.routes[published_path()] = (500, {}, b'{"message": "internal error"}')
    result = poll(session, archive, retries=0)
    assert result.failed
    health = session.get(SourceHealth, "govinfo_appropriations")
    assert health.state == "failing" and health.last_success_at is None
    assert "500" in (health.last_error or "") or "http_error" in (health.last_error or "")
    # the other listings were still read
    assert len({p for p in govinfo.paths() if p.startswith("/collections/")}) == 5


def test_429_with_a_long_retry_after_stops_the_poll_without_waiting(session, archive, govinfo):
    govinfo.empty_listings()
    govinfo.routes[published_path()] = (429, {"Retry-After": "3600"}, b'{"error": "slow down"}')
    result = poll(session, archive, retries=3)
    assert result.failed and len(govinfo.requests) == 1
    assert any(p.startswith("rate_limited") for p in result.api_problems)


def test_malformed_json_is_a_failed_listing_not_an_empty_one(session, archive, govinfo):
    govinfo.empty_listings()
    govinfo.routes[published_path()] = (
        200,
        {"Content-Type": "application/json"},
        b'{"count": 2, "packages": [{"packageId": ',
    )
    result = poll(session, archive)
    assert result.failed
    run = session.scalar(select(FetchRun).where(FetchRun.url.like("%/published/%")))
    assert run.outcome == "parse_error" and run.snapshot_id is not None  # archived as evidence


def test_an_expired_key_is_one_access_finding_and_no_retry_storm(session, archive, govinfo):
    govinfo.refuse_key()
    for day in range(3):
        result = poll(session, archive, now=T0 + timedelta(days=day))
        assert result.failed
    assert len(govinfo.requests) == 3  # one request a poll
    access = session.scalars(select(FindingRow).where(FindingRow.family == "access")).all()
    assert len(access) == 1 and access[0].state == "open"
    assert "govinfo_api_key" in access[0].summary
    assert session.get(SourceHealth, "govinfo_appropriations").state == "broken"


def test_a_10_mb_text_is_streamed_and_capped(session, archive, govinfo):
    govinfo.empty_listings()
    govinfo.routes[published_path()] = {
        "count": 1,
        "nextPage": None,
        "packages": [pkg("CRPT-116hrpt180")],
    }
    govinfo.routes["/packages/CRPT-116hrpt180/summary"] = summary(
        "CRPT-116hrpt180", "DEPARTMENT OF HOMELAND SECURITY APPROPRIATIONS BILL, 2020"
    )
    huge = b"<html><body><pre>" + b"SEC. 1. Appropriations. " * (10 * 1024 * 1024 // 24) + b"</pre>"
    govinfo.routes["/packages/CRPT-116hrpt180/htm"] = huge
    result = poll(session, archive, max_bytes=4 * 1024 * 1024)
    assert not result.failed  # one unreadable document does not blind the source
    run = session.scalar(select(FetchRun).where(FetchRun.url.like("%/CRPT-116hrpt180/htm")))
    assert run.outcome == "too_large" and run.snapshot_id is None
    assert run.bytes <= 4 * 1024 * 1024 + 65536  # the download stopped at the cap
    report = session.scalar(select(Report).where(Report.url == run.url))
    assert report.fetch_state == "failing" and "cap" in report.last_fetch_error


def test_a_package_with_no_text_rendition_is_a_problem_naming_it(session, archive, govinfo):
    govinfo.empty_listings()
    govinfo.routes[published_path()] = {
        "count": 1,
        "nextPage": None,
        "packages": [pkg("CPRT-116HPRT36720")],
    }
    govinfo.routes["/packages/CPRT-116HPRT36720/summary"] = summary(
        "CPRT-116HPRT36720",
        "CONSOLIDATED APPROPRIATIONS ACT, 2020 ... EXPLANATORY STATEMENT",
        download="none",
    )
    result = poll(session, archive)
    assert not result.failed
    detail = session.scalar(
        select(ParseProblem.detail).join(Parse, Parse.id == ParseProblem.parse_id)
    )
    assert detail.startswith("CPRT-116HPRT36720: no text rendition")


def test_without_a_key_the_source_is_not_polled(session, archive, govinfo):
    result = poll(session, archive, headers={})
    assert result.not_configured and "govinfo_api_key" in result.not_configured
    assert govinfo.requests == [] and result.runs == []
    assert session.get(SourceHealth, "govinfo_appropriations") is None


# --- in the main job: other sources keep working; no key, no polling -----------------------------


def _context(db_url, tmp_path, **env):
    from monitor.config import load_settings
    from monitor.context import Context

    from run_env import loopback_env

    # months are judged from the default watch_from unless the test names one
    settings = load_settings(
        loopback_env(db_url, tmp_path / "home", **{"MONITOR_WATCH_FROM": None, **env})
    )
    return Context(settings)


def test_an_expired_key_leaves_the_other_sources_working(db_url, tmp_path):
    from collections import Counter

    from fetch_fakes import SOURCE, Site, good_site, registered
    from monitor.pipeline import run_once

    ctx = _context(db_url, tmp_path, MONITOR_GOVINFO_API_KEY=KEY)
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            gov = GovInfo(rsps)
            gov.refuse_key(401)
            site = Site.__new__(Site)  # the agency site beside GovInfo, on its own host only
            site.pages, site.hits, site.requests = {}, Counter(), []
            rsps.add_callback(
                responses.GET, re.compile(r"https://www\.agency\.gov/.*"), callback=site._serve
            )
            good_site(site)
            for _ in range(2):
                report = run_once(
                    ctx,
                    every_source=True,
                    evaluate=False,
                    notify=False,
                    registered=[load_source("govinfo_appropriations"), registered()],
                )
        polls = {p.source: p for p in report.polls}
        assert polls["govinfo_appropriations"].failed and not polls[SOURCE.id].failed
        assert len(gov.requests) == 2  # one a run
        with ctx.session() as s:
            access = s.scalars(select(FindingRow).where(FindingRow.family == "access")).all()
        assert len(access) == 1 and access[0].subject == "govinfo|govinfo_api_key"
        assert KEY not in access[0].summary + json.dumps(access[0].evidence)
    finally:
        ctx.engine.dispose()


def test_without_a_key_the_main_job_says_not_configured(db_url, tmp_path):
    from monitor.pipeline import report_json, run_once

    ctx = _context(db_url, tmp_path)
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            gov = GovInfo(rsps)
            report = run_once(
                ctx,
                every_source=True,
                evaluate=False,
                notify=False,
                registered=[load_source("govinfo_appropriations")],
                check_keys=True,
            )
        assert gov.requests == [] and report.polls == [] and report.ok
        (status,) = report.statuses
        assert status.not_configured.startswith("not configured: govinfo_api_key")
        assert "unknown" in status.not_configured and status.problem is None
        assert report_json(report)["source_status"][0]["not_configured"] == status.not_configured
        with ctx.session() as s:  # ONE operator finding for the key, naming what it stops
            access = s.scalars(select(FindingRow).where(FindingRow.family == "access")).all()
        assert sorted((f.subject, f.severity, f.evidence["sources"]) for f in access) == [
            (
                "congress_api_key|not set",
                "low",
                ["congress_communications", "congress_requirements"],
            ),
            ("govinfo_api_key|not set", "low", ["govinfo_appropriations"]),
        ]
    finally:
        ctx.engine.dispose()


def test_monitor_sources_says_not_configured(cli_db):
    rc, out, err = cli_db("sources")
    assert rc == 0 and "Traceback" not in err
    assert (
        "govinfo_appropriations: not configured: govinfo_api_key (MONITOR_GOVINFO_API_KEY)" in out
    )
    rc, out, _err = cli_db("sources", "--json")
    row = next(r for r in json.loads(out) if r["id"] == "govinfo_appropriations")
    assert row["not_configured"] and row["problem"] is None


def test_a_text_obtained_by_hand_takes_the_same_path(cli_db):
    """`monitor ingest` with a plain-text rendition (a PDF's text saved by hand)."""
    text = (
        Path(__file__).resolve().parent
        / "discovery"
        / "fixtures"
        / "crpt_pdf_text_reconstructed.txt"
    )
    rc, out, err = cli_db(
        "ingest",
        "govinfo_appropriations",
        str(text),
        "--url",
        "https://api.govinfo.gov/packages/CRPT-116hrpt180/htm",
    )
    assert rc == 0, err
    assert "requirement candidate" in out
    rc, out, _err = cli_db("candidates", "--json")
    found = json.loads(out)
    assert found and {c["package"] for c in found} == {"CRPT-116hrpt180"}
    assert all(c["status"] == "new" and c["quote"] for c in found)


def test_packages_lost_while_paging_fail_the_poll_instead_of_vanishing(session, archive, govinfo):
    govinfo.empty_listings()
    path = published_path()
    govinfo.routes[path + "?offsetMark=*"] = {
        "count": 3,
        "nextPage": f"{API}{path}?offsetMark=AoE2&pageSize=1000",
        "packages": [
            pkg("CRPT-116hrpt180", "DEPARTMENT OF HOMELAND SECURITY APPROPRIATIONS BILL, 2020")
        ],
    }
    # the second page repeats the first one's package: one of the three never arrives
    govinfo.routes[path + "?offsetMark=AoE2"] = {
        "count": 3,
        "nextPage": None,
        "packages": [
            pkg("CRPT-116hrpt180", "DEPARTMENT OF HOMELAND SECURITY APPROPRIATIONS BILL, 2020"),
            pkg("PLAW-116publ26"),
        ],
    }
    result = poll(session, archive)
    assert result.failed
    health = session.get(SourceHealth, "govinfo_appropriations")
    assert "1 of 3 listed packages never arrived" in health.last_error
    assert health.last_success_at is None  # the next poll reads the same window again
