"""Facts gathered from the database as of an instant (both databases): nothing from the future,
publication lower bounds from the monitor's own listing reads, health from its history."""

from __future__ import annotations

from datetime import date

from findings_kit import SRC, at, health, listing, publish, REGISTRY
from sqlalchemy import select

from monitor.fact_gathering import gather_facts
from monitor.findings_actions import record_evidence
from monitor.models import Snapshot
from monitor.store import record_parse
from rulekit import obligation
from scrapers.records import CountRecord, ParseResult, ReportRecord

JAN = (date(2020, 1, 1), date(2020, 1, 31))
URL = "https://e.gov/jan"


def _report(facts):
    (report,) = facts.reports_by_source.get("src", ())
    return report


def test_absent_at_is_the_last_listing_read_that_did_not_link_the_report(
    session, archive, monkeypatch
):
    listing(session, archive, at(2020, 1, 5), [])
    listing(session, archive, at(2020, 2, 10), [])  # same body: an `unchanged` read
    listing(session, archive, at(2020, 2, 15), [URL])
    publish(session, archive, at(2020, 2, 15, 13), URL, JAN, issued=date(2020, 2, 1))
    report = _report(gather_facts(session, at(2020, 3, 1), ["src"], registry=REGISTRY))
    assert report.first_seen == at(2020, 2, 15)
    assert report.absent_at == at(2020, 2, 10)
    assert report.earliest_publication()[0] == date(2020, 2, 10)


def test_without_an_earlier_look_there_is_no_absence_bound(session, archive, monkeypatch):
    listing(session, archive, at(2020, 2, 15), [URL])  # the first look already shows it
    publish(session, archive, at(2020, 2, 15, 13), URL, JAN, issued=date(2020, 2, 1))
    report = _report(gather_facts(session, at(2020, 3, 1), ["src"], registry=REGISTRY))
    assert report.absent_at is None
    assert report.earliest_publication()[0] == date(2020, 2, 1)


def test_nothing_from_after_as_of_is_used(session, archive, monkeypatch):
    publish(session, archive, at(2020, 2, 15), URL, JAN, value=3)
    publish(session, archive, at(2020, 3, 15), URL, JAN, value=4, body=b"second")
    first = session.scalars(select(Snapshot).order_by(Snapshot.fetched_at)).first()
    # a new parser version re-reads the first snapshot on April 1st
    record_parse(
        session,
        SRC,
        first,
        ParseResult(
            "2",
            reports=[ReportRecord(title="Jan", url=URL, period_start=JAN[0], period_end=JAN[1])],
            counts=[
                CountRecord(0, "separations", "cause", "criminal_history", "criminal history", 30)
            ],
        ),
        "ok",
        at(2020, 4, 1),
    )
    assert gather_facts(session, at(2020, 2, 1), ["src"], registry=REGISTRY).reports_by_source == {}
    early = _report(gather_facts(session, at(2020, 3, 1), ["src"], registry=REGISTRY))
    assert [(r.parser_version, r.counts[0].value) for r in early.reads] == [("1", 3.0)]
    middle = _report(gather_facts(session, at(2020, 3, 20), ["src"], registry=REGISTRY))
    assert [r.counts[0].value for r in middle.reads] == [3.0, 4.0]
    late = _report(gather_facts(session, at(2020, 4, 2), ["src"], registry=REGISTRY))
    assert sorted((r.parser_version, r.counts[0].value) for r in late.reads) == [
        ("1", 3.0),
        ("1", 4.0),
        ("2", 30.0),
    ]
    assert late.latest_read(at(2020, 4, 2)).counts[0].value == 4.0  # newest snapshot wins


def test_source_health_and_evidence_as_of(session, archive, monkeypatch):
    health(session, "healthy", at(2020, 1, 1), at(2020, 1, 1))
    listing(session, archive, at(2020, 1, 1), [])
    health(session, "broken", at(2020, 2, 20), at(2020, 1, 1))
    health(session, "healthy", at(2020, 3, 1), at(2020, 1, 1))
    ob = obligation()
    record_evidence(
        session,
        [ob],
        ob.id,
        by="ana",
        on=date(2020, 2, 1),
        note="emailed",
        now=at(2020, 2, 25),
        period="2020-01",
    )

    facts = gather_facts(session, at(2020, 2, 25), ["src", "unbuilt"], [ob.id], registry=REGISTRY)
    assert facts.source("src").state == "broken" and facts.source("src").readable is False
    assert facts.source("src").state_since == at(2020, 2, 20)
    assert facts.source("unbuilt").implemented is False
    assert len(facts.evidence(ob.id, at(2020, 2, 25))) == 1
    later = gather_facts(session, at(2020, 3, 5), ["src"], [ob.id], registry=REGISTRY)
    assert later.source("src").state == "healthy"
    assert (
        gather_facts(
            session, at(2020, 2, 24), ["src"], [ob.id], registry=REGISTRY
        ).evidence_by_obligation
        == {}
    )
    before = gather_facts(session, at(2019, 12, 1), ["src"], registry=REGISTRY)
    assert before.source("src").state is None and before.source("src").first_success_at is None


def test_a_listed_report_not_read_yet_has_no_period_and_no_reads(session, archive, monkeypatch):
    listing(session, archive, at(2020, 2, 15), [URL])
    report = _report(gather_facts(session, at(2020, 3, 1), ["src"], registry=REGISTRY))
    assert report.url == URL and report.period is None and report.reads == ()


def test_the_earliest_publication_is_the_later_bound_and_says_why():
    """Issue date (at its precision) or the last look without the report, the later wins and
    the issue date wins a tie; the reason is the winner's own words."""
    from datetime import datetime, timezone

    from rules.facts import ReportFact

    def report(issued=None, precision=None, absent_at=None):
        return ReportFact(
            SRC,
            "https://example.gov/r.pdf",
            datetime(2021, 1, 1, tzinfo=timezone.utc),
            issued=issued,
            issued_precision=precision,
            absent_at=absent_at,
        )

    # 2020-03-05 15:00 UTC is 10:00 that day in Washington
    absent = datetime(2020, 3, 5, 15, tzinfo=timezone.utc)
    assert report().earliest_publication() is None
    assert report(absent_at=absent).earliest_publication() == (
        date(2020, 3, 5),
        "the monitor read the source at 2020-03-05T15:00:00+00:00 and this report was not "
        "there: not published before 2020-03-05",
    )
    assert report(date(2020, 3, 9), "month", absent).earliest_publication() == (
        date(2020, 3, 5),
        "the monitor read the source at 2020-03-05T15:00:00+00:00 and this report was not "
        "there: not published before 2020-03-05",
    )
    assert report(date(2020, 3, 5), None, absent).earliest_publication() == (
        date(2020, 3, 5),
        "issued 2020-03-05 (day precision): not published before 2020-03-05",
    )
    assert report(date(2020, 3, 9), "day", absent).earliest_publication()[0] == date(2020, 3, 9)
    assert report(date(2020, 7, 9), "year").earliest_publication() == (
        date(2020, 1, 1),
        "issued 2020-07-09 (year precision): not published before 2020-01-01",
    )
