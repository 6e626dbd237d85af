"""A person confirms that a document the monitor read is the evidence an obligation needs
(`monitor evidence OBLIGATION --from-report REPORT_ID --by NAME`), or rejects it
(`monitor evidence OBLIGATION --reject-report REPORT_ID --by NAME --reason TEXT`).

The engine only proposes (a ``review`` finding naming each candidate document and why it might
fulfil the obligation, rules/checks/confirmation.py); the confirmation is manual evidence like
any other (``manual_evidence``, audited with who and when), tied to the document
(``manual_evidence.report_id``) and dated by it: the document's publication date as its newest
revision states it (Last Published, else Last Updated, else the date printed on it, else
Created), unless the person gives another with ``--date``.

Every decision is also a ``candidate_decisions`` row (who, when, why, the revision judged),
never updated or deleted. For one document and one obligation the latest decision stands
(rules/decisions.py): a rejection after a confirmation withdraws it (its manual evidence stays
on record and no longer counts), a confirmation after a rejection confirms it again, and a
rejected document is proposed again only once it is revised with another publication date.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.errors import NotFound
from monitor.findings_actions import InvalidAction, _audit, _who, record_evidence
from monitor.models import CandidateDecision, ManualEvidence, PublicationRevision, Report
from rules.facts import PublicationFact, ReportFact


class UnknownReport(NotFound):
    """The report id a person gave names no report the monitor read."""


def _fact(rev: PublicationRevision) -> PublicationFact:
    return PublicationFact(
        revision=rev.revision,
        observed_at=rev.observed_at,
        document_id=rev.document_id,
        kind=rev.kind,
        title=rev.title,
        created=rev.created,
        last_published=rev.last_published,
        last_updated=rev.last_updated,
        dated=rev.dated,
        pdf_url=rev.pdf_url,
        mentions_hart=rev.mentions_hart,
        summary=rev.summary,
        report_id=rev.report_id,
        body=rev.body,
    )


def _obligation_and_report(session: Session, obligations, obligation_id: str, report_id: int):
    known = {ob.id: ob for ob in obligations}
    ob = known.get(obligation_id)
    if ob is None:
        raise NotFound(f"no obligation {obligation_id!r}; known: {', '.join(sorted(known))}")
    report = session.get(Report, report_id)
    if report is None:
        raise UnknownReport(
            f"no report with id {report_id} (the review finding names its "
            "candidates' ids: `monitor findings show ID`)"
        )
    if report.source_id not in ob.sources:
        raise InvalidAction(
            f"report {report_id} is from {report.source_id}, which "
            f"{obligation_id} does not watch ({', '.join(ob.sources)})"
        )
    page = session.scalar(
        select(Report.id)
        .join(PublicationRevision, PublicationRevision.report_id == Report.id)
        .where(
            Report.source_id == report.source_id,
            Report.id != report.id,
            PublicationRevision.pdf_url == report.url,
        )
        .order_by(Report.id)
        .limit(1)
    )
    if page is not None:  # a page's PDF is that page's body (rules/checks/confirmation.py)
        raise InvalidAction(
            f"report {report_id} is the PDF that the page of report {page} links: the document "
            f"is report {page}; decide on it (`--from-report {page}` or `--reject-report {page}`)"
        )
    return ob, report


def _revisions(session: Session, report_id: int, now: datetime) -> list[PublicationFact]:
    return [
        _fact(r)
        for r in session.scalars(
            select(PublicationRevision)
            .where(
                PublicationRevision.report_id == report_id, PublicationRevision.observed_at <= now
            )
            .order_by(PublicationRevision.observed_at, PublicationRevision.revision)
        )
    ]


def _proposal(session: Session, ob, report: Report, now: datetime):
    """(the candidate the engine would propose for ``report``, or None; its revisions)."""
    from rules.checks.confirmation import Body, judge

    revisions = _revisions(session, report.id, now)
    if ob.confirmation is None:
        return None, revisions
    fact = ReportFact(
        source_id=report.source_id,
        url=report.url,
        first_seen=report.first_seen,
        title=report.title,
        report_id=report.id,
    )
    for i in range(len(revisions) - 1, -1, -1):
        body = None
        pdf = revisions[i].pdf_url
        if revisions[i].body is None and pdf:  # the text of the PDF it links, if read
            text = session.scalar(
                select(PublicationRevision.body)
                .join(Report, Report.id == PublicationRevision.report_id)
                .where(
                    Report.source_id == report.source_id,
                    Report.url == pdf,
                    PublicationRevision.body.is_not(None),
                    PublicationRevision.observed_at <= now,
                )
                .order_by(PublicationRevision.observed_at.desc(), PublicationRevision.id.desc())
                .limit(1)
            )
            body = Body(text, pdf) if text is not None else None
        found = judge(ob, fact, revisions[i], tuple(revisions[:i]), body)
        if found is not None:
            return found, revisions
    return None, revisions


def standing_decision(
    session: Session, obligation_id: str, report_id: int
) -> CandidateDecision | None:
    """The latest decision on ``report_id`` for ``obligation_id`` (None: none yet)."""
    return session.scalar(
        select(CandidateDecision)
        .where(
            CandidateDecision.obligation_id == obligation_id,
            CandidateDecision.report_id == report_id,
        )
        .order_by(CandidateDecision.decided_at.desc(), CandidateDecision.id.desc())
        .limit(1)
    )


def confirm_report(
    session: Session,
    obligations,
    obligation_id: str,
    report_id: int,
    *,
    by: str,
    now: datetime,
    on: date | None = None,
    note: str | None = None,
) -> ManualEvidence:
    """Record that report ``report_id`` fulfils ``obligation_id``, confirmed by ``by``."""
    ob, report = _obligation_and_report(session, obligations, obligation_id, report_id)
    latest = standing_decision(session, obligation_id, report_id)
    done = session.scalar(
        select(ManualEvidence.id).where(
            ManualEvidence.obligation_id == obligation_id, ManualEvidence.report_id == report_id
        )
    )
    if (latest is not None and latest.decision == "confirmed") or (
        latest is None and done is not None
    ):
        raise InvalidAction(
            f"report {report_id} is already confirmed for {obligation_id} "
            f"(evidence {latest.evidence_id if latest is not None else done})"
        )
    proposed, revisions = _proposal(session, ob, report, now)
    revision = proposed.revision if proposed else (revisions[-1] if revisions else None)
    published = (
        (proposed.published, proposed.published_label)
        if proposed and proposed.published
        else (revision.published if revision else None)
    )
    if published is None and report.issued is not None:
        published = (report.issued, "the date the monitor read on it")
    day = on or (published[0] if published else None)
    if day is None:
        raise InvalidAction(
            f"the date of report {report_id} could not be read: give the day it "
            "was published with --date YYYY-MM-DD"
        )
    name = (revision.document_id if revision else None) or report.title or report.url
    why = (
        proposed.why(ob)
        if proposed
        else ("not among the monitor's candidates: confirmed on the person's judgement")
    )
    again = (
        f"; it replaces the rejection {latest.id} by {latest.decided_by}"
        if latest is not None and latest.decision == "rejected"
        else ""
    )
    text = (
        f"confirmed {name} ({report.url}) as the evidence"
        + (f", published {published[0]} ({published[1]})" if published else "")
        + (f"; dated {on} by the person" if on and (not published or on != published[0]) else "")
        + f"; {why}{again}"
    )
    if note and note.strip():
        text = f"{note.strip()} [{text}]"
    details = {
        "document_id": revision.document_id if revision else None,
        "revision": revision.revision if revision else None,
        "proposed_by_monitor": proposed is not None,
        "matched_subjects": {k: list(v) for k, v in proposed.matched.items()} if proposed else {},
        "matched_where": {t: list(w) for t, w in proposed.where.items()} if proposed else {},
        "body": proposed.body.evidence() if proposed else None,
    }
    row = record_evidence(
        session,
        obligations,
        obligation_id,
        by=by,
        on=day,
        note=text,
        now=now,
        report_id=report_id,
        details=details,
    )
    session.add(
        CandidateDecision(
            obligation_id=obligation_id,
            report_id=report_id,
            decision="confirmed",
            revision=revision.revision if revision else None,
            published=published[0] if published else None,
            evidence_id=row.id,
            decided_by=row.recorded_by,
            decided_at=now,
            reason=text,
        )
    )
    session.flush()
    return row


def reject_report(
    session: Session,
    obligations,
    obligation_id: str,
    report_id: int,
    *,
    by: str,
    reason: str,
    now: datetime,
) -> CandidateDecision:
    """Record that report ``report_id`` is not ``obligation_id``'s evidence, in ``by``'s judgement
    and for ``reason``. Nothing is deleted: a confirmation it follows stays on record (and no
    longer counts); the document is proposed again only once revised with another date."""
    by = _who(by)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidAction("--reason TEXT is required: say why the document is not the evidence")
    ob, report = _obligation_and_report(session, obligations, obligation_id, report_id)
    if ob.confirmation is None:
        raise InvalidAction(
            f"{obligation_id} takes no proposed documents (it has no confirmation block): "
            "there is no candidate to reject"
        )
    latest = standing_decision(session, obligation_id, report_id)
    proposed, revisions = _proposal(session, ob, report, now)
    revision = proposed.revision if proposed else (revisions[-1] if revisions else None)
    if latest is not None and latest.decision == "rejected":
        from rules.decisions import reproposed

        again = proposed is not None and reproposed(
            proposed.revision.revision, proposed.published, latest.published, latest.revision
        )
        if not again:
            raise InvalidAction(
                f"report {report_id} is already rejected for {obligation_id} "
                f"(decision {latest.id} by {latest.decided_by})"
            )
    confirmed = latest is not None and latest.decision == "confirmed"
    if proposed is None and not confirmed:
        raise InvalidAction(
            f"report {report_id} is not a candidate for {obligation_id} (it does not qualify "
            "under the rule's confirmation block, and no one confirmed it): nothing to reject"
        )
    published = proposed.published if proposed else None
    if published is None and revision is not None and revision.published is not None:
        published = revision.published[0]
    row = CandidateDecision(
        obligation_id=obligation_id,
        report_id=report_id,
        decision="rejected",
        revision=revision.revision if revision else None,
        published=published,
        evidence_id=None,
        decided_by=by,
        decided_at=now,
        reason=reason,
    )
    session.add(row)
    session.flush()
    _audit(
        session,
        now,
        by,
        "reject_candidate",
        f"obligation:{obligation_id}",
        reason,
        {
            "decision_id": row.id,
            "report_id": report_id,
            "document_id": revision.document_id if revision else None,
            "revision": row.revision,
            "published": published.isoformat() if published else None,
            "withdraws_evidence": latest.evidence_id if confirmed else None,
        },
    )
    session.flush()
    return row
