"""What people do with findings (acknowledge, snooze, waive) and the manual evidence they record.

Each action is checked against the finding's state, written as a transition (so delivery can
announce it) and kept in the audit log with who, when and why. Mistakes are one-line errors:
an unknown finding or obligation, a snooze date in the past, an empty reason.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from monitor.errors import MonitorError, NotFound
from monitor.findings_sync import SyncResult, record_transition
from monitor.models import AuditEntry, FindingRow, ManualEvidence
from rules.calendar import eastern_date


class InvalidAction(MonitorError):
    """The action does not apply to the finding in its current state, or its input is wrong."""


# state -> actions allowed from it
ALLOWED = {
    "open": {"acknowledge", "snooze", "waive"},
    "acknowledged": {"snooze", "waive"},
    "snoozed": {"acknowledge", "snooze", "waive"},
    "waived": set(),
    "resolved": set(),
}


def _who(by: str) -> str:
    by = (by or "").strip()
    if not by:
        raise InvalidAction("--by NAME is required: every decision is recorded with who made it")
    return by


def _finding(session: Session, finding_id: int, action: str) -> FindingRow:
    row = session.get(FindingRow, finding_id)
    if row is None:
        raise NotFound(f"no finding with id {finding_id} (see `monitor findings`)")
    if action not in ALLOWED[row.state]:
        done = {"acknowledge": "acknowledged", "snooze": "snoozed", "waive": "waived"}[action]
        if done == row.state:
            raise InvalidAction(f"finding {finding_id} is already {row.state}")
        raise InvalidAction(f"finding {finding_id} is {row.state}: it cannot be {done}")
    return row


def _audit(
    session: Session,
    now: datetime,
    by: str,
    action: str,
    target: str,
    note: str | None,
    details: dict,
) -> None:
    session.add(
        AuditEntry(at=now, actor=by, action=action, target=target, note=note, details=details)
    )


def _decide(
    session: Session,
    finding_id: int,
    action: str,
    *,
    by: str,
    now: datetime,
    state: str,
    change: str,
    note: str | None,
    details: dict | None = None,
    transition_note: str | None = None,
    **fields,
) -> FindingRow:
    """A person's decision: set the state, then write its transition and its audit entry
    together, so neither can exist without the other. The audit keeps the person's own note;
    the transition may carry a fuller one (``transition_note``)."""
    by = _who(by)
    row = _finding(session, finding_id, action)
    old = row.state
    row.state = state
    for name, value in fields.items():
        setattr(row, name, value)
    record_transition(
        session,
        SyncResult(),
        row,
        change,
        now,
        from_state=old,
        from_kind=row.kind,
        actor=by,
        note=transition_note or note,
    )
    _audit(
        session,
        now,
        by,
        action,
        f"finding:{row.id}",
        note,
        {"from_state": old, "kind": row.kind, "key": row.key, **(details or {})},
    )
    session.flush()
    return row


def acknowledge(
    session: Session, finding_id: int, *, by: str, now: datetime, note: str | None = None
) -> FindingRow:
    return _decide(
        session,
        finding_id,
        "acknowledge",
        by=by,
        now=now,
        state="acknowledged",
        change="acknowledged",
        note=note,
        snoozed_until=None,
    )


def snooze(
    session: Session,
    finding_id: int,
    *,
    until: date,
    by: str,
    now: datetime,
    note: str | None = None,
) -> FindingRow:
    if until <= eastern_date(now):
        raise InvalidAction(f"--until {until} is not in the future")
    return _decide(
        session,
        finding_id,
        "snooze",
        by=by,
        now=now,
        state="snoozed",
        change="snoozed",
        note=note,
        transition_note=note or f"until {until}",
        details={"until": until.isoformat()},
        snoozed_until=until,
    )


def waive(session: Session, finding_id: int, *, reason: str, by: str, now: datetime) -> FindingRow:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidAction("--reason TEXT is required to waive a finding")
    return _decide(
        session,
        finding_id,
        "waive",
        by=by,
        now=now,
        state="waived",
        change="waived",
        note=reason,
        waived_reason=reason,
        snoozed_until=None,
    )


def record_evidence(
    session: Session,
    obligations,
    obligation_id: str,
    *,
    by: str,
    on: date,
    note: str,
    now: datetime,
    period: str | None = None,
    report_id: int | None = None,
    details: dict | None = None,
) -> ManualEvidence:
    """Manual evidence for ``obligation_id``: something happened on ``on`` (a publication, a
    notice, a review). ``period`` (2020-01, FY2021, a range) ties it to one period of a periodic
    obligation; without it, it applies to one-time and reviewed obligations."""
    from rules.periods import PeriodError, parse_period

    by = _who(by)
    note = (note or "").strip()
    if not note:
        raise InvalidAction("--note TEXT is required: say what the evidence is and where it is")
    known = {ob.id: ob for ob in obligations}
    if obligation_id not in known:
        raise NotFound(f"no obligation {obligation_id!r}; known: {', '.join(sorted(known))}")
    if on > eastern_date(now):
        raise InvalidAction(f"--date {on} is in the future")
    start = end = None
    if period is not None:
        try:
            p = parse_period(period)
        except PeriodError as exc:
            raise InvalidAction(f"--period: {exc}") from None
        start, end = p.start, p.end
    elif known[obligation_id].cadence.kind in ("monthly", "fiscal_year"):
        raise InvalidAction(
            f"{obligation_id} is periodic: say which period with --period (e.g. 2020-01)"
        )
    row = ManualEvidence(
        obligation_id=obligation_id,
        period_start=start,
        period_end=end,
        evidence_date=on,
        note=note,
        recorded_by=by,
        recorded_at=now,
        report_id=report_id,
    )
    session.add(row)
    session.flush()
    _audit(
        session,
        now,
        by,
        "evidence",
        f"obligation:{obligation_id}",
        note,
        {
            "evidence_id": row.id,
            "date": on.isoformat(),
            "period": period,
            **({"report_id": report_id} if report_id is not None else {}),
            **(details or {}),
        },
    )
    session.flush()
    return row
