"""The storage path: snapshots once per body, parses once per parser version, observations only
ever added, listings mark reports removed (and back)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from monitor.models import CountObservation, Parse, Report, Snapshot, Statement
from monitor.store import ensure_source, record_listing, record_parse, store_snapshot
from scrapers.records import CountRecord, Link, ParseResult, ReportRecord, StatementRecord
from scrapers.source import Source

T0 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
SRC = Source(
    id="test_source",
    agency="HHS",
    title="Test",
    start_urls=("https://e.gov/list",),
    allowed_hosts=("e.gov",),
)


def _result(version="1", value=4):
    return ParseResult(
        version,
        reports=[
            ReportRecord(
                title="May 2021",
                url="https://e.gov/may-2021",
                period_start=date(2021, 5, 1),
                period_end=date(2021, 5, 31),
                authorities=["P.L. 116-94 sec. 235"],
            )
        ],
        counts=[
            CountRecord(0, "separations", "cause", "criminal_history", "criminal history", value)
        ],
        statements=[StatementRecord(0, "foreign_government_basis", "not_stated")],
    )


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_snapshot_and_parse_are_idempotent(session, archive):
    ensure_source(session, SRC, T0)
    snap, new = store_snapshot(
        session,
        archive,
        source_id=SRC.id,
        url="https://e.gov/may-2021",
        body=b"<html>may</html>",
        fetched_at=T0,
        headers={"ETag": '"a"', "Set-Cookie": "secret=1"},
    )
    assert new and snap.headers == {"etag": '"a"'}  # cookies are not kept
    again, new_again = store_snapshot(
        session,
        archive,
        source_id=SRC.id,
        url="https://e.gov/may-2021",
        body=b"<html>may</html>",
        fetched_at=T0 + timedelta(days=1),
    )
    assert again.id == snap.id and not new_again
    stored = record_parse(session, SRC, snap, _result(), "ok", T0)
    assert stored.parse is not None and stored.counts == 1 and len(stored.new_reports) == 1
    assert record_parse(session, SRC, snap, _result(), "ok", T0).parse is None
    assert _count(session, CountObservation) == 1
    assert _count(session, Statement) == 1


def test_reparse_and_revision_add_rows_and_keep_old_ones(session, archive):
    ensure_source(session, SRC, T0)
    snap1, _ = store_snapshot(
        session, archive, source_id=SRC.id, url="https://e.gov/may-2021", body=b"v1", fetched_at=T0
    )
    record_parse(session, SRC, snap1, _result("1", 4), "ok", T0)
    record_parse(session, SRC, snap1, _result("2", 4), "ok", T0 + timedelta(hours=1))  # reparse
    snap2, _ = store_snapshot(
        session,
        archive,
        source_id=SRC.id,
        url="https://e.gov/may-2021",
        body=b"v2",
        fetched_at=T0 + timedelta(days=3),
    )
    record_parse(session, SRC, snap2, _result("2", 5), "ok", T0 + timedelta(days=3))
    rows = session.execute(
        select(
            CountObservation.parser_version, CountObservation.snapshot_id, CountObservation.value
        ).order_by(CountObservation.id)
    ).all()
    assert rows == [("1", snap1.id, 4.0), ("2", snap1.id, 4.0), ("2", snap2.id, 5.0)]
    report = session.scalar(select(Report))
    assert report.snapshot_id == snap2.id
    assert report.first_seen == T0 and report.last_seen == T0 + timedelta(days=3)


def test_unreadable_parse_stores_problems_but_no_numbers(session, archive):
    ensure_source(session, SRC, T0)
    snap, _ = store_snapshot(
        session,
        archive,
        source_id=SRC.id,
        url="https://e.gov/x",
        body=b"%PDF-broken",
        fetched_at=T0,
    )
    from scrapers.records import Problem

    broken = ParseResult("1", problems=[Problem("parse_error", "not a PDF")])
    stored = record_parse(session, SRC, snap, broken, "parse_error", T0)
    assert stored.parse.outcome == "parse_error"
    assert _count(session, Report) == 0 and _count(session, CountObservation) == 0


def test_listing_marks_vanished_reports_removed_and_returning_ones_back(session):
    ensure_source(session, SRC, T0)
    links = [Link("https://e.gov/a", "A"), Link("https://e.gov/b", "B")]
    created, removed = record_listing(session, SRC, "https://e.gov/list", links, T0)
    assert len(created) == 2 and removed == []
    _, removed = record_listing(
        session, SRC, "https://e.gov/list", links[:1], T0 + timedelta(days=1)
    )
    assert [r.url for r in removed] == ["https://e.gov/b"]
    assert removed[0].removed_at == T0 + timedelta(days=1)
    created, removed = record_listing(
        session, SRC, "https://e.gov/list", links, T0 + timedelta(days=2)
    )
    assert created == [] and removed == []
    b = session.scalar(select(Report).where(Report.url == "https://e.gov/b"))
    assert b.removed_at is None and b.first_seen == T0


def test_link_text_does_not_overwrite_the_documents_own_title(session, archive):
    ensure_source(session, SRC, T0)
    snap, _ = store_snapshot(
        session, archive, source_id=SRC.id, url="https://e.gov/may-2021", body=b"v1", fetched_at=T0
    )
    record_parse(session, SRC, snap, _result(), "ok", T0)
    record_listing(
        session,
        SRC,
        "https://e.gov/list",
        [Link("https://e.gov/may-2021", "link text")],
        T0 + timedelta(days=1),
    )
    report = session.scalar(select(Report))
    assert report.title == "May 2021" and report.listed_on == "https://e.gov/list"
    assert _count(session, Parse) == 1 and _count(session, Snapshot) == 1


def test_link_periods_worked_out_where_the_page_was_read_are_those_the_store_works_out(session):
    """A listing read elsewhere (a parse process) hands its links' named periods to the store
    (monitor.reading.link_periods); the store records exactly what it records working them
    out itself, and works them out itself when what it is handed does not fit the links."""
    from dataclasses import replace

    from monitor.reading import link_periods

    links = [
        Link("https://e.gov/reports/july-2022.pdf", "Report for July 2022"),
        Link("https://e.gov/reports/q3.pdf", "Third quarter, FY 2023"),
        Link("https://e.gov/user:pw@x/august-2022", None),
        Link("https://e.gov/reports/misc.pdf", "Annual summary"),
        Link("https://e.gov/reports/july-2022.pdf", "July 2022 (revised)"),
    ]

    def stored(name, periods):
        source = replace(SRC, id=name)
        ensure_source(session, source, T0)
        record_listing(session, source, "https://e.gov/list", links, T0, periods=periods)
        return sorted(
            (r.url, r.title, r.link_period_start, r.link_period_end)
            for r in session.scalars(select(Report).where(Report.source_id == name))
        )

    here = stored("here", None)
    assert any(row[2] is not None for row in here)  # some links name a period
    given = link_periods(links)
    assert stored("given", given) == here
    assert stored("misfit", given[:2]) == here  # not the links': worked out here
