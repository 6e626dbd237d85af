"""A report linked from two listing pages records both (both databases): dropping it from one
page is seen on that page but claims no removal while the other still links it; removal is
claimed once every page that carried it has dropped it, and the evidence names each page."""

from __future__ import annotations

from datetime import date

from dataclasses import replace

from findings_kit import (
    SRC,
    registry,
    OB,
    SETTINGS,
    SRC,
    at,
    health,
    publish,
    run,
)
from sqlalchemy import select

from monitor.fact_gathering import gather_facts
from monitor.findings_sync import evaluate_and_sync
from monitor.models import FindingRow, Report, ReportListing
from monitor.store import ensure_source, record_listing, record_parse, store_snapshot
from rules.engine import evaluate
from scrapers.records import Link, ParseResult

PAGE_A = "https://e.gov/list"
PAGE_B = "https://e.gov/index-of-reports"
JAN = "https://e.gov/jan-2020.pdf"


# `src` with two listing pages
TWO_PAGES = registry(replace(SRC, start_urls=(PAGE_A, PAGE_B)))


def _read(session, archive, page, when, urls):
    """``page`` read at ``when``, linking ``urls`` (through the store, as intake does)."""
    ensure_source(session, SRC, when)
    body = (page + " " + " ".join(urls)).encode()
    snap, _ = store_snapshot(
        session, archive, source_id="src", url=page, body=body, fetched_at=when
    )
    links = [Link(u) for u in urls]
    record_parse(session, SRC, snap, ParseResult("1", links=links), "ok", when)
    created, removed = record_listing(session, SRC, page, links, when)
    run(session, when, url=page, snapshot=snap, listing=True)
    return created, removed


def _pages(session):
    return {(row.listing_url, row.removed_at) for row in session.scalars(select(ReportListing))}


def _removal_findings(session, as_of):
    facts = gather_facts(session, as_of, ["src"], [OB.id], registry=TWO_PAGES)
    return [f for f in evaluate([OB], facts, as_of) if f.kind == "removed"]


def _seed(session, archive, monkeypatch):
    health(session, "healthy", at(2019, 12, 1), at(2019, 12, 1))
    _read(session, archive, PAGE_A, at(2020, 1, 20), [])
    _read(session, archive, PAGE_B, at(2020, 1, 20), [])
    created, _ = _read(session, archive, PAGE_A, at(2020, 2, 1), [JAN])
    assert [r.url for r in created] == [JAN]
    created, _ = _read(session, archive, PAGE_B, at(2020, 2, 1, 13), [JAN])
    assert created == []  # the same report, now on a second page
    publish(
        session,
        archive,
        at(2020, 2, 1, 14),
        JAN,
        (date(2020, 1, 1), date(2020, 1, 31)),
        issued=date(2020, 2, 1),
    )


def test_a_report_on_two_pages_records_both(session, archive, monkeypatch):
    _seed(session, archive, monkeypatch)
    assert _pages(session) == {(PAGE_A, None), (PAGE_B, None)}
    report = session.scalars(select(Report).where(Report.url == JAN)).one()
    assert report.listed_on == PAGE_A  # the page it was first seen on
    facts = gather_facts(session, at(2020, 2, 2), ["src"], [OB.id], registry=TWO_PAGES)
    (fact,) = facts.reports("src", at(2020, 2, 2))
    assert set(fact.listings) == {(PAGE_A, None), (PAGE_B, None)}


def test_one_page_dropping_it_claims_no_removal_both_dropping_it_does(
    session, archive, monkeypatch
):
    _seed(session, archive, monkeypatch)
    _, removed = _read(session, archive, PAGE_A, at(2020, 3, 1), [])
    assert removed == []  # still on page B
    assert _pages(session) == {(PAGE_A, at(2020, 3, 1)), (PAGE_B, None)}  # seen on page A
    assert session.scalar(select(Report.removed_at).where(Report.url == JAN)) is None
    assert _removal_findings(session, at(2020, 3, 2)) == []

    _, removed = _read(session, archive, PAGE_B, at(2020, 3, 5), [])
    assert [r.url for r in removed] == [JAN]
    assert session.scalar(select(Report.removed_at).where(Report.url == JAN)) == at(2020, 3, 5)
    (finding,) = _removal_findings(session, at(2020, 3, 6))
    assert finding.subject == JAN
    assert {p["url"]: p["dropped_at"] for p in finding.evidence["removal"]["listings"]} == {
        PAGE_A: at(2020, 3, 1),
        PAGE_B: at(2020, 3, 5),
    }
    # as of a time between the two drops, nothing was removed yet
    assert _removal_findings(session, at(2020, 3, 3)) == []


def test_removal_from_the_other_page_first_is_detected_too(session, archive, monkeypatch):
    _seed(session, archive, monkeypatch)
    _, removed = _read(session, archive, PAGE_B, at(2020, 3, 1), [])
    assert removed == [] and _pages(session) == {(PAGE_A, None), (PAGE_B, at(2020, 3, 1))}
    _, removed = _read(session, archive, PAGE_A, at(2020, 3, 2), [])
    assert [r.url for r in removed] == [JAN]
    # back on one page: no longer removed, and that page carries it again
    created, _ = _read(session, archive, PAGE_B, at(2020, 3, 9), [JAN])
    assert created == [] and _pages(session) == {(PAGE_A, at(2020, 3, 2)), (PAGE_B, None)}
    assert session.scalar(select(Report.removed_at).where(Report.url == JAN)) is None
    assert _removal_findings(session, at(2020, 3, 10)) == []


def test_the_removal_finding_is_synced_once_every_page_dropped_it(session, archive, monkeypatch):
    _seed(session, archive, monkeypatch)
    _read(session, archive, PAGE_A, at(2020, 3, 1), [])
    evaluate_and_sync(
        session, SETTINGS, at(2020, 3, 2), at(2020, 3, 2), obligations=[OB], registry=TWO_PAGES
    )
    assert session.scalar(select(FindingRow).where(FindingRow.kind == "removed")) is None
    _read(session, archive, PAGE_B, at(2020, 3, 5), [])
    evaluate_and_sync(
        session, SETTINGS, at(2020, 3, 6), at(2020, 3, 6), obligations=[OB], registry=TWO_PAGES
    )
    row = session.scalars(select(FindingRow).where(FindingRow.kind == "removed")).one()
    assert (
        row.subject == JAN and row.evidence["removal"]["removed_at"] == at(2020, 3, 5).isoformat()
    )


def test_lateness_rests_on_a_read_of_every_page_that_lacked_it(session, archive, monkeypatch):
    """A report may have been published on either page: the provable lower bound of its
    publication is the earlier of the two pages' last reads without it."""
    health(session, "healthy", at(2019, 12, 1), at(2019, 12, 1))
    _read(session, archive, PAGE_A, at(2020, 2, 20), [])
    _read(session, archive, PAGE_B, at(2020, 2, 10), [])
    _read(session, archive, PAGE_A, at(2020, 2, 21), [JAN])
    _read(session, archive, PAGE_B, at(2020, 2, 21, 13), [JAN])
    facts = gather_facts(session, at(2020, 3, 1), ["src"], [OB.id], registry=TWO_PAGES)
    (fact,) = facts.reports("src", at(2020, 3, 1))
    assert fact.absent_at == at(2020, 2, 10)  # not page A's 02-20: it may have been on B then


def test_the_migration_gives_each_listed_report_its_page(empty_db_url):
    import sqlalchemy as sa

    from monitor.db import make_engine, upgrade

    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0008_listing_reads")
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO sources (id, agency, title, created_at) VALUES "
                    "('src', 'HHS', 'Test', '2020-01-01 00:00:00')"
                )
            )
            for i, (listed_on, removed) in enumerate(
                [(PAGE_A, None), (PAGE_B, "2020-03-01 12:00:00"), (None, None)]
            ):
                conn.execute(
                    sa.text(
                        "INSERT INTO reports (id, source_id, url, authorities, first_seen, last_seen, "
                        "removed_at, listed_on) VALUES (:id, 'src', :url, '[]', "
                        "'2020-02-01 12:00:00', '2020-02-20 12:00:00', :removed, :listed_on)"
                    ),
                    {
                        "id": i + 1,
                        "url": f"https://e.gov/r{i}",
                        "removed": removed,
                        "listed_on": listed_on,
                    },
                )
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT report_id, listing_url, removed_at IS NOT NULL FROM report_listings "
                    "ORDER BY report_id"
                )
            ).all()
        assert [tuple(r) for r in rows] == [(1, PAGE_A, False), (2, PAGE_B, True)]
    finally:
        engine.dispose()
