"""The shared intake path: a parser that raises is a parse_error, a listing page records its
links, and taking in the same body twice stores nothing new."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from monitor.document_path import take_in
from monitor.listing_seen import report_last_seen
from monitor.models import Parse, ParseProblem, Report
from scrapers.records import Link, ParseResult, ReportRecord
from scrapers.registry import RegisteredSource
from scrapers.source import Source

T0 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
SRC = Source(
    id="fake",
    agency="HHS",
    title="Fake",
    start_urls=("https://e.gov/list",),
    allowed_hosts=("e.gov",),
)


def _listing_parser(doc):
    urls = doc.body.decode().split()
    return ParseResult("1", links=[Link(u) for u in urls])


def test_listing_links_become_reports_and_repeat_is_a_no_op(session, archive):
    reg = RegisteredSource(SRC, _listing_parser)
    first = take_in(
        session,
        archive,
        reg,
        url="https://e.gov/list",
        body=b"https://e.gov/a",
        fetched_at=T0,
        is_listing=True,
    )
    assert first.outcome == "ok" and first.snapshot_new
    assert [r.url for r in first.new_reports] == ["https://e.gov/a"]
    again = take_in(
        session,
        archive,
        reg,
        url="https://e.gov/list",
        body=b"https://e.gov/a",
        fetched_at=T0 + timedelta(days=1),
        is_listing=True,
    )
    assert not again.snapshot_new and again.result is None and again.new_reports == []
    assert session.scalar(select(report_last_seen())) == T0 + timedelta(days=1)
    assert session.scalar(select(func.count()).select_from(Parse)) == 1


def test_a_parser_that_raises_is_a_parse_error_and_creates_no_report(session, archive):
    def broken(doc):
        raise ZeroDivisionError("bug")

    intake = take_in(
        session,
        archive,
        RegisteredSource(SRC, broken),
        url="https://e.gov/r.pdf",
        body=b"%PDF-1.4",
        fetched_at=T0,
        is_listing=False,
    )
    assert intake.outcome == "parse_error"
    assert session.scalar(select(func.count()).select_from(Report)) == 0
    assert "ZeroDivisionError" in session.scalar(select(ParseProblem.detail))


def test_listing_that_lost_its_layout_does_not_remove_reports(session, archive):
    reg = RegisteredSource(SRC, _listing_parser)
    take_in(
        session,
        archive,
        reg,
        url="https://e.gov/list",
        body=b"https://e.gov/a",
        fetched_at=T0,
        is_listing=True,
    )
    later = take_in(
        session,
        archive,
        reg,
        url="https://e.gov/list",
        body=b"",
        fetched_at=T0 + timedelta(days=1),
        is_listing=True,
    )
    assert later.outcome == "empty"
    assert session.scalar(select(Report.removed_at)) is None


def test_report_document_updates_the_listed_report(session, archive):
    def report_parser(doc):
        return ParseResult("1", reports=[ReportRecord(title="Doc title", url=doc.url)])

    take_in(
        session,
        archive,
        RegisteredSource(SRC, _listing_parser),
        url="https://e.gov/list",
        body=b"https://e.gov/a",
        fetched_at=T0,
        is_listing=True,
    )
    take_in(
        session,
        archive,
        RegisteredSource(SRC, report_parser),
        url="https://e.gov/a",
        body=b"report",
        fetched_at=T0,
        is_listing=False,
    )
    report = session.scalar(select(Report))
    assert report.title == "Doc title" and report.snapshot_id is not None
    assert report.listed_on == "https://e.gov/list"
