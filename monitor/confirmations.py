"""A person confirms that a document the monitor read is the evidence an obligation needs
(`monitor evidence OBLIGATION --from-report REPORT_ID --by NAME`).

The engine only proposes (a ``review`` finding naming each candidate document and why it might
fulfil the obligation, rules/checks/confirmation.py); the confirmation is manual evidence like
any other (``manual_evidence``, audited with who and when), tied to the document
(``manual_evidence.report_id``) and dated by it: the document's publication date as its newest
revision states it (Last Published, else Last Updated, else the date printed on it, else
Created), unless the person gives another with ``--date``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.errors import NotFound
from monitor.findings_actions import InvalidAction, record_evidence
from monitor.models import ManualEvidence, PublicationRevision, Report
from rules.facts import PublicationFact, ReportFact


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
    from rules.checks.confirmation import judge

    known = {ob.id: ob for ob in obligations}
    ob = known.get(obligation_id)
    if ob is None:
        raise NotFound(f"no obligation {obligation_id!r}; known: {', '.join(sorted(known))}")
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(
            f"no report with id {report_id} (the review finding names its "
            "candidates' ids: `monitor findings show ID`)"
        )
    if report.source_id not in ob.sources:
        raise InvalidAction(
            f"report {report_id} is from {report.source_id}, which "
            f"{obligation_id} does not watch ({', '.join(ob.sources)})"
        )
    done = session.scalar(
        select(ManualEvidence.id).where(
            ManualEvidence.obligation_id == obligation_id, ManualEvidence.report_id == report_id
        )
    )
    if done is not None:
        raise InvalidAction(
            f"report {report_id} is already confirmed for {obligation_id} (evidence {done})"
        )
    revisions = [
        _fact(r)
        for r in session.scalars(
            select(PublicationRevision)
            .where(
                PublicationRevision.report_id == report_id, PublicationRevision.observed_at <= now
            )
            .order_by(PublicationRevision.observed_at, PublicationRevision.revision)
        )
    ]
    fact = ReportFact(
        source_id=report.source_id,
        url=report.url,
        first_seen=report.first_seen,
        title=report.title,
        report_id=report.id,
    )
    proposed = (
        next(
            (
                c
                for c in (
                    judge(ob, fact, revisions[i], tuple(revisions[:i]))
                    for i in range(len(revisions) - 1, -1, -1)
                )
                if c is not None
            ),
            None,
        )
        if ob.confirmation is not None
        else None
    )
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
    text = (
        f"confirmed {name} ({report.url}) as the evidence"
        + (f", published {published[0]} ({published[1]})" if published else "")
        + (f"; dated {on} by the person" if on and (not published or on != published[0]) else "")
        + f"; {why}"
    )
    if note and note.strip():
        text = f"{note.strip()} [{text}]"
    details = {
        "document_id": revision.document_id if revision else None,
        "revision": revision.revision if revision else None,
        "proposed_by_monitor": proposed is not None,
        "matched_subjects": {k: list(v) for k, v in proposed.matched.items()} if proposed else {},
    }
    return record_evidence(
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
