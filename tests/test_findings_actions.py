"""People's actions on findings, on both databases: allowed from the right states only, each one a
transition and an audit-log entry with who, when and why."""

from __future__ import annotations

from datetime import date

import pytest
from findings_kit import OB, SETTINGS, at, count, finding, health, listing, REGISTRY, run
from sqlalchemy import select

from monitor.errors import MonitorError, NotFound
from monitor.findings_actions import InvalidAction, acknowledge, record_evidence, snooze, waive
from monitor.findings_sync import evaluate_and_sync
from monitor.models import AuditEntry, FindingTransition, ManualEvidence

JAN = date(2020, 1, 1)


@pytest.fixture
def row(session, archive, monkeypatch):
    health(session, "healthy", at(2019, 12, 1), at(2019, 12, 1))
    listing(session, archive, at(2019, 12, 1), [])
    run(session, at(2020, 2, 10))
    evaluate_and_sync(
        session,
        SETTINGS,
        at(2020, 2, 10, 18),
        at(2020, 2, 10, 18),
        obligations=[OB],
        registry=REGISTRY,
    )
    return finding(session, JAN)


def _audit(session):
    return [
        (a.actor, a.action, a.target, a.note)
        for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    ]


def test_each_action_is_a_transition_and_an_audit_entry(session, row):
    acknowledge(session, row.id, by="ana", note="asked HHS", now=at(2020, 2, 11))
    snooze(session, row.id, until=date(2020, 3, 1), by="ben", now=at(2020, 2, 12))
    waive(session, row.id, reason="data month had no separations", by="cy", now=at(2020, 2, 13))
    assert _audit(session) == [
        ("ana", "acknowledge", f"finding:{row.id}", "asked HHS"),
        ("ben", "snooze", f"finding:{row.id}", None),
        ("cy", "waive", f"finding:{row.id}", "data month had no separations"),
    ]
    people = [
        (t.change, t.from_state, t.to_state, t.actor)
        for t in session.scalars(
            select(FindingTransition)
            .where(FindingTransition.actor.is_not(None))
            .order_by(FindingTransition.id)
        )
    ]
    assert people == [
        ("acknowledged", "open", "acknowledged", "ana"),
        ("snoozed", "acknowledged", "snoozed", "ben"),
        ("waived", "snoozed", "waived", "cy"),
    ]
    assert row.waived_reason == "data month had no separations" and row.snoozed_until is None
    audit = session.scalars(select(AuditEntry)).first()
    assert audit.at == at(2020, 2, 11) and audit.details["key"] == row.key


@pytest.mark.parametrize("action", ["ack", "snooze", "waive"])
def test_actions_on_a_waived_finding_are_refused(session, row, action):
    waive(session, row.id, reason="r", by="cy", now=at(2020, 2, 13))
    before = count(session, AuditEntry)
    with pytest.raises(InvalidAction, match="waived"):
        if action == "ack":
            acknowledge(session, row.id, by="a", now=at(2020, 2, 14))
        elif action == "snooze":
            snooze(session, row.id, until=date(2020, 3, 1), by="a", now=at(2020, 2, 14))
        else:
            waive(session, row.id, reason="again", by="a", now=at(2020, 2, 14))
    assert count(session, AuditEntry) == before


def test_bad_input_is_a_clear_error(session, row):
    with pytest.raises(NotFound, match="no finding with id 9999"):
        acknowledge(session, 9999, by="ana", now=at(2020, 2, 11))
    with pytest.raises(InvalidAction, match="--by"):
        acknowledge(session, row.id, by="  ", now=at(2020, 2, 11))
    with pytest.raises(InvalidAction, match="not in the future"):
        snooze(session, row.id, until=date(2020, 2, 11), by="ana", now=at(2020, 2, 11))
    with pytest.raises(InvalidAction, match="--reason"):
        waive(session, row.id, reason="", by="ana", now=at(2020, 2, 11))
    acknowledge(session, row.id, by="ana", now=at(2020, 2, 11))
    with pytest.raises(InvalidAction, match="already acknowledged"):
        acknowledge(session, row.id, by="ana", now=at(2020, 2, 11))
    assert all(issubclass(e, MonitorError) for e in (NotFound, InvalidAction))


def test_manual_evidence_is_validated_and_audited(session, row):
    with pytest.raises(NotFound, match="no obligation 'nope'"):
        record_evidence(
            session, [OB], "nope", by="a", on=date(2020, 2, 1), note="n", now=at(2020, 2, 11)
        )
    with pytest.raises(InvalidAction, match="--period"):
        record_evidence(
            session, [OB], OB.id, by="a", on=date(2020, 2, 1), note="n", now=at(2020, 2, 11)
        )
    with pytest.raises(InvalidAction, match="not a period"):
        record_evidence(
            session,
            [OB],
            OB.id,
            by="a",
            on=date(2020, 2, 1),
            note="n",
            now=at(2020, 2, 11),
            period="January",
        )
    with pytest.raises(InvalidAction, match="future"):
        record_evidence(
            session,
            [OB],
            OB.id,
            by="a",
            on=date(2020, 3, 1),
            note="n",
            now=at(2020, 2, 11),
            period="2020-01",
        )
    assert count(session, ManualEvidence) == 0
    entry = record_evidence(
        session,
        [OB],
        OB.id,
        by="ana",
        on=date(2020, 2, 1),
        note="emailed to the committees",
        now=at(2020, 2, 11),
        period="2020-01",
    )
    assert (entry.period_start, entry.period_end) == (date(2020, 1, 1), date(2020, 1, 31))
    assert _audit(session)[-1] == (
        "ana",
        "evidence",
        f"obligation:{OB.id}",
        "emailed to the committees",
    )
