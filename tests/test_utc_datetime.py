"""Stored instants come back aware (UTC), each distinct stored value made once
(monitor/models/base.py UTCDateTime)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

UTC = timezone.utc
T0 = datetime(2024, 5, 1, 14, 30, 15, 123456, tzinfo=UTC)


def _runs(session, times):
    from monitor.models import FetchRun, SourceRow

    session.add(SourceRow(id="src", agency="DHS", title="src", created_at=T0))
    session.flush()
    session.execute(
        insert(FetchRun),
        [
            dict(source_id="src", url="https://x.example/", started_at=t, outcome="ok")
            for t in times
        ],
    )
    session.flush()


def test_a_stored_instant_reads_back_aware_and_one_object_per_value(session):
    from monitor.models import FetchRun

    times = [T0, T0, T0 + timedelta(hours=1), T0, None]
    _runs(session, times[:-1])
    got = list(session.scalars(select(FetchRun.started_at).order_by(FetchRun.id)))
    assert got == times[:-1]
    assert all(t.tzinfo is UTC for t in got)
    # the rows of one instant share one object (made once); other instants are their own
    assert got[0] is got[1] is got[3]
    assert got[2] is not got[0]
    assert session.scalar(select(FetchRun.finished_at).limit(1)) is None


def test_the_made_instants_are_bounded(monkeypatch):
    from sqlalchemy.dialects import sqlite

    from monitor.models import base

    monkeypatch.setattr(base, "RESULT_CACHE", 3)
    process = base.UTCDateTime()._cached_result_processor(sqlite.dialect(), None)
    first = process("2024-05-01 14:30:15.000000")
    assert first == datetime(2024, 5, 1, 14, 30, 15, tzinfo=UTC)
    assert process("2024-05-01 14:30:15.000000") is first
    for hour in range(3):  # three more values: the fourth distinct value starts again
        process(f"2024-05-01 0{hour}:00:00.000000")
    again = process("2024-05-01 14:30:15.000000")
    assert again == first and again is not first
