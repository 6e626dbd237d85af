"""People's decisions survive the engine (both databases): a finding that resolves and reopens
keeps a waiver for the same kind, an acknowledgement within ack_survives_days and a snooze whose
date has not come, and its `reopened` transition says what was kept or dropped."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from findings_kit import OB, at, finding, health, listing, register, run, transitions
from sqlalchemy import select

from monitor.db import make_engine, session_scope
from monitor.findings_actions import acknowledge, snooze, waive
from monitor.findings_sync import sync_findings
from monitor.models import FindingTransition
from monitor.operator_findings import raise_operator_finding, resolve_operator_finding
from rules.findings import Finding

JAN = date(2020, 1, 1)


def _jan(kind: str = "missing") -> Finding:
    return Finding(
        obligation="test_monthly",
        kind=kind,
        family="timeliness",
        severity="high",
        summary=f"January 2020 {kind}",
        period_start=JAN,
        period_end=date(2020, 1, 31),
        due=date(2020, 2, 3),
    )


def _cycle(session, decide, *, resolved_on, reopened_on, kind_after="missing", days=30):
    """Open January's finding, apply ``decide(row)``, resolve it, reopen it; the reopen."""
    sync_findings(session, [_jan()], at(2020, 2, 10))
    decide(finding(session, JAN))
    sync_findings(session, [], resolved_on, ack_survives_days=days)
    assert finding(session, JAN).state == "resolved"
    result = sync_findings(session, [_jan(kind_after)], reopened_on, ack_survives_days=days)
    row = finding(session, JAN)
    (reopened,) = [t for t in result.transitions if t.change == "reopened"]
    assert result.opened == [row] and reopened.from_state == "resolved"
    assert reopened.to_state == row.state
    return row, reopened


def test_a_waiver_survives_a_reopen_with_the_same_kind(session):
    row, t = _cycle(
        session,
        lambda r: waive(session, r.id, reason="shutdown month", by="ben", now=at(2020, 2, 11)),
        resolved_on=at(2020, 2, 12),
        reopened_on=at(2020, 6, 1),
    )
    assert (row.state, row.waived_reason) == ("waived", "shutdown month")
    assert "waiver kept" in t.note and "shutdown month" in t.note


def test_a_waiver_does_not_cover_another_kind(session):
    row, t = _cycle(
        session,
        lambda r: waive(session, r.id, reason="no separations", by="ben", now=at(2020, 2, 11)),
        resolved_on=at(2020, 2, 12),
        reopened_on=at(2020, 2, 13),
        kind_after="late",
    )
    assert (row.state, row.kind, row.waived_reason) == ("open", "late", None)
    assert "waiver not kept" in t.note and "missing" in t.note and "late" in t.note


def test_a_waived_finding_whose_kind_changes_returns_to_open(session):
    sync_findings(session, [_jan("unknown")], at(2020, 2, 10))
    waive(
        session,
        finding(session, JAN).id,
        reason="source down for maintenance",
        by="ben",
        now=at(2020, 2, 11),
    )
    result = sync_findings(session, [_jan("missing")], at(2020, 2, 12))
    row = finding(session, JAN)
    assert (row.state, row.kind, row.waived_reason) == ("open", "missing", None)
    (t,) = result.transitions
    assert (t.change, t.from_state, t.to_state) == ("escalated", "waived", "open")
    assert "waiver not kept" in t.note


@pytest.mark.parametrize("gap_days,kept", [(0, True), (29, True), (30, False), (45, False)])
def test_an_acknowledgement_survives_a_reopen_within_the_setting(session, gap_days, kept):
    resolved = at(2020, 2, 12)
    row, t = _cycle(
        session,
        lambda r: acknowledge(session, r.id, by="ana", note="asked HHS", now=at(2020, 2, 11)),
        resolved_on=resolved,
        reopened_on=resolved + timedelta(days=gap_days),
    )
    assert row.state == ("acknowledged" if kept else "open")
    assert t.note.startswith("acknowledgement kept" if kept else "acknowledgement not kept")
    assert "ack_survives_days=30" in t.note


def test_ack_survives_days_zero_never_keeps_an_acknowledgement(session):
    row, t = _cycle(
        session,
        lambda r: acknowledge(session, r.id, by="ana", now=at(2020, 2, 11)),
        resolved_on=at(2020, 2, 12),
        reopened_on=at(2020, 2, 12),
        days=0,
    )
    assert row.state == "open" and "not kept" in t.note


@pytest.mark.parametrize(
    "reopened_on,kept", [(at(2020, 2, 19), True), (at(2020, 2, 20, 13), False)]
)
def test_a_snooze_survives_a_reopen_until_its_date(session, reopened_on, kept):
    row, t = _cycle(
        session,
        lambda r: snooze(session, r.id, until=date(2020, 2, 20), by="cy", now=at(2020, 2, 11)),
        resolved_on=at(2020, 2, 12),
        reopened_on=reopened_on,
    )
    assert (row.state, row.snoozed_until) == (
        ("snoozed", date(2020, 2, 20)) if kept else ("open", None)
    )
    assert t.note.startswith("snooze kept" if kept else "snooze not kept")


def test_a_reopen_without_a_decision_is_open_with_no_note(session):
    row, t = _cycle(
        session, lambda r: None, resolved_on=at(2020, 2, 12), reopened_on=at(2020, 2, 13)
    )
    assert row.state == "open" and t.note is None


def test_every_cycle_is_recorded_in_the_transitions(session):
    sync_findings(session, [_jan()], at(2020, 2, 10))
    waive(session, finding(session, JAN).id, reason="letter", by="ben", now=at(2020, 2, 11))
    for day in (12, 14, 16):
        sync_findings(session, [], at(2020, 2, day))
        sync_findings(session, [_jan()], at(2020, 2, day + 1))
    row = finding(session, JAN)
    assert row.state == "waived"
    assert (
        transitions(session, row)
        == [
            ("opened", None, "open", None, "missing"),
            ("waived", "open", "waived", "missing", "missing"),
        ]
        + [
            ("resolved", "waived", "resolved", "missing", "missing"),
            ("reopened", "resolved", "waived", "missing", "missing"),
        ]
        * 3
    )


def test_operator_findings_keep_decisions_the_same_way(session):
    kw = dict(family="archive", subject="sha:ab", summary="body altered", evidence={"sha": "ab"})
    row = raise_operator_finding(session, now=at(2020, 2, 10), **kw)
    acknowledge(session, row.id, by="ops", now=at(2020, 2, 11))
    resolve_operator_finding(session, family="archive", subject="sha:ab", now=at(2020, 2, 12))
    raise_operator_finding(session, now=at(2020, 2, 13), **kw)
    assert row.state == "acknowledged"
    t = session.scalars(
        select(FindingTransition)
        .where(FindingTransition.finding_id == row.id)
        .order_by(FindingTransition.id.desc())
    ).first()
    assert (t.change, t.to_state) == ("reopened", "acknowledged")


def test_the_cli_never_erases_decisions_when_evaluating_an_earlier_date(
    cli_db, db_url, archive, monkeypatch, registries
):
    """The probe of the issue: `evaluate --as-of 2020-01-01` then `evaluate` (whether the first
    is a dry run or writes a resolve) leaves people's decisions where they were."""
    register(registries)
    registries.obligations = [OB]
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        health(session, "healthy", at(2019, 12, 1), at(2019, 12, 1))
        listing(session, archive, at(2019, 12, 1), [])
        run(session, at(2020, 4, 5))
    assert cli_db("evaluate", "--as-of", "2020-04-10", "--write")[0] == 0
    with session_scope(engine) as session:
        jan, feb, mar = (finding(session, date(2020, m, 1)) for m in (1, 2, 3))
        acknowledge(session, jan.id, by="ana", now=at(2020, 4, 11))
        waive(session, feb.id, reason="shutdown month", by="ben", now=at(2020, 4, 11))
        snooze(session, mar.id, until=date(2099, 1, 1), by="cy", now=at(2020, 4, 11))
    rc, _, err = cli_db("evaluate", "--as-of", "2020-01-01", "--write")
    assert rc == 0, err
    rc, _, err = cli_db("evaluate", "--as-of", "2020-04-12", "--write")
    assert rc == 0, err
    with session_scope(engine) as session:
        states = [finding(session, date(2020, m, 1)) for m in (1, 2, 3)]
        assert [(r.state, r.waived_reason, r.snoozed_until) for r in states] == [
            ("acknowledged", None, None),
            ("waived", "shutdown month", None),
            ("snoozed", None, date(2099, 1, 1)),
        ]
    engine.dispose()
