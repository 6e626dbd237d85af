"""The classifier tells a document from a page standing in for it, and does not cry wolf at a
genuine page that merely quotes a denial or not-found phrase."""

from __future__ import annotations

import pytest

from fetch_fakes import AKAMAI, CLOUDFLARE, F5, INCAPSULA, PARDON, RATE_PAGE, SOFT_404
from scrapers.fetch import response_check

HTML = {"content-type": "text/html"}
REPORT_PAGE = (
    "<html><head><title>Report to Congress on Separated Children - May 2019</title>"
    "</head><body><h1>Report to Congress on Separated Children</h1>"
    + "<p>The Secretary shall report the number of children separated. "
    * 60
    + "Access denied to counsel and too many requests for records were cited; the "
    "page not found in the 2018 archive was later restored.</p></body></html>"
).encode()


def verdict(
    body,
    status=200,
    headers=HTML,
    url="https://www.agency.gov/reports",
    allowed=("text/html", "application/pdf"),
):
    return response_check.classify_response(
        status, headers, body, url=url, final_url=url, allowed_types=allowed
    )


@pytest.mark.parametrize(
    "body,status,vendor",
    [
        (AKAMAI, 200, "Akamai"),
        (AKAMAI, 403, "Akamai"),
        (CLOUDFLARE, 403, "Cloudflare"),
        (F5, 200, "F5"),
        (INCAPSULA, 200, "Incapsula"),
        (PARDON, 200, "Imperva"),
        (RATE_PAGE, 200, "rate-limit"),
        (b"<html><title>Just a moment...</title></html>", 503, "denial"),
    ],
)
def test_denial_and_rate_limit_pages_are_blocked(body, status, vendor):
    found = verdict(body, status)
    assert (
        found.outcome == "blocked" and vendor in found.reason and f"HTTP {status}" in found.reason
    )


def test_status_429_and_challenge_headers_are_blocked_whatever_the_body():
    assert verdict(b"", 429).outcome == "blocked"
    assert verdict(b"<html>hi</html>", 403, {"cf-mitigated": "challenge"}).outcome == "blocked"
    assert response_check.denial(405, {"x-amzn-waf-action": "captcha"}, b"").outcome == "blocked"


def test_a_genuine_report_quoting_the_phrases_is_not_flagged():
    assert len(response_check.page_head(REPORT_PAGE).text) > response_check.SHORT_TEXT
    assert verdict(REPORT_PAGE) is None


@pytest.mark.parametrize(
    "title",
    [
        "Page Not Found | HHS.gov",
        "404 - File or directory not found.",
        "Sorry, we can't find that page",
        "Not Found",
        "This page no longer exists",
    ],
)
def test_soft_404_pages_are_http_errors(title):
    body = f"<html><head><title>{title}</title></head><body><p>Try the home page.</p></body></html>"
    found = verdict(body.encode())
    assert found.outcome == "http_error" and "soft 404" in found.reason


def test_soft_404_by_redirect_target_and_real_404_status():
    found = response_check.classify_response(
        200,
        HTML,
        b"<html><body>Home</body></html>",
        url="https://www.agency.gov/r",
        final_url="https://www.agency.gov/404.html",
        allowed_types=("text/html",),
    )
    assert found.outcome == "http_error"
    assert verdict(SOFT_404, 404).reason == "HTTP 404"


def test_pdf_link_returning_html_is_wrong_type_but_a_pdf_in_disguise_is_fine():
    url = "https://www.agency.gov/files/r.pdf"
    found = verdict(b"<!DOCTYPE html><html><body>Log in</body></html>", url=url)
    assert found.outcome == "wrong_type" and "got text/html" in found.reason
    declared_html = verdict(b"%PDF-1.7\n...", headers={"content-type": "text/html"}, url=url)
    assert declared_html is None  # the bytes are a PDF whatever the header says
    lying = verdict(
        b"<html><body>x</body></html>", headers={"content-type": "application/pdf"}, url=url
    )
    assert lying.outcome == "wrong_type" and "declared application/pdf" in lying.reason


def test_types_outside_the_source_declaration_are_wrong_type():
    assert verdict(b"a,b\n1,2\n", headers={"content-type": "text/csv"}).outcome == "wrong_type"
    assert (
        verdict(b"a,b\n1,2\n", headers={"content-type": "text/csv"}, allowed=("text/csv",)) is None
    )


def test_a_pdf_body_is_never_read_as_a_denial_page():
    assert response_check.denial(200, {}, b"%PDF-1.4 Access Denied Too Many Requests") is None


@pytest.mark.parametrize(
    "location,blocked",
    [
        ("https://unblock.agency.gov/?u=x", True),
        ("https://www.agency.gov/captcha?return=/reports", True),
        ("https://www.agency.gov/blocked.html", True),
        ("https://validate.perfdrive.com/?ssa=1", True),
        ("https://geo.captcha-delivery.com/captcha/?initialCid=x", True),
        ("https://www.agency.gov/reports/blocked-grants-2021.pdf", False),
        ("https://www.agency.gov/files/2022-10/report.pdf", False),
    ],
)
def test_redirects_to_unblock_style_hosts_are_denials(location, blocked):
    assert (response_check.blocked_redirect(location) is not None) is blocked


def test_sniffing():
    assert (
        response_check.sniffed_type("application/octet-stream", b"  %PDF-1.4") == "application/pdf"
    )
    assert response_check.sniffed_type(None, b"<!doctype html><html>") == "text/html"
    assert (
        response_check.sniffed_type("application/xhtml+xml; charset=utf-8", b"<?xml") == "text/html"
    )
    assert response_check.sniffed_type("application/json", b"{}") == "application/json"
