"""Secrets in URLs (``api_key=``, ``token=``, ``key=``, ``user:password@``) are used for the request
and kept nowhere else: not in fetch runs, snapshots, reports, parses, validators, capture records,
command output or errors. API keys go in a header where the source declares one."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone

import pytest
import responses
from sqlalchemy import select

from fetch_fakes import LISTING, R1, R2, SOURCE, Site, listing_html, make_fetcher, pdf, registered
from monitor.fetching import new_cycle, poll_source
from monitor.models import Base, FetchRun

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
TOKEN, PASSWORD, KEY = "tok-SECRET-1", "pw-SECRET-2", "key-SECRET-3"
SECRETS = (TOKEN, PASSWORD, KEY)
R1_REAL = f"{R1}?token={TOKEN}"
R2_REAL = R2.replace("https://", f"https://ops:{PASSWORD}@")
R3_REAL = f"https://www.agency.gov/files/r3.pdf?api_key={KEY}&page=1"


@pytest.fixture
def site():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield Site(rsps)


def secret_site(site: Site) -> None:
    site.page(LISTING, listing_html(R1_REAL, R2_REAL))
    site.page(R1_REAL, pdf("Report one", 7), content_type="application/pdf")
    site.page(R2_REAL, pdf("Report two", 9), content_type="application/pdf")
    site.page(R3_REAL, pdf("Report three", 3), content_type="application/pdf")


def database_text(session) -> str:
    """Every value of every row of every table, as text."""
    session.expire_all()
    parts = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)):
            parts.append(repr(tuple(row)))
    return "\n".join(parts)


def capture_text(root) -> str:
    return (
        "\n".join(p.read_text() for p in (root / "captures").rglob("*") if p.is_file())
        if (root / "captures").exists()
        else ""
    )


def leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


@pytest.fixture
def fetch_cli(cli_db, monkeypatch, registries):
    from scrapers.registry import Registry

    registries.sources = Registry([registered()])
    for name, value in {
        "HOST_MIN_INTERVAL": "0",
        "HTTP_BACKOFF": "0",
        "HTTP_RETRIES": "0",
        "CONTACT": "ops@example.org",
    }.items():
        monkeypatch.setenv(f"MONITOR_{name}", value)
    return cli_db


def test_secret_urls_are_requested_but_never_stored_or_printed(
    fetch_cli, site, engine, monitor_env
):
    from sqlalchemy.orm import Session

    secret_site(site)
    rc, out, err = fetch_cli("fetch", "fake_agency", "--json")
    assert rc == 0, err
    rc2, out2, err2 = fetch_cli("fetch", "fake_agency", "--url", R3_REAL, "--json")
    assert rc2 == 0, err2
    # the requests went to the real URLs, credentials and all
    assert {R1_REAL, R2_REAL, R3_REAL} <= set(site.hits)
    runs = json.loads(out) + json.loads(out2)
    assert [r["url"] for r in runs] == [
        LISTING,
        f"{R1}?token=***",
        "https://***@www.agency.gov/files/r2.pdf",
        "https://www.agency.gov/files/r3.pdf?api_key=***&page=1",
    ]
    printed = out + err + out2 + err2
    for args in (("runs",), ("runs", "--json")):
        rc, out, err = fetch_cli(*args)
        assert rc == 0
        printed += out + err
    assert leaked(printed) == []
    with Session(engine) as session:
        stored = database_text(session)
    assert "token=***" in stored and "api_key=***" in stored
    assert leaked(stored) == []
    captures = capture_text(monitor_env / "archive")
    assert "https://***@www.agency.gov/files/r2.pdf" in captures
    assert leaked(captures) == []


def test_links_with_secrets_are_followed_by_their_real_url_on_later_polls(session, archive, site):
    """The stored links are redacted; a later poll that reads the listing from the archive (a
    304) still requests the real URLs, and recognises them as the reports already stored."""
    secret_site(site)
    fetcher = make_fetcher()[0]
    first = poll_source(session, archive, fetcher, registered(), now=T0, cycle=new_cycle(T0))
    assert [r.outcome for r in first.runs] == ["ok", "ok", "ok"]
    later = T0 + timedelta(days=8)  # past recheck_days: the reports are fetched again
    second = poll_source(session, archive, fetcher, registered(), now=later, cycle=new_cycle(later))
    assert [r.outcome for r in second.runs] == ["not_modified", "not_modified", "not_modified"]
    assert site.hits[R1_REAL] == 2 and site.hits[R2_REAL] == 2
    assert not any("***" in url for url in site.hits)  # never requested a redacted URL
    assert leaked(database_text(session) + capture_text(archive.root)) == []


def test_errors_about_secret_urls_are_redacted(session, archive, site):
    site.page(LISTING, listing_html(R1_REAL))
    site.page(R1_REAL, b"gone", status=410)
    result = poll_source(
        session, archive, make_fetcher()[0], registered(), now=T0, cycle=new_cycle(T0)
    )
    failed = [r for r in result.runs if r.outcome == "http_error"]
    assert failed and failed[0].url == f"{R1}?token=***"
    errors = session.scalars(select(FetchRun.error)).all()
    assert leaked(" ".join(e or "" for e in errors) + repr(result)) == []


API_SOURCE = dataclasses.replace(
    SOURCE, id="fake_api", secret_headers=(("X-Api-Key", "govinfo_api_key"),)
)


def test_an_api_key_goes_in_the_header_the_source_declares(
    session, archive, site, monitor_env, monkeypatch
):
    from monitor.config import load_settings
    from monitor.fetching import source_headers

    monkeypatch.setenv("MONITOR_GOVINFO_API_KEY", KEY)
    settings = load_settings()
    site.page(LISTING, listing_html(R1))
    site.page(R1, pdf("Report one", 7), content_type="application/pdf")
    headers = source_headers(API_SOURCE, settings)
    assert headers == {"X-Api-Key": KEY}
    poll_source(
        session,
        archive,
        make_fetcher(secrets=(KEY,))[0],
        registered(API_SOURCE),
        now=T0,
        cycle=new_cycle(T0),
        headers=headers,
    )
    assert [r.headers.get("X-Api-Key") for r in site.requests] == [KEY, KEY]
    assert leaked(database_text(session) + capture_text(archive.root)) == []


def test_a_missing_api_key_is_an_access_finding_until_it_is_configured(
    session, monitor_env, monkeypatch
):
    from monitor.api_keys import sync_missing_keys
    from monitor.config import load_settings
    from monitor.fetching import source_headers
    from monitor.models import FindingRow

    assert source_headers(API_SOURCE, load_settings()) == {}
    sync_missing_keys(session, [API_SOURCE], load_settings(), now=T0)
    finding = session.scalar(select(FindingRow).where(FindingRow.family == "access"))
    assert finding.state == "open" and "MONITOR_GOVINFO_API_KEY" in finding.summary
    monkeypatch.setenv("MONITOR_GOVINFO_API_KEY", KEY)
    assert source_headers(API_SOURCE, load_settings()) == {"X-Api-Key": KEY}
    sync_missing_keys(session, [API_SOURCE], load_settings(), now=T0)
    session.refresh(finding)
    assert finding.state == "resolved"
    assert KEY not in database_text(session)


def test_every_declared_secret_header_names_a_secret_setting():
    from monitor.config import SETTINGS
    from scrapers.registry import all_sources

    secret = {s.name for s in SETTINGS if s.secret}
    for reg in all_sources():
        for header, setting in reg.source.secret_headers:
            assert setting in secret, f"{reg.id}: {header} comes from {setting}, not a secret"


def test_upgrading_redacts_urls_stored_before(empty_db_url):
    """Rows stored by an earlier version keep no secret once the database is upgraded; a URL
    whose redacted form another row already has is left for the next fetch to replace."""
    from sqlalchemy import text

    from monitor.db import make_engine, upgrade

    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO sources (id, agency, title, created_at) "
                    "VALUES ('s', 'DHS', 'S', '2026-01-01 00:00:00')"
                )
            )
            for i, (url, sha) in enumerate(
                [(R1_REAL, "a" * 64), (R2_REAL, "b" * 64), (f"{R1}?token=other", "a" * 64)], 1
            ):
                conn.execute(
                    text(
                        "INSERT INTO snapshots (id, source_id, url, sha256, size, headers, "
                        "fetched_at, storage) VALUES (:i, 's', :u, :h, 1, '{}', "
                        "'2026-01-01 00:00:00', 'objects')"
                    ),
                    {"i": i, "u": url, "h": sha},
                )
            conn.execute(
                text(
                    "INSERT INTO fetch_runs (source_id, url, requested_url, started_at, outcome, "
                    "error) VALUES ('s', :u, :r, '2026-01-01 00:00:00', 'http_error', :e)"
                ),
                {"u": R3_REAL, "r": R2_REAL, "e": f"redirect loop at {R1_REAL}"},
            )
        upgrade(engine)
        with engine.connect() as conn:
            run = conn.execute(text("SELECT url, requested_url, error FROM fetch_runs")).one()
            urls = conn.execute(text("SELECT url FROM snapshots ORDER BY id")).scalars().all()
        assert tuple(run) == (
            "https://www.agency.gov/files/r3.pdf?api_key=***&page=1",
            "https://***@www.agency.gov/files/r2.pdf",
            f"redirect loop at {R1}?token=***",
        )
        assert urls == [
            f"{R1}?token=***",
            "https://***@www.agency.gov/files/r2.pdf",
            f"{R1}?token=other",
        ]  # same body, same redacted URL: left alone
    finally:
        engine.dispose()
