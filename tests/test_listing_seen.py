"""A listing page read again unchanged moves its own ``listing_pages.seen_at``, not the
``last_seen`` of every report and row it links (monitor/listing_seen.py). The times read with
it are the ones the rows held when every read wrote them: each sequence of reads below runs
both ways (the page's time, and every read writing the rows: the old way) and must give the
same reports and rows, seen, removed and first seen at the same times (both databases)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from monitor import listing_seen
from monitor.document_path import store_document, take_in
from monitor.listing_seen import listing_last_seen, report_last_seen
from monitor.models import ListingPage, Report, ReportListing
from monitor.store import record_listing
from scrapers.records import Link, ParseResult
from scrapers.registry import RegisteredSource
from scrapers.source import Source

T0 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
LIST, LIST2 = "https://e.gov/list", "https://e.gov/list2"
SRC = Source(
    id="fake", agency="HHS", title="Fake", start_urls=(LIST, LIST2), allowed_hosts=("e.gov",)
)
OTHER = Source(
    id="other", agency="HHS", title="Other", start_urls=(LIST,), allowed_hosts=("e.gov",)
)


def _parse(doc):
    return ParseResult("1", links=[Link(u) for u in doc.body.decode().split()])


REG, OTHER_REG = RegisteredSource(SRC, _parse), RegisteredSource(OTHER, _parse)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def urls(*ks: int) -> list[str]:
    return [f"https://e.gov/r{k}.pdf" for k in ks]


class Reads:
    """One session's reads of the pages, dated ``when``."""

    def __init__(self, session, archive) -> None:
        self.session, self.archive = session, archive

    def read(self, when, ks, page=LIST, reg=REG, max_links=None):
        """A body whose links are ``ks``: a new body, or the one held (its snapshot again)."""
        return take_in(
            self.session,
            self.archive,
            reg,
            url=page,
            body=" ".join(urls(*ks)).encode(),
            fetched_at=when,
            is_listing=True,
            max_links=max_links,
        )

    def again(self, when, first, page=LIST, reg=REG):
        """A 304: the snapshot held, read again."""
        return store_document(
            self.session, self.archive, reg, first.snapshot, listing=True, now=when
        )

    def from_elsewhere(self, when, ks):
        """Links applied without a reading (an API's summary)."""
        record_listing(self.session, SRC, LIST, [Link(u) for u in urls(*ks)], when)


def state(session, written: bool = False) -> tuple:
    """Every report and row with its times; ``written``: as the rows hold them."""
    session.expire_all()
    reports = session.execute(
        select(
            Report.source_id,
            Report.url,
            Report.first_seen,
            Report.last_seen if written else report_last_seen(),
        )
        .add_columns(Report.removed_at)
        .order_by(Report.source_id, Report.url)
    ).all()
    rows = session.execute(
        select(
            Report.source_id,
            Report.url,
            ReportListing.listing_url,
            ReportListing.first_seen,
            ReportListing.last_seen if written else listing_last_seen(),
            ReportListing.removed_at,
        )
        .join(Report, Report.id == ReportListing.report_id)
        .order_by(Report.source_id, Report.url, ReportListing.listing_url)
    ).all()
    return [tuple(r) for r in reports], [tuple(r) for r in rows]


def _unchanged_then_changed(s):
    first = s.read(day(0), [1, 2, 3])
    s.again(day(1), first)
    s.again(day(2), first)
    s.read(day(3), [2, 3, 4])  # r1 dropped: last seen on day 2


def _unchanged_then_capped(s):
    first = s.read(day(0), [1, 2, 3])
    s.again(day(1), first)
    s.read(day(2), [1, 4, 5], max_links=2)  # capped: r2 and r3 stay, last seen on day 1


def _unchanged_then_elsewhere(s):
    first = s.read(day(0), [1, 2, 3])
    s.again(day(1), first)
    s.from_elsewhere(day(2), [1, 4])  # drops r2 and r3: last seen on day 1


def _unchanged_then_another_source(s):
    first = s.read(day(0), [1, 2, 3])
    s.again(day(1), first)
    s.read(day(2), [2, 3, 4], reg=OTHER_REG)  # the other source's rows; ours stay at day 1
    s.read(day(3), [2, 3], reg=REG)


def _two_pages(s):
    a = s.read(day(0), [1, 2, 3])
    b = s.read(day(0.5), [3, 4], page=LIST2)
    s.again(day(1), a)
    s.again(day(1.5), b, page=LIST2)
    s.again(day(2), a)
    s.read(day(3), [4], page=LIST2)  # r3 dropped from page 2, still on page 1 (day 2)
    s.read(day(4), [1])  # r3 gone from both: removed; r2 dropped


def _a_read_dated_earlier(s):
    first = s.read(day(2), [1, 2])
    s.again(day(3), first)
    s.again(day(1), first)  # dated before the page's rows: first seen moves back
    s.again(day(4), first)
    s.read(day(0.5), [2, 5])  # dated before the page's time (a reparse of an older fetch)


def _back_after_a_drop(s):
    first = s.read(day(0), [1, 2])
    s.again(day(1), first)
    second = s.read(day(2), [2])
    s.again(day(3), second)
    s.read(day(4), [1, 2])  # r1 back: seen again, no longer removed


SEQUENCES = [
    _unchanged_then_changed,
    _unchanged_then_capped,
    _unchanged_then_elsewhere,
    _unchanged_then_another_source,
    _two_pages,
    _a_read_dated_earlier,
    _back_after_a_drop,
]


def _rows_written(session, page, listing_url, now) -> None:
    """The old way: a read of the same reading writes every row and report."""
    listing_seen.write_rows_seen(session, page.source_id, listing_url, now)


@pytest.mark.parametrize("sequence", SEQUENCES, ids=lambda f: f.__name__.strip("_"))
def test_the_page_s_time_gives_the_times_the_rows_gave(session, archive, monkeypatch, sequence):
    sequence(Reads(session, archive))
    kept_on_page = state(session)
    session.rollback()
    session.expunge_all()
    with monkeypatch.context() as m:
        m.setattr(listing_seen, "seen_again", _rows_written)
        sequence(Reads(session, archive))
        written = state(session, written=True)
    assert kept_on_page == written
    assert written[0] and written[1]


def test_an_unchanged_read_writes_the_page_only(session, archive):
    r = Reads(session, archive)
    first = r.read(day(0), [1, 2, 3])
    r.again(day(1), first)
    # the rows keep the first read; the page says they were seen since
    assert set(session.scalars(select(Report.last_seen))) == {day(0)}
    assert set(session.scalars(select(ReportListing.last_seen))) == {day(0)}
    page = session.get(ListingPage, LIST)
    assert (page.applied_at, page.seen_at) == (day(0), day(1))
    assert {r[3] for r in state(session)[0]} == {day(1)}
    # the page changes: the dropped row took the page's time, the page starts again
    r.read(day(2), [2, 3])
    dropped = session.scalar(
        select(ReportListing.last_seen).join(Report).where(Report.url == urls(1)[0])
    )
    assert dropped == day(1)
    page = session.get(ListingPage, LIST)
    assert (page.applied_at, page.seen_at) == (day(2), day(2))


def test_the_migration_keeps_every_time(empty_db_url):
    """Upgrading gives each page ``seen_at`` = ``applied_at`` (its rows hold every read so far);
    going back down writes a page's later time into its rows and reports first."""
    from monitor.db import downgrade, make_engine, upgrade

    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0030_eval_speed")
        with engine.begin() as conn:
            run = conn.execute
            run(
                sa.text(
                    "INSERT INTO sources (id, agency, title, created_at) "
                    "VALUES ('fake', 'HHS', 'Fake', '2026-03-01 00:00:00')"
                )
            )
            run(
                sa.text(
                    "INSERT INTO snapshots (id, source_id, url, sha256, size, headers, "
                    "fetched_at, storage) VALUES (1, 'fake', :u, :h, 1, '{}', "
                    "'2026-03-01 12:00:00', 'plain')"
                ),
                {"u": LIST, "h": "0" * 64},
            )
            for rid, removed in ((1, None), (2, "2026-03-02 12:00:00")):
                run(
                    sa.text(
                        "INSERT INTO reports (id, source_id, url, authorities, first_seen, "
                        "last_seen, removed_at, fetch_failures) VALUES (:id, 'fake', :u, '[]', "
                        "'2026-03-01 12:00:00', '2026-03-03 12:00:00', NULL, 0)"
                    ),
                    {"id": rid, "u": urls(rid)[0]},
                )
                run(
                    sa.text(
                        "INSERT INTO report_listings (report_id, listing_url, first_seen, "
                        "last_seen, removed_at) VALUES (:id, :l, '2026-03-01 12:00:00', "
                        ":seen, :removed)"
                    ),
                    {
                        "id": rid,
                        "l": LIST,
                        "seen": "2026-03-03 12:00:00" if removed is None else removed,
                        "removed": removed,
                    },
                )
            run(
                sa.text(
                    "INSERT INTO listing_pages (listing_url, source_id, snapshot_id, "
                    "parser_version, complete, applied_at) VALUES (:l, 'fake', 1, '1', :t, "
                    "'2026-03-03 12:00:00')"
                ),
                {"l": LIST, "t": True},
            )
        upgrade(engine)
        with engine.begin() as conn:
            seen = conn.execute(sa.text("SELECT seen_at, applied_at FROM listing_pages")).one()
            assert seen[0] == seen[1]
            # read unchanged on day 5, at head: the page's time only
            conn.execute(sa.text("UPDATE listing_pages SET seen_at = '2026-03-06 12:00:00'"))
        downgrade(engine, "0030_eval_speed")
        with engine.connect() as conn:
            reports = conn.execute(sa.text("SELECT id, last_seen FROM reports ORDER BY id")).all()
            rows = conn.execute(
                sa.text("SELECT report_id, last_seen FROM report_listings ORDER BY report_id")
            ).all()
        # the row not removed and its report take the page's time; the removed row keeps its own
        assert [(i, str(t)[:10]) for i, t in reports] == [(1, "2026-03-06"), (2, "2026-03-03")]
        assert [(i, str(t)[:10]) for i, t in rows] == [(1, "2026-03-06"), (2, "2026-03-02")]
    finally:
        engine.dispose()


def test_rows_another_writer_inserted_first_stand(session, archive):
    """A page's new reports and rows are inserted or ignored: a report or row another writer
    stored a moment before keeps its values and is not handed back as inserted (the caller
    then marks it seen like the others)."""
    from monitor.store import _listing_rows_insert, _new_reports_insert

    Reads(session, archive).read(day(0), [1, 2])
    execute, dialect = session.connection().execute, session.bind.dialect.name
    links = json.dumps([{"url": u, "title": None, "start": None, "end": None} for u in urls(2, 3)])
    made = execute(
        _new_reports_insert(dialect),
        {"source": "fake", "listing": LIST2, "now": day(1), "links": links},
    ).all()
    assert [url for _id, url in made] == urls(3)
    ids = dict(session.execute(select(Report.url, Report.id)).all())
    assert session.get(Report, ids[urls(2)[0]]).first_seen == day(0)
    assert session.get(Report, ids[urls(3)[0]]).authorities == []
    inserted = execute(
        _listing_rows_insert(dialect),
        {"listing": LIST, "now": day(1), "report_ids": [ids[u] for u in urls(2, 3)]},
    ).all()
    assert [r.report_id for r in inserted] == [ids[urls(3)[0]]]
    times = dict(
        session.execute(
            select(ReportListing.report_id, ReportListing.first_seen).where(
                ReportListing.listing_url == LIST
            )
        ).all()
    )
    assert times == {ids[urls(1)[0]]: day(0), ids[urls(2)[0]]: day(0), ids[urls(3)[0]]: day(1)}


def test_a_new_page_s_links_keep_their_text_and_period(session):
    """The new reports' links travel as one JSON text: titles with quotes, backslashes and
    accents, and the period a link names, are stored as given."""
    from datetime import date

    from monitor.store import ensure_source

    ensure_source(session, SRC, day(0))
    title = 'Informe "julio" 2022 \\ niños'
    periods = ((date(2022, 7, 1), date(2022, 7, 31)), None)
    created, _ = record_listing(
        session, SRC, LIST, [Link(urls(1)[0], title), Link(urls(2)[0])], day(0), periods=periods
    )
    assert [r.url for r in created] == urls(1, 2)
    session.expire_all()
    stored = {
        r.url: (r.title, r.link_period_start, r.link_period_end, r.authorities, r.fetch_failures)
        for r in session.scalars(select(Report))
    }
    assert stored == {
        urls(1)[0]: (title, date(2022, 7, 1), date(2022, 7, 31), [], 0),
        urls(2)[0]: (None, None, None, [], 0),
    }
