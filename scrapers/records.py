"""What a parser yields. Plain data: no database, no clock, no I/O.

A parser returns one :class:`ParseResult` per document. Counts and statements point at the
report they come from by index into ``reports``. Links are what a listing page points to; the
pipeline follows them. Problems are typed so that the pipeline can turn them into fetch outcomes
(``layout_changed``, ``empty``) and review findings (``unmapped_label``, ``inconsistent_total``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from scrapers.sniff import is_pdf as _is_pdf
from scrapers.vocabulary import ProblemKind, StatementKey, StatementStatus, values

# Problem kinds a parser may raise (what each means: scrapers/vocabulary.py).
PROBLEM_KINDS = values(ProblemKind)

# Statuses of a required statement (docs/domain.md#foreign-government-basis-statuses).
STATEMENT_STATUSES = values(StatementStatus)

FOREIGN_BASIS = StatementKey.FOREIGN_GOVERNMENT_BASIS.value


@dataclass(frozen=True)
class Document:
    """A fetched or saved body. ``url`` is the canonical URL (never a mirror or demo address)."""

    body: bytes
    url: str
    content_type: str | None = None

    @property
    def is_pdf(self) -> bool:
        """The body is a PDF by its bytes (``scrapers/sniff.py``), whatever it was served as."""
        return _is_pdf(self.body)


@dataclass
class ReportRecord:
    title: str | None
    url: str
    period_start: date | None = None
    period_end: date | None = None
    issued: date | None = None
    issued_precision: str | None = None  # "day" | "month" | "year"
    fiscal_year: int | None = None
    authorities: list[str] = field(default_factory=list)
    page_count: int | None = None


@dataclass
class CountRecord:
    report: int  # index into ParseResult.reports
    measure: str  # e.g. "separations", "reunifications", "separation_length_days"
    dimension: str  # "total" | "cause" | "sector" | "age_group" | "month" | "length" ...
    category: str  # canonical category (taxonomy) or the normalised name; "unmapped" if unknown
    label: str  # exactly as printed
    value: float
    period_start: date | None = None
    period_end: date | None = None
    page: int | None = None
    # A cell of a cross-tabulated table where neither dimension is a period (age group by
    # sector): the other dimension, its category and its header as printed. None otherwise
    # (a month crossed with a cause is the cause's count with the month as its period).
    dimension2: str | None = None
    category2: str | None = None
    label2: str | None = None


# CountRecord fields left out of the JSON shape while empty (one-dimensional readings).
_CROSS_FIELDS = ("dimension2", "category2", "label2")


@dataclass
class StatementRecord:
    report: int
    key: str  # e.g. FOREIGN_BASIS
    status: str  # one of STATEMENT_STATUSES
    value: float | None = None
    quote: str | None = None
    page: int | None = None


@dataclass
class PublicationRecord:
    """What a publication page (or its PDF) says about the document it carries: a privacy
    impact assessment, a system of records notice, a report to Congress... Sources that read
    publication libraries yield one per report (``report`` indexes ``reports``); the shell keeps
    each distinct reading as a revision (docs/domain.md#dhs_hart_publications)."""

    report: int
    document_id: str | None  # as printed: "DHS/OBIM/PIA-004(a)"
    kind: str  # pia | pia_update | sorn | report_to_congress | other
    title: str | None = None
    created: date | None = None  # "Created Date"
    last_published: date | None = None  # "Last Published Date"
    last_updated: date | None = None  # "Last Updated"
    dated: date | None = None  # a date printed in the text or on the cover ("August 2024")
    dated_precision: str | None = None  # day | month
    pdf_url: str | None = None  # the document's PDF, as the page links it
    mentions_hart: bool = False
    summary: str | None = None  # the page's description or the document's abstract
    sorns: list[str] = field(default_factory=list)  # associated SORNs, as listed
    # the document's own text, when this is its PDF (or the PDF's text) read: what a rule reads
    # beyond the title and description (capped by the source; None for a page)
    body: str | None = None

    @property
    def published(self) -> date | None:
        """The day this version was published: its Last Published date, else its Last Updated
        date, else the date printed on it, else its Created date."""
        return self.last_published or self.last_updated or self.dated or self.created


@dataclass
class Link:
    url: str
    title: str | None = None
    description: str | None = None


@dataclass
class Problem:
    kind: str
    detail: str
    report: int | None = None
    page: int | None = None


@dataclass
class ParseResult:
    parser_version: str
    reports: list[ReportRecord] = field(default_factory=list)
    counts: list[CountRecord] = field(default_factory=list)
    statements: list[StatementRecord] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Reporting requirements found in an official text (scrapers.discovery.Candidate).
    candidates: list[Any] = field(default_factory=list)
    # Congress's record: requirements and communications (scrapers.interpret.congress).
    congress: list[Any] = field(default_factory=list)
    # What publication pages say about their documents (PublicationRecord).
    publications: list[PublicationRecord] = field(default_factory=list)

    @property
    def yielded_anything(self) -> bool:
        return bool(
            self.reports
            or self.counts
            or self.statements
            or self.links
            or self.candidates
            or self.congress
        )

    def problem_kinds(self) -> set[str]:
        return {p.kind for p in self.problems}

    def to_json(self, source: str) -> dict[str, Any]:
        """The documented shape of `monitor parse --json` (dates as ISO 8601)."""

        def plain(obj) -> dict[str, Any]:
            return {
                k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(obj).items()
            }

        out = {
            "source": source,
            "parser_version": self.parser_version,
            "reports": [plain(r) for r in self.reports],
            "counts": [
                {k: v for k, v in plain(c).items() if k not in _CROSS_FIELDS or v is not None}
                for c in self.counts
            ],
            "statements": [plain(s) for s in self.statements],
            "links": [plain(link) for link in self.links],
            "problems": [plain(p) for p in self.problems],
        }
        if self.candidates:  # only sources that read official texts yield them
            out["candidates"] = [c.to_json() for c in self.candidates]
        if self.congress:  # only the Congress.gov sources yield them
            out["congress"] = [c.to_json() for c in self.congress]
        if self.publications:  # only sources that read publication pages yield them
            out["publications"] = [plain(p) for p in self.publications]
        return out
