"""Hostile HTTP behaviours met by a poll, on SQLite and PostgreSQL: a real server on 127.0.0.1
(tests/rawsite.py) answers with exactly the bytes each case needs - gzip and deflate bombs, a
chunked body that never ends or is cut off, a Content-Length that lies, a connection closed
without an answer, redirect loops and endless chains, soft 404s, a listing that suddenly lists
nothing, a report that vanishes from the listing and returns, an over-long header. Each case
first polls a good site (a listing and two reports), then the site turns hostile; the poll must
end with the typed outcome, the source's health must say so, and nothing stored before may be
lost or changed (tests/hostile_kit.py)."""

from __future__ import annotations

import gzip
import socket
import zlib
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import pytest
from sqlalchemy import select

import hostile_kit as kit
from fetch_fakes import LISTING, R1, R2, listing_html, make_fetcher, pdf, registered
from monitor.fetching import new_cycle, poll_source
from monitor.models import FetchRun, Report, Snapshot
from rawsite import RawSite, response
from scrapers.fetch.http import mirror_rewrite

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
T1 = T0 + timedelta(days=1)
T8 = T0 + timedelta(days=8)  # the reports are due for a recheck
CAP = 100_000  # the fetcher's size cap in these tests
PATH = {url: "/" + url.split("://", 1)[1] for url in (LISTING, R1, R2)}


@pytest.fixture
def site():
    raw = RawSite()
    raw.route(PATH[LISTING], response(listing_html(R1, R2)))
    raw.route(PATH[R1], response(pdf("Report one", 7), content_type="application/pdf"))
    raw.route(PATH[R2], response(pdf("Report two", 9), content_type="application/pdf"))
    yield raw
    raw.close()


def poll(session, archive, site, now):
    fetcher, _ = make_fetcher(rewrite=mirror_rewrite(site.base), max_bytes=CAP)
    result = poll_source(session, archive, fetcher, registered(), now=now, cycle=new_cycle(now))
    session.flush()
    return result


@pytest.fixture
def stored(session, archive, site):
    first = poll(session, archive, site, T0)
    assert [r.outcome for r in first.runs] == ["ok", "ok", "ok"]
    session.commit()
    return kit.everything(session, archive)


def outcomes(result) -> dict[str, str]:
    return {r.url: r.outcome for r in result.runs}


def error_of(result, url: str) -> str:
    return next(r.error for r in result.runs if r.url == url) or ""


def assert_nothing_lost(session, archive, before, **allowed):
    after = kit.everything(session, archive)
    assert kit.lost_or_changed(before, after, allowed) == []
    return after


@lru_cache(maxsize=None)
def bomb(encoding: str, inflated: int = 64 * 1024 * 1024) -> bytes:
    """``inflated`` bytes of blanks squeezed with ``encoding``: ~64 KiB on the wire, 64 MiB
    once decoded (a thousandfold; the cap is 100 kB)."""
    plain = b" " * inflated
    if encoding == "gzip":
        return gzip.compress(plain, 9)
    if encoding == "deflate":
        return zlib.compress(plain, 9)
    raise ValueError(encoding)


def endless_chunks(conn: socket.socket, limit: int = 2000) -> None:
    """A chunked body that never ends (bounded here at 2000 x 64 KiB; the client hangs up
    long before)."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n"
    )
    chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>"
    for _ in range(limit):
        conn.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")


def cut_chunks(conn: socket.socket) -> None:
    """A chunked body that stops mid-chunk and closes: no terminating zero-length chunk."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + b"400\r\n<html><body>" + b"y" * 100
    )


def silence(conn: socket.socket) -> None:
    """The connection is accepted and closed without a byte of answer."""


# name -> (answer for the listing, outcome, words of the error)
HOSTILE_LISTINGS = {
    "gzip_bomb": (
        response(bomb("gzip"), headers={"Content-Encoding": "gzip"}),
        "too_large",
        "exceeds the cap",
    ),
    "deflate_bomb": (
        response(bomb("deflate"), headers={"Content-Encoding": "deflate"}),
        "too_large",
        "exceeds the cap",
    ),
    "gzip_bomb_twice_encoded": (
        response(gzip.compress(bomb("gzip")), headers={"Content-Encoding": "gzip, gzip"}),
        "too_large",
        "exceeds the cap",
    ),
    "gzip_declared_but_plain": (
        response(listing_html(R1, R2), headers={"Content-Encoding": "gzip"}),
        "network_error",
        "connection broke while reading",
    ),
    "endless_chunked_body": (endless_chunks, "too_large", "exceeds the cap"),
    "chunked_body_cut_off": (cut_chunks, "network_error", "connection broke while reading"),
    "content_length_lies": (
        response(listing_html(R1, R2), length=50_000),
        "network_error",
        "connection broke while reading",
    ),
    "closed_without_an_answer": (silence, "network_error", ""),
    "empty_200": (response(b""), "empty", ""),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_LISTINGS))
def test_hostile_listing_answer_is_typed_and_loses_nothing(case, session, archive, site, stored):
    answer, expected, words = HOSTILE_LISTINGS[case]
    site.route(PATH[LISTING], answer)
    result = poll(session, archive, site, T1)
    assert outcomes(result) == {LISTING: expected}
    assert words in error_of(result, LISTING)
    assert result.failed and result.health_after == "failing"
    if expected == "too_large":
        run = session.get(FetchRun, result.runs[0].run_id)
        assert run.bytes <= CAP + 64 * 1024 * 4  # read stopped near the cap, not at 64 MiB
    assert_nothing_lost(session, archive, stored)
    assert site.hits[PATH[R1]] == 1  # no report was fetched behind a failed listing


@pytest.mark.parametrize(
    "answer,expected",
    [
        (
            response(
                bomb("gzip"), content_type="application/pdf", headers={"Content-Encoding": "gzip"}
            ),
            "too_large",
        ),
        (endless_chunks, "too_large"),
        (
            response(pdf("Report one", 7), content_type="application/pdf", length=9_999),
            "network_error",
        ),
    ],
    ids=["gzip_bomb", "endless_chunked_body", "content_length_lies"],
)
def test_hostile_report_answer_keeps_the_report_and_its_figures(
    answer, expected, session, archive, site, stored
):
    site.route(PATH[R1], answer)
    result = poll(session, archive, site, T8)
    assert outcomes(result) == {LISTING: "unchanged", R1: expected, R2: "unchanged"}
    # the listing was read: the poll succeeds, and the report alone records the failed fetch
    assert not result.failed and result.health_after == "healthy"
    report = session.scalars(select(Report).where(Report.url == R1)).one()
    assert (report.fetch_state, report.fetch_failures) == ("failing", 1)
    assert report.last_fetch_error.startswith(expected)
    # a listing re-read moves its reports' last_seen, a failed fetch its report's fetch state;
    # nothing else may move
    assert_nothing_lost(
        session,
        archive,
        stored,
        reports={"last_seen", "fetch_state", "fetch_failures", "last_fetch_error", "last_fetch_at"},
        report_listings={"last_seen"},
    )


def chain(site: RawSite, path: str, target: str, status: str = "302 Found") -> None:
    site.route(path, response(b"", status, None, {"Location": target}))


def test_a_redirect_loop_is_an_http_error(session, archive, site, stored):
    chain(site, PATH[LISTING], site.base + "/www.agency.gov/elsewhere")
    chain(site, "/www.agency.gov/elsewhere", site.base + PATH[LISTING], "301 Moved Permanently")
    result = poll(session, archive, site, T1)
    assert outcomes(result) == {LISTING: "http_error"}
    assert "redirect loop" in error_of(result, LISTING)
    assert site.hits[PATH[LISTING]] == 2 and site.hits["/www.agency.gov/elsewhere"] == 1
    assert_nothing_lost(session, archive, stored)


def test_a_page_redirecting_to_itself_is_an_http_error(session, archive, site, stored):
    chain(site, PATH[LISTING], PATH[LISTING])  # a relative Location: the same URL
    result = poll(session, archive, site, T1)
    assert outcomes(result) == {LISTING: "http_error"}
    assert "redirect loop" in error_of(result, LISTING)
    assert_nothing_lost(session, archive, stored)


def test_an_endless_redirect_chain_is_cut_after_ten_hops(session, archive, site, stored):
    chain(site, PATH[LISTING], "/www.agency.gov/hop?n=1")
    for n in range(1, 40):
        chain(site, f"/www.agency.gov/hop?n={n}", f"/www.agency.gov/hop?n={n + 1}")
    result = poll(session, archive, site, T1)
    assert outcomes(result) == {LISTING: "http_error"}
    assert "more than 10 redirects" in error_of(result, LISTING)
    assert sum(n for p, n in site.hits.items() if "hop" in p) == 10  # never followed further
    assert_nothing_lost(session, archive, stored)


@pytest.mark.parametrize(
    "location,words",
    [
        ("//evil.example.com/reports", "does not allow: evil.example.com"),
        ("javascript:alert(1)", "not an http(s) URL"),
        ("https://unblock.agency.gov/captcha", "denial host"),
    ],
    ids=["protocol_relative_off_site", "javascript_scheme", "unblock_host"],
)
def test_a_redirect_off_site_or_out_of_http_is_refused_before_any_request(
    location, words, session, archive, site, stored
):
    chain(site, PATH[LISTING], location)
    result = poll(session, archive, site, T1)
    assert outcomes(result)[LISTING] in ("http_error", "blocked")
    assert words in error_of(result, LISTING)
    assert_nothing_lost(session, archive, stored)


SOFT_404 = (
    b"<!DOCTYPE html><html><head><title>Page Not Found | Agency</title></head><body>"
    b"<h1>Page Not Found</h1><p>The page you requested may have moved.</p></body></html>"
)


@pytest.mark.parametrize(
    "answers,expected",
    [
        ({PATH[R1]: response(SOFT_404)}, "http_error"),
        (
            {
                PATH[R1]: response(
                    b"", "302 Found", None, {"Location": "/www.agency.gov/page-not-found"}
                ),
                "/www.agency.gov/page-not-found": response(b"<html><body>Sorry.</body></html>"),
            },
            "http_error",
        ),
        ({PATH[R1]: response(b"gone", "410 Gone", "text/plain")}, "http_error"),
    ],
    ids=["200_not_found_page", "redirect_to_a_not_found_path", "410_gone"],
)
def test_a_report_that_is_gone_or_soft_404_is_not_removed(
    answers, expected, session, archive, site, stored
):
    for path, answer in answers.items():
        site.route(path, answer)
    result = poll(session, archive, site, T8)
    assert outcomes(result)[R1] == expected
    report = session.scalar(select(Report).where(Report.url == R1))
    assert report.removed_at is None  # a failed fetch is no evidence that it was withdrawn
    assert_nothing_lost(
        session,
        archive,
        stored,
        reports={"last_seen", "fetch_state", "fetch_failures", "last_fetch_error", "last_fetch_at"},
        report_listings={"last_seen"},
    )


def test_a_listing_that_suddenly_lists_nothing_removes_nothing(session, archive, site, stored):
    site.route(PATH[LISTING], response(listing_html()))  # the page, without one report link
    result = poll(session, archive, site, T1)
    assert outcomes(result) == {LISTING: "empty"}
    assert result.failed and result.health_after == "failing"
    assert [r.removed_at for r in session.scalars(select(Report))] == [None, None]
    assert_nothing_lost(session, archive, stored)


def test_a_report_that_vanishes_and_returns_is_the_same_report(session, archive, site, stored):
    site.route(PATH[LISTING], response(listing_html(R1)))
    gone = poll(session, archive, site, T1)
    assert outcomes(gone) == {LISTING: "ok"} and gone.runs[0].removed_reports == [R2]
    site.route(PATH[LISTING], response(listing_html(R1, R2)))
    back = poll(session, archive, site, T1 + timedelta(days=1))
    assert outcomes(back)[LISTING] == "ok" and back.runs[0].new_reports == []
    session.expire_all()
    reports = {r.url: r for r in session.scalars(select(Report))}
    assert reports[R2].removed_at is None
    assert_nothing_lost(
        session, archive, stored, reports={"last_seen"}, report_listings={"last_seen"}
    )


def test_one_report_under_two_urls_is_archived_once(session, archive, site, stored):
    twin = R1.replace("r1.pdf", "r1-copy.pdf")
    site.route(PATH[LISTING], response(listing_html(R1, R2, twin)))
    site.route(
        "/" + twin.split("://", 1)[1],
        response(pdf("Report one", 7), content_type="application/pdf"),
    )
    result = poll(session, archive, site, T1)
    assert outcomes(result) == {LISTING: "ok", twin: "ok"}
    after = assert_nothing_lost(
        session, archive, stored, reports={"last_seen"}, report_listings={"last_seen"}
    )
    new = {f for f in after["archive files"] if f.startswith("objects/")} - set(
        stored["archive files"]
    )
    assert [f.rsplit("/", 1)[1] for f in new] == [result.runs[0].sha256]  # only the new listing
    first = session.scalar(select(Snapshot.sha256).where(Snapshot.url == R1))
    assert result.runs[1].sha256 == first  # the twin is the same bytes, archived once


def test_an_over_long_content_type_is_stored_without_a_database_error(
    session, archive, site, stored
):
    long_type = "text/html; charset=utf-8; " + "; ".join(f"x-param-{i}=v" for i in range(40))
    site.route(
        PATH[LISTING], response(listing_html(R1, R2) + b"<!-- new -->", content_type=long_type)
    )
    result = poll(session, archive, site, T1)
    session.commit()  # PostgreSQL enforces column widths at write time
    assert outcomes(result) == {LISTING: "ok"}
    snapshot = session.get(Snapshot, result.runs[0].snapshot_id)
    assert snapshot.content_type == "text/html; charset=utf-8"  # what reading it needs
    assert snapshot.headers["content-type"] == long_type  # the header itself, whole
    assert_nothing_lost(
        session, archive, stored, reports={"last_seen"}, report_listings={"last_seen"}
    )
