"""Evaluating as of the past is a look back, not a new state (both databases): `evaluate --as-of`
a date before today and `run --once --as-of` write nothing unless --write is given, say so, and
alternating past and present evaluations leave the stored findings where they are."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
import responses
from findings_kit import OB, at, health, listing, register, run
from sqlalchemy import func, select

from monitor.as_of import is_past, writes_findings
from monitor.db import make_engine, session_scope
from monitor.models import FindingRow, FindingTransition, OutboxMessage

UTC = timezone.utc


def _seed(db_url, archive, monkeypatch, registries):
    register(registries)
    registries.obligations = [OB]
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        health(session, "healthy", at(2019, 12, 1), at(2019, 12, 1))
        listing(session, archive, at(2019, 12, 1), [])
        for when in (at(2020, 3, 5), at(2020, 4, 5)):
            run(session, when)
    return engine


def _stored(engine):
    with session_scope(engine) as session:
        rows = session.execute(
            select(FindingRow.period_start, FindingRow.kind, FindingRow.state).order_by(
                FindingRow.period_start, FindingRow.id
            )
        ).all()
        return (
            [tuple(r) for r in rows],
            session.scalar(select(func.count()).select_from(FindingTransition)),
            session.scalar(select(func.count()).select_from(OutboxMessage)),
        )


def test_is_past_is_a_day_before_today_in_washington_or_a_time_before_now():
    now = datetime(2026, 11, 30, 15, tzinfo=UTC)  # 10:00 in Washington
    assert is_past(date(2026, 11, 29), now) and not is_past(date(2026, 11, 30), now)
    assert not is_past(None, now) and not is_past(date(2026, 12, 1), now)
    assert is_past(now - timedelta(minutes=1), now) and not is_past(now, now)
    # 03:00 UTC on the 30th is still the 29th in Washington: "today" is Washington's
    assert not is_past(date(2026, 11, 29), datetime(2026, 11, 30, 3, tzinfo=UTC))
    assert writes_findings(date(2020, 1, 1), now, None) is False
    assert writes_findings(date(2020, 1, 1), now, True) is True
    assert writes_findings(None, now, None) is True


def test_evaluate_as_of_the_past_is_a_dry_run_unless_write(
    cli_db, db_url, archive, monkeypatch, registries
):
    engine = _seed(db_url, archive, monkeypatch, registries)
    rc, out, err = cli_db("evaluate", "--as-of", "2020-03-10")
    assert rc == 0, err
    assert "would open 3" in out  # December to February missing
    assert out.strip().splitlines()[-1] == (
        "dry run: --as-of 2020-03-10 is in the past, so nothing was written "
        "(add --write to record these findings)"
    )
    assert _stored(engine) == ([], 0, 0)
    rc, out, err = cli_db("evaluate", "--as-of", "2020-03-10", "--json")
    assert rc == 0 and len(json.loads(out)) == 3  # the JSON stays one document
    assert "dry run: --as-of 2020-03-10 is in the past" in err
    assert _stored(engine) == ([], 0, 0)
    rc, out, err = cli_db("evaluate", "--as-of", "2020-03-10", "--write")
    assert rc == 0 and "opened 3" in out and "dry run" not in out + err
    rows, transitions, _ = _stored(engine)
    assert [kind for _p, kind, _s in rows] == ["missing"] * 3 and transitions == 3
    rc, _out, err = cli_db("evaluate", "--as-of", "2020-03-10", "--write", "--dry-run")
    assert rc == 2 and "not allowed with argument" in err
    engine.dispose()


def test_alternating_past_and_present_evaluations_do_not_flip_stored_findings(
    cli_db, db_url, archive, monkeypatch, registries
):
    engine = _seed(db_url, archive, monkeypatch, registries)
    assert cli_db("evaluate")[0] == 0  # now: missing up to March 2020, then unknown (stale)
    present = _stored(engine)
    kinds = {kind for _p, kind, _s in present[0]}
    assert kinds == {"missing", "unknown"} and present[1] == len(present[0])
    for argv in (
        ("--as-of", "2020-03-10"),
        (),
        ("--as-of", "2020-01-02"),
        (),
        ("--as-of", "2020-04-10", "--json"),
        (),
    ):
        rc, _out, err = cli_db("evaluate", *argv)
        assert rc == 0, err
        assert _stored(engine) == present  # no resolve, no reopen, no alert
    engine.dispose()


def test_run_once_as_of_the_past_is_a_dry_run_unless_write(cli_db, db_url, monkeypatch):
    monkeypatch.setenv("MONITOR_HTTP_RETRIES", "0")
    monkeypatch.setenv("MONITOR_WATCH_FROM", "2022-01-01")
    engine = make_engine(db_url)
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # offline: every source fails
        rc, out, err = cli_db("run", "--once", "--as-of", "2022-06-30")
        assert rc == 1 and "Traceback" not in err
        assert "would open" in out and "dry run: --as-of 2022-06-30 is in the past" in out
        assert _stored(engine)[:2] == ([], 0)
        rc, out, err = cli_db("run", "--once", "--all", "--as-of", "2022-06-30", "--json")
        data = json.loads(out)
        assert data["findings_written"] is False and data["findings"]["opened"]
        assert _stored(engine)[:2] == ([], 0)
        rc, out, err = cli_db(
            "run", "--once", "--all", "--as-of", "2022-06-30", "--write", "--json"
        )
        data = json.loads(out)
        assert data["findings_written"] is True
        opened = data["findings"]["opened"]
        assert opened and {f["kind"] for f in opened} == {"unknown"}
        assert len(_stored(engine)[0]) == len(opened)
    engine.dispose()


# --- the future: always a preview, never written -------------------------------------------------


def test_is_future_is_a_day_after_today_in_washington_or_a_time_after_now():
    from monitor.as_of import FutureWrite, is_future, refuse_future_write

    now = datetime(2026, 11, 30, 15, tzinfo=UTC)  # 10:00 in Washington
    assert is_future(date(2026, 12, 1), now) and not is_future(date(2026, 11, 30), now)
    assert not is_future(None, now) and not is_future(date(2026, 11, 29), now)
    assert is_future(now + timedelta(minutes=1), now) and not is_future(now, now)
    # 03:00 UTC on the 30th is still the 29th in Washington: the 30th is tomorrow there
    assert is_future(date(2026, 11, 30), datetime(2026, 11, 30, 3, tzinfo=UTC))
    assert writes_findings(date(2027, 1, 1), now, None) is False  # a preview
    assert writes_findings(date(2026, 11, 30), now, None) is True  # today: as of now
    with pytest.raises(FutureWrite, match="in the future"):
        writes_findings(date(2027, 1, 1), now, True)
    with pytest.raises(FutureWrite):
        refuse_future_write(now + timedelta(hours=1), now, True)
    refuse_future_write(date(2020, 1, 1), now, True)  # the past may be written on purpose
    refuse_future_write(date(2027, 1, 1), now, None)  # a preview is fine


def _future() -> str:
    return (datetime.now(UTC).date() + timedelta(days=400)).isoformat()


def test_evaluate_as_of_the_future_is_a_preview_and_write_is_refused(
    cli_db, db_url, archive, monkeypatch, registries
):
    engine = _seed(db_url, archive, monkeypatch, registries)
    future = _future()
    rc, out, err = cli_db("evaluate", "--as-of", future)
    assert rc == 0, err
    assert "would open" in out and "opened" not in out.replace("would open", "")
    assert out.strip().splitlines()[-1] == (
        f"dry run: --as-of {future} is in the future, so nothing was written (a preview: "
        "deadlines after today have not passed yet)"
    )
    assert _stored(engine) == ([], 0, 0)
    rc, out, err = cli_db("evaluate", "--as-of", future, "--json")
    assert rc == 0 and json.loads(out) and "is in the future" in err
    assert _stored(engine) == ([], 0, 0)
    rc, out, err = cli_db("evaluate", "--as-of", future, "--write")
    assert rc == 1 and out == ""
    assert err.strip() == (
        f"error: --write cannot record findings as of {future}, which is in "
        "the future: drop --write to preview them"
    )
    assert _stored(engine) == ([], 0, 0)
    # what a preview showed is not what the present records: now writes as before
    assert cli_db("evaluate")[0] == 0 and _stored(engine)[1] > 0
    engine.dispose()


def test_run_once_as_of_the_future_previews_and_refuses_write_before_fetching(
    cli_db, db_url, monkeypatch
):
    from monitor.models import FetchRun

    monkeypatch.setenv("MONITOR_HTTP_RETRIES", "0")
    monkeypatch.setenv("MONITOR_WATCH_FROM", "2022-01-01")
    engine = make_engine(db_url)
    future = _future()

    def fetch_runs():
        with session_scope(engine) as session:
            return session.scalar(select(func.count()).select_from(FetchRun))

    with responses.RequestsMock(assert_all_requests_are_fired=False):  # offline: every source fails
        rc, out, err = cli_db("run", "--once", "--all", "--as-of", future, "--write")
        assert rc == 1 and "in the future" in err and "Traceback" not in err
        assert fetch_runs() == 0  # refused before a single request
        rc, out, err = cli_db("run", "--once", "--all", "--as-of", future, "--json")
        data = json.loads(out)
        assert data["findings_written"] is False and data["findings"]["opened"]
        assert _stored(engine)[:2] == ([], 0) and fetch_runs() > 0  # the polls are stored
        rc, out, err = cli_db("run", "--once", "--all", "--as-of", future)
        assert f"dry run: --as-of {future} is in the future" in out
        assert _stored(engine)[:2] == ([], 0)
    engine.dispose()
