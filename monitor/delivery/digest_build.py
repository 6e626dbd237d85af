"""The weekly compliance digest's content: one ISO week, as the database knew it at its end.

A week is Monday 00:00 to Monday 00:00 in ``digest_timezone``. Every finding is taken in the
state and kind of its last transition before the week ended, so the digest of a week is the same
whenever it is built (a retry on Wednesday sends what Monday would have). Sections:

* newly late or missing: findings that became ``missing`` or ``late`` during the week;
* still missing: reports missing before the week and still missing at its end;
* without the foreign-government statement: unresolved ``incomplete`` findings about it;
* unknown: findings the monitor cannot judge, grouped by obligation and reason, with since when,
  and the sources that were not healthy at the week's end, with since when;
* for a person: operator findings (the monitor's own operation: an unmapped cause label, the
  archive, delivery, credentials, a requirement found in an official text), review findings
  (obligations no public source can show, waiting for manual evidence) and documents proposed
  for an obligation a person must confirm or reject (the HART disclosure), open at the week's
  end, each labelled as Slack labels it (monitor/delivery/labels.py);
* fulfilled this week: reports first seen during the week, and findings resolved in it;
* deadlines in the 14 days after the week;
* figures revised during the week;
* a chart of monthly separations by cause and agency over the last 24 months.

Waived findings are left out (a person decided they are not a problem). The subject counts the
reports missing at the week's end, those that became late during it, and the reports without the
foreign-government statement at its end.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from rules.congress import congress_line
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.delivery.labels import finding_label
from monitor.models import FindingRow, FindingTransition, Report, SourceHealthEvent
from monitor.operator_findings import OPERATOR

DEADLINE_DAYS = 14
NEWS = ("opened", "reopened", "escalated", "changed")
FOREIGN_BASIS = "foreign_government_basis"
REVIEW_FAMILY = "review"  # the engine's findings a person must answer (manual_review)


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> "IsoWeek":
        match = re.fullmatch(r"(\d{4})-W(\d{2})", text.strip())
        if not match:
            raise ValueError(f"{text!r} is not an ISO week (YYYY-Www, e.g. 2023-W03)")
        year, week = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(f"{text!r}: {year} has no week {week}") from None
        return cls(year, week)

    @classmethod
    def containing(cls, day: date) -> "IsoWeek":
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @classmethod
    def previous(cls, now: datetime, tz: str) -> "IsoWeek":
        """The last complete week before ``now`` in ``tz`` (what a Monday digest covers)."""
        return cls.containing(now.astimezone(ZoneInfo(tz)).date() - timedelta(days=7))

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """The week's first and first-after instants, in UTC."""
        zone = ZoneInfo(tz)
        start = datetime.combine(self.monday, time(0), zone)
        end = datetime.combine(self.monday + timedelta(days=7), time(0), zone)
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


@dataclass
class Digest:
    week: IsoWeek
    timezone: str
    start: datetime
    end: datetime
    newly: list[dict] = field(default_factory=list)
    still_missing: list[dict] = field(default_factory=list)
    without_foreign_basis: list[dict] = field(default_factory=list)
    unknown: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    for_a_person: list[dict] = field(default_factory=list)  # operator and review findings
    new_reports: list[dict] = field(default_factory=list)
    resolved: list[dict] = field(default_factory=list)
    deadlines: list[dict] = field(default_factory=list)
    revised: list[dict] = field(default_factory=list)
    chart_png: bytes = b""

    @property
    def missing_count(self) -> int:
        return sum(1 for i in self.newly if i["kind"] == "missing") + len(self.still_missing)

    @property
    def late_count(self) -> int:
        return sum(1 for i in self.newly if i["kind"] == "late")

    @property
    def subject(self) -> str:
        return (
            f"Separation reporting compliance, week {self.week.label}: "
            f"{self.missing_count} missing, {self.late_count} late, "
            f"{len(self.without_foreign_basis)} without foreign-basis statement"
        )

    @property
    def last_day(self) -> date:
        return self.week.monday + timedelta(days=6)


def _evidence_link(ev: dict) -> tuple[str | None, str]:
    report = ev.get("report") or next(iter(ev.get("reports") or []), None) or {}
    if report.get("url"):
        return report["url"], "report"
    listing = next(iter(ev.get("listing_reads") or []), None) or {}
    if listing.get("url"):
        return listing["url"], "listing read"
    citation = ev.get("citation") or {}
    return citation.get("url"), "law"


def _item(row: FindingRow, kind: str, state: str, ev: dict) -> dict[str, Any]:
    url, what = _evidence_link(ev)
    ob = ev.get("obligation") or {}
    return {
        "id": row.id,
        "obligation_id": row.obligation_id,
        "obligation": ob.get("title") or row.obligation_id,
        "agency": ob.get("agency") or "",
        "kind": kind,
        "label": finding_label(kind, row.obligation_id),  # as Slack says it
        "state": state,
        "summary": row.summary,
        "period": (ev.get("period") or {}).get("label") or "",
        "due": row.due.isoformat() if row.due else None,
        "days_late": ev.get("days_late"),
        "url": url,
        "url_label": what,
        "reason": ev.get("reason"),
        "since": row.first_detected_at,
        "quote": ev.get("quote"),
        "page": ev.get("page"),
        "congress": congress_line(ev),
    }


def _for_a_person(row: FindingRow, kind: str | None = None) -> bool:
    """An operator finding, a review finding, or documents proposed for an obligation (kind
    ``review``: a person confirms or rejects them): what a person must look at or answer."""
    return row.obligation_id == OPERATOR or row.family == REVIEW_FAMILY or kind == "review"


def _about_foreign_basis(ev: dict) -> bool:
    items = ev.get("items") or []
    return any(FOREIGN_BASIS in str(i.get("requirement", "")) for i in items if isinstance(i, dict))


def _state_at(session: Session, end: datetime):
    """(finding, its last transition before ``end``) for every finding that existed by then."""
    last = (
        select(FindingTransition.finding_id, func.max(FindingTransition.id).label("tid"))
        .where(FindingTransition.detected_at < end)
        .group_by(FindingTransition.finding_id)
        .subquery()
    )
    return session.execute(
        select(FindingRow, FindingTransition)
        .join(last, last.c.finding_id == FindingRow.id)
        .join(FindingTransition, FindingTransition.id == last.c.tid)
        .order_by(FindingRow.obligation_id, FindingRow.period_start, FindingRow.id)
    ).all()


def _unknown_groups(rows: list[tuple[FindingRow, FindingTransition]]) -> list[dict]:
    groups: dict[tuple, list] = defaultdict(list)
    for row, t in rows:
        ev = t.evidence or row.evidence or {}
        groups[(row.obligation_id, ev.get("reason") or row.summary)].append((row, ev))
    out = []
    for (obligation_id, reason), members in groups.items():
        ev = members[0][1]
        periods = [(e.get("period") or {}).get("label") for _, e in members]
        periods = [p for p in periods if p]
        sources = {
            s.get("source"): s
            for _, e in members
            for s in e.get("sources") or []
            if isinstance(s, dict) and s.get("state") not in (None, "healthy")
        }
        out.append(
            {
                "obligation_id": obligation_id,
                "obligation": (ev.get("obligation") or {}).get("title") or obligation_id,
                "reason": reason,
                "count": len(members),
                "periods": (
                    periods[0]
                    if len(periods) == 1
                    else f"{periods[0]} to {periods[-1]}"
                    if periods
                    else ""
                ),
                "since": min(r.first_detected_at for r, _ in members),
                "ids": [r.id for r, _ in members],
                "url": _evidence_link(ev)[0],
                "url_label": _evidence_link(ev)[1],
                "sources": [
                    {"source": s, "state": v.get("state"), "since": v.get("state_since")}
                    for s, v in sorted(sources.items())
                ],
            }
        )
    return out


def _sources(session: Session, end: datetime) -> list[dict]:
    last = (
        select(SourceHealthEvent.source_id, func.max(SourceHealthEvent.id).label("eid"))
        .where(SourceHealthEvent.at < end)
        .group_by(SourceHealthEvent.source_id)
        .subquery()
    )
    events = session.scalars(
        select(SourceHealthEvent)
        .join(last, last.c.eid == SourceHealthEvent.id)
        .order_by(SourceHealthEvent.source_id)
    )
    return [
        {"source": e.source_id, "state": e.to_state, "since": e.at, "detail": e.detail}
        for e in events
        if e.to_state != "healthy"
    ]


def _deadlines(obligations, first: date, last: date) -> list[dict]:
    from rules.schedule import schedule

    out = []
    for ob in obligations:
        for due in schedule(ob, last):
            if first <= due.due <= last:
                citation = ob.citation(due.citation)
                out.append(
                    {
                        "obligation_id": ob.id,
                        "obligation": ob.title,
                        "agency": ob.agency,
                        "period": due.period.label,
                        "due": due.due.isoformat(),
                        "citation": " ".join(
                            str(x) for x in (citation.public_law, citation.section) if x
                        ),
                        "url": getattr(citation, "url", None),
                    }
                )
    return sorted(out, key=lambda d: (d["due"], d["obligation_id"]))


def build_digest(
    session: Session, week: IsoWeek, *, tz: str, obligations, chart: bool = True
) -> Digest:
    """Everything the digest of ``week`` says, as the database knew it at the week's end."""
    start, end = week.bounds(tz)
    digest = Digest(week=week, timezone=tz, start=start, end=end)
    at_end = [
        (r, t) for r, t in _state_at(session, end) if t.to_state not in ("resolved", "waived")
    ]
    in_week = list(
        session.execute(
            select(FindingRow, FindingTransition)
            .join(FindingTransition, FindingTransition.finding_id == FindingRow.id)
            .where(FindingTransition.detected_at >= start, FindingTransition.detected_at < end)
            .order_by(FindingTransition.id)
        ).all()
    )
    newly_ids = {r.id for r, t in in_week if t.change in NEWS and t.to_kind in ("missing", "late")}
    for row, t in at_end:
        ev = t.evidence or row.evidence or {}
        item = _item(row, t.to_kind, t.to_state, ev)
        if _for_a_person(row, t.to_kind):
            item["family"] = row.family
            if row.obligation_id == OPERATOR:
                item["obligation"], item["agency"] = "the monitor's own operation", row.family
            digest.for_a_person.append(item)
        elif row.id in newly_ids and t.to_kind in ("missing", "late"):
            digest.newly.append(item)
        elif t.to_kind == "missing":
            digest.still_missing.append(item)
        elif t.to_kind == "incomplete" and _about_foreign_basis(ev):
            digest.without_foreign_basis.append(item)
    digest.unknown = _unknown_groups(
        [(r, t) for r, t in at_end if t.to_kind == "unknown" and not _for_a_person(r, t.to_kind)]
    )
    digest.sources = _sources(session, end)
    resolved = {r.id: (r, t) for r, t in in_week if t.change == "resolved"}
    digest.resolved = [
        _item(r, t.to_kind, "resolved", t.evidence or r.evidence or {})
        for r, t in resolved.values()
    ]
    revised = {
        r.id: (r, t)
        for r, t in in_week
        if t.to_kind == "revised" and t.change in NEWS + ("updated",)
    }
    digest.revised = [
        _item(r, "revised", t.to_state, t.evidence or r.evidence or {}) for r, t in revised.values()
    ]
    digest.new_reports = [
        {
            "title": r.title or r.url,
            "url": r.url,
            "source": r.source_id,
            "period": f"{r.period_start}..{r.period_end}" if r.period_start else "",
            "first_seen": r.first_seen,
        }
        for r in session.scalars(
            select(Report)
            .where(Report.first_seen >= start, Report.first_seen < end)
            .order_by(Report.first_seen, Report.id)
        )
    ]
    first = week.monday + timedelta(days=7)
    digest.deadlines = _deadlines(obligations, first, first + timedelta(days=DEADLINE_DAYS - 1))
    if chart:
        from monitor.charts import separations_chart_png

        last_month = (first - timedelta(days=1)).replace(day=1)
        digest.chart_png = separations_chart_png(session, end=last_month)
    return digest
