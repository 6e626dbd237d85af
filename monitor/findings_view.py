"""How findings are shown: the JSON shape of `monitor evaluate --json` / `monitor findings --json`
and the aligned table people read."""

from __future__ import annotations

from typing import Any, Iterable

from monitor.models import FindingRow


def finding_json(row: FindingRow) -> dict[str, Any]:
    return {
        "id": row.id, "key": row.key, "obligation": row.obligation_id, "kind": row.kind,
        "state": row.state, "severity": row.severity, "family": row.family,
        "period_start": row.period_start, "period_end": row.period_end, "due": row.due,
        "deadline": row.deadline_at, "subject": row.subject or None, "summary": row.summary,
        "snoozed_until": row.snoozed_until, "waived_reason": row.waived_reason,
        "first_detected_at": row.first_detected_at, "changed_at": row.changed_at,
        "resolved_at": row.resolved_at, "evidence": row.evidence,
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
    print_table([(r.id, r.state, r.kind, r.severity, r.obligation_id, _period(r), r.due,
                  r.summary[:110]) for r in rows],
                ["id", "state", "kind", "severity", "obligation", "period", "due", "summary"])


def order(rows: Iterable[FindingRow]) -> list[FindingRow]:
    from datetime import date

    return sorted(rows, key=lambda r: (r.obligation_id, r.period_start or date.min, r.family,
                                       r.subject, r.id))
