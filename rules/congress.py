"""Congress's own record in the engine: did a period's report reach Congress?

The shell folds the Congress.gov readings (``monitor/congress_facts.py``) into a
:class:`CongressRecord`. A communication matches an obligation's period when

- the House matched it to a requirement the rule file claims (``congress_requirements``), and
  its text names the period (or names none and the obligation is one-time); or
- it cites a public law the obligation cites (with the same section where both name one), it
  comes from the obligation's agency, and its text names the period.

A period named in the text "matches" when it is the period, or (a cumulative report, "covering
October 2021 through May 2022") contains it. Nothing is guessed: a communication whose text names
no period is never placed in a periodic obligation's month.

:func:`congress_evidence` is what a finding says of Congress's record for its period: ``received``
(with the day, the earliest of the matching communications), ``not_received`` (the record was
read after the deadline and shows none), or ``unknown`` with the reason (the source is not
implemented or configured, never read, broken, or not read since the deadline). Pure: no clock,
no I/O; the evidence depends only on the facts, so re-evaluating changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from rules.periods import Period

COMMUNICATIONS_SOURCE = "congress_communications"
REQUIREMENTS_SOURCE = "congress_requirements"

# Words an agency's name takes in Congress's record, by the agency code rule files use.
AGENCY_WORDS = {
    "DHS": ("homeland security",),
    "HHS": ("health and human services",),
}
_SECTION = re.compile(r"sec(?:tion|s?\.)?\s*(\d+[a-z]?)", re.I)
_PUBLIC_LAW = re.compile(r"(\d{2,3})\s*-\s*(\d{1,3})")
# Communications named in one finding's evidence.
SHOWN = 5


@dataclass(frozen=True, slots=True)
class CommunicationFact:
    """One executive communication, every reading of its key taken together."""

    key: str  # house/117/ec/1599
    chamber: str
    seen_at: datetime  # when the monitor first read it (a mention or its own page)
    received_on: date | None = None
    agency: str | None = None
    abstract: str | None = None
    url: str | None = None
    requirement_numbers: tuple[int, ...] = ()
    laws: tuple[str, ...] = ()  # "116-94 sec. 235"
    period_start: date | None = None
    period_end: date | None = None
    period_text: str | None = None

    @property
    def period(self) -> Period | None:
        if (
            self.period_start is None
            or self.period_end is None
            or self.period_end < self.period_start
        ):
            return None
        return Period(self.period_start, self.period_end)


@dataclass(frozen=True, slots=True)
class RequirementFact:
    """A House requirement as last read."""

    number: int
    seen_at: datetime
    legal_authority: str | None = None
    laws: tuple[str, ...] = ()
    agency: str | None = None
    frequency: str | None = None
    nature: str | None = None
    active: bool | None = None
    url: str | None = None


@dataclass(frozen=True)
class CongressRecord:
    """What the monitor knows of Congress's record. ``read_state``: how the communications
    source stands (``None`` when it was read and is healthy or failing: usable), else why it is
    not usable; ``last_read``: its last successful read (any page)."""

    communications: tuple[CommunicationFact, ...] = ()
    requirements: tuple[RequirementFact, ...] = ()
    read_state: str | None = "not configured"
    first_read: datetime | None = None
    last_read: datetime | None = None
    stale_after: timedelta = timedelta(days=2)


def cited_laws(ob) -> list[tuple[str, str | None]]:
    """(``116-94``, ``235`` or None) for every citation of ``ob`` with a public law."""
    out = []
    for c in ob.citations:
        m = _PUBLIC_LAW.search(c.public_law or "")
        if not m:
            continue
        section = _SECTION.search(c.section or "")
        out.append((f"{int(m.group(1))}-{int(m.group(2))}", section.group(1) if section else None))
    return out


def _law_matches(cited: tuple[str, str | None], laws) -> bool:
    law, section = cited
    for found in laws:
        found_law, _, found_section = found.partition(" sec. ")
        if found_law == law and (not section or not found_section or found_section == section):
            return True
    return False


def from_agency(ob, text: str | None) -> bool:
    if not text:
        return False
    low = text.lower()
    words = AGENCY_WORDS.get(ob.agency, ()) + (ob.agency.lower(),)
    return any(re.search(rf"\b{re.escape(w)}\b", low) for w in words)


def _period_matches(comm: CommunicationFact, period: Period) -> bool:
    named = comm.period
    return named is not None and named.contains(period)


def match_reason(ob, comm: CommunicationFact, period: Period) -> str | None:
    """Why ``comm`` is the report of ``ob`` for ``period``, or None when it is not."""
    claimed = set(ob.congress_requirements) & set(comm.requirement_numbers)
    one_time = ob.cadence.kind == "one_time"
    if claimed and (one_time or _period_matches(comm, period)):
        numbers = ", ".join(str(n) for n in sorted(claimed))
        named = f" and its text names {comm.period_text}" if comm.period_text else ""
        return f"the House matched it to requirement {numbers}{named}"
    if not _period_matches(comm, period) and not one_time:
        return None
    if not (from_agency(ob, comm.agency) or from_agency(ob, comm.abstract)):
        return None
    for cited in cited_laws(ob):
        if _law_matches(cited, comm.laws):
            law = f"P.L. {cited[0]}" + (f" sec. {cited[1]}" if cited[1] else "")
            named = f" and names {comm.period_text}" if comm.period_text else ""
            return f"it cites {law}, comes from {ob.agency}{named}"
    return None


def matching_communications(
    ob, record: CongressRecord, period: Period, as_of: datetime
) -> list[tuple[CommunicationFact, str]]:
    out = []
    for comm in record.communications:
        if comm.seen_at > as_of or comm.received_on is None:
            continue
        reason = match_reason(ob, comm, period)
        if reason is not None:
            out.append((comm, reason))
    out.sort(key=lambda pair: (pair[0].received_on, pair[0].key))
    return out


def congress_evidence(
    ob, record: CongressRecord | None, period: Period, deadline: datetime, as_of: datetime
) -> dict[str, Any] | None:
    """What Congress's record shows for ``ob``'s ``period`` (None: the shell gave no record,
    e.g. a rule file's own cases)."""
    if record is None:
        return None
    found = matching_communications(ob, record, period, as_of)
    if found:
        day = found[0][0].received_on
        return {
            "status": "received",
            "received_on": day,
            "summary": f"received by Congress on {day.isoformat()}",
            "communications": [_ref(c, why) for c, why in found[:SHOWN]],
        }
    if record.read_state is not None:
        why = record.read_state
    elif record.last_read is None or record.last_read <= deadline:
        why = "Congress.gov not read since the deadline"
    else:
        return {
            "status": "not_received",
            "summary": f"Congress's record shows no submission for {period.label}",
            "reason": "no communication received by the House or the Senate matches this "
            "period (by the rule's requirement numbers, or by a law it cites, its "
            "agency and the period named in the text)",
            "requirements": list(ob.congress_requirements),
        }
    return {
        "status": "unknown",
        "summary": f"unknown whether Congress received it: {why}",
        "reason": why,
    }


def _ref(comm: CommunicationFact, why: str) -> dict[str, Any]:
    return {
        "key": comm.key,
        "chamber": comm.chamber,
        "received_on": comm.received_on,
        "agency": comm.agency,
        "abstract": comm.abstract,
        "url": comm.url,
        "requirements": list(comm.requirement_numbers),
        "matched_because": why,
    }


def unclaimed_requirements(obligations, record: CongressRecord) -> list[dict[str, Any]]:
    """House requirements whose legal authority cites a public law an obligation cites (with
    the same section, where both name one) and that no obligation claims."""
    claimed = {n for ob in obligations for n in ob.congress_requirements}
    out = []
    for req in record.requirements:
        if req.number in claimed:
            continue
        citing = sorted(
            {ob.id for ob in obligations if any(_law_matches(c, req.laws) for c in cited_laws(ob))}
        )
        if citing:
            out.append(
                {
                    "number": req.number,
                    "legal_authority": req.legal_authority,
                    "agency": req.agency,
                    "frequency": req.frequency,
                    "nature": req.nature,
                    "url": req.url,
                    "obligations_citing_the_law": citing,
                }
            )
    return sorted(out, key=lambda r: r["number"])


def congress_line(evidence: dict) -> str | None:
    """What a finding's evidence says of Congress's record, for a person ("received by Congress
    on 2021-06-15", "Congress's record shows no submission for May 2021"); None when the record
    could not be read (the evidence then says why) or the finding has no period."""
    congress = evidence.get("congress") if isinstance(evidence, dict) else None
    if isinstance(congress, dict) and congress.get("status") in ("received", "not_received"):
        return str(congress.get("summary"))
    return None
