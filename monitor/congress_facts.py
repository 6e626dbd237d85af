"""Congress's record as the engine sees it at an instant (``rules/congress.py``), read from the
Congress.gov readings (``monitor/models/congress.py``).

A communication is every reading of its key by ``as_of`` taken together: first seen at its
first reading, its text, day received, laws and period from its newest reading of its own page,
and the requirement numbers of every reading (its own page, and the mentions in requirements'
matching lists). A communication the monitor never read itself (only a mention) has no day
received and proves nothing yet. A requirement is its newest reading.

An evaluation reads only the communications its obligations can match (:func:`matchable`: by
the requirement numbers a rule claims, the public laws it cites, and a period ending late
enough), through the terms each reading was stored with (``congress_terms``), in one query;
every stored communication otherwise (the same facts for those obligations, only more of them).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from monitor.models import SourceHealthEvent
from monitor.models.congress import (
    CongressCommunicationRow,
    CongressRequirementRow,
    CongressTerm,
    law_term,
    requirement_term,
)
from monitor.run_lookups import success_bounds
from rules.congress import (
    COMMUNICATIONS_SOURCE,
    CommunicationFact,
    CongressRecord,
    RequirementFact,
    cited_laws,
)


def congress_record(
    session: Session,
    as_of: datetime,
    stale_after: timedelta | None = None,
    *,
    obligations: Iterable | None = None,
    periods_from: date | None = None,
    requirements: bool = True,
) -> CongressRecord:
    """Congress's record as of ``as_of``. With ``obligations`` (the ones being evaluated), only
    the communications they can match (:func:`_communications`); ``periods_from`` is the
    ``watch_from`` setting (periods ending before it are not judged). ``requirements``: read the
    House requirements too (``monitor check`` reads them; the engine's checks do not)."""
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
        communications=_communications(session, as_of, obligations, periods_from),
        requirements=_requirements(session, as_of) if requirements else (),
        read_state=read_state,
        first_read=first,
        last_read=last,
    )


def matchable(obligations: Iterable, as_of: datetime, periods_from: date | None = None):
    """The keys of the communications ``obligations`` can match, as a subquery: those with a
    reading (by ``as_of``) matched to a requirement number an obligation claims or citing a
    public law it cites, whose period, for a periodic obligation, ends no earlier than its
    first judged period can (a communication contains the period it is evidence for). None when
    no obligation can match any (it names no requirement and cites no public law)."""
    T = CongressTerm
    conditions = []
    for ob in obligations:
        terms = [requirement_term(n) for n in getattr(ob, "congress_requirements", ())]
        terms += [law_term(law) for law, _section in cited_laws(ob)]
        if not terms:
            continue
        condition = T.term.in_(sorted(set(terms)))
        if ob.cadence.kind != "one_time":  # a one-time report matches whatever it names
            earliest = max(ob.effective_from, periods_from or ob.effective_from)
            condition = and_(condition, or_(T.period_end.is_(None), T.period_end >= earliest))
        conditions.append(condition)
    if not conditions:
        return None
    return select(T.key).where(T.observed_at <= as_of, or_(*conditions))


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


_COLUMNS = (
    CongressCommunicationRow.key,
    CongressCommunicationRow.observed_at,
    CongressCommunicationRow.requirement_numbers,
    CongressCommunicationRow.detail,
    CongressCommunicationRow.chamber,
    CongressCommunicationRow.received_on,
    CongressCommunicationRow.agency,
    CongressCommunicationRow.abstract,
    CongressCommunicationRow.url,
    CongressCommunicationRow.laws,
    CongressCommunicationRow.period_start,
    CongressCommunicationRow.period_end,
    CongressCommunicationRow.period_text,
)


def _communications(
    session: Session,
    as_of: datetime,
    obligations: Iterable | None = None,
    periods_from: date | None = None,
) -> tuple[CommunicationFact, ...]:
    """Every reading by ``as_of`` of the communications ``obligations`` can match
    (:func:`matchable`; None: of every communication), in one query, folded by key."""
    C = CongressCommunicationRow
    query = select(*_COLUMNS).where(C.observed_at <= as_of)
    if obligations is not None:
        keys = matchable(obligations, as_of, periods_from)
        if keys is None:
            return ()
        query = query.where(C.key.in_(keys))
    rows = session.execute(query.order_by(C.observed_at, C.id))
    first_seen: dict[str, datetime] = {}
    numbers: dict[str, set[int]] = {}
    detail: dict[str, Any] = {}
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
