"""People's decisions on the documents the monitor proposes for an obligation a person confirms
(the HART disclosure): which stand, and what they leave of the manual evidence and of the
candidates. Pure: decision facts in, plain answers out.

A person confirms a proposed document (`monitor evidence OBLIGATION --from-report REPORT_ID`,
which also records manual evidence) or rejects it (`--reject-report REPORT_ID --reason TEXT`).
Decisions are never erased; for one document and one obligation the latest decision stands:

- a rejection after a confirmation withdraws it: the confirmation's manual evidence no longer
  counts (it stays on record), and the document is no longer proposed;
- a confirmation after a rejection confirms it again (a new manual evidence row; an older
  confirmation's evidence, superseded, does not count twice);
- a rejected document is proposed again only when it is revised: a revision observed after the
  one rejected whose publication date differs (a new "Last Published" date is a new observation
  of the document; a re-rendered page with the same date is the same observation).
"""

from __future__ import annotations

from datetime import date
from typing import Iterable

from rules.facts import DecisionFact

CONFIRMED, REJECTED = "confirmed", "rejected"
DECISIONS = (CONFIRMED, REJECTED)


def standing(decisions: Iterable[DecisionFact]) -> dict[tuple[str, str], DecisionFact]:
    """Per document (source id, URL): the latest decision (decisions come oldest first)."""
    out: dict[tuple[str, str], DecisionFact] = {}
    for d in sorted(decisions, key=lambda d: (d.decided_at, d.id or 0)):
        out[(d.source_id, d.url)] = d
    return out


def superseded_evidence(decisions: Iterable[DecisionFact]) -> set[int]:
    """Ids of manual evidence recorded by confirmations that a later decision on the same
    document replaced (a rejection, or a new confirmation)."""
    decisions = list(decisions)
    latest = standing(decisions)
    return {
        d.evidence_id
        for d in decisions
        if d.decision == CONFIRMED
        and d.evidence_id is not None
        and latest[(d.source_id, d.url)] is not d
    }


def reproposed(
    revision: int,
    published: date | None,
    rejected_published: date | None,
    rejected_revision: int | None,
) -> bool:
    """Whether a rejected document's qualifying ``revision`` (publication date ``published``) is
    a new observation, so it may be proposed again: observed after the revision the person
    rejected (``rejected_revision``, dated ``rejected_published``) with another date."""
    if rejected_revision is not None and revision <= rejected_revision:
        return False
    return published != rejected_published
