"""`monitor fetch` and `monitor runs` through the CLI, on SQLite and PostgreSQL, against the fake
site (registry pointed at the fake source)."""

from __future__ import annotations

import json

import pytest
import responses

from fetch_fakes import (
    AKAMAI,
    LISTING,
    R1,
    R2,
    R3,
    Site,
    good_site,
    listing_html,
    pdf,
    registered,
)


@pytest.fixture
def site():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield Site(rsps)


@pytest.fixture
def fetch_cli(cli_db, monkeypatch, registries):
    from scrapers.registry import Registry

    registries.sources = Registry([registered()])
    for name, value in {"HOST_MIN_INTERVAL": "0", "HTTP_BACKOFF": "0", "HTTP_RETRIES": "0"}.items():
        monkeypatch.setenv(f"MONITOR_{name}", value)
    return cli_db


def test_fetch_json_lists_runs_and_exits_0(fetch_cli, site, monkeypatch):
    monkeypatch.setenv("MONITOR_CONTACT", "ops@example.org")
    good_site(site)
    rc, out, err = fetch_cli("fetch", "fake_agency", "--json")
    assert rc == 0, err
    runs = json.loads(out)
    assert [(r["url"], r["outcome"]) for r in runs] == [
        (LISTING, "ok"),
        (R1, "ok"),
        ("https://www.agency.gov/files/r2.pdf", "ok"),
    ]
    for run in runs:
        assert {"source", "url", "outcome", "http_status", "sha256", "bytes"} <= set(run)
        assert run["source"] == "fake_agency" and len(run["sha256"]) == 64
    assert "warning" not in err and "\r" not in err  # no progress when not on a terminal
    assert "ops@example.org" in site.requests[0].headers["User-Agent"]


def test_failed_fetch_exits_1_and_shows_health(fetch_cli, site):
    site.page(LISTING, AKAMAI, status=403)
    rc, out, err = fetch_cli("fetch", "fake_agency")
    assert rc == 1
    assert "blocked" in out and "Akamai" in out
    assert "fake_agency: health new -> failing" in out
    assert "MONITOR_CONTACT" in err  # real hosts and no contact configured: a warning


def test_a_dead_report_link_is_exit_3_not_a_failed_poll(fetch_cli, site):
    """The poll succeeded (its listing was read) and one report it links is dead: the exit
    status says so (3), distinct from a failed poll (1) and from all well (0)."""
    site.page(LISTING, listing_html(R1, R2))
    site.page(R1, pdf("Report one", 7), content_type="application/pdf")  # R2: 404
    rc, out, err = fetch_cli("fetch", "fake_agency", "--json")
    assert rc == 3, err
    runs = {r["url"]: r["outcome"] for r in json.loads(out)}
    assert runs == {LISTING: "ok", R1: "ok", R2: "http_error"}
    rc, out, err = fetch_cli("fetch", "fake_agency")
    assert rc == 3, err
    assert "fake_agency: the poll succeeded, but 1 linked document(s) could not be fetched" in out
    assert "health" not in out  # the source stayed healthy
    good_site(site)  # the link answers again: all well
    assert fetch_cli("fetch", "fake_agency")[0] == 0
    site.page(LISTING, AKAMAI, status=403)  # the listing itself fails: 1, whatever the reports
    assert fetch_cli("fetch", "fake_agency")[0] == 1


def test_a_failed_url_asked_for_is_exit_1(fetch_cli, site):
    good_site(site)
    assert fetch_cli("fetch", "fake_agency", "--url", R3)[0] == 1  # 404: what was asked failed
    assert fetch_cli("fetch", "fake_agency", "--url", R1)[0] == 0


def test_runs_lists_recent_runs(fetch_cli, site):
    good_site(site)
    fetch_cli("fetch", "fake_agency")
    site.page(LISTING, AKAMAI, etag=False)
    fetch_cli("fetch", "--all")
    rc, out, _ = fetch_cli("runs", "--json", "--limit", "2")
    rows = json.loads(out)
    assert rc == 0 and [r["outcome"] for r in rows] == ["blocked", "ok"]
    assert rows[0]["sha256"] is None and rows[1]["sha256"]
    assert rows[0]["cycle"] != rows[1]["cycle"]
    rc, out, _ = fetch_cli("runs", "--outcome", "blocked")
    assert rc == 0 and out.count("blocked") == 1 and "Akamai" in out
    rc, out, _ = fetch_cli("runs", "--source", "nobody", "--json")
    assert json.loads(out) == []
    rc, _, err = fetch_cli("runs", "--outcome", "bogus")
    assert rc == 1 and "unknown outcome" in err


def test_explicit_loopback_url_and_mirror(fetch_cli, site):
    site.page("http://127.0.0.1:9/manual.pdf", pdf("Manual", 1), content_type="application/pdf")
    rc, out, err = fetch_cli(
        "fetch", "fake_agency", "--url", "http://127.0.0.1:9/manual.pdf", "--json"
    )
    assert rc == 0, err
    assert [r["outcome"] for r in json.loads(out)] == ["ok"]
    assert "warning" not in err  # loopback only: no contact needed

    base = "http://127.0.0.1:9"
    site.page(
        f"{base}/www.agency.gov/reports",
        b"<html><head><title>Reports</title></head><body><p>No reports yet.</p></body></html>",
    )
    rc, out, err = fetch_cli("fetch", "fake_agency", "--mirror", base, "--json")
    run = json.loads(out)[0]
    assert (run["url"], run["requested_url"]) == (LISTING, f"{base}/www.agency.gov/reports")
    assert run["outcome"] == "empty" and rc == 1


@pytest.mark.parametrize(
    "argv,message",
    [
        (("fetch",), "name one SOURCE or pass --all"),
        (("fetch", "fake_agency", "--all"), "name one SOURCE or pass --all"),
        (("fetch", "fake_agency", "--url", "ftp://x/y"), "http(s) URL"),
        (("fetch", "fake_agency", "--listing"), "--listing applies to --url"),
        (("fetch", "no_such_source"), "unknown source"),
    ],
)
def test_bad_invocations_are_one_line_errors(fetch_cli, argv, message):
    rc, _out, err = fetch_cli(*argv)
    assert rc == 1 and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
