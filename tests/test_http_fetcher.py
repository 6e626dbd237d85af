"""The HTTP client with `responses`: identification, conditional GET, retries, redirects hop by
hop, the allow-list, size caps, TLS verification always on, politeness, and secret-free errors."""

from __future__ import annotations

import re

import pytest
import requests
import responses

from fetch_fakes import USER_AGENT, make_fetcher
from scrapers.fetch.http import Fetcher, HostThrottle, HttpConfig, Validators, mirror_rewrite

URL = "https://www.agency.gov/reports"
ALLOWED = ("agency.gov",)
PAGE = b"<html><head><title>Reports</title></head><body><a href='/r.pdf'>r</a></body></html>"


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        yield mock


def test_ok_response_identifies_itself_and_sends_no_validators(rsps):
    rsps.get(
        URL,
        body=PAGE,
        content_type="text/html",
        headers={"ETag": '"v1"', "Last-Modified": "Mon, 02 Mar 2026 09:00:00 GMT"},
    )
    fetcher, _ = make_fetcher()
    result = fetcher.fetch(URL, allowed=ALLOWED)
    assert (result.outcome, result.status, result.body) == ("ok", 200, PAGE)
    assert (result.etag, result.last_modified) == ('"v1"', "Mon, 02 Mar 2026 09:00:00 GMT")
    assert result.bytes_read == len(PAGE) and result.final_url == URL
    sent = rsps.calls[0].request.headers
    assert sent["User-Agent"] == USER_AGENT
    assert "If-None-Match" not in sent and "If-Modified-Since" not in sent


def test_conditional_get_and_304(rsps):
    rsps.get(URL, status=304, headers={"ETag": '"v1"'})
    fetcher, _ = make_fetcher()
    result = fetcher.fetch(
        URL, allowed=ALLOWED, validators=Validators('"v1"', "Mon, 02 Mar 2026 09:00:00 GMT")
    )
    assert (result.outcome, result.status, result.body) == ("not_modified", 304, None)
    sent = rsps.calls[0].request.headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 02 Mar 2026 09:00:00 GMT"


def test_304_without_validators_is_an_http_error(rsps):
    rsps.get(URL, status=304)
    fetcher, _ = make_fetcher()
    assert fetcher.fetch(URL, allowed=ALLOWED).outcome == "http_error"


def test_5xx_is_retried_then_succeeds(rsps):
    rsps.get(URL, status=503, body=b"busy")
    rsps.get(URL, body=PAGE, content_type="text/html")
    fetcher, _ = make_fetcher(retries=2)
    result = fetcher.fetch(URL, allowed=ALLOWED)
    assert result.outcome == "ok" and len(rsps.calls) == 2


def test_persistent_5xx_gives_up_after_the_retries(rsps):
    rsps.get(URL, status=502, body=b"bad gateway")
    fetcher, _ = make_fetcher(retries=2)
    result = fetcher.fetch(URL, allowed=ALLOWED)
    assert (result.outcome, result.status, result.error) == ("http_error", 502, "HTTP 502")
    assert len(rsps.calls) == 3  # one try and two retries


def test_404_is_not_retried(rsps):
    rsps.get(URL, status=404, body=b"missing")
    fetcher, _ = make_fetcher(retries=3)
    assert fetcher.fetch(URL, allowed=ALLOWED).outcome == "http_error"
    assert len(rsps.calls) == 1


def test_redirects_are_followed_hop_by_hop_within_the_allow_list(rsps):
    rsps.get(URL, status=301, headers={"Location": "https://agency.gov/reports/"})
    rsps.get("https://agency.gov/reports/", status=302, headers={"Location": "/reports/index.html"})
    rsps.get("https://agency.gov/reports/index.html", body=PAGE, content_type="text/html")
    fetcher, _ = make_fetcher()
    result = fetcher.fetch(URL, allowed=ALLOWED)
    assert result.outcome == "ok" and result.final_url == "https://agency.gov/reports/index.html"
    assert result.redirects == [
        "https://agency.gov/reports/",
        "https://agency.gov/reports/index.html",
    ]


def test_redirect_off_the_allow_list_is_not_followed(rsps):
    rsps.get(URL, status=302, headers={"Location": "https://tracker.example.com/r"})
    fetcher, _ = make_fetcher()
    result = fetcher.fetch(URL, allowed=ALLOWED)
    assert result.outcome == "http_error" and "tracker.example.com" in result.error
    assert len(rsps.calls) == 1  # never requested


def test_redirect_to_an_unblock_host_is_blocked_even_under_an_allowed_domain(rsps):
    rsps.get(URL, status=302, headers={"Location": "https://unblock.agency.gov/?u=%2Freports"})
    fetcher, _ = make_fetcher()
    result = fetcher.fetch(URL, allowed=ALLOWED)
    assert result.outcome == "blocked" and "unblock.agency.gov" in result.error
    assert len(rsps.calls) == 1


def test_redirect_loops_and_chains_end(rsps):
    rsps.get(URL, status=302, headers={"Location": "https://www.agency.gov/a"})
    rsps.get("https://www.agency.gov/a", status=302, headers={"Location": URL})
    fetcher, _ = make_fetcher()
    assert "loop" in fetcher.fetch(URL, allowed=ALLOWED).error
    for i in range(4):  # c0 -> c1 -> c2 -> c3 -> (c4 is never requested)
        rsps.get(
            f"https://www.agency.gov/c{i}",
            status=302,
            headers={"Location": f"https://www.agency.gov/c{i + 1}"},
        )
    short, _ = make_fetcher(max_redirects=3)
    result = short.fetch("https://www.agency.gov/c0", allowed=ALLOWED)
    assert result.outcome == "http_error" and "more than 3 redirects" in result.error


def test_non_http_redirect_is_refused(rsps):
    rsps.get(URL, status=302, headers={"Location": "ftp://www.agency.gov/r"})
    fetcher, _ = make_fetcher()
    assert fetcher.fetch(URL, allowed=ALLOWED).outcome == "http_error"


def test_declared_length_over_the_cap_is_too_large_without_reading(rsps):
    rsps.get(URL, body=b"x" * 5000, content_type="text/html", headers={"Content-Length": "5000"})
    fetcher, _ = make_fetcher(max_bytes=1000)
    result = fetcher.fetch(URL, allowed=ALLOWED)
    assert result.outcome == "too_large" and result.body is None and result.bytes_read == 0


def test_wrong_content_type(rsps):
    rsps.get(
        "https://www.agency.gov/r.pdf",
        body=b"<html><body>Moved</body></html>",
        content_type="text/html",
    )
    fetcher, _ = make_fetcher()
    result = fetcher.fetch("https://www.agency.gov/r.pdf", allowed=ALLOWED)
    assert result.outcome == "wrong_type" and result.body is None


def test_connection_error_is_a_network_error(rsps):
    rsps.get(URL, body=requests.exceptions.ConnectionError("Connection refused"))
    fetcher, _ = make_fetcher()
    result = fetcher.fetch(URL, allowed=ALLOWED)
    assert result.outcome == "network_error" and "refused" in result.error


def test_error_texts_never_carry_secrets(rsps):
    url = "https://api.agency.gov/v1/packages?api_key=SEKRET123&offset=0"
    rsps.get(
        re.compile(r"https://api\.agency\.gov/.*"),
        body=requests.exceptions.ConnectionError(f"failed for {url} token hunter2"),
    )
    fetcher, _ = make_fetcher(secrets=("hunter2",))
    result = fetcher.fetch(url, allowed=ALLOWED)
    assert result.outcome == "network_error"
    assert "SEKRET123" not in result.error and "hunter2" not in result.error
    assert "api_key=***" in result.error


def test_tls_verification_is_always_requested(rsps):
    seen = []

    class Recording(requests.Session):
        def request(self, method, url, **kwargs):
            seen.append(kwargs.get("verify"))
            return super().request(method, url, **kwargs)

    rsps.get(URL, body=PAGE, content_type="text/html")
    session = Recording()
    session.verify = False  # even a session configured not to verify is overridden
    fetcher = Fetcher(HttpConfig(user_agent=USER_AGENT, host_min_interval=0), session=session)
    assert fetcher.fetch(URL, allowed=ALLOWED).outcome == "ok"
    assert seen == [True]


def test_rewrite_requests_the_mirror_and_allows_its_host(rsps):
    base = "http://127.0.0.1:8080"
    rsps.get(
        f"{base}/www.agency.gov/reports?x=1",
        status=302,
        headers={"Location": f"{base}/www.agency.gov/reports/"},
    )
    rsps.get(f"{base}/www.agency.gov/reports/", body=PAGE, content_type="text/html")
    fetcher, _ = make_fetcher(rewrite=mirror_rewrite(base + "/"))
    result = fetcher.fetch("https://WWW.agency.gov/reports?x=1", allowed=ALLOWED)
    assert result.outcome == "ok"
    assert result.requested_url == f"{base}/www.agency.gov/reports?x=1"
    assert result.url == "https://WWW.agency.gov/reports?x=1"


def test_host_throttle_waits_only_for_the_same_host():
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    throttle = HostThrottle(2.0, lambda: now[0], sleep)
    throttle.wait("a.gov")
    throttle.done("a.gov")
    now[0] += 0.5
    throttle.wait("b.gov")  # another host: no wait
    throttle.wait("a.gov")
    assert slept == [1.5]
    throttle.done("a.gov")
    now[0] += 5
    throttle.wait("a.gov")
    assert slept == [1.5]


def test_fetcher_spaces_requests_to_one_host(rsps):
    rsps.get(URL, body=PAGE, content_type="text/html")
    rsps.get("https://www.other.gov/x", body=PAGE, content_type="text/html")
    slept = []
    fetcher = Fetcher(
        HttpConfig(user_agent=USER_AGENT, host_min_interval=3.0),
        clock=lambda: 50.0,
        sleep=slept.append,
    )
    fetcher.fetch(URL, allowed=ALLOWED)
    fetcher.fetch("https://www.other.gov/x", allowed=("other.gov",))
    fetcher.fetch(URL, allowed=ALLOWED)
    assert slept == [3.0]


def test_from_settings_reads_the_monitor_settings(monitor_env, monkeypatch):
    from monitor.config import load_settings

    monkeypatch.setenv("MONITOR_CONTACT", "policy-team@example.org")
    monkeypatch.setenv("MONITOR_HTTP_MAX_BYTES", "1234")
    monkeypatch.setenv("MONITOR_HOST_MIN_INTERVAL", "0.25")
    monkeypatch.setenv("MONITOR_SLACK_TOKEN", "xoxb-secret")
    fetcher = Fetcher.from_settings(load_settings())
    assert "policy-team@example.org" in fetcher.session.headers["User-Agent"]
    assert (fetcher.config.max_bytes, fetcher.config.host_min_interval) == (1234, 0.25)
    assert fetcher.redact("token xoxb-secret") == "token ***"


def test_the_retry_policy_overrides_only_urllib3s_public_methods():
    """urllib3 is bounded to one major version, and PoliteRetry hooks only its public API."""
    from scrapers.fetch.http import PoliteRetry

    private = [n for n in vars(PoliteRetry) if n.startswith("_") and not n.startswith("__")]
    assert private == []
    assert {"new", "increment", "sleep"} <= set(vars(PoliteRetry))
