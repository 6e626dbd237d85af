"""The monitor's vocabulary: every closed set of words that parsers, rules and the shell share.

One enum per set, so a word is spelt in one place; modules that need a subset (the outcomes
under which a document was readable, the kinds a person acts on first) build it from the
members here. The values are what is stored in the database, written to JSON and compared in
rule files, so they never change spelling. It lives in ``scrapers`` because that is the bottom
layer: ``rules`` and ``monitor`` both import it, and it imports nothing of theirs.

Rule files are checked against it when loaded (``rules/obligations.py``): a count requirement's
``measure`` and ``dimension``, a statement requirement's ``key``; a misspelt word is a load
error naming the field. What each word means is in docs/domain.md.
"""

from __future__ import annotations

from enum import StrEnum


def values(*members: StrEnum | type[StrEnum]) -> tuple[str, ...]:
    """Plain-string values of the given members, or of every member of the given enums, in
    order (plain ``str``: what the database, JSON and YAML receive stays a ``str``)."""
    out: list[str] = []
    for m in members:
        out.extend(member.value for member in (m if isinstance(m, type) else (m,)))
    return tuple(out)


class Outcome(StrEnum):
    """A fetch run's typed outcome (one per request; ``fetch_runs.outcome``)."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"  # 304: the validators matched
    UNCHANGED = "unchanged"  # 200 with the body already archived
    HTTP_ERROR = "http_error"
    NETWORK_ERROR = "network_error"
    BLOCKED = "blocked"  # a firewall/CDN/challenge page, not the agency's page
    TOO_LARGE = "too_large"
    WRONG_TYPE = "wrong_type"
    LAYOUT_CHANGED = "layout_changed"
    EMPTY = "empty"
    PARSE_ERROR = "parse_error"


# Outcomes under which the monitor read the page as it is.
SUCCESS_OUTCOMES = values(Outcome.OK, Outcome.NOT_MODIFIED, Outcome.UNCHANGED)
# Outcomes of a request that got no usable body, and of a body that could not be read.
FETCH_FAILURE_OUTCOMES = values(
    Outcome.HTTP_ERROR,
    Outcome.NETWORK_ERROR,
    Outcome.BLOCKED,
    Outcome.TOO_LARGE,
    Outcome.WRONG_TYPE,
)
PARSE_FAILURE_OUTCOMES = values(
    Outcome.LAYOUT_CHANGED,
    Outcome.EMPTY,
    Outcome.PARSE_ERROR,
    Outcome.WRONG_TYPE,
    Outcome.TOO_LARGE,
)
# The outcomes a parse can give a document (a rule file's cases name these).
PARSE_OUTCOMES = values(Outcome.OK, Outcome.LAYOUT_CHANGED, Outcome.EMPTY, Outcome.PARSE_ERROR)


class ProblemKind(StrEnum):
    """What a parser reports it could not read (``parse_problems.kind``)."""

    LAYOUT_CHANGED = "layout_changed"  # the expected tables/markers were not found
    EMPTY = "empty"  # the document holds nothing to read (0 bytes, no text, no rows)
    PARSE_ERROR = "parse_error"  # the document could not be read at all (corrupt, encrypted PDF)
    WRONG_TYPE = "wrong_type"  # the bytes are not a type the source reads
    TOO_LARGE = "too_large"  # past a reading cap: pages, inflated bytes or reading time (a bomb)
    INCONSISTENT_TOTAL = "inconsistent_total"  # parts do not add up to a printed total
    UNMAPPED_LABEL = "unmapped_label"  # a label the taxonomy does not know (category 'unmapped')
    INVALID_RECORD = "invalid_record"  # a record failed validation and was dropped
    NON_NUMERIC = "non_numeric"  # a cell where a number was expected holds something else
    IMPOSSIBLE_DATE = "impossible_date"  # a printed date that names no day ("February 30, 2024")
    STRAY_HEADER_ROW = "stray_header_row"  # a row above a table's header that is not a heading
    TOO_MANY_LINKS = "too_many_links"  # a listing links more documents than max_links_per_listing


class PublicationKind(StrEnum):
    """What kind of document a publication page carries (``publication_revisions.kind``)."""

    PIA = "pia"  # a privacy impact assessment
    PIA_UPDATE = "pia_update"  # an update of one ("DHS/OBIM/PIA-004(a)")
    SORN = "sorn"  # a system of records notice
    REPORT_TO_CONGRESS = "report_to_congress"
    OTHER = "other"


class StatementKey(StrEnum):
    """What a required statement is about (``statements.key``)."""

    FOREIGN_GOVERNMENT_BASIS = "foreign_government_basis"


class StatementStatus(StrEnum):
    """docs/domain.md#foreign-government-basis-statuses"""

    STATED = "stated"
    AMBIGUOUS = "ambiguous"
    NOT_STATED = "not_stated"
    NOT_REQUIRED = "not_required"


class Measure(StrEnum):
    """What a count counts (``count_observations.measure``). A reunification row the parser
    cannot name more precisely keeps a measure made from its label, outside this list; rule
    files may only name these."""

    SEPARATIONS = "separations"
    REUNIFICATIONS = "reunifications"
    REUNIFIED_IN_FAMILY_DETENTION = "reunified_in_family_detention"
    SEPARATION_LENGTH_DAYS = "separation_length_days"
    FAMILY_UNIT_APPREHENSIONS = "family_unit_apprehensions"


class Dimension(StrEnum):
    """What a count is broken down by (``count_observations.dimension`` and ``dimension2``)."""

    TOTAL = "total"
    CAUSE = "cause"
    SECTOR = "sector"
    AGE_GROUP = "age_group"
    MONTH = "month"
    LENGTH = "length"


class FindingKind(StrEnum):
    """What the engine claims about a period (docs/domain.md says what each claims)."""

    MISSING = "missing"
    LATE = "late"
    INCOMPLETE = "incomplete"
    UNKNOWN = "unknown"
    REVISED = "revised"
    REMOVED = "removed"
    ANOMALY = "anomaly"
    NOT_PUBLIC = "not_public"  # Congress received it; the agency's site does not carry it
    # a document may fulfil the obligation: a person must confirm it (rules/checks/confirmation.py)
    REVIEW = "review"


class FindingState(StrEnum):
    """Where a recorded finding stands (``findings.state``)."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    WAIVED = "waived"
    RESOLVED = "resolved"


class HealthState(StrEnum):
    """A source's stored health (``source_health.state``)."""

    HEALTHY = "healthy"
    FAILING = "failing"
    BROKEN = "broken"
