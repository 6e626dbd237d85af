"""monitor db upgrade|current|downgrade"""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser(
        "db",
        help="Database migrations (upgrade, current, downgrade).",
        description="Manage the schema of the configured database.",
    )
    dbsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dbsub.add_parser("upgrade", help="Migrate the configured database to the newest schema.")
    up.add_argument("revision", nargs="?", default="head", help="Target revision (default: head).")
    up.add_argument(
        "--repair",
        action="store_true",
        help="A database with tables but no schema version (a first migration that "
        "was interrupted): drop those tables if they are all the monitor's and "
        "empty, then migrate. Refuses, changing nothing, otherwise.",
    )
    up.set_defaults(handler=upgrade)
    cur = dbsub.add_parser("current", help="Show the schema revision of the configured database.")
    cur.add_argument("--json", action="store_true", help="Machine-readable output.")
    cur.set_defaults(handler=current)
    down = dbsub.add_parser("downgrade", help="Migrate down to REVISION (e.g. base). Drops data.")
    down.add_argument("revision", help="Target revision, e.g. 'base' or '0001'.")
    down.set_defaults(handler=downgrade)


def _engine(ctx):
    from monitor.db import make_engine

    return make_engine(ctx.settings.database_url, synchronous=ctx.settings.sqlite_synchronous)


def upgrade(args: argparse.Namespace, ctx) -> int:
    from monitor.config import redact_url
    from monitor.db import current_revision, upgrade as do_upgrade

    from monitor.config_checks import ensure_directory
    from monitor.db import sqlite_directory

    directory = sqlite_directory(ctx.settings.database_url)
    if directory is not None and not directory.is_dir():
        ensure_directory(directory, "MONITOR_DATABASE_URL")
        print(f"created directory {directory} for the SQLite database")
    from monitor.context import say_waiting

    engine = _engine(ctx)
    dropped = do_upgrade(
        engine,
        args.revision,
        lock_timeout=ctx.settings.lock_timeout,
        on_wait=say_waiting,
        repair=args.repair,
    )
    if dropped:
        print(
            f"repaired: dropped {len(dropped)} empty table(s) and view(s) an interrupted "
            "migration left"
        )
    print(f"{redact_url(ctx.settings.database_url)} is at revision {current_revision(engine)}")
    return 0


def current(args: argparse.Namespace, ctx) -> int:
    from monitor.config import redact_url
    from monitor.db import current_revision, head_revision
    from monitor.errors import DatabaseError
    from sqlalchemy.exc import OperationalError

    from monitor.migrating import check_sqlite_file, sqlite_file

    engine = _engine(ctx)
    if sqlite_file(engine) is not None:
        check_sqlite_file(sqlite_file(engine))
    try:
        cur = current_revision(engine)
    except OperationalError as exc:
        raise DatabaseError(
            f"database unreachable: {str(exc.orig).strip().splitlines()[0]}"
        ) from None
    head = head_revision(engine)
    if args.json:
        from monitor.output import print_json

        print_json(
            {
                "database": redact_url(ctx.settings.database_url),
                "current": cur,
                "head": head,
                "up_to_date": cur == head,
            }
        )
    else:
        state = "up to date" if cur == head else f"behind head {head}: run `monitor db upgrade`"
        print(f"{redact_url(ctx.settings.database_url)}: revision {cur or 'none'} ({state})")
    return 0


def downgrade(args: argparse.Namespace, ctx) -> int:
    from monitor.db import current_revision, downgrade as do_downgrade

    from monitor.context import say_waiting

    engine = _engine(ctx)
    do_downgrade(engine, args.revision, lock_timeout=ctx.settings.lock_timeout, on_wait=say_waiting)
    print(f"now at revision {current_revision(engine) or 'base (empty)'}")
    return 0
