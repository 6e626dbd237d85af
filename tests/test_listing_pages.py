"""An unchanged listing page is marked seen without comparing its links only when its rows are
known to match that reading (``listing_pages``: the same snapshot, parser version and source,
read complete both times). Every other way the rows can have moved since sends the page the
long way, which compares link by link, and both ways leave the same rows (both databases)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import event, select

from monitor.document_path import store_document, take_in
from monitor.listing_seen import listing_last_seen, report_last_seen
from monitor.models import ListingPage, Report, ReportListing
from monitor.store import record_listing
from scrapers.records import Link, ParseResult
from scrapers.registry import RegisteredSource
from scrapers.source import Source

T0 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
LIST = "https://e.gov/list"
SRC = Source(id="fake", agency="HHS", title="Fake", start_urls=(LIST,), allowed_hosts=("e.gov",))
OTHER = Source(
    id="other", agency="HHS", title="Other", start_urls=(LIST,), allowed_hosts=("e.gov",)
)


def _parse(doc):
    return ParseResult("1", links=[Link(u) for u in doc.body.decode().split()])


REG = RegisteredSource(SRC, _parse)
OTHER_REG = RegisteredSource(OTHER, _parse)


def urls(*ks: int) -> list[str]:
    return [f"https://e.gov/r{k}.pdf" for k in ks]


def read(session, archive, when, links, reg=REG, max_links=None):
    return take_in(
        session,
        archive,
        reg,
        url=LIST,
        body=" ".join(links).encode(),
        fetched_at=when,
        is_listing=True,
        max_links=max_links,
    )


def rows(session, source_id="fake") -> dict[str, tuple]:
    session.expire_all()
    return {
        url: (r_seen, removed, l_seen, l_removed)
        for url, r_seen, removed, l_seen, l_removed in session.execute(
            select(
                Report.url,
                report_last_seen(),
                Report.removed_at,
                listing_last_seen(),
                ReportListing.removed_at,
            )
            .join(ReportListing, ReportListing.report_id == Report.id)
            .where(Report.source_id == source_id)
        )
    }


class Updates:
    """The UPDATE statements run on ``report_listings`` while counting."""

    def __init__(self, engine) -> None:
        self.seen: list[str] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, *_args) -> None:
        if self.on:
            self.seen.append(statement.split()[0] + " " + statement.split()[1])


def test_the_same_reading_again_is_marked_seen_without_comparing_links(session, engine, archive):
    first = read(session, archive, T0, urls(1, 2, 3))
    updates = Updates(engine)
    updates.on = True
    again = store_document(
        session, archive, REG, first.snapshot, listing=True, now=T0 + timedelta(days=1)
    )
    updates.on = False
    assert again.new_reports == [] and again.removed_reports == []
    # no SELECT of the page's rows, no INSERT, no row written: one UPDATE of the page's time
    # besides looking up the reading
    assert [s for s in updates.seen if "report_listings" in s or s.startswith("UPDATE")] == [
        "UPDATE listing_pages",
    ]
    day1 = T0 + timedelta(days=1)
    assert all(v == (day1, None, day1, None) for v in rows(session).values())


def test_a_page_that_went_back_to_an_earlier_body_is_compared_link_by_link(session, archive):
    """S1, then S2 (r1 dropped, r4 added), then S1 again: listing_pages names S2, so S1's
    second reading compares its links: r1 comes back, r4 goes."""
    read(session, archive, T0, urls(1, 2, 3))
    read(session, archive, T0 + timedelta(days=1), urls(2, 3, 4))
    back = read(session, archive, T0 + timedelta(days=2), urls(1, 2, 3))
    assert [r.url for r in back.removed_reports] == urls(4)
    now = rows(session)
    day2 = T0 + timedelta(days=2)
    assert now[urls(1)[0]] == (day2, None, day2, None)
    assert now[urls(4)[0]][1] == day2 and now[urls(4)[0]][3] == day2
    assert session.get(ListingPage, LIST).snapshot_id == back.snapshot.id


def test_a_capped_reading_is_never_taken_as_matching(session, archive):
    """A reading cut at max_links drops nothing, so its rows may hold more than its links: the
    next reading, even of the same body, compares them."""
    first = read(session, archive, T0, urls(1, 2, 3, 4), max_links=3)
    assert session.get(ListingPage, LIST).complete is False
    again = store_document(
        session,
        archive,
        REG,
        first.snapshot,
        listing=True,
        now=T0 + timedelta(days=1),
        max_links=3,
    )
    assert again.new_reports == []
    # the long way ran: the reading is recorded again, still not complete
    row = session.get(ListingPage, LIST)
    assert row.complete is False and row.applied_at == T0 + timedelta(days=1)


def test_links_applied_from_elsewhere_forget_the_reading(session, archive):
    """Links applied without a reading (an API's summary) may move the page's rows: the reading
    is forgotten, and the next one compares."""
    first = read(session, archive, T0, urls(1, 2))
    record_listing(session, SRC, LIST, [Link(u) for u in urls(1, 2, 5)], T0 + timedelta(hours=1))
    assert session.get(ListingPage, LIST) is None
    again = store_document(
        session, archive, REG, first.snapshot, listing=True, now=T0 + timedelta(days=1)
    )
    assert [r.url for r in again.removed_reports] == urls(5)


def test_two_sources_sharing_a_page_keep_their_own_rows(session, archive):
    """The reading is one row per page: a second source reading the same page does not take
    the first source's reading as its own."""
    first = read(session, archive, T0, urls(1, 2))
    other = read(session, archive, T0, urls(1, 2), reg=OTHER_REG)
    assert [r.url for r in other.new_reports] == urls(1, 2)
    store_document(session, archive, REG, first.snapshot, listing=True, now=T0 + timedelta(days=1))
    day1 = T0 + timedelta(days=1)
    assert all(v[0] == day1 for v in rows(session, "fake").values())
    assert all(v[0] == T0 for v in rows(session, "other").values())
