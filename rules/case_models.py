"""The shape of an obligation's own test cases (the ``cases:`` list in its YAML file).

A case is a small world: an evaluation time, the state of the sources, the reports present (with
what was read from them), manual evidence, and the findings expected. Defaults keep cases short:
an obligation source the case does not mention is healthy and has been read since 2000, up to the
evaluation time, but none of its listing pages was read (so no absence is observable: a case that
expects ``missing`` names the listing read it rests on under ``sources.<id>.listing_reads``); a
report without ``reads`` was read once, successfully, when first seen.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from rules.findings import KINDS
from rules.periods import parse_period
from scrapers.vocabulary import (
    PARSE_OUTCOMES,
    Dimension,
    HealthState,
    Measure,
    PublicationKind,
    StatementKey,
    StatementStatus,
    values,
)

OUTCOMES = PARSE_OUTCOMES
STATUSES = values(StatementStatus)
SOURCE_STATES = values(HealthState) + ("never_read",)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _check_period(value: str | None) -> str | None:
    if value is not None:
        parse_period(value)  # raises PeriodError (a ValueError) with a readable message
    return value


def _as_text(value: object) -> object:
    """YAML reads 2022-05-14 as a date; a period is kept as its text form."""
    return value.isoformat() if isinstance(value, date) else value


# A period in its text form (see rules/periods.py); a bare YAML date is accepted.
PeriodText = Annotated[str, BeforeValidator(_as_text)]


class CaseListingRead(_Strict):
    """A successful read of a listing page: the only kind of read a `missing` can rest on."""

    url: str
    at: AwareDatetime
    sha256: str | None = None  # default: derived from the URL and time


class CaseSource(_Strict):
    state: Literal[SOURCE_STATES] = "healthy"  # type: ignore[valid-type]
    implemented: bool = True
    first_success_at: AwareDatetime | None = None
    last_success_at: AwareDatetime | None = None  # default: the case's as_of
    state_since: AwareDatetime | None = None
    listing_reads: tuple[CaseListingRead, ...] = ()  # default: none (reports only were read)
    listing_urls: tuple[str, ...] | None = None  # default: the pages of listing_reads
    stale_after: timedelta | None = None  # default: 2 days (two daily polls)


class CaseCount(_Strict):
    measure: Literal[values(Measure)] = "separations"  # type: ignore[valid-type]
    dimension: Literal[values(Dimension)]  # type: ignore[valid-type]
    category: str
    label: str
    value: float
    period: PeriodText | None = None
    page: int | None = None

    _period = field_validator("period")(_check_period)


class CaseStatement(_Strict):
    key: Literal[values(StatementKey)] = "foreign_government_basis"  # type: ignore[valid-type]
    status: Literal[STATUSES]  # type: ignore[valid-type]
    value: float | None = None
    quote: str | None = None
    page: int | None = None


class CaseProblem(_Strict):
    kind: str
    detail: str = ""
    page: int | None = None


class CaseRead(_Strict):
    fetched_at: AwareDatetime | None = None  # default: the report's first_seen
    parsed_at: AwareDatetime | None = None
    sha256: str | None = None  # default: derived from the URL and fetch time
    parser_version: str = "1"
    outcome: Literal[OUTCOMES] = "ok"  # type: ignore[valid-type]
    counts: tuple[CaseCount, ...] = ()
    statements: tuple[CaseStatement, ...] = ()
    problems: tuple[CaseProblem, ...] = ()


class CasePublication(_Strict):
    """One revision of what a publication page says (sources that read publication pages)."""

    document_id: str | None = None
    kind: Literal[values(PublicationKind)] = "pia"  # type: ignore[valid-type]
    title: str | None = None
    summary: str | None = None
    created: date | None = None
    last_published: date | None = None
    last_updated: date | None = None
    dated: date | None = None
    pdf_url: str | None = None
    body: str | None = None  # the document's text, when this revision is its PDF read
    observed_at: AwareDatetime | None = None  # default: the report's first_seen


class CaseReport(_Strict):
    url: str
    source: str | None = None  # default: the obligation's first source
    title: str | None = None
    period: PeriodText | None = None  # the DATA period: 2019-12 or 2019-10-01..2020-01-31
    issued: date | None = None
    issued_precision: Literal["day", "month", "year"] = "day"
    first_seen: AwareDatetime
    absent_at: AwareDatetime | None = None
    removed_at: AwareDatetime | None = None
    # A document not read: the period its link names and the periods it could cover (as the
    # shell derives them from the source's LinkPeriods), and how fetching it went.
    link_names: PeriodText | None = None
    could_cover: PeriodText | None = None
    fetch_state: Literal["ok", "failing", "unreachable"] | None = None
    last_fetch_error: str | None = None
    publications: tuple[CasePublication, ...] = ()  # revisions, oldest first
    reads: tuple[CaseRead, ...] | None = None  # None: one read built from the fields below
    outcome: Literal[OUTCOMES] | None = None  # type: ignore[valid-type]
    counts: tuple[CaseCount, ...] = ()
    statements: tuple[CaseStatement, ...] = ()
    problems: tuple[CaseProblem, ...] = ()

    _period = field_validator("period", "link_names", "could_cover")(_check_period)

    @model_validator(mode="after")
    def _one_way_to_give_reads(self) -> "CaseReport":
        if self.reads is not None and (
            self.outcome or self.counts or self.statements or self.problems
        ):
            raise ValueError("give either `reads` or outcome/counts/statements/problems, not both")
        return self


class CaseEvidence(_Strict):
    period: PeriodText | None = None
    date: date
    note: str = "manual evidence"
    by: str = "analyst"
    recorded_at: AwareDatetime | None = None  # default: the end of `date` in Washington

    _period = field_validator("period")(_check_period)


class CaseDecision(_Strict):
    """A person's decision on a proposed document (rules/decisions.py)."""

    report: str  # the report's URL
    source: str | None = None  # default: the obligation's first source
    decision: Literal["confirmed", "rejected"] = "rejected"
    by: str = "analyst"
    at: AwareDatetime
    reason: str | None = None
    revision: int | None = None  # default: the newest revision observed at ``at``


class CaseCommunication(_Strict):
    """An executive communication in Congress's record (rules/congress.py)."""

    key: str
    chamber: Literal["House", "Senate"] = "House"
    received_on: date
    agency: str | None = None
    abstract: str | None = None
    requirements: tuple[int, ...] = ()
    laws: tuple[str, ...] = ()  # "116-94 sec. 235"
    period: PeriodText | None = None  # the period its text names
    seen_at: AwareDatetime | None = None  # default: the end of received_on in Washington

    _period = field_validator("period")(_check_period)


class CaseCongress(_Strict):
    """Congress's record as the Congress.gov sources read it; ``read_state`` (not configured,
    broken...) makes it unusable; ``last_read`` defaults to the case's as_of."""

    communications: tuple[CaseCommunication, ...] = ()
    read_state: str | None = None
    last_read: AwareDatetime | None = None


class CaseExpect(_Strict):
    kind: Literal[KINDS]  # type: ignore[valid-type]
    period: PeriodText | None = None  # the finding's period (start is compared; a month or a range)
    subject: str | None = None
    days_late: int | None = None

    _period = field_validator("period")(_check_period)


class CaseScope(_Strict):
    """Compare only findings whose period starts inside [from, until] (months or dates)."""

    from_: PeriodText | None = Field(None, alias="from")
    until: PeriodText | None = None

    _check = field_validator("from_", "until")(_check_period)


class Case(_Strict):
    name: str = Field(min_length=1)
    as_of: AwareDatetime | date  # a date means the end of that day in Washington
    sources: dict[str, CaseSource] = {}
    reports: tuple[CaseReport, ...] = ()
    evidence: tuple[CaseEvidence, ...] = ()
    decisions: tuple[CaseDecision, ...] = ()
    congress: CaseCongress | None = None  # default: no record given (no congress evidence)
    tolerance: float = Field(0.10, ge=0)
    scope: CaseScope | None = None
    expect: tuple[CaseExpect, ...] = ()
