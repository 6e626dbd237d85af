"""Congress's record as the engine sees it at an instant (``rules/congress.py``), read from the
Congress.gov readings (``monitor/models/congress.py``).

A communication is every reading of its key by ``as_of`` taken together: first seen at its
first reading, its text, day received, laws and period from its newest reading of its own page,
and the requirement numbers of every reading (its own page, and the mentions in requirements'
matching lists). A communication the monitor never read itself (only a mention) has no day
received and proves nothing yet. A requirement is its newest reading.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.models import SourceHealthEvent
from monitor.models.congress import CongressCommunicationRow, CongressRequirementRow
from monitor.run_lookups import success_bounds
from rules.congress import (
    COMMUNICATIONS_SOURCE,
    CommunicationFact,
    CongressRecord,
    RequirementFact,
)


def congress_record(
    session: Session, as_of: datetime, stale_after: timedelta | None = None
) -> CongressRecord:
    from scrapers.registry import source_ids

    state, first, last = _source_state(session, COMMUNICATIONS_SOURCE, as_of)
    if COMMUNICATIONS_SOURCE not in source_ids():
        read_state = "no source reads Congress.gov's communications"
    elif first is None:
        read_state = f"{COMMUNICATIONS_SOURCE} was never read (is congress_api_key set?)"
    elif state == "broken":
        read_state = f"{COMMUNICATIONS_SOURCE} is broken"
    else:
        read_state = None
    return CongressRecord(
        communications=_communications(session, as_of),
        requirements=_requirements(session, as_of),
        read_state=read_state,
        first_read=first,
        last_read=last,
    )


def _source_state(session: Session, source_id: str, as_of: datetime):
    """(health state, first and last successful fetch) of a source as of ``as_of``."""
    event = session.scalar(
        select(SourceHealthEvent.to_state)
        .where(SourceHealthEvent.source_id == source_id, SourceHealthEvent.at <= as_of)
        .order_by(SourceHealthEvent.at.desc(), SourceHealthEvent.id.desc())
        .limit(1)
    )
    first, last = session.execute(select(*success_bounds(source_id, as_of))).one()
    return event, first, last


def _communications(session: Session, as_of: datetime) -> tuple[CommunicationFact, ...]:
    rows = session.scalars(
        select(CongressCommunicationRow)
        .where(CongressCommunicationRow.observed_at <= as_of)
        .order_by(CongressCommunicationRow.observed_at, CongressCommunicationRow.id)
    )
    first_seen: dict[str, datetime] = {}
    numbers: dict[str, set[int]] = {}
    detail: dict[str, CongressCommunicationRow] = {}
    for row in rows:
        first_seen.setdefault(row.key, row.observed_at)
        numbers.setdefault(row.key, set()).update(row.requirement_numbers or ())
        if row.detail:
            detail[row.key] = row  # the newest reading of its own page
    out = []
    for key, row in detail.items():
        out.append(
            CommunicationFact(
                key=key,
                chamber=row.chamber,
                seen_at=first_seen[key],
                received_on=row.received_on,
                agency=row.agency,
                abstract=row.abstract,
                url=row.url,
                requirement_numbers=tuple(sorted(numbers[key])),
                laws=tuple(row.laws or ()),
                period_start=row.period_start,
                period_end=row.period_end,
                period_text=row.period_text,
            )
        )
    return tuple(sorted(out, key=lambda c: c.key))


def _requirements(session: Session, as_of: datetime) -> tuple[RequirementFact, ...]:
    newest: dict[int, CongressRequirementRow] = {}
    first_seen: dict[int, datetime] = {}
    for row in session.scalars(
        select(CongressRequirementRow)
        .where(CongressRequirementRow.observed_at <= as_of)
        .order_by(CongressRequirementRow.observed_at, CongressRequirementRow.id)
    ):
        first_seen.setdefault(row.number, row.observed_at)
        newest[row.number] = row
    return tuple(
        RequirementFact(
            number=n,
            seen_at=first_seen[n],
            legal_authority=r.legal_authority,
            laws=tuple(r.laws or ()),
            agency=r.submitting_agency or r.parent_agency,
            frequency=r.frequency,
            nature=r.nature,
            active=r.active,
            url=r.url,
        )
        for n, r in sorted(newest.items())
    )
