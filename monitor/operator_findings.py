"""Findings about the monitor's own operation, raised by the shell rather than the rules engine.

The engine judges agencies; some problems are the operator's instead: a cause label the
taxonomy does not know, an archived body that no longer matches its sha256, a Slack channel
that refuses every message, an API key that expired. Each is a finding like any other (same
table, states, transitions, `monitor ack`), so people see it and delivery can announce it, but:

* its ``obligation_id`` is :data:`OPERATOR` and its ``kind`` is ``review``: a person must look;
* it is identified by (family, subject), e.g. ("parsing", "<source>|<label>");
* the engine's sync never touches it (it only syncs the engine's families), so an evaluation
  never resolves it; the code that raised it resolves it when the cause is gone.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.findings_sync import ACK_SURVIVES_DAYS, SyncResult, record_transition, reopen
from monitor.models import FindingRow
from rules.findings import OPERATOR_KIND, plain

OPERATOR = "operator"
KIND = OPERATOR_KIND
# Families of operator findings: what part of the monitor's operation needs a person.
OPERATOR_FAMILIES = (
    "parsing",  # a parse problem people must resolve (an unmapped cause label)
    "archive",  # the evidence archive does not match the database (missing or altered body)
    "delivery",  # Slack or email refuses delivery permanently (dead letter)
    "access",  # a source's credentials are missing, expired or refused
    "discovery",  # an official text imposes a reporting requirement no rule covers yet
)
# Kinds other than ``review`` that a family raises: a new requirement found in an official text
# (monitor/candidates.py) waits for a person's adopt or reject.
FAMILY_KIND = {"discovery": "new_requirement"}


def operator_key_text(family: str, subject: str) -> str:
    return f"{OPERATOR}|{family}|||{subject}"


def _key(family: str, subject: str) -> str:
    return hashlib.sha256(operator_key_text(family, subject).encode("utf-8")).hexdigest()


def _check_family(family: str) -> None:
    if family not in OPERATOR_FAMILIES:
        raise ValueError(
            f"unknown operator finding family {family!r}; known: {', '.join(OPERATOR_FAMILIES)}"
        )


def raise_operator_finding(
    session: Session,
    *,
    family: str,
    subject: str,
    summary: str,
    evidence: Mapping[str, Any],
    now: datetime,
    severity: str = "medium",
    result: SyncResult | None = None,
    ack_survives_days: int = ACK_SURVIVES_DAYS,
) -> FindingRow:
    """Open the operator finding (family, subject), or reopen or update it. Writes a transition
    only when something changed; people's states (acknowledged, snoozed, waived) are kept, across
    a resolve and a reopen too (:func:`monitor.findings_sync.reopen`). Its kind is ``review``,
    or the family's own (:data:`FAMILY_KIND`)."""
    _check_family(family)
    kind = FAMILY_KIND.get(family, KIND)
    result = result if result is not None else SyncResult()
    key = _key(family, subject)
    evidence = plain(dict(evidence))
    row = session.scalar(select(FindingRow).where(FindingRow.key == key))
    if row is None:
        row = FindingRow(
            key=key,
            key_text=operator_key_text(family, subject),
            obligation_id=OPERATOR,
            family=family,
            kind=kind,
            state="open",
            severity=severity,
            subject=subject,
            summary=summary,
            evidence=evidence,
            first_detected_at=now,
            changed_at=now,
        )
        session.add(row)
        session.flush()
        record_transition(session, result, row, "opened", now, from_state=None, from_kind=None)
        result.opened.append(row)
    elif row.state == "resolved":  # people's decisions that still apply are kept
        reopen(
            session,
            result,
            row,
            now,
            values={"summary": summary, "evidence": evidence, "severity": severity},
            ack_survives_days=ack_survives_days,
        )
    elif (row.summary, row.evidence, row.severity) != (summary, evidence, severity):
        row.summary, row.evidence, row.severity = summary, evidence, severity
        record_transition(
            session, result, row, "updated", now, from_state=row.state, from_kind=row.kind
        )
        result.changed.append(row)
    result.findings.append(row)
    session.flush()
    return row


def resolve_operator_finding(
    session: Session,
    *,
    family: str,
    subject: str,
    now: datetime,
    note: str | None = None,
    result: SyncResult | None = None,
) -> FindingRow | None:
    """Resolve the operator finding (family, subject) if it is unresolved; None otherwise."""
    _check_family(family)
    result = result if result is not None else SyncResult()
    row = session.scalar(select(FindingRow).where(FindingRow.key == _key(family, subject)))
    if row is None or row.state == "resolved":
        return None
    old = row.state
    row.state, row.resolved_at = "resolved", now  # the snooze date stays for a reopen
    record_transition(
        session, result, row, "resolved", now, from_state=old, from_kind=row.kind, note=note
    )
    result.resolved.append(row)
    session.flush()
    return row


def sync_operator_family(
    session: Session,
    family: str,
    current: Mapping[str, tuple[str, Mapping[str, Any]]],
    now: datetime,
    *,
    severity: str = "medium",
    subject_prefix: str = "",
) -> SyncResult:
    """Make the family's findings whose subject starts with ``subject_prefix`` exactly
    ``current`` (subject -> (summary, evidence)): raise each, resolve the others. The prefix lets
    one source's parse problems be synced without touching another source's."""
    _check_family(family)
    result = SyncResult()
    for subject, (summary, evidence) in current.items():
        if not subject.startswith(subject_prefix):
            raise ValueError(f"subject {subject!r} does not start with {subject_prefix!r}")
        raise_operator_finding(
            session,
            family=family,
            subject=subject,
            summary=summary,
            evidence=evidence,
            now=now,
            severity=severity,
            result=result,
        )
    rows = session.scalars(
        select(FindingRow).where(
            FindingRow.obligation_id == OPERATOR,
            FindingRow.family == family,
            FindingRow.state != "resolved",
        )
    )
    for row in list(rows):
        if row.subject.startswith(subject_prefix) and row.subject not in current:
            resolve_operator_finding(
                session, family=family, subject=row.subject, now=now, result=result
            )
    return result
