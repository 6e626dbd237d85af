"""Documents that may fulfil an obligation only a person can confirm (the HART disclosure).

For an obligation with a ``confirmation`` block (rules/obligations.py: ``Confirmation``), the
documents its sources yield never fulfil it by themselves: the requirement is about a subject
(HART's technologies, data collection mechanisms and sharing agreements), and whether a privacy
impact assessment is that disclosure is a person's judgement. So the engine proposes: each
document published after the requirement's enactment whose title or description names what it
must mention and enough of the subjects is a *candidate*, and while no person has confirmed one
(`monitor evidence OBLIGATION --from-report REPORT_ID`, which records manual evidence), the
timeliness finding of the requirement is ``review``: it names each candidate, its date and the
label it was read under, and which terms of which subjects matched. Once confirmed, the manual
evidence fulfils the obligation (``late`` when the document's date is after the deadline).

A candidate is judged on every revision of its page seen by the evaluation time; the newest
revision that qualifies is the one shown. A revision published before the enactment (the 2021
HART assessment) is not a candidate; one whose date could not be read is (a person gives the
date). Pure: facts in, candidates out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from rules.evaluation import Evaluation
from rules.facts import PublicationFact, ReportFact
from rules.obligations import Obligation


@dataclass(frozen=True)
class Candidate:
    report: ReportFact
    revision: PublicationFact
    published: date | None
    published_label: str | None
    mentions: tuple[str, ...]
    matched: dict[str, tuple[str, ...]] = field(default_factory=dict)  # subject -> terms found

    def evidence(self, ob: Obligation) -> dict[str, Any]:
        rid = (
            self.report.report_id if self.report.report_id is not None else self.revision.report_id
        )
        return {
            "report_id": rid,
            "url": self.report.url,
            "document_id": self.revision.document_id,
            "kind": self.revision.kind,
            "title": self.revision.title or self.report.title,
            "published": self.published,
            "published_label": self.published_label,
            "pdf_url": self.revision.pdf_url,
            "revision": self.revision.revision,
            "observed_at": self.revision.observed_at,
            "mentions": list(self.mentions),
            "matched_subjects": {k: list(v) for k, v in self.matched.items()},
            "why": self.why(ob),
            "confirm": (
                f"monitor evidence {ob.id} --from-report {rid} --by NAME"
                if rid is not None
                else None
            ),
        }

    def why(self, ob: Obligation) -> str:
        subjects = "; ".join(f"{name} ({', '.join(terms)})" for name, terms in self.matched.items())
        when = (
            f"published {self.published} ({self.published_label}), after the requirement's "
            f"enactment on {_enacted(ob)}"
            if self.published is not None
            else "its date could not be read"
        )
        return (
            f"it names {', '.join(self.mentions)}, speaks of {subjects}, and was {when}"
            if self.published is not None
            else f"it names {', '.join(self.mentions)} and speaks of {subjects}; {when}"
        )


def _enacted(ob: Obligation) -> date:
    return ob.citation(ob.confirmation.published_after).enacted


@lru_cache(maxsize=512)
def _term(term: str) -> re.Pattern:
    # a term matches a word that starts with it ("technolog" -> "technologies"); an acronym
    # in capitals (HART) matches only in capitals
    flags = 0 if term.isupper() else re.I
    return re.compile(r"(?<![\w])" + re.escape(term), flags)


def _found(terms, text: str) -> tuple[str, ...]:
    return tuple(t for t in terms if _term(t).search(text))


def _date_of(
    revision: PublicationFact, earlier: tuple[PublicationFact, ...]
) -> tuple[date, str] | None:
    """The revision's date; for one whose labels could not be read (a redesign, a copy cut
    short), the date of an earlier revision with the same id, title and text: the same version
    of the document, read again without its labels."""
    if revision.published is not None:
        return revision.published
    for older in reversed(earlier):
        if older.published is not None and (older.document_id, older.title, older.summary) == (
            revision.document_id,
            revision.title,
            revision.summary,
        ):
            return older.published[0], f"{older.published[1]}, as read before with the same text"
    return None


def judge(
    ob: Obligation,
    report: ReportFact,
    revision: PublicationFact,
    earlier: tuple[PublicationFact, ...] = (),
) -> Candidate | None:
    """``revision`` of ``report`` (after the ``earlier`` ones) as a candidate for ``ob``, or
    None when it is not one."""
    conf = ob.confirmation
    if conf is None or revision.kind not in conf.kinds:
        return None
    published = _date_of(revision, earlier)
    if published is not None and published[0] <= _enacted(ob):
        return None
    text = " ".join(
        t for t in (revision.document_id, revision.title or report.title, revision.summary) if t
    )
    mentions = _found(conf.mentions, text)
    if not mentions:
        return None
    matched = {s.name: found for s in conf.subjects if (found := _found(s.terms, text))}
    if len(matched) < conf.min_subjects:
        return None
    return Candidate(
        report,
        revision,
        published[0] if published else None,
        published[1] if published else None,
        mentions,
        matched,
    )


def candidates(ob: Obligation, ev: Evaluation) -> list[Candidate]:
    """The documents of ``ob``'s sources that may fulfil it, as of the evaluation: per document
    its newest qualifying revision; by date (undated last), then URL."""
    key = ("confirmation_candidates", ob.id)
    if key in ev.memo:
        return ev.memo[key]
    out = []
    for source_id in ob.sources:
        for report in ev.reports(source_id):
            revisions = ev.facts.publications_of(report, ev.as_of)
            for i in range(len(revisions) - 1, -1, -1):
                found = judge(ob, report, revisions[i], revisions[:i])
                if found is not None:
                    out.append(found)
                    break
    out.sort(key=lambda c: (c.published is None, c.published or date.max, c.report.url))
    ev.memo[key] = out
    return out
