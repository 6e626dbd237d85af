"""Was each period's report published, and on time?

For every period whose deadline has passed:

- a matching report (or manual evidence) exists: ``late`` when its earliest provable publication
  day is after the deadline day (days late counted from the due date), nothing otherwise; when
  one candidate's publication day cannot be proven, lateness is not claimed;
- nothing matches and absence is observable (a listing page read after the deadline, see
  :mod:`rules.absence`): ``missing``, citing those listing reads;
- nothing matches and absence is NOT observable (no source implemented, a source never read or
  broken, a document not read (not fetched yet, unreachable, unreadable) that could be this
  period: one whose link names a period that could cover it, or names none; the finding names
  the documents), no listing read since the deadline,
  a source not read for ``stale_after`` past the deadline): ``unknown``, with the reason. This
  replaces ``missing``: a broken scraper or a stopped monitor is not a non-compliant agency;
- nothing matches, the source works, but its listing has not been read since a deadline less
  than ``stale_after`` ago: nothing yet (the next poll will tell).
"""

from __future__ import annotations

from typing import Any, Iterator

from rules.absence import absence, observability
from rules.congress import congress_evidence
from rules.evaluation import Evaluation
from rules.facts import EvidenceFact, ReportFact
from rules.findings import Finding
from rules.obligations import Obligation
from rules.schedule import Due, schedule_key


def _evidence_for(
    entries: tuple[EvidenceFact, ...], ob: Obligation, due: Due
) -> list[EvidenceFact]:
    if ob.cadence.kind == "one_time":
        return list(entries)
    return [e for e in entries if e.period_start == due.period.start]


def timeliness(ob: Obligation, ev: Evaluation) -> Iterator[Finding]:
    unobservable, states = observability(ob, ev)
    entries = ev.evidence_entries(ob)
    if entries or ob.confirmation is not None:  # its own manual evidence or candidates
        outcomes = _with_tails(_outcomes(ob, ev, unobservable, states, entries))
    else:  # what its periods come to is the same for every obligation with these sources,
        # this matching and this schedule: worked out once per evaluation
        key = (
            "timeliness",
            tuple(ob.sources),
            ob.matching.rule,
            ob.cadence.kind,
            schedule_key(ob),
            unobservable,
        )
        outcomes = ev.memo.get(key)
        if outcomes is None:
            outcomes = ev.memo[key] = list(
                _with_tails(_outcomes(ob, ev, unobservable, states, entries))
            )
    for due, kind, what, tail in outcomes:
        yield tail if kind is None else _finding(ob, ev, due, kind, what, tail=tail)


def _with_tails(outcomes):
    """The outcomes with the evidence each finding carries besides its obligation's own."""
    for due, kind, what, extra in outcomes:
        yield due, kind, what, extra if kind is None else _tail(due, extra)


def _outcomes(
    ob: Obligation, ev: Evaluation, unobservable, states, entries
) -> Iterator[tuple[Due, str | None, str | None, Any]]:
    """(due, kind, what, evidence beyond the obligation's own) of each finding of ``ob``'s
    periods; a proposal for review comes whole: (due, None, None, finding)."""
    for due in ev.schedule(ob):
        manual = _evidence_for(entries, ob, due) if entries else ()
        if ob.confirmation is not None and not manual:
            # documents are only candidates until a person confirms one: propose them
            proposal = _review(ob, ev, due)
            if proposal is not None:
                yield due, None, None, proposal
                continue
        if due.deadline >= ev.as_of:
            continue
        # under a confirmation block only confirmed evidence fulfils the obligation
        reports = ev.matching(ob, due.period) if ob.confirmation is None else []
        if reports or manual:
            late = _late(ev, due, reports, manual)
            if late is not None:
                yield (due, "late") + late
            continue
        reason, detail = unobservable, {}
        if reason is None:
            blocking = ev.unplaced_for(ob, due.period)
            if blocking and ob.confirmation is not None:  # a page's PDF may not matter
                from rules.checks.confirmation import may_hide_a_candidate

                blocking = [r for r in blocking if may_hide_a_candidate(ob, ev, r)]
            if blocking:
                reason, detail = _not_read(ev, blocking)
        if reason is not None:
            yield (
                due,
                "unknown",
                f"cannot tell whether it was published: {reason}",
                {"reason": reason, "sources": states, **detail},
            )
            continue
        seen = absence(ob, ev, due.deadline)
        if seen.verdict == "observed":
            yield (
                due,
                "missing",
                "not published",
                {
                    "reason": f"no report whose data period covers {due.period.label} "
                    "was listed on the source when its listing was read after "
                    "the deadline passed",
                    "sources": states,
                    "listing_reads": list(seen.listing_reads),
                    **_rejected(ob, ev),
                },
            )
        elif seen.verdict == "unknown":
            yield (
                due,
                "unknown",
                f"cannot tell whether it was published: {seen.reason}",
                {"reason": seen.reason, "sources": states, **seen.details},
            )


# Documents named in the evidence of one unknown finding (the reason gives their number).
DOCUMENTS_SHOWN = 20


def _document_state(ev: Evaluation, report: ReportFact) -> str:
    read = ev.latest_read(report)
    if read is not None and not read.readable:
        return f"unreadable ({read.outcome})"
    if report.fetch_state == "unreachable":
        return "unreachable"
    if report.fetch_state == "failing":
        return "failing to fetch"
    return "not read yet"


def _not_read(ev: Evaluation, documents: list[ReportFact]) -> tuple[str, dict]:
    """Why documents of the source that could be this period keep it unknown, naming them."""
    shown = []
    for report in documents[:DOCUMENTS_SHOWN]:
        read = ev.latest_read(report)
        shown.append(
            {
                "url": report.url,
                "title": report.title,
                "state": _document_state(ev, report),
                "link_names": report.named.label if report.named else None,
                "could_cover": report.could_cover.label if report.could_cover else "any period",
                "last_fetch_error": report.last_fetch_error,
                "snapshot_sha256": read.snapshot_sha256 if read else None,
            }
        )
    if len(documents) == 1:
        doc, report = shown[0], documents[0]
        names = (
            f"its link names {doc['link_names']}" if report.named else "its link names no period"
        )
        reason = (
            f"document {report.url} could be this period ({names}) and is "
            f"{doc['state']}: absence is not proven"
        )
    else:
        states = sorted({d["state"] for d in shown})
        reason = (
            f"{len(documents)} documents of the source that could be this period are "
            f"{' or '.join(states)} ({documents[0].url}, ...): absence is not proven"
        )
    return reason, {"documents": shown}


def _late(ev: Evaluation, due: Due, reports, manual) -> tuple[str, dict] | None:
    """(what, evidence) when the earliest provable publication came after the deadline."""
    best = None  # (day, basis, report or None)
    for report in reports:
        pub = ev.publication(report)
        if pub is None:
            return None  # one candidate's publication day is unknown: lateness is unproven
        if best is None or pub[0] < best[0]:
            best = (pub[0], pub[1], report)
    for entry in manual:
        if best is None or entry.date < best[0]:
            best = (
                entry.date,
                f"manual evidence recorded by {entry.by} on "
                f"{entry.recorded_at.isoformat()}: {entry.note}",
                None,
            )
    day, basis, _ = best
    if day <= due.deadline_date:
        return None
    days_late = (day - due.due).days
    extra = {
        "publication": {"earliest_possible": day, "basis": basis},
        "days_late": days_late,
        "reports": [ev.report_ref(r) for r in reports],
    }
    return (
        f"published {days_late} day{'s' if days_late != 1 else ''} late (not before {day})",
        extra,
    )


def _review(ob: Obligation, ev: Evaluation, due: Due) -> Finding | None:
    from rules.checks.confirmation import candidates

    found = candidates(ob, ev)
    if not found:
        return None
    first = found[0]
    name = first.revision.document_id or first.revision.title or first.report.url
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return _finding(
        ob,
        ev,
        due,
        "review",
        f"{name}{more} may fulfil it: a person must confirm or reject it",
        {
            "reason": "documents of the source may be the disclosure; the monitor "
            "proposes, a person confirms one with `monitor evidence "
            f"{ob.id} --from-report REPORT_ID --by NAME` or rejects it with `monitor evidence "
            f"{ob.id} --reject-report REPORT_ID --by NAME --reason TEXT`",
            "candidates": [c.evidence(ob) for c in found],
            **_rejected(ob, ev),
        },
    )


def _tail(due: Due, extra: dict) -> dict:
    """What a finding on ``due``'s period carries besides its obligation's own evidence."""
    return {"period": due.period.evidence(), **due.evidence, **extra}


def _rejected(ob: Obligation, ev: Evaluation) -> dict:
    """The documents people rejected for ``ob`` (not proposed again), for a finding's evidence."""
    if ob.confirmation is None:
        return {}
    from rules.checks.confirmation import rejected

    gone = rejected(ob, ev)
    return {"rejected_candidates": [r.evidence() for r in gone]} if gone else {}


def _finding(
    ob: Obligation,
    ev: Evaluation,
    due: Due,
    kind: str,
    what: str,
    extra: dict | None = None,
    *,
    tail: dict | None = None,
) -> Finding:
    evidence = ev.base_evidence(ob, due.citation)
    evidence.update(tail if tail is not None else _tail(due, extra or {}))
    congress = congress_evidence(ob, ev.facts.congress, due.period, due.deadline, ev.as_of)
    if congress is not None:  # did the report reach Congress? (rules/congress.py)
        evidence["congress"] = congress
    label = (
        due.period.label
        if ob.cadence.kind != "one_time"
        else f"the one-time requirement of {due.period.start}"
    )
    return Finding(
        obligation=ob.id,
        kind=kind,
        family="timeliness",
        severity=ob.severity_for(kind),
        summary=f"{ob.title} for {label}: {what} (due {due.due})",
        period_start=due.period.start,
        period_end=due.period.end,
        due=due.due,
        deadline=due.deadline,
        evidence=evidence,
    )
