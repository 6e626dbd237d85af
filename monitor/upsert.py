"""Insert-or-ignore for rows two writers may both try to create (a source's row, a snapshot):
``INSERT ... ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL alike, so the second insert is a
no-op instead of an IntegrityError that rolls back everything its transaction did."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def insert_or_ignore(
    session: Session, model: type, values: dict[str, Any], conflict: tuple[str, ...] | None = None
) -> bool:
    """Insert one row of ``model`` unless one with the same key (``conflict``: the unique
    columns; default the primary key) exists. Returns whether a row was inserted."""
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = model.__table__
    stmt = insert(table).values(**values)
    stmt = (
        stmt.on_conflict_do_nothing(index_elements=list(conflict))
        if conflict
        else stmt.on_conflict_do_nothing()
    )
    # RETURNING says whether a row went in (DO NOTHING returns none); Core, not ORM, execution
    stmt = stmt.returning(*table.primary_key.columns)
    return session.connection().execute(stmt).first() is not None


def insert_many_or_ignore(
    session: Session,
    model: type,
    rows: list[dict[str, Any]],
    conflict: tuple[str, ...],
    returning: tuple = (),
    entity: bool = False,
    chunk: int = 500,
    render_nulls: bool = False,
) -> list:
    """Insert many rows of ``model`` as one executemany (the dialect batches it into multi-row
    INSERTs: one statement per ``chunk`` rows, far below SQLite's limit on bound parameters),
    ignoring those whose ``conflict`` key another writer inserted first. Returns the inserted
    rows' ``returning`` columns, or with ``entity`` the inserted rows as ORM objects, in the
    session. The statement is the same whatever the rows, so it is compiled once and cached (a
    ``.values([...])`` statement is compiled anew for every call: five times slower).

    ``render_nulls`` (ORM rows only) inserts a None as NULL instead of leaving its column out:
    the ORM groups rows by the columns they set, and rows leaving out different ones went in as
    one INSERT each. Only for columns where None means SQL NULL and nothing else (not a JSON
    column, which stores None as JSON ``null``; not a column with a default)."""
    insert = _insert_for(session)
    out: list = []
    if entity:
        stmt = insert(model).on_conflict_do_nothing(index_elements=list(conflict)).returning(model)
        if render_nulls:
            stmt = stmt.execution_options(render_nulls=True)
    else:
        stmt = (
            insert(model.__table__)
            .on_conflict_do_nothing(index_elements=list(conflict))
            .returning(*returning)
        )
    for i in range(0, len(rows), chunk):
        part = rows[i : i + chunk]
        if entity:
            out.extend(session.scalars(stmt, part))
        else:
            out.extend(session.connection().execute(stmt, part).all())
    return out


def _insert_for(session: Session):
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert
