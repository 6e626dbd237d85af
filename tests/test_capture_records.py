"""A capture record file is written when a URL serves something new (body or status), not at
every fetch: repeats are counted in the database (seen_count, last_seen_at) in the fetch's own
transaction, and no archived file is ever rewritten."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import responses
from sqlalchemy import select
from sqlalchemy.orm import Session

from fetch_fakes import LISTING, Site, listing_html, make_fetcher, registered, R1, R2
from monitor.captures import record_capture
from monitor.fetching import new_cycle, poll_source
from monitor.models.archive import CaptureRow
from monitor.store import ensure_source

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
DAY = timedelta(days=1)


@pytest.fixture
def site():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield Site(rsps)


def poll(session, archive, now):
    return poll_source(
        session, archive, make_fetcher()[0], registered(), now=now, cycle=new_cycle(now)
    )


def capture_files(archive, sha=None):
    base = archive.root / "captures"
    files = sorted(base.rglob("*.json")) if base.exists() else []
    return [p for p in files if sha is None or p.parent.name == sha]


def rows(session, url):
    session.expire_all()
    return [
        (r.sha256, r.http_status, r.seen_count, r.first_seen_at, r.last_seen_at)
        for r in session.scalars(
            select(CaptureRow).where(CaptureRow.url == url).order_by(CaptureRow.id)
        )
    ]


def test_a_page_that_does_not_change_keeps_one_capture_file(session, archive, site):
    site.page(LISTING, listing_html(R1, R2), etag=False)  # no conditional GET: full bodies
    sha = poll(session, archive, T0).runs[0].sha256
    files = capture_files(archive, sha)
    content = [(p, p.read_bytes(), p.stat().st_mtime_ns) for p in files]
    for day in (1, 2, 3):
        assert poll(session, archive, T0 + day * DAY).runs[0].outcome == "unchanged"
    assert capture_files(archive, sha) == files and len(files) == 1
    assert [(p, p.read_bytes(), p.stat().st_mtime_ns) for p in files] == content  # untouched
    assert rows(session, LISTING) == [(sha, 200, 4, T0, T0 + 3 * DAY)]


def test_a_new_body_or_status_is_a_new_capture_and_a_return_is_one_too(session, archive, site):
    site.page(LISTING, listing_html(R1), etag=False)
    a = poll(session, archive, T0).runs[0].sha256
    site.page(LISTING, listing_html(R1, R2), etag=False)
    b = poll(session, archive, T0 + DAY).runs[0].sha256
    site.page(LISTING, listing_html(R1), etag=False)
    poll(session, archive, T0 + 2 * DAY)  # back to the first body
    site.page(LISTING, listing_html(R1), etag=False, status=203)  # same body, another status
    poll(session, archive, T0 + 3 * DAY)
    poll(session, archive, T0 + 4 * DAY)
    assert [(s, st, n) for s, st, n, _f, _l in rows(session, LISTING)] == [
        (a, 200, 1),
        (b, 200, 1),
        (a, 200, 1),
        (a, 203, 2),
    ]
    assert len(capture_files(archive, a)) == 3 and len(capture_files(archive, b)) == 1


def test_a_rolled_back_fetch_counts_nothing(engine, archive, site):
    site.page(LISTING, listing_html(R1), etag=False)
    with Session(engine, expire_on_commit=False) as session:
        poll(session, archive, T0)
        session.commit()
    with Session(engine) as session:
        poll(session, archive, T0 + DAY)
        session.rollback()  # the poll's transaction died: its repeat was never counted
    with Session(engine) as session:
        assert [n for _s, _st, n, _f, _l in rows(session, LISTING)] == [1]
        assert len(capture_files(archive)) == 1  # and no second file for the repeat


def test_two_writers_counting_the_same_capture_lose_nothing(engine, archive):
    """The count moves in SQL, not read-modify-write: a writer that read the row before another
    one counted still adds its own fetch on top."""
    from scrapers.source import Source

    src = Source(id="src", agency="DHS", title="S", start_urls=(), allowed_hosts=())
    body = b"<html>same</html>"
    sha = archive.put(body).sha256
    kw = dict(source_id="src", url=LISTING, sha256=sha, http_status=200, headers={})
    with Session(engine, expire_on_commit=False) as session:
        ensure_source(session, src, T0)
        record_capture(session, archive, fetched_at=T0, **kw)
        session.commit()
    with Session(engine, expire_on_commit=False) as first, Session(engine) as second:
        stale = first.scalar(select(CaptureRow))  # read before the other writer counts
        first.commit()
        record_capture(second, archive, fetched_at=T0 + DAY, **kw)
        second.commit()
        assert stale.seen_count == 1  # what the first writer still believes
        record_capture(first, archive, fetched_at=T0 + 2 * DAY, **kw)
        first.commit()
    with Session(engine) as session:
        assert rows(session, LISTING) == [(sha, 200, 3, T0, T0 + 2 * DAY)]


class _HeldArchive:
    """An archive whose capture files are written only when ``release`` is set."""

    def __init__(self, archive) -> None:
        import threading

        self.archive, self.release, self.started = archive, threading.Event(), threading.Event()

    def write_capture(self, *args):
        self.started.set()
        assert self.release.wait(10)
        return self.archive.write_capture(*args)


def test_a_polls_capture_row_is_added_only_once_its_file_is_written(session, archive):
    """Within a poll (``overlapped``) a new capture file is written beside the storing; its row
    follows the file, never precedes it, and a second capture of the same URL in the same poll
    counts on the first one's row."""
    import threading

    from monitor.captures import overlapped
    from scrapers.source import Source

    src = Source(id="src", agency="DHS", title="S", start_urls=(), allowed_hosts=())
    ensure_source(session, src, T0)
    sha = archive.put(b"<html>one</html>").sha256
    held = _HeldArchive(archive)
    kw = dict(source_id="src", url=LISTING, sha256=sha, http_status=200, headers={})
    with overlapped(session):
        assert record_capture(session, held, fetched_at=T0, **kw) == (None, True)
        assert held.started.wait(10)
        assert rows(session, LISTING) == [] and capture_files(archive) == []  # file first
        threading.Timer(0.05, held.release.set).start()
        # the same URL again: waits for the first file, adds its row, counts a repeat on it
        row, written = record_capture(session, held, fetched_at=T0 + DAY, **kw)
        assert written is False and row.seen_count == 2
    assert rows(session, LISTING) == [(sha, 200, 2, T0, T0 + DAY)]
    assert len(capture_files(archive, sha)) == 1


def test_a_capture_file_that_cannot_be_written_adds_no_row(session, archive, monkeypatch):
    from monitor.captures import overlapped
    from scrapers.fetch.archive import ArchiveWriteError
    from scrapers.source import Source

    src = Source(id="src", agency="DHS", title="S", start_urls=(), allowed_hosts=())
    ensure_source(session, src, T0)
    sha = archive.put(b"<html>one</html>").sha256

    def refuse(*_args):
        raise ArchiveWriteError("cannot write a capture record: disk full")

    monkeypatch.setattr(archive, "write_capture", refuse)
    kw = dict(source_id="src", url=LISTING, sha256=sha, http_status=200, headers={})
    with pytest.raises(ValueError, match=f"disk full.*{LISTING}"):
        with overlapped(session, lambda exc, url: ValueError(f"{exc} at {url}")):
            record_capture(session, archive, fetched_at=T0, **kw)
    assert rows(session, LISTING) == []
