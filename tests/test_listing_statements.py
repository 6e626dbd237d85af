"""Storing a listing page costs a fixed number of SQL statements, whatever its number of links
(both databases; counted with a SQLAlchemy event listener, so the figures are exact, not
timings): a page the monitor already holds, read again (a 304, or the same body), at most 5; a
changed page (a new body: snapshot, parse, new and dropped links) at most 15. The same counts
for 10 links and for 200 show that no statement is issued per link."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from monitor.document_path import store_document, take_in
from monitor.listing_seen import report_last_seen
from monitor.models import Report, ReportListing
from scrapers.records import Link, ParseResult
from scrapers.registry import RegisteredSource
from scrapers.source import Source

T0 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
LIST = "https://e.gov/list"
SRC = Source(id="fake", agency="HHS", title="Fake", start_urls=(LIST,), allowed_hosts=("e.gov",))
UNCHANGED_AT_MOST = 5
CHANGED_AT_MOST = 15


def _parse(doc):
    return ParseResult(
        "1",
        links=[Link(u, title=f"Report of July 2022 ({u[-3:]})") for u in doc.body.decode().split()],
    )


REG = RegisteredSource(SRC, _parse)


class Statements:
    def __init__(self, engine) -> None:
        self.n, self.on = 0, False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        if self.on:
            self.n += 1

    @contextmanager
    def counting(self):
        self.n, self.on = 0, True
        try:
            yield self
        finally:
            self.on = False


def _links(n: int, start: int = 0) -> list[str]:
    return [f"https://e.gov/reports/{i:03d}" for i in range(start, start + n)]


def _costs(session, engine, archive, n: int) -> dict[str, int]:
    statements = Statements(engine)
    urls = _links(n)
    first = take_in(
        session,
        archive,
        REG,
        url=LIST,
        body=" ".join(urls).encode(),
        fetched_at=T0,
        is_listing=True,
    )
    assert first.outcome == "ok" and len(first.new_reports) == n
    costs = {}
    with statements.counting():  # a 304: the body held, already read by this parser version
        again = store_document(
            session, archive, REG, first.snapshot, listing=True, now=T0 + timedelta(days=1)
        )
    costs["held"] = statements.n
    assert again.new_reports == [] and again.removed_reports == []
    changed = urls[1:] + _links(1, start=n)  # one link dropped, one added
    with statements.counting():
        later = take_in(
            session,
            archive,
            REG,
            url=LIST,
            body=" ".join(changed).encode(),
            fetched_at=T0 + timedelta(days=2),
            is_listing=True,
        )
    costs["changed"] = statements.n
    assert later.changed and later.outcome == "ok"
    assert [r.url for r in later.new_reports] == changed[-1:]
    assert [r.url for r in later.removed_reports] == urls[:1]
    # what the statements did: every listed report seen now, the dropped one removed
    seen = dict(session.execute(select(Report.url, report_last_seen())).all())
    assert all(seen[u] == T0 + timedelta(days=2) for u in changed)
    assert session.scalar(select(Report.removed_at).where(Report.url == urls[0])) is not None
    assert session.scalar(
        select(ReportListing.removed_at).where(
            ReportListing.report_id
            == select(Report.id).where(Report.url == urls[0]).scalar_subquery()
        )
    ) == T0 + timedelta(days=2)
    return costs


@pytest.mark.parametrize("links", [10, 200])
def test_a_listing_page_is_stored_in_a_few_statements_whatever_its_links(
    session, engine, archive, links
):
    costs = _costs(session, engine, archive, links)
    assert costs["held"] <= UNCHANGED_AT_MOST, costs
    assert costs["changed"] <= CHANGED_AT_MOST, costs


def test_the_cost_does_not_grow_with_the_number_of_links(session, engine, archive):
    small = _costs(session, engine, archive, 10)
    session.rollback()
    large = _costs(session, engine, archive, 200)
    assert small == large


def test_a_page_longer_than_one_statement_holds_is_stored_the_same(session, archive, monkeypatch):
    """Above a few thousand links the IN lists are cut in parts (a database caps its bound
    parameters): same rows, a few more statements. Shown here with parts of three."""
    monkeypatch.setattr("monitor.store._IN_CHUNK", 3)
    urls = _links(10)
    take_in(
        session,
        archive,
        REG,
        url=LIST,
        body=" ".join(urls).encode(),
        fetched_at=T0,
        is_listing=True,
    )
    later = take_in(
        session,
        archive,
        REG,
        url=LIST,
        body=" ".join(urls[4:]).encode(),
        fetched_at=T0 + timedelta(days=1),
        is_listing=True,
    )
    assert sorted(r.url for r in later.removed_reports) == urls[:4]
    rows = dict(
        session.execute(
            select(Report.url, ReportListing.removed_at).join(
                ReportListing, ReportListing.report_id == Report.id
            )
        ).all()
    )
    assert {u for u, gone in rows.items() if gone} == set(urls[:4])
    assert {u for u, gone in rows.items() if gone is None} == set(urls[4:])
    assert set(
        session.scalars(select(Report.url).where(Report.last_seen == T0 + timedelta(days=1)))
    ) == set(urls[4:])
