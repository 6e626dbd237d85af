"""Capture records: when, from where and with what HTTP status each archived body was seen.

A fetch that returns a body writes a capture record file in the archive
(``captures/ab/<sha256>/<time>-<n>.json``: URL, time, status, headers) only when the URL served
something new: a body or a status different from the URL's previous capture, or its first one.
A fetch that returns the same body with the same status again is a *repeat*: it adds 1 to that
capture's ``seen_count`` and moves its ``last_seen_at`` in the ``captures`` table, and writes no
file. Over years of daily polls a page that never changes keeps one file, not thousands. (A 304
answer carries no body and is no capture; its ``fetch_runs`` row records it.)

Why the count lives in the database and not in the archive: the archive never rewrites a file
(a counter in a file would be rewritten at every fetch, and a crash in the middle of a rewrite
could destroy the record of the first capture). An append-only log beside the record would not be
rewritten, but it is written before the fetch's database transaction and would go on counting
fetches that transaction then rolled back. In the database the counter moves in the same
transaction as the fetch's ``fetch_runs`` row, so a crash keeps both or neither; and it moves in
SQL (``seen_count = seen_count + 1``), so two processes counting the same capture lose nothing.

A new capture's file is written (temporary file, fsync, link) before its row: a crash between the
two leaves a file no row points at (``monitor archive verify`` counts them), never a row without
its file. Archives written before this scheme keep their one-file-per-fetch records untouched;
the first fetch of each URL afterwards writes one more file, as there is no row yet to count on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, literal, select, update
from sqlalchemy.orm import Session

from monitor.models.archive import CaptureRow
from monitor.poll_plan import MISSING, attached, plan_of
from scrapers.fetch.archive import Archive
from scrapers.redact import redact_url


def latest_capture(session: Session, url: str) -> CaptureRow | None:
    return session.scalar(
        select(CaptureRow)
        .where(CaptureRow.url == redact_url(url))
        .order_by(CaptureRow.first_seen_at.desc(), CaptureRow.id.desc())
        .limit(1)
    )


def record_capture(
    session: Session,
    archive: Archive,
    *,
    source_id: str,
    url: str,
    sha256: str,
    fetched_at: datetime,
    http_status: int | None,
    headers: dict[str, str],
    requested_url: str | None = None,
) -> tuple[CaptureRow, bool]:
    """Count a repeat of the URL's latest capture, or write a new capture record and its row.
    Returns the row and whether a record file was written. Flushes, never commits."""
    url = redact_url(url)
    requested_url = redact_url(requested_url) if requested_url else None
    plan = plan_of(session)
    latest = plan.take("captures", url) if plan is not None else MISSING
    latest = latest_capture(session, url) if latest is MISSING else attached(session, latest)
    if latest is not None and (latest.sha256, latest.http_status) == (sha256, http_status):
        later = CaptureRow.last_seen_at < fetched_at
        session.execute(
            update(CaptureRow)
            .where(CaptureRow.id == latest.id)
            .values(
                seen_count=CaptureRow.seen_count + 1,
                last_seen_at=case(
                    (later, literal(fetched_at, CaptureRow.last_seen_at.type)),
                    else_=CaptureRow.last_seen_at,
                ),
            )
            .execution_options(synchronize_session=False)
        )
        session.expire(latest, ["seen_count", "last_seen_at"])
        return latest, False
    record = archive.write_capture(
        sha256,
        {
            "url": url,
            "requested_url": requested_url,
            "fetched_at": fetched_at.isoformat(),
            "http_status": http_status,
            "headers": headers,
            "source": source_id,
        },
        fetched_at,
    )
    row = CaptureRow(
        source_id=source_id,
        url=url,
        requested_url=requested_url,
        sha256=sha256,
        http_status=http_status,
        first_seen_at=fetched_at,
        last_seen_at=fetched_at,
        seen_count=1,
        record=record,
    )
    session.add(row)
    session.flush()
    return row, True
