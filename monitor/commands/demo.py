"""monitor demo: the whole pipeline offline, against the bundled documents."""

from __future__ import annotations

import argparse


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return value


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="Run the whole pipeline offline against bundled documents (start here).",
        description="Serves the project's bundled DHS and HHS documents (real openings and "
        "reconstructed tables) on 127.0.0.1, polls them on three simulated days "
        "ending 2022-09-30, evaluates every obligation and prints what the monitor "
        "found. Uses a temporary directory for the SQLite database and archive, "
        "removed at the end, unless --keep DIR. Refuses a database that already "
        "holds records the demo did not write (its findings would mix with the "
        "demo's) unless --force. Holds the writer lock of the database it writes, as "
        "every writing command does (waiting up to MONITOR_LOCK_TIMEOUT for another "
        "writer). Never reaches beyond 127.0.0.1. Exit 0 when the demo ran (the DHS "
        "source failing is part of it), 1 when it was refused or could not run.",
    )
    p.add_argument(
        "--database",
        metavar="URL",
        help="Database URL to use instead of a SQLite file in the demo's directory.",
    )
    p.add_argument(
        "--keep",
        metavar="DIR",
        help="Put the demo's database and archive in DIR and keep them (DIR may hold "
        "an earlier demo's).",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="Run even on a database that holds records the demo did not write.",
    )
    p.add_argument("--json", action="store_true", help="Machine-readable summary of the last day.")
    p.add_argument(
        "--serve-only",
        action="store_true",
        help="Only start the demo's web server (the bundled documents at mirror "
        "paths, for `monitor fetch --mirror`), print its base URL and serve "
        "until interrupted (Ctrl-C: exit 0).",
    )
    p.add_argument(
        "--port",
        type=_port,
        default=None,
        help="Port of --serve-only on 127.0.0.1 (default 8000; 0: any free port).",
    )
    p.set_defaults(handler=run, parser=p)


def run(args, ctx) -> int:
    if args.serve_only:
        if args.database or args.keep or args.force or args.json:
            args.parser.error("--serve-only takes only --port")
        from monitor.demo import serve

        serve(8000 if args.port is None else args.port, out=lambda line: print(line, flush=True))
        return 0
    if args.port is not None:
        args.parser.error("--port goes with --serve-only")

    from pathlib import Path

    from monitor.demo import run_demo

    result = run_demo(
        database_url=args.database,
        keep=Path(args.keep) if args.keep else None,
        force=args.force,
        lock_timeout=ctx.settings.lock_timeout,
    )
    try:
        _print(result, args.json)
    finally:
        result.cleanup()
    return 0


def _print(result, as_json: bool) -> None:
    from monitor.config import redact_url
    from monitor.demo import AS_OF, DENIED, WATCH_FROM
    from monitor.shipped import demo_documents_dir
    from monitor.output import print_json
    from monitor.pipeline import report_json
    from monitor.run_summary import print_report

    last = result.reports[-1]
    db = redact_url(result.database_url)
    temporary_db = result.temporary and db.startswith("sqlite")
    if as_json:
        data = report_json(last)
        data["demo"] = {
            "home": None if result.temporary else str(result.home),
            "database": None if temporary_db else db,
            "archive": None if result.temporary else str(result.archive_dir),
            "kept": not result.temporary,
            "requests": result.requests,
            "slack_json": str(result.slack_json),
            "digest_html": str(result.digest_html),
        }
        print_json(data)
        return
    for day in result.reports[:-1]:
        print(
            f"{day.now:%Y-%m-%d}: polled "
            + ", ".join(
                f"{p.source} ({'ok' if p.succeeded else 'failed'}, {p.health_after})"
                for p in day.polls
            )
        )
    print(f"{last.now:%Y-%m-%d}: polled again and evaluated every obligation:\n")
    print_report(last)
    print(f"""
What you are looking at
  The documents were served from 127.0.0.1 ({result.requests} requests), standing in for
  dhs.gov, hhs.gov and the Congress.gov API (asked with a key of the demo's own). Report
  tables are RECONSTRUCTED fixtures around real openings, never published figures; Congress's
  record holds a few RECONSTRUCTED communications (HHS's April 2022 report received by the
  Senate), so "no submission" there speaks of the demo's bundle, not of Congress.
  {DENIED[0]} answered with a CDN denial page on every poll,
  so DHS is broken and its months without a report are 'unknown', not 'missing'.
  Periods before {WATCH_FROM} are not judged in the demo (MONITOR_WATCH_FROM).
  GovInfo has no key here: it is not polled, and that is one operator finding (access).

What it would tell people (written, not sent: the demo has no Slack token or mail server)
  Slack:    {result.slack_json}  (the Slack API calls, Block Kit)
  Digest:   {result.digest_html}  (the email of week {AS_OF:%G-W%V}; open it in a browser)
""")
    if result.temporary:
        print(f"""Database: {'temporary, removed' if temporary_db else db}
Archive:  temporary, removed

To go on exploring the demo's findings, keep its database and archive:
  monitor demo --keep ./monitor-demo""")
        return
    sync = last.sync
    missing = [r.id for r in (sync.findings if sync else []) if r.kind == "missing"]
    example = min(missing) if missing else "ID"
    print(f"""Database: {db}
Archive:  {result.archive_dir}  (every body by sha256; `monitor archive verify` checks it)

Go on exploring (same database and archive):
  export MONITOR_HOME={result.home}
  export MONITOR_DATABASE_URL={db}
  export MONITOR_WATCH_FROM={WATCH_FROM}
  monitor findings                      # every finding with its state
  monitor findings show {example:<16}# one finding whole: evidence, transitions, audit
  monitor problems                      # what the parser could not read
  monitor runs                          # every request, with its typed outcome
  monitor evaluate --as-of 2022-09-30 --dry-run
  monitor parse dhs_family_unit_actions {demo_documents_dir() / "dhs_family_unit_actions" / "fuar_may2022_reconstructed.pdf"} --json""")
