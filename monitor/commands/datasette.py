"""monitor datasette: serve the analyst views with Datasette (SQLite deployments)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "datasette",
        help="Serve the analyst views with Datasette (SQLite only; the 'datasette' extra).",
        description="Serve the SQLite database with Datasette, immutable, with metadata built "
        "from docs/data-dictionary.md (titles, descriptions, units, the dictionary's "
        "example queries as canned queries) and arbitrary SQL off. By default it "
        "serves a consistent copy taken now (the monitor may go on writing to the "
        "database); --in-place serves the file itself, for a copy nothing writes to. "
        "PostgreSQL is refused: Datasette reads SQLite files. Needs "
        "pip install 'separation-reporting-monitor[datasette]'.",
    )
    p.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
    p.add_argument("--port", type=int, default=8001, help="Port (default 8001).")
    p.add_argument(
        "--in-place",
        action="store_true",
        help="Serve the database file itself, immutable, instead of a copy: only for "
        "a file nothing writes to any more (SQLite assumes it never changes).",
    )
    p.add_argument(
        "--metadata",
        metavar="FILE",
        help="Write the metadata as JSON to FILE and exit, for `datasette serve -i "
        "DB -m FILE --setting default_allow_sql off`.",
    )
    p.set_defaults(handler=run, writes=False)


def run(args, ctx) -> int:
    import json
    import shutil
    import tempfile
    from pathlib import Path

    from monitor import datasette_site as site

    path = site.sqlite_path(ctx.settings.database_url)  # PostgreSQL: refused before connecting
    if args.metadata:
        ctx.engine  # migrated: the views exist
        meta = site.metadata(path.stem, site.table_names(path))
        Path(args.metadata).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        print(
            f"{args.metadata}: Datasette metadata for {path.stem} "
            f"({len(meta['databases'][path.stem]['queries'])} canned queries)"
        )
        return 0
    site._datasette_class()  # not installed: one line, before any copy is made
    ctx.engine  # migrated: the views exist
    ctx.database.dispose()
    workdir = None
    try:
        if args.in_place:
            site.refuse_live(path)
            served = path
            what = f"{path} in place (immutable)"
        else:
            workdir = Path(tempfile.mkdtemp(prefix="monitor-datasette-"))
            served = workdir / path.name
            site.snapshot(path, served)
            taken = ctx.now().strftime("%Y-%m-%dT%H:%M:%SZ")
            what = f"a copy of {path} taken {taken} (restart to see later data)"
        ds = site.build(served)
        print(
            f"serving {what} at http://{args.host}:{args.port}/{served.stem}; Ctrl-C stops",
            flush=True,
        )
        site.serve(ds, args.host, args.port)
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0
