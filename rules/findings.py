"""What the engine says about an obligation: one :class:`Finding` per problem, with its evidence.

A finding is identified by a stable key built from (obligation, family, period, subject), never
from its kind: when a missing report is finally published late, the same finding changes kind
from ``missing`` to ``late`` instead of one closing and another opening. Families group the kinds
that can replace one another.

Evidence is plain JSON-able data and depends only on the facts, never on the evaluation time, so
re-evaluating with nothing new produces identical findings (and the shell writes nothing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping

from scrapers.vocabulary import FindingKind, values

# kind -> family. `unknown` appears in several families: it stands in for the kind that could
# not be judged (absence while a source is broken; content of an unreadable document; an
# obligation no public source can show).
KINDS = values(FindingKind)
# The kind of findings the shell raises about its own operation (monitor/operator_findings.py):
# not the engine's, so not in KINDS; their families are not in FAMILIES either.
OPERATOR_KIND = "review"
FAMILIES = ("timeliness", "content", "revision", "removal", "anomaly", "review", "publication")
FAMILY_KINDS = {
    "timeliness": ("missing", "late", "unknown", "review"),
    "content": ("incomplete", "unknown"),
    "revision": ("revised",),
    "removal": ("removed",),
    "anomaly": ("anomaly",),
    "review": ("unknown",),
    "publication": ("not_public",),
}
SEVERITIES = ("high", "medium", "low")

# Order used to tell an escalation from a de-escalation when a finding changes kind.
KIND_RANK = {
    "unknown": 0,
    "revised": 1,
    "anomaly": 1,
    "removed": 2,
    "incomplete": 2,
    "late": 3,
    "missing": 4,
    OPERATOR_KIND: 0,
    "not_public": 3,
}


@dataclass(frozen=True, slots=True)
class Finding:
    obligation: str
    kind: str
    family: str
    severity: str
    summary: str
    period_start: date | None = None
    period_end: date | None = None
    subject: str = ""  # report URL or comparison id for per-report findings; "" per period
    due: date | None = None
    deadline: datetime | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in FAMILY_KINDS.get(self.family, ()):
            raise ValueError(f"kind {self.kind!r} does not belong to family {self.family!r}")

    @property
    def key_text(self) -> str:
        start = self.period_start.isoformat() if self.period_start else ""
        end = self.period_end.isoformat() if self.period_end else ""
        return f"{self.obligation}|{self.family}|{start}|{end}|{self.subject}"

    @property
    def key(self) -> str:
        """Stable identity across evaluations (sha256 of :attr:`key_text`)."""
        return hashlib.sha256(self.key_text.encode("utf-8")).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "obligation": self.obligation,
            "kind": self.kind,
            "family": self.family,
            "severity": self.severity,
            "summary": self.summary,
            "period_start": _iso(self.period_start),
            "period_end": _iso(self.period_end),
            "subject": self.subject,
            "due": _iso(self.due),
            "deadline": _iso(self.deadline),
            "evidence": plain(self.evidence),
        }


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def plain(value: Any) -> Any:
    """``value`` with dates as ISO strings and tuples as lists: what JSON storage returns."""
    kind = type(value)  # the common types first, without the costlier isinstance checks
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is dict:
        return {str(k): plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
