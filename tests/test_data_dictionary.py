"""docs/data-dictionary.md documents every analyst view and every column, with a query that
runs; the views have the same columns on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import inspect, text

from monitor.views import COLUMNS

DICTIONARY = Path(__file__).resolve().parent.parent / "docs" / "data-dictionary.md"
VIEWS = (
    "separation_counts",
    "separations_monthly",
    "separations_by_report_period",
    "separation_revisions",
    "reporting_timeliness",
    "foreign_basis_statements",
)


def documented() -> dict[str, tuple[list[str], list[str]]]:
    """view -> (columns in its table, SQL examples)."""
    return {
        name: ([c for c, _ in columns], queries) for name, (columns, queries) in _sections().items()
    }


def _sections() -> dict[str, tuple[list[tuple[str, str]], list[str]]]:
    """view -> ((column, type) rows of its table, SQL examples)."""
    sections = re.split(r"^## `(\w+)`\s*$", DICTIONARY.read_text("utf-8"), flags=re.M)
    out = {}
    for name, body in zip(sections[1::2], sections[2::2]):
        columns = re.findall(r"^\| `(\w+)` \| (\w+) \|", body, flags=re.M)
        queries = re.findall(r"```sql\n(.*?)```", body, flags=re.S)
        out[name] = (columns, queries)
    return out


def test_every_view_and_column_is_documented_with_a_query_that_runs(engine):
    docs = documented()
    views = set(inspect(engine).get_view_names())
    assert set(VIEWS) <= views
    for view in VIEWS:
        assert view in docs, f"docs/data-dictionary.md has no section for {view}"
        columns, queries = docs[view]
        actual = [c["name"] for c in inspect(engine).get_columns(view)]
        undocumented = [c for c in actual if c not in columns]
        assert not undocumented, f"{view}: columns not in docs/data-dictionary.md: {undocumented}"
        assert columns == actual, f"{view}: documented columns differ from the view's"
        assert queries, f"{view}: no example query"
        with engine.connect() as conn:
            for query in queries:
                conn.execute(text(query)).fetchall()


def test_every_view_in_the_database_is_documented_and_catalogued(engine):
    """A view added by a later migration fails here until the dictionary (and the catalogue
    `monitor export` checks names against) describe it, column by column, with its type."""
    views = set(inspect(engine).get_view_names())
    sections = _sections()
    assert views == set(sections), (
        f"views without a section, or sections without a view: {sorted(views ^ set(sections))}"
    )
    assert set(COLUMNS) == views
    for view in sorted(views):
        actual = [c["name"] for c in inspect(engine).get_columns(view)]
        assert [c for c, _ in COLUMNS[view]] == actual, f"monitor/views.py: {view}"
        assert list(COLUMNS[view]) == sections[view][0], (
            f"{view}: the types in docs/data-dictionary.md differ from monitor/views.py"
        )
