"""Insert-or-ignore for rows two writers may both try to create (a source's row, a snapshot):
``INSERT ... ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL alike, so the second insert is a
no-op instead of an IntegrityError that rolls back everything its transaction did."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy.orm import Session, make_transient_to_detached


def insert_or_ignore(
    session: Session, model: type, values: dict[str, Any], conflict: tuple[str, ...] | None = None
) -> bool:
    """Insert one row of ``model`` unless one with the same key (``conflict``: the unique
    columns; default the primary key) exists. Returns whether a row was inserted."""
    # RETURNING says whether a row went in (DO NOTHING returns none); Core, not ORM, execution
    # of a statement built once per table (the values are bound, not built into it)
    stmt = _row_or_ignore_statement(session.bind.dialect.name, model, conflict)
    return session.connection().execute(stmt, values).first() is not None


def insert_many_or_ignore(
    session: Session,
    model: type,
    rows: list[dict[str, Any]],
    conflict: tuple[str, ...],
    returning: tuple = (),
    chunk: int = 500,
) -> list:
    """Insert many rows of ``model`` as one executemany (the dialect batches it into multi-row
    INSERTs: one statement per ``chunk`` rows, far below SQLite's limit on bound parameters),
    ignoring those whose ``conflict`` key another writer inserted first. Returns the inserted
    rows' ``returning`` columns. The statement is the same whatever the rows, so it is compiled
    once and cached (a ``.values([...])`` statement is compiled anew for every call: five times
    slower). Every row names the same columns (a None is NULL)."""
    stmt = (
        _insert_for(session)(model.__table__)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(*returning)
    )
    out: list = []
    for i in range(0, len(rows), chunk):
        out.extend(session.connection().execute(stmt, rows[i : i + chunk]).all())
    return out


def dialect_insert(dialect: str):
    """The ``insert`` of the database ``dialect`` names (the one with ``ON CONFLICT``)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _insert_for(session: Session):
    return dialect_insert(session.bind.dialect.name)


def stored_object(session: Session, model: type, pk: int, values: dict[str, Any]):
    """The row of ``model`` just inserted by a Core statement with ``values`` and primary key
    ``pk``, as a persistent ORM object in the session, without a second INSERT or a SELECT
    (the ORM's unit of work for one new row cost more than the row). Columns ``values`` left
    to their defaults are read back when asked."""
    obj = model(id=pk, **values)
    make_transient_to_detached(obj)
    session.add(obj)
    unset = [c.key for c in model.__table__.columns if c.key != "id" and c.key not in values]
    if unset:
        session.expire(obj, unset)
    return obj


def insert_row_or_ignore(
    session: Session, model: type, values: dict[str, Any], conflict: tuple[str, ...]
):
    """:func:`insert_or_ignore` handing back the inserted row as an ORM object
    (:func:`stored_object`), or None when another writer's row had the ``conflict`` key."""
    stmt = _row_or_ignore_statement(session.bind.dialect.name, model, conflict)
    pk = session.connection().execute(stmt, values).scalar()
    return None if pk is None else stored_object(session, model, pk, values)


@functools.cache
def _row_or_ignore_statement(dialect: str, model: type, conflict: tuple[str, ...] | None):
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING`` the primary key, on ``conflict`` (the
    unique columns; None: any constraint)."""
    table = model.__table__
    stmt = dialect_insert(dialect)(table)
    stmt = (
        stmt.on_conflict_do_nothing(index_elements=list(conflict))
        if conflict
        else stmt.on_conflict_do_nothing()
    )
    return stmt.returning(*table.primary_key.columns)
