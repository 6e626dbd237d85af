"""Reporting obligations as data: one YAML file per obligation in ``rules/obligations/``.

Every file is validated against the models below when loaded; the first problem raises
:class:`ObligationError` naming the file and the field (``cadence.segments[0].due.days``), so an
analyst who edits a rule sees exactly what to fix. Unknown keys are errors, not ignored, because
a misspelt key would otherwise silently change a deadline.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rules.case_models import Case, PeriodText
from rules.findings import KINDS, SEVERITIES
from rules.periods import Period, month_from_index, month_index, parse_period
from scrapers.vocabulary import (
    Dimension,
    Measure,
    PublicationKind,
    StatementKey,
    StatementStatus,
    values,
)

# The words a rule file may use for what it requires (scrapers/vocabulary.py): a misspelt one is
# a load error naming the field, not a requirement that can never be met.
MEASURES = values(Measure)
DIMENSIONS = values(Dimension)
STATEMENT_KEYS = values(StatementKey)
ACCEPTABLE_STATUSES = values(StatementStatus.STATED, StatementStatus.NOT_REQUIRED)
PUBLICATION_KINDS = values(PublicationKind)
# The kinds of check a rule file may name in ``checks:``. The functions that run them live in
# rules/checks/, which imports this module (never the other way round) and refuses to load if
# its CHECKS table and these names differ.
CHECK_NAMES = (
    "timeliness",
    "content",
    "revised",
    "removed",
    "inconsistent_totals",
    "cross_agency_totals",
    "manual_review",
    "not_public",
)

BUNDLED_DIR = Path(__file__).resolve().parent / "obligations"


class ObligationError(ValueError):
    """A rule file that cannot be used. ``str()`` is one line: ``file: field: message``."""

    def __init__(self, file: str, field: str, message: str) -> None:
        self.file, self.field, self.message = file, field, message
        super().__init__(f"{file}: {field}: {message}")


class FieldProblem(ValueError):
    """Raised by cross-field validators so the loader can name the field that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Citation(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    law: str
    public_law: str | None = None
    section: str | None = None
    enacted: date | None = None  # required when a deadline is computed from this citation
    quote: str | None = None
    quoted_from: str | None = None  # where the quote was read (the statute, or an agency page)
    url: str | None = None  # where the primary text can be read
    enactment_verified: bool
    text_verified: bool
    verification_note: str = Field(min_length=1)

    @property
    def verified(self) -> bool:
        return self.enactment_verified and self.text_verified

    def summary(self) -> dict:
        return {
            "id": self.id,
            "law": self.law,
            "public_law": self.public_law,
            "section": self.section,
            "enacted": self.enacted,
            "quote": self.quote,
            "verified": self.verified,
            "verification_note": self.verification_note,
        }


class DueRule(_Strict):
    """How a period's due date is computed.

    - ``monthly_after_enactment``: "not later than ``days`` days after enactment, and monthly
      thereafter"; the first deadline covers the month before it ("during the previous month"),
      each later month is due on the same day of the following month.
    - ``after_period_end``: ``days`` after the period's last day, or the ``day`` (a number or
      ``last``) of the month ``months`` after the period's last month.
    - ``within_days_of_enactment``: a one-time deadline ``days`` after enactment.
    """

    rule: Literal["monthly_after_enactment", "after_period_end", "within_days_of_enactment"]
    citation: str | None = None
    days: int | None = Field(None, ge=0, le=3650)
    months: int | None = Field(None, ge=0, le=120)
    day: int | Literal["last"] | None = None

    @model_validator(mode="after")
    def _fields_fit_rule(self) -> "DueRule":
        if self.rule in ("monthly_after_enactment", "within_days_of_enactment"):
            for name in ("citation", "days"):
                if getattr(self, name) is None:
                    raise FieldProblem(name, f"required by rule {self.rule}")
            for name in ("months", "day"):
                if getattr(self, name) is not None:
                    raise FieldProblem(name, f"not used by rule {self.rule}")
        else:
            if (self.days is None) == (self.months is None):
                raise FieldProblem(
                    "days", "after_period_end takes either `days` or `months` (with `day`)"
                )
            if self.months is not None and self.day is None:
                raise FieldProblem("day", "required with `months` (a day number or 'last')")
            if self.months == 0 and self.day != "last":
                raise FieldProblem(
                    "day",
                    "with `months: 0` the due day falls in the period's own "
                    "last month, before the period ends: use 'last'",
                )
            if isinstance(self.day, int) and not 1 <= self.day <= 31:
                raise FieldProblem("day", "must be 1..31 or 'last'")
        return self


class Segment(_Strict):
    """A run of periods whose deadlines one citation fixes."""

    citation: str
    first_period: PeriodText
    last_period: PeriodText | None = None
    due: DueRule

    @field_validator("first_period", "last_period")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        if value is not None:
            parse_period(value)
        return value

    @property
    def first(self) -> Period:
        return parse_period(self.first_period)

    @property
    def last(self) -> Period | None:
        return parse_period(self.last_period) if self.last_period else None


class Cadence(_Strict):
    kind: Literal["monthly", "fiscal_year", "one_time", "per_report", "manual_review"]
    segments: tuple[Segment, ...] = ()
    due: DueRule | None = None  # one_time
    review_every_days: int | None = Field(None, ge=1, le=3650)  # manual_review
    roll: Literal["next_business_day", "none"] = "next_business_day"

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> "Cadence":
        if self.kind in ("monthly", "fiscal_year"):
            if not self.segments:
                raise FieldProblem("segments", f"a {self.kind} cadence needs at least one segment")
            if self.due is not None:
                raise FieldProblem("due", "periodic cadences put `due` inside each segment")
        elif self.segments:
            raise FieldProblem("segments", f"not used by a {self.kind} cadence")
        if self.kind == "one_time" and (
            self.due is None or self.due.rule != "within_days_of_enactment"
        ):
            raise FieldProblem("due", "a one_time cadence needs due.rule within_days_of_enactment")
        if self.kind == "manual_review" and self.review_every_days is None:
            raise FieldProblem("review_every_days", "required by a manual_review cadence")
        return self


class Matching(_Strict):
    """How a published report is matched to a period: by the data period read from the document
    itself (never its title month); ``covers`` needs the report's period to contain the whole
    period, ``overlaps`` any part of it."""

    by: Literal["data_period"] = "data_period"
    rule: Literal["covers", "overlaps"] = "covers"
    note: str | None = None


class CountRequirement(_Strict):
    measure: Literal[MEASURES]  # type: ignore[valid-type]
    dimension: Literal[DIMENSIONS]  # type: ignore[valid-type]
    citation: str
    why: str


class StatementRequirement(_Strict):
    key: Literal[STATEMENT_KEYS]  # type: ignore[valid-type]
    accept: tuple[Literal[ACCEPTABLE_STATUSES], ...] = ("stated",)  # type: ignore[valid-type]
    # Printed labels that make silence ambiguous. "taxonomy": the cause labels whose wording
    # leaves open where the information came from, as the cause taxonomy decides
    # (ambiguous_origin_markers in scrapers/data/causes.yaml: the one list, which the parser
    # uses too). Unset: no label is held against silence.
    ambiguous_labels: Literal["taxonomy"] | None = None
    citation: str
    why: str


class Content(_Strict):
    counts: tuple[CountRequirement, ...] = ()
    statements: tuple[StatementRequirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.counts and not self.statements


class CrossAgency(_Strict):
    compare_source: str
    measure: Literal[MEASURES] = "separations"  # type: ignore[valid-type]
    note: str | None = None


class Subject(_Strict):
    """One thing the requirement asks the document to be about, and the words that show it."""

    name: str = Field(min_length=1)
    terms: tuple[str, ...] = Field(min_length=1)

    @field_validator("terms")
    @classmethod
    def _terms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not t.strip() for t in value):
            raise ValueError("a term cannot be empty")
        return value


class Confirmation(_Strict):
    """A document of the obligation's sources fulfils it only once a person confirms it
    (`monitor evidence OBLIGATION --from-report REPORT_ID`). The engine proposes, as a
    ``review`` finding, each document published after ``published_after``'s enactment whose
    title or description names one of ``mentions`` and at least ``min_subjects`` of the
    ``subjects`` (a term matches a word starting with it, in any case: "technolog" matches
    "technologies"), and of one of ``kinds``. A document whose date could not be read is
    proposed too (its date is then the person's to give)."""

    published_after: str  # a citation id with an `enacted` date
    mentions: tuple[str, ...] = Field(min_length=1)
    subjects: tuple[Subject, ...] = Field(min_length=1)
    min_subjects: int = Field(1, ge=1)
    kinds: tuple[Literal[PUBLICATION_KINDS], ...] = PUBLICATION_KINDS  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _enough_subjects(self) -> "Confirmation":
        if self.min_subjects > len(self.subjects):
            raise FieldProblem(
                "min_subjects",
                f"is {self.min_subjects} but only {len(self.subjects)} subjects are listed",
            )
        return self


class Assumption(_Strict):
    field: str
    text: str = Field(min_length=1)


class Obligation(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    agency: str
    office: str | None = None
    recipients: tuple[str, ...] = Field(min_length=1)
    citations: tuple[Citation, ...] = Field(min_length=1)
    verifiability: Literal["public", "not_publicly_verifiable"] = "public"
    sources: tuple[str, ...] = ()
    matching: Matching = Matching()
    cadence: Cadence
    grace_days: int = Field(0, ge=0, le=365)
    content: Content = Content()
    severity: Literal["high", "medium", "low"]
    severity_by_kind: dict[Literal[KINDS], Literal[SEVERITIES]] = {}  # type: ignore[valid-type]
    effective_from: date
    effective_until: date | None = None
    checks: tuple[str, ...] = Field(min_length=1)
    cross_agency: CrossAgency | None = None
    # Congress.gov House requirement numbers that are this obligation's own (rules/congress.py).
    congress_requirements: tuple[int, ...] = ()
    # The law says the report must also be made "publicly available online": a report Congress
    # received that the agency's site does not carry is `not_public` (check `not_public`).
    publicly_available_online: bool = False
    confirmation: Confirmation | None = None
    assumptions: tuple[Assumption, ...] = ()
    notes: str | None = None
    cases: tuple[Case, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> "Obligation":
        ids = [c.id for c in self.citations]
        if len(set(ids)) != len(ids):
            raise FieldProblem("citations", f"citation ids repeat: {ids}")
        by_id = {c.id: c for c in self.citations}
        for i, name in enumerate(self.checks):
            if name not in CHECK_NAMES:
                raise FieldProblem(
                    f"checks[{i}]",
                    f"unknown check {name!r}; known: {', '.join(sorted(CHECK_NAMES))}",
                )
        if self.effective_until and self.effective_until < self.effective_from:
            raise FieldProblem("effective_until", "is before effective_from")
        dues = [(f"cadence.segments[{i}].due", s.due) for i, s in enumerate(self.cadence.segments)]
        if self.cadence.due is not None:
            dues.append(("cadence.due", self.cadence.due))
        for where, due in dues:
            if due.citation is None:
                continue
            if due.citation not in by_id:
                raise FieldProblem(f"{where}.citation", f"no citation with id {due.citation!r}")
            if by_id[due.citation].enacted is None:
                raise FieldProblem(
                    f"{where}.citation",
                    f"citation {due.citation!r} has no `enacted` date to count from",
                )
        self._check_segments(by_id)
        if self.confirmation is not None:
            cited = self.confirmation.published_after
            if cited not in by_id:
                raise FieldProblem("confirmation.published_after", f"no citation with id {cited!r}")
            if by_id[cited].enacted is None:
                raise FieldProblem(
                    "confirmation.published_after", f"citation {cited!r} has no `enacted` date"
                )
            if self.cadence.kind != "one_time":
                raise FieldProblem(
                    "confirmation",
                    f"confirmation is for one-time obligations (this one is {self.cadence.kind})",
                )
        for part in ("counts", "statements"):
            for i, req in enumerate(getattr(self.content, part)):
                if req.citation not in by_id:
                    raise FieldProblem(
                        f"content.{part}[{i}].citation", f"no citation with id {req.citation!r}"
                    )
        for i, assumption in enumerate(self.assumptions):
            if assumption.field.split(".")[0] not in type(self).model_fields:
                raise FieldProblem(
                    f"assumptions[{i}].field", f"{assumption.field!r} is not a field of the rule"
                )
        self._check_checks_fit()
        self._check_congress()
        return self

    def _check_congress(self) -> None:
        numbers = self.congress_requirements
        for i, number in enumerate(numbers):
            if number <= 0:
                raise FieldProblem(
                    f"congress_requirements[{i}]",
                    "a House requirement number is a positive whole number",
                )
            if number in numbers[:i]:
                raise FieldProblem(f"congress_requirements[{i}]", f"{number} is named twice")
        if "not_public" in self.checks and not self.publicly_available_online:
            raise FieldProblem(
                "publicly_available_online",
                "the not_public check needs the law to require publication online (true)",
            )
        if "not_public" in self.checks and self.cadence.kind not in (
            "monthly",
            "fiscal_year",
            "one_time",
        ):
            raise FieldProblem("checks", "not_public needs a dated cadence")

    def _check_segments(self, by_id: dict[str, Citation]) -> None:
        previous_end: Period | None = None
        for i, seg in enumerate(self.cadence.segments):
            where = f"cadence.segments[{i}]"
            if seg.citation not in by_id:
                raise FieldProblem(f"{where}.citation", f"no citation with id {seg.citation!r}")
            first, last = seg.first, seg.last
            if self.cadence.kind == "monthly" and not first.is_month:
                raise FieldProblem(
                    f"{where}.first_period", "a monthly segment starts at a month (YYYY-MM)"
                )
            if self.cadence.kind == "fiscal_year" and not first.label.startswith("FY"):
                raise FieldProblem(
                    f"{where}.first_period",
                    "a fiscal_year segment starts at a fiscal year (FY2020)",
                )
            if last is not None and last.start < first.start:
                raise FieldProblem(f"{where}.last_period", "is before first_period")
            if previous_end is not None and first.start <= previous_end.end:
                raise FieldProblem(f"{where}.first_period", "overlaps the previous segment")
            if seg.due.rule == "monthly_after_enactment":
                if self.cadence.kind != "monthly":
                    raise FieldProblem(
                        f"{where}.due.rule", "monthly_after_enactment needs a monthly cadence"
                    )
                first_due = by_id[seg.due.citation].enacted + timedelta(days=seg.due.days)
                covered = month_from_index(month_index(first_due) - 1)
                if first.start < covered.start:
                    raise FieldProblem(
                        f"{where}.first_period",
                        f"the citation's first deadline ({first_due}) covers "
                        f"{covered.label}; earlier months have no deadline under it",
                    )
            if seg.due.rule == "within_days_of_enactment":
                raise FieldProblem(
                    f"{where}.due.rule", "a periodic segment cannot use a one-time rule"
                )
            previous_end = last or Period(date.max, date.max)

    def _check_checks_fit(self) -> None:
        checks = set(self.checks)
        if "cross_agency_totals" in checks and self.cross_agency is None:
            raise FieldProblem("cross_agency", "required by the cross_agency_totals check")
        if "content" in checks and self.content.empty:
            raise FieldProblem("content", "the content check needs at least one requirement")
        if "timeliness" in checks and self.cadence.kind not in (
            "monthly",
            "fiscal_year",
            "one_time",
        ):
            raise FieldProblem(
                "checks", f"timeliness needs a dated cadence, not {self.cadence.kind}"
            )
        if "manual_review" in checks and self.cadence.kind != "manual_review":
            raise FieldProblem("checks", "manual_review needs cadence.kind manual_review")
        if self.verifiability == "not_publicly_verifiable" and self.cadence.kind != "manual_review":
            raise FieldProblem(
                "cadence.kind", "a not_publicly_verifiable obligation is checked by manual_review"
            )
        if self.verifiability == "public" and not self.sources:
            raise FieldProblem("sources", "a public obligation names the source(s) that show it")

    # -- helpers the engine uses -------------------------------------------------------------

    def severity_for(self, kind: str) -> str:
        return self.severity_by_kind.get(kind, self.severity)

    def citation(self, citation_id: str | None) -> Citation:
        for c in self.citations:
            if c.id == citation_id:
                return c
        return self.citations[0]

    def applies_to(self, period: Period) -> bool:
        """Whether a report with this data period falls under the obligation."""
        return period.end >= self.effective_from and (
            self.effective_until is None or period.start <= self.effective_until
        )

    def watched_sources(self) -> set[str]:
        watched = set(self.sources)
        if self.cross_agency is not None:
            watched.add(self.cross_agency.compare_source)
        if {"timeliness", "not_public"} & set(self.checks):
            # what Congress received is in their evidence (rules/congress.py): a new reading
            # of Congress's record evaluates them again
            from rules.congress import COMMUNICATIONS_SOURCE, REQUIREMENTS_SOURCE

            watched |= {COMMUNICATIONS_SOURCE, REQUIREMENTS_SOURCE}
        return watched


def _field_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(file)"


def _error(file: str, exc: ValidationError) -> ObligationError:
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if p not in ("function-after",))
    message = err["msg"]
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, FieldProblem):
        extra = [p for p in cause.field.replace("[", ".[").split(".") if p]
        loc = loc + tuple(int(p[1:-1]) if p.startswith("[") else p for p in extra)
        message = str(cause)
    elif message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    more = exc.error_count() - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return ObligationError(file, _field_path(loc), message)


def parse_obligation(data: object, file: str = "<data>") -> Obligation:
    if not isinstance(data, dict):
        raise ObligationError(file, "(file)", "must be a mapping of fields")
    try:
        return Obligation.model_validate(data)
    except ValidationError as exc:
        raise _error(file, exc) from None


# libyaml's parser where PyYAML was built with it (the pure-Python one takes eight times as long:
# most of a daily run's own CPU, bench/daily_run.py); the same safe constructor either way.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(path: Path) -> object:
    """The YAML data of a rule file; a file that cannot be read or parsed is an
    :class:`ObligationError` naming it (and the line)."""
    name = path.name
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except OSError as exc:
        raise ObligationError(name, "(file)", f"cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f"line {where.line + 1}: " if where is not None else ""
        raise ObligationError(
            name, "(yaml)", f"{line}{getattr(exc, 'problem', None) or exc}"
        ) from None


def _obligation(path: Path, data: object) -> Obligation:
    obligation = parse_obligation(data, path.name)
    if obligation.id != path.stem:
        raise ObligationError(
            path.name, "id", f"{obligation.id!r} must equal the file name {path.stem!r}"
        )
    return obligation


def load_obligation_file(path: Path | str) -> Obligation:
    path = Path(path)
    return _obligation(path, _read(path))


def load_obligations(directory: Path | str | None = None) -> list[Obligation]:
    """Every ``*.yaml`` in ``directory`` (default: the bundled rules), validated, sorted by id;
    each file read and parsed once (whether it is a draft is asked of the same data)."""
    directory = Path(directory) if directory is not None else BUNDLED_DIR
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ObligationError(str(directory.name), "(directory)", "holds no *.yaml rule files")
    out = []
    for path in files:
        data = _read(path)
        if not _marked_draft(data):
            out.append(_obligation(path, data))
    return out


def _marked_draft(data: object) -> bool:
    return isinstance(data, dict) and data.get("draft") is True


def is_draft(path: Path | str) -> bool:
    """A rule file marked ``draft: true`` (written by `monitor adopt`) is not loaded until a
    person completes it and removes the mark; `monitor check` lists it."""
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError):
        return False  # the loader reports it, naming the file
    return _marked_draft(data)


def draft_files(directory: Path | str | None = None) -> list[Path]:
    directory = Path(directory) if directory is not None else BUNDLED_DIR
    return [f for f in sorted(directory.glob("*.yaml")) if is_draft(f)]
