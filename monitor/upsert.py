"""Insert-or-ignore for rows two writers may both try to create (a source's row, a snapshot):
``INSERT ... ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL alike, so the second insert is a
no-op instead of an IntegrityError that rolls back everything its transaction did."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def insert_or_ignore(session: Session, model: type, values: dict[str, Any],
                     conflict: tuple[str, ...] | None = None) -> bool:
    """Insert one row of ``model`` unless one with the same key (``conflict``: the unique
    columns; default the primary key) exists. Returns whether a row was inserted."""
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = model.__table__
    stmt = insert(table).values(**values)
    stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict)) if conflict else \
        stmt.on_conflict_do_nothing()
    # RETURNING says whether a row went in (DO NOTHING returns none); Core, not ORM, execution
    stmt = stmt.returning(*table.primary_key.columns)
    return session.connection().execute(stmt).first() is not None
