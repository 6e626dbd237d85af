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

A poll writes its new capture files in the background (:func:`overlapped`): the two fsyncs of a
file (about 4 ms on a local disk) run beside the writer's parsing and storing instead of
inside it. The file's row is added only once its file is written, before the poll returns, so
the order above holds; a file that could not be written fails the poll as before.
"""

from __future__ import annotations

import functools
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import datetime
from typing import Callable, Iterator

from sqlalchemy import case, literal, select, update
from sqlalchemy.orm import Session

from monitor.models.archive import CaptureRow
from monitor.poll_plan import MISSING, attached, plan_of
from scrapers.fetch.archive import Archive, ArchiveWriteError
from scrapers.redact import redact_url

_PENDING = "monitor.captures.pending"  # session.info: the files being written, while overlapped


@functools.cache
def _writers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(4, thread_name_prefix="capture")


class _Pending:
    """The capture files being written for one session: url -> (the write, the row's values)."""

    def __init__(self, failed: Callable[[ArchiveWriteError, str], Exception] | None) -> None:
        self.writes: dict[str, tuple[Future, dict]] = {}
        self.failed = failed

    def wait_all(self) -> None:
        wait([future for future, _ in self.writes.values()])

    def settle(self, session: Session, urls: list[str]) -> None:
        """Add the rows of the files written for ``urls``, or raise the first write's error
        (once no file is being written any more: nothing is left writing after a failure)."""
        wait([self.writes[u][0] for u in urls])
        rows = []
        for url in urls:
            future, values = self.writes.pop(url)
            error = future.exception()
            if error is not None:
                self.wait_all()
                self.writes.clear()
                if isinstance(error, ArchiveWriteError) and self.failed is not None:
                    raise self.failed(error, url) from None
                raise error
            rows.append(dict(values, record=future.result()))
        if rows:  # one Core INSERT (built once): nothing here reads the rows back
            session.connection().execute(_capture_insert(), rows)

    def settle_failed(self, session: Session) -> None:
        """Raise now if a file already failed: the poll stops there, as it did when the file
        was written in line."""
        failed = [u for u, (f, _) in self.writes.items() if f.done() and f.exception()]
        if failed:
            self.settle(session, failed)


@functools.cache
def _capture_insert():
    from sqlalchemy import insert

    return insert(CaptureRow.__table__)


@contextmanager
def overlapped(
    session: Session, failed: Callable[[ArchiveWriteError, str], Exception] | None = None
) -> Iterator[None]:
    """Within the block, :func:`record_capture` writes a new capture file in the background
    and adds its row when the file is written: at the latest when the block ends, or when the
    same URL is captured again. A file that could not be written raises its
    :class:`ArchiveWriteError` (through ``failed(error, url)`` if given) at the next capture or
    when the block ends; an exception out of the block waits for the files under way and adds
    none of their rows (the caller rolls back)."""
    if session.info.get(_PENDING) is not None:  # already overlapped (a nested poll)
        yield
        return
    pending = session.info[_PENDING] = _Pending(failed)
    try:
        yield
    except BaseException:
        pending.wait_all()
        raise
    else:
        pending.settle(session, list(pending.writes))
    finally:
        session.info.pop(_PENDING, None)


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
) -> tuple[CaptureRow | None, bool]:
    """Count a repeat of the URL's latest capture, or write a new capture record and its row.
    Returns the row and whether a record file was written (or is being written: then the row
    is None until :func:`overlapped` adds it). Flushes, never commits."""
    url = redact_url(url)
    requested_url = redact_url(requested_url) if requested_url else None
    pending: _Pending | None = session.info.get(_PENDING)
    if pending is not None:
        pending.settle_failed(session)
        if url in pending.writes:  # the capture being written is this URL's latest: its row
            pending.settle(session, [url])
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
    record = {
        "url": url,
        "requested_url": requested_url,
        "fetched_at": fetched_at.isoformat(),
        "http_status": http_status,
        "headers": headers,
        "source": source_id,
    }
    values = dict(
        source_id=source_id,
        url=url,
        requested_url=requested_url,
        sha256=sha256,
        http_status=http_status,
        first_seen_at=fetched_at,
        last_seen_at=fetched_at,
        seen_count=1,
    )
    if pending is not None:
        write = _writers().submit(archive.write_capture, sha256, record, fetched_at)
        pending.writes[url] = (write, values)
        return None, True
    row = CaptureRow(**values, record=archive.write_capture(sha256, record, fetched_at))
    session.add(row)
    session.flush()
    return row, True
