"""The kinds of check an obligation can name in its ``checks:`` list.

A check is one pure function ``(obligation, evaluation) -> iterable of findings``. Adding a kind
of check is adding a function here (and at least one rule case that exercises it).
"""

from __future__ import annotations

from typing import Callable, Iterable

from rules.checks.anomaly import cross_agency_totals, inconsistent_totals
from rules.checks.changes import removed, revised
from rules.checks.content import content
from rules.checks.review import manual_review
from rules.checks.timeliness import timeliness

CHECKS: dict[str, Callable[..., Iterable]] = {
    "timeliness": timeliness,
    "content": content,
    "revised": revised,
    "removed": removed,
    "inconsistent_totals": inconsistent_totals,
    "cross_agency_totals": cross_agency_totals,
    "manual_review": manual_review,
}
