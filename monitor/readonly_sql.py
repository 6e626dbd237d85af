"""Run an analyst's SQL statement without letting it write: `monitor query`.

Three layers, any one of which refuses a write on its own:

1. A lexical check (comments and literals stripped first): exactly one statement, starting with
   a read-only keyword (SELECT, WITH, VALUES, TABLE, EXPLAIN, SHOW on PostgreSQL, PRAGMA on
   SQLite), with no writing keyword anywhere (INSERT, UPDATE, DELETE, MERGE, DROP, CREATE,
   ALTER, TRUNCATE, ATTACH, DETACH, COPY, GRANT, REVOKE, ...). It exists to give a clear message.
2. The database session itself. SQLite: the file is opened with the ``mode=ro`` URI,
   ``PRAGMA query_only`` is on, and an authorizer allows only reading, a list of read-only
   pragmas, and functions other than the few that reach outside (``load_extension``...).
   Python's sqlite3 runs one statement per call. PostgreSQL: the statement runs in a ``READ ONLY``
   transaction that is always rolled back, as a prepared statement (the server refuses more than
   one command in it), and any *volatile* function it names (``pg_terminate_backend``,
   ``lo_export``, ``nextval``, ``set_config``, ``pg_read_file``...) is refused before it runs,
   except the harmless ones (``random``, ``clock_timestamp``...).
3. Optionally, the deployment: a ``database_url`` naming a role that may only SELECT (README).

A refusal raises :class:`QueryRefused`; a statement the database rejects (syntax, unknown
column) raises :class:`QueryFailed`. Both are one line for the CLI.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from monitor.errors import MonitorError

READ_KEYWORDS = {"select", "with", "values", "explain"}
READ_KEYWORDS_BY_DIALECT = {"postgresql": {"table", "show"}, "sqlite": {"pragma"}}
WRITE_KEYWORDS = {
    "insert",
    "update",
    "delete",
    "merge",
    "upsert",
    "drop",
    "create",
    "alter",
    "truncate",
    "attach",
    "detach",
    "copy",
    "grant",
    "revoke",
    "vacuum",
    "reindex",
    "cluster",
    "refresh",
    "lock",
    "listen",
    "notify",
    "call",
    "prepare",
    "execute",
    "deallocate",
    "begin",
    "commit",
    "rollback",
    "savepoint",
    "checkpoint",
}
# Words that are written before "(" without being a function call.
NOT_FUNCTIONS = {
    "in",
    "exists",
    "values",
    "as",
    "from",
    "join",
    "on",
    "using",
    "over",
    "filter",
    "within",
    "and",
    "or",
    "not",
    "select",
    "where",
    "when",
    "then",
    "else",
    "any",
    "all",
    "some",
    "array",
    "row",
    "lateral",
    "with",
    "by",
    "is",
    "like",
    "ilike",
    "similar",
    "between",
    "returning",
    "partition",
    "recursive",
    "materialized",
    "table",
    "cast",
    "case",
    "into",
    "limit",
    "offset",
    "group",
    "order",
    "having",
    "window",
    "union",
    "intersect",
    "except",
    "distinct",
    "explain",
    "analyze",
    "verbose",
    "format",
    "escape",
    "tablesample",
    "repeatable",
    "lateral",
}
# Volatile PostgreSQL functions that only read or compute: allowed.
HARMLESS_VOLATILE = {
    "random",
    "random_normal",
    "clock_timestamp",
    "timeofday",
    "gen_random_uuid",
    "uuid_generate_v4",
    "statement_timestamp",
    "txid_current_if_assigned",
    "pg_backend_pid",
}
# SQLite functions that reach outside the database (most are not even built in).
SQLITE_REFUSED_FUNCTIONS = {
    "load_extension",
    "fts3_tokenizer",
    "writefile",
    "readfile",
    "edit",
    "sqlite_dbpage",
    "zipfile",
}
# SQLite pragmas that only read; the ones that take a table or index name may have that argument.
SQLITE_READ_PRAGMAS = {
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "database_list",
    "function_list",
    "pragma_list",
    "collation_list",
    "compile_options",
    "user_version",
    "schema_version",
    "application_id",
    "encoding",
    "page_size",
    "page_count",
    "freelist_count",
    "data_version",
    "foreign_keys",
    "query_only",
}
SQLITE_NAME_PRAGMAS = {
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
}


class QueryRefused(MonitorError):
    """The statement would (or might) write: nothing was run, or it was stopped unrun."""

    def __init__(self, why: str) -> None:
        super().__init__(
            f"refused: {why}; `monitor query` runs one read-only statement "
            "(SELECT, WITH, VALUES, EXPLAIN) and changes nothing"
        )


class QueryFailed(MonitorError):
    """The database rejected the statement (syntax, unknown table or column...)."""


@dataclass(frozen=True)
class Scanned:
    code: str  # the statement with comments removed and every literal emptied to ''
    statements: int  # non-empty statements in the text
    identifiers: tuple[str, ...]  # double-quoted (or bracketed, backticked) identifiers


_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


def scan(sql: str, dialect: str) -> Scanned:
    """Strip comments and literals, count statements. An unterminated literal or comment is a
    refusal: what the database would make of the rest cannot be known here."""
    out: list[str] = []
    quoted: list[str] = []
    statements, current = 0, []
    i, n = 0, len(sql)

    def close_statement() -> None:
        nonlocal statements, current
        if "".join(current).strip():
            statements += 1
        current = []

    while i < n:
        c = sql[i]
        nxt = sql[i + 1] if i + 1 < n else ""
        if c == "-" and nxt == "-":
            end = sql.find("\n", i)
            i = n if end < 0 else end
            out.append(" ")
            continue
        if c == "/" and nxt == "*":
            depth, j = 1, i + 2
            while j < n and depth:
                if sql.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                elif dialect == "postgresql" and sql.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                else:
                    j += 1
            if depth:
                raise QueryRefused("the statement has an unterminated /* comment")
            i = j
            out.append(" ")
            continue
        if c == "'":
            backslash = (
                dialect == "postgresql"
                and i > 0
                and sql[i - 1] in "eE"
                and (i < 2 or not (sql[i - 2].isalnum() or sql[i - 2] == "_"))
            )
            j = i + 1
            while True:
                if j >= n:
                    raise QueryRefused("the statement has an unterminated string literal")
                if backslash and sql[j] == "\\":
                    j += 2
                    continue
                if sql[j] == "'":
                    if j + 1 < n and sql[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
            out.append("''")
            current.append("''")
            continue
        closing = (
            {'"': '"', "`": "`", "[": "]"}.get(c) if (c == '"' or dialect == "sqlite") else None
        )
        if closing:
            j = i + 1
            while True:
                if j >= n:
                    raise QueryRefused("the statement has an unterminated quoted identifier")
                if sql[j] == closing:
                    if closing != "]" and j + 1 < n and sql[j + 1] == closing:
                        j += 2
                        continue
                    break
                j += 1
            name = sql[i + 1 : j].replace(closing * 2, closing)
            quoted.append(name)
            token = '"' + re.sub(r"\W", "_", name) + '"'
            out.append(token)
            current.append(token)
            i = j + 1
            continue
        if (
            c == "$"
            and dialect == "postgresql"
            and not (i > 0 and (sql[i - 1].isalnum() or sql[i - 1] == "_"))
        ):
            m = _DOLLAR.match(sql, i)
            if m:
                end = sql.find(m.group(0), m.end())
                if end < 0:
                    raise QueryRefused("the statement has an unterminated $-quoted string")
                i = end + len(m.group(0))
                out.append("''")
                current.append("''")
                continue
        if c == ";":
            close_statement()
            out.append(" ; ")
            i += 1
            continue
        out.append(c)
        current.append(c)
        i += 1
    close_statement()
    return Scanned("".join(out), statements, tuple(quoted))


def _words(code: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z_][A-Za-z_0-9$]*", code)]


def function_names(code: str) -> set[str]:
    """Names written as calls, ``name(`` or ``schema.name(`` or ``"name"(``, lower-cased."""
    names = set()
    for m in re.finditer(r'(?:"(\w+)"|([A-Za-z_][A-Za-z_0-9$]*))\s*\(', code):
        name = (m.group(1) or m.group(2)).lower()
        if name not in NOT_FUNCTIONS:
            names.add(name)
    return names


def check_statement(sql: str, dialect: str) -> Scanned:
    """The lexical layer: raise QueryRefused unless ``sql`` is one statement that reads."""
    scanned = scan(sql, dialect)
    if scanned.statements == 0:
        raise QueryFailed("no SQL statement given")
    if scanned.statements > 1:
        raise QueryRefused(
            f"the text holds {scanned.statements} statements; give one "
            "(a multi-statement string could hide a write after a read)"
        )
    words = _words(scanned.code)
    first = words[0] if words else scanned.code.strip()[:1]
    allowed = READ_KEYWORDS | READ_KEYWORDS_BY_DIALECT.get(dialect, set())
    if first not in allowed and first != "(":
        raise QueryRefused(f"{first.upper()} is not a reading statement")
    written = [w for w in words if w in WRITE_KEYWORDS]
    if written:  # a data-modifying CTE, SELECT ... FOR UPDATE, EXPLAIN ANALYZE DELETE ...
        raise QueryRefused(f"the statement contains {written[0].upper()}, which writes")
    if dialect == "sqlite":
        refused = function_names(scanned.code) & SQLITE_REFUSED_FUNCTIONS
        if refused:
            raise QueryRefused(f"function {sorted(refused)[0]}() reaches outside the database")
    return scanned


# --- running -------------------------------------------------------------------------------------


def _sqlite_path(url: str) -> str:
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise MonitorError("monitor query needs a SQLite database file (sqlite:///PATH)")
    return database


@contextmanager
def sqlite_readonly(url: str) -> Iterator[tuple[sqlite3.Connection, list[str]]]:
    """A connection to the SQLite file of ``url`` that cannot write (``mode=ro``, query_only,
    an authorizer that allows reading only), with the list the authorizer notes refusals in."""
    from pathlib import Path
    from urllib.parse import quote

    path = Path(_sqlite_path(url)).expanduser().absolute()
    if not path.is_file():
        raise MonitorError(f"no SQLite database at {path}")
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
    denied: list[str] = []
    conn.execute("PRAGMA query_only = ON")
    conn.set_authorizer(_authorizer(denied))
    try:
        yield conn, denied
    finally:
        conn.close()


_ACTION_NAMES = {
    getattr(sqlite3, name): name[len("SQLITE_") :].lower().replace("_", " ")
    for name in dir(sqlite3)
    if name.startswith("SQLITE_")
    and name not in ("SQLITE_OK", "SQLITE_DENY", "SQLITE_IGNORE")
    and isinstance(getattr(sqlite3, name), int)
    and getattr(sqlite3, name) < 100
}


def _authorizer(denied: list[str]):
    def authorize(action: int, arg1: Any, arg2: Any, _db: Any, _trigger: Any) -> int:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION:
            if str(arg2).lower() in SQLITE_REFUSED_FUNCTIONS:
                denied.append(f"function {arg2}() reaches outside the database")
                return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA:
            name = str(arg1).lower()
            if name in SQLITE_READ_PRAGMAS and (arg2 is None or name in SQLITE_NAME_PRAGMAS):
                return sqlite3.SQLITE_OK
            denied.append(
                f"PRAGMA {name}"
                + ("" if arg2 is None else f" = {arg2}")
                + " is not a read-only pragma"
            )
            return sqlite3.SQLITE_DENY
        what = _ACTION_NAMES.get(action, f"action {action}")
        denied.append(f"{what.upper()} would change the database")
        return sqlite3.SQLITE_DENY

    return authorize


@contextmanager
def run_sqlite(url: str, sql: str) -> Iterator[tuple[list[str], Iterator[tuple]]]:
    """Yield (columns, rows) for ``sql`` on the SQLite file of ``url``, read-only."""
    check_statement(sql, "sqlite")
    with sqlite_readonly(url) as (conn, denied):
        try:
            cur = conn.execute(sql)
        except sqlite3.ProgrammingError as exc:  # "You can only execute one statement at a time"
            raise QueryRefused(str(exc).rstrip(".")) from None
        except sqlite3.Error as exc:
            if denied:
                raise QueryRefused(denied[0]) from None
            if "readonly" in str(exc) or "read-only" in str(exc):
                raise QueryRefused(f"the database said: {exc}") from None
            raise QueryFailed(f"SQLite: {exc}") from None
        columns = [d[0] for d in cur.description or ()]
        yield columns, _sqlite_rows(cur, denied)


def _sqlite_rows(cur, denied: list[str]) -> Iterator[tuple]:
    try:
        while batch := cur.fetchmany(1000):
            yield from batch
    except sqlite3.Error as exc:
        if denied:
            raise QueryRefused(denied[0]) from None
        raise QueryFailed(f"SQLite: {exc}") from None


def _pg_volatile(cur, names: set[str]) -> list[str]:
    if not names:
        return []
    cur.execute(
        "SELECT DISTINCT proname FROM pg_catalog.pg_proc "
        "WHERE proname = ANY(%s) AND provolatile = 'v' ORDER BY proname",
        (sorted(names),),
        prepare=True,
    )
    return [r[0] for r in cur.fetchall() if r[0] not in HARMLESS_VOLATILE]


@contextmanager
def run_postgresql(engine, sql: str) -> Iterator[tuple[list[str], Iterator[tuple]]]:
    """Yield (columns, rows) for ``sql`` in a READ ONLY transaction that is rolled back."""
    import psycopg

    scanned = check_statement(sql, "postgresql")
    raw = engine.raw_connection()
    conn = raw.driver_connection
    try:
        conn.rollback()
        conn.autocommit = False
        conn.read_only = True
        with conn.cursor() as cur:
            volatile = _pg_volatile(
                cur, function_names(scanned.code) | {q.lower() for q in scanned.identifiers}
            )
            if volatile:
                raise QueryRefused(
                    f"function {volatile[0]}() is volatile: it may have side "
                    "effects outside the query"
                )
            try:
                cur.execute(sql, prepare=True)
            except psycopg.errors.ReadOnlySqlTransaction as exc:
                raise QueryRefused(f"the database said: {_first_line(exc)}") from None
            except psycopg.Error as exc:
                if "multiple commands" in str(exc):
                    raise QueryRefused("the text holds more than one statement") from None
                raise QueryFailed(f"PostgreSQL: {_first_line(exc)}") from None
            columns = [d.name for d in cur.description or ()]
            yield columns, _pg_rows(cur)
    finally:
        try:
            conn.rollback()
        finally:
            raw.invalidate()  # never handed back to a pool in its read-only state


def _pg_rows(cur) -> Iterator[tuple]:
    import psycopg

    if cur.description is None:
        return
    try:
        while batch := cur.fetchmany(1000):
            yield from batch
    except psycopg.Error as exc:
        raise QueryFailed(f"PostgreSQL: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@contextmanager
def run_readonly(url: str, sql: str) -> Iterator[tuple[list[str], Iterator[tuple]]]:
    """(columns, rows) of one read-only statement on the database at ``url``."""
    if url.startswith("sqlite"):
        with run_sqlite(url, sql) as result:
            yield result
        return
    from monitor.db import make_engine

    engine = make_engine(url)
    try:
        with run_postgresql(engine, sql) as result:
            yield result
    finally:
        engine.dispose()
