"""The one document path (both databases): a body is read with no database, so a worker thread
can read it; the store step takes that reading as it is, without parsing again; and one rule
decides what a document is, hence the shape it is judged by."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from fetch_fakes import LISTING, R1, R2, SOURCE, Site, good_site, make_fetcher, parse
from monitor.fetching import Poll, new_cycle
from monitor.document_path import take_in
from monitor.listing_seen import report_last_seen
from monitor.models import FetchRun, Report
from monitor.reading import is_listing, read_document
from scrapers.records import Link, ParseResult, ReportRecord
from scrapers.registry import RegisteredSource
from scrapers.source import Source

T0 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
LIST = "https://e.gov/list?api_key=SECRET"
SRC = Source(id="fake", agency="HHS", title="Fake", start_urls=(LIST,), allowed_hosts=("e.gov",))


class Counted:
    """A parser that counts its calls."""

    def __init__(self, parser) -> None:
        self.parser, self.calls = parser, 0

    def __call__(self, doc):
        self.calls += 1
        return self.parser(doc)


def _links(doc):
    return ParseResult("1", links=[Link(u) for u in doc.body.decode().split()])


def test_one_rule_says_what_a_document_is():
    report = ParseResult("1", reports=[ReportRecord(title="r", url="https://e.gov/r.pdf")])
    links = ParseResult("1", links=[Link("https://e.gov/r.pdf")])
    assert is_listing(SRC, LIST)
    assert is_listing(SRC, "https://e.gov/list?api_key=OTHER")  # compared as stored, redacted
    assert not is_listing(SRC, "https://e.gov/r.pdf")
    assert not is_listing(SRC, LIST, declared=False)  # the caller's word wins
    assert is_listing(SRC, "https://e.gov/r.pdf", declared=True)
    # only a caller that stores nothing lets the document say it
    assert is_listing(SRC, "file:///tmp/x.html", result=links)
    assert not is_listing(SRC, "file:///tmp/x.html", result=report)
    assert is_listing(SRC, LIST, result=report)  # a start URL is a listing whatever it holds


def test_a_reading_made_elsewhere_is_stored_without_parsing_again(session, archive):
    parser = Counted(_links)
    reg = RegisteredSource(SRC, parser)
    body = b"https://e.gov/a https://e.gov/b"
    reading = read_document(
        reg, body, url=LIST, content_type="text/plain", listing=True, fetched=T0.date()
    )
    assert (parser.calls, reading.outcome, reading.listing) == (1, "ok", True)
    intake = take_in(session, archive, reg, url=LIST, body=body, fetched_at=T0, reading=reading)
    assert parser.calls == 1 and intake.listing and intake.result is reading.result
    assert sorted(r.url for r in intake.new_reports) == ["https://e.gov/a", "https://e.gov/b"]


def test_a_reading_for_another_day_or_shape_is_read_again(session, archive):
    parser = Counted(_links)
    reg = RegisteredSource(SRC, parser)
    body = b"https://e.gov/a"
    stale = read_document(
        reg,
        body,
        url=LIST,
        content_type=None,
        listing=True,
        fetched=(T0 - timedelta(days=2)).date(),
    )
    take_in(session, archive, reg, url=LIST, body=body, fetched_at=T0, reading=stale)
    assert parser.calls == 2  # judged against the day of the snapshot it is stored with


@pytest.fixture
def site():
    import responses

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield Site(rsps)


def test_a_request_obtained_in_a_worker_thread_is_stored_like_a_fetch(session, archive, site):
    """prepare (writer, DB) -> obtain (worker: HTTP and parse, no DB) -> record (writer, DB)
    gives what one fetch gives, and a 304 is not parsed in the worker."""
    good_site(site)
    parser = Counted(parse)
    reg = RegisteredSource(SOURCE, parser)
    fetcher, _ = make_fetcher()
    poll = Poll(session, archive, fetcher, reg, T0, new_cycle(T0), None, None)
    prepared = poll.prepare(LISTING, listing=True)
    with ThreadPoolExecutor(1) as pool:
        obtained = pool.submit(poll.obtain, prepared, read=True).result()
    assert obtained.reading is not None and parser.calls == 1
    summary, intake = poll.record(obtained)
    assert parser.calls == 1  # not parsed again by the writer
    assert (summary.outcome, summary.new_reports) == ("ok", [R1, R2])
    assert session.scalar(select(FetchRun.outcome).where(FetchRun.id == summary.run_id)) == "ok"

    later = Poll(session, archive, fetcher, reg, T0 + timedelta(days=1), new_cycle(T0), None, None)
    prepared = later.prepare(LISTING, listing=True)
    assert prepared.validators is not None
    with ThreadPoolExecutor(1) as pool:
        obtained = pool.submit(later.obtain, prepared, read=True).result()
    assert obtained.result.outcome == "not_modified" and obtained.reading is None
    summary, _intake = later.record(obtained)
    assert summary.outcome == "not_modified" and parser.calls == 1
    seen = session.scalar(select(report_last_seen()).where(Report.url == R1))
    assert seen == T0 + timedelta(days=1)


def _many_counts(doc):
    """A report whose cells leave different columns empty, as real tables do: some with a
    period, some on a page, some cross-tabulated; and statements with and without a quote."""
    from datetime import date

    from scrapers.records import CountRecord, StatementRecord

    n = int(doc.body.decode().split()[-1])
    counts = [
        CountRecord(
            0,
            "separations",
            "cause",
            f"cause_{k}",
            f"Cause {k}",
            k,
            period_start=date(2025, 1, 1) if k % 3 == 0 else None,
            period_end=date(2025, 1, 31) if k % 3 == 0 else None,
            page=k % 4 or None,
            dimension2="age_group" if k % 5 == 0 else None,
            category2="0_5" if k % 5 == 0 else None,
            label2="0-5" if k % 5 == 0 else None,
        )
        for k in range(n)
    ]
    statements = [
        StatementRecord(
            0,
            f"key_{k}",
            "stated" if k % 2 else "not_stated",
            value=1.0 if k % 2 else None,
            quote="q" if k % 2 else None,
            page=k % 3 or None,
        )
        for k in range(n // 4)
    ]
    return ParseResult(
        "1", reports=[ReportRecord(title="r", url=doc.url)], counts=counts, statements=statements
    )


@pytest.mark.parametrize("n", [8, 48])
def test_a_reports_counts_and_statements_cost_two_statements_whatever_they_leave_empty(
    session, archive, n
):
    """However many cells, and whichever columns each leaves empty, a report's counts go in as
    one executemany and its statements as another (the ORM made one INSERT per run of rows
    setting the same columns), each row as its record says."""
    from sqlalchemy import event

    from monitor.models import CountObservation, Statement

    reg = RegisteredSource(SRC, _many_counts)
    url = f"https://e.gov/report-{n}.pdf"
    inserts: list[str] = []

    def seen(_conn, _cursor, statement, *_rest) -> None:
        if statement.startswith(("INSERT INTO count_observations", "INSERT INTO statements")):
            inserts.append(statement.split()[2])

    event.listen(session.bind, "before_cursor_execute", seen)
    try:
        take_in(
            session,
            archive,
            reg,
            url=url,
            body=f"COUNTS {n}".encode(),
            fetched_at=T0,
            content_type="text/plain",
            is_listing=False,
        )
    finally:
        event.remove(session.bind, "before_cursor_execute", seen)
    assert inserts == ["count_observations", "statements"]
    rows = session.scalars(select(CountObservation).order_by(CountObservation.value)).all()
    expected = _many_counts(type("D", (), {"body": f"COUNTS {n}".encode(), "url": url})())
    assert [
        (r.category, r.period_start, r.page, r.dimension2, r.category2, r.label2) for r in rows
    ] == [
        (c.category, c.period_start, c.page, c.dimension2, c.category2, c.label2)
        for c in expected.counts
    ]
    kept = session.scalars(select(Statement).order_by(Statement.key)).all()
    assert [(s.key, s.value, s.quote, s.page) for s in kept] == sorted(
        (s.key, s.value, s.quote, s.page) for s in expected.statements
    )
