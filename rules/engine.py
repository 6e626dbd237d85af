"""The evaluation engine: obligations + facts + an instant -> findings. Pure and deterministic.

``evaluate`` runs each obligation's named checks (rules/checks/) against the facts as they stood
at ``as_of``. Incremental re-evaluation: when one source changes, only the obligations watching
it need to run again (``affected_obligations`` -> ``evaluate(..., only=...)``); the findings of
the others are unchanged by construction.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from datetime import date, datetime
from typing import Iterable, Iterator

from rules.calendar import as_instant
from rules.checks import CHECKS
from rules.evaluation import Evaluation
from rules.facts import Facts
from rules.findings import Finding
from rules.obligations import Obligation

DEFAULT_TOLERANCE = 0.10


def evaluate(
    obligations: Iterable[Obligation],
    facts: Facts,
    as_of: date | datetime,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    only: Iterable[str] | None = None,
    periods_from: date | None = None,
) -> list[Finding]:
    """Findings for ``obligations`` (or the subset whose ids are in ``only``) at ``as_of``.

    ``as_of`` is an aware datetime, or a date meaning the end of that day in Washington.
    ``tolerance`` is the relative gap above which DHS and HHS totals for one month are an
    anomaly (settings.anomaly_tolerance). ``periods_from``: findings about periods that end
    before this date are left out (settings.watch_from, history the operator chose not to
    judge); findings without a period are always kept. Findings come sorted by obligation,
    period, kind.
    """
    if tolerance < 0:
        raise ValueError("tolerance must be 0 or more")
    with cycle_collection_paused():
        return _evaluate(obligations, facts, as_of, tolerance, only, periods_from)


def _evaluate(obligations, facts, as_of, tolerance, only, periods_from) -> list[Finding]:
    wanted = set(only) if only is not None else None
    ev = Evaluation(facts, as_instant(as_of), tolerance)
    out: list[Finding] = []
    for ob in obligations:
        if wanted is not None and ob.id not in wanted:
            continue
        for name in ob.checks:
            if periods_from is None:
                out.extend(CHECKS[name](ob, ev))
                continue
            out.extend(
                f
                for f in CHECKS[name](ob, ev)
                if f.period_end is None or f.period_end >= periods_from
            )
    out.sort(key=_order)
    return out


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large evaluation (or gathering) builds
    its objects. They hold no reference cycles, so reference counting frees them as always; but
    every few hundred new objects the collector would walk the growing heap again, about a
    third of the time of an evaluation of thousands of obligations. Restored afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _order(f: Finding) -> tuple:
    return (f.obligation, f.period_start or date.min, f.family, f.subject, f.kind)


def affected_obligations(obligations: Iterable[Obligation], source_ids: Iterable[str]) -> set[str]:
    """Ids of the obligations whose findings can change when these sources change."""
    changed = set(source_ids)
    return {ob.id for ob in obligations if ob.watched_sources() & changed}
