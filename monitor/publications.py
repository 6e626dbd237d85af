"""What publication pages say about their documents, kept revision by revision
(``publication_revisions``), and read back for the rules engine.

A parse that yields publication records (``ParseResult.publications``: the dhs_hart_publications
source) adds a revision for a report when the report has none yet, or when what it says differs
from the revision seen last before it: a new Last Published date, a new id, another PDF, a
changed description, a PDF's text read otherwise. Reading the same page again adds nothing; nothing is ever updated or
deleted, so every version DHS published stays on record with the snapshot it was read from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.models import PublicationRevision, Report
from rules.facts import PublicationFact
from scrapers.records import PublicationRecord
from scrapers.redact import redact_url

# What makes a reading a new revision (every field of the record but its report index).
COMPARED = (
    "document_id",
    "kind",
    "title",
    "created",
    "last_published",
    "last_updated",
    "dated",
    "dated_precision",
    "pdf_url",
    "mentions_hart",
    "summary",
    "sorns",
    "body",
)


def _values(pub: PublicationRecord) -> dict:
    out = {name: getattr(pub, name) for name in COMPARED}
    out["pdf_url"] = redact_url(pub.pdf_url) if pub.pdf_url else None
    out["sorns"] = list(pub.sorns or [])
    out["document_id"] = (pub.document_id or None) and pub.document_id[:120]
    return out


def store_publications(
    session: Session,
    *,
    snapshot_id: int,
    parse_id: int,
    parser_version: str,
    report_ids: Sequence[int | None],
    publications: Iterable[PublicationRecord],
    now: datetime,
) -> int:
    """Add a revision for each publication record that says something new about its report;
    returns how many were added. ``now`` is when the snapshot was fetched."""
    added = 0
    for pub in publications:
        if not 0 <= pub.report < len(report_ids) or report_ids[pub.report] is None:
            continue
        report_id = report_ids[pub.report]
        values = _values(pub)
        before = session.scalar(
            select(PublicationRevision)
            .where(
                PublicationRevision.report_id == report_id, PublicationRevision.observed_at <= now
            )
            .order_by(PublicationRevision.observed_at.desc(), PublicationRevision.revision.desc())
            .limit(1)
        )
        if before is not None and all(getattr(before, k) == v for k, v in values.items()):
            continue
        number = (
            session.scalar(
                select(func.max(PublicationRevision.revision)).where(
                    PublicationRevision.report_id == report_id
                )
            )
            or 0
        ) + 1
        session.add(
            PublicationRevision(
                report_id=report_id,
                revision=number,
                snapshot_id=snapshot_id,
                parse_id=parse_id,
                parser_version=parser_version,
                observed_at=now,
                **values,
            )
        )
        session.flush()
        added += 1
    return added


def publication_facts(
    session: Session, source_ids: Iterable[str], as_of: datetime
) -> dict[tuple[str, str], tuple[PublicationFact, ...]]:
    """Per (source, report URL): the revisions observed by ``as_of``, oldest first."""
    ids = sorted(set(source_ids))
    if not ids:
        return {}
    out: dict[tuple[str, str], list[PublicationFact]] = {}
    rows = session.execute(
        select(PublicationRevision, Report.source_id, Report.url)
        .join(Report, Report.id == PublicationRevision.report_id)
        .where(Report.source_id.in_(ids), PublicationRevision.observed_at <= as_of)
        .order_by(
            PublicationRevision.report_id,
            PublicationRevision.observed_at,
            PublicationRevision.revision,
        )
    )
    for rev, source_id, url in rows:
        out.setdefault((source_id, url), []).append(
            PublicationFact(
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
        )
    return {k: tuple(v) for k, v in out.items()}
