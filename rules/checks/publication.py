"""Did the public get what Congress got? (``not_public``)

For an obligation whose law requires the report to be made "publicly available online"
(``publicly_available_online: true``), for every period whose deadline has passed: when
Congress's record shows the report was received (rules/congress.py) and the agency's site, read
after the deadline, carries no report for the period (the same observation a ``missing`` rests
on, :mod:`rules.absence`), the finding is ``not_public``, with the communication and the listing
reads as evidence. It resolves when the site carries a report for the period (late or not: the
timeliness check judges that). Where absence cannot be observed (the site's source broken or
stale, a document not read that could be this period) nothing is claimed here: timeliness says
``unknown``.
"""

from __future__ import annotations

from typing import Iterator

from rules.absence import absence, observability
from rules.congress import congress_evidence
from rules.evaluation import Evaluation
from rules.findings import Finding
from rules.obligations import Obligation


def not_public(ob: Obligation, ev: Evaluation) -> Iterator[Finding]:
    if not ob.publicly_available_online or ev.facts.congress is None:
        return
    unobservable, states = observability(ob, ev)
    if unobservable is not None:
        return
    entries = ev.evidence_entries(ob)
    for due in ev.schedule(ob):
        if due.deadline >= ev.as_of or ev.matching(ob, due.period):
            continue
        if any(
            e.period_start == due.period.start or ob.cadence.kind == "one_time" for e in entries
        ):
            continue  # a person recorded where it was published
        congress = congress_evidence(ob, ev.facts.congress, due.period, due.deadline, ev.as_of)
        if congress is None or congress["status"] != "received":
            continue
        if ev.unplaced_for(ob, due.period):
            continue  # a document not read yet could be this period's
        seen = absence(ob, ev, due.deadline)
        if seen.verdict != "observed":
            continue
        evidence = ev.base_evidence(ob, due.citation)
        evidence["period"] = {
            "start": due.period.start,
            "end": due.period.end,
            "label": due.period.label,
        }
        evidence.update(due.evidence)
        evidence.update(
            {
                "reason": f"Congress received the report for {due.period.label} "
                f"({congress['summary']}), but no report whose data period covers it was "
                "listed on the agency's site when it was read after the deadline, and the "
                "law requires it to be made publicly available online",
                "congress": congress,
                "sources": states,
                "listing_reads": list(seen.listing_reads),
            }
        )
        yield Finding(
            obligation=ob.id,
            kind="not_public",
            family="publication",
            severity=ob.severity_for("not_public"),
            summary=f"{ob.title} for {due.period.label}: {congress['summary']}, not published "
            f"online (due {due.due})",
            period_start=due.period.start,
            period_end=due.period.end,
            due=due.due,
            deadline=due.deadline,
            evidence=evidence,
        )
