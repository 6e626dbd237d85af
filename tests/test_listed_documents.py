"""One dead report link does not blind a source (issue 9, item 4): each listed document keeps
its own fetch state (failing, then unreachable with its last error), the poll succeeds when the
listing was read, and a document that cannot be read keeps `unknown` only the periods its link
says it could cover (every period only when its link names none), naming the document."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
import responses
from fetch_fakes import Site, make_fetcher
from findings_kit import OB, SETTINGS
from rulekit import healthy, read, report
from sqlalchemy import select

from monitor.fetching import new_cycle, poll_source
from monitor.findings_sync import evaluate_and_sync
from monitor.models import FindingRow, Report
from monitor.source_status import source_status
from rules.engine import evaluate
from rules.facts import Facts
from scrapers.records import CountRecord, Link, ParseResult, ReportRecord
from scrapers.registry import Registry, RegisteredSource
from scrapers.source import LinkPeriods, Source

UTC = timezone.utc
LISTING = "https://www.agency.gov/reports"
FILES = "https://www.agency.gov/files/"
SOURCE = Source(
    id="src",
    agency="HHS",
    title="Test source",
    start_urls=(LISTING,),
    allowed_hosts=("agency.gov",),
)
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _parse(doc) -> ParseResult:
    """Listing: links with their text. PDF: a report for the month its PERIOD line names."""
    text = doc.body.decode("latin-1")
    if doc.is_pdf:
        y, m = map(int, re.search(r"PERIOD (\d{4})-(\d{2})", text).groups())
        start = date(y, m, 1)
        end = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
        return ParseResult(
            "1",
            reports=[
                ReportRecord(
                    title=f"Report {MONTHS[m - 1]} {y}",
                    url=doc.url,
                    period_start=start,
                    period_end=end,
                )
            ],
            counts=[
                CountRecord(0, "separations", "cause", "criminal_history", "criminal history", 3)
            ],
        )
    return ParseResult(
        "1", links=[Link(u, t) for u, t in re.findall(r'href="([^"]+)">([^<]*)<', text)]
    )


REG = RegisteredSource(SOURCE, _parse)


def _url(month: int) -> str:
    return f"{FILES}report-{MONTHS[month - 1].lower()}-2020.pdf"


def _site(site: Site, dead: dict[str, str]) -> None:
    """The listing links a report for each month of 2020 through August, plus ``dead`` links
    (url -> link text) that answer 404."""
    links = [(_url(m), f"{MONTHS[m - 1]} 2020") for m in range(1, 9) if m not in (6, 7)]
    links += list(dead.items())
    items = "".join(f'<li><a href="{u}">{t}</a></li>' for u, t in links)
    site.page(LISTING, f"<html><body><ul>{items}</ul></body></html>".encode())
    for m in range(1, 9):
        if m not in (6, 7):
            site.page(
                _url(m),
                f"%PDF-1.4\nPERIOD 2020-{m:02d}\n%%EOF\n".encode(),
                content_type="application/pdf",
            )


def _poll(session, archive, when):
    fetcher, _ = make_fetcher(retries=0)
    return poll_source(
        session,
        archive,
        fetcher,
        REG,
        now=when,
        cycle=new_cycle(when),
        broken_after=3,
        unreachable_after=3,
    )


def _findings(session, as_of):
    evaluate_and_sync(
        session, SETTINGS, as_of, as_of, obligations=[OB], registry=PERIODS_FROM_LINKS
    )
    return {
        (r.period_start, r.kind): r
        for r in session.scalars(select(FindingRow).where(FindingRow.family == "timeliness"))
    }


# `src`, whose links name the month before the one they are published in
PERIODS_FROM_LINKS = Registry(
    [RegisteredSource(replace(SOURCE, link_periods=LinkPeriods(months_before=1)), _parse)]
)


@pytest.fixture
def registered_src():
    return PERIODS_FROM_LINKS


def test_a_dead_link_keeps_the_source_healthy_and_only_its_periods_unknown(
    session, archive, registered_src
):
    dead = FILES + "report-july-2020.pdf"
    t0 = datetime(2020, 9, 20, 14, tzinfo=UTC)
    with responses.RequestsMock() as rsps:
        site = Site(rsps)
        _site(site, {dead: "July 2020"})
        polls = [_poll(session, archive, t0 + timedelta(days=d)) for d in range(3)]
    assert [(p.failed, p.health_after) for p in polls] == [(False, "healthy")] * 3
    assert [[(r.url, r.outcome) for r in p.runs if r.url == dead] for p in polls] == [
        [(dead, "http_error")]
    ] * 3  # retried on each poll
    row = session.scalars(select(Report).where(Report.url == dead)).one()
    assert (row.fetch_state, row.fetch_failures) == ("unreachable", 3)
    assert row.last_fetch_error.startswith("http_error: ") and "404" in row.last_fetch_error
    assert (row.link_period_start, row.link_period_end) == (date(2020, 7, 1), date(2020, 7, 31))
    status = source_status(session, REG, t0 + timedelta(days=2, hours=1), None)
    assert status.problem is None and status.health == "healthy"
    assert status.document_lines() == [
        f"document unreachable: {dead} (3 failed fetches; last: {row.last_fetch_error[:160]})"
    ]

    found = _findings(session, datetime(2020, 9, 23, tzinfo=UTC))
    # July 2020 named by the dead link: it could be July, or June if July is its issue month
    assert {(p.month, k) for p, k in found if p.year == 2020} == {(6, "unknown"), (7, "unknown")}
    assert {(p, k) for p, k in found if p.year == 2019} == {(date(2019, 12, 1), "missing")}
    july = found[(date(2020, 7, 1), "unknown")]
    assert july.evidence["reason"] == (
        f"document {dead} could be this period (its link names 2020-07) and is unreachable: "
        "absence is not proven"
    )
    (doc,) = july.evidence["documents"]
    assert (doc["url"], doc["state"], doc["link_names"], doc["could_cover"]) == (
        dead,
        "unreachable",
        "2020-07",
        "2020-06-01..2020-07-31",
    )
    assert "404" in doc["last_fetch_error"]
    # December 2019 has no report and no dead link that could be it: missing, on a listing read
    assert found[(date(2019, 12, 1), "missing")].evidence["listing_reads"]


def test_a_dead_link_whose_text_names_no_period_keeps_every_period_unknown(
    session, archive, registered_src
):
    dead = FILES + "report-latest.pdf"
    t0 = datetime(2020, 9, 20, 14, tzinfo=UTC)
    with responses.RequestsMock() as rsps:
        site = Site(rsps)
        _site(site, {dead: "Latest report"})
        poll = _poll(session, archive, t0)
    assert not poll.failed and poll.health_after == "healthy"
    row = session.scalars(select(Report).where(Report.url == dead)).one()
    assert (row.fetch_state, row.fetch_failures, row.link_period_start) == ("failing", 1, None)
    found = _findings(session, datetime(2020, 9, 21, tzinfo=UTC))
    months = {p for p, k in found}
    assert {k for _p, k in found} == {"unknown"} and date(2019, 12, 1) in months
    assert (
        found[(date(2020, 7, 1), "unknown")].evidence["documents"][0]["could_cover"] == "any period"
    )


def test_a_document_fetched_again_is_ok_and_places_itself(session, archive, registered_src):
    dead = FILES + "report-july-2020.pdf"
    t0 = datetime(2020, 9, 20, 14, tzinfo=UTC)
    with responses.RequestsMock() as rsps:
        site = Site(rsps)
        _site(site, {dead: "July 2020"})
        _poll(session, archive, t0)
        site.page(dead, b"%PDF-1.4\nPERIOD 2020-07\n%%EOF\n", content_type="application/pdf")
        poll = _poll(session, archive, t0 + timedelta(days=1))
    assert [r.outcome for r in poll.runs if r.url == dead] == ["ok"]
    row = session.scalars(select(Report).where(Report.url == dead)).one()
    assert (row.fetch_state, row.fetch_failures, row.period_start) == ("ok", 0, date(2020, 7, 1))
    found = _findings(session, datetime(2020, 9, 22, tzinfo=UTC))
    assert {(p.month, k) for p, k in found if p.year == 2020} == {(6, "missing")}


def test_the_engine_blocks_only_the_periods_a_document_could_cover():
    """Pure: a document not read whose link names a period keeps unknown the months that period
    could cover; one with no named period keeps every month unknown."""
    from rulekit import obligation

    ob = obligation()
    ends = {1: 31, 2: 29, 3: 31}
    placed = [
        report(
            f"https://e.gov/{m}",
            (date(2020, m, 1), date(2020, m, ends[m])),
            datetime(2020, m + 1, 2, tzinfo=UTC),
        )
        for m in (1, 2, 3)
    ]
    april = report(
        "https://e.gov/april-2020.pdf",
        None,
        datetime(2020, 5, 1, tzinfo=UTC),
        reads=(),
        named_start=date(2020, 4, 1),
        named_end=date(2020, 4, 30),
        could_start=date(2020, 3, 1),
        could_end=date(2020, 4, 30),
        fetch_state="unreachable",
        fetch_failures=5,
        last_fetch_error="http_error: 404",
    )
    as_of = datetime(2020, 7, 1, tzinfo=UTC)
    kinds = {
        f.period_start.month: f.kind
        for f in evaluate([ob], Facts.build([healthy()], placed + [april]), as_of)
        if f.period_start.year == 2020
    }
    assert kinds == {4: "unknown", 5: "missing"}  # March has its report; April is april's
    anything = report(
        "https://e.gov/x.pdf",
        None,
        datetime(2020, 5, 1, tzinfo=UTC),
        reads=(read(datetime(2020, 5, 1, tzinfo=UTC), outcome="parse_error"),),
    )
    kinds = {
        f.period_start.month: f.kind
        for f in evaluate([ob], Facts.build([healthy()], placed + [anything]), as_of)
        if f.period_start.year == 2020
    }
    assert kinds == {4: "unknown", 5: "unknown"}
