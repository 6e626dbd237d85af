"""Below the writer lock, the writes that can race are safe on their own: a source's row and a
snapshot are inserted or ignored (never an IntegrityError that throws away the loser's work) and
the health counter is incremented by the database, so two polls that overlap count two failed
polls and write one event per change of state."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.db import make_engine
from monitor.health import record_poll
from monitor.models import Snapshot, SourceHealth, SourceHealthEvent, SourceRow
from monitor.store import ensure_source, store_snapshot
from monitor.upsert import insert_or_ignore
from scrapers.registry import load_source

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
SOURCE = load_source("dhs_family_unit_actions").source


def test_insert_or_ignore_inserts_once_and_says_so(session):
    row = dict(id="x_source", agency="DHS", title="X", created_at=T0)
    assert insert_or_ignore(session, SourceRow, row) is True
    assert insert_or_ignore(session, SourceRow, dict(row, title="Y")) is False
    assert session.scalar(select(SourceRow.title).where(SourceRow.id == "x_source")) == "X"


def test_a_source_and_snapshot_another_writer_created_first_are_reused(db_url, archive):
    engines = [make_engine(db_url), make_engine(db_url)]
    try:
        first, second = (Session(e, expire_on_commit=False) for e in engines)
        # both look before either writes: neither sees the other's rows
        assert first.get(SourceRow, SOURCE.id) is None and second.get(SourceRow, SOURCE.id) is None
        ensure_source(first, SOURCE, T0)
        snap_a, new_a = store_snapshot(
            first,
            archive,
            source_id=SOURCE.id,
            url="https://x/a.pdf",
            body=b"%PDF-1.4 same",
            fetched_at=T0,
        )
        first.commit()
        ensure_source(second, SOURCE, T0 + timedelta(minutes=1))  # no IntegrityError
        snap_b, new_b = store_snapshot(
            second,
            archive,
            source_id=SOURCE.id,
            url="https://x/a.pdf",
            body=b"%PDF-1.4 same",
            fetched_at=T0 + timedelta(minutes=1),
        )
        second.commit()
        assert (new_a, new_b) == (True, False) and snap_a.id == snap_b.id
        assert second.scalar(select(func.count()).select_from(Snapshot)) == 1
        assert second.get(SourceRow, SOURCE.id).created_at == T0
        first.close(), second.close()
    finally:
        for e in engines:
            e.dispose()


def test_two_overlapping_failed_polls_count_two_and_write_one_event_per_change(db_url):
    setup = make_engine(db_url)
    with Session(setup) as s:
        ensure_source(s, SOURCE, T0)
        record_poll(s, SOURCE.id, failed=False, outcome="ok", error=None, now=T0, broken_after=2)
        s.commit()
    a_wrote, errors = threading.Event(), []

    def poll(delay_commit: bool, at: datetime) -> None:
        engine = make_engine(db_url)
        try:
            with Session(engine) as s:
                s.get(SourceHealth, SOURCE.id)  # read first, as a poll does (health_before)
                if not delay_commit:
                    a_wrote.wait(10)
                record_poll(
                    s,
                    SOURCE.id,
                    failed=True,
                    outcome="blocked",
                    error="denied",
                    now=at,
                    broken_after=2,
                )
                if delay_commit:
                    a_wrote.set()
                    threading.Event().wait(0.4)  # hold the transaction open meanwhile
                s.commit()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [
        threading.Thread(target=poll, args=(True, T0 + timedelta(hours=1))),
        threading.Thread(target=poll, args=(False, T0 + timedelta(hours=1, seconds=1))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with Session(setup) as s:
        row = s.get(SourceHealth, SOURCE.id)
        assert (row.consecutive_failures, row.state) == (2, "broken")
        events = s.execute(
            select(SourceHealthEvent.from_state, SourceHealthEvent.to_state).order_by(
                SourceHealthEvent.id
            )
        ).all()
    setup.dispose()
    assert events == [(None, "healthy"), ("healthy", "failing"), ("failing", "broken")]
