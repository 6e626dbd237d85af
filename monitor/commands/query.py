"""monitor query: run one read-only SQL statement against the monitor's database."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "query",
        help="Run one read-only SQL statement (the analyst views) and print the rows.",
        description="Run one SQL statement that reads, e.g. against the analyst views of "
        "docs/data-dictionary.md. Nothing can be written: SQLite is opened "
        "read-only (mode=ro, query_only, an authorizer that allows reading only); "
        "PostgreSQL runs it in a READ ONLY transaction that is rolled back, as one "
        "prepared statement, refusing volatile functions (side effects). Writes "
        "(INSERT, UPDATE, DELETE, DROP, ATTACH, PRAGMA writes, COPY, "
        "multi-statement strings...) are refused with one error line and exit "
        "status 1. It connects with database_url: point MONITOR_DATABASE_URL at a "
        "role that may only SELECT for one more wall.",
    )
    p.add_argument("sql", metavar="SQL", help="One statement: SELECT, WITH, VALUES, EXPLAIN.")
    p.add_argument(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help="table (default, aligned columns), csv, or json (an array of objects).",
    )
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    import sys

    from monitor.export import write_csv, write_json
    from monitor.query_output import write_table
    from monitor.readonly_sql import run_readonly

    with run_readonly(ctx.settings.database_url, args.sql) as (names, rows):
        batches = _batches(rows)
        if args.format == "csv":
            write_csv(names, batches, sys.stdout)
        elif args.format == "json":
            write_json(names, batches, sys.stdout)
        else:
            write_table(names, batches, sys.stdout)
    return 0


def _batches(rows, size: int = 1000):
    batch = []
    for row in rows:
        batch.append(tuple(row))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
