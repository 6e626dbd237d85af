"""Which periods an obligation covers and when each is due.

A due date is computed from the statute's words (see :class:`rules.obligations.DueRule`), rolled
forward to the next business day when the obligation says so, then extended by the grace days;
the deadline is the last instant of that day in Washington. Schedules depend only on the rule and
on how far they run, so they are cached: thousands of obligations sharing a cadence (the
benchmark; yearly copies of one requirement) compute it once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from rules.calendar import add_months, end_of_day, last_day_of_month, next_business_day
from rules.obligations import DueRule, Obligation
from rules.periods import (
    Period,
    fiscal_years,
    month_from_index,
    month_index,
    months,
)


@dataclass(frozen=True, slots=True)
class Due:
    period: Period
    statutory_due: date  # what the words give
    due: date  # after the business-day roll
    deadline_date: date  # due + grace days
    deadline: datetime  # end of deadline_date in America/New_York (aware, UTC)
    citation: str
    evidence: dict = field(compare=False, repr=False)  # what a finding on this period cites

    @property
    def rolled(self) -> bool:
        return self.due != self.statutory_due


def statutory_due(rule: DueRule, period: Period, enacted: date | None) -> date:
    if rule.rule == "monthly_after_enactment":
        first_due = enacted + timedelta(days=rule.days)
        # The first deadline covers the month before it ("during the previous month").
        offset = month_index(period.start) - (month_index(first_due) - 1)
        return add_months(first_due, offset)
    if rule.rule == "within_days_of_enactment":
        return enacted + timedelta(days=rule.days)
    if rule.days is not None:
        return period.end + timedelta(days=rule.days)
    target = month_from_index(month_index(period.end) + rule.months).start
    day = last_day_of_month(target.year, target.month) if rule.day == "last" else rule.day
    return add_months(target, 0, on_day=day)


def _make_due(ob: Obligation, rule: DueRule, period: Period, citation: str) -> Due:
    enacted = ob.citation(rule.citation).enacted if rule.citation else None
    words = statutory_due(rule, period, enacted)
    due = next_business_day(words) if ob.cadence.roll == "next_business_day" else words
    deadline_date = due + timedelta(days=ob.grace_days)
    deadline = end_of_day(deadline_date)
    evidence = {
        "due": due,
        "statutory_due": words,
        "rolled_to_business_day": due != words,
        "grace_days": ob.grace_days,
        "deadline": deadline.isoformat(),
        "deadline_rule": "end of the day in America/New_York",
    }
    return Due(period, words, due, deadline_date, deadline, citation, evidence)


def _compute(ob: Obligation, through: date) -> tuple[Due, ...]:
    cadence = ob.cadence
    out: list[Due] = []
    if cadence.kind == "one_time":
        citation = ob.citation(cadence.due.citation)
        period = Period(citation.enacted, citation.enacted)
        if period.start <= through:
            out.append(_make_due(ob, cadence.due, period, citation.id))
        return tuple(out)
    if cadence.kind not in ("monthly", "fiscal_year"):
        return ()
    stepper = months if cadence.kind == "monthly" else fiscal_years
    horizon = Period(through, through)
    for seg in cadence.segments:
        last = seg.last if seg.last is not None else horizon
        for period in stepper(seg.first, last):
            if period.start > through:
                break
            if not ob.applies_to(period):
                continue
            out.append(_make_due(ob, seg.due, period, seg.citation))
    return tuple(out)


_CACHE: dict[tuple[str, date], tuple[Due, ...]] = {}
_KEYS: dict[int, tuple[Obligation, str]] = {}


def schedule_key(ob: Obligation) -> str:
    """What a schedule depends on, as text: equal keys give equal schedules."""
    cached = _KEYS.get(id(ob))
    if cached is not None and cached[0] is ob:
        return cached[1]
    enacted = {c.id: c.enacted.isoformat() if c.enacted else None for c in ob.citations}
    key = json.dumps(
        [
            ob.cadence.model_dump(mode="json"),
            ob.grace_days,
            enacted,
            ob.effective_from.isoformat(),
            ob.effective_until.isoformat() if ob.effective_until else None,
        ],
        sort_keys=True,
    )
    if len(_KEYS) > 100_000:
        _KEYS.clear()
    _KEYS[id(ob)] = (ob, key)
    return key


def schedule(ob: Obligation, through: date) -> tuple[Due, ...]:
    """Every period of ``ob`` that has started by ``through``, oldest first, with its deadline."""
    key = (schedule_key(ob), through)
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) > 10_000:
            _CACHE.clear()
        found = _CACHE[key] = _compute(ob, through)
    return found
