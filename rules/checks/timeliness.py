"""Was each period's report published, and on time?

For every period whose deadline has passed:

- a matching report (or manual evidence) exists: ``late`` when its earliest provable publication
  day is after the deadline day (days late counted from the due date), nothing otherwise; when
  one candidate's publication day cannot be proven, lateness is not claimed;
- nothing matches and absence is observable (a listing page read after the deadline, see
  :mod:`rules.absence`): ``missing``, citing those listing reads;
- nothing matches and absence is NOT observable (no source implemented, a source never read or
  broken, documents not yet read that could be this period, no listing read since the deadline,
  a source not read for ``stale_after`` past the deadline): ``unknown``, with the reason. This
  replaces ``missing``: a broken scraper or a stopped monitor is not a non-compliant agency;
- nothing matches, the source works, but its listing has not been read since a deadline less
  than ``stale_after`` ago: nothing yet (the next poll will tell).
"""

from __future__ import annotations

from typing import Iterator

from rules.absence import absence, observability
from rules.evaluation import Evaluation
from rules.facts import EvidenceFact
from rules.findings import Finding
from rules.obligations import Obligation
from rules.schedule import Due


def _evidence_for(entries: tuple[EvidenceFact, ...], ob: Obligation,
                  due: Due) -> list[EvidenceFact]:
    if ob.cadence.kind == "one_time":
        return list(entries)
    return [e for e in entries if e.period_start == due.period.start]


def timeliness(ob: Obligation, ev: Evaluation) -> Iterator[Finding]:
    unobservable, states = observability(ob, ev)
    entries = ev.evidence_entries(ob)
    for due in ev.schedule(ob):
        if due.deadline >= ev.as_of:
            continue
        reports = ev.matching(ob, due.period)
        manual = _evidence_for(entries, ob, due) if entries else ()
        if reports or manual:
            finding = _late(ob, ev, due, reports, manual)
            if finding is not None:
                yield finding
            continue
        reason = unobservable
        if reason is None and ev.unplaced(ob):
            n = len(ev.unplaced(ob))
            reason = (f"{n} document{'s' if n > 1 else ''} of the source could not be placed in a "
                      "period yet (not read, or unreadable): absence is not proven")
        if reason is not None:
            yield _finding(ob, ev, due, "unknown",
                           f"cannot tell whether it was published: {reason}",
                           {"reason": reason, "sources": states})
            continue
        seen = absence(ob, ev, due.deadline)
        if seen.verdict == "observed":
            yield _finding(ob, ev, due, "missing", "not published",
                           {"reason": f"no report whose data period covers {due.period.label} "
                                      "was listed on the source when its listing was read after "
                                      "the deadline passed",
                            "sources": states, "listing_reads": list(seen.listing_reads)})
        elif seen.verdict == "unknown":
            yield _finding(ob, ev, due, "unknown",
                           f"cannot tell whether it was published: {seen.reason}",
                           {"reason": seen.reason, "sources": states, **seen.details})


def _late(ob: Obligation, ev: Evaluation, due: Due, reports, manual) -> Finding | None:
    best = None  # (day, basis, report or None)
    for report in reports:
        pub = ev.publication(report)
        if pub is None:
            return None  # one candidate's publication day is unknown: lateness is unproven
        if best is None or pub[0] < best[0]:
            best = (pub[0], pub[1], report)
    for entry in manual:
        if best is None or entry.date < best[0]:
            best = (entry.date, f"manual evidence recorded by {entry.by} on "
                                f"{entry.recorded_at.isoformat()}: {entry.note}", None)
    day, basis, _ = best
    if day <= due.deadline_date:
        return None
    days_late = (day - due.due).days
    extra = {"publication": {"earliest_possible": day, "basis": basis},
             "days_late": days_late,
             "reports": [ev.report_ref(r) for r in reports]}
    return _finding(ob, ev, due, "late", f"published {days_late} day{'s' if days_late != 1 else ''}"
                                         f" late (not before {day})", extra)


def _finding(ob: Obligation, ev: Evaluation, due: Due, kind: str, what: str,
             extra: dict) -> Finding:
    evidence = ev.base_evidence(ob, due.citation)
    evidence["period"] = {"start": due.period.start, "end": due.period.end,
                          "label": due.period.label}
    evidence.update(due.evidence)
    evidence.update(extra)
    label = due.period.label if ob.cadence.kind != "one_time" else \
        f"the one-time requirement of {due.period.start}"
    return Finding(
        obligation=ob.id, kind=kind, family="timeliness", severity=ob.severity_for(kind),
        summary=f"{ob.title} for {label}: {what} (due {due.due})",
        period_start=due.period.start, period_end=due.period.end, due=due.due,
        deadline=due.deadline, evidence=evidence)
