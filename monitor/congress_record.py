"""Storing Congress's record (``ParseResult.congress``: House requirements and executive
communications, ``scrapers/interpret/congress.py``) and reading it back.

One row per reading, written once per (key, parse); a page that lists the same communication
twice (a list that changed while it was paged) stores it once. URLs are stored redacted. Each
communication reading also gets its terms (``congress_terms``: the requirement numbers and
public laws it can be matched by), which the engine's facts select by.
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy.orm import Session

from monitor.models import Parse, Snapshot
from monitor.models.congress import (
    CongressCommunicationRow,
    CongressRequirementRow,
    CongressTerm,
    communication_terms,
)
from scrapers.interpret.congress import CongressCommunication, CongressRequirement
from scrapers.redact import redact_url


def store_congress(
    session: Session,
    source_id: str,
    snapshot: Snapshot,
    parse: Parse,
    records: Sequence,
    now: datetime,
) -> tuple[int, int]:
    """Write the requirements and communications one parse yielded; (requirements,
    communications) written."""
    seen: set[tuple[str, object]] = set()
    added: list[CongressCommunicationRow] = []
    n_req = n_comm = 0
    common = dict(
        source_id=source_id,
        snapshot_id=snapshot.id,
        parse_id=parse.id,
        parser_version=parse.parser_version,
        observed_at=now,
    )
    for record in records:
        url = redact_url(record.url) if record.url else None
        if isinstance(record, CongressRequirement):
            if ("r", record.number) in seen:
                continue
            seen.add(("r", record.number))
            session.add(
                CongressRequirementRow(
                    **common,
                    url=url,
                    number=record.number,
                    update_date=record.update_date,
                    parent_agency=record.parent_agency,
                    submitting_agency=record.submitting_agency,
                    submitting_official=record.submitting_official,
                    frequency=record.frequency,
                    nature=record.nature,
                    legal_authority=record.legal_authority,
                    active=record.active,
                    matching_count=record.matching_count,
                    laws=list(record.laws),
                )
            )
            n_req += 1
        elif isinstance(record, CongressCommunication):
            if ("c", record.key) in seen:
                continue
            seen.add(("c", record.key))
            row = CongressCommunicationRow(
                **common,
                url=url,
                key=record.key,
                chamber=record.chamber,
                congress=record.congress,
                type_code=record.type_code,
                number=record.number,
                detail=record.detail,
                received_on=record.received_on,
                congressional_record_date=record.congressional_record_date,
                agency=record.agency,
                abstract=record.abstract,
                legal_authority=record.legal_authority,
                report_nature=record.report_nature,
                requirement_numbers=list(record.requirement_numbers),
                laws=list(record.laws),
                committees=list(record.committees),
                period_start=record.period_start,
                period_end=record.period_end,
                period_text=record.period_text,
            )
            session.add(row)
            added.append(row)
            n_comm += 1
    session.flush()
    for row in added:  # what each reading can be matched by (monitor/congress_facts.py)
        for term in communication_terms(row.requirement_numbers, row.laws):
            session.add(
                CongressTerm(
                    communication_id=row.id,
                    key=row.key,
                    term=term,
                    observed_at=row.observed_at,
                    period_end=row.period_end,
                )
            )
    session.flush()
    return n_req, n_comm
