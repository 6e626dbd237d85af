"""Findings about the monitor's own operation: raised and resolved by the shell, kept apart from
the engine's findings (an evaluation never resolves them), with transitions like any finding."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from findings_kit import OB, SETTINGS, REGISTRY
from monitor.findings_sync import evaluate_and_sync
from monitor.models import FindingRow, FindingTransition
from monitor.operator_findings import (
    OPERATOR,
    raise_operator_finding,
    resolve_operator_finding,
    sync_operator_family,
)

UTC = timezone.utc
T1 = datetime(2022, 9, 1, 12, tzinfo=UTC)
T2 = datetime(2022, 9, 2, 12, tzinfo=UTC)
T3 = datetime(2022, 9, 3, 12, tzinfo=UTC)


def _changes(session, row) -> list[str]:
    return list(
        session.scalars(
            select(FindingTransition.change)
            .where(FindingTransition.finding_id == row.id)
            .order_by(FindingTransition.id)
        )
    )


def test_raise_is_idempotent_and_updates_only_on_change(session):
    row = raise_operator_finding(
        session,
        family="archive",
        subject="sha:ab",
        summary="gone",
        evidence={"sha256": "ab"},
        now=T1,
    )
    assert (row.obligation_id, row.kind, row.state, row.family) == (
        OPERATOR,
        "review",
        "open",
        "archive",
    )
    again = raise_operator_finding(
        session,
        family="archive",
        subject="sha:ab",
        summary="gone",
        evidence={"sha256": "ab"},
        now=T2,
    )
    assert again.id == row.id
    assert _changes(session, row) == ["opened"]
    raise_operator_finding(
        session,
        family="archive",
        subject="sha:ab",
        summary="altered",
        evidence={"sha256": "ab"},
        now=T2,
    )
    assert _changes(session, row) == ["opened", "updated"]


def test_resolve_then_raise_reopens(session):
    row = raise_operator_finding(
        session, family="delivery", subject="slack:C1", summary="x", evidence={}, now=T1
    )
    assert resolve_operator_finding(session, family="delivery", subject="slack:C1", now=T2) is row
    assert row.state == "resolved" and row.resolved_at == T2
    assert resolve_operator_finding(session, family="delivery", subject="slack:C1", now=T2) is None
    raise_operator_finding(
        session, family="delivery", subject="slack:C1", summary="x", evidence={}, now=T3
    )
    assert row.state == "open"
    assert _changes(session, row) == ["opened", "resolved", "reopened"]


def test_people_keep_their_state_when_the_finding_is_raised_again(session):
    row = raise_operator_finding(
        session, family="parsing", subject="s|Medical", summary="x", evidence={}, now=T1
    )
    row.state = "acknowledged"
    raise_operator_finding(
        session, family="parsing", subject="s|Medical", summary="y", evidence={}, now=T2
    )
    assert row.state == "acknowledged" and row.summary == "y"


def test_sync_family_resolves_only_its_own_prefix(session):
    sync_operator_family(
        session, "parsing", {"a|one": ("1", {}), "a|two": ("2", {})}, T1, subject_prefix="a|"
    )
    sync_operator_family(session, "parsing", {"b|one": ("1", {})}, T1, subject_prefix="b|")
    result = sync_operator_family(session, "parsing", {"a|two": ("2", {})}, T2, subject_prefix="a|")
    assert [r.subject for r in result.resolved] == ["a|one"]
    open_subjects = set(
        session.scalars(select(FindingRow.subject).where(FindingRow.state == "open"))
    )
    assert open_subjects == {"a|two", "b|one"}


def test_unknown_family_is_refused(session):
    with pytest.raises(ValueError, match="unknown operator finding family"):
        raise_operator_finding(
            session, family="nope", subject="x", summary="x", evidence={}, now=T1
        )


def test_an_evaluation_never_resolves_operator_findings(session, monkeypatch):
    row = raise_operator_finding(
        session, family="archive", subject="sha:cd", summary="gone", evidence={}, now=T1
    )
    result = evaluate_and_sync(session, SETTINGS, T2, T2, obligations=[OB], registry=REGISTRY)
    assert row not in result.resolved
    assert row.state == "open"
