"""The kinds of check an obligation can name in its ``checks:`` list.

A check is one pure function ``(obligation, evaluation) -> iterable of findings``. Adding a kind
of check is adding a function here, its name to ``rules.obligations.CHECK_NAMES`` (the names a
rule file may use; that module validates rule files without importing the checks) and at least
one rule case that exercises it.
"""

from __future__ import annotations

from typing import Callable, Iterable

from rules.checks.anomaly import cross_agency_totals, inconsistent_totals
from rules.checks.changes import removed, revised
from rules.checks.content import content
from rules.checks.publication import not_public
from rules.checks.review import manual_review
from rules.checks.timeliness import timeliness
from rules.obligations import CHECK_NAMES

CHECKS: dict[str, Callable[..., Iterable]] = {
    "timeliness": timeliness,
    "content": content,
    "revised": revised,
    "removed": removed,
    "inconsistent_totals": inconsistent_totals,
    "cross_agency_totals": cross_agency_totals,
    "manual_review": manual_review,
    "not_public": not_public,
}

if set(CHECKS) != set(CHECK_NAMES):  # pragma: no cover - a mistake when adding a check
    raise RuntimeError(
        f"rules.checks.CHECKS {sorted(CHECKS)} and rules.obligations.CHECK_NAMES "
        f"{sorted(CHECK_NAMES)} name different checks"
    )
