"""Documents that may fulfil an obligation only a person can confirm (the HART disclosure).

For an obligation with a ``confirmation`` block (rules/obligations.py: ``Confirmation``), the
documents its sources yield never fulfil it by themselves: the requirement is about a subject
(HART's technologies, data collection mechanisms and sharing agreements), and whether a privacy
impact assessment is that disclosure is a person's judgement. So the engine proposes: each
document published after the requirement's enactment that names what it must mention and speaks
of enough of the subjects is a *candidate*, and while no person has confirmed one
(`monitor evidence OBLIGATION --from-report REPORT_ID`, which records manual evidence), the
timeliness finding of the requirement is ``review``: it names each candidate, its date and the
label it was read under, and which terms of which subjects matched, and where. Once confirmed,
the manual evidence fulfils the obligation (``late`` when the document's date is after the
deadline).

Where a document is read: its title (and id), its description (the page's text or the PDF's
abstract) and, when the PDF the page links has been fetched and its text read, its body. A
document whose PDF was not read is judged on its title and description, and its evidence says
the body is unknown and why (no PDF linked, not fetched yet, unreadable): never silently. A PDF
that a page of the source links is that page's body, not a candidate of its own.

A candidate is judged on every revision of its page seen by the evaluation time; the newest
revision that qualifies is the one shown. A revision published before the enactment (the 2021
HART assessment) is not a candidate; one whose date could not be read is (a person gives the
date). A document a person rejected (`--reject-report`) is no longer proposed unless it is
revised with another publication date (rules/decisions.py). Pure: facts in, candidates out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

from rules.decisions import REJECTED, reproposed, standing
from rules.evaluation import Evaluation
from rules.facts import DecisionFact, PublicationFact, ReportFact
from rules.obligations import Obligation

# Where a term can be found in a document.
TITLE, DESCRIPTION, BODY = "title", "description", "body"


@dataclass(frozen=True)
class Body:
    """What the monitor knows of a document's body (the text of the PDF its page links):
    ``text`` when it was read, else None and ``unknown`` says why."""

    text: str | None = None
    url: str | None = None
    unknown: str | None = None

    def evidence(self) -> dict[str, Any]:
        if self.text is not None:
            return {"state": "read", "pdf_url": self.url, "characters": len(self.text)}
        return {"state": "unknown", "pdf_url": self.url, "reason": self.unknown}


@dataclass(frozen=True)
class Candidate:
    report: ReportFact
    revision: PublicationFact
    published: date | None
    published_label: str | None
    mentions: tuple[str, ...]
    matched: dict[str, tuple[str, ...]] = field(default_factory=dict)  # subject -> terms found
    # term -> the places it was found in (title, description, body)
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)
    body: Body = field(default_factory=lambda: Body(unknown="not looked for"))
    # a rejection of an earlier version, when the document was revised since
    rejected_before: DecisionFact | None = None

    @property
    def report_id(self) -> int | None:
        return (
            self.report.report_id if self.report.report_id is not None else self.revision.report_id
        )

    def evidence(self, ob: Obligation) -> dict[str, Any]:
        rid = self.report_id
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
            "matched_where": {
                name: {t: list(self.where.get(t, ())) for t in terms}
                for name, terms in self.matched.items()
            },
            "mentions_where": {t: list(self.where.get(t, ())) for t in self.mentions},
            "body": self.body.evidence(),
            "why": self.why(ob),
            **(
                {"rejected_before": _decision_evidence(self.rejected_before)}
                if self.rejected_before is not None
                else {}
            ),
            "confirm": (
                f"monitor evidence {ob.id} --from-report {rid} --by NAME"
                if rid is not None
                else None
            ),
            "reject": (
                f"monitor evidence {ob.id} --reject-report {rid} --by NAME --reason TEXT"
                if rid is not None
                else None
            ),
        }

    def _terms(self, terms) -> str:
        return ", ".join(f"{t} [{', '.join(self.where.get(t, ()))}]" for t in terms)

    def why(self, ob: Obligation) -> str:
        subjects = "; ".join(
            f"{name} ({self._terms(terms)})" for name, terms in self.matched.items()
        )
        when = (
            f"published {self.published} ({self.published_label}), after the requirement's "
            f"enactment on {_enacted(ob)}"
            if self.published is not None
            else "its date could not be read"
        )
        body = (
            "its body (the PDF) was read too"
            if self.body.text is not None
            else f"its body is unknown: {self.body.unknown}"
        )
        again = (
            f"; proposed again: revised since {self.rejected_before.by} rejected it on "
            f"{self.rejected_before.decided_at.date()}"
            if self.rejected_before is not None
            else ""
        )
        return (
            f"it names {self._terms(self.mentions)}, speaks of {subjects}, and was {when}; "
            f"{body}{again}"
            if self.published is not None
            else f"it names {self._terms(self.mentions)} and speaks of {subjects}; {when}; "
            f"{body}{again}"
        )


@dataclass(frozen=True)
class Rejected:
    """A document a person rejected, not proposed again (it was not revised since)."""

    report: ReportFact
    decision: DecisionFact

    def evidence(self) -> dict[str, Any]:
        return {
            "report_id": self.report.report_id,
            "url": self.report.url,
            **_decision_evidence(self.decision),
        }


def _decision_evidence(d: DecisionFact) -> dict[str, Any]:
    return {
        "rejected_by": d.by,
        "rejected_at": d.decided_at,
        "reason": d.reason,
        "revision": d.revision,
    }


def _enacted(ob: Obligation) -> date:
    return ob.citation(ob.confirmation.published_after).enacted


@lru_cache(maxsize=512)
def _term(term: str) -> re.Pattern:
    # a term matches a word that starts with it ("technolog" -> "technologies"); an acronym
    # in capitals (HART) matches only in capitals; the words of a term may be split by any
    # run of spaces or line breaks (a PDF's text)
    flags = 0 if term.isupper() else re.I
    words = [re.escape(w) for w in term.split()]
    return re.compile(r"(?<![\w])" + r"\s+".join(words), flags)


def _found(terms, places: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """term -> the places (in order) whose text contains it, for the terms found somewhere."""
    out = {}
    for t in terms:
        where = tuple(name for name, text in places.items() if text and _term(t).search(text))
        if where:
            out[t] = where
    return out


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
    body: Body | None = None,
) -> Candidate | None:
    """``revision`` of ``report`` (after the ``earlier`` ones) as a candidate for ``ob``, or
    None when it is not one. ``body``: the document's body as far as it is known (None: the
    revision's own, a PDF's text)."""
    conf = ob.confirmation
    if conf is None or revision.kind not in conf.kinds:
        return None
    published = _date_of(revision, earlier)
    if published is not None and published[0] <= _enacted(ob):
        return None
    if body is None:
        body = own_body(report, revision)
    places = {
        TITLE: " ".join(t for t in (revision.document_id, revision.title or report.title) if t),
        DESCRIPTION: revision.summary or "",
        BODY: body.text or "",
    }
    found = _found(conf.mentions, places)
    mentions = tuple(found)
    if not mentions:
        return None
    matched = {}
    for s in conf.subjects:
        terms = _found(s.terms, places)
        if terms:
            matched[s.name] = tuple(terms)
            found.update(terms)
    if len(matched) < conf.min_subjects:
        return None
    return Candidate(
        report,
        revision,
        published[0] if published else None,
        published[1] if published else None,
        mentions,
        matched,
        found,
        body,
    )


def own_body(report: ReportFact, revision: PublicationFact) -> Body:
    """The body a revision carries itself: a PDF's text; else unknown (why)."""
    if revision.body is not None:
        return Body(revision.body, revision.pdf_url or report.url)
    if revision.pdf_url is None:
        return Body(unknown="the page links no PDF")
    return Body(url=revision.pdf_url, unknown="the PDF was not read")


def _body(
    ev: Evaluation,
    report: ReportFact,
    revision: PublicationFact,
    by_url: dict[str, ReportFact],
) -> Body:
    """The body of ``revision``: its own text (a PDF read), else the text of the PDF it links
    when the monitor fetched and read it by the evaluation time, else unknown and why."""
    if revision.body is not None or revision.pdf_url is None:
        return own_body(report, revision)
    url = revision.pdf_url
    pdf = by_url.get(url)
    if pdf is None:
        return Body(url=url, unknown="the PDF it links was not fetched")
    for rev in reversed(ev.facts.publications_of(pdf, ev.as_of)):
        if rev.body is not None:
            return Body(rev.body, url)
    read = ev.latest_read(pdf)
    if read is not None and not read.readable:
        return Body(url=url, unknown=f"the PDF it links could not be read ({read.outcome})")
    if pdf.fetch_state in ("unreachable", "failing"):
        return Body(url=url, unknown=f"the PDF it links could not be fetched ({pdf.fetch_state})")
    if read is None:
        return Body(url=url, unknown="the PDF it links was not fetched yet")
    return Body(url=url, unknown="the PDF it links was read but yielded no text")


def _rejected_observation(
    d: DecisionFact, revisions: tuple[PublicationFact, ...]
) -> tuple[int | None, date | None]:
    """The revision a rejection was about (its number, its date): the one it names, else the
    newest observed when it was made."""
    seen = [r for r in revisions if r.observed_at <= d.decided_at]
    at = next((i for i, r in enumerate(revisions) if r.revision == d.revision), None)
    if at is None and seen:
        at = revisions.index(seen[-1])
    if at is None:
        return d.revision, None
    day = _date_of(revisions[at], revisions[:at])
    return revisions[at].revision, day[0] if day else None


def _judged(ob: Obligation, ev: Evaluation) -> tuple[list[Candidate], list[Rejected]]:
    key = ("confirmation_candidates", ob.id)
    if key in ev.memo:
        return ev.memo[key]
    decided = standing(ev.facts.decisions(ob.id, ev.as_of))
    out: list[Candidate] = []
    rejected: list[Rejected] = []
    for source_id in ob.sources:
        reports = ev.reports(source_id)
        by_url = {r.url: r for r in reports}
        history = {r.url: ev.facts.publications_of(r, ev.as_of) for r in reports}
        # a PDF a page links is that page's body, not a document of its own
        linked = {
            rev.pdf_url
            for url, revs in history.items()
            for rev in revs
            if rev.pdf_url and rev.pdf_url != url
        }
        for report in reports:
            if report.url in linked:
                continue
            revisions = history[report.url]
            found = None
            for i in range(len(revisions) - 1, -1, -1):
                body = _body(ev, report, revisions[i], by_url)
                found = judge(ob, report, revisions[i], revisions[:i], body)
                if found is not None:
                    break
            if found is None:
                continue
            d = decided.get((report.source_id, report.url))
            if d is not None and d.decision == REJECTED:
                number, day = _rejected_observation(d, revisions)
                if not reproposed(found.revision.revision, found.published, day, number):
                    rejected.append(Rejected(report, d))
                    continue
                found = replace(found, rejected_before=d)
            out.append(found)
    out.sort(key=lambda c: (c.published is None, c.published or date.max, c.report.url))
    ev.memo[key] = (out, rejected)
    return out, rejected


def may_hide_a_candidate(ob: Obligation, ev: Evaluation, report: ReportFact) -> bool:
    """Whether ``report``, a document of ``ob``'s sources not read (yet), keeps absence from
    being proven. A page could be anything; the PDF of a page already read matters only when
    its text could make that page a candidate: a page of a kind the rule takes, not published
    before the enactment, and not rejected by a person."""
    pages = [
        (page, revisions)
        for page in ev.reports(report.source_id)
        if page.url != report.url
        and (revisions := ev.facts.publications_of(page, ev.as_of))
        and any(r.pdf_url == report.url for r in revisions)
    ]
    if not pages:
        return True
    decided = standing(ev.facts.decisions(ob.id, ev.as_of))
    conf = ob.confirmation
    for page, revisions in pages:
        d = decided.get((page.source_id, page.url))
        if d is not None and d.decision == REJECTED:
            continue
        newest = revisions[-1]
        day = _date_of(newest, revisions[:-1])
        if newest.kind in conf.kinds and (day is None or day[0] > _enacted(ob)):
            return True
    return False


def candidates(ob: Obligation, ev: Evaluation) -> list[Candidate]:
    """The documents of ``ob``'s sources that may fulfil it, as of the evaluation: per document
    its newest qualifying revision, unless a person rejected it and it was not revised since;
    by date (undated last), then URL."""
    return _judged(ob, ev)[0]


def rejected(ob: Obligation, ev: Evaluation) -> list[Rejected]:
    """The documents that would be candidates but a person rejected (not revised since)."""
    return _judged(ob, ev)[1]
