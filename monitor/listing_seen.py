"""When a listing page's links were last seen: kept on the page while its reading stays the same.

A listing page read again with the same reading (the same snapshot and parser version,
complete both times: monitor.store.record_listing) links exactly the reports its rows say. Its
``listing_pages.seen_at`` then moves to now, one UPDATE of one row, instead of the
``last_seen`` of every report it links and of every one of its ``report_listings`` rows. A
row not removed, whose report is of the page's source, and that report, were also seen at the
page's ``seen_at`` when that is later than its ``applied_at`` (the reading was complete, and
read again since): :func:`report_last_seen` and :func:`listing_last_seen` read the times with
it, the same answers the rows gave when each read wrote them.

Before the page's rows change (another reading: links compared, rows kept, dropped or added),
the page's pending time is written into them (monitor.store.record_listing), so a row dropped then
keeps the last time it was seen, and ``seen_at`` starts again at that reading's time. A read
dated before the page's last change of rows (a reparse dated by an older fetch) writes the rows
as before: ``first_seen`` may move back.
"""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import and_, bindparam, case, func, select, update
from sqlalchemy.orm import Session, aliased

from monitor.models import ListingPage, Report, ReportListing


def seen_again(session: Session, page: ListingPage, listing_url: str, now: datetime) -> None:
    """The page's same reading again, at ``now``: its rows and their reports were seen now."""
    if now < page.applied_at:  # older than its rows' own times: write the rows
        write_rows_seen(session, page.source_id, listing_url, now)
        return
    session.connection().execute(_page_seen(), {"s_listing": listing_url, "s_now": now})
    cached = session.identity_map.get(session.identity_key(ListingPage, (listing_url,)))
    if cached is not None:
        session.expire(cached, ["seen_at"])


def pending(seen_at: datetime | None, applied_at: datetime | None) -> bool:
    """Whether a page's rows were seen later than they say (its ``seen_at`` not written yet)."""
    return seen_at is not None and applied_at is not None and seen_at > applied_at


def write_rows_seen(session: Session, source_id: str, listing_url: str, now: datetime) -> None:
    """The page's rows not removed, of ``source_id``, and their reports: seen at ``now``. Two
    UPDATEs, built once and run with this page's values."""
    params = {"p_source": source_id, "p_listing": listing_url, "p_now": now}
    execute = session.connection().execute
    for statement in _rows_seen_statements():
        execute(statement, params)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, (Report, ReportListing)):
            session.expire(obj)


@functools.cache
def _page_seen():
    table = ListingPage.__table__
    now = bindparam("s_now", type_=table.c.seen_at.type)
    return (
        update(table)
        .where(table.c.listing_url == bindparam("s_listing"))
        .values(seen_at=case((table.c.seen_at < now, now), else_=table.c.seen_at))
    )


@functools.cache
def _rows_seen_statements() -> tuple:
    now = bindparam("p_now", type_=Report.last_seen.type)
    of_source = select(Report.id).where(Report.source_id == bindparam("p_source"))
    present = (
        ReportListing.listing_url == bindparam("p_listing"),
        ReportListing.removed_at.is_(None),
        ReportListing.report_id.in_(of_source),
    )
    reports = (
        update(Report.__table__)
        .where(
            Report.id.in_(select(ReportListing.report_id).where(*present)),
            Report.source_id == bindparam("p_source"),
        )
        .values(
            last_seen=case((Report.last_seen < now, now), else_=Report.last_seen), removed_at=None
        )
    )
    listings = (
        update(ReportListing.__table__)
        .where(*present)
        .values(
            last_seen=case((ReportListing.last_seen < now, now), else_=ReportListing.last_seen),
            first_seen=case((ReportListing.first_seen > now, now), else_=ReportListing.first_seen),
        )
    )
    return reports, listings


# --- reading the times ------------------------------------------------------------------------


def report_last_seen():
    """A column for a query over ``reports``: when the report was last seen (its row's
    ``last_seen``, or a later ``seen_at`` of a page whose row for it is not removed)."""
    rl, lp = aliased(ReportListing), aliased(ListingPage)
    page_seen = (
        select(func.max(lp.seen_at))
        .join_from(rl, lp, lp.listing_url == rl.listing_url)
        .where(
            rl.report_id == Report.id,
            rl.removed_at.is_(None),
            lp.source_id == Report.source_id,
            lp.seen_at > lp.applied_at,
        )
        .correlate(Report)
        .scalar_subquery()
    )
    return case((page_seen > Report.last_seen, page_seen), else_=Report.last_seen)


def listing_last_seen():
    """A column for a query over ``report_listings``: when the page last linked the report
    (the row's ``last_seen``, or its page's later ``seen_at`` while the row is not removed)."""
    lp, r = aliased(ListingPage), aliased(Report)
    page_seen = (
        select(lp.seen_at)
        .join_from(lp, r, r.source_id == lp.source_id)
        .where(
            lp.listing_url == ReportListing.listing_url,
            r.id == ReportListing.report_id,
            lp.seen_at > lp.applied_at,
        )
        .correlate(ReportListing)
        .scalar_subquery()
    )
    return case(
        (
            and_(ReportListing.removed_at.is_(None), page_seen > ReportListing.last_seen),
            page_seen,
        ),
        else_=ReportListing.last_seen,
    )
