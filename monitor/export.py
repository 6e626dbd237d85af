"""Stream an analyst view to CSV, JSON or Parquet: `monitor export`.

Rows are read in batches (a server-side cursor on PostgreSQL, SQLite's own cursor), written as
they come, and never held all at once. The statement is built from the view catalogue
(monitor/views.py) only: a view or column name that is not in it is refused before anything
runs, and filter values are bound parameters. Writing to a file goes through ``FILE.partial``,
renamed when the last row is written, so a failed export leaves no truncated file behind.

On PostgreSQL, CSV is written by the server itself: ``COPY (SELECT ...) TO STDOUT WITH (FORMAT
csv, HEADER)`` inside the same read-only transaction, its bytes passed straight through (about
twice the rows per second of formatting each row in Python). The SELECT is written so the text is
the row-by-row writer's, byte for byte: dates in ISO form (``DateStyle`` set for the transaction),
an empty text value written as nothing (as a NULL is, where COPY would write ``""``), and filter
values as quoted literals composed by psycopg (``sql.Literal``), never pasted in as text.

Formats: ``csv`` (a header row, then one line per row; empty view: the header only), ``json``
(an array of objects, one per line; empty view: ``[]``), ``parquet`` (typed columns: integer
as int64, dates as date32, the rest as strings; needs the ``parquet`` extra, pyarrow).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import IO, Iterable, Iterator

from monitor.errors import MonitorError, NotFound
from monitor.views import ORDER, columns as view_columns

FORMATS = ("csv", "json", "parquet")
BATCH = 5000


@dataclass
class Selection:
    view: str
    where: list[tuple[str, str]] = field(default_factory=list)  # (column, value); '' is NULL
    since: date | None = None  # keep rows whose period ends on or after this day
    until: date | None = None  # keep rows whose period starts on or before this day


def parse_where(text: str) -> tuple[str, str]:
    column, sep, value = text.partition("=")
    if not sep or not column.strip():
        raise MonitorError(f"--where {text!r} is not COLUMN=VALUE")
    return column.strip(), value


def _value(column: str, kind: str, value: str, dialect: str):
    if kind == "integer":
        try:
            return int(value)
        except ValueError:
            raise MonitorError(
                f"--where {column}={value!r}: {column} holds whole numbers"
            ) from None
    if kind == "date":
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise MonitorError(
                f"--where {column}={value!r}: {column} holds dates (YYYY-MM-DD)"
            ) from None
        return day if dialect == "postgresql" else day.isoformat()
    return value


def build_select(sel: Selection, dialect: str) -> tuple[list[str], str, dict]:
    """(columns, SQL, parameters) for one selection; NotFound for an unknown view or column."""
    types = view_columns(sel.view)
    names = list(types)
    clauses, params = [], {}
    by_column: dict[str, list[str]] = {}
    for column, value in sel.where:
        if column not in types:
            raise NotFound(
                f"view {sel.view} has no column {column!r}; its columns are: {', '.join(names)}"
            )
        by_column.setdefault(column, []).append(value)
    for column, values in by_column.items():
        alternatives = []
        for value in values:
            if value == "":
                alternatives.append(f"{column} IS NULL")
                continue
            key = f"p{len(params)}"
            params[key] = _value(column, types[column], value, dialect)
            alternatives.append(f"{column} = :{key}")
        clauses.append("(" + " OR ".join(alternatives) + ")")
    for bound, column, op in ((sel.since, "period_end", ">="), (sel.until, "period_start", "<=")):
        if bound is not None:
            key = f"p{len(params)}"
            params[key] = bound if dialect == "postgresql" else bound.isoformat()
            clauses.append(f"{column} {op} :{key}")
    sql = f"SELECT {', '.join(names)} FROM {sel.view}"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY " + ", ".join(ORDER[sel.view])
    return names, sql, params


def stream(engine, sel: Selection) -> Iterator[tuple[list[str], Iterator[list[tuple]]]]:
    """Yield once: (columns, batches of rows), inside one read-only transaction.

    Rows come straight from the driver's cursor as tuples (a server-side cursor on PostgreSQL,
    ``FETCH FORWARD`` a batch at a time): building a result row object per row would cost as
    much as the database's own work on a large view. A database error is one MonitorError."""
    from sqlalchemy import text

    dialect = engine.dialect.name
    names, sql, params = build_select(sel, dialect)
    compiled = text(sql).bindparams(**params).compile(dialect=engine.dialect)
    values = compiled.construct_params()
    args = tuple(values[k] for k in compiled.positiontup) if compiled.positional else values
    errors = engine.dialect.dbapi.Error
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        cursor = None
        try:
            if dialect == "postgresql":
                setup = raw.cursor()
                setup.execute("SET TRANSACTION READ ONLY")
                setup.close()
                cursor = raw.cursor(name="monitor_export")
            else:
                cursor = raw.cursor()
            cursor.execute(compiled.string, args)
        except errors as exc:
            raise _failed(sel, exc) from None

        def batches() -> Iterator[list[tuple]]:
            try:
                while True:
                    rows = cursor.fetchmany(BATCH)
                    if not rows:
                        return
                    yield rows
            except errors as exc:
                raise _failed(sel, exc) from None

        try:
            yield names, batches()
        finally:
            try:
                cursor.close()
            finally:
                raw.rollback()


def copy_csv(engine, sel: Selection, write_bytes=None, write_text=None) -> int:
    """Stream the selection as CSV through PostgreSQL's COPY; return the number of rows.

    Gives ``write_bytes`` the server's bytes as they come (a file opened in binary mode), or
    ``write_text`` their text (stdout). Same columns, order, filters and text as ``write_csv``
    over ``stream``; tests/test_export.py holds the two paths to the same bytes."""
    from psycopg import sql

    types = view_columns(sel.view)
    names, select, params = build_select(sel, "postgresql")
    # text columns: '' is written like NULL (nothing), as the csv module writes it
    listed = ", ".join(f"NULLIF({n}, '') AS {n}" if types[n] == "text" else n for n in names)
    select = select.replace(", ".join(names), listed, 1)
    # names come from the view catalogue only (no braces, no colons); values become literals
    template = re.sub(r":(p\d+)\b", r"{\1}", select.replace("{", "{{").replace("}", "}}"))
    query = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER)").format(
        sql.SQL(template).format(**{k: sql.Literal(v) for k, v in params.items()})
    )
    errors = engine.dialect.dbapi.Error
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        try:
            with raw.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
                cursor.execute("SET LOCAL DateStyle TO 'ISO, MDY'")
                decode = None
                if write_bytes is None or raw.info.encoding != "utf-8":
                    decode = codecs.getincrementaldecoder(raw.info.encoding)().decode
                with cursor.copy(query) as copy:
                    for data in copy:
                        if decode is None:
                            write_bytes(data)
                        elif write_bytes is None:
                            write_text(decode(bytes(data)))
                        else:
                            write_bytes(decode(bytes(data)).encode("utf-8"))
                return cursor.rowcount
        except errors as exc:
            raise _failed(sel, exc) from None
        finally:
            raw.rollback()


def _failed(sel: Selection, exc: Exception) -> MonitorError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return MonitorError(f"export of {sel.view} failed: {first}")


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


# Values the csv module would not write as _plain does (str() of a datetime has a space, of a
# Decimal its trailing zeros); everything else it writes the same: None as empty, str(date) is
# its ISO form, int and str as they are.
_CONVERTED = {datetime, Decimal}


def write_csv(names: list[str], batches: Iterable[list[tuple]], out: IO[str]) -> int:
    """A value holding a carriage return is quoted, as one holding a line feed is (and as
    PostgreSQL's COPY quotes it): the csv module, ending lines with a line feed, would otherwise
    leave it bare, and a CSV reader would end the row there."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    count = 0
    for batch in batches:
        if _CONVERTED.isdisjoint(map(type, chain.from_iterable(batch))):
            rows = batch  # the common case, at the csv module's own speed
        else:
            rows = [["" if v is None else _plain(v) for v in row] for row in batch]
        writer.writerows(rows)
        text = buffer.getvalue()
        if "\r" in text:  # only data puts a carriage return there
            text = _quoting_carriage_returns(names if count == 0 else None, rows)
        out.write(text)
        buffer.seek(0)
        buffer.truncate()
        count += len(batch)
    if count == 0:
        out.write(buffer.getvalue())
    return count


def _quoting_carriage_returns(names: list[str] | None, rows) -> str:
    one = io.StringIO()
    writer = csv.writer(one, lineterminator="\r\n")  # quotes any value holding \r or \n
    lines = []
    for row in ([names] if names is not None else []) + list(rows):
        writer.writerow(row)
        lines.append(one.getvalue()[:-2] + "\n")
        one.seek(0)
        one.truncate()
    return "".join(lines)


def write_json(names: list[str], batches: Iterable[list[tuple]], out: IO[str]) -> int:
    count = 0
    out.write("[")
    for batch in batches:
        for row in batch:
            out.write(",\n" if count else "\n")
            out.write(json.dumps(dict(zip(names, map(_plain, row))), ensure_ascii=False))
            count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise MonitorError(
            "--format parquet needs pyarrow, which is not installed: "
            "pip install 'separation-reporting-monitor[parquet]'"
        ) from None
    return pyarrow, pyarrow.parquet


def write_parquet(view: str, names: list[str], batches: Iterable[list[tuple]], path: Path) -> int:
    pa, pq = _pyarrow()
    types = view_columns(view)
    arrow = {"integer": pa.int64(), "date": pa.date32()}
    schema = pa.schema([(n, arrow.get(types[n], pa.string())) for n in names])
    dates = [i for i, n in enumerate(names) if types[n] == "date"]
    count = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        for batch in batches:
            cols = [list(c) for c in zip(*batch)] if batch else [[] for _ in names]
            for i in dates:  # SQLite keeps dates as ISO text
                cols[i] = [date.fromisoformat(v) if isinstance(v, str) else v for v in cols[i]]
            writer.write_table(pa.table(cols, schema=schema))
            count += len(batch)
        if count == 0:
            writer.write_table(schema.empty_table())
    return count


def export(engine, sel: Selection, fmt: str, output: Path | None, stdout: IO[str]) -> int:
    """Write the selection; return the number of rows written."""
    if fmt not in FORMATS:
        raise MonitorError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    if fmt == "parquet":
        if output is None:
            raise MonitorError("--format parquet writes a file: give --output FILE.parquet")
        _pyarrow()
    build_select(sel, engine.dialect.name)  # unknown names: refused before any file is made
    partial = None
    if output is not None:
        partial = output.with_name(output.name + ".partial")
    try:
        if fmt == "csv" and engine.dialect.name == "postgresql":
            if partial is not None:
                with open(partial, "wb") as out:
                    count = copy_csv(engine, sel, write_bytes=out.write)
            else:
                count = copy_csv(engine, sel, write_text=stdout.write)
            if partial is not None:
                os.replace(partial, output)
                partial = None
            return count
        gen = stream(engine, sel)
        names, batches = next(gen)
        try:
            if fmt == "parquet":
                count = write_parquet(sel.view, names, batches, partial)
            elif partial is not None:
                with open(partial, "w", encoding="utf-8", newline="") as out:
                    count = (write_csv if fmt == "csv" else write_json)(names, batches, out)
            else:
                count = (write_csv if fmt == "csv" else write_json)(names, batches, stdout)
        finally:
            gen.close()
        if partial is not None:
            os.replace(partial, output)
            partial = None
        return count
    finally:
        if partial is not None and partial.exists():
            partial.unlink()
