"""How findings are shown: the JSON shape of `monitor evaluate --json` / `monitor findings --json`
and the aligned table people read."""

from __future__ import annotations

from typing import Any, Iterable

from monitor.models import FindingRow


def finding_json(row: FindingRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "key": row.key,
        "obligation": row.obligation_id,
        "kind": row.kind,
        "state": row.state,
        "severity": row.severity,
        "family": row.family,
        "period_start": row.period_start,
        "period_end": row.period_end,
        "due": row.due,
        "deadline": row.deadline_at,
        "subject": row.subject or None,
        "summary": row.summary,
        "snoozed_until": row.snoozed_until,
        "waived_reason": row.waived_reason,
        "first_detected_at": row.first_detected_at,
        "changed_at": row.changed_at,
        "resolved_at": row.resolved_at,
        "evidence": row.evidence,
    }


def _period(row: FindingRow) -> str:
    if row.period_start is None:
        return ""
    if row.period_end is None:
        return f"from {row.period_start}"
    from rules.periods import Period

    return Period(row.period_start, row.period_end).label


def print_findings(rows: Iterable[FindingRow], as_json: bool) -> None:
    from monitor.output import print_json, print_table

    rows = list(rows)
    if as_json:
        print_json([finding_json(r) for r in rows])
        return
    if not rows:
        print("no findings")
        return
    print_table(
        [
            (r.id, r.state, r.kind, r.severity, r.obligation_id, _period(r), r.due, r.summary[:110])
            for r in rows
        ],
        ["id", "state", "kind", "severity", "obligation", "period", "due", "summary"],
    )


def order(rows: Iterable[FindingRow]) -> list[FindingRow]:
    from datetime import date

    return sorted(
        rows, key=lambda r: (r.obligation_id, r.period_start or date.min, r.family, r.subject, r.id)
    )


def finding_story(session, finding_id: int) -> dict[str, Any]:
    """One finding whole: its fields and evidence, its transitions and its audit entries."""
    from sqlalchemy import select

    from monitor.errors import NotFound
    from monitor.models import AuditEntry, FindingTransition

    row = session.get(FindingRow, finding_id)
    if row is None:
        raise NotFound(f"no finding with id {finding_id} (see `monitor findings`)")
    story = finding_json(row)
    story["transitions"] = [
        {
            "id": t.id,
            "change": t.change,
            "from_state": t.from_state,
            "to_state": t.to_state,
            "from_kind": t.from_kind,
            "to_kind": t.to_kind,
            "detected_at": t.detected_at,
            "effective_at": t.effective_at,
            "actor": t.actor,
            "note": t.note,
            "evidence": t.evidence,
        }
        for t in session.scalars(
            select(FindingTransition)
            .where(FindingTransition.finding_id == row.id)
            .order_by(FindingTransition.id)
        )
    ]
    story["audit"] = [
        {
            "id": a.id,
            "at": a.at,
            "actor": a.actor,
            "action": a.action,
            "target": a.target,
            "note": a.note,
            "details": a.details,
        }
        for a in session.scalars(
            select(AuditEntry)
            .where(AuditEntry.target == f"finding:{row.id}")
            .order_by(AuditEntry.id)
        )
    ]
    return story


def flatten(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every leaf of nested evidence as (dotted path, value): lists as [i], nothing dropped."""
    if isinstance(value, dict):
        if not value:
            return [(path, {})] if path else []
        return [
            pair
            for key, item in value.items()
            for pair in flatten(item, f"{path}.{key}" if path else str(key))
        ]
    if isinstance(value, (list, tuple)):
        if not value:
            return [(path, [])]
        return [pair for i, item in enumerate(value) for pair in flatten(item, f"{path}[{i}]")]
    return [(path, value)]


def _text(value: Any) -> str:
    from datetime import date, datetime

    if value is None:
        return "-"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def print_story(story: dict[str, Any]) -> None:
    """`monitor findings show`: nothing truncated."""
    print(
        f"Finding #{story['id']}: {story['kind']} ({story['state']}, severity {story['severity']})"
    )
    for label, key in (
        ("obligation", "obligation"),
        ("family", "family"),
        ("subject", "subject"),
        ("period", "period_start"),
        ("", "period_end"),
        ("due", "due"),
        ("deadline", "deadline"),
        ("first detected", "first_detected_at"),
        ("changed", "changed_at"),
        ("resolved", "resolved_at"),
        ("snoozed until", "snoozed_until"),
        ("waived because", "waived_reason"),
        ("key", "key"),
    ):
        if key == "period_start":
            start, end = story["period_start"], story["period_end"]
            value = f"{_text(start)} .. {_text(end)}" if start or end else None
        elif key == "period_end":
            continue
        else:
            value = story[key]
        if value is not None or key in ("obligation", "family"):
            print(f"  {label + ':':<16}{_text(value)}")
    print("\nSummary")
    print(f"  {story['summary']}")
    print("\nEvidence")
    pairs = flatten(story["evidence"] or {})
    for path, value in pairs:
        print(f"  {path}: {_text(value)}")
    if not pairs:
        print("  (none)")
    print("\nTransitions")
    for t in story["transitions"]:
        kind = (
            t["to_kind"]
            if t["from_kind"] in (None, t["to_kind"])
            else f"{t['from_kind']} -> {t['to_kind']}"
        )
        state = (
            t["to_state"] if t["from_state"] is None else f"{t['from_state']} -> {t['to_state']}"
        )
        line = f"  {_text(t['detected_at'])}  {t['change']:<15} {state} ({kind})"
        line += f"  by {t['actor']}" if t["actor"] else "  by the monitor"
        if t["effective_at"]:
            line += f"; effective {_text(t['effective_at'])}"
        print(line + (f"  note: {t['note']}" if t["note"] else ""))
    if not story["transitions"]:
        print("  (none)")
    print("\nAudit")
    for a in story["audit"]:
        details = ", ".join(f"{k}={_text(v)}" for k, v in (a["details"] or {}).items())
        print(
            f"  {_text(a['at'])}  {a['actor']}  {a['action']}"
            + (f"  note: {a['note']}" if a["note"] else "")
            + (f"  ({details})" if details else "")
        )
    if not story["audit"]:
        print("  (no decisions by people)")
