"""What requirement discovery returns: plain data, no database, no clock.

A :class:`Candidate` is one reporting duty found in an official text, with its
:class:`Deadline` (what the deadline words mean) and its :class:`Citation` (where it stands and
its words). It is a candidate, not a rule: a person adopts or rejects it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field

CADENCES = ("monthly", "quarterly", "annual", "one_time", "per_event", "unspecified")
TOPICS = (
    "family_separation",
    "separated_children",
    "foreign_government_information",
    "interpol_state_sharing",
    "biometric_sharing",
    "hart",
)
# What the counted days run from: the date of enactment, the end of each period (month,
# quarter, year), an event ("a separation"), or the time before an event ("15 days prior to").
ANCHORS = ("enactment", "period_end", "event", "before_event")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class DocumentContext:
    """What the caller knows about the document, for the words that do not say it themselves.

    ``agency`` is what "the Secretary" or "the Department" means when no heading in the text
    says (``HHS`` for a Labor-HHS act); ``committee`` is what "the Committee" means (the
    committee that issued a report)."""

    package_id: str
    url: str | None = None
    agency: str | None = None
    committee: str | None = None


@dataclass(frozen=True)
class Deadline:
    """The meaning of a duty's deadline words.

    ``cadence`` is one of :data:`CADENCES`. ``days``/``hours``/``months`` count from ``anchor``
    (one of :data:`ANCHORS`, or None when the text does not say from what): for ``one_time``
    the report's deadline, for a recurring cadence the first report's, for ``per_event`` the
    time allowed after (or before) each ``event``. ``starts`` is the first period named
    ("Beginning with April 2018" -> ``2018-04``; a fiscal year -> ``FY2024``), ``due_date`` an
    absolute deadline ("not later than March 1, 2023" -> ``2023-03-01``), ``due_day`` a day of
    the period ("the 15th day of each month" -> 15). ``phrase`` is the wording all this was read
    from, as printed; None when the text sets no deadline (``unspecified``).
    """

    cadence: str = "unspecified"
    phrase: str | None = None
    days: int | None = None
    hours: int | None = None
    months: int | None = None
    business_days: bool = False
    anchor: str | None = None
    event: str | None = None
    starts: str | None = None
    due_date: str | None = None
    due_day: int | None = None


@dataclass(frozen=True)
class Citation:
    """Where a duty stands: the package, its division/title/section or the report headings it
    sits under, the page (``[[Page 45]]``, ``133 STAT. 2534``, ``H1234`` or a PDF page), and the
    quote (the duty's sentences, whitespace and line-break hyphenation undone)."""

    package_id: str
    quote: str
    url: str | None = None
    division: str | None = None
    title: str | None = None
    section: str | None = None
    heading: str | None = None
    page: str | None = None

    @property
    def location(self) -> str:
        parts = [
            f"Division {self.division}" if self.division else None,
            f"title {self.title}" if self.title else None,
            self.section,
            self.heading,
        ]
        return ", ".join(p for p in parts if p) or "(no section)"


@dataclass(frozen=True)
class Candidate:
    """One reporting duty on the monitor's topics.

    ``agency`` is a code from ``scrapers/data/discovery.yaml`` (``DHS``, ``CBP``, ``HHS``...)
    or ``unknown``; ``agency_phrase`` the words it was read from ("the Secretary"). ``duty`` is
    the wording that imposes it ("shall submit", "is directed to report"); ``kind`` one of
    report, briefing, notification, publication, certification, disclosure, plan.
    """

    citation: Citation
    deadline: Deadline
    topics: tuple[str, ...]
    agency: str
    agency_phrase: str | None
    recipients: tuple[str, ...]
    content: str
    duty: str
    kind: str
    agencies: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        """Stable for the same duty in the same package, whatever run found it."""
        words = re.sub(r"[^a-z0-9]+", " ", self.citation.quote.lower()).strip()
        digest = hashlib.sha256(f"{self.citation.package_id}\n{words}".encode()).hexdigest()
        return digest[:12]

    def to_json(self) -> dict:
        """One flat object: the fields ``monitor candidates --json`` lists, then the details."""
        c, d = self.citation, self.deadline
        return {
            "id": self.id,
            "package": c.package_id,
            "url": c.url,
            "section": c.location,
            "page": c.page,
            "agency": self.agency,
            "agency_phrase": self.agency_phrase,
            "agencies": list(self.agencies),
            "recipients": list(self.recipients),
            "cadence": d.cadence,
            "days": d.days,
            "hours": d.hours,
            "months": d.months,
            "deadline_phrase": d.phrase,
            "topics": list(self.topics),
            "quote": c.quote,
            "content": self.content,
            "duty": self.duty,
            "kind": self.kind,
            "deadline": asdict(d),
            "citation": asdict(c),
        }
