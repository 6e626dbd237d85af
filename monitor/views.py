"""The analyst views by name, with their columns and the type each column has for analysts.

The views themselves are created by the migrations (alembic/versions/0004_analyst_views.py) and
described in docs/data-dictionary.md; this catalogue is what `monitor export` checks names
against and types Parquet columns with. tests/test_data_dictionary.py holds it to both: the
columns of the real views on SQLite and PostgreSQL, and the types the dictionary gives.

Types: ``integer``; ``date`` (a DATE on PostgreSQL, ISO text on SQLite); ``timestamp`` (ISO 8601
text in UTC in every view); ``text``.
"""

from __future__ import annotations

from monitor.errors import NotFound

# The type of each column an observation's views share (for analysts; see above), in the
# order of a current figure's columns.
_OBSERVATION_TYPES = {
    "period_start": "date",
    "period_end": "date",
    "agency": "text",
    "source": "text",
    "measure": "text",
    "dimension": "text",
    "category": "text",
    "dimension2": "text",
    "category2": "text",
    "value": "integer",
    "label": "text",
    "label2": "text",
    "page": "integer",
    "report_id": "integer",
    "report_title": "text",
    "report_url": "text",
    "issued": "date",
    "snapshot_sha256": "text",
    "fetched_at": "timestamp",
    "parser_version": "text",
    "observation_id": "integer",
}


def _typed(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, _OBSERVATION_TYPES[name]) for name in names)


# The columns of a current figure: one row of separations_monthly (after its month) or of
# separations_by_report_period, in the order _OBSERVATION_TYPES gives them.
_CURRENT_FIGURE = tuple(_OBSERVATION_TYPES.items())


COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "separation_counts": _typed(
        "observation_id",
        "agency",
        "source",
        "measure",
        "dimension",
        "category",
        "label",
        "dimension2",
        "category2",
        "label2",
        "value",
        "period_start",
        "period_end",
        "page",
        "report_id",
        "report_title",
        "report_url",
        "issued",
        "snapshot_sha256",
        "fetched_at",
        "parser_version",
    ),
    "separations_monthly": (("month", "text"),) + _CURRENT_FIGURE,
    "separations_by_report_period": _CURRENT_FIGURE,
    "separation_revisions": (
        ("agency", "text"),
        ("source", "text"),
        ("measure", "text"),
        ("dimension", "text"),
        ("category", "text"),
        ("dimension2", "text"),
        ("category2", "text"),
        ("period_start", "date"),
        ("period_end", "date"),
        ("month", "text"),
        ("old_value", "integer"),
        ("new_value", "integer"),
        ("revision_kind", "text"),
        ("old_report_id", "integer"),
        ("old_report_title", "text"),
        ("old_report_url", "text"),
        ("old_snapshot_sha256", "text"),
        ("new_report_id", "integer"),
        ("new_report_title", "text"),
        ("new_report_url", "text"),
        ("new_snapshot_sha256", "text"),
        ("first_seen_at", "timestamp"),
        ("old_observation_id", "integer"),
        ("new_observation_id", "integer"),
    ),
    "reporting_timeliness": (
        ("obligation_id", "text"),
        ("agency", "text"),
        ("period_start", "date"),
        ("period_end", "date"),
        ("period_label", "text"),
        ("due", "date"),
        ("deadline_at", "timestamp"),
        ("first_published", "date"),
        ("publication_basis", "text"),
        ("days_late", "integer"),
        ("report_url", "text"),
        ("finding_kind", "text"),
        ("finding_state", "text"),
        ("finding_id", "integer"),
        ("first_detected_at", "timestamp"),
        ("changed_at", "timestamp"),
    ),
    "foreign_basis_statements": (
        ("agency", "text"),
        ("source", "text"),
        ("report_id", "integer"),
        ("report_title", "text"),
        ("report_url", "text"),
        ("issued", "date"),
        ("period_start", "date"),
        ("period_end", "date"),
        ("status", "text"),
        ("value", "integer"),
        ("quote", "text"),
        ("page", "integer"),
        ("snapshot_sha256", "text"),
        ("fetched_at", "timestamp"),
        ("parser_version", "text"),
        ("statement_id", "integer"),
    ),
}
VIEWS = tuple(COLUMNS)

# The order an export lists rows in (stable, so two exports of the same data diff cleanly).
ORDER: dict[str, tuple[str, ...]] = {
    "separation_counts": ("observation_id",),
    "separations_monthly": ("observation_id",),
    "separations_by_report_period": ("observation_id",),
    "separation_revisions": ("new_observation_id", "old_observation_id"),
    "reporting_timeliness": ("finding_id",),
    "foreign_basis_statements": ("statement_id",),
}


def columns(view: str) -> dict[str, str]:
    """column -> type of one view; NotFound (naming the views) for any other name."""
    if view not in COLUMNS:
        raise NotFound(
            f"no view named {view!r}; the views are: {', '.join(VIEWS)} "
            "(see docs/data-dictionary.md)"
        )
    return dict(COLUMNS[view])
