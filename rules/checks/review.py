"""Obligations no public source can show (the 24-hour notice to the Inspector General and CRCL).

The monitor cannot observe them, so it asks people: the obligation stays ``unknown`` until an
analyst records manual evidence (`monitor evidence`), and becomes ``unknown`` again when the
latest evidence is older than the rule's review interval. It is never ``missing``: nobody outside
DHS can prove a notice was not sent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Iterator

from rules.calendar import end_of_day
from rules.evaluation import Evaluation
from rules.findings import Finding
from rules.obligations import Obligation


def manual_review(ob: Obligation, ev: Evaluation) -> Iterator[Finding]:
    if ev.as_of_date < ob.effective_from:
        return
    every = timedelta(days=ob.cadence.review_every_days)
    entries = ev.evidence_entries(ob)
    latest = max(entries, key=lambda e: (e.date, e.recorded_at), default=None)
    review_due = (latest.date if latest else ob.effective_from) + every
    if ev.as_of_date <= review_due:
        return
    evidence = ev.base_evidence(ob)
    evidence["verifiability"] = ob.verifiability
    evidence["review_every_days"] = ob.cadence.review_every_days
    evidence["review_due"] = review_due
    evidence["latest_manual_evidence"] = (
        {
            "date": latest.date,
            "by": latest.by,
            "note": latest.note,
            "recorded_at": latest.recorded_at,
        }
        if latest
        else None
    )
    evidence["reason"] = (
        "not publicly verifiable: no public source can show this; record what "
        f"you learn with `monitor evidence {ob.id} --by NAME --date DATE "
        "--note TEXT`"
    )
    since = f"last evidence {latest.date}" if latest else "no manual evidence recorded"
    yield Finding(
        obligation=ob.id,
        kind="unknown",
        family="review",
        severity=ob.severity_for("unknown"),
        summary=f"{ob.title}: not publicly verifiable, review due {review_due} ({since})",
        period_start=ob.effective_from,
        period_end=None,
        due=review_due,
        deadline=end_of_day(review_due),
        evidence=evidence,
    )
